// Synthetic metric workloads with known ground truth: noise (Gaussian or Student t,
// white or AR(1)), level shifts, linear trends, a seasonal pattern, isolated spikes
// (anomalies, also placed next to shifts) and missing values.
import { gaussian, mulberry32 } from './random.js'

export type Format = 'ndjson' | 'csv'

/** Distribution of the noise innovations, always scaled to unit variance. */
export type NoiseKind = 'gaussian' | 't3'

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
  /** Noise innovations: standard normal, or Student t with 3 dof scaled by 1/sqrt(3) (unit variance). */
  noise: NoiseKind
  /**
   * AR(1) coefficient phi of the noise, in (-1, 1): e[i] = phi e[i-1] + sqrt(1 - phi^2) u[i],
   * e[0] = u[0], so the noise keeps unit marginal variance. 0: white noise.
   */
  ar: number
  /** Amplitude (in sigmas) of `A sin(2 pi i / seasonPeriod)` added to every series; 0: none. */
  seasonAmplitude: number
  /** Period of the seasonal pattern, in points. */
  seasonPeriod: number
  /**
   * Extra spikes per level shift, at distinct points 1..`nearShiftDistance` points away from the
   * step (the boundary between the last point at the old level and the first at the new one),
   * on either side.
   */
  nearShiftSpikes: number
  nearShiftDistance: number
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
  noise: 'gaussian',
  ar: 0,
  seasonAmplitude: 0,
  seasonPeriod: 1440,
  nearShiftSpikes: 0,
  nearShiftDistance: 10,
}

/** The standard workloads of the benchmark suite (SPEC section 7). */
export const PRESETS: Record<string, Partial<WorkloadSpec>> = {
  fleet: { series: 1000, points: 1440, seed: 42 },
  long: { series: 1, points: 1_000_000, seed: 43, shifts: 3 },
  many: { series: 100_000, points: 32, seed: 44, shifts: 0, spikeRate: 0.002 },
  // The quality workloads (issue 12): fleet-shaped, one variant each, own seeds.
  'quality-iid': { series: 300, seed: 101 },
  'quality-ar05': { series: 300, seed: 102, ar: 0.5 },
  'quality-ar08': { series: 300, seed: 103, ar: 0.8 },
  // Five days of 5-minute points: a daily cycle of 288 points, 5 cycles per series.
  'quality-seasonal': { series: 300, seed: 104, interval: 300, seasonAmplitude: 2, seasonPeriod: 288 },
  'quality-t3': { series: 300, seed: 105, noise: 't3' },
  'quality-missing': { series: 300, seed: 106, shifts: 3, missingRate: 0.02 },
  'quality-spikes-near-shifts': { series: 300, seed: 107, shifts: 2, nearShiftSpikes: 2, nearShiftDistance: 15 },
}

/** The names of the quality presets, in table order. */
export const QUALITY_PRESETS = Object.keys(PRESETS).filter((name) => name.startsWith('quality-'))

/**
 * What was injected into one series: the ground truth a test can check against. A "point
 * index" is the position in the series as generated (point i has ts = startTs + i * interval),
 * missing values included; `valueIndex` gives the same events as positions among the
 * non-missing values, which is what a conclusion's `index` counts. Noise, seasonal pattern,
 * spike size and the rest are the same for every series and stand in the spec.
 */
export interface SeriesTruth {
  series: string
  /** Point indexes of injected spikes, sorted (also those whose value then went missing). */
  spikes: number[]
  /** Point indexes where a level shift starts (the first point at the new level), ascending. */
  shifts: number[]
  /** The signed size of each shift in `shifts`, in value units. */
  shiftSizes: number[]
  trend: 'increasing' | 'decreasing' | 'no trend'
  /** The injected linear slope, in value units per point (0 for 'no trend'). */
  slope: number
  /** Number of missing values. */
  missing: number
  /** Point indexes of the missing values. */
  missingAt: number[]
  /**
   * Positions among the non-missing values: the spikes that kept their value, and for each
   * shift the first non-missing value at or after it (the series' value count if none).
   */
  valueIndex: { spikes: number[]; shifts: number[] }
}

/** Unit-variance noise innovations of the given kind. */
function innovations(kind: NoiseKind, normal: () => number): () => number {
  if (kind === 'gaussian') return normal
  // Student t, 3 dof: z / sqrt(chi2_3 / 3), variance 3, scaled to 1.
  return () => {
    const z = normal()
    let chi2 = 0
    for (let k = 0; k < 3; k++) chi2 += normal() ** 2
    return z / Math.sqrt(chi2 / 3) / Math.sqrt(3)
  }
}

