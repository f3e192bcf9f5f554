// The primary process of `conclude run <files>`: plans units that keep every
// series whole (each input partitioned by series into a spill file,
// ../input; one input's units go out while the next input is read),
// spawns worker processes (../supervisor.ts), hands units out,
// restarts workers that die and gives their unfinished units to others, and
// reports truthfully: a unit counts as delivered only when its worker says the
// sink acknowledged it. The primary itself never creates a Kafka producer.
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'

import type { AnalyzeOptions } from '../../../index.js'
import { addCounts, emptyTally, tallyTotal, type Tally } from '../../conclusions.js'
import { errorText } from '../../error-text.js'
import { reachBrokers } from '../../kafka/broker-config.js'
import { currentProcessProducer } from '../../kafka/producer.js'
import { writeStdout } from '../../stdout.js'
import { budget, memorySpillBytes, type Budget } from '../input/budget.js'
import { estimatePoints, SpillPlaces, type SpillMedium } from '../input/spill-place.js'
import { spill, unitsOf, type SpilledUnit } from '../input/spill-plan.js'
import { sendToWorker } from '../ipc.js'
import { progressReporter, type ProgressMode } from '../progress.js'
import { drainWorkers, onStopSignals, startWorker, threadsPerWorker, type Log } from '../supervisor.js'
import { unitsToSend } from './depth.js'
import type { FromWorker, SinkSpec, ToWorker, WorkerConfig } from './protocol.js'

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
  /** Where the run's spill files go; default: in memory when they fit (../input/spill-place.ts), else os.tmpdir(). */
  tmpDir?: string
  /** Delivery attempts per unit before it is reported undelivered. */
  attempts: number
  /** Wait before the second attempt of a unit; doubled for each further one (at most 30 s). */
  retryBackoffMs: number
  /** Units being analysed at once per worker; as many again may be in delivery (see unitsToSend). */
  inFlightPerWorker: number
  /** A unit not finished after this long gets its worker killed and is retried. */
  unitTimeoutMs: number
  /** Time granted to finish in-flight work and disconnect after the last unit or a signal. */
  drainTimeoutMs: number
  /** Worker restarts allowed over the run. */
  maxRestarts: number
  /** A live line on a terminal, a line every 5 s elsewhere, or none. */
  progress: ProgressMode
  log: Log
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
  /** Where its spill file was: in memory (a tmpfs) or on disk, and its size. */
  spill?: SpillMedium
  spillBytes?: number
  /** When its partitioning ended, in ms since the run started. */
  partitionedMs?: number
  error?: string
}

export interface WorkerReport {
  pid: number
  /** Units this process delivered. */
  units: number
  /** Units handed to this process (a unit retried elsewhere counts on each worker it went to). */
  attempts: number
  /** When it was started, in ms since the run started (the first ones while the first input is partitioned). */
  startedMs: number
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
  conclusions: Tally
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
  /** `analysed`: its conclusions are made and being delivered. */
  inFlight: Map<string, { unit: Unit; since: number; analysed?: boolean }>
  report: WorkerReport
  drained: boolean
  /** Why the primary killed it (a unit over --unit-timeout), for the units it had. */
  killedFor?: string
}

const WORKER_JS = join(__dirname, 'worker.js')

export async function run(o: RunOptions): Promise<RunReport> {
  const started = performance.now()
  const b = budget(o.memoryBytes, o.workers, o.inFlightPerWorker, o.unitPoints)
  const places = new SpillPlaces({ tmpDir: o.tmpDir, memoryBytes: memorySpillBytes(o.memoryBytes, o.workers + 1, o.workers * o.inFlightPerWorker, b) })
  try {
    // A broker never reached fails the run within the connect deadline, instead of every unit
    // waiting out its attempts and back-offs. Asked while the first input is read.
    const sink = o.sink
    const reached = sink.kind === 'kafka' ? reachBrokers(sink.brokers, sink.connectTimeoutMs).then(() => undefined, (e: Error) => e) : Promise.resolve(undefined)
    return await new FileRun(o, started, b, places).execute(reached)
  } finally {
    places.remove()
  }
}

