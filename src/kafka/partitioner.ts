// The producer's partitioner: kafkajs's DefaultPartitioner (the Java client's
// murmur2 of the key, so a series lands in the same partition as with any Java
// or librdkafka producer using murmur2_random), with the hash computed in 32-bit
// arithmetic. kafkajs 2.2.4 computes it on BigInts that it never truncates, so
// the hash state grows by 32 bits per 4 key bytes and the hash is quadratic in
// the key length (a 100 KB key: 1 s; 400 KB: over 20 s), synchronously, on the
// event loop, where no send deadline can fire. Only the low 32 bits of every
// step reach the result, so Math.imul gives the same partition in linear time.
import { randomBytes } from 'node:crypto'

import type { ICustomPartitioner } from 'kafkajs'

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `data`, as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const tail = length & ~3
  switch (length % 4) {
    case 3:
      h ^= data[tail + 2]! << 16
    // falls through
    case 2:
      h ^= data[tail + 1]! << 8
    // falls through
    case 1:
      h ^= data[tail]!
      h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

const toPositive = (x: number) => x & 0x7fffffff

/** kafkajs's DefaultPartitioner with the linear murmur2: keyed messages by hash, others round robin over available partitions. */
export const keyPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>()
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition
    const numPartitions = partitionMetadata.length
    if (message.key !== null && message.key !== undefined) {
      const key = Buffer.isBuffer(message.key) ? message.key : Buffer.from(String(message.key))
      return toPositive(murmur2(key)) % numPartitions
    }
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1
    counters.set(topic, counter)
    const available = partitionMetadata.filter((p) => p.leader >= 0)
    if (available.length > 0) return available[toPositive(counter) % available.length]!.partitionId
    return toPositive(counter) % numPartitions
  }
}
