// Group mode in steady state (`conclude run --source kafka`): input messages of 100 k points each
// over a 6-partition topic, consumed by 1 and 2 workers, against the engine alone on the same
// batches and cores (`analyzeToMessagesNative`). The rate is taken from the first committed
// offset once the group is stable with every worker a member, to the last committed offset (the
// group's own guarantee: a batch counts once its conclusions were acknowledged and its offset
// committed), so joining the group, and the rebalance when the second worker joins after the
// first has begun, are not part of it. Every topic it
// creates has a unique name and is deleted afterwards.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'

import { Kafka, logLevel } from 'kafkajs'

import { analyzeToMessagesNative } from '../../index.js'
import { DEFAULTS, generate } from '../../src/gen/workload.js'
import { conclusionTopics } from '../../src/kafka/topics.js'
import { processCpuMs } from '../lib/tree-rss.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'dist', 'cli.js')
const PARTITIONS = 6
/** Series x points of one input message: 100 k points, about 8.5 MB of NDJSON. */
const SERIES = 100
const POINTS = 1_000
/** Distinct input messages (the rest repeat them with other keys). */
const DISTINCT = 6
/** A committed offset is looked for this often. */
const POLL_MS = 25

export interface GroupEngine {
  threads: number
  /** CPU time of this process per batch (the pool's threads summed). */
  cpuMsPerBatch: number
  batches: number
  ms: number
  batchesPerSecond: number
  pointsPerSecond: number
}

export interface GroupRow {
  /** Which build ran: "before" (CONCLUDE_BENCH_BEFORE_CLI) or "after" (this one); absent without a comparison. */
  build?: 'before' | 'after'
  workers: number
  threadsPerWorker: number
  batches: number
  /** From the first committed offset with every worker a member of the stable group to the last. */
  steadyMs?: number
  batchesPerSecond?: number
  pointsPerSecond?: number
  /** pointsPerSecond / the engine's on the same cores. */
  ofEngine?: number
  /** From starting the command to the last committed offset (joining included). */
  totalMs?: number
  /**
   * CPU time per batch in the steady window: conclude's processes (primary and workers) and the
   * broker's (a shared broker: other clients' traffic counts too). Wall figures move with the
   * machine's load; these hardly do.
   */
  cpuMsPerBatch?: { conclude: number; broker?: number }
  /** Batches the workers handled, from conclude's report: more than `batches` when some were redelivered. */
  handled?: number
  skipped?: string
}

export interface GroupSteadyState {
  pointsPerBatch: number
  bytesPerBatch: number
  partitions: number
  engine: GroupEngine
  rows: GroupRow[]
}

function inputs(): Buffer[] {
  return Array.from({ length: DISTINCT }, (_, i) =>
    Buffer.from([...generate({ ...DEFAULTS, series: SERIES, points: POINTS, seed: 500 + i, format: 'ndjson', prefix: `b${i}-host` })].join('')),
  )
}

/**
 * The engine alone on the same batches, with every core the group run gets: the best of
 * `repeats` passes (a shared machine only ever makes a pass slower).
 */
function engine(batches: Buffer[], count: number, threads: number, repeats: number): GroupEngine {
  analyzeToMessagesNative(batches[0]!, { batch: 'warm-up' }, { threads })
  let ms = Infinity
  let cpu = Infinity
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    for (let i = 0; i < count; i++) analyzeToMessagesNative(batches[i % batches.length]!, { batch: `bench/${i}` }, { threads })
    ms = Math.min(ms, performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu = Math.min(cpu, (c.user + c.system) / 1e3)
  }
  return { threads, cpuMsPerBatch: cpu / count, batches: count, ms, batchesPerSecond: count / (ms / 1e3), pointsPerSecond: (count * SERIES * POINTS) / (ms / 1e3) }
}

/** CPU time (user + system, ms) of `pid` and its descendants alive now; 0 where /proc has none. */
function treeCpuMs(pid: number): number {
  let ms = processCpuMs(pid)
  if (ms === undefined) return 0
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) ms += treeCpuMs(Number(child))
    }
  } catch {}
  return ms
}

