// summary: count, missing, min, max, mean, population std and numpy 'linear'
// percentiles of one series' non-missing values (SPEC 3).
import type { SummaryConclusion } from '../../index.js'
import { mean, percentileOfSorted, populationStd, present, sortedCopy } from './stats.js'

/** The summary of one series (`values` in ts order, NaN for missing). */
export function summarySeries(series: string, ts: ArrayLike<number>, values: ArrayLike<number>): SummaryConclusion {
  const v = present(values)
  const firstTs = ts.length > 0 ? ts[0]! : null
  const lastTs = ts.length > 0 ? ts[ts.length - 1]! : null
  const count = v.length
  const missing = values.length - count
  if (count === 0) {
    return {
      series, count, missing, min: null, max: null, mean: null, std: null,
      p50: null, p90: null, p95: null, p99: null, firstTs, lastTs,
    }
  }
  const sorted = sortedCopy(v)
  const m = mean(v)
  return {
    series,
    count,
    missing,
    min: sorted[0]!,
    max: sorted[count - 1]!,
    mean: m,
    std: populationStd(v, m),
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    firstTs,
    lastTs,
  }
}
