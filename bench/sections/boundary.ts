// What crossing into JS costs on its own, on one workload: the engine's own time (parse, then
// the analyses with their results discarded), then the same work returned as JS objects
// (analyzeNative, analyze) or as ready-made Kafka messages (analyzeToMessagesNative); and the
// same series handed over as typed arrays instead of NDJSON (analyzeColumnsNative).
import { analyze, analyzeColumnsNative, analyzeNative, analyzeToMessagesNative, type AnalysisResult, type SeriesColumns } from '../../index.js'
import { median, type Timing } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'

export interface Boundary {
  workload: string
  bytes: number
  conclusions: number
  /** Engine-internal wall times from `stats.timings` (median run). */
  parseMs: number
  engineMs: number
  parseMBps: number
  objectsSync: Timing
  objectsAsync: Timing
  messages: Timing
  /** The same points as typed arrays: copy, check and group instead of parse (engine-internal, median run). */
  columnsBuildMs: number
  columnsSync: Timing
}

/** The points of an NDJSON batch as one `{ id, ts, values }` entry per series (null: NaN). */
function columnsOf(data: Buffer): SeriesColumns[] {
  const bySeries = new Map<string, { ts: number[]; values: number[] }>()
  for (const line of data.toString('utf8').split('\n')) {
    if (!line) continue
    const p = JSON.parse(line) as { series: string; ts: number; value: number | null }
    let s = bySeries.get(p.series)
    if (!s) bySeries.set(p.series, (s = { ts: [], values: [] }))
    s.ts.push(p.ts)
    s.values.push(p.value ?? NaN)
  }
  return [...bySeries].map(([id, s]) => ({ id, ts: Float64Array.from(s.ts), values: Float64Array.from(s.values) }))
}

const middle = (runs: AnalysisResult[]) => [...runs].sort((a, b) => a.stats.timings.totalMs - b.stats.timings.totalMs)[runs.length >> 1]!

export async function boundary(w: Workload, s: { minRuns: number; timeMs: number }): Promise<Boundary> {
  const runs: AnalysisResult[] = []
  const objectsSync = await median('objects sync', () => runs.push(analyzeNative(w.data)), s)
  const mid = middle(runs)
  const objectsAsync = await median('objects async', () => analyze(w.data), s)
  const messages = await median('messages', () => analyzeToMessagesNative(w.data, { batch: 'bench' }), s)
  const columns = columnsOf(w.data)
  const columnRuns: AnalysisResult[] = []
  const columnsSync = await median('columns sync', () => columnRuns.push(analyzeColumnsNative(columns)), s)
  const conclusions = mid.summary.length + mid.anomaly.length + mid.changepoint.length + mid.trend.length
  return {
    workload: w.name,
    bytes: w.data.length,
    conclusions,
    parseMs: mid.stats.timings.parseMs,
    engineMs: mid.stats.timings.totalMs,
    parseMBps: w.data.length / 1e6 / (mid.stats.timings.parseMs / 1e3),
    objectsSync,
    objectsAsync,
    messages,
    columnsBuildMs: middle(columnRuns).stats.timings.parseMs,
    columnsSync,
  }
}
