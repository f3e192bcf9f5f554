// `conclude run <files...|->`: worker processes analyse and publish, one
// producer per worker; exit status 0 only when every unit was delivered.
import { writeFile } from 'node:fs/promises'
import { availableParallelism, hostname } from 'node:os'
import { parseArgs } from 'node:util'

import { brokerTransactionConfigs, EOS_DEFAULTS, exactlyOnceProblem } from '../kafka/broker-config.js'
import { PRODUCER_DEFAULTS } from '../kafka/producer.js'
import { conclusionTopics, validateTopic } from '../kafka/topics.js'
import { tallyTotal } from '../conclusions.js'
import { run, type RunReport } from '../run/file/primary.js'
import type { SinkSpec } from '../run/file/protocol.js'
import { runGroup, type GroupRunReport } from '../run/group/primary.js'
import { progressMode } from '../run/progress.js'
import { ANALYSIS_FLAGS, ANALYSIS_HELP, analysisOptions, bytes, int, oneOf, UsageError } from './args.js'
import { DEFAULT_MEMORY_BYTES } from '../run/input/budget.js'

export const DEFAULT_BROKERS = '127.0.0.1:9092'

export const HELP = `Usage: conclude run <files...|-> [options]
       conclude run --source kafka --topic T --group G [options]

Partitions each input by series into a spill file (bounded memory, any input
size), analyses units of whole series in --workers processes and publishes
the conclusions, each worker through its own Kafka producer. Exits 0 only when every unit's conclusions were acknowledged.

With --source kafka, every message of topic T is a batch (NDJSON or CSV) and
each of the --workers processes is a member of consumer group G, with its own
consumer and producer: run as many instances on as many hosts as you like, the
group spreads the partitions over all their workers. A batch's offset is
committed only after its conclusions are acknowledged (at least once), or in
the same Kafka transaction (--exactly-once). Runs until SIGINT/SIGTERM, then
finishes the batches in flight, commits, leaves the group and exits 0.

  --source files|kafka       where batches come from (default files)
  --topic T                  input topic (--source kafka)
  --group G                  consumer group id (--source kafka)
  --exactly-once             consume-transform-produce in Kafka transactions
  --dead-letter-topic D      where unparsable batches go (default <prefix>conclude-dead-letter)
  --from-latest              a group with no committed offset starts at the end (default: beginning)
  --instance-id ID           names this instance in transactionalIds (default <hostname>-<pid>;
                             give each host a stable one so a restart fences its predecessor)
  --session-timeout MS       consumer session: a dead worker's partitions move after it
                             (default 10000; 30000 with --exactly-once)
  --commit-timeout MS        deadline of an offset commit (default 10000)
  --transaction-timeout MS   the broker aborts a transaction left open this long, from its
                             first produce to its commit (default 15000; 10000 with --exactly-once)
  --partitions-concurrently N  partitions one worker processes at once, at least once only (default 2)
  --metrics-port P           serve /metrics (Prometheus), /ready and /healthz on port P
  --metrics-host H           address of the metrics server (default 0.0.0.0)

With --exactly-once the broker's abort of timed-out transactions is what fences
a paused worker (a zombie), so conclude reads each broker's
transaction.abort.timed.out.transaction.cleanup.interval.ms (default 10000) and
transaction.max.timeout.ms at start-up, and refuses to start unless
  --transaction-timeout + that interval <= 0.8 x --session-timeout
and --transaction-timeout <= transaction.max.timeout.ms.

  --workers N                worker processes (default: the cores)
  --sink kafka|file|stdout   where conclusions go (default kafka)
  --brokers H:P,...          bootstrap brokers (default $CONCLUDE_BROKERS or ${DEFAULT_BROKERS})
  --topic-prefix P           topics are <P><category> (default empty)
  --compression none|gzip    produce compression (default none)
  --out DIR                  folder of the file sink (NDJSON per topic)
  --unit-points N            target points per unit (default 200000)
  --memory SIZE              what all processes together should stay near (k/m/g; default 1g):
                             sizes the chunks read, the partitions and the units
  --tmp-dir DIR              where the run's spill files go (default: in memory, /dev/shm,
                             when they fit what --memory leaves beside the processes, else
                             the OS temp folder); each removed once its units are settled,
                             all at the end, on failure and on SIGINT/SIGTERM
  --attempts N               delivery attempts per unit (default 5)
  --retry-backoff MS         wait before a unit's 2nd attempt, doubled each time (default 1000)
  --connect-timeout MS       deadline of a producer connect (default ${PRODUCER_DEFAULTS.connectTimeoutMs})
  --send-timeout MS          deadline of one acknowledged send (default ${PRODUCER_DEFAULTS.sendTimeoutMs})
  --unit-timeout MS          a unit running longer gets its worker replaced (default 300000)
  --drain-timeout MS         time to finish in-flight work on exit or signal (default 30000)
  --report FILE              write the run's report as JSON
  --progress, --no-progress  progress on stderr (default on: a live line on a terminal,
                             a line every 5 s otherwise)

${ANALYSIS_HELP.replace(/^  --threads N .*$/m, '  --threads N                engine threads per worker (default: cores / workers)')}`

