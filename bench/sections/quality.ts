// Quality against ground truth (issue 12): precision, recall and F1 per category on the
// standard fleet workload and on the generator's quality variants, with every option set of
// lib/quality-options.ts. The matching rules are in lib/quality.ts and docs/quality.md.
import { analyzeNative, type AnalyzeOptions } from '../../index.js'
import { DEFAULTS, generate, PRESETS, QUALITY_PRESETS, type SeriesTruth, type WorkloadSpec } from '../../src/gen/workload.js'
import { assess, type Quality, type Scores, TREND_LABELS } from '../lib/quality.js'
import { type OptionSet } from '../lib/quality-options.js'
import { table } from '../lib/report.js'

export interface QualityWorkload {
  name: string
  spec: WorkloadSpec
  data: Buffer
  truth: SeriesTruth[]
}

export interface QualityRow {
  workload: string
  series: number
  set: string
  options: AnalyzeOptions
  quality: Quality
  /** Wall-clock time of the analysis (anomaly, changepoint, trend), parse included. */
  ms: number
}

/** Series per quality workload in quick mode (every variant still runs). */
export const QUICK_SERIES = 60

/** The workloads of the section: the standard fleet, then every quality preset. */
export const QUALITY_WORKLOADS = ['fleet', ...QUALITY_PRESETS]

export function qualityWorkload(name: string, overrides: Partial<WorkloadSpec> = {}): QualityWorkload {
  const preset = PRESETS[name]
  if (!preset) throw new RangeError(`no workload '${name}'; the quality workloads are ${QUALITY_WORKLOADS.join(', ')}`)
  const spec: WorkloadSpec = { ...DEFAULTS, ...preset, format: 'ndjson', ...overrides }
  const truth: SeriesTruth[] = []
  const data = Buffer.from([...generate(spec, truth)].join(''))
  return { name, spec, data, truth }
}

export function assessRun(w: QualityWorkload, set: Pick<OptionSet, 'name' | 'options'>): QualityRow {
  const started = performance.now()
  const result = analyzeNative(w.data, { ...set.options, categories: ['anomaly', 'changepoint', 'trend'] })
  const ms = performance.now() - started
  return { workload: w.name, series: w.spec.series, set: set.name, options: set.options, quality: assess(w.spec, w.truth, result), ms }
}

/** Every workload with every option set. */
export function quality(sets: readonly OptionSet[], quick: boolean, log: (line: string) => void): QualityRow[] {
  const rows: QualityRow[] = []
  for (const name of QUALITY_WORKLOADS) {
    const w = qualityWorkload(name, quick ? { series: QUICK_SERIES } : {})
    for (const set of sets) {
      const row = assessRun(w, set)
      rows.push(row)
      log(`  ${name} ${set.name}: ${brief(row.quality)}`)
    }
  }
  return rows
}

const f2 = (x: number) => x.toFixed(2)
const prf = (s: Scores) => `${f2(s.precision)} / ${f2(s.recall)} / ${f2(s.f1)}`

export function brief(q: Quality): string {
  return `anomaly ${prf(q.anomaly)}, level shift ${prf(q.levelShift)}, trend ${prf(q.trend)} (labels ${(100 * q.trend.agreement).toFixed(0)} %)`
}

/** The table: one row per workload and option set; precision / recall / F1 per category. */
export function qualityTable(rows: readonly QualityRow[]): string {
  return table(
    ['workload', 'options', 'anomaly P / R / F1', 'level shift P / R / F1', 'trend P / R / F1', 'trend labels agree', 'level shifts found / false'],
    rows.map((r) => [r.workload, r.set, prf(r.quality.anomaly), prf(r.quality.levelShift), prf(r.quality.trend), `${(100 * r.quality.trend.agreement).toFixed(1)} %`, `${r.quality.levelShift.tp} / ${r.quality.levelShift.fp}`]),
  )
}

/** The trend confusion matrix of one row: injected label down, concluded label across. */
export function confusionTable(r: QualityRow): string {
  return table(['injected \\ concluded', ...TREND_LABELS], TREND_LABELS.map((label, i) => [label, ...r.quality.trend.confusion[i]!]))
}
