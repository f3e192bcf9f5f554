// The linear grouping by partition (src/kafka/grouping.ts) against kafkajs's own, and its
// installation: a ProcessProducer's sends go through it, and each partition gets its records in
// the order they were sent.
//
// First import, as in conclude's own modules: it must be in the module cache before kafkajs loads.
import { groupMessagesPerPartition, groupingCounts, linearGrouping, type GroupArgs } from '../src/kafka/grouping.js'

import { readFileSync } from 'node:fs'
import Module, { createRequire } from 'node:module'

import test from 'ava'
import fc from 'fast-check'
import { Kafka, logLevel, type Message } from 'kafkajs'

import { closeProcessProducer, processProducer } from '../src/kafka/producer.js'
import { BROKER, createTopics, ensureBroker, uniquePrefix } from './helpers/kafka.js'

/** kafkajs's own function, compiled from its file (the module cache holds the replacement). */
function kafkajsGrouping(): (args: GroupArgs) => Record<string, Message[]> {
  const path = createRequire(import.meta.url).resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
  const m = new Module(path) as Module & { _compile(source: string, file: string): void }
  m.filename = path
  m._compile(readFileSync(path, 'utf8'), path)
  return m.exports as (args: GroupArgs) => Record<string, Message[]>
}

test("equals kafkajs's groupMessagesPerPartition: the same partitions, messages (the same objects, in order) and partitioner calls", async (t) => {
  const theirs = kafkajsGrouping()
  t.not(theirs, groupMessagesPerPartition)
  const messages = fc.array(fc.record({ key: fc.string({ maxLength: 6 }), value: fc.string({ maxLength: 4 }) }), { maxLength: 300 })
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(messages, fc.integer({ min: 0, max: 12 }), fc.integer(), async (list, partitions, salt) => {
        const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i }))
        const calls: [string, unknown[], Message][][] = [[], []]
        // Deterministic in the message, as a partitioner is; the same messages go to both.
        const partitioner = (log: [string, unknown[], Message][]) => (a: { topic: string; partitionMetadata: unknown[]; message: Message }) => {
          log.push([a.topic, a.partitionMetadata, a.message])
          let h = salt | 0
          for (const c of String(a.message.key)) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1)
          return (h >>> 0) % Math.max(1, partitions)
        }
        const ours = groupMessagesPerPartition({ topic: 'x', partitionMetadata, messages: list, partitioner: partitioner(calls[0]!) })
        const want = theirs({ topic: 'x', partitionMetadata, messages: list, partitioner: partitioner(calls[1]!) })
        if (JSON.stringify(Object.keys(ours)) !== JSON.stringify(Object.keys(want))) throw new Error('partitions differ')
        for (const p of Object.keys(want)) {
          const a = ours[Number(p)]!
          const b = want[p]!
          if (a.length !== b.length || a.some((m, i) => m !== b[i])) throw new Error(`partition ${p}: messages differ`)
        }
        if (calls[0]!.length !== calls[1]!.length || calls[0]!.some((c, i) => c[0] !== calls[1]![i]![0] || c[1] !== calls[1]![i]![1] || c[2] !== calls[1]![i]![2])) {
          throw new Error('partitioner calls differ')
        }
      }),
      { numRuns: 2_000 },
    ),
  )
})

test("a send through conclude's producer is grouped here, and every partition reads back its records in the order sent", async (t) => {
  t.true(linearGrouping, 'the replacement went into the module cache before kafkajs loaded')
  await ensureBroker()
  const topic = `${uniquePrefix('grouping')}records`
  await createTopics(BROKER, [topic], {}, 3)
  const sent = Array.from({ length: 3_000 }, (_, i) => ({ key: `series-${i % 97}`, value: String(i) }))
  const before = groupingCounts.calls
  try {
    await processProducer({ brokers: BROKER.split(',') }).send([{ topic, messages: sent }])
  } finally {
    await closeProcessProducer()
  }
  t.true(groupingCounts.calls > before, 'kafkajs called the linear grouping')

  const kafka = new Kafka({ clientId: 'conclude-grouping-test', brokers: BROKER.split(','), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `conclude-grouping-${process.pid}-${Date.now()}` })
  const read = new Map<number, { key: string; value: number }[]>()
  let count = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let done!: () => void
    const all = new Promise<void>((r) => (done = r))
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const list = read.get(partition) ?? []
        list.push({ key: message.key!.toString(), value: Number(message.value!.toString()) })
        read.set(partition, list)
        if (++count === sent.length) done()
      },
    })
    await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))])
  } finally {
    await consumer.disconnect()
  }
  t.is(count, sent.length)
  t.true(read.size > 1, 'the records were spread over the partitions')
  const partitionOfKey = new Map<string, number>()
  for (const [partition, list] of read) {
    t.deepEqual(
      list.map((r) => r.value),
      [...list.map((r) => r.value)].sort((a, b) => a - b),
      `partition ${partition} in the order sent`,
    )
    for (const r of list) {
      t.is(partitionOfKey.get(r.key) ?? partition, partition, `${r.key} in one partition`)
      partitionOfKey.set(r.key, partition)
    }
  }
})