export function summary(r: RunReport): string {
  const lines: string[] = []
  const total = tallyTotal(r.conclusions)
  lines.push(
    `${r.ok ? 'done' : 'FAILED'}: ${r.units.delivered}/${r.units.total} units delivered, ${total} conclusions ` +
      `(${Object.entries(r.conclusions)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}) in ${(r.elapsedMs / 1000).toFixed(2)} s, ${Math.round(r.conclusionsPerSecond)}/s, ` +
      `${r.workers.length} worker process(es) x ${r.threadsPerWorker} thread(s), ${r.restarts} restart(s), ` +
      `${r.maybeDuplicated} message(s) may have been sent more than once`,
  )
  for (const f of r.files) if (f.error) lines.push(`  file failed: ${f.error}`)
  for (const f of r.files) if (f.badLines) lines.push(`  ${f.file}: ${f.badLines} bad line(s) skipped`)
  if (r.units.undelivered.length) {
    lines.push(`  undelivered units (${r.units.undelivered.length}):`)
    for (const u of r.units.undelivered.slice(0, 20)) lines.push(`    ${u.unit}: ${u.error}`)
    if (r.units.undelivered.length > 20) lines.push(`    ... and ${r.units.undelivered.length - 20} more (see --report)`)
  }
  if (r.interrupted) lines.push(r.ok ? `  ${r.interrupted} arrived after every unit was delivered: nothing was interrupted` : `  interrupted by ${r.interrupted}`)
  return lines.join('\n') + '\n'
}

function brokerList(flag: string | undefined): string[] {
  const brokers = (flag ?? process.env.CONCLUDE_BROKERS ?? DEFAULT_BROKERS).split(',').map((b) => b.trim()).filter(Boolean)
  if (!brokers.length) throw new UsageError('--brokers is empty')
  return brokers
}

export function groupSummary(r: GroupRunReport): string {
  const total = tallyTotal(r.conclusions)
  const partitions = [...new Set(r.workers.flatMap((w) => w.partitions))].sort((a, b) => a - b)
  return (
    `${r.ok ? 'done' : 'FAILED'}: group ${r.group} on ${r.topic}${r.exactlyOnce ? ' (exactly once)' : ''}: ${r.batches} batch(es) ` +
    `from partition(s) [${partitions.join(',')}], ${r.deadLetters} dead-lettered, ${total} conclusions ` +
    `(${Object.entries(r.conclusions)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}) in ${(r.elapsedMs / 1000).toFixed(2)} s, ${r.restarts} restart(s), ` +
    `${r.maybeDuplicated} message(s) may have been sent more than once` +
    (r.error ? `\n  ${r.error}` : '') +
    '\n'
  )
}

type Values = Record<string, string | boolean | undefined>

