// The TypeScript baseline: the same four analyses as the native engine,
// written the straightforward way (see bench/README.md), with the
// same input, options and result shape as `analyzeNative`.
import type {
  AnalysisResult,
  AnalyzeOptions,
  AnomalyConclusion,
  ChangepointConclusion,
  SummaryConclusion,
  TrendConclusion,
} from '../../index.js'
import { anomalySeries, type HampelOptions } from './anomaly.js'
import { changepointSeries, type PeltOptions } from './changepoint.js'
import { parseBatch } from './parse.js'
import { summarySeries } from './summary.js'
import { trendSeries } from './trend.js'

export { anomalySeries, hampel, MAD_SCALE } from './anomaly.js'
export { changepointSeries, defaultPenalty, pelt } from './changepoint.js'
export { isoToEpochMs, parseBatch, ParseError } from './parse.js'
export type { Batch, Series } from './parse.js'
export { summarySeries } from './summary.js'
export { mannKendall, mannKendallS, sensSlope, trendSeries, varianceS } from './trend.js'

export type Category = 'summary' | 'anomaly' | 'changepoint' | 'trend'
export const CATEGORIES: readonly Category[] = ['summary', 'anomaly', 'changepoint', 'trend']

/** The options of `analyzeNative` that the baseline honours (threads and signal do not apply). */
export type BaselineOptions = Omit<AnalyzeOptions, 'threads' | 'signal'>

/** The method of each category that reproduces its reference library exactly (numpy/MATLAB's
 *  Hampel, ruptures' l2 PELT, pymannkendall's original_test): the only ones the baseline has. */
export const REFERENCE_METHODS = {
  anomaly: 'hampel',
  changepoint: 'l2',
  trend: 'original',
} as const

/** `options` with the reference method of each category, unless it names its own: what the
 *  golden fixtures, the baseline and the Python peers compute. */
export function referenceOptions<T extends BaselineOptions>(options: T = {} as T): T {
  return {
    ...options,
    anomaly: { method: REFERENCE_METHODS.anomaly, ...options.anomaly },
    changepoint: { method: REFERENCE_METHODS.changepoint, ...options.changepoint },
    trend: { method: REFERENCE_METHODS.trend, ...options.trend },
  }
}

/** Options with their defaults filled in and their ranges checked. */
export interface ResolvedOptions {
  categories: Set<Category>
  anomaly: HampelOptions
  changepoint: PeltOptions
  alpha: number
}

/** A bad option, as the engine reports it. */
export class OptionsError extends Error {
  readonly code = 'ERR_CONCLUDE_OPTIONS'
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw new OptionsError(`${name} must be a positive integer, got ${value}`)
  return value
}

/** Fills in the defaults (SPEC 4) and checks the ranges. */
export function resolveOptions(o: BaselineOptions = {}): ResolvedOptions {
  const threshold = o.anomaly?.threshold ?? 4
  if (!(Number.isFinite(threshold) && threshold >= 0)) {
    throw new OptionsError(`anomaly.threshold must be a finite number >= 0, got ${threshold}`)
  }
  const penalty = o.changepoint?.penalty
  if (penalty !== undefined && !(Number.isFinite(penalty) && penalty >= 0)) {
    throw new OptionsError(`changepoint.penalty must be a finite number >= 0, got ${penalty}`)
  }
  const alpha = o.trend?.alpha ?? 0.05
  if (!(alpha > 0 && alpha < 1)) throw new OptionsError(`trend.alpha must be in (0, 1), got ${alpha}`)
  for (const category of ['anomaly', 'changepoint', 'trend'] as const) {
    const method = o[category]?.method
    if (method !== undefined && method !== REFERENCE_METHODS[category]) {
      throw new OptionsError(`${category}.method: the baseline implements only ${JSON.stringify(REFERENCE_METHODS[category])}, got ${JSON.stringify(method)}`)
    }
  }
  for (const c of o.categories ?? []) {
    if (!CATEGORIES.includes(c)) throw new OptionsError(`categories: unknown category ${JSON.stringify(c)}`)
  }
  return {
    categories: new Set(o.categories ?? CATEGORIES),
    anomaly: { halfWindow: positiveInt(o.anomaly?.halfWindow, 30, 'anomaly.halfWindow'), threshold },
    changepoint: {
      minSize: positiveInt(o.changepoint?.minSize, 2, 'changepoint.minSize'),
      jump: positiveInt(o.changepoint?.jump, 1, 'changepoint.jump'),
      penalty,
      clean: o.changepoint?.clean ?? true,
    },
    alpha,
  }
}

/** Analyses a batch on this thread; same result shape as `analyzeNative` (threads: 1). */
export function analyzeBaseline(input: Uint8Array | string, options: BaselineOptions = {}): AnalysisResult {
  const o = resolveOptions(options)
  const started = performance.now()
  const batch = parseBatch(input, options.format, options.onBadLine ?? 'fail')
  const parsed = performance.now()

  const summary: SummaryConclusion[] = []
  const anomaly: AnomalyConclusion[] = []
  const changepoint: ChangepointConclusion[] = []
  const trend: TrendConclusion[] = []
  const ms = { summary: 0, anomaly: 0, changepoint: 0, trend: 0 }
  const timed = <T>(category: Category, f: () => T): T => {
    const t0 = performance.now()
    const out = f()
    ms[category] += performance.now() - t0
    return out
  }
  const skipped: string[] = []
  for (const { id, ts, values } of batch.series) {
    // ruptures raises BadSegmentationParameters below minSize values: no search, reported
    if (o.categories.has('changepoint') && values.filter((v) => !Number.isNaN(v)).length < Math.max(o.changepoint.minSize, 1)) {
      skipped.push(id)
    }
    if (o.categories.has('summary')) summary.push(timed('summary', () => summarySeries(id, ts, values)))
    if (o.categories.has('anomaly')) anomaly.push(...timed('anomaly', () => anomalySeries(id, ts, values, o.anomaly)))
    if (o.categories.has('changepoint')) {
      changepoint.push(...timed('changepoint', () => changepointSeries(id, ts, values, o.anomaly, o.changepoint)))
    }
    if (o.categories.has('trend')) {
      const t = timed('trend', () => trendSeries(id, ts, values, o.alpha))
      if (t) trend.push(t)
    }
  }
  const done = performance.now()
  return {
    summary,
    anomaly,
    changepoint,
    trend,
    stats: {
      points: batch.points,
      series: batch.series.length,
      badLines: batch.badLines,
      badLineNumbers: batch.badLineNumbers,
      changepointSkipped: skipped.length,
      changepointSkippedSeries: skipped.slice(0, 20),
      threads: 1,
      timings: {
        parseMs: parsed - started,
        analyzeMs: done - parsed,
        totalMs: done - started,
        summaryMs: ms.summary,
        anomalyMs: ms.anomaly,
        changepointMs: ms.changepoint,
        trendMs: ms.trend,
      },
    },
  }
}
