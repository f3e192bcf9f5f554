// Synthetic metric workloads with known ground truth: Gaussian noise, level
// shifts, linear trends, isolated spikes (anomalies) and missing values.
import { gaussian, mulberry32 } from './random.js'

export type Format = 'ndjson' | 'csv'

export interface WorkloadSpec {
  /** Number of series. */
  series: number
  /** Points per series. */
  points: number
  seed: number
  format: Format
  /** First timestamp (epoch seconds by default) and the step between points. */
  startTs: number
  interval: number
  /** Probability that a point is a spike of `spikeSize` noise sigmas. */
  spikeRate: number
  spikeSize: number
  /** Level shifts per series (each of `shiftSize` sigmas, random sign). */
  shifts: number
  shiftSize: number
  /** Fraction of series with an increasing / decreasing linear trend. */
  trendShare: number
  /** Total drift of a trending series over its length, in sigmas. */
  trendSize: number
  /** Probability that a value is missing (null / empty cell). */
  missingRate: number
  /** Series id prefix. */
  prefix: string
}

export const DEFAULTS: WorkloadSpec = {
  series: 10,
  points: 1440,
  seed: 1,
  format: 'ndjson',
  startTs: 1_732_600_000,
  interval: 60,
  spikeRate: 0.0035,
  spikeSize: 12,
  shifts: 1,
  shiftSize: 6,
  trendShare: 0.4,
  trendSize: 8,
  missingRate: 0,
  prefix: 'host',
}

/** The standard workloads of the benchmark suite (SPEC section 7). */
export const PRESETS: Record<string, Partial<WorkloadSpec>> = {
  fleet: { series: 1000, points: 1440, seed: 42 },
  long: { series: 1, points: 1_000_000, seed: 43, shifts: 3 },
  many: { series: 100_000, points: 32, seed: 44, shifts: 0, spikeRate: 0.002 },
}

/** What was injected into one series: the ground truth a test can check against. */
export interface SeriesTruth {
  series: string
  /** Point indexes of injected spikes. */
  spikes: number[]
  /** Point indexes where a level shift starts. */
  shifts: number[]
  trend: 'increasing' | 'decreasing' | 'no trend'
  missing: number
}

/** Yields the workload in chunks of text (lines), series after series. */
export function* generate(spec: WorkloadSpec, truth?: SeriesTruth[]): Generator<string> {
  const uniform = mulberry32(spec.seed)
  const normal = gaussian(uniform)
  if (spec.format === 'csv') yield 'series,ts,value\n'
  const digits = 4
  for (let s = 0; s < spec.series; s++) {
    const id = `${spec.prefix}-${s}.cpu`
    const base = 50 + 10 * uniform()
    const sigma = 1
    const r = uniform()
    const direction = r < spec.trendShare / 2 ? 1 : r < spec.trendShare ? -1 : 0
    const slope = (direction * spec.trendSize * sigma) / Math.max(1, spec.points - 1)
    // Shifts sit at least 10 % away from the ends and from each other's start.
    const shiftAt: number[] = []
    for (let k = 0; k < spec.shifts && spec.points >= 20; k++) {
      const lo = Math.floor((spec.points * (k + 0.1)) / spec.shifts)
      const hi = Math.floor((spec.points * (k + 0.9)) / spec.shifts)
      shiftAt.push(lo + Math.floor(uniform() * Math.max(1, hi - lo)))
    }
    const shiftSign = shiftAt.map(() => (uniform() < 0.5 ? -1 : 1))
    const t: SeriesTruth = {
      series: id,
      spikes: [],
      shifts: shiftAt,
      trend: direction > 0 ? 'increasing' : direction < 0 ? 'decreasing' : 'no trend',
      missing: 0,
    }
    let level = base
    let next = 0
    let out = ''
    for (let i = 0; i < spec.points; i++) {
      while (next < shiftAt.length && shiftAt[next] === i) {
        level += shiftSign[next]! * spec.shiftSize * sigma
        next++
      }
      let value: number | null = level + slope * i + sigma * normal()
      if (uniform() < spec.spikeRate) {
        value += (uniform() < 0.5 ? -1 : 1) * spec.spikeSize * sigma
        t.spikes.push(i)
      }
      if (spec.missingRate > 0 && uniform() < spec.missingRate) {
        value = null
        t.missing++
      }
      const ts = spec.startTs + i * spec.interval
      const v = value === null ? (spec.format === 'csv' ? '' : 'null') : value.toFixed(digits)
      out +=
        spec.format === 'csv' ? `${id},${ts},${v}\n` : `{"series":"${id}","ts":${ts},"value":${v}}\n`
      if (out.length > 1 << 16) {
        yield out
        out = ''
      }
    }
    if (out) yield out
    truth?.push(t)
  }
}
