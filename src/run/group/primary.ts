// The primary of `conclude run --source kafka`: plans nothing (Kafka's
// consumer group spreads the partitions), spawns --workers consumer-group
// workers (../supervisor.ts), restarts any that die, serves the merged
// metrics and a readiness signal, and on SIGINT/SIGTERM drains: every worker
// finishes its batch in flight, commits, leaves the group and exits, within
// --drain-timeout.
import type { ChildProcess } from 'node:child_process'
import type { Server } from 'node:http'
import { join } from 'node:path'

import { addCounts, emptyTally, tallyTotal, type Tally } from '../../conclusions.js'
import { errorText } from '../../error-text.js'
import { reachBrokers, requireTopic } from '../../kafka/broker-config.js'
import { sendToWorker } from '../ipc.js'
import { progressReporter, type ProgressMode } from '../progress.js'
import { drainWorkers, onStopSignals, startWorker, threadsPerWorker, type Log } from '../supervisor.js'
import { primaryMetrics, serveMetrics } from './metrics.js'
import type { FromGroupWorker, GroupWorkerConfig, ToGroupWorker } from './protocol.js'

export interface GroupRunOptions {
  /** Worker config without the per-slot transactionalId. */
  worker: Omit<GroupWorkerConfig, 'transactionalId'>
  workers: number
  threads?: number
  /** Names this instance in transactionalIds: `conclude-<group>-<instance>-<slot>`. */
  instanceId: string
  drainTimeoutMs: number
  /** A worker that exits before ever joining the group, this many times in a row, ends the run. */
  maxStartFailures: number
  metricsPort?: number
  metricsHost?: string
  progress: ProgressMode
  log: Log
}

export interface GroupWorkerReport {
  slot: number
  pid: number
  transactionalId?: string
  batches: number
  deadLetters: number
  /** Input partitions this process finished at least one batch of. */
  partitions: number[]
  exit?: { code: number | null; signal: NodeJS.Signals | null }
}

export interface GroupRunReport {
  ok: boolean
  topic: string
  group: string
  instanceId: string
  exactlyOnce: boolean
  batches: number
  deadLetters: number
  conclusions: Tally
  workers: GroupWorkerReport[]
  restarts: number
  /**
   * At least once: conclusions of batches that this instance's workers sent (or
   * were sending) and did not commit, because the commit failed, the group
   * rebalanced or the worker died: the partition's next owner sends them again.
   * An upper bound for this instance; a whole instance killed cannot count its own.
   */
  maybeDuplicated: number
  primaryPid: number
  threadsPerWorker: number
  elapsedMs: number
  error?: string
  interrupted?: NodeJS.Signals
}

interface Slot {
  index: number
  child: ChildProcess
  joined: boolean
  everJoined: boolean
  report: GroupWorkerReport
  partitions: Set<number>
  lastError?: string
  /** Batches being sent, not yet committed: `partition/offset` -> messages that may be written. */
  inDoubt: Map<string, number>
}

const WORKER_JS = join(__dirname, 'worker.js')

export async function runGroup(o: GroupRunOptions): Promise<GroupRunReport> {
  return new GroupRun(o).execute()
}

/** One instance's slots of workers, from the first one started to the report. */
class GroupRun {
  private readonly started = performance.now()
  private readonly threads: number
  private readonly conclusions = emptyTally()
  private readonly metrics = primaryMetrics()
  private readonly slots = new Map<number, Slot>()
  private readonly reports: GroupWorkerReport[] = []
  private batches = 0
  private deadLetters = 0
  private restarts = 0
  private startFailures = 0
  private maybeDuplicated = 0
  /** Restarts waiting out their back-off; they keep the process alive, and shutdown cancels them. */
  private readonly restartTimers = new Set<NodeJS.Timeout>()
  private stopping = false
  private interrupted?: NodeJS.Signals
  private fatalError?: string
  private finish!: () => void
  private readonly ended = new Promise<void>((resolve) => (this.finish = resolve))
  /** Metrics requests to workers, answered over IPC. */
  private nextRequest = 0
  private readonly pending = new Map<number, (m: object[]) => void>()

  constructor(private readonly o: GroupRunOptions) {
    this.threads = threadsPerWorker(o.workers, o.threads, o.log)
  }

