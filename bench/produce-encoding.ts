// `node --import @oxc-node/core/register bench/produce-encoding.ts [ROUNDS]`: the produce-request
// encoding of one group-mode batch of messages (657 conclusions of about 280 bytes over the four
// topics, bench/sections/group.ts, with the headers as Buffers, as produceRequests gives them),
// by kafkajs 2.2.4's own encoder (its produce v3 request, as `sendBatch` encodes it) and by the
// one-pass encoder of src/kafka/record-batch.ts, alternately; and the CRC-32C of the request's
// bytes by kafkajs's crc32C and by src/kafka/crc32c.ts. The same bytes either way (checked first);
// only the time differs.
import { createRequire } from 'node:module'

import { crc32c } from '../src/kafka/crc32c.js'
import { encodeProduceRequestFast, type EncodedRequest, type ProduceRequestArgs } from '../src/kafka/record-batch.js'
import { MAX_REQUEST_BYTES, pidHeaders } from '../src/kafka/requests.js'

const require = createRequire(import.meta.url)
const Produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (o: ProduceRequestArgs) => { encode(): Promise<EncodedRequest> }
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number

const rounds = Number(process.argv[2] ?? 12)
const headers = Object.fromEntries(Object.entries(pidHeaders()).map(([k, v]) => [k, Buffer.from(v)]))
const perTopic = { summary: 100, anomaly: 357, changepoint: 100, trend: 100 }
const messages = Object.values(perTopic).reduce((a, b) => a + b, 0)
const args: ProduceRequestArgs = {
  acks: -1,
  timeout: 30_000,
  compression: 0,
  producerId: 1,
  producerEpoch: 0,
  topicData: Object.entries(perTopic).map(([topic, n]) => ({
    topic,
    partitions: [{ partition: 0, firstSequence: 0, messages: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`b0-host-${i}`), value: Buffer.alloc(265, 65), headers })) }],
  })),
}
const encoders: Record<'kafkajs' | 'onePass', () => Promise<EncodedRequest>> = {
  kafkajs: () => Produce(args).encode(),
  onePass: () => encodeProduceRequestFast(args),
}
const now = Date.now
Date.now = () => 1_765_000_000_000 // both stamp the batches with Date.now(): the same bytes
const a = (await encoders.kafkajs()).buffer
const b = (await encoders.onePass()).buffer
Date.now = now
if (!a.equals(b)) throw new Error('the one-pass encoder wrote other bytes than kafkajs')
if (a.length > MAX_REQUEST_BYTES) throw new Error(`one batch is ${a.length} bytes, over the sink's ${MAX_REQUEST_BYTES}`)
if (crc32c(a) !== kafkajsCrc32C(a)) throw new Error('crc32c differs from kafkajs')

const time = async (encode: () => Promise<unknown>, n: number) => {
  const t = performance.now()
  for (let i = 0; i < n; i++) await encode()
  return (performance.now() - t) / n
}
const timeSync = (f: () => unknown, n: number) => {
  const t = performance.now()
  for (let i = 0; i < n; i++) f()
  return (performance.now() - t) / n
}
await time(encoders.kafkajs, 20)
await time(encoders.onePass, 200)
const old: number[] = []
const neu: number[] = []
const crcOld: number[] = []
const crcNew: number[] = []
for (let r = 0; r < rounds; r++) {
  old.push(await time(encoders.kafkajs, 50))
  neu.push(await time(encoders.onePass, 500))
  crcOld.push(timeSync(() => kafkajsCrc32C(a), 50))
  crcNew.push(timeSync(() => crc32c(a), 500))
}
const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length
const ms = (x: number[]) => +mean(x).toFixed(3)
console.log(
  JSON.stringify({
    bytes: a.length,
    messages,
    rounds,
    msPerBatch: { kafkajs: ms(old), onePass: ms(neu), ratio: +(mean(old) / mean(neu)).toFixed(1) },
    onePassFaster: old.filter((x, i) => neu[i]! < x).length,
    crcMsPerBatch: { kafkajs: ms(crcOld), native: ms(crcNew), ratio: +(mean(crcOld) / mean(crcNew)).toFixed(1) },
  }),
)
