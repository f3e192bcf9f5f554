// Quality against ground truth (issue 12): how the conclusions of one analysis match what the
// generator injected (`SeriesTruth`), with the matching rules of docs/quality.md.
//
// Every conclusion is placed on the generator's point grid by its ts,
// point = (ts - startTs) / interval, so missing values shift nothing.
//   anomaly      a detection is right when a spike was injected at that very point; a spike
//                whose value went missing is no truth (nothing there to detect). Also scored
//                on the points near a shift only (`NEAR_SHIFT`).
//   level shift  a detection matches a shift at most `tolerance` (5) points away; one-to-one,
//                by an optimal assignment: the most matches, and among those the smallest
//                total distance (`matchWithin`).
//   trend        the series' label against the injected one; a series with a trend is a
//                positive, a detection is a series labelled increasing or decreasing.
// Counts are summed over all series (micro-averaged) before the ratios are taken.
import type { AnalysisResult } from '../../index.js'
import type { SeriesTruth, WorkloadSpec } from '../../src/gen/workload.js'

export type TrendLabel = SeriesTruth['trend']
export const TREND_LABELS: readonly TrendLabel[] = ['increasing', 'decreasing', 'no trend']

/** True positives, false positives (detections that match nothing), false negatives (missed truths). */
export interface Counts {
  tp: number
  fp: number
  fn: number
}

export interface Scores extends Counts {
  /** tp / (tp + fp); 1 when nothing was detected (no false claim was made). */
  precision: number
  /** tp / (tp + fn); 1 when there was nothing to find. */
  recall: number
  /** 2 tp / (2 tp + fp + fn): the harmonic mean of the two, 0 when tp = 0 < fp + fn, 1 when all are 0. */
  f1: number
}

export function scores(c: Counts): Scores {
  const ratio = (num: number, den: number) => (den === 0 ? 1 : num / den)
  return { ...c, precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn), f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn) }
}

export function addCounts(a: Counts, b: Counts): Counts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn }
}

const ZERO: Counts = { tp: 0, fp: 0, fn: 0 }

/** Which detection (by position in `detected`) matched which truth, and the counts. */
export interface Matching extends Counts {
  pairs: [detected: number, truth: number][]
}

/**
 * One-to-one matching of detected points with true points at most `tolerance` apart: the
 * largest number of pairs, and among those the smallest sum of distances. On a line an optimal
 * matching never crosses (uncrossing two pairs within the tolerance keeps both within it and
 * does not grow the sum), so a dynamic programme over both lists, sorted, finds it exactly,
 * in O(|detected| |truth|). Ties go to the earlier detection.
 */
export function matchWithin(detected: readonly number[], truth: readonly number[], tolerance: number): Matching {
  const d = detected.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const t = truth.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const n = d.length
  const m = t.length
  // best[i][j]: [pairs, -distance] for the first i detections and j truths, compared lexicographically.
  const pairs = new Int32Array((n + 1) * (m + 1))
  const dist = new Float64Array((n + 1) * (m + 1))
  const from = new Uint8Array((n + 1) * (m + 1)) // 0: skip detection, 1: skip truth, 2: pair
  const at = (i: number, j: number) => i * (m + 1) + j
  const better = (p: number, q: number, pBest: number, qBest: number) => p > pBest || (p === pBest && q < qBest)
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) continue
      let bp = -1
      let bd = Infinity
      let bf = 0
      if (i > 0) {
        bp = pairs[at(i - 1, j)]!
        bd = dist[at(i - 1, j)]!
        bf = 0
      }
      if (j > 0 && better(pairs[at(i, j - 1)]!, dist[at(i, j - 1)]!, bp, bd)) {
        bp = pairs[at(i, j - 1)]!
        bd = dist[at(i, j - 1)]!
        bf = 1
      }
      if (i > 0 && j > 0) {
        const gap = Math.abs(d[i - 1]![0] - t[j - 1]![0])
        if (gap <= tolerance && better(pairs[at(i - 1, j - 1)]! + 1, dist[at(i - 1, j - 1)]! + gap, bp, bd)) {
          bp = pairs[at(i - 1, j - 1)]! + 1
          bd = dist[at(i - 1, j - 1)]! + gap
          bf = 2
        }
      }
      pairs[at(i, j)] = bp
      dist[at(i, j)] = bd
      from[at(i, j)] = bf
    }
  }
  const out: [number, number][] = []
  for (let i = n, j = m; i > 0 || j > 0; ) {
    const f = from[at(i, j)]
    if (f === 2) out.push([d[--i]![1], t[--j]![1]])
    else if (f === 1) j--
    else i--
  }
  out.reverse()
  return { pairs: out, tp: out.length, fp: n - out.length, fn: m - out.length }
}

