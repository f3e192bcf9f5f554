// What crossing into JS costs on its own, on one workload: the engine's own time (parse, then
// the analyses with their results discarded), then the same work returned as JS objects
// (analyzeNative, analyze) or as ready-made Kafka messages (analyzeToMessagesNative).
import { analyze, analyzeNative, analyzeToMessagesNative, type AnalysisResult } from '../../index.js'
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
}

export async function boundary(w: Workload, s: { minRuns: number; timeMs: number }): Promise<Boundary> {
  const runs: AnalysisResult[] = []
  const objectsSync = await median('objects sync', () => runs.push(analyzeNative(w.data)), s)
  const mid = [...runs].sort((a, b) => a.stats.timings.totalMs - b.stats.timings.totalMs)[runs.length >> 1]!
  const objectsAsync = await median('objects async', () => analyze(w.data), s)
  const messages = await median('messages', () => analyzeToMessagesNative(w.data, { batch: 'bench' }), s)
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
  }
}
