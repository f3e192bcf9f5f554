// The broker settings `run --exactly-once` depends on, read from the brokers
// themselves (DescribeConfigs, resource type BROKER), and the rule they must
// satisfy together with the consumer's session and the producer's transaction
// timeout.
//
// Why a rule: kafkajs 2.2.4 sends TxnOffsetCommit without the member id and
// generation (no KIP-447), so the group coordinator accepts a transaction's
// offsets from a member that lost its partitions while paused (a zombie). What
// fences such a member is the transaction coordinator: every
// `transaction.abort.timed.out.transaction.cleanup.interval.ms` it aborts the
// transactions that have been open (since their first AddPartitionsToTxn /
// AddOffsetsToTxn) longer than their timeout, bumping the producer epoch, so
// the zombie's EndTxn is refused when it resumes. The new owner of the
// partition can fetch its offset only after the zombie's session expired, at
// least `session` after its last successful heartbeat; conclude checks
// membership with a heartbeat before each commit, and kafkajs sends it only
// when the last one is older than the heartbeat interval, so that last
// heartbeat is at most one interval older than the transaction's start. Hence:
// a transaction still open when the zombie froze is aborted before anyone else
// can read the offset it holds iff
//     transactionTimeout + cleanupInterval <= session - heartbeatInterval  (0.8 x session).
import type { Admin, ConfigResourceTypes } from 'kafkajs'

import { withDeadline } from '../deadline.js'
import { Kafka } from './kafkajs.js'
import { KAFKA_LOG } from './log.js'
import { KafkaError } from './producer.js'

export const CLEANUP_INTERVAL = 'transaction.abort.timed.out.transaction.cleanup.interval.ms'
export const MAX_TIMEOUT = 'transaction.max.timeout.ms'
/** ConfigResourceTypes.BROKER (kafkajs's enum is not visible to ESM importers of its CommonJS). */
const BROKER_RESOURCE = 4 as ConfigResourceTypes

/** The transaction settings of one broker (every broker can coordinate some transactionalIds). */
export interface BrokerTransactionConfig {
  /** `<node id>@<host>:<port>` */
  broker: string
  cleanupIntervalMs: number
  maxTimeoutMs: number
}

/**
 * Reads the transaction settings of every broker of the cluster, within
 * `deadlineMs`. Connects a short-lived admin client and disconnects it before
 * returning (the primary calls this before it forks any worker).
 */
export async function brokerTransactionConfigs(brokers: string[], deadlineMs: number): Promise<BrokerTransactionConfig[]> {
  return withShortLivedAdmin(brokers, deadlineMs, 'describe broker configs', async (admin) => {
    const cluster = await admin.describeCluster()
    const names = new Map(cluster.brokers.map((b) => [String(b.nodeId), `${b.nodeId}@${b.host}:${b.port}`]))
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [...names.keys()].map((name) => ({ type: BROKER_RESOURCE, name, configNames: [CLEANUP_INTERVAL, MAX_TIMEOUT] })),
    })
    return resources.map((r) => {
      const broker = names.get(r.resourceName) ?? r.resourceName
      if (r.errorCode) throw new Error(`broker ${broker} answered error ${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}`)
      const value = (name: string) => {
        const v = Number(r.configEntries.find((e) => e.configName === name)?.configValue)
        if (!Number.isFinite(v)) throw new Error(`broker ${broker} did not report ${name}`)
        return v
      }
      return { broker, cleanupIntervalMs: value(CLEANUP_INTERVAL), maxTimeoutMs: value(MAX_TIMEOUT) }
    })
  })
}

/**
 * Checks, before any worker starts, that the brokers answer at all: connects
 * and asks for the cluster's metadata within `deadlineMs`. A broker that was
 * never reached is a wrong address or a broker that is down, which back-off
 * retries cannot fix: the run fails at once, naming the brokers and the
 * operation. Retries are for brokers that were reached before.
 */
export async function reachBrokers(brokers: string[], deadlineMs: number): Promise<void> {
  try {
    await withShortLivedAdmin(brokers, deadlineMs, 'connect', (admin) => admin.describeCluster())
  } catch (e) {
    const err = e as KafkaError
    err.message = `${err.message} (never reached: checked before starting the workers)`
    throw err
  }
}

/** The input topic of a consumer group does not exist: no member could subscribe to it. */
export class MissingTopicError extends Error {
  readonly code = 'ERR_CONCLUDE_TOPIC_MISSING'
  constructor(
    readonly topic: string,
    readonly brokers: string[],
  ) {
    super(
      `kafka subscribe to topic ${JSON.stringify(topic)} on ${brokers.join(',')} failed: the topic does not exist ` +
        `(checked before starting the workers; create it, or correct --topic)`,
    )
    this.name = 'MissingTopicError'
  }
}

