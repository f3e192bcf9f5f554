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
  const started = performance.now()
  const threads = threadsPerWorker(o.workers, o.threads, o.log)
  const conclusions = emptyTally()
  const metrics = primaryMetrics()
  const slots = new Map<number, Slot>()
  const reports: GroupWorkerReport[] = []
  let batches = 0
  let deadLetters = 0
  let restarts = 0
  let startFailures = 0
  let maybeDuplicated = 0
  /** Restarts waiting out their back-off; they keep the process alive, and shutdown cancels them. */
  const restartTimers = new Set<NodeJS.Timeout>()
  let stopping = false
  let interrupted: NodeJS.Signals | undefined
  let fatalError: string | undefined
  let finish!: () => void
  const ended = new Promise<void>((resolve) => (finish = resolve))

  const txnId = (slot: number) => `conclude-${o.worker.group}-${o.instanceId}-${slot}`
  const ready = () => !stopping && slots.size === o.workers && [...slots.values()].every((s) => s.joined)
  const refreshGauges = () => {
    metrics.workers.set(slots.size)
    metrics.joined.set([...slots.values()].filter((s) => s.joined).length)
    metrics.ready.set(ready() ? 1 : 0)
  }

  // Metrics requests to workers, answered over IPC.
  let nextRequest = 0
  const pending = new Map<number, (m: object[]) => void>()
  const collect = async (): Promise<object[][]> => {
    const answers = [...slots.values()].map(
      (slot) =>
        new Promise<object[] | undefined>((resolve) => {
          const id = nextRequest++
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
    refreshGauges()
    return (await Promise.all(answers)).filter((m): m is object[] => m !== undefined)
  }

  const spawnWorker = (index: number) => {
    const config: GroupWorkerConfig = { ...o.worker, transactionalId: txnId(index) }
    const child = startWorker(WORKER_JS, config, threads, { KAFKAJS_NO_PARTITIONER_WARNING: '1' })
    const report: GroupWorkerReport = {
      slot: index,
      pid: child.pid ?? -1,
      transactionalId: o.worker.exactlyOnce ? txnId(index) : undefined,
      batches: 0,
      deadLetters: 0,
      partitions: [],
    }
    const slot: Slot = { index, child, joined: false, everJoined: false, report, partitions: new Set(), inDoubt: new Map() }
    reports.push(report)
    slots.set(index, slot)
    refreshGauges()
    child.on('error', (e) => o.log(`worker ${report.pid} (slot ${index}): ${e.message}`))
    child.on('message', (m: FromGroupWorker) => {
      switch (m.type) {
        case 'joined':
          slot.joined = true
          slot.everJoined = true
          startFailures = 0
          o.log(`worker ${report.pid} (slot ${index}) joined group ${o.worker.group}: partitions [${m.partitions.join(',')}]`)
          break
        case 'sending':
          slot.inDoubt.set(`${m.partition}/${m.offset}`, m.messages)
          break
        case 'uncommitted':
          slot.inDoubt.delete(`${m.partition}/${m.offset}`)
          maybeDuplicated += m.messages
          break
        case 'batch':
          slot.inDoubt.delete(`${m.partition}/${m.offset}`)
          batches++
          report.batches++
          if (!slot.partitions.has(m.partition)) {
            slot.partitions.add(m.partition)
            report.partitions = [...slot.partitions].sort((a, b) => a - b)
          }
          if (m.deadLetter) {
            deadLetters++
            report.deadLetters++
            o.log(`batch ${o.worker.topic}/${m.partition}/${m.offset} could not be analysed: sent to ${o.worker.deadLetterTopic}`)
          }
          addCounts(conclusions, m.counts)
          break
        case 'metrics':
          pending.get(m.id)?.(m.metrics as object[])
          break
        case 'fatal':
          slot.lastError = errorText(m.error)
          break
        case 'drained':
          if (m.error) o.log(`worker ${report.pid}: ${m.error.message}`)
          break
      }
      refreshGauges()
    })
    child.on('exit', (code, signal) => {
      slots.delete(index)
      report.exit = { code, signal }
      // Sent and never committed: the next owner of those partitions sends them again.
      for (const n of slot.inDoubt.values()) maybeDuplicated += n
      slot.inDoubt.clear()
      refreshGauges()
      // Stopping: drainWorkers waits for this exit.
      if (stopping) return
      o.log(`worker ${report.pid} (slot ${index}) exited (${signal ?? `code ${code}`})${slot.lastError ? `: ${slot.lastError}` : ''}`)
      if (!slot.everJoined) startFailures++
      if (startFailures >= o.maxStartFailures) {
        fatalError = `giving up: workers exited ${startFailures} time(s) in a row before joining the group; last: ${slot.lastError ?? signal ?? `code ${code}`}`
        o.log(fatalError)
        return void shutdown()
      }
      // Back off while workers keep failing to start (a broker that is down), up to 30 s.
      const delay = startFailures === 0 ? 0 : Math.min(30_000, 500 * 2 ** (startFailures - 1))
      restarts++
      metrics.restarts.inc()
      if (delay > 0) o.log(`restarting slot ${index} in ${delay} ms (${startFailures} of ${o.maxStartFailures} failures in a row before joining)`)
      // Not unref'd: while every worker is down, this timer is all that keeps the instance alive.
      const timer = setTimeout(() => {
        restartTimers.delete(timer)
        if (!stopping) spawnWorker(index)
      }, delay)
      restartTimers.add(timer)
    })
  }

  const shutdown = () => {
    if (stopping) return
    stopping = true
    for (const timer of restartTimers) clearTimeout(timer)
    restartTimers.clear()
    refreshGauges()
    const pids = new Map<ChildProcess, number>([...slots.values()].map((s) => [s.child, s.report.pid]))
    void drainWorkers(pids.keys(), o.drainTimeoutMs, (child) => o.log(`worker ${pids.get(child)} did not drain within ${o.drainTimeoutMs} ms: killing it`)).then(finish)
  }

  const offSignals = onStopSignals({
    stopping: () => stopping,
    stop: (signal) => {
      interrupted = signal
      o.log(`${signal}: finishing the batches in flight, committing and leaving the group (up to ${o.drainTimeoutMs} ms)`)
      shutdown()
    },
    workers: () => [...slots.values()].map((s) => s.child),
    log: o.log,
  })

  const progress = progressReporter(o.progress, () => {
    const total = tallyTotal(conclusions)
    const joined = [...slots.values()].filter((s) => s.joined).length
    return `group ${o.worker.group}: ${batches} batch(es), ${deadLetters} dead-lettered, ${total} conclusions, ${joined}/${o.workers} worker(s) joined, ${restarts} restart(s)`
  })

  let server: Server | undefined
  try {
    if (o.metricsPort !== undefined) {
      server = await serveMetrics({ port: o.metricsPort, host: o.metricsHost, collect, primary: metrics.registry, ready })
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
      fatalError = errorText(unreachable)
      o.log(fatalError)
    } else {
      for (let i = 0; i < o.workers; i++) spawnWorker(i)
      await ended
    }
  } finally {
    progress.stop()
    offSignals()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  }
  // The last process of each slot is the one that drained: it must have done so cleanly.
  const lastOfSlot = [...new Map(reports.map((r) => [r.slot, r])).values()]
  return {
    ok: !fatalError && lastOfSlot.every((r) => r.exit?.code === 0 && r.exit.signal === null),
    topic: o.worker.topic,
    group: o.worker.group,
    instanceId: o.instanceId,
    exactlyOnce: o.worker.exactlyOnce,
    batches,
    deadLetters,
    conclusions,
    workers: reports,
    restarts,
    maybeDuplicated,
    primaryPid: process.pid,
    threadsPerWorker: threads,
    elapsedMs: performance.now() - started,
    error: fatalError,
    interrupted,
  }
}
