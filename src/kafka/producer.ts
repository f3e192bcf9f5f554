// One Kafka producer per process, created lazily inside the process that
// publishes, keyed by the pid that created it: the fix of the incident this
// project started from (a client created before fork() whose threads did not
// exist in the children, so flush() waited forever). A producer found under
// another pid is discarded, never used. Every network wait has a deadline.
import type { ConfigResourceTypes, Offsets, Producer, TopicMessages } from 'kafkajs'

import { DeadlineError, withDeadline } from '../deadline.js'
import { CompressionTypes, Kafka } from './kafkajs.js'
import { KAFKA_LOG } from './log.js'
import { keyPartitioner } from './partitioner.js'
import { installRecordBatchEncoder } from './record-batch.js'

export type Compression = 'none' | 'gzip'

export interface ProducerConfig {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[]
  clientId?: string
  compression?: Compression
  /** Deadline of connect(), ms. */
  connectTimeoutMs?: number
  /** Deadline of one send (all retries included), ms: the time to an acknowledgement. */
  sendTimeoutMs?: number
  /** Deadline of disconnect(), ms (kafkajs can hang here with requests in flight). */
  disconnectTimeoutMs?: number
  /**
   * Makes the producer transactional (consume-transform-produce, `--exactly-once`):
   * sends go through `transact`, never `send`. Stable per worker slot, so a
   * restarted slot fences the producer of the process it replaces.
   */
  transactionalId?: string
  /** The broker aborts a transaction left open this long (its producer died), ms. */
  transactionTimeoutMs?: number
}

export const PRODUCER_DEFAULTS = {
  clientId: 'conclude',
  compression: 'none' as Compression,
  connectTimeoutMs: 10_000,
  sendTimeoutMs: 30_000,
  disconnectTimeoutMs: 5_000,
  transactionalId: '',
  transactionTimeoutMs: 15_000,
}

/** The topic setting that bounds one record batch, and the broker's default for it (message.max.bytes). */
export const MAX_MESSAGE_BYTES = 'max.message.bytes'
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
/** ConfigResourceTypes.TOPIC (kafkajs's enum is not visible to ESM importers of its CommonJS). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes

/** A Kafka operation that failed: names the operation and the brokers. */
export class KafkaError extends Error {
  readonly code: string
  constructor(
    readonly operation: 'connect' | 'subscribe' | 'send' | 'disconnect' | 'transaction' | 'commit' | 'describe broker configs' | 'list topics',
    readonly brokers: string[],
    cause: unknown,
    /** What the operation was on, when not just the brokers (`topic "t"`). */
    on?: string,
  ) {
    const timedOut = cause instanceof DeadlineError
    const reason = timedOut ? `no answer within ${(cause as DeadlineError).ms} ms` : describe(cause)
    super(`kafka ${operation} to ${on ? `${on} on ` : ''}${brokers.join(',')} failed: ${reason}`, { cause })
    this.name = 'KafkaError'
    this.code = timedOut ? 'ERR_CONCLUDE_KAFKA_TIMEOUT' : 'ERR_CONCLUDE_KAFKA'
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const inner = (e as any).originalError ?? (e as any).cause
    return inner instanceof Error && inner.message !== e.message ? `${e.message} (${inner.message})` : e.message
  }
  return String(e)
}

const COMPRESSION: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
}

/** The process's producer: connected lazily, resets itself after an indefinite failure. */
export class ProcessProducer {
  readonly pid: number
  readonly config: Required<ProducerConfig>
  private producer: Producer | undefined
  private connecting: Promise<Producer> | undefined
  private kafka: Kafka | undefined
  /** Topics known to exist with a leader for every partition, with their max.message.bytes. */
  private readonly readyTopics = new Map<string, number>()
  /** Producers this object created (a reconnect after a failure counts). */
  created = 0
  /** Messages acknowledged by the brokers. */
  acknowledged = 0

  constructor(config: ProducerConfig, pid: number) {
    if (!config.brokers?.length) throw new Error('a Kafka producer needs at least one broker address')
    this.config = { ...PRODUCER_DEFAULTS, ...config } as Required<ProducerConfig>
    this.pid = pid
  }

