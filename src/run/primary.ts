// The primary process of `conclude run`: plans units that keep every series
// whole (each input partitioned by series into a spill file, ./input), spawns worker processes, hands units out, restarts workers that die
// and gives their unfinished units to others, and reports truthfully: a unit
// counts as delivered only when its worker says the sink acknowledged it.
// The primary itself never creates a Kafka producer.
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

import type { AnalyzeOptions } from '../../index.js'
import { reachBrokers } from '../kafka/broker-config.js'
import { currentProcessProducer } from '../kafka/producer.js'
import { writeStdout } from '../sink/file.js'
import { CATEGORIES, type Category } from '../kafka/topics.js'
import { errorText } from '../error-text.js'
import { budget } from './input/budget.js'
import { spill, unitsOf, type SpilledUnit } from './input/spill-plan.js'
import { TempDir } from './input/temp-dir.js'
import { sendToWorker } from './ipc.js'
import { progressReporter, type ProgressMode } from './progress.js'
import type { FromWorker, SinkSpec, ToWorker } from './protocol.js'

export interface RunOptions {
  /** Input files, `-` for stdin. */
  inputs: string[]
  workers: number
  /** Engine threads per worker; default: cores / workers (at least 1). */
  threads?: number
  sink: SinkSpec
  analysis: AnalyzeOptions
  /** Target points per unit (a series is never split, so a unit may exceed it). */
  unitPoints: number
  /** What all processes of the run should stay near, in bytes: sizes chunks, partitions and units. */
  memoryBytes: number
  /** Where the run's temporary directory goes (default os.tmpdir()). */
  tmpDir?: string
  /** Delivery attempts per unit before it is reported undelivered. */
  attempts: number
  /** Wait before the second attempt of a unit; doubled for each further one (at most 30 s). */
  retryBackoffMs: number
  /** Units in flight per worker (analysis of one overlaps delivery of another). */
  inFlightPerWorker: number
  /** A unit not finished after this long gets its worker killed and is retried. */
  unitTimeoutMs: number
  /** Time granted to finish in-flight work and disconnect after the last unit or a signal. */
  drainTimeoutMs: number
  /** Worker restarts allowed over the run. */
  maxRestarts: number
  /** A live line on a terminal, a line every 5 s elsewhere, or none. */
  progress: ProgressMode
  log: (line: string) => void
  /** Extra environment for workers (tests). */
  workerEnv?: Record<string, string>
}

export interface UnitFailure {
  unit: string
  file: string
  error: string
}

export interface FileReport {
  file: string
  units: number
  points: number
  series: number
  badLines: number
  badLineNumbers: number[]
  error?: string
}

export interface WorkerReport {
  pid: number
  /** Units this process delivered. */
  units: number
  /** Units handed to this process (a unit retried elsewhere counts on each worker it went to). */
  attempts: number
  exit?: { code: number | null; signal: NodeJS.Signals | null }
  producersCreated?: number
}

export interface RunReport {
  ok: boolean
  files: FileReport[]
  units: { total: number; delivered: number; undelivered: UnitFailure[] }
  /**
   * Messages that may have been sent more than once: those an attempt of a
   * unit may have written (its requests acknowledged, and the one in flight)
   * before it failed or its worker died, when the unit was then attempted again.
   * An upper bound: at least once allows them, this says how many.
   */
  maybeDuplicated: number
  conclusions: Record<Category, number>
  workers: WorkerReport[]
  restarts: number
  /** Producers created by the primary process: always 0 by design. */
  primaryProducers: number
  primaryPid: number
  threadsPerWorker: number
  elapsedMs: number
  conclusionsPerSecond: number
  interrupted?: NodeJS.Signals
}

interface Unit extends SpilledUnit {
  attempts: number
  lastError?: string
  /** Messages the current attempt may have written (its produce requests sent so far). */
  mayHaveWritten: number
  /** Produce requests of the current attempt, and when its last one went out. */
  requests: number
  requestSince?: number
}

interface Slot {
  child: ChildProcess
  pid: number
  ready: boolean
  inFlight: Map<string, { unit: Unit; since: number }>
  report: WorkerReport
  drained: boolean
  /** Why the primary killed it (a unit over --unit-timeout), for the units it had. */
  killedFor?: string
}

const WORKER_JS = join(__dirname, 'worker.js')

/**
 * Partitions every input into a spill file under `tmp` and cuts it into units;
 * a file that fails to parse (policy 'fail') or to read contributes none. A
 * signal meanwhile stops the planning: no unit is started then.
 */
