// changepoint: PELT with the l2 cost, as ruptures 1.1.x runs it
// (`Pelt(model="l2", min_size, jump).fit(x).predict(pen)` without the final n),
// written as the textbook recursion with segment costs from prefix sums.
import type { ChangepointConclusion } from '../../index.js'
import { hampel, MAD_SCALE, presentPoints, type HampelOptions } from './anomaly.js'
import { mad, mean, median, populationStd } from './stats.js'

export interface PeltOptions {
  minSize: number
  jump: number
  /** Penalty per change point; undefined: the default `3 s^2 ln n`. */
  penalty?: number
  /** Replace Hampel anomalies by their window median first. */
  clean: boolean
}

/**
 * The default penalty `3 s^2 ln n`, s a robust noise scale of the first differences d:
 * MAD_SCALE * MAD(d) / sqrt 2, else std(d) / sqrt 2; null when that is 0 too.
 */
export function defaultPenalty(x: ArrayLike<number>): number | null {
  const n = x.length
  if (n < 2) return null
  const d = new Float64Array(n - 1)
  for (let i = 1; i < n; i++) d[i - 1] = x[i]! - x[i - 1]!
  let s = (MAD_SCALE * mad(d, median(d))) / Math.SQRT2
  if (s === 0) s = populationStd(d) / Math.SQRT2
  if (s === 0 || Number.isNaN(s)) return null
  return 3 * (s * s) * Math.log(n)
}

/**
 * ruptures' PELT: the starts of the new segments (ascending, without n).
 *
 * Candidate ends are the multiples of `jump` from `minSize` on, then n. At each end b the
 * start floor((b - minSize) / jump) * jump becomes admissible (skipped while it has no
 * partition of its own prefix). The value of start t is F(t) + (C(t, b) + pen); the first
 * minimum in admissible (ascending) order wins; starts whose value exceeds F(b) + pen are
 * pruned.
 *
 * `trace`, when given, receives the smallest margin of any decision taken (between the
 * chosen value and another candidate's, or between a value and the pruning threshold),
 * relative to the scale of the values (sum of squares of the centred signal + |F(b)| + pen,
 * plus n * mean^2 * EPSILON, the rounding the centring itself leaves: without it a constant
 * signal has scale 0 and its all-zero costs no measurable margin): below ~1e-12 the outcome
 * rests on rounding, and another summation order may differ.
 */
export function pelt(
  x: ArrayLike<number>,
  minSize: number,
  jump: number,
  pen: number,
  trace?: { margin: number },
): number[] {
  const n = x.length
  minSize = Math.max(minSize, 1)
  if (n < 2 * minSize) return []
  // Prefix sums of the signal centred on its mean (less cancellation in S2 - S1^2 / len).
  const centre = mean(x)
  const s1 = new Float64Array(n + 1)
  const s2 = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) {
    const y = x[i]! - centre
    s1[i + 1] = s1[i]! + y
    s2[i + 1] = s2[i]! + y * y
  }
  const cost = (a: number, b: number): number => {
    const sum = s1[b]! - s1[a]!
    return Math.max(0, s2[b]! - s2[a]! - (sum * sum) / (b - a))
  }

  const F = new Float64Array(n + 1).fill(NaN)
  const prev = new Int32Array(n + 1)
  F[0] = 0
  const ends: number[] = []
  for (let k = 0; k < n; k += jump) if (k >= minSize) ends.push(k)
  ends.push(n)

  // The admissible starts (ascending) and their values at the current end.
  const adm = new Int32Array(ends.length + 1)
  const vals = new Float64Array(ends.length + 1)
  let count = 0
  for (const b of ends) {
    adm[count++] = Math.floor((b - minSize) / jump) * jump
    let best = Infinity
    let arg = -1
    for (let i = 0; i < count; i++) {
      const t = adm[i]!
      const v = Number.isNaN(F[t]!) ? NaN : F[t]! + (cost(t, b) + pen) // NaN: no partition of x[..t] yet
      vals[i] = v
      if (v < best) {
        best = v
        arg = t
      }
    }
    F[b] = best
    prev[b] = arg
    if (trace) traceDecisions(trace, adm, vals, count, arg, best, pen, s2[n]! + n * centre * centre * Number.EPSILON)
    let kept = 0
    for (let i = 0; i < count; i++) {
      if (vals[i]! <= best + pen) adm[kept++] = adm[i]!
    }
    count = kept
  }

  const out: number[] = []
  for (let b = prev[n]!; b !== 0; b = prev[b]!) out.push(b)
  return out.reverse()
}

/** Records the smallest relative margin of the argmin and pruning decisions at one end. */
function traceDecisions(
  trace: { margin: number },
  adm: Int32Array,
  vals: Float64Array,
  count: number,
  arg: number,
  best: number,
  pen: number,
  energy: number,
): void {
  const scale = energy + Math.abs(best) + pen
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(vals[i]!)) continue
    const prune = Math.abs(vals[i]! - best - pen)
    const choice = adm[i] === arg ? Infinity : vals[i]! - best
    trace.margin = Math.min(trace.margin, prune / scale, choice / scale)
  }
}

/** The change points of one series (`values` in ts order, NaN for missing). */
export function changepointSeries(
  series: string,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  anomaly: HampelOptions,
  options: PeltOptions,
): ChangepointConclusion[] {
  const { xs, tss } = presentPoints(ts, values)
  if (options.clean) {
    for (const a of hampel(xs, anomaly)) xs[a.index] = a.median
  }
  const penalty = options.penalty ?? defaultPenalty(xs)
  if (penalty === null) return []
  const bkps = pelt(xs, options.minSize, options.jump, penalty)
  const bounds = [0, ...bkps, xs.length]
  const means = bounds.slice(1).map((end, i) => mean(xs, bounds[i]!, end))
  return bkps.map((index, i) => ({
    series,
    index,
    ts: tss[index]!,
    meanBefore: means[i]!,
    meanAfter: means[i + 1]!,
    delta: means[i + 1]! - means[i]!,
    penalty,
    method: 'l2' as const,
  }))
}