  async execute(): Promise<GroupRunReport> {
    const o = this.o
    const offSignals = onStopSignals({
      stopping: () => this.stopping,
      stop: (signal) => {
        this.interrupted = signal
        o.log(`${signal}: finishing the batches in flight, committing and leaving the group (up to ${o.drainTimeoutMs} ms)`)
        this.shutdown()
      },
      workers: () => [...this.slots.values()].map((s) => s.child),
      log: o.log,
    })
    const progress = progressReporter(o.progress, () => this.progressLine())
    let server: Server | undefined
    try {
      if (o.metricsPort !== undefined) {
        server = await serveMetrics({ port: o.metricsPort, host: o.metricsHost, collect: () => this.collect(), primary: this.metrics.registry, ready: () => this.ready() })
        const address = server.address()
        o.log(`metrics on :${typeof address === 'object' && address ? address.port : o.metricsPort} (/metrics, /ready, /healthz)`)
      }
      // A broker never reached fails the instance within the connect deadline: restarts with
      // back-off are for brokers that were reached before (and went away).
      // So does an input topic that does not exist: every worker's subscribe would fail the same way.
      const unreachable = await reachBrokers(o.worker.brokers, o.worker.connectTimeoutMs)
        .then(() => requireTopic(o.worker.brokers, o.worker.topic, o.worker.connectTimeoutMs))
        .then(() => undefined, (e: Error) => e)
      if (unreachable) {
        this.fatalError = errorText(unreachable)
        o.log(this.fatalError)
      } else {
        for (let i = 0; i < o.workers; i++) this.spawnWorker(i)
        await this.ended
      }
    } finally {
      progress.stop()
      offSignals()
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    }
    return this.report()
  }

  private report(): GroupRunReport {
    const o = this.o
    // The last process of each slot is the one that drained: it must have done so cleanly.
    const lastOfSlot = [...new Map(this.reports.map((r) => [r.slot, r])).values()]
    return {
      ok: !this.fatalError && lastOfSlot.every((r) => r.exit?.code === 0 && r.exit.signal === null),
      topic: o.worker.topic,
      group: o.worker.group,
      instanceId: o.instanceId,
      exactlyOnce: o.worker.exactlyOnce,
      batches: this.batches,
      deadLetters: this.deadLetters,
      conclusions: this.conclusions,
      workers: this.reports,
      restarts: this.restarts,
      maybeDuplicated: this.maybeDuplicated,
      primaryPid: process.pid,
      threadsPerWorker: this.threads,
      elapsedMs: performance.now() - this.started,
      error: this.fatalError,
      interrupted: this.interrupted,
    }
  }

  private txnId(slot: number): string {
    return `conclude-${this.o.worker.group}-${this.o.instanceId}-${slot}`
  }

  private joined(): number {
    return [...this.slots.values()].filter((s) => s.joined).length
  }

  private ready(): boolean {
    return !this.stopping && this.slots.size === this.o.workers && this.joined() === this.o.workers
  }

  private refreshGauges(): void {
    this.metrics.workers.set(this.slots.size)
    this.metrics.joined.set(this.joined())
    this.metrics.ready.set(this.ready() ? 1 : 0)
  }

  /** Every live worker's metrics registry as JSON; a worker that does not answer within 2 s is left out. */
  private async collect(): Promise<object[][]> {
    const { pending } = this
    const answers = [...this.slots.values()].map(
      (slot) =>
        new Promise<object[] | undefined>((resolve) => {
          const id = this.nextRequest++
          const timer = setTimeout(() => {
            pending.delete(id)
            resolve(undefined)
          }, 2_000)
          pending.set(id, (m) => {
            clearTimeout(timer)
            pending.delete(id)
            resolve(m)
          })
          if (!sendToWorker(slot.child, { type: 'metrics', id } satisfies ToGroupWorker)) {
            clearTimeout(timer)
            pending.delete(id)
            resolve(undefined)
          }
        }),
    )
    this.refreshGauges()
    return (await Promise.all(answers)).filter((m): m is object[] => m !== undefined)
  }

