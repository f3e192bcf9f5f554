// Small helpers for validated command-line values.
import { CATEGORIES } from '../conclusions.js'

export class UsageError extends Error {
  readonly code = 'ERR_CONCLUDE_USAGE'
}

/** A byte size: digits with an optional k, m or g suffix (powers of 1024), at least `min`. */
export function bytes(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined
  const m = /^(\d+)([kmg]?)$/i.exec(value.trim())
  const scale = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[(m?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g']
  const n = m ? Number(m[1]) * scale : NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a size of at least ${min} bytes (digits, optionally with k, m or g), got '${value}'`)
  }
  return n
}

export function int(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`)
  return n
}

export function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`)
  return n
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`)
  return value as T
}

/** The analysis options shared by `analyze` and `run`, as parseArgs option specs. */
export const ANALYSIS_FLAGS = {
  format: { type: 'string' },
  'on-bad-line': { type: 'string' },
  categories: { type: 'string' },
  'half-window': { type: 'string' },
  threshold: { type: 'string' },
  'min-size': { type: 'string' },
  jump: { type: 'string' },
  penalty: { type: 'string' },
  'no-clean': { type: 'boolean', default: false },
  alpha: { type: 'string' },
  'anomaly-method': { type: 'string' },
  'changepoint-method': { type: 'string' },
  'trend-method': { type: 'string' },
  'trend-lag': { type: 'string' },
  reference: { type: 'boolean', default: false },
  threads: { type: 'string' },
} as const

export const ANALYSIS_HELP = `Analysis options:
  --format ndjson|csv        input format (default: detected from the first byte)
  --on-bad-line fail|skip    reject a batch on its first bad line (default), or skip and count
  --categories a,b,...       summary, anomaly, changepoint, trend (default: all four)
  --half-window K            Hampel half-window (default 30)
  --threshold T              Hampel threshold in robust sigmas (default 4)
  --min-size N, --jump N     PELT minimum segment length (2) and candidate grid (1)
  --penalty P                PELT penalty (default 3 s^2 ln n, s a robust noise scale)
  --no-clean                 segment the raw values, not the Hampel-cleaned ones
  --alpha A                  Mann-Kendall significance level (default 0.05)
  --anomaly-method M         segmentedHampel (default) or hampel (exact MATLAB/numpy Hampel)
  --changepoint-method M     levelShift (default) or l2 (exact ruptures Pelt l2)
  --trend-method M           withinSegments (default), original (exact pymannkendall original_test),
                             or a modified test for autocorrelated series, exact as pymannkendall's:
                             hamedRao, yueWang, preWhitening, trendFreePreWhitening
  --trend-lag L              hamedRao/yueWang: autocorrelation lags 1..L, 0..1000 (default: all)
  --reference                all three reference methods (hampel, l2, original)
  --threads N                engine threads (default: CONCLUDE_THREADS or the cores)
`

import type { AnalyzeOptions, TrendOptions } from '../../index.js'

const TREND_METHODS: readonly NonNullable<TrendOptions['method']>[] = [
  'withinSegments', 'original', 'hamedRao', 'yueWang', 'preWhitening', 'trendFreePreWhitening',
]

export function analysisOptions(v: Record<string, string | boolean | undefined>): AnalyzeOptions {
  const s = (k: string) => v[k] as string | undefined
  const o: AnalyzeOptions = {}
  const format = oneOf('format', s('format'), ['ndjson', 'csv'] as const)
  if (format) o.format = format
  const policy = oneOf('on-bad-line', s('on-bad-line'), ['fail', 'skip'] as const)
  if (policy) o.onBadLine = policy
  if (s('categories')) {
    o.categories = s('categories')!
      .split(',')
      .map((c) => oneOf('categories', c.trim(), CATEGORIES)!)
  }
  const ref = v.reference === true
  const anomalyMethod = oneOf('anomaly-method', s('anomaly-method'), ['segmentedHampel', 'hampel'] as const) ?? (ref ? 'hampel' : undefined)
  const changepointMethod = oneOf('changepoint-method', s('changepoint-method'), ['levelShift', 'l2'] as const) ?? (ref ? 'l2' : undefined)
  const trendMethod = oneOf('trend-method', s('trend-method'), TREND_METHODS) ?? (ref ? 'original' : undefined)
  const trendLag = int('trend-lag', s('trend-lag'), 0, 1000)
  if (trendLag !== undefined && trendMethod !== 'hamedRao' && trendMethod !== 'yueWang') {
    throw new UsageError(`--trend-lag applies to --trend-method hamedRao or yueWang only, got ${trendMethod ?? 'the default (withinSegments)'}`)
  }
  const halfWindow = int('half-window', s('half-window'), 1)
  const threshold = num('threshold', s('threshold'))
  if (halfWindow !== undefined || threshold !== undefined || anomalyMethod) o.anomaly = { method: anomalyMethod, halfWindow, threshold }
  const minSize = int('min-size', s('min-size'), 1)
  const jump = int('jump', s('jump'), 1)
  const penalty = num('penalty', s('penalty'))
  if (minSize !== undefined || jump !== undefined || penalty !== undefined || v['no-clean'] || changepointMethod) {
    o.changepoint = { method: changepointMethod, minSize, jump, penalty, clean: !v['no-clean'] }
  }
  const alpha = num('alpha', s('alpha'))
  if (alpha !== undefined || trendMethod) o.trend = { method: trendMethod, alpha, lag: trendLag }
  const threads = int('threads', s('threads'), 1, 1024)
  if (threads !== undefined) o.threads = threads
  return o
}
