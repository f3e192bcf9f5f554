// Issue 11's targets, side by side in one run: the engine alone on a file, `conclude run` on the
// same file with the file sink and with the Kafka sink, one kafkajs producer alone sending the
// same messages (the ceiling, at several produce-request sizes), Java's ProducerPerformance when
// its jar is there, the peak RSS of every process tree (primary + workers, VmHWM), and in the
// full bench a 10 GB input generated on the fly and deleted after.
//
// Every figure comes from a fresh child process: the engine and the ceiling through
// bench/lib/pipeline-child.ts, the runs through dist/cli.js. Topics have a prefix unique to the
// run and are deleted at the end.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs'
import { availableParallelism, homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

import { Kafka, logLevel } from 'kafkajs'

import { conclusionTopics } from '../../src/kafka/topics.js'
import { MAX_REQUEST_BYTES } from '../../src/kafka/requests.js'
import type { CeilingFigures, EngineFigures } from '../lib/pipeline-child.js'
import { table } from '../lib/report.js'
import { runTree } from '../lib/tree-rss.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'dist', 'cli.js')
const CHILD = join(ROOT, 'bench', 'lib', 'pipeline-child.ts')
const TS = ['--import', '@oxc-node/core/register']
const MB = 2 ** 20
/** Produce-request sizes the ceiling is measured at (the sink's own is added). */
const REQUEST_SIZES = [128 << 10, 256 << 10, 512 << 10, 1_000_000]
/** The 10 GB input: fleet-shaped series (~84.8 kB each), 118,000 of them. */
const BIG_SERIES = 118_000
const BIG_BYTES = 10e9
/** Free space the 10 GB input needs: itself, its spill file (~16 B a point, ~3 GB) and the file sink's output. */
const BIG_FREE_BYTES = 16e9
/** Records of the Java producer at least: fewer and its JIT's warm-up dominates. */
const JAVA_MIN_RECORDS = 300_000

export interface PipelineInput {
  name: string
  file: string
  bytes: number
  /** The `conclude gen` arguments that made it. */
  gen: string
  genMs: number
}

export interface EngineRow extends EngineFigures {
  input: string
  categories: string
  peakRssMB: number
  /** CPU time of the whole child process (reading the file and start-up included). */
  cpuMs: number
  /** `ms` of every pass (one before the runs, one after: the load of a shared machine drifts); `ms` is the best. */
  passesMs: number[]
}

export interface RunRow {
  input: string
  sink: 'file' | 'kafka'
  categories: string
  workers: number
  threads: number
  /** Wall time of the whole `conclude run` process, start-up and clean-up included. */
  wallMs?: number
  /** The run's own report: elapsedMs and conclusions/s. */
  elapsedMs?: number
  conclusions?: number
  conclusionsPerSecond?: number
  /** Sum of VmHWM over the primary and its workers. */
  peakRssMB?: number
  /** The spill files the run kept in memory (a tmpfs, not in any process's RSS). */
  spillInMemoryMB?: number
  /** CPU time of the primary and its workers. */
  cpuMs?: number
  processes?: number
  /** wallMs over the engine's ms on the same input. */
  ofEngine?: number
  skipped?: string
}

export interface JavaRow {
  records?: number
  recordBytes?: number
  recordsPerSecond?: number
  skipped?: string
}

export interface PipelineTarget {
  target: string
  goal: string
  show: string
  met: boolean | undefined
}

export interface PipelineSection {
  cores: number
  inputs: PipelineInput[]
  engine: EngineRow[]
  runs: RunRow[]
  /** kafkajs alone, per input and produce-request size; the sink's size is `sinkRequestBytes`. */
  ceiling: ({ input: string; categories: string } & CeilingFigures)[]
  ceilingSkipped?: string
  sinkRequestBytes: number
  java: JavaRow
  big?: { input?: PipelineInput; run?: RunRow; skipped?: string }
  targets: PipelineTarget[]
}

export interface PipelineOptions {
  quick: boolean
  /** Bootstrap brokers, or undefined with `noBroker` saying why. */
  brokers?: string
  noBroker?: string
  log: (line: string) => void
  /** The 10 GB input (full bench only, on by default there). */
  big?: boolean
}

function gen(dir: string, name: string, args: string[]): PipelineInput {
  const file = join(dir, `${name}.ndjson`)
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [CLI, 'gen', ...args, '--out', file], { encoding: 'utf8', timeout: 1_800_000 })
  if (r.status !== 0) throw new Error(`conclude gen ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`)
  return { name, file, bytes: statSync(file).size, gen: `conclude gen ${args.join(' ')}`, genMs: performance.now() - t0 }
}