async function plan(o: RunOptions, tmp: TempDir): Promise<{ units: Unit[]; files: FileReport[]; interrupted?: NodeJS.Signals }> {
  const units: Unit[] = []
  const files: FileReport[] = []
  const seen = new Map<string, number>()
  const b = budget(o.memoryBytes, o.workers, o.inFlightPerWorker, o.unitPoints)
  const stop = new AbortController()
  let interrupted: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    for (const [index, file] of o.inputs.entries()) {
      if (interrupted) break
      const name = file === '-' ? 'stdin' : file
      // Unit ids name the input as given; the same input twice gets a suffix so ids stay unique.
      const times = (seen.get(name) ?? 0) + 1
      seen.set(name, times)
      const label = times === 1 ? name : `${name}(${times})`
      try {
        const spilled = await spill(file, index, tmp, b, o.analysis, stop.signal)
        const r = spilled.result
        const fileUnits = unitsOf({ file: name, label, ...spilled }, b)
        fileUnits.forEach((u) => units.push({ ...u, attempts: 0, mayHaveWritten: 0, requests: 0 }))
        files.push({ file: name, units: fileUnits.length, points: r.points, series: r.series, badLines: r.badLines, badLineNumbers: r.badLineNumbers })
        if (r.badLines > 0) {
          o.log(`${name}: skipped ${r.badLines} bad line(s) (first: ${r.badLineNumbers.slice(0, 5).join(', ')})`)
        }
        const over = fileUnits.filter((u) => u.points > b.unitMaxPoints)
        if (over.length) {
          const largest = Math.max(...over.map((u) => u.points))
          o.log(`${name}: ${over.length} unit(s) exceed the --memory budget of ${b.unitMaxPoints} points per unit (largest ${largest}): a series is never split, so each is analysed whole`)
        }
      } catch (e) {
        if (interrupted) break
        const err = e as { line?: number; column?: number }
        const where = err.line ? `${name}:${err.line}${err.column ? `:${err.column}` : ''}` : name
        const message = `${where}: ${errorText(e)}`
        o.log(message)
        files.push({ file: name, units: 0, points: 0, series: 0, badLines: 0, badLineNumbers: [], error: message })
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  if (interrupted) o.log(`${interrupted} while reading the input: no unit started`)
  return { units, files, interrupted }
}

export async function run(o: RunOptions): Promise<RunReport> {
  const started = performance.now()
  const tmp = new TempDir(o.tmpDir)
  // A broker never reached fails the run within the connect deadline, instead of every unit
  // waiting out its attempts and back-offs. Asked while the inputs are read.
  const sink = o.sink
  const reached = sink.kind === 'kafka' ? reachBrokers(sink.brokers, sink.connectTimeoutMs).then(() => undefined, (e: Error) => e) : undefined
  const planned = await plan(o, tmp)
  const { units, files } = planned
  const unreachable = await reached
  const cores = availableParallelism()
  const workerCount = Math.max(1, Math.min(o.workers, units.length || 1))
  const threads = o.threads ?? Math.max(1, Math.floor(cores / workerCount))
  if (workerCount * threads > cores) {
    o.log(`${workerCount} worker(s) x ${threads} thread(s) exceed the ${cores} core(s) available: they will compete for them`)
  }
  const conclusions = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>
  const queue: Unit[] = [...units]
  const delivered = new Set<string>()
  const undelivered: UnitFailure[] = []
  const slots = new Set<Slot>()
  const reports: WorkerReport[] = []
  let restarts = 0
  let maybeDuplicated = 0
  let interrupted: NodeJS.Signals | undefined = planned.interrupted
  let stopping = interrupted !== undefined

  const settled = () => delivered.size + undelivered.length === units.length

  let finish!: () => void
  const allSettled = new Promise<void>((resolve) => (finish = resolve))
  const check = () => {
    if (settled() || (stopping && [...slots].every((s) => s.inFlight.size === 0))) finish()
  }

  const fail = (unit: Unit, error: string) => {
    undelivered.push({ unit: unit.id, file: unit.file, error })
    o.log(`unit ${unit.id} not delivered: ${error}`)
  }

  // Units waiting out their back-off before another attempt.
  const backingOff = new Map<Unit, NodeJS.Timeout>()
  const retryOrFail = (unit: Unit, error: string) => {
    unit.lastError = error
    if (unit.attempts >= o.attempts || stopping) return fail(unit, error)
    // What this attempt may have written, the next one writes again.
    maybeDuplicated += unit.mayHaveWritten
    // Exponential back-off, so a broker that restarts in seconds is waited for.
    const delay = Math.min(o.retryBackoffMs * 2 ** (unit.attempts - 1), 30_000)
    o.log(`unit ${unit.id}: attempt ${unit.attempts} of ${o.attempts} failed (${error}); retrying in ${delay} ms`)
    const timer = setTimeout(() => {
      backingOff.delete(unit)
      queue.unshift(unit)
      dispatch()
    }, delay)
    backingOff.set(unit, timer)
  }

  const dispatch = () => {
    // Spread first: a second unit per worker only once every worker is up.
    const depth = [...slots].every((s) => s.ready) ? o.inFlightPerWorker : 1
    for (const slot of stopping ? [] : slots) {
      while (slot.ready && !slot.drained && slot.inFlight.size < depth && queue.length) {
        const unit = queue.shift()!
        unit.attempts++
        unit.mayHaveWritten = 0
        unit.requests = 0
        unit.requestSince = undefined
        slot.inFlight.set(unit.id, { unit, since: performance.now() })
        slot.report.attempts++
        // A worker that just died: its exit handler retries the unit with the others it had.
        sendToWorker(slot.child, { type: 'unit', id: unit.id, spill: unit.spill, pieces: unit.pieces } satisfies ToWorker)
      }
    }
    if (queue.length && slots.size === 0) {
      for (const unit of queue.splice(0)) fail(unit, unit.lastError ?? 'no worker left to run it')
    }
    check()
  }

  const spawnWorker = () => {
    const child = fork(WORKER_JS, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, CONCLUDE_THREADS: String(threads), ...o.workerEnv },
    })
    const slot: Slot = {
      child,
      pid: child.pid ?? -1,
      ready: false,
      inFlight: new Map(),
      report: { pid: child.pid ?? -1, units: 0, attempts: 0 },
      drained: false,
    }
    reports.push(slot.report)
    slots.add(slot)
    sendToWorker(child, { type: 'config', config: { sink: o.sink, analysis: o.analysis } } satisfies ToWorker)
    child.on('error', (e) => o.log(`worker ${slot.pid}: ${e.message}`))
    child.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          slot.ready = true
          break
        case 'done': {
          const entry = slot.inFlight.get(m.id)
          slot.inFlight.delete(m.id)
          if (entry && !delivered.has(m.id)) {
            delivered.add(m.id)
            slot.report.units++
            m.counts.forEach((n, i) => (conclusions[CATEGORIES[i]!] += n))
          }
          break
        }
        case 'sending': {
          const entry = slot.inFlight.get(m.id)
          if (entry) {
            entry.unit.mayHaveWritten = m.messages
            entry.unit.requests = m.request
            entry.unit.requestSince = performance.now()
          }
          break
        }
        case 'failed': {
          const entry = slot.inFlight.get(m.id)
          slot.inFlight.delete(m.id)
          if (!entry) break
          const error = errorText(m.error)
          // Analysis is deterministic, and so is a message too large for its topic: retrying cannot help.
          if (m.stage === 'analyze' || m.permanent) fail(entry.unit, error)
          else retryOrFail(entry.unit, error)
          break
        }
        case 'stdout':
          void writeStdout(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))
          break
        case 'drained':
          slot.report.producersCreated = m.producersCreated
          if (m.error) o.log(`worker ${slot.pid}: ${errorText(m.error)}`)
          break
      }
      dispatch()
    })
    child.on('exit', (code, signal) => {
      slots.delete(slot)
      slot.report.exit = { code, signal }
      const lost = [...slot.inFlight.values()].map((e) => e.unit)
      slot.inFlight.clear()
      if (slot.drained) {
        for (const unit of lost) fail(unit, `worker ${slot.pid} exited before finishing it (drain deadline)`)
        return check()
      }
      o.log(`worker ${slot.pid} exited (${signal ?? `code ${code}`}) with ${lost.length} unit(s) in flight`)
      for (const unit of lost) retryOrFail(unit, slot.killedFor ?? `worker ${slot.pid} died (${signal ?? `code ${code}`}) while on it`)
      const workLeft = queue.length > 0 || [...slots].some((s) => s.inFlight.size > 0)
      if (!stopping && queue.length > 0 && restarts < o.maxRestarts) {
        restarts++
        spawnWorker()
      } else if (!stopping && queue.length > 0 && !workLeft) {
        o.log(`worker restart limit (${o.maxRestarts}) reached`)
      }
      dispatch()
    })
    return slot
  }

  // Watchdog: a unit stuck beyond its timeout gets its worker killed (and retried elsewhere).
  const watchdog = setInterval(() => {
    const now = performance.now()
    for (const slot of slots) {
      for (const { unit, since } of slot.inFlight.values()) {
        if (now - since > o.unitTimeoutMs) {
          slot.killedFor = `worker ${slot.pid} killed: the unit ran over --unit-timeout (${o.unitTimeoutMs} ms) ${stuckAt(unit, now)}`
          o.log(`unit ${unit.id}: ${slot.killedFor}`)
          slot.child.kill('SIGKILL')
          break
        }
      }
    }
  }, 250)
  watchdog.unref()

  /** Where a unit stands when the watchdog gives up on it: the cause, as far as the primary can tell. */
  const stuckAt = (unit: Unit, now: number): string => {
    if (unit.requestSince === undefined) return 'while analysing it (none of its conclusions sent yet)'
    const sending = Math.round(now - unit.requestSince)
    const deadline = o.sink.kind === 'kafka' ? o.sink.sendTimeoutMs : undefined
    return (
      `while sending produce request ${unit.requests} of its conclusions, for ${sending} ms` +
      (deadline !== undefined && sending > deadline + 1_000
        ? `: its --send-timeout (${deadline} ms) did not fire, so the worker's event loop was blocked`
        : '')
    )
  }

  const progress = progressReporter(o.progress, () => {
    const total = CATEGORIES.reduce((n, c) => n + conclusions[c], 0)
    const secs = (performance.now() - started) / 1000
    return (
      `units ${delivered.size}/${units.length}  conclusions ${total.toLocaleString('en')} ` +
      `(${Math.round(total / Math.max(secs, 1e-3)).toLocaleString('en')}/s)  workers ${slots.size}` +
      (undelivered.length ? `  undelivered ${undelivered.length}` : '')
    )
  })

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      o.log(`${signal} again: stopping now`)
      for (const s of slots) s.child.kill('SIGKILL')
      return
    }
    interrupted = signal
    stopping = true
    o.log(`${signal}: finishing units in flight (up to ${o.drainTimeoutMs} ms), then exiting`)
    for (const [unit, timer] of backingOff) {
      clearTimeout(timer)
      queue.push(unit)
    }
    backingOff.clear()
    const notStarted = queue.splice(0)
    for (const unit of notStarted) undelivered.push({ unit: unit.id, file: unit.file, error: `not started: run interrupted by ${signal}` })
    if (notStarted.length) o.log(`${notStarted.length} unit(s) not started`)
    check()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  if (planned.interrupted) {
    for (const unit of units) undelivered.push({ unit: unit.id, file: unit.file, error: `not started: run interrupted by ${planned.interrupted}` })
    check()
  }
  try {
    if (unreachable && units.length && !stopping) {
      const error = errorText(unreachable)
      o.log(error)
      for (const unit of queue.splice(0)) undelivered.push({ unit: unit.id, file: unit.file, error })
    } else if (units.length && !stopping) {
      for (let i = 0; i < workerCount; i++) spawnWorker()
      dispatch()
      await allSettled
    }
    if (stopping) {
      // Units still in flight had their chance; whatever is left is undelivered.
      const deadline = sleepUnref(o.drainTimeoutMs)
      await Promise.race([deadline, allSettled])
    }
    // Drain: workers disconnect their producers within the deadline.
    await drainWorkers(slots, o.drainTimeoutMs)
  } finally {
    clearInterval(watchdog)
    progress.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    tmp.remove()
  }

  const elapsedMs = performance.now() - started
  const total = CATEGORIES.reduce((n, c) => n + conclusions[c], 0)
  const fileErrors = files.some((f) => f.error)
  return {
    // A signal that lands after the last acknowledgement interrupts nothing: every unit was delivered.
    // One that lands while the inputs are read leaves them unread: not ok, whatever was planned.
    ok: !fileErrors && !planned.interrupted && undelivered.length === 0 && delivered.size === units.length,
    files,
    units: { total: units.length, delivered: delivered.size, undelivered },
    maybeDuplicated,
    conclusions,
    workers: reports,
    restarts,
    primaryProducers: currentProcessProducer()?.created ?? 0,
    primaryPid: process.pid,
    threadsPerWorker: threads,
    elapsedMs,
    conclusionsPerSecond: total / Math.max(elapsedMs / 1000, 1e-9),
    interrupted,
  }
}

function sleepUnref(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}

/** Asks every worker to drain and waits for all to exit; kills those that overrun the deadline. */
async function drainWorkers(slots: Set<Slot>, ms: number): Promise<void> {
  const exits = [...slots].map(
    (slot) =>
      new Promise<void>((resolve) => {
        if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve()
        slot.child.once('exit', () => resolve())
        slot.drained = true
        if (!sendToWorker(slot.child, { type: 'drain' } satisfies ToWorker)) slot.child.kill('SIGKILL')
      }),
  )
  const timer = setTimeout(() => {
    for (const slot of slots) slot.child.kill('SIGKILL')
  }, ms)
  await Promise.all(exits)
  clearTimeout(timer)
}