/** One run's inputs, units and workers, from the first input read to the report. */
class FileRun {
  private readonly units: Unit[] = []
  private readonly files: FileReport[] = []
  private threads = 1
  private workerCount = 0
  private readonly conclusions = emptyTally()
  private readonly queue: Unit[] = []
  private readonly delivered = new Set<string>()
  private readonly undelivered: UnitFailure[] = []
  /** Units not yet delivered nor given up on, per spill file: at 0 the file is removed. */
  private readonly unsettled = new Map<string, number>()
  private readonly slots = new Set<Slot>()
  private readonly reports: WorkerReport[] = []
  /** Units waiting out their back-off before another attempt. */
  private readonly backingOff = new Map<Unit, NodeJS.Timeout>()
  private restarts = 0
  private maybeDuplicated = 0
  private interrupted?: NodeJS.Signals
  private stopping = false
  /** Inputs are still being partitioned: more units may come. */
  private planning = true
  /** Aborts the partitioning of the input being read (a signal). */
  private readonly reading = new AbortController()
  /** A signal that came while the inputs were read: the rest of them stays unread. */
  private get readInterrupted(): NodeJS.Signals | undefined {
    return this.reading.signal.aborted ? this.interrupted : undefined
  }
  /** Why no unit can be delivered (no broker answered), once known. */
  private unreachable?: Error
  private finish!: () => void
  private readonly allSettled = new Promise<void>((resolve) => (this.finish = resolve))

  constructor(
    private readonly o: RunOptions,
    private readonly started: number,
    private readonly b: Budget,
    private readonly places: SpillPlaces,
  ) {}

  /**
   * Partitions the inputs one after the other, and hands each one's units out as soon as it is
   * partitioned: a file's units are analysed and delivered while the next file is read. (One
   * input's units wait for its end: a series may continue anywhere in it.)
   */
  async execute(reached: Promise<Error | undefined>): Promise<RunReport> {
    const o = this.o
    const watchdog = setInterval(() => this.watch(), 250)
    watchdog.unref()
    const progress = progressReporter(o.progress, () => this.progressLine())
    const offSignals = onStopSignals({ stopping: () => this.stopping, stop: (s) => this.stop(s), workers: () => [...this.slots].map((s) => s.child), log: o.log })
    try {
      void this.startWorkersEarly(reached)
      await this.read(reached)
      this.planning = false
      this.check()
      if (this.units.length && !this.stopping && !this.unreachable) await this.allSettled
      if (this.stopping) {
        // Units still in flight had their chance; whatever is left is undelivered.
        await Promise.race([new Promise((r) => setTimeout(r, o.drainTimeoutMs).unref()), this.allSettled])
      }
      // Drain: workers disconnect their producers within the deadline.
      for (const slot of this.slots) slot.drained = true
      await drainWorkers([...this.slots].map((s) => s.child), o.drainTimeoutMs)
    } finally {
      clearInterval(watchdog)
      progress.stop()
      offSignals()
    }
    return this.report()
  }

  /**
   * Partitions every input into a spill file and cuts it into units; a file that
   * fails to parse (policy 'fail') or to read contributes none. A signal stops the reading.
   */
  private async read(reached: Promise<Error | undefined>): Promise<void> {
    const { o, b } = this
    const seen = new Map<string, number>()
    for (const [index, file] of o.inputs.entries()) {
      if (this.readInterrupted) break
      const name = file === '-' ? 'stdin' : file
      // Unit ids name the input as given; the same input twice gets a suffix so ids stay unique.
      const times = (seen.get(name) ?? 0) + 1
      seen.set(name, times)
      const label = times === 1 ? name : `${name}(${times})`
      let fileUnits: SpilledUnit[]
      try {
        const spilled = await spill(file, index, this.places, b, o.analysis, this.reading.signal)
        const r = spilled.result
        fileUnits = unitsOf({ file: name, label, ...spilled }, b)
        this.files.push({ file: name, units: fileUnits.length, points: r.points, series: r.series, badLines: r.badLines, badLineNumbers: r.badLineNumbers, spill: spilled.medium, spillBytes: r.bytes, partitionedMs: performance.now() - this.started })
        if (fileUnits.length === 0) this.places.release(spilled.spill)
        else this.unsettled.set(spilled.spill, fileUnits.length)
        if (r.badLines > 0) {
          o.log(`${name}: skipped ${r.badLines} bad line(s) (first: ${r.badLineNumbers.slice(0, 5).join(', ')})`)
        }
        const over = fileUnits.filter((u) => u.points > b.unitMaxPoints)
        if (over.length) {
          const largest = Math.max(...over.map((u) => u.points))
          o.log(`${name}: ${over.length} unit(s) exceed the --memory budget of ${b.unitMaxPoints} points per unit (largest ${largest}): a series is never split, so each is analysed whole`)
        }
      } catch (e) {
        if (this.readInterrupted) break
        const err = e as { line?: number; column?: number }
        const where = err.line ? `${name}:${err.line}${err.column ? `:${err.column}` : ''}` : name
        const message = `${where}: ${errorText(e)}`
        o.log(message)
        this.files.push({ file: name, units: 0, points: 0, series: 0, badLines: 0, badLineNumbers: [], error: message })
        continue
      }
      await this.add(fileUnits, index === o.inputs.length - 1, reached)
    }
  }

