// The child processes of the pipeline section (bench/sections/pipeline.ts), each run fresh so
// that its peak RSS and CPU are its own:
//
//   pipeline-child.ts engine FILE OUT.json [CATEGORIES]
//     reads FILE and times `analyzeToMessagesNative` on it (the engine's whole work in
//     `conclude run`: parse, analyses, ready Kafka messages), all cores' threads.
//   pipeline-child.ts kafkajs FILE OUT.json CATEGORIES BROKERS TOPIC_PREFIX REQUEST_BYTES,...
//     makes the same messages, then sends them with one kafkajs producer configured as
//     `conclude run`'s (idempotent, one request in flight, acks all, the same partitioner,
//     headers and produce requests of `produceRequests`, its one-pass produce-request
//     encoder and its linear grouping by partition), once per request size: the ceiling.
//
// Prints nothing; writes its figures as JSON to OUT.json (runTree ignores stdout).
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

import { analyzeToMessagesNative, type AnalyzeOptions, type MessageBatch } from '../../index.js'
// kafkajs as conclude's producers load it (its grouping by partition in linear time).
import { Kafka, logLevel } from '../../src/kafka/kafkajs.js'
import { keyPartitioner } from '../../src/kafka/partitioner.js'
import { conclusionTopics } from '../../src/kafka/topics.js'
import { installRecordBatchEncoder } from '../../src/kafka/record-batch.js'
import { pidHeaders, produceRequests } from '../../src/kafka/requests.js'

export interface EngineFigures {
  readMs: number
  ms: number
  messages: number
  /** Bytes of the messages' keys and values. */
  bytes: number
  threads: number
}

export interface CeilingFigures {
  requestBytes: number
  messages: number
  requests: number
  ms: number
  messagesPerSecond: number
  /** CPU time of this process while it sent them (the broker's not counted). */
  cpuMs: number
}

/** Messages in a batch: its per-category counts summed. */
const count = (batch: MessageBatch) => batch.counts.reduce((a, b) => a + b, 0)

function messagesOf(file: string, categories: string | undefined): { batch: MessageBatch; readMs: number; ms: number; threads: number } {
  const threads = availableParallelism()
  const t0 = performance.now()
  const data = readFileSync(file)
  const t1 = performance.now()
  const options: AnalyzeOptions = { threads, ...(categories ? { categories: categories.split(',') as AnalyzeOptions['categories'] } : {}) }
  const batch = analyzeToMessagesNative(data, { batch: file }, options)
  return { batch, readMs: t1 - t0, ms: performance.now() - t1, threads }
}

async function ceiling(batch: MessageBatch, brokers: string[], prefix: string, sizes: number[]): Promise<CeilingFigures[]> {
  // The producer `conclude run` has (ProcessProducer installs it): stock kafkajs's encoder would
  // make a lower ceiling than the run itself can reach.
  installRecordBatchEncoder()
  const kafka = new Kafka({ clientId: `conclude-bench-ceiling-${process.pid}`, brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 } })
  const topics = conclusionTopics(prefix)
  const admin = kafka.admin()
  await admin.connect()
  // Created up front, as `conclude run` does (ensureTopics), so that no size pays for it.
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic })), waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: keyPartitioner, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 } })
  await producer.connect()
  const out: CeilingFigures[] = []
  const headers = pidHeaders()
  try {
    for (const requestBytes of sizes) {
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      // Built inside the timing: conclude run builds its requests per batch too.
      const requests = produceRequests(batch, topics, headers, new Map(), requestBytes)
      for (const topicMessages of requests) await producer.sendBatch({ topicMessages, acks: -1 })
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      out.push({ requestBytes, messages: count(batch), requests: requests.length, ms, messagesPerSecond: count(batch) / (ms / 1e3), cpuMs: (cpu.user + cpu.system) / 1e3 })
    }
  } finally {
    await producer.disconnect()
  }
  return out
}

const [mode, file, outFile, categories, brokers, prefix, sizes] = process.argv.slice(2)
if (!file || !outFile || (mode !== 'engine' && mode !== 'kafkajs')) {
  console.error('usage: pipeline-child.ts engine|kafkajs FILE OUT.json [CATEGORIES [BROKERS TOPIC_PREFIX REQUEST_BYTES,...]]')
  process.exit(2)
}
const made = messagesOf(file, categories === 'all' ? undefined : categories)
if (mode === 'engine') {
  writeFileSync(outFile, JSON.stringify({ readMs: made.readMs, ms: made.ms, messages: count(made.batch), bytes: made.batch.data.length, threads: made.threads } satisfies EngineFigures))
} else {
  const rows = await ceiling(made.batch, brokers!.split(','), prefix!, sizes!.split(',').map(Number))
  writeFileSync(outFile, JSON.stringify(rows))
}
