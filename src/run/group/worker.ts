// A consumer-group worker of `conclude run --source kafka`: its own kafkajs
// consumer (a member of --group) and its own producer, both created here, in
// this process, after it exists. Each input message is one batch; its
// conclusions are produced and acknowledged before its offset is committed
// (at least once), or produced together with the offset in one Kafka
// transaction (--exactly-once). Input that cannot be analysed goes to the
// dead-letter topic and is committed like any other.
import { debuglog } from 'node:util'

import type { Consumer, KafkaMessage, TopicMessages } from 'kafkajs'

import { analyzeToMessages, type AnalyzeOptions } from '../../../index.js'
import { CATEGORIES, type Category } from '../../conclusions.js'
import { withDeadline } from '../../deadline.js'
import { closeProcessProducer, KafkaError, processProducer, type ProcessProducer } from '../../kafka/producer.js'
import { installReadCommittedFix } from '../../kafka/read-committed.js'
import { beforeGroupJoin } from '../../kafka/rejoin.js'
import { MessageTooLargeError, pidHeaders, produceRequests } from '../../kafka/requests.js'
import { conclusionTopics } from '../../kafka/topics.js'
import { exitAfter, serveWorker, tellPrimary, wire } from '../worker-side.js'
import { Lane, type LaneSteps } from './lane.js'
import { workerMetrics } from './metrics.js'
import type { FromGroupWorker, GroupWorkerConfig, ToGroupWorker } from './protocol.js'

/** NODE_DEBUG=conclude: one stderr line per transaction step, join and offset wait (debugging exactly once). */
const debug = debuglog('conclude')
function trace(what: string): void {
  if (debug.enabled) debug('%s %s', new Date().toISOString(), what)
}

const send: (message: FromGroupWorker) => void = tellPrimary

const EMPTY = Buffer.alloc(0)
/** Bytes one fetch may bring per partition and in all: several large batches of several partitions. */
const FETCH_MAX_BYTES_PER_PARTITION = 16 << 20
const FETCH_MAX_BYTES = 64 << 20
const metrics = workerMetrics()
let config: GroupWorkerConfig
/** The analysis options of every batch: the run's, with this worker's engine threads. */
let analysis: AnalyzeOptions
let topics: Record<Category, string>
let producer: ProcessProducer
let consumer: Consumer | undefined
let stopping: Promise<void> | undefined
/** Offsets committed in a transaction and not yet seen by an offset fetch, per partition. */
const unstable = new Map<number, bigint>()