function last(stderr: string): string {
  return stderr.trim().split('\n').slice(-2).join(' / ')
}

async function engine(input: PipelineInput, categories: string, dir: string): Promise<EngineRow> {
  const out = join(dir, `engine-${input.name}-${categories}.json`)
  const r = await runTree(process.execPath, [...TS, CHILD, 'engine', input.file, out, categories])
  if (r.code !== 0) throw new Error(`the engine on ${input.name} failed (${r.code}): ${last(r.stderr)}`)
  const f = JSON.parse(readFileSync(out, 'utf8')) as EngineFigures
  return { input: input.name, categories, ...f, peakRssMB: r.peakRssBytes / MB, cpuMs: r.cpuMs, passesMs: [f.ms] }
}

/** Another pass of the engine on the same input: the best pass is the one compared with. */
async function engineAgain(e: EngineRow, input: PipelineInput, dir: string): Promise<void> {
  const again = await engine(input, e.categories, dir)
  e.passesMs.push(again.ms)
  if (again.ms < e.ms) Object.assign(e, { ...again, passesMs: e.passesMs })
}

async function run(input: PipelineInput, sink: 'file' | 'kafka', categories: string, workers: number, threads: number, dir: string, extra: string[]): Promise<RunRow> {
  const row: RunRow = { input: input.name, sink, categories, workers, threads }
  const report = join(dir, 'report.json')
  const out = join(dir, 'out')
  const args = [CLI, 'run', input.file, '--workers', String(workers), '--threads', String(threads), '--no-progress', '--report', report]
  if (categories !== 'all') args.push('--categories', categories)
  if (sink === 'file') args.push('--sink', 'file', '--out', out)
  else args.push('--sink', 'kafka', ...extra)
  try {
    const r = await runTree(process.execPath, args)
    if (r.code !== 0) return { ...row, skipped: `exit ${r.code}: ${last(r.stderr)}` }
    const rep = JSON.parse(readFileSync(report, 'utf8'))
    const conclusions = Object.values(rep.conclusions as Record<string, number>).reduce((a, b) => a + b, 0)
    const inMemory = (rep.files as { spill?: string; spillBytes?: number }[]).filter((f) => f.spill === 'memory').reduce((a, f) => a + (f.spillBytes ?? 0), 0)
    return {
      ...row,
      wallMs: r.ms,
      elapsedMs: rep.elapsedMs,
      conclusions,
      conclusionsPerSecond: rep.conclusionsPerSecond,
      peakRssMB: r.peakRssBytes / MB,
      spillInMemoryMB: inMemory / MB,
      cpuMs: r.cpuMs,
      processes: r.processes,
    }
  } finally {
    rmSync(report, { force: true })
    rmSync(out, { recursive: true, force: true })
  }
}

/**
 * The ceiling at every size of REQUEST_SIZES and the sink's (`quick`: the sink's only); the
 * sink's size once more at the end, as the broker's pace drifts within a run (the best counts).
 */
async function ceiling(input: PipelineInput, categories: string, brokers: string, prefix: string, dir: string, quick: boolean): Promise<({ input: string; categories: string } & CeilingFigures)[]> {
  const out = join(dir, `ceiling-${input.name}-${categories}.json`)
  const sizes = [...[...new Set([...(quick ? [] : REQUEST_SIZES), MAX_REQUEST_BYTES])].sort((a, b) => a - b), MAX_REQUEST_BYTES]
  const r = await runTree(process.execPath, [...TS, CHILD, 'kafkajs', input.file, out, categories, brokers, prefix, sizes.join(',')], process.env, 50, 600_000)
  if (r.code !== 0) throw new Error(`the kafkajs ceiling on ${input.name} failed (${r.code}): ${last(r.stderr)}`)
  return (JSON.parse(readFileSync(out, 'utf8')) as CeilingFigures[]).map((c) => ({ input: input.name, categories, ...c }))
}

