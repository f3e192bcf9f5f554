// Test helpers around the real local broker: make sure one runs, read topics back.
import { execFile } from 'node:child_process'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { Kafka, logLevel } from 'kafkajs'

import { installReadCommittedFix } from '../../src/kafka/read-committed.js'

// Readers here are read_committed: without this, kafkajs can hand out records of aborted transactions.
installReadCommittedFix()

const run = promisify(execFile)
export const ROOT = join(import.meta.dirname, '..', '..')
export const KAFKA_SH = join(ROOT, 'scripts', 'kafka.sh')

/** The broker the tests use (started by .ci/run, or here if it is not running). */
export const BROKER = process.env.CONCLUDE_TEST_BROKERS ?? '127.0.0.1:9092'

export interface BrokerEnv {
  KAFKA_DATA_DIR?: string
  KAFKA_PORT?: string
  KAFKA_CONTROLLER_PORT?: string
}

/** `scripts/kafka.sh <command>` with a deadline. */
export async function kafkaSh(command: string, env: BrokerEnv = {}, timeoutMs = 120_000): Promise<string> {
  const { stdout, stderr } = await run('bash', [KAFKA_SH, command], { env: { ...process.env, ...env }, timeout: timeoutMs })
  return stdout + stderr
}

/** Starts the default broker unless one already answers (`start` is idempotent). */
export async function ensureBroker(): Promise<void> {
  if (process.env.CONCLUDE_TEST_BROKERS) return
  await kafkaSh('start')
}

function client(brokers: string) {
  return new Kafka({ clientId: 'conclude-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } })
}

/** Exact number of records in each topic (high minus low watermark over partitions); 0 if missing. */
export async function topicCounts(brokers: string, topics: string[]): Promise<Record<string, number>> {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const out: Record<string, number> = {}
    for (const topic of topics) {
      if (!existing.has(topic)) {
        out[topic] = 0
        continue
      }
      const offsets = await admin.fetchTopicOffsets(topic)
      out[topic] = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
    }
    return out
  } finally {
    await admin.disconnect()
  }
}

export interface Record_ {
  topic: string
  key: string
  value: any
  headers: Record<string, string>
}

/** Reads `expected` records from the topics (from the beginning), or what arrived within the deadline. */
export async function readTopics(brokers: string, topics: string[], expected: number, timeoutMs = 60_000): Promise<Record_[]> {
  const consumer = client(brokers).consumer({ groupId: `conclude-test-${process.pid}-${Date.now()}-${Math.random()}` })
  const out: Record_[] = []
  await consumer.connect()
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
    let done!: () => void
    const finished = new Promise<void>((r) => (done = r))
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
        out.push({ topic, key: message.key!.toString(), value: JSON.parse(message.value!.toString()), headers })
        if (out.length >= expected) done()
      },
    })
    if (expected === 0) done()
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))])
  } finally {
    await consumer.disconnect()
  }
  return out
}

/** A topic prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}.`
}

/** Creates topics with the given topic configs (e.g. a small max.message.bytes) and waits for their leaders. */
export async function createTopics(brokers: string, topics: string[], configs: Record<string, string> = {}, numPartitions = 1): Promise<void> {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }))
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions, configEntries })), waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** A TCP server that accepts connections and never answers: a broker that hangs. Close it when done. */
export async function silentServer(): Promise<{ address: string; close: () => void }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}
