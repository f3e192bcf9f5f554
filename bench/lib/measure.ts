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
 * Measures a slow implementation on growing parts of a workload of size `full` (k units: series,
 * or points of one series). `run(k)` returns the milliseconds of one run on part k, or a string
 * saying why it could not run. After a warm-up on the smallest part (JIT; skipped for runners
 * that time themselves in a fresh process), k grows (by at most `maxGrowth` a
 * step) until one run takes a quarter of `budgetMs` or k reaches `full`. Reaching `full` is a
 * measurement. Otherwise the total is an estimate: linear in series (they are independent and
 * alike), or for points the power law t ~ k^e fitted on the last two sizes (e in [1, 3]); the
 * estimate says which.
 */
export async function budgeted(
  run: (k: number) => Promise<number | string> | number | string,
  w: { full: number; unit: 'series' | 'points' },
  budgetMs: number,
  { warmup = true, maxGrowth = 4 } = {},
): Promise<{ timing?: Timing; skipped?: string }> {
  const first = w.unit === 'series' ? 1 : Math.min(w.full, 500)
  const warm = warmup ? await run(first) : 0
  if (typeof warm === 'string') return { skipped: warm }
  let k = first
  let prev: { k: number; ms: number } | undefined
  for (;;) {
    const ms = await run(k)
    if (typeof ms === 'string') {
      if (!prev) return { skipped: ms }
      return estimate(prev, undefined, w, `${ms} at ${k.toLocaleString('en-US')} ${w.unit}`)
    }
    if (k === w.full) return { timing: { ms, runs: 1 } }
    if (ms >= budgetMs / 4 && (prev || w.unit === 'series')) return estimate({ k, ms }, prev, w)
    prev = { k, ms }
    k = Math.min(w.full, Math.ceil(k * Math.min(maxGrowth, Math.max(2, budgetMs / 4 / Math.max(ms, 0.1)))))
  }
}

function estimate(
  last: { k: number; ms: number },
  before: { k: number; ms: number } | undefined,
  w: { full: number; unit: 'series' | 'points' },
  why?: string,
): { timing: Timing } {
  const e = w.unit === 'series' || !before ? 1 : Math.min(3, Math.max(1, Math.log(last.ms / before.ms) / Math.log(last.k / before.k)))
  const method = w.unit === 'series' ? 'linear in series' : `t ~ n^${e.toFixed(2)}${before ? '' : ' (one size only)'}`
  return {
    timing: {
      ms: last.ms * (w.full / last.k) ** e,
      runs: 1,
      estimate: { measuredMs: last.ms, on: `${last.k.toLocaleString('en-US')} of ${w.full.toLocaleString('en-US')} ${w.unit}`, method: why ? `${method}; stopped: ${why}` : method },
    },
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
  // let the sampling timer start, so a job that blocks from its first moment is seen
  // (no reset() after this: the first delay after a reset is not recorded)
  await new Promise((r) => setTimeout(r, 20))
  const t0 = performance.now()
  await job()
  const jobMs = performance.now() - t0
  // let the histogram record the last interval
  await new Promise((r) => setTimeout(r, 5))
  h.disable()
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, samples: h.count, jobMs }
}