/** Validates the variant options, naming the bad one. */
export function checkSpec(spec: WorkloadSpec): void {
  const bad = (what: string) => {
    throw new RangeError(`workload spec: ${what}`)
  }
  if (!(spec.ar > -1 && spec.ar < 1)) bad(`ar must be in (-1, 1), got ${spec.ar}`)
  if (spec.noise !== 'gaussian' && spec.noise !== 't3') bad(`noise must be gaussian or t3, got ${String(spec.noise)}`)
  if (!(spec.seasonPeriod > 0)) bad(`seasonPeriod must be > 0, got ${spec.seasonPeriod}`)
  if (!Number.isInteger(spec.nearShiftSpikes) || spec.nearShiftSpikes < 0) bad(`nearShiftSpikes must be an integer >= 0, got ${spec.nearShiftSpikes}`)
  if (!Number.isInteger(spec.nearShiftDistance) || spec.nearShiftDistance < 1) bad(`nearShiftDistance must be an integer >= 1, got ${spec.nearShiftDistance}`)
}

/**
 * Yields the workload in chunks of text (lines), series after series. With the variant options
 * at their defaults the random stream, and so the output, is the one of the first version.
 */
export function* generate(spec: WorkloadSpec, truth?: SeriesTruth[]): Generator<string> {
  checkSpec(spec)
  const uniform = mulberry32(spec.seed)
  const normal = gaussian(uniform)
  const innovation = innovations(spec.noise, normal)
  const phi = spec.ar
  const scale = Math.sqrt(1 - phi * phi)
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
    // Spikes next to shifts: point index -> sign (drawn only when asked for).
    const nearSpike = new Map<number, number>()
    if (spec.nearShiftSpikes > 0) {
      for (const at of shiftAt) {
        // Distinct points at-D .. at+D-1, drawn by a partial Fisher-Yates shuffle.
        const pool = Array.from({ length: 2 * spec.nearShiftDistance }, (_, k) => at - spec.nearShiftDistance + k)
        for (let k = 0; k < Math.min(spec.nearShiftSpikes, pool.length); k++) {
          const j = k + Math.floor(uniform() * (pool.length - k))
          ;[pool[k], pool[j]] = [pool[j]!, pool[k]!]
          const sign = uniform() < 0.5 ? -1 : 1
          if (pool[k]! >= 0 && pool[k]! < spec.points) nearSpike.set(pool[k]!, sign)
        }
      }
    }
    const t: SeriesTruth = {
      series: id,
      spikes: [],
      shifts: shiftAt,
      shiftSizes: shiftSign.map((sign) => sign * spec.shiftSize * sigma),
      trend: direction > 0 ? 'increasing' : direction < 0 ? 'decreasing' : 'no trend',
      slope,
      missing: 0,
      missingAt: [],
      valueIndex: { spikes: [], shifts: [] },
    }
    let level = base
    let next = 0
    let noise = 0
    let values = 0
    let out = ''
    for (let i = 0; i < spec.points; i++) {
      while (next < shiftAt.length && shiftAt[next] === i) {
        level += shiftSign[next]! * spec.shiftSize * sigma
        t.valueIndex.shifts.push(values)
        next++
      }
      noise = phi === 0 ? innovation() : i === 0 ? innovation() : phi * noise + scale * innovation()
      let value: number | null = level + slope * i + sigma * noise
      if (spec.seasonAmplitude !== 0) value += spec.seasonAmplitude * sigma * Math.sin((2 * Math.PI * i) / spec.seasonPeriod)
      let spiked = false
      if (uniform() < spec.spikeRate) {
        value += (uniform() < 0.5 ? -1 : 1) * spec.spikeSize * sigma
        spiked = true
      } else if (nearSpike.has(i)) {
        value += nearSpike.get(i)! * spec.spikeSize * sigma
        spiked = true
      }
      if (spiked) t.spikes.push(i)
      if (spec.missingRate > 0 && uniform() < spec.missingRate) {
        value = null
        t.missing++
        t.missingAt.push(i)
      } else {
        if (spiked) t.valueIndex.spikes.push(values)
        values++
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
    // A shift at or after the last value points one past it.
    while (next < shiftAt.length) {
      t.valueIndex.shifts.push(values)
      next++
    }
    if (out) yield out
    truth?.push(t)
  }
}