  /**
   * Starts the workers while the first input is partitioned, so that their start-up (Node, the
   * addon, kafkajs) is not added to the run's time: as many as asked, no more than the units the
   * input will make when it is the only one (estimated from its size). Not for stdin, whose size
   * is unknown, nor once no broker answered.
   */
  private async startWorkersEarly(reached: Promise<Error | undefined>): Promise<void> {
    const { o } = this
    if (o.inputs[0] === '-') return
    const points = o.inputs.length === 1 ? estimatePoints(o.inputs[0]!) : Infinity
    // An input that cannot be read: the engine says why, and no worker is needed.
    if (o.inputs.length === 1 && !Number.isFinite(points)) return
    if (await reached) return
    if (this.workerCount === 0 && !this.stopping && !this.unreachable) this.spawnWorkers(Math.min(o.workers, Math.ceil(points / this.b.unitPoints)))
  }

  private spawnWorkers(count: number): void {
    this.workerCount = Math.max(1, count)
    this.threads = threadsPerWorker(this.workerCount, this.o.threads, this.o.log)
    for (let i = 0; i < this.workerCount; i++) this.spawnWorker()
  }

  /**
   * Units of one input: to the workers (started on the first units), or undelivered if no
   * broker answered or a signal came (the input read whole after it, or while the broker was asked).
   */
  private async add(fileUnits: SpilledUnit[], last: boolean, reached: Promise<Error | undefined>): Promise<void> {
    if (fileUnits.length === 0) return
    const units = fileUnits.map((u): Unit => ({ ...u, attempts: 0, mayHaveWritten: 0, requests: 0 }))
    this.units.push(...units)
    if (this.workerCount === 0 && !this.unreachable && !this.stopping) {
      const unreachable = await reached
      if (unreachable) {
        this.unreachable = unreachable
        this.o.log(errorText(unreachable))
      }
    }
    const error = this.unreachable ? errorText(this.unreachable) : this.stopping ? `not started: run interrupted by ${this.interrupted}` : undefined
    if (error) {
      for (const unit of units) this.giveUp(unit, error)
      return
    }
    this.queue.push(...units)
    // With more inputs to come, as many workers as asked; with this one alone, no more than its units.
    if (this.workerCount === 0) this.spawnWorkers(last ? Math.min(this.o.workers, units.length) : this.o.workers)
    this.dispatch()
  }

  private report(): RunReport {
    const { units, delivered, undelivered } = this
    const elapsedMs = performance.now() - this.started
    const fileErrors = this.files.some((f) => f.error)
    return {
      // A signal that lands after the last acknowledgement interrupts nothing: every unit was delivered.
      // One that lands while the inputs are read leaves them unread: not ok, whatever was planned.
      ok: !fileErrors && !this.readInterrupted && undelivered.length === 0 && delivered.size === units.length,
      files: this.files,
      units: { total: units.length, delivered: delivered.size, undelivered },
      maybeDuplicated: this.maybeDuplicated,
      conclusions: this.conclusions,
      workers: this.reports,
      restarts: this.restarts,
      primaryProducers: currentProcessProducer()?.created ?? 0,
      primaryPid: process.pid,
      threadsPerWorker: this.threads,
      elapsedMs,
      conclusionsPerSecond: tallyTotal(this.conclusions) / Math.max(elapsedMs / 1000, 1e-9),
      interrupted: this.interrupted,
    }
  }

