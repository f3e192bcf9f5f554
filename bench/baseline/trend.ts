// trend: the Mann-Kendall test and Sen's slope as pymannkendall.original_test
// computes them: S by a double loop, Sen's slope as the median of all
// n(n-1)/2 pairwise slopes. O(n^2) time, and O(n^2) memory for the slopes.
import type { TrendConclusion } from '../../index.js'
import { normalPpf, twoSidedP } from './normal.js'
import { medianOfSorted, present, sortedCopy } from './stats.js'

/** Mann-Kendall S = sum over i < j of sign(x_j - x_i). */
export function mannKendallS(x: ArrayLike<number>): number {
  let s = 0
  const n = x.length
  for (let i = 0; i < n - 1; i++) {
    const xi = x[i]!
    for (let j = i + 1; j < n; j++) {
      const d = x[j]! - xi
      if (d > 0) s++
      else if (d < 0) s--
    }
  }
  return s
}

/** pymannkendall's var(S), with the tie correction over groups of equal values. */
export function varianceS(x: ArrayLike<number>): number {
  const n = x.length
  const sorted = sortedCopy(x)
  let ties = 0
  let hasTies = false
  for (let i = 0; i < n; ) {
    let j = i + 1
    while (j < n && sorted[j] === sorted[i]) j++
    const t = j - i
    if (t > 1) {
      hasTies = true
      ties += t * (t - 1) * (2 * t + 5)
    }
    i = j
  }
  const all = n * (n - 1) * (2 * n + 5)
  return hasTies ? (all - ties) / 18 : all / 18
}

/**
 * Sen's slope over the original positions (`values` may hold NaN for missing): the median
 * of (x_j - x_i) / (j - i) over all pairs i < j of present values, and pymannkendall's
 * intercept `nanmedian(x) - median(present positions) * slope`.
 */
export function sensSlope(values: ArrayLike<number>): { slope: number; intercept: number } {
  const positions: number[] = []
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) positions.push(i)
  const m = positions.length
  const pairs = (m * (m - 1)) / 2
  let slopes: Float64Array
  try {
    slopes = new Float64Array(pairs)
  } catch (e) {
    throw new RangeError(`Sen's slope of ${m} values needs ${pairs} pairwise slopes (${(pairs * 8 / 2 ** 30).toFixed(1)} GiB): ${(e as Error).message}`)
  }
  let k = 0
  for (let a = 0; a < m - 1; a++) {
    const i = positions[a]!
    const xi = values[i]!
    for (let b = a + 1; b < m; b++) {
      const j = positions[b]!
      slopes[k++] = (values[j]! - xi) / (j - i)
    }
  }
  slopes.sort()
  const slope = medianOfSorted(slopes)
  const intercept = medianOfSorted(sortedCopy(present(values))) - medianOfSorted(positions) * slope
  return { slope, intercept }
}

export type TrendResult = Omit<TrendConclusion, 'series'>

/** pymannkendall.original_test(values, alpha); null below 3 present values. */
export function mannKendall(values: ArrayLike<number>, alpha: number): TrendResult | null {
  const x = present(values)
  const n = x.length
  if (n < 3) return null
  const s = mannKendallS(x)
  const varS = varianceS(x)
  const z = s > 0 ? (s - 1) / Math.sqrt(varS) : s < 0 ? (s + 1) / Math.sqrt(varS) : 0
  const p = twoSidedP(z)
  const h = Math.abs(z) > normalPpf(1 - alpha / 2)
  const trend = z < 0 && h ? 'decreasing' : z > 0 && h ? 'increasing' : 'no trend'
  const tau = s / (0.5 * n * (n - 1))
  const { slope, intercept } = sensSlope(values)
  return { method: 'original', trend, h, p, z, tau, s, varS, slope, intercept, n }
}

/** The trend conclusion of one series (`values` in ts order, NaN for missing), or null. */
export function trendSeries(
  series: string,
  _ts: ArrayLike<number>,
  values: ArrayLike<number>,
  alpha: number,
): TrendConclusion | null {
  const r = mannKendall(values, alpha)
  return r && { series, ...r }
}