/** Exact-point matching of anomalies: a detection is right when its point holds a spike. */
export function matchSame(detected: readonly number[], truth: readonly number[]): Counts {
  const want = new Set(truth)
  const got = new Set(detected)
  let tp = 0
  for (const p of got) if (want.has(p)) tp++
  // A point detected twice is one detection too many.
  return { tp, fp: detected.length - tp, fn: want.size - tp }
}

/** The trend label as a detection: positives are increasing/decreasing; a wrong direction is both a false positive and a miss. */
export function trendCounts(detected: TrendLabel, truth: TrendLabel): Counts {
  if (detected === truth) return truth === 'no trend' ? ZERO : { tp: 1, fp: 0, fn: 0 }
  return { tp: 0, fp: detected === 'no trend' ? 0 : 1, fn: truth === 'no trend' ? 0 : 1 }
}

/** Rows: the injected label; columns: the detected one (both in `TREND_LABELS` order). */
export type Confusion = number[][]

/** A wrong conclusion or a missed truth, for looking at: series, point, and the signed distance to the nearest shift (null: none). */
export interface Example {
  series: string
  point: number
  fromShift: number | null
  /** The injected trend of the series. */
  trend: TrendLabel
}

/** The first few of each kind of error, in series order. */
export interface Examples {
  anomalyFalse: Example[]
  anomalyMissed: Example[]
  shiftFalse: Example[]
  shiftMissed: Example[]
  trendWrong: { series: string; injected: TrendLabel; concluded: TrendLabel; shifts: number }[]
}

export interface Quality {
  series: number
  anomaly: Scores
  /** The anomaly scores restricted to points within `NEAR_SHIFT` of a step (detections and truth alike). */
  anomalyNearShift: Scores
  levelShift: Scores
  trend: Scores & { agreement: number; confusion: Confusion }
  /** With `assess(..., examples > 0)` only. */
  examples?: Examples
}

/** Level shifts count as found within this many points of the injected step. */
export const SHIFT_TOLERANCE = 5

/**
 * "Near a shift": points `at - NEAR_SHIFT .. at + NEAR_SHIFT - 1` of a shift starting at `at`,
 * where a Hampel window of the default half-width 30 straddles the step.
 */
export const NEAR_SHIFT = 30

/** The generator's point index of a timestamp; throws when it is off the grid. */
export function pointOf(spec: Pick<WorkloadSpec, 'startTs' | 'interval'>, ts: number | bigint, where: string): number {
  const p = (Number(ts) - spec.startTs) / spec.interval
  if (!Number.isInteger(p)) throw new RangeError(`${where}: ts ${ts} is not on the workload's grid (start ${spec.startTs}, interval ${spec.interval})`)
  return p
}

/**
 * Scores one analysis result against the truth of the workload it analysed. Every series of
 * the truth must have its trend conclusion (a series without one is scored as 'no trend'
 * detected); conclusions of a series the truth does not know are an error.
 */