/** kafka-tools' jar (ProducerPerformance): in the broker's jar cache, or where CONCLUDE_KAFKA_TOOLS_JAR says. */
function kafkaToolsJar(): { jar?: string; classpath?: string; why?: string } {
  const lib = join(ROOT, '.cache', 'kafka', 'lib')
  if (!existsSync(lib)) return { why: '.cache/kafka/lib does not exist (scripts/kafka.sh install makes it)' }
  const jar = process.env.CONCLUDE_KAFKA_TOOLS_JAR ?? readdirSync(lib).find((f) => /^kafka-tools-\d.*\.jar$/.test(f))
  if (!jar) {
    const m2 = join(homedir(), '.m2', 'repository', 'org', 'apache', 'kafka', 'kafka-tools')
    return { why: `no kafka-tools jar in .cache/kafka/lib (scripts/kafka.sh installs the broker's jars only; set CONCLUDE_KAFKA_TOOLS_JAR, e.g. to one under ${m2})` }
  }
  const path = jar.includes('/') ? jar : join(lib, jar)
  if (!existsSync(path)) return { why: `${path} does not exist` }
  return { jar: path, classpath: `${lib}/*:${path}` }
}

/** Java's ProducerPerformance with `records` records of `recordBytes`, producer settings as conclude run's. */
function javaProducer(brokers: string, topic: string, records: number, recordBytes: number): JavaRow {
  const tools = kafkaToolsJar()
  if (!tools.classpath) return { skipped: tools.why }
  const props = [`bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true', 'max.in.flight.requests.per.connection=1', `batch.size=${MAX_REQUEST_BYTES}`]
  const args = ['-cp', tools.classpath, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(records), '--record-size', String(recordBytes), '--throughput', '-1', '--command-property', ...props]
  const r = spawnSync('java', args, { encoding: 'utf8', timeout: 300_000 })
  if (r.error) return { skipped: `java: ${r.error.message}` }
  // The last line: "N records sent, X records/sec (Y MB/sec), ..."
  const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(r.stdout.trim().split('\n').pop() ?? '')
  if (r.status !== 0 || !m) return { skipped: `ProducerPerformance failed (${r.status}): ${last(r.stderr || r.stdout)}` }
  return { records: Number(m[1]), recordBytes, recordsPerSecond: Number(m[2]) }
}

async function deleteTopics(brokers: string, topics: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'conclude-bench-pipeline', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const ours = topics.filter((t) => existing.has(t))
    if (ours.length) await admin.deleteTopics({ topics: ours, timeout: 30_000 })
  } finally {
    await admin.disconnect()
  }
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir)
  return s.bavail * s.bsize
}

const fmtS = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1e3).toFixed(2)} s`)

/** The memory a run's spill took beside its processes' RSS, if any. */
const spilled = (r: RunRow) => (r.spillInMemoryMB ? ` + ${r.spillInMemoryMB.toFixed(0)} MB of spill in memory` : '')

function describeRun(r: RunRow): string {
  if (r.skipped) return `skipped: ${r.skipped}`
  return `${fmtS(r.wallMs)}, CPU ${fmtS(r.cpuMs)}, ${r.conclusions} conclusions, ${r.conclusionsPerSecond?.toFixed(0)}/s, peak RSS ${r.peakRssMB?.toFixed(0)} MB over ${r.processes} processes${spilled(r)}`
}

export async function pipelineSection(o: PipelineOptions): Promise<PipelineSection> {
  const cores = availableParallelism()
  const dir = mkdtempSync(join(tmpdir(), 'conclude-bench-pipeline-'))
  const prefix = `bench-pipeline-${process.pid}-${Date.now()}-`
  const topics = new Set<string>()
  const section: PipelineSection = { cores, inputs: [], engine: [], runs: [], ceiling: [], sinkRequestBytes: MAX_REQUEST_BYTES, java: {}, targets: [] }
  const log = o.log
  // An interrupted bench must not leave its inputs (10 GB in the full bench) in the temp folder.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true })
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    // fleet x10 (the issue's workload) and many short series, where analysis is not the bound.
    const fleet = gen(dir, 'fleet', o.quick ? ['--series', '100', '--points', '1440', '--seed', '7'] : ['--series', '10000', '--points', '1440', '--seed', '7'])
    const many = gen(dir, 'many', o.quick ? ['--preset', 'many', '--series', '4000'] : ['--preset', 'many'])
    section.inputs.push(fleet, many)
    for (const i of section.inputs) log(`  ${i.name}: ${i.gen}, ${(i.bytes / 1e6).toFixed(0)} MB in ${fmtS(i.genMs)}`)

    const cases: [PipelineInput, string][] = [
      [fleet, 'all'],
      [many, 'summary'],
    ]
    for (const [input, categories] of cases) {
      const e = await engine(input, categories, dir)
      section.engine.push(e)
      log(`  engine alone, ${input.name} ${categories}, ${e.threads} threads: ${fmtS(e.ms)} (read ${fmtS(e.readMs)}; process CPU ${fmtS(e.cpuMs)}), ${e.messages} messages, peak RSS ${e.peakRssMB.toFixed(0)} MB`)
    }
    const engineMs = (input: string, categories: string) => section.engine.find((e) => e.input === input && e.categories === categories)!.ms

    const shapes: [number, number][] = o.quick ? [[1, cores]] : [[1, cores], [cores, 1]]
    const add = (r: RunRow) => {
      section.runs.push(r)
      log(`  conclude run ${r.input} --sink ${r.sink}${r.categories === 'all' ? '' : ` --categories ${r.categories}`}, ${r.workers} x ${r.threads}: ${describeRun(r)}`)
    }
    for (const [w, t] of shapes) add(await run(fleet, 'file', 'all', w, t, dir, []))

    if (!o.brokers) {
      const skipped = o.noBroker ?? 'no broker'
      section.ceilingSkipped = skipped
      section.java = { skipped }
      for (const [w, t] of shapes) add({ input: fleet.name, sink: 'kafka', categories: 'all', workers: w, threads: t, skipped })
    } else {
      const kafka = ['--brokers', o.brokers, '--topic-prefix', prefix]
      for (const t of Object.values(conclusionTopics(prefix))) topics.add(t)
      for (const [input, categories] of cases) for (const [w, t] of shapes) add(await run(input, 'kafka', categories, w, t, dir, kafka))
      // The ceiling writes to topics of its own (the same partitioning), after the runs.
      const ceilingPrefix = `${prefix}ceiling-`
      for (const t of Object.values(conclusionTopics(ceilingPrefix))) topics.add(t)
      for (const [input, categories] of cases) {
        const rows = await ceiling(input, categories, o.brokers, ceilingPrefix, dir, o.quick)
        section.ceiling.push(...rows)
        log(`  kafkajs alone, ${input.name} ${categories}, ${rows[0]?.messages} messages: ${rows.map((c) => `${(c.requestBytes / 1024).toFixed(0)} KiB ${c.messagesPerSecond.toFixed(0)}/s`).join(', ')}`)
      }
      const fleetEngine = section.engine.find((e) => e.input === fleet.name)!
      const javaTopic = `${prefix}java-producer-performance`
      topics.add(javaTopic)
      // As many records as the fleet's conclusions (at least JAVA_MIN_RECORDS: the JIT warms up), of their mean size (key and value).
      section.java = o.quick ? { skipped: '--quick (a JVM start costs seconds)' } : javaProducer(o.brokers, javaTopic, Math.max(fleetEngine.messages, JAVA_MIN_RECORDS), Math.round(fleetEngine.bytes / fleetEngine.messages))
      log(`  Java ProducerPerformance: ${section.java.recordsPerSecond ? `${section.java.records} records of ${section.java.recordBytes} B, ${section.java.recordsPerSecond.toFixed(0)} records/s` : `skipped: ${section.java.skipped}`}`)
    }
    for (const [input, categories] of o.quick ? [] : cases) {
      const e = section.engine.find((x) => x.input === input.name && x.categories === categories)!
      await engineAgain(e, input, dir)
      log(`  engine alone again, ${input.name} ${categories}: ${fmtS(e.passesMs.at(-1))}; the best, ${fmtS(e.ms)}, is compared with`)
    }
    for (const r of section.runs) if (r.wallMs) r.ofEngine = r.wallMs / engineMs(r.input, r.categories)
    rmSync(fleet.file, { force: true })
    rmSync(many.file, { force: true })

    if (!o.quick && o.big !== false) {
      const free = freeBytes(dir)
      if (free < BIG_FREE_BYTES) section.big = { skipped: `${(free / 1e9).toFixed(1)} GB free in ${tmpdir()}, the 10 GB input needs ${BIG_FREE_BYTES / 1e9} GB` }
      else {
        const input = gen(dir, 'big', ['--series', String(BIG_SERIES), '--points', '1440', '--seed', '11'])
        log(`  big: ${input.gen}, ${(input.bytes / 1e9).toFixed(2)} GB in ${fmtS(input.genMs)}`)
        try {
          const r = await run(input, 'file', 'all', cores, 1, dir, [])
          section.big = { input, run: r }
          log(`  conclude run big --sink file (default workers): ${r.skipped ? `skipped: ${r.skipped}` : `${fmtS(r.wallMs)}, ${r.conclusions} conclusions, peak RSS ${r.peakRssMB?.toFixed(0)} MB over ${r.processes} processes`}`)
        } finally {
          rmSync(input.file, { force: true })
        }
      }
    } else section.big = { skipped: o.quick ? '--quick' : '--no-big' }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    rmSync(dir, { recursive: true, force: true })
    if (o.brokers && topics.size) await deleteTopics(o.brokers, [...topics]).catch((e) => log(`  could not delete the topics ${prefix}*: ${(e as Error).message}`))
  }
  section.targets = pipelineTargets(section)
  return section
}

