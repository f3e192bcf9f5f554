// The vocabulary of the comparison section: what is compared (an analysis or all four), a
// measured row, and a peer. A leaf (types and one constant) so that sections/compare.ts,
// peers/registry.ts and lib/report.ts all depend on it and not on each other.
import type { Category } from '../baseline/index.js'
import type { Timing } from './measure.js'
import type { Workload } from './workloads.js'

export type Analysis = Category | 'all'
export const ANALYSES: Analysis[] = ['summary', 'anomaly', 'changepoint', 'trend', 'all']

export interface CompareRow {
  workload: string
  analysis: Analysis
  impl: string
  timing?: Timing
  /** Why there is no figure. */
  skipped?: string
  /** Why the figure is only an estimate of something that cannot run here. */
  note?: string
}

/** An implementation the native engine is compared with, beside the TypeScript baseline. */
export interface Peer {
  name: string
  supports(a: Analysis, w: Workload): boolean
  measure(w: Workload, a: Analysis, budgetMs: number): Promise<{ timing?: Timing; skipped?: string }>
}