export function assess(spec: Pick<WorkloadSpec, 'startTs' | 'interval'>, truth: readonly SeriesTruth[], result: Pick<AnalysisResult, 'anomaly' | 'changepoint' | 'trend'>, examples = 0): Quality {
  const bySeries = new Map(truth.map((t) => [t.series, t]))
  const group = <T extends { series: string; ts: number | bigint }>(items: readonly T[], what: string) => {
    const out = new Map<string, number[]>()
    for (const c of items) {
      if (!bySeries.has(c.series)) throw new RangeError(`${what} conclusion for series '${c.series}', which the truth does not have`)
      let list = out.get(c.series)
      if (!list) out.set(c.series, (list = []))
      list.push(pointOf(spec, c.ts, `${what} of ${c.series}`))
    }
    return out
  }
  const anomalies = group(result.anomaly, 'anomaly')
  const changes = group(result.changepoint, 'changepoint')
  const labels = new Map<string, TrendLabel>()
  for (const c of result.trend) {
    if (!bySeries.has(c.series)) throw new RangeError(`trend conclusion for series '${c.series}', which the truth does not have`)
    labels.set(c.series, c.trend)
  }
  let anomaly = ZERO
  let nearShift = ZERO
  let shift = ZERO
  let trend = ZERO
  let agree = 0
  const confusion: Confusion = TREND_LABELS.map(() => TREND_LABELS.map(() => 0))
  const ex: Examples = { anomalyFalse: [], anomalyMissed: [], shiftFalse: [], shiftMissed: [], trendWrong: [] }
  const keep = <T>(list: T[], item: () => T) => list.length < examples && list.push(item())
  for (const t of truth) {
    const example = (point: number): Example => {
      let fromShift: number | null = null
      for (const at of t.shifts) if (fromShift === null || Math.abs(point - at) < Math.abs(fromShift)) fromShift = point - at
      return { series: t.series, point, fromShift, trend: t.trend }
    }
    const missing = new Set(t.missingAt)
    const spikes = t.spikes.filter((p) => !missing.has(p))
    const found = anomalies.get(t.series) ?? []
    anomaly = addCounts(anomaly, matchSame(found, spikes))
    const near = (p: number) => t.shifts.some((at) => p >= at - NEAR_SHIFT && p < at + NEAR_SHIFT)
    nearShift = addCounts(nearShift, matchSame(found.filter(near), spikes.filter(near)))
    const cps = changes.get(t.series) ?? []
    const m = matchWithin(cps, t.shifts, SHIFT_TOLERANCE)
    shift = addCounts(shift, m)
    const label = labels.get(t.series) ?? 'no trend'
    if (examples > 0) {
      const spikeSet = new Set(spikes)
      const foundSet = new Set(found)
      for (const p of found) if (!spikeSet.has(p)) keep(ex.anomalyFalse, () => example(p))
      for (const p of spikes) if (!foundSet.has(p)) keep(ex.anomalyMissed, () => example(p))
      const pairedD = new Set(m.pairs.map((x) => x[0]))
      const pairedT = new Set(m.pairs.map((x) => x[1]))
      cps.forEach((p, i) => pairedD.has(i) || keep(ex.shiftFalse, () => example(p)))
      t.shifts.forEach((p, j) => pairedT.has(j) || keep(ex.shiftMissed, () => example(p)))
      if (label !== t.trend) keep(ex.trendWrong, () => ({ series: t.series, injected: t.trend, concluded: label, shifts: t.shifts.length }))
    }
    trend = addCounts(trend, trendCounts(label, t.trend))
    if (label === t.trend) agree++
    confusion[TREND_LABELS.indexOf(t.trend)]![TREND_LABELS.indexOf(label)]!++
  }
  return {
    series: truth.length,
    anomaly: scores(anomaly),
    anomalyNearShift: scores(nearShift),
    levelShift: scores(shift),
    trend: { ...scores(trend), agreement: truth.length ? agree / truth.length : 1, confusion },
    ...(examples > 0 ? { examples: ex } : {}),
  }
}