/** A kafkajs error that means "the group is rebalancing": kafkajs rejoins when it sees one. */
function isRebalance(e: unknown): boolean {
  const type = (e as { type?: string })?.type
  if (type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID') return true
  const cause = (e as { cause?: unknown })?.cause
  return cause !== undefined && isRebalance(cause)
}

/** The kafkajs error underneath (the one with a `type`), which kafkajs's runner recognises and rejoins on. */
function rebalanceCause(e: unknown): unknown {
  if ((e as { type?: string })?.type) return e
  const cause = (e as { cause?: unknown })?.cause
  return cause === undefined ? e : rebalanceCause(cause)
}

/** The broker fenced this producer: its epoch was bumped (a timed-out transaction aborted, or a newer producer). */
function isFenced(e: unknown): boolean {
  const type = (e as { type?: string })?.type
  if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') return true
  const cause = (e as { cause?: unknown; originalError?: unknown })?.cause ?? (e as { originalError?: unknown })?.originalError
  return cause !== undefined && cause !== e && isFenced(cause)
}

/** Raised before a transaction's commit when this member no longer belongs to the group. */
class NotAMember extends Error {
  constructor(cause: unknown) {
    super(`no longer a member of the group (${(cause as Error)?.message ?? cause}): transaction aborted`, { cause })
  }
}

/** The dead letter of a message that could not be analysed: its bytes, the error and where it came from. */
function deadLetter(topic: string, partition: number, message: KafkaMessage, e: unknown): TopicMessages {
  const err = e as { message?: string; code?: string; line?: number; column?: number }
  const headers: Record<string, string> = {
    ...pidHeaders(),
    'content-type': 'application/octet-stream',
    'conclude-error-code': err?.code ?? 'ERR_CONCLUDE_UNKNOWN',
    'conclude-error-message': err?.message ?? String(e),
    'conclude-source-topic': topic,
    'conclude-source-partition': String(partition),
    'conclude-source-offset': message.offset,
  }
  if (err?.line !== undefined) headers['conclude-error-line'] = String(err.line)
  if (err?.column !== undefined) headers['conclude-error-column'] = String(err.column)
  return { topic: config.deadLetterTopic, messages: [{ key: message.key, value: message.value ?? EMPTY, headers }] }
}

/** One input message analysed: its produce requests (conclusions, or its dead letter). */
interface Analysed {
  started: number
  requests: TopicMessages[][]
  counts: number[]
  dead: boolean
}

/** Analyses one input message on the engine's pool. Never rejects: input that fails becomes a dead letter. */
async function analyse(topic: string, partition: number, message: KafkaMessage, limits: Map<string, number>): Promise<Analysed> {
  const started = performance.now()
  try {
    const batch = await analyzeToMessages(message.value ?? EMPTY, { batch: `${topic}/${partition}/${message.offset}` }, analysis)
    return { started, requests: produceRequests(batch, topics, pidHeaders(), limits), counts: batch.counts, dead: false }
  } catch (e) {
    // Analysis is deterministic, and so is a conclusion too large for its topic: the same bytes
    // would fail again. Park them, keep going.
    metrics.errors.inc({ kind: e instanceof MessageTooLargeError ? 'size' : 'parse' })
    return { started, requests: [[deadLetter(topic, partition, message, e)]], counts: [0, 0, 0, 0], dead: true }
  }
}

/** Delivers one analysed input message (conclusions or dead letter) and then commits its offset. */
async function handle(topic: string, partition: number, message: KafkaMessage, analysed: Analysed, highWatermark: string, heartbeat: () => Promise<void>): Promise<void> {
  const { started, requests, counts, dead } = analysed
  const next = BigInt(message.offset) + 1n
  const offsets = [{ topic, partition, offset: String(next) }]
  if (config.exactlyOnce) {
    try {
      // kafkajs's TxnOffsetCommit (v1) carries no group generation (KIP-447), so the
      // broker would accept our offsets even after the partition moved to another
      // member. A heartbeat just before the commit stands in for that fence: a
      // member that was paused past its session (a zombie) learns it is out and aborts.
      const stillMember = async () => {
        await heartbeat().catch((e) => {
          throw new NotAMember(e)
        })
      }
      trace(`txn-begin p${partition} o${message.offset}`)
      await producer.transact(requests, { consumerGroupId: config.group, topics: [{ topic, partitions: [{ partition, offset: String(next) }] }] }, stillMember)
      trace(`txn-committed p${partition} o${message.offset}`)
    } catch (e) {
      trace(`txn-failed p${partition} o${message.offset}: ${(e as Error).message}`)
      if (isFenced(e)) {
        // The broker aborted this transaction (open past --transaction-timeout, e.g. while this
        // process was paused) and bumped the producer epoch: nothing of it is committed.
        process.stderr.write(
          `conclude: worker ${process.pid}: commit of ${topic}/${partition}/${message.offset} refused, the broker had aborted its transaction (fenced): ` +
            `nothing of it committed; restarting from the committed offsets\n`,
        )
      }
      metrics.errors.inc({ kind: isRebalance(e) ? 'rebalance' : 'transaction' })
      throw e
    }
    unstable.set(partition, next)
  } else {
    // Messages of this batch that may be written, told to the primary before each request goes
    // out: if the batch is not committed, its next owner sends them again (at least once).
    let mayHaveWritten = 0
    try {
      for (const r of requests) {
        mayHaveWritten += r.reduce((n, t) => n + t.messages.length, 0)
        send({ type: 'sending', partition, offset: message.offset, messages: mayHaveWritten })
        await producer.send(r)
      }
    } catch (e) {
      metrics.errors.inc({ kind: 'deliver' })
      send({ type: 'uncommitted', partition, offset: message.offset, messages: mayHaveWritten })
      throw e
    }
    const brokers = config.brokers.join(',')
    try {
      await withDeadline('kafka offset commit to', brokers, config.commitTimeoutMs, () => consumer!.commitOffsets(offsets))
    } catch (e) {
      metrics.errors.inc({ kind: isRebalance(e) ? 'rebalance' : 'commit' })
      // Delivered but not committed: whoever owns the partition next does it again (at least once).
      send({ type: 'uncommitted', partition, offset: message.offset, messages: mayHaveWritten })
      if (isRebalance(e)) throw e
      throw new KafkaError('commit', config.brokers, e)
    }
  }
  metrics.batches.inc({ outcome: dead ? 'dead_letter' : 'ok' })
  if (dead) metrics.deadLetters.inc()
  counts.forEach((n, i) => n && metrics.conclusions.inc({ category: CATEGORIES[i]! }, n))
  metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(highWatermark) - next)))
  metrics.seconds.observe((performance.now() - started) / 1000)
  send({ type: 'batch', partition, offset: message.offset, counts, deadLetter: dead })
}

