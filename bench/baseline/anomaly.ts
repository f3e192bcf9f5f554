// anomaly: the Hampel filter (SPEC 3, MATLAB's `hampel`), with the window's
// median and MAD recomputed for every point by sorting the window.
import type { AnomalyConclusion } from '../../index.js'
import { medianOfSorted } from './stats.js'

/** sigma = MAD_SCALE * MAD for Gaussian data: 1 / (sqrt(2) * erfinv(1/2)). */
export const MAD_SCALE = 1.482602218505602

export interface HampelOptions {
  halfWindow: number
  threshold: number
}

export interface Anomaly {
  /** Position in `x`. */
  index: number
  value: number
  median: number
  mad: number
  /** |value - median| / sigma, null when sigma is 0. */
  score: number | null
}

/** The anomalous points of `x` (no missing values), in index order. */
export function hampel(x: ArrayLike<number>, { halfWindow: k, threshold }: HampelOptions): Anomaly[] {
  const n = x.length
  const out: Anomaly[] = []
  const window = new Float64Array(2 * k + 1)
  const dev = new Float64Array(2 * k + 1)
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - k)
    const hi = Math.min(n - 1, i + k)
    const len = hi - lo + 1
    const w = window.subarray(0, len)
    for (let j = 0; j < len; j++) w[j] = x[lo + j]!
    w.sort()
    const med = medianOfSorted(w)
    const d = dev.subarray(0, len)
    for (let j = 0; j < len; j++) d[j] = Math.abs(w[j]! - med)
    d.sort()
    const mad = medianOfSorted(d)
    const sigma = MAD_SCALE * mad
    const off = Math.abs(x[i]! - med)
    if (off > threshold * sigma) {
      out.push({ index: i, value: x[i]!, median: med, mad, score: sigma === 0 ? null : off / sigma })
    }
  }
  return out
}

/** The anomaly conclusions of one series (`values` in ts order, NaN for missing). */
export function anomalySeries(
  series: string,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  options: HampelOptions,
): AnomalyConclusion[] {
  const { xs, tss } = presentPoints(ts, values)
  return hampel(xs, options).map((a) => ({
    series,
    index: a.index,
    ts: tss[a.index]!,
    value: a.value,
    median: a.median,
    mad: a.mad,
    score: a.score,
    halfWindow: options.halfWindow,
    threshold: options.threshold,
    method: 'hampel' as const,
  }))
}

/** The non-missing values and their timestamps. */
export function presentPoints(ts: ArrayLike<number>, values: ArrayLike<number>): { xs: number[]; tss: number[] } {
  const xs: number[] = []
  const tss: number[] = []
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]!)) {
      xs.push(values[i]!)
      tss.push(ts[i]!)
    }
  }
  return { xs, tss }
}