/** The local broker's pid (scripts/kafka.sh's pidfile), to read its CPU time; undefined elsewhere. */
function brokerPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(ROOT, '.cache', 'kafka', 'broker', 'kafka.pid'), 'utf8').trim())
    return pid > 0 && treeCpuMs(pid) > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether the group is stable with `members` members (all the workers joined, no rebalance under way). */
async function stableWith(admin: ReturnType<Kafka['admin']>, groupId: string, members: number): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId])
  return groups[0]?.state === 'Stable' && groups[0].members.length === members
}

/** Sum of the group's committed offsets on the topic (-1, none yet, counts 0). */
async function committed(admin: ReturnType<Kafka['admin']>, groupId: string, topic: string): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
}

async function oneRun(kafka: Kafka, brokers: string, batches: Buffer[], count: number, workers: number, threads: number, cli: string, log: (l: string) => void): Promise<GroupRow> {
  const tag = `bench-group-${process.pid}-${Date.now()}-${workers}w`
  const topic = `${tag}-in`
  const prefix = `${tag}-`
  const created = [topic, ...Object.values(conclusionTopics(prefix)), `${prefix}conclude-dead-letter`]
  const admin = kafka.admin()
  await admin.connect()
  const dir = mkdtempSync(join(tmpdir(), 'conclude-bench-group-'))
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, configEntries: [{ name: 'max.message.bytes', value: String(32 << 20) }] }],
      waitForLeaders: true,
    })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    for (let i = 0; i < count; i++) {
      await producer.send({ topic, acks: -1, messages: [{ partition: i % PARTITIONS, key: `batch-${i}`, value: batches[i % batches.length]! }] })
    }
    await producer.disconnect()

    const report = join(dir, 'report.json')
    // CONCLUDE_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR"): node options of the run; its workers inherit them.
    const nodeArgs = (process.env.CONCLUDE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
    const args = [...nodeArgs, cli, 'run', '--source', 'kafka', '--topic', topic, '--group', `${tag}-group`, '--topic-prefix', prefix]
    args.push('--workers', String(workers), '--threads', String(threads), '--brokers', brokers, '--report', report)
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000)))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const broker = brokerPid()
    const cpu = () => ({ conclude: treeCpuMs(child.pid!), broker: broker === undefined ? undefined : treeCpuMs(broker) })
    let first: { at: number; done: number; cpu: ReturnType<typeof cpu> } | undefined
    // Looked for until it holds; a later rebalance (a worker lost) stays in the window.
    let stable = false
    let lastCpu = cpu()
    let last = 0
    const deadline = started + 600_000
    let exitCode: number | null | undefined
    void exited.then((c) => (exitCode = c))
    for (;;) {
      stable ||= await stableWith(admin, `${tag}-group`, workers).catch(() => false)
      const done = await committed(admin, `${tag}-group`, topic).catch(() => 0)
      const now = performance.now()
      if (stable && done > 0 && !first) first = { at: now, done, cpu: cpu() }
      if (done >= count) {
        if (!first) {
          child.kill('SIGKILL')
          return { workers, threadsPerWorker: threads, batches: count, skipped: `all ${count} batches were committed before the group was stable with ${workers} members: give it more batches` }
        }
        last = now
        lastCpu = cpu()
        break
      }
      if (exitCode !== undefined) return { workers, threadsPerWorker: threads, batches: count, skipped: `conclude run exited (${exitCode}) after ${done}/${count} batches: ${stderr.trim().split('\n').slice(-2).join(' / ')}` }
      if (now > deadline) {
        child.kill('SIGKILL')
        return { workers, threadsPerWorker: threads, batches: count, skipped: `only ${done}/${count} batches committed within 600 s` }
      }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
    child.kill('SIGTERM')
    const code = await exited
    if (code !== 0) log(`  conclude run exited ${code} on SIGTERM: ${stderr.trim().split('\n').slice(-2).join(' / ')}`)
    const rep = JSON.parse(readFileSync(report, 'utf8'))
    if (rep.batches !== count) log(`  the report counts ${rep.batches} batches handled for ${count} (more: redelivered after a rebalance), ${rep.maybeDuplicated} conclusions maybe sent more than once`)
    const steadyBatches = count - first!.done
    const steadyMs = last - first!.at
    const pointsPerSecond = steadyBatches > 0 ? (steadyBatches * SERIES * POINTS) / (steadyMs / 1e3) : undefined
    return {
      workers,
      threadsPerWorker: threads,
      batches: count,
      steadyMs,
      batchesPerSecond: steadyBatches > 0 ? steadyBatches / (steadyMs / 1e3) : undefined,
      pointsPerSecond,
      totalMs: last - started,
      handled: rep.batches,
      cpuMsPerBatch:
        steadyBatches > 0
          ? {
              conclude: (lastCpu.conclude - first!.cpu.conclude) / steadyBatches,
              broker: lastCpu.broker === undefined || first!.cpu.broker === undefined ? undefined : (lastCpu.broker - first!.cpu.broker) / steadyBatches,
            }
          : undefined,
    }
  } finally {
    await admin.deleteTopics({ topics: created, timeout: 30_000 }).catch(() => {})
    await admin.disconnect()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * `batches` input messages per run; 1 and 2 workers, `cores / workers` threads each. With
 * CONCLUDE_BENCH_BEFORE_CLI (another build's dist/cli.js) each run is made by that build and
 * then by this one, side by side against the same engine figures.
 */
export async function groupSteadyState(o: { brokers: string; batches: number; log: (line: string) => void }): Promise<GroupSteadyState> {
  const cores = availableParallelism()
  const batches = inputs()
  const eng = engine(batches, o.batches, cores, 3)
  o.log(`  engine alone (${cores} threads): ${eng.batchesPerSecond.toFixed(1)} batches/s, ${(eng.pointsPerSecond / 1e6).toFixed(2)} M points/s, ${eng.cpuMsPerBatch.toFixed(0)} ms CPU per batch`)
  const kafka = new Kafka({ clientId: 'conclude-bench-group', brokers: o.brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const rows: GroupRow[] = []
  const before = process.env.CONCLUDE_BENCH_BEFORE_CLI
  const builds: { build?: 'before' | 'after'; cli: string }[] = before ? [{ build: 'before', cli: before }, { build: 'after', cli: CLI }] : [{ cli: CLI }]
  const runs = [1, 2].flatMap((workers) => builds.map((b) => ({ workers, ...b })))
  for (const { workers, build, cli } of runs) {
    const threads = Math.max(1, Math.floor(cores / workers))
    const row: GroupRow = await oneRun(kafka, o.brokers, batches, o.batches, workers, threads, cli, o.log).catch(
      (e): GroupRow => ({ workers, threadsPerWorker: threads, batches: o.batches, skipped: (e as Error).message }),
    )
    if (build) row.build = build
    if (row.pointsPerSecond) row.ofEngine = row.pointsPerSecond / eng.pointsPerSecond
    o.log(
      `  ${build ? `${build}: ` : ''}${workers} worker(s) x ${threads}: ` +
        (row.pointsPerSecond
          ? `${row.batchesPerSecond!.toFixed(1)} batches/s, ${(row.pointsPerSecond / 1e6).toFixed(2)} M points/s = ${(100 * row.ofEngine!).toFixed(0)} % of the engine (steady ${(row.steadyMs! / 1e3).toFixed(1)} s, total ${(row.totalMs! / 1e3).toFixed(1)} s); CPU per batch: conclude ${row.cpuMsPerBatch?.conclude.toFixed(0)} ms, broker ${row.cpuMsPerBatch?.broker?.toFixed(0) ?? '?'} ms`
          : `skipped: ${row.skipped}`),
    )
    rows.push(row)
  }
  return { pointsPerBatch: SERIES * POINTS, bytesPerBatch: batches[0]!.length, partitions: PARTITIONS, engine: eng, rows }
}