/**
 * Waits until the group's offsets committed by our transactions are visible to
 * an offset fetch. kafkajs's OffsetFetch has no require_stable (KIP-447): a
 * member that takes a partition over while our commit marker is still being
 * written would read the previous offset and process the batch again. Called
 * before this member can rejoin or leave the group, so the next owner reads
 * stable offsets. Bounded by the commit deadline.
 */
async function awaitStableOffsets(): Promise<void> {
  if (!config.exactlyOnce || unstable.size === 0) return
  const admin = producer.client().admin()
  const brokers = config.brokers.join(',')
  trace(`stable-wait ${[...unstable].map(([p, o]) => `p${p}:${o}`).join(',')}`)
  try {
    await withDeadline('kafka offset fetch from', brokers, config.commitTimeoutMs, async (signal) => {
      await admin.connect()
      while (!signal.aborted && unstable.size > 0) {
        const [fetched] = await admin.fetchOffsets({ groupId: config.group, topics: [config.topic] })
        for (const p of fetched?.partitions ?? []) {
          const want = unstable.get(p.partition)
          if (want !== undefined && BigInt(p.offset) >= want) unstable.delete(p.partition)
        }
        if (unstable.size > 0) await new Promise((r) => setTimeout(r, 20))
      }
    })
  } catch (e) {
    metrics.errors.inc({ kind: 'commit' })
    process.stderr.write(`conclude: worker ${process.pid}: committed offsets not yet visible: ${(e as Error).message}\n`)
  } finally {
    trace(`stable-done left ${unstable.size}`)
    await withDeadline('kafka disconnect from', brokers, 2_000, () => admin.disconnect()).catch(() => {})
  }
}

