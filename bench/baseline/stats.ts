// Small statistics helpers shared by the baseline analyses, written the way a
// Node team would: sort a copy, read the middle.

/** A sorted copy (numeric, ascending) of the values. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort()
}

/** np.median of an ascending array: the middle value, or the mean of the two middle ones. */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length
  if (n === 0) return NaN
  const h = n >> 1
  return n % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2
}

/** np.median of the values (sorts a copy). */
export function median(values: ArrayLike<number>): number {
  return medianOfSorted(sortedCopy(values))
}

/**
 * np.percentile(v, q) with numpy's default 'linear' method, on an ascending array:
 * virtual index g = (n - 1) * (q / 100), interpolated with numpy's `_lerp`, which
 * uses `b - (b - a) * (1 - t)` from the upper neighbour when t >= 0.5.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const g = (n - 1) * (q / 100)
  const lo = Math.min(Math.floor(g), n - 1)
  const hi = Math.min(lo + 1, n - 1)
  const t = g - lo
  const a = sorted[lo]!
  const b = sorted[hi]!
  const diff = b - a
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/** Arithmetic mean by a plain left-to-right sum (numpy sums pairwise: equal to ~1e-15 relative). */
export function mean(values: ArrayLike<number>, start = 0, end = values.length): number {
  let sum = 0
  for (let i = start; i < end; i++) sum += values[i]!
  return sum / (end - start)
}

/** Population standard deviation (ddof = 0), two-pass: mean, then mean squared deviation. */
export function populationStd(values: ArrayLike<number>, m = mean(values)): number {
  let ss = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - m
    ss += d * d
  }
  return Math.sqrt(ss / values.length)
}

/** Median absolute deviation around `center` (np.median(np.abs(v - center))). */
export function mad(values: ArrayLike<number>, center: number): number {
  const dev = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs(values[i]! - center)
  return median(dev)
}

/** The non-missing (non-NaN) values, in order. */
export function present(values: ArrayLike<number>): number[] {
  const out: number[] = []
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) out.push(values[i]!)
  return out
}