/** The fastest of the ceiling's passes on `input` at `requestBytes`. */
function bestCeiling(s: PipelineSection, input: string, requestBytes: number): CeilingFigures | undefined {
  return s.ceiling.filter((c) => c.input === input && c.requestBytes === requestBytes).sort((a, b) => b.messagesPerSecond - a.messagesPerSecond)[0]
}

/** Issue 11's targets from the section's figures. */
export function pipelineTargets(s: PipelineSection): PipelineTarget[] {
  const best = (sink: 'file' | 'kafka', input: string, categories: string) =>
    s.runs.filter((r) => r.sink === sink && r.input === input && r.categories === categories && r.wallMs).sort((a, b) => a.wallMs! - b.wallMs!)[0]
  const eng = s.engine.find((e) => e.input === 'fleet' && e.categories === 'all')
  const ratio = (sink: 'file' | 'kafka', goal: number): PipelineTarget => {
    const r = best(sink, 'fleet', 'all')
    return {
      target: `fleet: conclude run --sink ${sink} / the engine alone`,
      goal: `<= ${goal}x`,
      show: r ? `${r.ofEngine!.toFixed(2)}x (${r.workers} x ${r.threads}; CPU ${(r.cpuMs! / eng!.cpuMs).toFixed(2)}x the engine process's)` : '–',
      met: r ? r.ofEngine! <= goal : undefined,
    }
  }
  const summary = best('kafka', 'many', 'summary')
  const ceil = bestCeiling(s, 'many', s.sinkRequestBytes)
  const share = summary && ceil ? summary.conclusionsPerSecond! / ceil.messagesPerSecond : undefined
  // What these cores allow at most: a run does the engine's work (its process's CPU: reading,
  // parsing, analysing, making the messages) and the producer's sending (the ceiling's CPU), on
  // s.cores cores, the broker not counted. Below the goal, the goal is out of reach here.
  const engineMany = s.engine.find((e) => e.input === 'many' && e.categories === 'summary')
  const boundCpuMs = engineMany && ceil?.cpuMs !== undefined ? engineMany.cpuMs + ceil.cpuMs : undefined
  const bound = boundCpuMs !== undefined ? Math.min(1, ceil!.ms / (boundCpuMs / s.cores)) : undefined
  const big = s.big?.run
  return [
    ratio('kafka', 1.6),
    ratio('file', 1.2),
    {
      target: 'many, --categories summary: conclusions/s of the kafkajs ceiling',
      goal: '>= 80 %',
      show:
        share !== undefined
          ? `${(100 * share).toFixed(0)} % (${summary!.conclusionsPerSecond!.toFixed(0)} of ${ceil!.messagesPerSecond.toFixed(0)}/s)` +
            (bound !== undefined
              ? `; ${s.cores} cores allow at most ${(100 * bound).toFixed(0)} % (the engine's ${fmtS(engineMany!.cpuMs)} of CPU and the producer's ${fmtS(ceil!.cpuMs)}, over ${s.cores} cores, against its ${fmtS(ceil!.ms)})`
              : '')
          : '–',
      met: share !== undefined ? share >= 0.8 : undefined,
    },
    {
      // A spill kept in memory is memory the run takes too: it counts (none when it is on disk).
      target: '10 GB input: peak RSS of all processes (and any spill in memory)',
      goal: '<= 1 GB',
      show: big?.peakRssMB ? `${big.peakRssMB.toFixed(0)} MB${spilled(big)}` : `skipped: ${big?.skipped ?? s.big?.skipped}`,
      met: big?.peakRssMB ? big.peakRssMB + (big.spillInMemoryMB ?? 0) <= 1024 : undefined,
    },
  ]
}