  private check(): void {
    if (this.planning) return
    const settled = this.delivered.size + this.undelivered.length === this.units.length
    if (settled || (this.stopping && [...this.slots].every((s) => s.inFlight.size === 0))) this.finish()
  }

  private fail(unit: Unit, error: string): void {
    this.giveUp(unit, error)
    this.o.log(`unit ${unit.id} not delivered: ${error}`)
  }

  private giveUp(unit: Unit, error: string): void {
    this.undelivered.push({ unit: unit.id, file: unit.file, error })
    this.settled(unit)
  }

  /** A unit delivered or given up on: its spill file goes once none of its units is left. */
  private settled(unit: Unit): void {
    const left = (this.unsettled.get(unit.spill) ?? 0) - 1
    if (left > 0) this.unsettled.set(unit.spill, left)
    else if (this.unsettled.delete(unit.spill)) this.places.release(unit.spill)
  }

  private retryOrFail(unit: Unit, error: string): void {
    const o = this.o
    unit.lastError = error
    if (unit.attempts >= o.attempts || this.stopping) return this.fail(unit, error)
    // What this attempt may have written, the next one writes again.
    this.maybeDuplicated += unit.mayHaveWritten
    // Exponential back-off, so a broker that restarts in seconds is waited for.
    const delay = Math.min(o.retryBackoffMs * 2 ** (unit.attempts - 1), 30_000)
    o.log(`unit ${unit.id}: attempt ${unit.attempts} of ${o.attempts} failed (${error}); retrying in ${delay} ms`)
    const timer = setTimeout(() => {
      this.backingOff.delete(unit)
      this.queue.unshift(unit)
      this.dispatch()
    }, delay)
    this.backingOff.set(unit, timer)
  }

