// src/kafka/record-batch.ts writes kafkajs 2.2.4's produce requests (RecordBatch v2) in one pass:
// the same bytes as kafkajs's own encoder on random requests (keys, values, headers, timestamps,
// transactional and idempotent fields, gzip), its CRC-32C equal to kafkajs's, and a round trip
// through the real broker read back by kafkajs's consumer.
import test from 'ava'
import fc from 'fast-check'
import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import kafkajsCrc32C from 'kafkajs/src/protocol/recordBatch/crc32C/index.js'
import produceModule from 'kafkajs/src/protocol/requests/produce/index.js'
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js'
import kafkajsProduceV7 from 'kafkajs/src/protocol/requests/produce/v7/request.js'

import { crc32c } from '../src/kafka/crc32c.js'
import { encodeProduceRequestFast, encoderCounts, installRecordBatchEncoder, type ProduceMessage, type ProduceRequestArgs } from '../src/kafka/record-batch.js'
import { BROKER, createTopics, ensureBroker, uniquePrefix } from './helpers/kafka.js'

const NOW = 1_765_000_000_123

/**
 * Runs `f` with Date.now() fixed: both encoders stamp a batch without timestamps with it.
 * Date.now is global, and gzip compression awaits the thread pool, so two tests inside atNow at
 * once would restore each other's clock mid-encoding (a CI run failed so): every test that encodes
 * is serial, and a second atNow while one is running throws instead of racing.
 */
let frozen = false
async function atNow<T>(f: () => Promise<T>): Promise<T> {
  if (frozen) throw new Error('atNow: Date.now is already fixed by another test (make it test.serial)')
  frozen = true
  const real = Date.now
  Date.now = () => NOW
  try {
    return await f()
  } finally {
    Date.now = real
    frozen = false
  }
}

const theirs = (args: ProduceRequestArgs): Promise<Buffer> => atNow(async () => (await kafkajsProduceV3(args).encode()).buffer)
const ours = (args: ProduceRequestArgs): Promise<Buffer> => atNow(async () => (await encodeProduceRequestFast(args)).buffer)

test("crc32c equals kafkajs's crc32C on any bytes and range, and the CRC-32C check value", (t) => {
  t.is(crc32c(Buffer.from('123456789')), 0xe3069283)
  t.is(crc32c(Buffer.alloc(0)), 0)
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(20), fc.nat(20), (bytes, a, b) => {
      const start = Math.min(a, bytes.length)
      const end = Math.max(start, bytes.length - b)
      return crc32c(bytes, start, end) === kafkajsCrc32C(Buffer.from(bytes.subarray(start, end)))
    }),
    { numRuns: 5_000 },
  )
  // Long inputs at any offset: the native loop's 8-byte steps, unaligned starts and tails.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 5_000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = a % bytes.length
      const end = start + (b % (bytes.length - start + 1))
      return crc32c(bytes, start, end) === kafkajsCrc32C(Buffer.from(bytes.subarray(start, end)))
    }),
    { numRuns: 300 },
  )
  const four = Buffer.from('abcd')
  for (const [start, end] of [[-1, 2], [3, 2], [0, 5], [0.5, 2]] as const) {
    t.throws(() => crc32c(four, start, end), { instanceOf: RangeError, message: `crc32c: the range [${start}, ${end}) is not within the 4 bytes given` })
  }
})

const text = fc.string({ unit: 'grapheme', maxLength: 24 })
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b))
const keyOrValue = fc.oneof(fc.constant(null), fc.constant(undefined), fc.constant(Buffer.alloc(0)), fc.constant(''), bytes(300), text)
const headerValue = fc.oneof(text, bytes(40), fc.constant(Buffer.alloc(0)))
const headers = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.dictionary(text, fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), { maxKeys: 4 }) },
  // Large headers: values past a 1- and 2-byte varint length.
  { weight: 1, arbitrary: fc.dictionary(text, bytes(20_000), { minKeys: 1, maxKeys: 2 }) },
)
const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: NOW - 10_000_000, max: NOW + 10_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: NOW - 10_000_000, max: NOW + 10_000_000 }).map(String) },
  // Deltas past 2^51 (the BigInt varlong) and negative ones.
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }).map(String) },
)
const message: fc.Arbitrary<ProduceMessage> = fc.record({ key: keyOrValue, value: keyOrValue, headers, timestamp }, { requiredKeys: ['key', 'value'] })
/** One headers object shared by every message of a request, as conclude's produceRequests gives it. */
const sharedHeaders = (ms: ProduceMessage[], shared: boolean) => {
  if (!shared || ms.length === 0) return ms
  const h = { 'content-type': Buffer.from('application/json'), 'conclude-pid': Buffer.from('12345') }
  return ms.map((m) => ({ ...m, headers: h }))
}
const request = (maxMessages: number): fc.Arbitrary<ProduceRequestArgs> =>
  fc.record(
    {
      acks: fc.constantFrom(-1, 0, 1),
      timeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      transactionalId: fc.oneof(fc.constant(null), fc.constant(undefined), text),
      producerId: fc.oneof(fc.constant(-1), fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String)),
      producerEpoch: fc.integer({ min: 0, max: 32_767 }),
      compression: fc.constantFrom(CompressionTypes.None, CompressionTypes.None, CompressionTypes.GZIP),
      topicData: fc.array(
        fc.record({
          topic: text,
          partitions: fc.array(
            fc.record(
              {
                partition: fc.nat(1000),
                firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
                messages: fc.tuple(fc.array(message, { maxLength: maxMessages }), fc.boolean()).map(([ms, shared]) => sharedHeaders(ms, shared)),
              },
              { requiredKeys: ['partition', 'messages'] },
            ),
            { maxLength: 3 },
          ),
        }),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ['acks', 'timeout', 'topicData'] },
  )

