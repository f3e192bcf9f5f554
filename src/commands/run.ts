// `conclude run <files...|->`: worker processes analyse and publish, one
// producer per worker; exit status 0 only when every unit was delivered.
import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'

import { PRODUCER_DEFAULTS } from '../kafka/producer.js'
import { conclusionTopics } from '../kafka/topics.js'
import { run, type RunReport } from '../run/primary.js'
import type { SinkSpec } from '../run/protocol.js'
import { ANALYSIS_FLAGS, ANALYSIS_HELP, analysisOptions, int, oneOf, UsageError } from './args.js'

export const DEFAULT_BROKERS = '127.0.0.1:9092'

export const HELP = `Usage: conclude run <files...|-> [options]

Splits the input into units of whole series, analyses them in --workers
processes and publishes the conclusions, each worker through its own Kafka
producer. Exits 0 only when every unit's conclusions were acknowledged.

  --workers N                worker processes (default: the cores)
  --sink kafka|file|stdout   where conclusions go (default kafka)
  --brokers H:P,...          bootstrap brokers (default $CONCLUDE_BROKERS or ${DEFAULT_BROKERS})
  --topic-prefix P           topics are <P><category> (default empty)
  --compression none|gzip    produce compression (default none)
  --out DIR                  folder of the file sink (NDJSON per topic)
  --unit-points N            target points per unit (default 200000)
  --attempts N               delivery attempts per unit (default 5)
  --retry-backoff MS         wait before a unit's 2nd attempt, doubled each time (default 1000)
  --connect-timeout MS       deadline of a producer connect (default ${PRODUCER_DEFAULTS.connectTimeoutMs})
  --send-timeout MS          deadline of one acknowledged send (default ${PRODUCER_DEFAULTS.sendTimeoutMs})
  --unit-timeout MS          a unit running longer gets its worker replaced (default 300000)
  --drain-timeout MS         time to finish in-flight work on exit or signal (default 30000)
  --report FILE              write the run's report as JSON
  --no-progress              no progress line, even on a terminal
  --threads N                engine threads per worker (default: cores / workers)

${ANALYSIS_HELP}`

export function summary(r: RunReport): string {
  const lines: string[] = []
  const total = Object.values(r.conclusions).reduce((a, b) => a + b, 0)
  lines.push(
    `${r.ok ? 'done' : 'FAILED'}: ${r.units.delivered}/${r.units.total} units delivered, ${total} conclusions ` +
      `(${Object.entries(r.conclusions)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}) in ${(r.elapsedMs / 1000).toFixed(2)} s, ${Math.round(r.conclusionsPerSecond)}/s, ` +
      `${r.workers.length} worker process(es) x ${r.threadsPerWorker} thread(s), ${r.restarts} restart(s)`,
  )
  for (const f of r.files) if (f.error) lines.push(`  file failed: ${f.error}`)
  for (const f of r.files) if (f.badLines) lines.push(`  ${f.file}: ${f.badLines} bad line(s) skipped`)
  if (r.units.undelivered.length) {
    lines.push(`  undelivered units (${r.units.undelivered.length}):`)
    for (const u of r.units.undelivered.slice(0, 20)) lines.push(`    ${u.unit}: ${u.error}`)
    if (r.units.undelivered.length > 20) lines.push(`    ... and ${r.units.undelivered.length - 20} more (see --report)`)
  }
  if (r.interrupted) lines.push(`  interrupted by ${r.interrupted}`)
  return lines.join('\n') + '\n'
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
      attempts: { type: 'string' },
      'retry-backoff': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'send-timeout': { type: 'string' },
      'unit-timeout': { type: 'string' },
      'drain-timeout': { type: 'string' },
      report: { type: 'string' },
      'no-progress': { type: 'boolean', default: false },
      source: { type: 'string' },
    },
  })
  if (v.source && v.source !== 'files') throw new UsageError(`--source ${v.source} is not supported yet (only files and stdin)`)
  if (positionals.length === 0) throw new UsageError('expected input files (or - for stdin)')
  const analysis = analysisOptions(v)
  const threads = analysis.threads
  delete analysis.threads
  const topicPrefix = v['topic-prefix'] ?? ''
  conclusionTopics(topicPrefix) // validate before starting anything
  const kind = oneOf('sink', v.sink, ['kafka', 'file', 'stdout'] as const) ?? 'kafka'
  let sink: SinkSpec
  if (kind === 'kafka') {
    const brokers = (v.brokers ?? process.env.CONCLUDE_BROKERS ?? DEFAULT_BROKERS).split(',').map((b) => b.trim()).filter(Boolean)
    if (!brokers.length) throw new UsageError('--brokers is empty')
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
    attempts: int('attempts', v.attempts, 1, 100) ?? 5,
    retryBackoffMs: int('retry-backoff', v['retry-backoff'], 0, 60_000) ?? 1_000,
    inFlightPerWorker: 2,
    unitTimeoutMs: int('unit-timeout', v['unit-timeout'], 100) ?? 300_000,
    drainTimeoutMs: int('drain-timeout', v['drain-timeout'], 100) ?? 30_000,
    maxRestarts: Math.max(3, workers * 3),
    progress: !v['no-progress'] && process.stderr.isTTY === true,
    log: (line) => process.stderr.write(`conclude: ${line}\n`),
  })
  process.stderr.write(summary(report))
  if (v.report) await writeFile(v.report, JSON.stringify(report, null, 1))
  if (report.interrupted) return report.interrupted === 'SIGINT' ? 130 : 143
  return report.ok ? 0 : 1
}
