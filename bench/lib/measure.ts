// Timing helpers of the benchmark suite: tinybench for the native engine (repeated,
// median reported), a budgeted single-shot runner for the slow peers (with an honest
// extrapolation when a peer cannot finish the whole workload), and event-loop delay.
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { Bench } from 'tinybench'

export interface Timing {
  /** Median (tinybench) or single-run milliseconds for the whole workload. */
  ms: number
  /** How many runs the figure rests on. */
  runs: number
  /** Set when the figure is estimated from a part of the workload. */
  estimate?: { measuredMs: number; on: string; method: string }
}

/** tinybench's median over repeated runs (at least `minRuns`, up to `timeMs` of sampling). */
export async function median(name: string, fn: () => unknown, opts: { minRuns: number; timeMs: number }): Promise<Timing> {
  const bench = new Bench({ name, time: opts.timeMs, iterations: opts.minRuns, warmupIterations: 1, warmupTime: 0, throws: true })
  bench.add(name, fn)
  await bench.run()
  const r = bench.tasks[0]!.result
  if (r.state !== 'completed') throw new Error(`benchmark ${name} ended in state ${r.state}`)
  return { ms: r.latency.p50, runs: r.latency.samplesCount }
}

export function timeOnce(fn: () => unknown): number {
  const t0 = performance.now()
  fn()
  return performance.now() - t0
}

export async function timeOnceAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

/**
 * Runs `run(k)` on a growing part k of a workload of size `full` (k units: series, or points of
 * one series) until one run takes at least a quarter of `budgetMs` or k reaches `full`.
 * Reaching `full` gives a measurement; otherwise the total is estimated from the last two sizes
 * with the fitted power law t ~ k^e (e clamped to [1, 3]), and the estimate says so.
 */
export function budgeted(run: (k: number) => unknown, full: number, start: number, budgetMs: number, unit: string): Timing {
  let k = Math.min(start, full)
  let prev: { k: number; ms: number } | undefined
  for (;;) {
    const ms = timeOnce(() => run(k))
    if (k === full) return { ms, runs: 1 }
    if (ms >= budgetMs / 4) {
      const e = prev && prev.ms > 0 ? Math.min(3, Math.max(1, Math.log(ms / prev.ms) / Math.log(k / prev.k))) : 1
      return {
        ms: ms * (full / k) ** e,
        runs: 1,
        estimate: { measuredMs: ms, on: `${k.toLocaleString('en-US')} of ${full.toLocaleString('en-US')} ${unit}`, method: `t ~ n^${e.toFixed(2)}` },
      }
    }
    prev = { k, ms }
    // grow towards a run of about budget/4, at most 4x per step
    const next = Math.ceil(k * Math.min(4, Math.max(1.5, budgetMs / 4 / Math.max(ms, 0.1))))
    k = Math.min(full, next)
  }
}

export interface LoopDelay {
  p50: number
  p99: number
  max: number
  samples: number
}

/** Event-loop delay (ms) while `job` runs: a 1 ms timer's lateness, as perf_hooks measures it. */
export async function loopDelayDuring(job: () => Promise<unknown>): Promise<LoopDelay & { jobMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  const t0 = performance.now()
  await job()
  const jobMs = performance.now() - t0
  // let the histogram record the last interval
  await new Promise((r) => setTimeout(r, 5))
  h.disable()
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, samples: h.count, jobMs }
}