  private spawnWorker(index: number): void {
    const o = this.o
    const config: GroupWorkerConfig = { ...o.worker, transactionalId: this.txnId(index) }
    const child = startWorker<GroupWorkerConfig, FromGroupWorker>(
      WORKER_JS,
      config,
      this.threads,
      {
        message: (m) => {
          this.onMessage(slot, m)
          this.refreshGauges()
        },
        exit: (code, signal) => this.onExit(slot, code, signal),
        error: (e) => o.log(`worker ${report.pid} (slot ${index}): ${e.message}`),
      },
      { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    )
    const report: GroupWorkerReport = {
      slot: index,
      pid: child.pid ?? -1,
      transactionalId: o.worker.exactlyOnce ? this.txnId(index) : undefined,
      batches: 0,
      deadLetters: 0,
      partitions: [],
    }
    const slot: Slot = { index, child, joined: false, everJoined: false, report, partitions: new Set(), inDoubt: new Map() }
    this.reports.push(report)
    this.slots.set(index, slot)
    this.refreshGauges()
  }

  private onMessage(slot: Slot, m: FromGroupWorker): void {
    const o = this.o
    const report = slot.report
    switch (m.type) {
      case 'joined':
        slot.joined = true
        slot.everJoined = true
        this.startFailures = 0
        o.log(`worker ${report.pid} (slot ${slot.index}) joined group ${o.worker.group}: partitions [${m.partitions.join(',')}]`)
        break
      case 'sending':
        slot.inDoubt.set(`${m.partition}/${m.offset}`, m.messages)
        break
      case 'uncommitted':
        slot.inDoubt.delete(`${m.partition}/${m.offset}`)
        this.maybeDuplicated += m.messages
        break
      case 'batch':
        slot.inDoubt.delete(`${m.partition}/${m.offset}`)
        this.batches++
        report.batches++
        if (!slot.partitions.has(m.partition)) {
          slot.partitions.add(m.partition)
          report.partitions = [...slot.partitions].sort((a, b) => a - b)
        }
        if (m.deadLetter) {
          this.deadLetters++
          report.deadLetters++
          o.log(`batch ${o.worker.topic}/${m.partition}/${m.offset} could not be analysed: sent to ${o.worker.deadLetterTopic}`)
        }
        addCounts(this.conclusions, m.counts)
        break
      case 'metrics':
        this.pending.get(m.id)?.(m.metrics as object[])
        break
      case 'fatal':
        slot.lastError = errorText(m.error)
        break
      case 'drained':
        if (m.error) o.log(`worker ${report.pid}: ${m.error.message}`)
        break
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const o = this.o
    const { report, index } = slot
    this.slots.delete(index)
    report.exit = { code, signal }
    // Sent and never committed: the next owner of those partitions sends them again.
    for (const n of slot.inDoubt.values()) this.maybeDuplicated += n
    slot.inDoubt.clear()
    this.refreshGauges()
    // Stopping: drainWorkers waits for this exit.
    if (this.stopping) return
    o.log(`worker ${report.pid} (slot ${index}) exited (${signal ?? `code ${code}`})${slot.lastError ? `: ${slot.lastError}` : ''}`)
    if (!slot.everJoined) this.startFailures++
    if (this.startFailures >= o.maxStartFailures) {
      this.fatalError = `giving up: workers exited ${this.startFailures} time(s) in a row before joining the group; last: ${slot.lastError ?? signal ?? `code ${code}`}`
      o.log(this.fatalError)
      return this.shutdown()
    }
    // Back off while workers keep failing to start (a broker that is down), up to 30 s.
    const delay = this.startFailures === 0 ? 0 : Math.min(30_000, 500 * 2 ** (this.startFailures - 1))
    this.restarts++
    this.metrics.restarts.inc()
    if (delay > 0) o.log(`restarting slot ${index} in ${delay} ms (${this.startFailures} of ${o.maxStartFailures} failures in a row before joining)`)
    // Not unref'd: while every worker is down, this timer is all that keeps the instance alive.
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer)
      if (!this.stopping) this.spawnWorker(index)
    }, delay)
    this.restartTimers.add(timer)
  }

  /** Drains every worker (within --drain-timeout) and ends the run once all have exited. */
  private shutdown(): void {
    if (this.stopping) return
    this.stopping = true
    for (const timer of this.restartTimers) clearTimeout(timer)
    this.restartTimers.clear()
    this.refreshGauges()
    const ms = this.o.drainTimeoutMs
    const pids = new Map<ChildProcess, number>([...this.slots.values()].map((s) => [s.child, s.report.pid]))
    void drainWorkers(pids.keys(), ms, (child) => this.o.log(`worker ${pids.get(child)} did not drain within ${ms} ms: killing it`)).then(this.finish)
  }

  private progressLine(): string {
    const total = tallyTotal(this.conclusions)
    return `group ${this.o.worker.group}: ${this.batches} batch(es), ${this.deadLetters} dead-lettered, ${total} conclusions, ${this.joined()}/${this.o.workers} worker(s) joined, ${this.restarts} restart(s)`
  }
}