async function groupMain(v: Values, positionals: string[]): Promise<number> {
  const s = (k: string) => v[k] as string | undefined
  if (positionals.length) throw new UsageError(`--source kafka reads its batches from --topic, not from files (got ${positionals.join(' ')})`)
  if (!s('topic')) throw new UsageError('--source kafka needs --topic T (the input topic)')
  if (!s('group')) throw new UsageError('--source kafka needs --group G (the consumer group id)')
  if ((s('sink') ?? 'kafka') !== 'kafka') throw new UsageError('--source kafka publishes to Kafka only (--sink kafka)')
  const topic = validateTopic(s('topic')!)
  const topicPrefix = s('topic-prefix') ?? ''
  conclusionTopics(topicPrefix)
  const deadLetterTopic = validateTopic(s('dead-letter-topic') ?? `${topicPrefix}conclude-dead-letter`)
  const analysis = analysisOptions(v)
  const threads = analysis.threads
  delete analysis.threads
  const workers = int('workers', s('workers'), 1, 256) ?? availableParallelism()
  const exactlyOnce = v['exactly-once'] === true
  const sessionTimeoutMs = int('session-timeout', s('session-timeout'), 1_000, 600_000) ?? (exactlyOnce ? EOS_DEFAULTS.sessionTimeoutMs : 10_000)
  const heartbeatIntervalMs = Math.max(100, Math.floor(sessionTimeoutMs / 5))
  const transactionTimeoutMs =
    int('transaction-timeout', s('transaction-timeout'), 1_000) ?? (exactlyOnce ? EOS_DEFAULTS.transactionTimeoutMs : PRODUCER_DEFAULTS.transactionTimeoutMs)
  const brokers = brokerList(s('brokers'))
  const connectTimeoutMs = int('connect-timeout', s('connect-timeout'), 100) ?? PRODUCER_DEFAULTS.connectTimeoutMs
  const instanceId = s('instance-id') ?? `${hostname()}-${process.pid}`
  if (!/^[a-zA-Z0-9._-]+$/.test(instanceId)) throw new UsageError(`--instance-id may hold only ASCII letters, digits, '.', '_' and '-', got '${instanceId}'`)
  if (exactlyOnce) {
    // Only the broker can fence a paused member's transaction (see src/kafka/broker-config.ts):
    // refuse settings under which it would not, before any worker starts. A short-lived admin
    // client, disconnected before the workers are forked.
    const problem = exactlyOnceProblem({ sessionTimeoutMs, heartbeatIntervalMs, transactionTimeoutMs }, await brokerTransactionConfigs(brokers, connectTimeoutMs))
    if (problem) throw new UsageError(problem)
  }
  const report = await runGroup({
    worker: {
      brokers,
      topic,
      group: s('group')!,
      topicPrefix,
      deadLetterTopic,
      exactlyOnce,
      fromBeginning: v['from-latest'] !== true,
      compression: oneOf('compression', s('compression'), ['none', 'gzip'] as const) ?? 'none',
      connectTimeoutMs,
      sendTimeoutMs: int('send-timeout', s('send-timeout'), 100) ?? PRODUCER_DEFAULTS.sendTimeoutMs,
      commitTimeoutMs: int('commit-timeout', s('commit-timeout'), 100) ?? 10_000,
      sessionTimeoutMs,
      heartbeatIntervalMs,
      transactionTimeoutMs,
      partitionsConcurrently: int('partitions-concurrently', s('partitions-concurrently'), 1, 64) ?? 2,
      analysis,
    },
    workers,
    threads,
    instanceId,
    drainTimeoutMs: int('drain-timeout', s('drain-timeout'), 100) ?? 30_000,
    maxStartFailures: Math.max(5, workers * 3),
    progress: progressMode(!v['no-progress']),
    metricsPort: int('metrics-port', s('metrics-port'), 0, 65_535),
    metricsHost: s('metrics-host'),
    log: (line) => process.stderr.write(`conclude: ${line}\n`),
  })
  process.stderr.write(groupSummary(report))
  if (s('report')) await writeFile(s('report')!, JSON.stringify(report, null, 1))
  return report.ok ? 0 : 1
}