  private dispatch(): void {
    const { slots, queue } = this
    // Spread first: a second unit per worker only once every worker is up.
    const depth = [...slots].every((s) => s.ready) ? this.o.inFlightPerWorker : 1
    for (const slot of this.stopping ? [] : slots) {
      if (!slot.ready || slot.drained) continue
      for (let n = unitsToSend(slot.inFlight.values(), depth); n > 0 && queue.length; n--) {
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
    if (queue.length && slots.size === 0 && this.workerCount > 0) {
      for (const unit of queue.splice(0)) this.fail(unit, unit.lastError ?? 'no worker left to run it')
    }
    this.check()
  }

  private spawnWorker(): void {
    const config: WorkerConfig = { sink: this.o.sink, analysis: this.o.analysis }
    const child = startWorker<WorkerConfig, FromWorker>(WORKER_JS, config, this.threads, {
      message: (m) => {
        this.onMessage(slot, m)
        this.dispatch()
      },
      exit: (code, signal) => this.onExit(slot, code, signal),
      error: (e) => this.o.log(`worker ${slot.pid}: ${e.message}`),
    })
    const pid = child.pid ?? -1
    const slot: Slot = { child, pid, ready: false, inFlight: new Map(), report: { pid, units: 0, attempts: 0, startedMs: performance.now() - this.started }, drained: false }
    this.reports.push(slot.report)
    this.slots.add(slot)
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        slot.ready = true
        break
      case 'done': {
        const entry = slot.inFlight.get(m.id)
        slot.inFlight.delete(m.id)
        if (entry && !this.delivered.has(m.id)) {
          this.delivered.add(m.id)
          slot.report.units++
          addCounts(this.conclusions, m.counts)
          this.settled(entry.unit)
        }
        break
      }
      case 'analysed': {
        const entry = slot.inFlight.get(m.id)
        if (entry) entry.analysed = true
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
        if (m.stage === 'analyze' || m.permanent) this.fail(entry.unit, error)
        else this.retryOrFail(entry.unit, error)
        break
      }
      case 'stdout':
        void writeStdout(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))
        break
      case 'drained':
        slot.report.producersCreated = m.producersCreated
        if (m.error) this.o.log(`worker ${slot.pid}: ${errorText(m.error)}`)
        break
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const { o, queue, slots } = this
    slots.delete(slot)
    slot.report.exit = { code, signal }
    const lost = [...slot.inFlight.values()].map((e) => e.unit)
    slot.inFlight.clear()
    if (slot.drained) {
      for (const unit of lost) this.fail(unit, `worker ${slot.pid} exited before finishing it (drain deadline)`)
      return this.check()
    }
    o.log(`worker ${slot.pid} exited (${signal ?? `code ${code}`}) with ${lost.length} unit(s) in flight`)
    for (const unit of lost) this.retryOrFail(unit, slot.killedFor ?? `worker ${slot.pid} died (${signal ?? `code ${code}`}) while on it`)
    const workLeft = queue.length > 0 || [...slots].some((s) => s.inFlight.size > 0)
    if (!this.stopping && (queue.length > 0 || this.planning) && this.restarts < o.maxRestarts) {
      this.restarts++
      this.spawnWorker()
    } else if (!this.stopping && queue.length > 0 && !workLeft) {
      o.log(`worker restart limit (${o.maxRestarts}) reached`)
    }
    this.dispatch()
  }

  /** Watchdog: a unit stuck beyond its timeout gets its worker killed (and retried elsewhere). */
  private watch(): void {
    const now = performance.now()
    for (const slot of this.slots) {
      for (const { unit, since } of slot.inFlight.values()) {
        if (now - since > this.o.unitTimeoutMs) {
          slot.killedFor = `worker ${slot.pid} killed: the unit ran over --unit-timeout (${this.o.unitTimeoutMs} ms) ${this.stuckAt(unit, now)}`
          this.o.log(`unit ${unit.id}: ${slot.killedFor}`)
          slot.child.kill('SIGKILL')
          break
        }
      }
    }
  }

  /** Where a unit stands when the watchdog gives up on it: the cause, as far as the primary can tell. */
  private stuckAt(unit: Unit, now: number): string {
    if (unit.requestSince === undefined) return 'while analysing it (none of its conclusions sent yet)'
    const sending = Math.round(now - unit.requestSince)
    const deadline = this.o.sink.kind === 'kafka' ? this.o.sink.sendTimeoutMs : undefined
    return (
      `while sending produce request ${unit.requests} of its conclusions, for ${sending} ms` +
      (deadline !== undefined && sending > deadline + 1_000
        ? `: its --send-timeout (${deadline} ms) did not fire, so the worker's event loop was blocked`
        : '')
    )
  }

  private progressLine(): string {
    const total = tallyTotal(this.conclusions)
    const secs = (performance.now() - this.started) / 1000
    return (
      `units ${this.delivered.size}/${this.units.length}  conclusions ${total.toLocaleString('en')} ` +
      `(${Math.round(total / Math.max(secs, 1e-3)).toLocaleString('en')}/s)  workers ${this.slots.size}` +
      (this.undelivered.length ? `  undelivered ${this.undelivered.length}` : '')
    )
  }

  /**
   * The first SIGINT/SIGTERM: units in flight finish, units not started are undelivered, and
   * what is left of the input is not read.
   */
  private stop(signal: NodeJS.Signals): void {
    this.interrupted = signal
    this.stopping = true
    if (this.planning) this.reading.abort()
    const inFlight = [...this.slots].some((s) => s.inFlight.size > 0)
    if (this.planning && !inFlight) this.o.log(`${signal} while reading the input: ${this.units.length ? 'no unit in flight, the rest of the input unread' : 'no unit started'}`)
    else this.o.log(`${signal}: finishing units in flight (up to ${this.o.drainTimeoutMs} ms)${this.planning ? ', the rest of the input unread' : ''}, then exiting`)
    for (const [unit, timer] of this.backingOff) {
      clearTimeout(timer)
      this.queue.push(unit)
    }
    this.backingOff.clear()
    const notStarted = this.queue.splice(0)
    for (const unit of notStarted) this.giveUp(unit, `not started: run interrupted by ${signal}`)
    if (notStarted.length) this.o.log(`${notStarted.length} unit(s) not started`)
    this.check()
  }
}
