// `node --import @oxc-node/core/register bench/produce-encoding.ts [ROUNDS]`: kafkajs 2.2.4's own
// produce-request encoding (its produce v3 request, as `sendBatch` encodes it) of one group-mode
// batch of messages (657 conclusions of about 280 bytes over the four topics, bench/sections/group.ts),
// with the header values as strings and as Buffers (what produceRequests gives it), alternately.
// The same bytes either way (checked first); only the time differs.
import { createRequire } from 'node:module'

import { MAX_REQUEST_BYTES } from '../src/kafka/requests.js'

const require = createRequire(import.meta.url)
const Produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (o: object) => { encode(): Promise<{ buffer: Buffer }> }

const rounds = Number(process.argv[2] ?? 12)
const strings = { 'content-type': 'application/json', 'conclude-pid': '12345' }
const buffers = Object.fromEntries(Object.entries(strings).map(([k, v]) => [k, Buffer.from(v)]))
const perTopic = { summary: 100, anomaly: 357, changepoint: 100, trend: 100 }
const request = (headers: object) =>
  Produce({
    acks: -1,
    timeout: 30_000,
    compression: 0,
    producerId: 1,
    producerEpoch: 0,
    topicData: Object.entries(perTopic).map(([topic, n]) => ({
      topic,
      partitions: [{ partition: 0, firstSequence: 0, messages: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`b0-host-${i}`), value: Buffer.alloc(265, 65), timestamp: 1, headers })) }],
    })),
  })
const a = (await request(strings).encode()).buffer
const b = (await request(buffers).encode()).buffer
if (!a.equals(b)) throw new Error('string and Buffer header values encode differently')
if (a.length > MAX_REQUEST_BYTES) throw new Error(`one batch is ${a.length} bytes, over the sink's ${MAX_REQUEST_BYTES}`)
const time = async (headers: object, n: number) => {
  const r = request(headers)
  const t = performance.now()
  for (let i = 0; i < n; i++) await r.encode()
  return (performance.now() - t) / n
}
await time(strings, 20)
await time(buffers, 20)
const s: number[] = []
const bu: number[] = []
for (let r = 0; r < rounds; r++) {
  s.push(await time(strings, 100))
  bu.push(await time(buffers, 100))
}
const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length
console.log(JSON.stringify({ bytes: a.length, messages: 657, rounds, msPerBatch: { strings: +mean(s).toFixed(2), buffers: +mean(bu).toFixed(2) }, buffersFaster: s.filter((x, i) => bu[i]! < x).length }))