export async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ANALYSIS_FLAGS,
      workers: { type: 'string' },
      sink: { type: 'string' },
      brokers: { type: 'string' },
      'topic-prefix': { type: 'string' },
      compression: { type: 'string' },
      out: { type: 'string' },
      'unit-points': { type: 'string' },
      memory: { type: 'string' },
      'tmp-dir': { type: 'string' },
      attempts: { type: 'string' },
      'retry-backoff': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'send-timeout': { type: 'string' },
      'unit-timeout': { type: 'string' },
      'drain-timeout': { type: 'string' },
      report: { type: 'string' },
      progress: { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
      source: { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      'exactly-once': { type: 'boolean', default: false },
      'dead-letter-topic': { type: 'string' },
      'from-latest': { type: 'boolean', default: false },
      'instance-id': { type: 'string' },
      'session-timeout': { type: 'string' },
      'commit-timeout': { type: 'string' },
      'transaction-timeout': { type: 'string' },
      'partitions-concurrently': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
  })
  if (v.progress && v['no-progress']) throw new UsageError('--progress and --no-progress contradict each other')
  const source = oneOf('source', v.source, ['files', 'kafka'] as const) ?? 'files'
  if (source === 'kafka') return groupMain(v, positionals)
  for (const flag of ['topic', 'group', 'exactly-once', 'dead-letter-topic', 'instance-id', 'metrics-port'] as const) {
    if (v[flag] !== undefined && v[flag] !== false) throw new UsageError(`--${flag} needs --source kafka`)
  }
  if (positionals.length === 0) throw new UsageError('expected input files (or - for stdin)')
  const analysis = analysisOptions(v)
  const threads = analysis.threads
  delete analysis.threads
  const topicPrefix = v['topic-prefix'] ?? ''
  conclusionTopics(topicPrefix) // validate before starting anything
  const kind = oneOf('sink', v.sink, ['kafka', 'file', 'stdout'] as const) ?? 'kafka'
  let sink: SinkSpec
  if (kind === 'kafka') {
    const brokers = brokerList(v.brokers)
    sink = {
      kind,
      brokers,
      topicPrefix,
      compression: oneOf('compression', v.compression, ['none', 'gzip'] as const) ?? 'none',
      connectTimeoutMs: int('connect-timeout', v['connect-timeout'], 100) ?? PRODUCER_DEFAULTS.connectTimeoutMs,
      sendTimeoutMs: int('send-timeout', v['send-timeout'], 100) ?? PRODUCER_DEFAULTS.sendTimeoutMs,
    }
  } else if (kind === 'file') {
    if (!v.out) throw new UsageError('--sink file needs --out DIR')
    sink = { kind, dir: v.out, topicPrefix }
  } else {
    sink = { kind, topicPrefix }
  }
  const workers = int('workers', v.workers, 1, 256) ?? availableParallelism()
  const report = await run({
    inputs: positionals,
    workers,
    threads,
    sink,
    analysis,
    unitPoints: int('unit-points', v['unit-points'], 1) ?? 200_000,
    memoryBytes: bytes('memory', v.memory, 256 << 10) ?? DEFAULT_MEMORY_BYTES,
    tmpDir: v['tmp-dir'],
    attempts: int('attempts', v.attempts, 1, 100) ?? 5,
    retryBackoffMs: int('retry-backoff', v['retry-backoff'], 0, 60_000) ?? 1_000,
    inFlightPerWorker: 2,
    unitTimeoutMs: int('unit-timeout', v['unit-timeout'], 100) ?? 300_000,
    drainTimeoutMs: int('drain-timeout', v['drain-timeout'], 100) ?? 30_000,
    maxRestarts: Math.max(3, workers * 3),
    progress: progressMode(!v['no-progress']),
    log: (line) => process.stderr.write(`conclude: ${line}\n`),
  })
  process.stderr.write(summary(report))
  if (v.report) await writeFile(v.report, JSON.stringify(report, null, 1))
  // Interrupted with units undelivered: the shell's status of that signal. All delivered: success, signal or not.
  if (report.interrupted && !report.ok) return report.interrupted === 'SIGINT' ? 130 : 143
  return report.ok ? 0 : 1
}
