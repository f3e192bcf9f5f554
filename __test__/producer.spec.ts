// The per-process producer and the small pieces around it, without a broker.
import { createServer } from 'node:net'

import test from 'ava'
import type { TopicMessages } from 'kafkajs'

import { DeadlineError, withDeadline } from '../src/deadline.js'
import { closeProcessProducer, currentProcessProducer, KafkaError, processProducer } from '../src/kafka/producer.js'
import { conclusionTopics, TopicNameError, validateTopic } from '../src/kafka/topics.js'
import { MAX_REQUEST_BYTES, MessageTooLargeError, produceRequests, recordBytes } from '../src/kafka/requests.js'

test('a producer is created on first use and reused in the same process', (t) => {
  const a = processProducer({ brokers: ['127.0.0.1:1'] }, 1001)
  const b = processProducer({ brokers: ['127.0.0.1:1'] }, 1001)
  t.is(a, b)
  t.is(a.created, 0, 'creating the object must not create or connect a client')
})

test('a producer found under another pid is discarded, never used', (t) => {
  const parent = processProducer({ brokers: ['127.0.0.1:1'] }, 2001)
  const child = processProducer({ brokers: ['127.0.0.1:1'] }, 2002)
  t.not(child, parent)
  t.is(child.pid, 2002)
  t.is(currentProcessProducer(2001), undefined)
  t.is(currentProcessProducer(2002), child)
})

test('withDeadline rejects with the operation and target when work overruns', async (t) => {
  const e = await t.throwsAsync(() => withDeadline('kafka send to', '127.0.0.1:9', 50, () => new Promise(() => {})))
  t.true(e instanceof DeadlineError)
  t.is((e as DeadlineError).code, 'ERR_CONCLUDE_TIMEOUT')
  t.regex(e!.message, /kafka send to 127\.0\.0\.1:9 did not finish within 50 ms/)
  t.is(await withDeadline('x', 'y', 1000, async () => 7), 7)
})

test.serial('connect to a broker that never answers fails within the deadline, naming broker and operation', async (t) => {
  // A TCP server that accepts and then says nothing: the worst case for a client.
  const server = createServer(() => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as any).port
  const producer = processProducer({ brokers: [`127.0.0.1:${port}`], connectTimeoutMs: 1500 }, process.pid)
  const start = performance.now()
  const e = await t.throwsAsync(() => producer.send([{ topic: 't', messages: [{ value: 'x' }] }]))
  const ms = performance.now() - start
  t.true(e instanceof KafkaError)
  t.is((e as KafkaError).operation, 'connect')
  t.regex(e!.message, new RegExp(`kafka connect to 127\\.0\\.0\\.1:${port} failed`))
  t.true(ms < 5000, `took ${ms} ms`)
  await closeProcessProducer()
  server.close()
})

test.serial('prepare never rejects: a broker it cannot reach fails the send after it, naming the broker', async (t) => {
  const producer = processProducer({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 1500 }, process.pid)
  await t.notThrowsAsync(producer.prepare(['t']))
  t.is(producer.created, 0)
  const e = await t.throwsAsync(() => producer.send([{ topic: 't', messages: [{ value: 'x' }] }]))
  t.true(e instanceof KafkaError)
  t.regex(e!.message, /127\.0\.0\.1:1/)
  await closeProcessProducer()
})

test('topic names follow Kafka rules', (t) => {
  t.is(validateTopic('metrics.summary'), 'metrics.summary')
  t.throws(() => validateTopic(''), { instanceOf: TopicNameError })
  t.throws(() => validateTopic('..'), { instanceOf: TopicNameError })
  t.throws(() => validateTopic('a b'), { message: /" "/ })
  t.throws(() => validateTopic('x'.repeat(250)), { message: /249/ })
  t.deepEqual(conclusionTopics('p-'), { summary: 'p-summary', anomaly: 'p-anomaly', changepoint: 'p-changepoint', trend: 'p-trend' })
  t.throws(() => conclusionTopics('bad/'), { instanceOf: TopicNameError })
})