async function start(c: GroupWorkerConfig, threads: number): Promise<void> {
  config = c
  analysis = { ...c.analysis, threads }
  // Before this process's consumer fetches anything: kafkajs's read_committed filter can let aborted records through.
  installReadCommittedFix()
  beforeGroupJoin(drainLanes)
  topics = conclusionTopics(c.topicPrefix)
  const brokers = c.brokers.join(',')
  producer = processProducer({
    brokers: c.brokers,
    compression: c.compression,
    connectTimeoutMs: c.connectTimeoutMs,
    sendTimeoutMs: c.sendTimeoutMs,
    transactionalId: c.exactlyOnce ? c.transactionalId : undefined,
    transactionTimeoutMs: c.transactionTimeoutMs,
  })
  // Same client settings (brokers, timeouts, retries) as the producer; kafkajs gives each its own connections.
  const cons = producer.client().consumer({
    groupId: c.group,
    sessionTimeout: c.sessionTimeoutMs,
    heartbeatInterval: c.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(c.sessionTimeoutMs, c.sendTimeoutMs + c.commitTimeoutMs),
    maxWaitTimeInMs: 500,
    // A fetch returns at most one message larger than maxBytesPerPartition (kafkajs's default is
    // 1 MiB; a batch of 100 k points is 6 MB), and kafkajs fetches again only once every batch of
    // the last fetch is processed: with the defaults, one message per fetch, partitions in turn.
    maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    maxBytes: FETCH_MAX_BYTES,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  })
  consumer = cons
  cons.on(cons.events.GROUP_JOIN, (e) => {
    const partitions = (e.payload.memberAssignment[c.topic] ?? []).slice().sort((a, b) => a - b)
    metrics.lag.reset()
    metrics.assigned.set(partitions.length)
    trace(`joined member ${e.payload.memberId} partitions [${partitions.join(',')}]`)
    send({ type: 'joined', partitions })
  })
  cons.on(cons.events.CRASH, (e) => {
    metrics.errors.inc({ kind: 'consumer' })
    // Say why: a setting the broker refuses (e.g. a session timeout below group.min.session.timeout.ms) crashes every join.
    process.stderr.write(`conclude: worker ${process.pid}: consumer crashed: ${e.payload.error?.message}${e.payload.restart ? '; kafkajs restarts it' : ''}\n`)
    if (!e.payload.restart) fatal(e.payload.error)
  })
  try {
    await withDeadline('kafka connect to', brokers, c.connectTimeoutMs, () => cons.connect())
  } catch (e) {
    return fatal(e instanceof KafkaError ? e : new KafkaError('connect', c.brokers, e))
  }
  try {
    await withDeadline(`kafka subscribe to ${c.topic} on`, brokers, c.connectTimeoutMs, () =>
      cons.subscribe({ topics: [c.topic], fromBeginning: c.fromBeginning }),
    )
  } catch (e) {
    return fatal(new KafkaError('subscribe', c.brokers, e, `topic ${JSON.stringify(c.topic)}`))
  }
  await cons.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: c.exactlyOnce ? 1 : c.partitionsConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      trace(`batch p${batch.partition} first ${batch.firstOffset()} n ${batch.messages.length}`)
      const fetchedIn = generation
      // A delivery of an earlier batch failed on a rebalance: kafkajs rejoins when it sees the error.
      for (const lane of lanes.values()) if (lane.stopped) throw rebalanceCause(lane.stopped.error)
      // Each topic's max.message.bytes (read once per producer); a failure here is the broker's, not the batch's.
      let limits: Map<string, number>
      try {
        limits = await producer.ensureTopics([...Object.values(topics), config.deadLetterTopic])
      } catch (e) {
        return fatal(e)
      }
      let lane = lanes.get(batch.partition)
      if (!lane) lanes.set(batch.partition, (lane = new Lane(laneSteps)))
      for (const message of batch.messages) {
        // A drain came while this call waited: the batch is the previous generation's (no resolveOffset either).
        if (!isRunning() || isStale() || stopping || fetchedIn !== generation) break
        lane.add({ topic: batch.topic, partition: batch.partition, message, limits, highWatermark: batch.highWatermark, heartbeat, isRunning, isStale, generation: fetchedIn })
        // kafkajs's next fetch of the partition starts after it; the commit waits for its delivery.
        resolveOffset(message.offset)
      }
      // At least once: return while the last message is analysed, so that kafkajs fetches the next
      // ones meanwhile (it fetches only once every batch of a fetch has returned). Exactly once:
      // the batch's transactions end first, one partition at a time, one transaction at a time.
      await (config.exactlyOnce ? lane.settled() : lane.analysedDownTo(1))
      if (lane.stopped) throw rebalanceCause(lane.stopped.error)
    },
  })
}

/** One input message of a lane, with what its delivery needs from its kafkajs batch. */
interface Queued {
  topic: string
  partition: number
  message: KafkaMessage
  limits: Map<string, number>
  highWatermark: string
  heartbeat: () => Promise<void>
  isRunning: () => boolean
  isStale: () => boolean
  /** The lanes' generation when its batch came: a message fetched before the lanes last drained is not delivered after. */
  generation: number
}

