// The supervision both modes of `conclude run` share: sizing the engine
// threads of each worker, starting a worker process with its config, the
// stop signals (the first drains, a second kills), and the drain deadline.
// What each mode does with its workers (units, or consumer-group members) is
// in ./file/primary.ts and ./group/primary.ts.
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'

import { sendToWorker } from './ipc.js'
import type { Drain, Start } from './protocol.js'

export type Log = (line: string) => void

/**
 * Engine threads per worker: `threads` if given, else the cores shared out
 * among `workers` (at least 1). Says so when workers x threads exceed the cores.
 */
export function threadsPerWorker(workers: number, threads: number | undefined, log: Log): number {
  const cores = availableParallelism()
  const n = threads ?? Math.max(1, Math.floor(cores / workers))
  if (workers * n > cores) log(`${workers} worker(s) x ${n} thread(s) exceed the ${cores} core(s) available: they will compete for them`)
  return n
}

/** What a primary does with a worker's messages, its exit and its errors (a failed fork, a failed send). */
export interface WorkerEvents<FromWorker> {
  message(m: FromWorker): void
  exit(code: number | null, signal: NodeJS.Signals | null): void
  error(e: Error): void
}

/**
 * Forks the worker script `script` (stdout ignored: workers hand their output
 * to the primary; stderr shared), sends it its start message and wires `on`.
 * `env` are defaults the caller's environment overrides. A worker that dies
 * before reading its start message is its exit handler's to deal with.
 */
export function startWorker<Config, FromWorker>(script: string, config: Config, threads: number, on: WorkerEvents<FromWorker>, env: Record<string, string> = {}): ChildProcess {
  const child = fork(script, [], {
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...env, ...process.env },
  })
  sendToWorker(child, { type: 'config', config, threads } satisfies Start<Config>)
  child.on('error', (e) => on.error(e))
  child.on('message', (m: FromWorker) => on.message(m))
  child.on('exit', (code, signal) => on.exit(code, signal))
  return child
}

export interface StopSignals {
  /** Whether the run is already stopping (a signal then kills every worker at once). */
  stopping(): boolean
  /** The first SIGINT/SIGTERM: begin the drain. */
  stop(signal: NodeJS.Signals): void
  /** The live workers. */
  workers(): Iterable<ChildProcess>
  log: Log
}

/** Handles SIGINT and SIGTERM until the returned function is called. */
export function onStopSignals(s: StopSignals): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (!s.stopping()) return s.stop(signal)
    s.log(`${signal} again: stopping now`)
    for (const child of s.workers()) child.kill('SIGKILL')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/**
 * Asks every worker to drain and resolves once all have exited. A worker whose
 * channel is already closed is killed at once; one still running after `ms`
 * is killed too (`onOverrun` hears of it first).
 */
export async function drainWorkers(workers: Iterable<ChildProcess>, ms: number, onOverrun?: (child: ChildProcess) => void): Promise<void> {
  const children = [...workers]
  const exits = children.map(
    (child) =>
      new Promise<void>((resolve) => {
        if (exited(child)) return resolve()
        child.once('exit', () => resolve())
        if (!sendToWorker(child, { type: 'drain' } satisfies Drain)) child.kill('SIGKILL')
      }),
  )
  const timer = setTimeout(() => {
    for (const child of children) {
      if (exited(child)) continue
      onOverrun?.(child)
      child.kill('SIGKILL')
    }
  }, ms)
  await Promise.all(exits)
  clearTimeout(timer)
}
