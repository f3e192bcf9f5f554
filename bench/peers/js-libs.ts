// The JavaScript libraries a Node team reaches for, wrapped to compute what the
// four analyses compute, where they can:
//
// * simple-statistics 7.12.1: min, max, mean (compensated sum), population
//   standard deviation, quantile (type 7, numpy's 'linear', but interpolated as
//   `a + f * (b - a)` at every f: numpy's `_lerp` uses `b - (b - a) * (1 - f)`
//   for f >= 0.5, so a quantile may differ in the last bit), median and
//   medianAbsoluteDeviation (unscaled MAD), enough for a Hampel filter per
//   window. Its median of an even count is `a + 0.5 * (b - a)`, numpy's
//   `(a + b) / 2`: equal, or one ulp apart.
// * ml-regression-theil-sen 3.0.0: Sen's slope as the median of all pairwise
//   slopes (every pair in a JS array of n^2 slots). Its median of an even
//   number of slopes is the LOWER middle (median-quickselect), not the mean of
//   the two middles as numpy/pymannkendall: the slope agrees when the number of
//   pairs n(n-1)/2 is odd (n mod 4 in {2, 3}) or the two middles are equal.
//   Its intercept is median(y - slope * x), not pymannkendall's
//   `median(x) - median(positions) * slope`.
//
// Neither library has PELT or the Mann-Kendall test.
import { TheilSenRegression } from 'ml-regression-theil-sen'
import * as ss from 'simple-statistics'

import type { AnomalyConclusion, SummaryConclusion } from '../../index.js'
import { MAD_SCALE, type HampelOptions } from '../baseline/anomaly.js'
import { presentPoints } from '../baseline/anomaly.js'

/** The summary fields from simple-statistics (`values` in ts order, NaN for missing). */
export function summaryPeer(series: string, ts: ArrayLike<number>, values: ArrayLike<number>): SummaryConclusion {
  const { xs } = presentPoints(ts, values)
  const firstTs = ts.length > 0 ? ts[0]! : null
  const lastTs = ts.length > 0 ? ts[ts.length - 1]! : null
  const missing = values.length - xs.length
  if (xs.length === 0) {
    return { series, count: 0, missing, min: null, max: null, mean: null, std: null, p50: null, p90: null, p95: null, p99: null, firstTs, lastTs }
  }
  const [p50, p90, p95, p99] = ss.quantile(xs, [0.5, 0.9, 0.95, 0.99]) as number[]
  return {
    series,
    count: xs.length,
    missing,
    min: ss.min(xs),
    max: ss.max(xs),
    mean: ss.mean(xs),
    std: ss.standardDeviation(xs),
    p50: p50!,
    p90: p90!,
    p95: p95!,
    p99: p99!,
    firstTs,
    lastTs,
  }
}

/** A Hampel filter from simple-statistics' median and MAD, one window at a time. */
export function hampelPeer(
  series: string,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  { halfWindow: k, threshold }: HampelOptions,
): AnomalyConclusion[] {
  const { xs, tss } = presentPoints(ts, values)
  const out: AnomalyConclusion[] = []
  for (let i = 0; i < xs.length; i++) {
    const w = xs.slice(Math.max(0, i - k), Math.min(xs.length, i + k + 1))
    const median = ss.median(w)
    const mad = ss.medianAbsoluteDeviation(w)
    const sigma = MAD_SCALE * mad
    const off = Math.abs(xs[i]! - median)
    if (off > threshold * sigma) {
      out.push({ series, index: i, ts: tss[i]!, value: xs[i]!, median, mad, score: sigma === 0 ? null : off / sigma, halfWindow: k, threshold, method: 'hampel' })
    }
  }
  return out
}

/**
 * Sen's slope by ml-regression-theil-sen over the original positions of the present
 * values (`values` in ts order, NaN for missing); null below 2 present values.
 * The intercept is the library's own (see the file comment).
 */
export function senSlopePeer(values: ArrayLike<number>): { slope: number; intercept: number } | null {
  const x: number[] = []
  const y: number[] = []
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]!)) {
      x.push(i)
      y.push(values[i]!)
    }
  }
  if (x.length < 2) return null
  const r = new TheilSenRegression(x, y)
  return { slope: r.slope, intercept: r.intercept }
}
