// Per analysis and for all four together: the native engine (sync and async) against the
// TypeScript baseline, the JS libraries users reach for and, when present, the Python
// references. Every implementation gets the same NDJSON bytes, so parsing is included.
import { totalmem } from 'node:os'

import { analyze, analyzeNative } from '../../index.js'
import { analyzeBaseline, type BaselineOptions, type Category, referenceOptions } from '../baseline/index.js'
import { ANALYSES, type Analysis, type CompareRow, type Peer } from '../lib/comparison.js'
import { budgeted, median, timeOnce, type Timing } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'

/** The engine with its default methods (every other engine row runs the reference modes). */
export const DEFAULT_METHODS = 'conclude analyzeNative, default methods'

/** Implementations whose Sen's slope sorts or stores all n(n-1)/2 pairwise slopes. */
const ALL_PAIRS = ['TypeScript baseline', 'ml-regression-theil-sen (slope only)', 'Python references (parse excluded)']

/** Says so when holding all pairwise slopes of the longest series needs more memory than the machine has. */
function memoryNote(w: Workload, analysis: Analysis, impl: string): string | undefined {
  if (!ALL_PAIRS.includes(impl) || (analysis !== 'trend' && analysis !== 'all')) return undefined
  const n = w.spec.points
  const bytes = ((n * (n - 1)) / 2) * 8
  if (bytes <= totalmem()) return undefined
  return `cannot run at n = ${n.toLocaleString('en-US')}: its Sen's slope holds all n(n-1)/2 = ${((n * (n - 1)) / 2).toExponential(1)} slopes, ${(bytes / 2 ** 40).toFixed(1)} TiB against this machine's ${(totalmem() / 2 ** 30).toFixed(0)} GiB; the time is extrapolated from smaller n`
}

export interface CompareSettings {
  /** Sampling time of tinybench per native figure. */
  nativeTimeMs: number
  minRuns: number
  /** Time a peer may spend on its largest measured part before the rest is estimated. */
  peerBudgetMs: number
}

const categoriesOf = (a: Analysis): Category[] => (a === 'all' ? ['summary', 'anomaly', 'changepoint', 'trend'] : [a])

/**
 * The suite only compares like with like: on a part of the workload both must find the same
 * number of conclusions of each category, or the run stops (the property tests check values).
 */
function agree(w: Workload, options: { categories: Category[] } & BaselineOptions): void {
  const part = w.part(w.unit === 'series' ? Math.min(w.full, 4) : Math.min(w.full, 3_000))
  const a = analyzeNative(part, options)
  const b = analyzeBaseline(part, options)
  for (const c of options.categories) {
    if (a[c].length !== b[c].length) {
      throw new Error(`${w.name}: the engine finds ${a[c].length} ${c} conclusions and the TypeScript baseline ${b[c].length} on the same part; the comparison would not be fair`)
    }
  }
}

export async function compare(workloads: Workload[], peers: Peer[], s: CompareSettings, log: (line: string) => void): Promise<CompareRow[]> {
  const rows: CompareRow[] = []
  for (const w of workloads) {
    for (const analysis of ANALYSES) {
      // The peers compute the reference methods, so the engine is timed on those too.
      const options = referenceOptions({ categories: categoriesOf(analysis) })
      let since = performance.now()
      const push = (impl: string, r: { timing?: Timing; skipped?: string }) => {
        rows.push({ workload: w.name, analysis, impl, ...r, note: r.timing ? memoryNote(w, analysis, impl) : undefined })
        const took = ((performance.now() - since) / 1000).toFixed(1)
        since = performance.now()
        log(`  [${took.padStart(5)} s] ${w.name.padEnd(5)} ${analysis.padEnd(11)} ${impl.padEnd(26)} ${r.timing ? `${r.timing.ms.toFixed(1)} ms${r.timing.estimate ? ` (estimated from ${r.timing.estimate.on})` : ''}` : `skipped: ${r.skipped}`}`)
      }
      push('conclude analyzeNative', { timing: await median(`${w.name} ${analysis} sync`, () => analyzeNative(w.data, options), { minRuns: s.minRuns, timeMs: s.nativeTimeMs }) })
      // The default methods (issue 12: at most 1.3x the reference modes), in the same run on the
      // same bytes; the table's factor against the row above is that ratio.
      const defaults = { categories: categoriesOf(analysis) }
      push(DEFAULT_METHODS, { timing: await median(`${w.name} ${analysis} defaults`, () => analyzeNative(w.data, defaults), { minRuns: s.minRuns, timeMs: s.nativeTimeMs }) })
      push('conclude analyze (async)', { timing: await median(`${w.name} ${analysis} async`, () => analyze(w.data, options), { minRuns: s.minRuns, timeMs: s.nativeTimeMs }) })
      agree(w, options)
      push('TypeScript baseline', await budgeted((k) => timeOnce(() => analyzeBaseline(w.part(k), options)), w, s.peerBudgetMs))
      for (const peer of peers) {
        if (!peer.supports(analysis, w)) continue
        push(peer.name, await peer.measure(w, analysis, s.peerBudgetMs))
      }
    }
  }
  return rows
}