test.serial("random produce requests: byte for byte kafkajs's own encoding", async (t) => {
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(request(12), async (args) => (await ours(args)).equals(await theirs(args))),
      { numRuns: 1_500 },
    ),
  )
})

test.serial("many records per batch (offset-delta varints of 1 to 3 bytes): byte for byte kafkajs's", async (t) => {
  await fc.assert(
    fc.asyncProperty(request(400), async (args) => (await ours(args)).equals(await theirs(args))),
    { numRuns: 60 },
  )
  const messages = Array.from({ length: 20_000 }, (_, i) => ({ key: i % 7 === 0 ? null : `series-${i}`, value: Buffer.alloc(i % 50, i), headers: { n: String(i) } }))
  for (const transactionalId of [null, 'txn-é']) {
    const args = { acks: -1, timeout: 30_000, transactionalId, producerId: '4611686018427387904', producerEpoch: 3, topicData: [{ topic: 'big', partitions: [{ partition: 5, firstSequence: 2 ** 31 - 20_001, messages }] }] }
    t.deepEqual(await ours(args), await theirs(args))
  }
})

test.serial("conclude's batch: the transactional bit, producer id, epoch and sequence land where the broker reads them", async (t) => {
  const h = { 'content-type': Buffer.from('application/json'), 'conclude-pid': Buffer.from('12345') }
  const messages = Array.from({ length: 657 }, (_, i) => ({ key: Buffer.from(`b0-host-${i}`), value: Buffer.alloc(265, 65), headers: h }))
  const args = { acks: -1, timeout: 30_000, transactionalId: 'conclude-slot-0', producerId: '77', producerEpoch: 9, topicData: [{ topic: 'anomaly', partitions: [{ partition: 2, firstSequence: 1234, messages }] }] }
  const buf = await ours(args)
  t.deepEqual(buf, await theirs(args))
  // transactional id, acks, timeout, one topic "anomaly", one partition: the batch starts after them.
  const batch = 2 + 15 + 2 + 4 + 4 + 2 + 7 + 4 + 4 + 4
  t.is(buf.readInt8(batch + 16), 2, 'magic')
  t.is(buf.readInt16BE(batch + 21), 16, 'attributes: transactional, no compression')
  t.is(buf.readInt32BE(batch + 23), 656, 'last offset delta')
  t.is(buf.readBigInt64BE(batch + 43), 77n, 'producer id')
  t.is(buf.readInt16BE(batch + 51), 9, 'producer epoch')
  t.is(buf.readInt32BE(batch + 53), 1234, 'first sequence')
  t.is(buf.readUInt32BE(batch + 17), crc32c(buf, batch + 21), 'CRC-32C of attributes..end')
})