const fmtMB = (mb: number | undefined) => (mb === undefined ? '–' : `${mb.toFixed(0)} MB`)

/** The section as markdown: the runs against the engine, the ceiling per request size, the 10 GB run. */
export function pipelineMarkdown(s: PipelineSection): string {
  const inputs = s.inputs.map((i) => `**${i.name}**: \`${i.gen}\` (${(i.bytes / 1e6).toFixed(0)} MB)`).join('; ')
  const engineRows = s.engine.map((e) => [
    `engine alone: \`analyzeToMessagesNative\`, ${e.threads} threads (best of ${e.passesMs.map(fmtS).join(', ')}; read ${fmtS(e.readMs)} not counted)`,
    e.input,
    e.categories,
    fmtS(e.ms),
    '1.00x',
    e.messages,
    (e.messages / (e.ms / 1e3)).toFixed(0),
    fmtS(e.cpuMs),
    fmtMB(e.peakRssMB),
  ])
  const runRows = s.runs.map((r) => [
    `\`conclude run --sink ${r.sink}${r.categories === 'all' ? '' : ` --categories ${r.categories}`}\`, ${r.workers} worker(s) x ${r.threads} thread(s)`,
    r.input,
    r.categories,
    r.skipped ? `skipped: ${r.skipped}` : fmtS(r.wallMs),
    r.ofEngine ? `${r.ofEngine.toFixed(2)}x` : '–',
    r.conclusions ?? '–',
    r.conclusionsPerSecond?.toFixed(0) ?? '–',
    fmtS(r.cpuMs),
    r.peakRssMB ? `${fmtMB(r.peakRssMB)} (${r.processes} processes)${spilled(r)}` : '–',
  ])
  const sizes = [...new Set(s.ceiling.map((c) => c.requestBytes))]
  const ceilingTable = s.ceiling.length
    ? table(
        ['kafkajs alone (idempotent, acks all, 1 in flight)', ...sizes.map((b) => `${(b / 1024).toFixed(0)} KiB requests${b === s.sinkRequestBytes ? ' (the sink\'s)' : ''}`)],
        [...new Set(s.ceiling.map((c) => `${c.input}|${c.categories}`))].map((k) => {
          const rows = s.ceiling.filter((c) => `${c.input}|${c.categories}` === k)
          const at = (b: number) => rows.filter((c) => c.requestBytes === b).map((c) => c.messagesPerSecond.toFixed(0))
          return [`${k.replace('|', ', ')} (${rows[0]!.messages} messages)`, ...sizes.map((b) => at(b).join(' / ') || '–')]
        }),
      )
    : `kafkajs ceiling skipped: ${s.ceilingSkipped}`
  const java = s.java.recordsPerSecond
    ? `Java's ProducerPerformance (kafka-tools, same settings: acks all, idempotent, 1 in flight, batch.size ${s.sinkRequestBytes}): ${s.java.records} records of ${s.java.recordBytes} B, ${s.java.recordsPerSecond.toFixed(0)} records/s.`
    : `Java's ProducerPerformance: skipped (${s.java.skipped}).`
  const big = s.big?.run
    ? `10 GB input (\`${s.big.input!.gen}\`, ${(s.big.input!.bytes / 1e9).toFixed(2)} GB, generated in ${fmtS(s.big.input!.genMs)} and deleted after), \`conclude run --sink file\`, ${s.big.run.workers} workers x ${s.big.run.threads} thread(s), default \`--memory\`: ${s.big.run.skipped ? `skipped: ${s.big.run.skipped}` : `${fmtS(s.big.run.wallMs)}, ${s.big.run.conclusions} conclusions, ${s.big.run.conclusionsPerSecond?.toFixed(0)}/s, peak RSS ${fmtMB(s.big.run.peakRssMB)} over ${s.big.run.processes} processes`}.`
    : `10 GB input: skipped (${s.big?.skipped}).`
  return [
    `Inputs: ${inputs}. ${s.cores} cores. Times are whole processes (start-up and clean-up included) against the engine's \`analyzeToMessagesNative\` call alone; peak RSS is the sum of VmHWM over the primary and its workers.`,
    table(['what', 'input', 'categories', 'time', 'of the engine', 'conclusions', 'conclusions/s', 'CPU', 'peak RSS'], [...engineRows, ...runRows]),
    ceilingTable,
    java,
    big,
    table(['target (issue 11)', 'goal', 'measured', 'met'], s.targets.map((t) => [t.target, t.goal, t.show, t.met === undefined ? '–' : t.met ? 'yes' : '**no**'])),
  ].join('\n\n')
}
