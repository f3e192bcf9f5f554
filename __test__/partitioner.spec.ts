// The producer's partitioner puts every message where kafkajs's DefaultPartitioner (the Java
// client's) would: same murmur2, same partition for keyed messages, explicit partitions kept.
import test from 'ava'
import fc from 'fast-check'
import { Partitioners } from 'kafkajs'
import kafkajsMurmur2 from 'kafkajs/src/producer/partitioners/default/murmur2.js'

import { keyPartitioner, murmur2 } from '../src/kafka/partitioner.js'

const metadata = (n: number, leaderless: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: leaderless.includes(i) ? -1 : 0, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }))

test("murmur2 equals kafkajs's on any bytes, and Kafka's own reference values", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => murmur2(bytes) === kafkajsMurmur2(Buffer.from(bytes))),
    { numRuns: 20_000 },
  )
  // From Kafka's UtilsTest.testMurmur2.
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  for (const [key, want] of cases) t.is(murmur2(Buffer.from(key)), want, key)
})

test('keyed, explicit-partition and string-keyed messages go where DefaultPartitioner puts them', (t) => {
  const fast = keyPartitioner()
  const theirs = Partitioners.DefaultPartitioner()
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)), fc.string({ unit: 'grapheme', maxLength: 20 })),
        fc.integer({ min: 1, max: 64 }),
        fc.option(fc.integer({ min: 0, max: 63 }), { nil: undefined }),
        (key, n, partition) => {
          const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: null, partition } }
          return fast(args) === theirs(args)
        },
      ),
      { numRuns: 20_000 },
    ),
  )
})

test('keyless messages round-robin over the partitions that have a leader', (t) => {
  const fast = keyPartitioner()
  const seen = new Map<number, number>()
  for (let i = 0; i < 300; i++) {
    const p = fast({ topic: 't', partitionMetadata: metadata(4, [2]), message: { key: null, value: null } })
    seen.set(p, (seen.get(p) ?? 0) + 1)
  }
  t.deepEqual([...seen.keys()].sort(), [0, 1, 3])
  for (const n of seen.values()) t.is(n, 100)
})
