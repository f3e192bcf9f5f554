// Quality against ground truth (issue 12): precision, recall and F1 per category on the
// standard fleet workload and on the generator's quality variants, with every option set of
// lib/quality-options.ts. The matching rules are in lib/quality.ts and docs/quality.md.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { analyzeNative, type AnalyzeOptions } from '../../index.js'
import { DEFAULTS, generate, PRESETS, QUALITY_PRESETS, type SeriesTruth, type WorkloadSpec } from '../../src/gen/workload.js'
import { assess, type Quality, type Scores, TREND_LABELS } from '../lib/quality.js'
import { cpdbenchWorkload } from '../lib/labelled.js'
import { type OptionSet } from '../lib/quality-options.js'
import { table } from '../lib/report.js'

export type QualityCategory = 'anomaly' | 'levelShift' | 'trend'
export const ALL_CATEGORIES: QualityCategory[] = ['anomaly', 'levelShift', 'trend']

export interface QualityWorkload {
  name: string
  spec: WorkloadSpec
  data: Buffer
  truth: SeriesTruth[]
  /** The categories the truth covers (labelled data may label only change points). */
  categories?: QualityCategory[]
}

export interface QualityRow {
  workload: string
  series: number
  set: string
  options: AnalyzeOptions
  quality: Quality
  categories: QualityCategory[]
  /** Wall-clock time of the analysis (anomaly, changepoint, trend), parse included. */
  ms: number
}

/** Labelled public data, or why there is none (see lib/labelled.ts). */
export function labelledWorkloads(): QualityWorkload[] | string {
  const venv = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'python')
  const w = cpdbenchWorkload(process.env.CONCLUDE_PYTHON ?? (existsSync(venv) ? venv : 'python3'))
  return typeof w === 'string' ? w : [{ ...w, categories: ['levelShift'] }]
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
  return { workload: w.name, series: w.spec.series, set: set.name, options: set.options, quality: assess(w.spec, w.truth, result), categories: w.categories ?? ALL_CATEGORIES, ms }
}

export interface QualitySection {
  rows: QualityRow[]
  /** Why the labelled public data is not in the rows, when it is not. */
  labelledSkipped?: string
}

/** Every workload with every option set; labelled public data too when it can be had. */
export function quality(sets: readonly OptionSet[], quick: boolean, log: (line: string) => void): QualitySection {
  const rows: QualityRow[] = []
  const workloads: QualityWorkload[] = QUALITY_WORKLOADS.map((name) => qualityWorkload(name, quick ? { series: QUICK_SERIES } : {}))
  const labelled = labelledWorkloads()
  if (typeof labelled === 'string') log(`  labelled public data skipped: ${labelled}`)
  else workloads.push(...labelled)
  for (const w of workloads) {
    for (const set of sets) {
      const row = assessRun(w, set)
      rows.push(row)
      log(`  ${w.name} ${set.name}: ${brief(row)}`)
    }
  }
  return { rows, labelledSkipped: typeof labelled === 'string' ? labelled : undefined }
}

const f2 = (x: number) => x.toFixed(2)
const prf = (s: Scores) => `${f2(s.precision)} / ${f2(s.recall)} / ${f2(s.f1)}`

export function brief(r: QualityRow): string {
  const q = r.quality
  const has = (c: QualityCategory) => r.categories.includes(c)
  return [
    has('anomaly') && `anomaly ${prf(q.anomaly)}`,
    has('levelShift') && `level shift ${prf(q.levelShift)}`,
    has('trend') && `trend ${prf(q.trend)} (labels ${(100 * q.trend.agreement).toFixed(0)} %)`,
  ]
    .filter(Boolean)
    .join(', ')
}

/** The table: one row per workload and option set; precision / recall / F1 per category ('–': not labelled). */
export function qualityTable(rows: readonly QualityRow[]): string {
  return table(
    ['workload', 'options', 'anomaly P / R / F1', 'anomaly near shifts P / R (false)', 'level shift P / R / F1', 'trend P / R / F1', 'trend labels agree', 'level shifts found / missed / false'],
    rows.map((r) => {
      const has = (c: QualityCategory) => r.categories.includes(c)
      const s = r.quality.levelShift
      return [
        r.workload,
        r.set,
        has('anomaly') ? prf(r.quality.anomaly) : '–',
        has('anomaly') ? `${f2(r.quality.anomalyNearShift.precision)} / ${f2(r.quality.anomalyNearShift.recall)} (${r.quality.anomalyNearShift.fp})` : '–',
        has('levelShift') ? prf(s) : '–',
        has('trend') ? prf(r.quality.trend) : '–',
        has('trend') ? `${(100 * r.quality.trend.agreement).toFixed(1)} %` : '–',
        has('levelShift') ? `${s.tp} / ${s.fn} / ${s.fp}` : '–',
      ]
    }),
  )
}

/** The trend confusion matrix of one row: injected label down, concluded label across. */
export function confusionTable(r: QualityRow): string {
  return table(['injected \\ concluded', ...TREND_LABELS], TREND_LABELS.map((label, i) => [label, ...r.quality.trend.confusion[i]!]))
}