test.serial('installed: every produce version v3-v7 encodes with it, and input it leaves to kafkajs gets kafkajs bytes', async (t) => {
  installRecordBatchEncoder()
  installRecordBatchEncoder() // idempotent: one wrapper
  const encodeVia = (version: number, args: ProduceRequestArgs) => atNow(async () => (await produceModule.protocol({ version })(args).request.encode()).buffer)
  const args: ProduceRequestArgs = { acks: -1, timeout: 1000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', headers: { a: 'b' } }] }] }] }
  const before = { ...encoderCounts }
  for (const v of [3, 4, 5, 6, 7]) t.deepEqual(await encodeVia(v, args), await theirs(args))
  t.is(encoderCounts.fast - before.fast, 5)
  t.is(produceModule.protocol({ version: 7 })(args).request.apiVersion, 7)
  t.deepEqual(await atNow(async () => (await kafkajsProduceV7(args).encode()).buffer), await theirs(args))
  // Left to kafkajs: a Uint8Array that is not a Buffer, a number key, fractional timestamps.
  const odd: ProduceRequestArgs[] = [
    { ...args, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: new Uint8Array([1, 2]), value: 'v' }] }] }] },
    { ...args, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: 1.5 }, { key: 'k', value: 'v', timestamp: 1 }] }] }] },
  ]
  for (const o of odd) {
    const k = encoderCounts.kafkajs
    await t.throwsAsync(() => ours(o))
    const mine = await encodeVia(7, o).catch((e: Error) => e.constructor.name)
    const kafka = await theirs(o).catch((e: Error) => e.constructor.name)
    t.deepEqual(mine, kafka)
    t.is(encoderCounts.kafkajs, k + 1)
  }
})

test.serial('round trip through the broker: idempotent, transactional and gzip batches read back by kafkajs', async (t) => {
  t.timeout(180_000)
  await ensureBroker()
  installRecordBatchEncoder()
  const prefix = uniquePrefix('recordbatch')
  const topics = [`${prefix}plain`, `${prefix}txn`, `${prefix}gzip`]
  await createTopics(BROKER, topics, {}, 3)
  const kafka = new Kafka({ clientId: 'conclude-record-batch-test', brokers: BROKER.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } })
  t.teardown(async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics }).catch(() => {})
    await admin.disconnect()
  })
  const sent = fc.sample(
    fc.record({
      key: fc.oneof(fc.constant(null), text, bytes(30)),
      value: fc.oneof(fc.constant(Buffer.alloc(0)), text, bytes(2_000)),
      headers: fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.oneof(text, bytes(3_000)), { maxKeys: 3 }),
    }),
    { numRuns: 300, seed: 11 },
  )
  const asBuffer = (v: unknown) => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v as string))
  const wanted = (ms: typeof sent) =>
    ms.map((m) => ({ key: asBuffer(m.key), value: asBuffer(m.value), headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, asBuffer(v)])) }))
  const before = encoderCounts.fast

  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await idempotent.connect()
  t.teardown(() => idempotent.disconnect())
  // Three sends: sequence numbers continue from one batch to the next (a wrong one is OUT_OF_ORDER_SEQUENCE_NUMBER).
  for (let i = 0; i < 3; i++) await idempotent.send({ topic: topics[0]!, acks: -1, messages: sent.slice(i * 100, (i + 1) * 100).map((m) => ({ ...m, partition: i % 2 })) })
  await idempotent.send({ topic: topics[2]!, acks: -1, compression: CompressionTypes.GZIP, messages: sent.map((m) => ({ ...m, partition: 1 })) })

  const transactional = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: `${prefix}tx` })
  await transactional.connect()
  t.teardown(() => transactional.disconnect())
  for (let i = 0; i < 2; i++) {
    const txn = await transactional.transaction()
    await txn.send({ topic: topics[1]!, acks: -1, messages: sent.slice(i * 150, (i + 1) * 150).map((m) => ({ ...m, partition: 2 })) })
    await txn.commit()
  }
  t.true(encoderCounts.fast - before >= 6, 'every produce request went through the one-pass encoder')

  const consumer = kafka.consumer({ groupId: `${prefix}reader`, readUncommitted: false })
  await consumer.connect()
  t.teardown(() => consumer.disconnect())
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
  const got = new Map<string, { partition: number; offset: number; key: Buffer | null; value: Buffer | null; headers: Record<string, unknown>; inTransaction: boolean }[]>(topics.map((x) => [x, []]))
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  let count = 0
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        got.get(batch.topic)!.push({ partition: batch.partition, offset: Number(m.offset), key: m.key, value: m.value, headers: m.headers ?? {}, inTransaction: (m as any).batchContext?.inTransaction })
        if (++count === 900) done()
      }
    },
  })
  await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))])
  const order = (rs: ReturnType<typeof got.get> & object) => rs.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  const strip = (rs: ReturnType<typeof got.get> & object) => order(rs).map(({ key, value, headers }) => ({ key, value, headers }))
  const plain = got.get(topics[0]!)!
  t.deepEqual(strip(plain), wanted([...sent.slice(0, 100), ...sent.slice(200, 300), ...sent.slice(100, 200)]))
  t.deepEqual(strip(got.get(topics[2]!)!), wanted(sent))
  const txn = got.get(topics[1]!)!
  t.deepEqual(strip(txn), wanted(sent))
  t.true(txn.every((r) => r.inTransaction), 'the batches are transactional')
  t.false(plain.some((r) => r.inTransaction))
})
