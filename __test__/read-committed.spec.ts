// kafkajs 2.2.4's read_committed consumer hands out records of an aborted
// transaction when the broker lists the aborted transactions in abort order
// rather than first-offset order: a transaction that started early and was
// aborted late (a killed producer's, aborted at its timeout) after another
// that started later and was aborted earlier. src/kafka/read-committed.ts
// fixes it for every kafkajs consumer of the process.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import test from 'ava'
import { Kafka, logLevel } from 'kafkajs'
import kafkajsFilter from 'kafkajs/src/consumer/filterAbortedMessages.js'

import { abortedRecords, type FetchedRecord } from '../src/kafka/read-committed.js'
import { BROKER, ensureBroker, readTopics, ROOT, uniquePrefix } from './helpers/kafka.js'

const run = promisify(execFile)

/** One record alone in its record batch, as kafkajs decodes it. */
function rec(offset: number, producerId: number, kind: 'data' | 'abort' | 'commit', transactional = true): FetchedRecord {
  const key = kind === 'data' ? Buffer.from('k') : Buffer.from([0, 0, 0, kind === 'abort' ? 0 : 1])
  return { offset: String(offset), key, isControlRecord: kind !== 'data', batchContext: { producerId: String(producerId), inTransaction: transactional, firstOffset: String(offset), lastOffsetDelta: 0 } }
}

// Offsets: 0 P1 data (aborted late), 1 P2 data, 2 P2 abort, 3 P3 data, 4 P3 commit, 5 P1 abort.
// The broker lists the aborted transactions in abort order: P2 (first 1), then P1 (first 0).
const records = [rec(0, 1, 'data'), rec(1, 2, 'data'), rec(2, 2, 'abort'), rec(3, 3, 'data'), rec(4, 3, 'commit'), rec(5, 1, 'abort')]
const abortOrder = [
  { producerId: '2', firstOffset: '1' },
  { producerId: '1', firstOffset: '0' },
]
const data = (rs: FetchedRecord[]) => rs.filter((r) => !r.isControlRecord).map((r) => Number(r.offset))

test("kafkajs's own filter lets the early aborted record through; abortedRecords does not", (t) => {
  const kept = kafkajsFilter({ messages: records, abortedTransactions: abortOrder }) as FetchedRecord[]
  t.deepEqual(data(kept), [0, 3], 'kafkajs 2.2.4 behaves as analysed (if this fails, kafkajs changed: re-check the fix)')
  const aborted = abortedRecords(records, abortOrder)
  t.deepEqual(data(records.filter((r) => !aborted.has(r))), [3])
  // Given in first-offset order, kafkajs is right too: the order is the whole bug.
  t.deepEqual(data(kafkajsFilter({ messages: records, abortedTransactions: [...abortOrder].reverse() }) as FetchedRecord[]), [3])
})

test('abortedRecords: several aborted transactions that started before the first fetched record are all applied', (t) => {
  // Fetched from offset 10: P1 and P2 both began earlier; the broker lists both.
  const rs = [rec(10, 1, 'data'), rec(11, 2, 'data'), rec(12, 4, 'data', false), rec(13, 2, 'abort'), rec(14, 1, 'abort'), rec(15, 1, 'data')]
  const aborted = abortedRecords(rs, [
    { producerId: '2', firstOffset: '7' },
    { producerId: '1', firstOffset: '5' },
  ])
  // P1's record after its abort marker is a new transaction, not aborted; non-transactional records never are.
  t.deepEqual(data(rs.filter((r) => !aborted.has(r))), [12, 15])
})

test.serial('against the broker: a read_committed kafkajs consumer sees no record of a transaction aborted after a later one', async (t) => {
  t.timeout(120_000)
  await ensureBroker()
  const topic = `${uniquePrefix('readcommitted')}out`
  const kafka = new Kafka({ clientId: 'conclude-rc-test', brokers: BROKER.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } })
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  // createTopics' own wait for leaders can give up under load ("does not host this topic-partition"): poll, with a deadline.
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => {})
  const until = performance.now() + 30_000
  while (!(await admin.fetchTopicOffsets(topic).then(() => true, () => false))) {
    if (performance.now() > until) throw new Error(`topic ${topic} not ready within 30 s`)
    await new Promise((r) => setTimeout(r, 200))
  }
  const producer = (id: string) => kafka.producer({ transactionalId: `${topic}-${id}`, idempotent: true, maxInFlightRequests: 1 })
  const [p1, p2, p3] = [producer('early'), producer('late'), producer('ok')]
  for (const p of [p1, p2, p3]) await p.connect()
  t.teardown(() => Promise.all([p1, p2, p3].map((p) => p.disconnect())))
  const send = (txn: Awaited<ReturnType<typeof p1.transaction>>, value: string) => txn.send({ topic, acks: -1, messages: [{ key: value, value: JSON.stringify({ value }) }] })
  const early = await p1.transaction()
  await send(early, 'early') // offset 0
  const late = await p2.transaction()
  await send(late, 'late') // offset 1
  await late.abort() // marker 2: first entry of the abort index
  const ok = await p3.transaction()
  await send(ok, 'ok')
  await ok.commit()
  await early.abort() // after the later transaction's abort: second entry, with the lower first offset

  // Plain kafkajs, in a process without the fix, reads the early aborted record.
  const plain = `
    const { Kafka, logLevel } = require('kafkajs')
    const c = new Kafka({ brokers: ${JSON.stringify(BROKER.split(','))}, logLevel: logLevel.NOTHING }).consumer({ groupId: 'rc-plain-' + Date.now(), readUncommitted: false })
    const seen = []
    const stop = async () => { await c.disconnect(); console.log(JSON.stringify(seen)); process.exit(0) }
    c.connect().then(() => c.subscribe({ topic: ${JSON.stringify(topic)}, fromBeginning: true })).then(() =>
      c.run({ eachMessage: async ({ message }) => { seen.push(JSON.parse(message.value.toString()).value) } }))
    setTimeout(stop, 8000)`
  const { stdout } = await run(process.execPath, ['-e', plain], { cwd: ROOT, timeout: 60_000 })
  t.deepEqual(JSON.parse(stdout).sort(), ['early', 'ok'], 'plain kafkajs 2.2.4 reads the aborted "early" record (the bug this fix is for)')

  // With the fix (this process, through the helpers): only the committed record.
  const fixed = await readTopics(BROKER, [topic], 2, 8_000)
  t.deepEqual(
    fixed.map((r) => r.value.value),
    ['ok'],
  )
})