  /** The process's kafkajs client (a consumer made from it shares its connections and offset cache). */
  client(): Kafka {
    const c = this.config
    this.kafka ??= new Kafka({
      clientId: `${c.clientId}-${this.pid}`,
      brokers: c.brokers,
      connectionTimeout: Math.min(3_000, c.connectTimeoutMs),
      requestTimeout: Math.min(30_000, c.sendTimeoutMs),
      // Retries stay inside our own deadlines; kafkajs' own defaults reach 30 s per step.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
      ...KAFKA_LOG,
    })
    return this.kafka
  }

  private create(): Producer {
    this.created++
    // kafkajs's produce requests, encoded in one pass (the same bytes): src/kafka/record-batch.ts.
    installRecordBatchEncoder()
    const { transactionalId, transactionTimeoutMs } = this.config
    return this.client().producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: keyPartitioner,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
      ...(transactionalId ? { transactionalId, transactionTimeout: transactionTimeoutMs } : {}),
    })
  }

  private async connected(): Promise<Producer> {
    if (this.producer) return this.producer
    this.connecting ??= (async () => {
      const p = this.create()
      try {
        await withDeadline('kafka connect to', this.config.brokers.join(','), this.config.connectTimeoutMs, () => p.connect())
      } catch (e) {
        void this.abandon(p)
        throw new KafkaError('connect', this.config.brokers, e)
      }
      this.producer = p
      return p
    })().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  /**
   * Makes sure the topics exist and every partition has a leader before the
   * first send to them. Producing into a topic that auto-creation is still
   * setting up fails with NOT_LEADER on some partitions; kafkajs then retries
   * the whole batch and, with new sequence numbers, writes the partitions that
   * had succeeded twice. Creating them first (concurrent creators are fine)
   * avoids that. Also reads each topic's max.message.bytes (once per topic
   * and producer), which bounds every record batch sent to it. Bounded by the
   * connect deadline.
   */
  async ensureTopics(topics: string[]): Promise<Map<string, number>> {
    const missing = [...new Set(topics)].filter((t) => !this.readyTopics.has(t))
    if (missing.length === 0) return this.readyTopics
    const limits = new Map<string, number>()
    const admin = this.client().admin()
    const brokers = this.config.brokers.join(',')
    try {
      await withDeadline('kafka topic setup on', brokers, this.config.connectTimeoutMs, async (signal) => {
        await admin.connect()
        await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true }).catch((e) => {
          // Another worker may have created them a moment earlier.
          // Or it is being created and its metadata lags (waitForLeaders gave up): the polls below wait for it.
          const settling = (x: any): boolean =>
            ['TOPIC_ALREADY_EXISTS', 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE'].includes(x?.type) || (x?.originalError !== undefined && settling(x.originalError))
          if (!(settling(e) || (Array.isArray(e?.errors) && e.errors.every(settling)))) throw e
        })
        while (!signal.aborted) {
          // A topic another worker created a moment ago can still answer "does not host this
          // topic-partition": not yet, ask again (within the deadline).
          const meta = await admin.fetchTopicMetadata({ topics: missing }).then(
            (m) => m.topics,
            () => undefined,
          )
          if (meta?.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break
          await new Promise((r) => setTimeout(r, 100))
        }
        // A leader in the metadata is not yet a partition its broker serves: listing
        // offsets asks every leader itself, and succeeds only once each really hosts it.
        for (const topic of missing) {
          while (!signal.aborted) {
            const ok = await admin.fetchTopicOffsets(topic).then(
              () => true,
              () => false,
            )
            if (ok) break
            await new Promise((r) => setTimeout(r, 100))
          }
        }
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: missing.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [MAX_MESSAGE_BYTES] })),
        })
        for (const r of resources) {
          const v = Number(r.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES)?.configValue)
          limits.set(r.resourceName, Number.isFinite(v) && v > 0 ? v : DEFAULT_MAX_MESSAGE_BYTES)
        }
      })
    } catch (e) {
      throw new KafkaError('connect', this.config.brokers, e)
    } finally {
      void withDeadline('kafka disconnect from', brokers, this.config.disconnectTimeoutMs, () => admin.disconnect()).catch(() => {})
    }
    for (const t of missing) this.readyTopics.set(t, limits.get(t) ?? DEFAULT_MAX_MESSAGE_BYTES)
    return this.readyTopics
  }

  /** Sends and resolves once every message is acknowledged by all in-sync replicas. */
  /**
   * Gets ready ahead of the first send: the topics made sure of and the producer connected, so
   * that a worker does it while its first unit is still being made. Never rejects: what fails
   * here fails again, and is reported, on the send that needs it.
   */
  async prepare(topics: string[]): Promise<void> {
    try {
      await this.ensureTopics(topics)
      await this.connected()
    } catch {
      // Reported by the first send, which tries again.
    }
  }

  async send(topicMessages: TopicMessages[]): Promise<void> {
    await this.ensureTopics(topicMessages.map((t) => t.topic))
    const p = await this.connected()
    try {
      await withDeadline('kafka send to', this.config.brokers.join(','), this.config.sendTimeoutMs, () =>
        p.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.config.compression] }),
      )
    } catch (e) {
      // An indefinite failure (a timeout) leaves the idempotent producer's
      // sequence state unknown: start again with a new one (Jepsen's advice).
      if (this.producer === p) this.producer = undefined
      void this.abandon(p)
      throw new KafkaError('send', this.config.brokers, e)
    }
    for (const t of topicMessages) this.acknowledged += t.messages.length
  }

  /**
   * One Kafka transaction: every request of `requests`, then the consumer
   * offsets, then commit; resolves once the commit is acknowledged. On any
   * failure the transaction is aborted (bounded) and the producer replaced: a
   * new one with the same transactionalId fences the old and aborts whatever
   * it left open. The whole transaction is bounded by the send deadline.
   * `beforeCommit` runs last before the commit: a rejection aborts instead
   * (the consumer checks there that it still belongs to its group).
   */
  async transact(requests: TopicMessages[][], offsets: Offsets & { consumerGroupId: string }, beforeCommit?: () => Promise<void>): Promise<void> {
    if (!this.config.transactionalId) throw new Error('transact() needs a producer created with a transactionalId')
    await this.ensureTopics([...new Set(requests.flatMap((r) => r.map((t) => t.topic)))])
    const p = await this.connected()
    const brokers = this.config.brokers.join(',')
    let stage: 'transaction' | 'commit' = 'transaction'
    try {
      await withDeadline('kafka transaction on', brokers, this.config.sendTimeoutMs, async () => {
        const txn = await p.transaction()
        try {
          for (const topicMessages of requests) {
            await txn.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.config.compression] })
          }
          await txn.sendOffsets(offsets)
          await beforeCommit?.()
          stage = 'commit'
          await txn.commit()
        } catch (e) {
          if (txn.isActive()) await withDeadline('kafka abort on', brokers, this.config.disconnectTimeoutMs, () => txn.abort()).catch(() => {})
          throw e
        }
      })
    } catch (e) {
      if (this.producer === p) this.producer = undefined
      void this.abandon(p)
      throw new KafkaError(stage, this.config.brokers, e)
    }
    for (const r of requests) for (const t of r) this.acknowledged += t.messages.length
  }

  /** Disconnects within the deadline; never hangs. */
  async close(): Promise<void> {
    const p = this.producer
    this.producer = undefined
    if (!p) return
    try {
      await withDeadline('kafka disconnect from', this.config.brokers.join(','), this.config.disconnectTimeoutMs, () => p.disconnect())
    } catch (e) {
      throw new KafkaError('disconnect', this.config.brokers, e)
    }
  }

  private async abandon(p: Producer): Promise<void> {
    await withDeadline('kafka disconnect from', '', this.config.disconnectTimeoutMs, () => p.disconnect()).catch(() => {})
  }
}

let current: ProcessProducer | undefined

/**
 * This process's producer, created on first use. A producer that another
 * process created (its pid differs from ours) is dropped and replaced: its
 * connections and state belong to that process.
 */
export function processProducer(config: ProducerConfig, pid: number = process.pid): ProcessProducer {
  if (current && current.pid !== pid) {
    current = undefined
  }
  current ??= new ProcessProducer(config, pid)
  return current
}

/** Closes this process's producer, if it has one. */
export async function closeProcessProducer(): Promise<void> {
  const p = current
  current = undefined
  await p?.close()
}

/** This process's producer if it has created one (the primary never does). */
export function currentProcessProducer(pid: number = process.pid): ProcessProducer | undefined {
  return current?.pid === pid ? current : undefined
}