/** This member's partitions' lanes: filled by eachBatch, drained before it rejoins or leaves the group. */
const lanes = new Map<number, Lane<Queued, Analysed>>()

/** A heartbeat that failed after its message was delivered and committed. */
class HeartbeatFailed extends Error {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause })
  }
}

const laneSteps: LaneSteps<Queued, Analysed> = {
  analyse: (q) => analyse(q.topic, q.partition, q.message, q.limits),
  deliver: async (q, analysed) => {
    await handle(q.topic, q.partition, q.message, analysed, q.highWatermark, q.heartbeat)
    await q.heartbeat().catch((e) => {
      throw new HeartbeatFailed(e)
    })
  },
  live: (q) => q.isRunning() && !q.isStale() && !stopping && q.generation === generation,
  failed: (q, e) => {
    if (!isRebalance(e)) return fatal(e)
    process.stderr.write(`conclude: worker ${process.pid}: ${(e as Error).message}; rejoining the group\n`)
    // The partition's position is past the messages still queued, which the lane now skips: fetch
    // them again from the first one not committed. That batch brings the error to kafkajs, which
    // rejoins, unless its own heartbeat saw the rebalance first (the rejoin then reads the
    // committed offsets, the same place).
    const resume = e instanceof HeartbeatFailed ? BigInt(q.message.offset) + 1n : BigInt(q.message.offset)
    try {
      consumer?.seek({ topic: q.topic, partition: q.partition, offset: String(resume) })
    } catch {}
  },
}

/**
 * Counts the drains. Messages queued before one are skipped once it begins, also those of an
 * eachBatch call that kafkajs left running across its rejoin: whoever owns the partition next
 * fetches them again from the committed offset.
 */
let generation = 0

/**
 * Lets every lane finish the analysis and delivery in flight (each delivery bounded by the send
 * and commit deadlines) and skip the rest; under --exactly-once, waits for our committed offsets
 * to be visible; then forgets the lanes. Run before this member rejoins (a rebalance) or leaves
 * (stopping) its group.
 */
async function drainLanes(): Promise<void> {
  generation++
  await withDeadline('kafka deliveries to', config.brokers.join(','), config.sendTimeoutMs + config.commitTimeoutMs, () =>
    Promise.all([...lanes.values()].map((l) => l.settled())),
  ).catch((e) => process.stderr.write(`conclude: worker ${process.pid}: ${(e as Error).message}\n`))
  lanes.clear()
  await awaitStableOffsets()
}

/** Leaves the group (finishing the batch in flight), closes the producer, exits. */
function stop(code: number, error?: unknown): Promise<void> {
  stopping ??= (async () => {
    let wireError = error === undefined ? undefined : wire(error)
    try {
      // Before kafkajs stops: once it does, its commitOffsets returns without committing.
      await drainLanes()
      await withDeadline('kafka leave group on', config.brokers.join(','), config.commitTimeoutMs + config.sendTimeoutMs, () => consumer?.disconnect() ?? Promise.resolve())
      await closeProcessProducer()
    } catch (e) {
      wireError ??= wire(e)
    }
    exitAfter({ type: 'drained', error: wireError } satisfies FromGroupWorker, code)
  })()
  return stopping
}

/** A failure this worker cannot recover from: say so, leave the group, exit non-zero (the primary restarts it). */
function fatal(e: unknown): void {
  process.stderr.write(`conclude: worker ${process.pid}: ${(e as Error)?.message ?? e}\n`)
  send({ type: 'fatal', error: wire(e) })
  void stop(3, e)
}

serveWorker<GroupWorkerConfig, ToGroupWorker>({
  start: (c, threads) => void start(c, threads).catch(fatal),
  message: (m) => void metrics.registry.getMetricsAsJSON().then((data) => send({ type: 'metrics', id: m.id, metrics: data })),
  // If the primary goes away, finish the batch in flight and leave the group.
  drain: () => void stop(0),
  // The primary coordinates shutdown (a terminal's Ctrl-C reaches the whole process group).
  ignore: ['SIGTERM'],
})