/**
 * Checks, before any worker starts, that `topic` exists: a consumer-group
 * member subscribing to a missing topic fails, and so would every restart of
 * it. Rejects with a MissingTopicError, or a KafkaError when the brokers do
 * not answer within `deadlineMs`.
 */
export async function requireTopic(brokers: string[], topic: string, deadlineMs: number): Promise<void> {
  const topics = await withShortLivedAdmin(brokers, deadlineMs, 'list topics', (admin) => admin.listTopics())
  if (!topics.includes(topic)) throw new MissingTopicError(topic, brokers)
}

/** Runs `work` on an admin client of its own, all within `deadlineMs`, and disconnects it (bounded). */
async function withShortLivedAdmin<T>(brokers: string[], deadlineMs: number, operation: KafkaError['operation'], work: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new Kafka({
    clientId: `conclude-${process.pid}-admin`,
    brokers,
    connectionTimeout: Math.min(3_000, deadlineMs),
    requestTimeout: deadlineMs,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 },
    ...KAFKA_LOG,
  })
  const admin = kafka.admin()
  const target = brokers.join(',')
  try {
    return await withDeadline(`kafka ${operation} to`, target, deadlineMs, async () => {
      await admin.connect()
      return work(admin)
    })
  } catch (e) {
    throw new KafkaError(operation, brokers, e)
  } finally {
    await withDeadline('kafka disconnect from', target, 2_000, () => admin.disconnect()).catch(() => {})
  }
}

/**
 * `run --exactly-once` defaults: they satisfy the rule against a broker with the default
 * interval (10 s): 10 000 + 10 000 <= 0.8 x 30 000. A transaction lasts from a message's first
 * produce to its commit (the analysis comes before), so 10 s is ample for one message's
 * conclusions; a longer one is aborted by the broker, and the worker restarts and redoes it.
 */
export const EOS_DEFAULTS = { sessionTimeoutMs: 30_000, transactionTimeoutMs: 10_000 }

export interface ExactlyOnceTimeouts {
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  transactionTimeoutMs: number
}

/**
 * Why these settings cannot fence a paused member, naming the values to
 * change; undefined when they can. Checked against every broker (the
 * transaction coordinator of a transactionalId can be any of them).
 */
export function exactlyOnceProblem(t: ExactlyOnceTimeouts, configs: BrokerTransactionConfig[]): string | undefined {
  const bound = t.sessionTimeoutMs - t.heartbeatIntervalMs
  for (const c of configs) {
    if (t.transactionTimeoutMs > c.maxTimeoutMs) {
      return (
        `--transaction-timeout ${t.transactionTimeoutMs} exceeds the ${MAX_TIMEOUT} (${c.maxTimeoutMs}) of broker ${c.broker}, ` +
        `which would refuse the transactional producer: lower --transaction-timeout`
      )
    }
  }
  const worst = configs.reduce<BrokerTransactionConfig | undefined>((w, c) => (!w || c.cleanupIntervalMs > w.cleanupIntervalMs ? c : w), undefined)
  if (!worst) return undefined
  if (t.transactionTimeoutMs + worst.cleanupIntervalMs <= bound) return undefined
  const maxTxn = bound - worst.cleanupIntervalMs
  // session - floor(session / 5) >= 0.8 x session >= txn + cleanup when session >= (txn + cleanup) / 0.8.
  const minSession = Math.ceil(((t.transactionTimeoutMs + worst.cleanupIntervalMs) * 5) / 4)
  return (
    `--exactly-once needs --transaction-timeout + the broker's ${CLEANUP_INTERVAL} <= 0.8 x --session-timeout ` +
    `(the session minus one heartbeat interval), so that the broker aborts a paused member's transaction before another member can take its partition over; ` +
    `got ${t.transactionTimeoutMs} + ${worst.cleanupIntervalMs} (broker ${worst.broker}) = ${t.transactionTimeoutMs + worst.cleanupIntervalMs} ms > ${bound} ms ` +
    `(--session-timeout ${t.sessionTimeoutMs}). ` +
    (maxTxn >= 1_000 ? `Lower --transaction-timeout to ${maxTxn} or less, or ` : '') +
    `raise --session-timeout to ${minSession} or more, or lower ${CLEANUP_INTERVAL} on the brokers`
  )
}