/** A MessageBatch of one summary message per series (keys and values as the engine lays them out). */
function summaryBatch(series: string[]) {
  const parts: Buffer[] = []
  const index: number[] = []
  let at = 0
  for (const s of series) {
    const key = Buffer.from(s)
    const value = Buffer.from(JSON.stringify({ category: 'summary', series: s, mean: 1 }))
    index.push(0, at, at + key.length, at + key.length, at + key.length + value.length)
    parts.push(key, value)
    at += key.length + value.length
  }
  return { data: Buffer.concat(parts), index: Uint32Array.from(index), counts: [series.length, 0, 0, 0] } as any
}
const headers = { 'content-type': 'application/json', 'conclude-pid': '1' }
/** recordBytes summed over a request's messages: what produceRequests bounds. */
const requestBytes = (r: TopicMessages[]) => r.flatMap((x) => x.messages).reduce((n, m) => n + recordBytes(m.key as Buffer, m.value as Buffer, headers), 0)

test('produce requests stay within the topics\' max.message.bytes; a message that cannot fit is a located error', (t) => {
  const topics = conclusionTopics('p.')
  const limits = new Map(Object.values(topics).map((topic) => [topic, 2_000]))
  const requests = produceRequests(summaryBatch(Array.from({ length: 40 }, (_, i) => `host-${i}.cpu`)), topics, headers, limits)
  t.true(requests.length > 1)
  t.is(requests.flat().reduce((n, r) => n + r.messages.length, 0), 40)
  for (const r of requests) t.true(requestBytes(r) <= 2_000, `a request of ${requestBytes(r)} bytes`)
  const err = t.throws(() => produceRequests(summaryBatch(['ok', 'n'.repeat(1_500)]), topics, headers, limits), { instanceOf: MessageTooLargeError })
  t.is(err.code, 'ERR_CONCLUDE_MESSAGE_TOO_LARGE')
  t.is(err.category, 'summary')
  t.is(err.topic, 'p.summary')
  t.is(err.limit, 2_000)
  t.true(err.bytes > 3_000)
  t.regex(err.message, /series "n{64}"\.\.\. \(1500 characters\) is \d+ bytes, over the max\.message\.bytes \(2000\) of topic p\.summary/)
})

test("produce requests are at most the request size asked for (the sink's by default), and never over a topic's limit", (t) => {
  const topics = conclusionTopics('p.')
  const batch = summaryBatch(Array.from({ length: 2_000 }, (_, i) => `host-${i}.cpu`))
  const total = requestBytes(produceRequests(batch, topics, headers, new Map(), Infinity)[0]!)
  t.true(total > MAX_REQUEST_BYTES / 2, `a batch of ${total} bytes`)
  const sizes = (requests: TopicMessages[][]) => requests.map(requestBytes)
  // The default is the sink's own size, MAX_REQUEST_BYTES (512 KiB): this batch fits one request.
  t.is(MAX_REQUEST_BYTES, 512 * 1024)
  t.deepEqual(sizes(produceRequests(batch, topics, headers)), [total])
  const small = sizes(produceRequests(batch, topics, headers, new Map(), 64 * 1024))
  t.true(small.length >= Math.ceil(total / (64 * 1024)), `${small.length} requests`)
  for (const b of small) t.true(b <= 64 * 1024, `a request of ${b} bytes`)
  t.is(small.reduce((a, b) => a + b, 0), total)
  // A larger size asked for does not lift a topic's max.message.bytes.
  const limits = new Map(Object.values(topics).map((topic) => [topic, 10_000]))
  for (const b of sizes(produceRequests(batch, topics, headers, limits, 1_000_000))) t.true(b <= 10_000, `a request of ${b} bytes`)
})

test('produce requests carry the headers as Buffers of their bytes, one object for every message', (t) => {
  const requests = produceRequests(summaryBatch(['a', 'b', 'c']), conclusionTopics('p.'), headers)
  const messages = requests.flat().flatMap((r) => r.messages)
  t.is(messages.length, 3)
  for (const m of messages) {
    t.deepEqual(Object.keys(m.headers!), Object.keys(headers))
    for (const [k, v] of Object.entries(headers)) {
      t.true(Buffer.isBuffer(m.headers![k]), `header ${k} is a Buffer`)
      t.is((m.headers![k] as Buffer).toString(), v)
    }
    t.is(m.headers, messages[0]!.headers)
  }
})
