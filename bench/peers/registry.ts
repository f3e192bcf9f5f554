// The peers the suite compares the native engine with, beside the TypeScript baseline:
// the JS libraries users reach for, and the Python references when a Python has them.
import { writeFileSync } from 'node:fs'

import { parseBatch } from '../baseline/index.js'
import type { Analysis, Peer } from '../lib/comparison.js'
import { budgeted, timeOnce, type Timing } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'
import { hampelPeer, senSlopePeer, summaryPeer } from './js-libs.js'
import { findPython, runPythonPeer } from './python.js'

const HAMPEL = { halfWindow: 30, threshold: 4 }

/** simple-statistics for the summary and a window-by-window Hampel; ml-regression-theil-sen for the slope. */
function jsLib(name: string, analysis: Analysis, perSeries: (id: string, ts: number[], values: number[]) => unknown): Peer {
  return {
    name,
    supports: (a) => a === analysis,
    measure: (w, _a, budgetMs) =>
      budgeted(
        (k) =>
          timeOnce(() => {
            for (const s of parseBatch(w.part(k)).series) perSeries(s.id, s.ts, s.values)
          }),
        w,
        budgetMs,
      ),
  }
}

/** The Python references on parts of the workload written to files; their own timing, parse excluded. */
function python(budgetMs: number, workloads?: string[]): Peer {
  // ruptures needs ~30 s for one 1,440-point series: let a first run show that
  const seconds = Math.max(40, (budgetMs / 1000) * 3)
  return {
    name: 'Python references (parse excluded)',
    supports: (a, w) => a !== 'all' && (!workloads || workloads.includes(w.name)),
    measure: (w, a, _budgetMs) =>
      budgeted(
        async (k) => {
          const file = k >= w.full ? w.file : w.file.replace(/\.ndjson$/, `.part${k}.ndjson`)
          if (k < w.full) writeFileSync(file, w.part(k))
          const r = await runPythonPeer({ file, category: a, budgetSeconds: seconds })
          if (r.status === 'skipped') return r.reason
          if (r.status !== 'ok') return r.message ?? r.status
          // the changepoint's Hampel cleaning counts, as it does for the engine and the baseline
          return r.categories.reduce((sum, c) => sum + c.seconds + (c.cleanSeconds ?? 0), 0) * 1000
        },
        w,
        budgetMs,
        // each run is a fresh process that times itself: no warm-up, and few, large steps
        { warmup: false, maxGrowth: 32 },
      ),
  }
}

export async function peers(o: { python: boolean; pythonWorkloads?: string[]; budgetMs: number; log: (line: string) => void }): Promise<Peer[]> {
  const list: Peer[] = [
    jsLib('simple-statistics', 'summary', (id, ts, values) => summaryPeer(id, ts, values)),
    jsLib('simple-statistics', 'anomaly', (id, ts, values) => hampelPeer(id, ts, values, HAMPEL)),
    jsLib('ml-regression-theil-sen (slope only)', 'trend', (_id, _ts, values) => senSlopePeer(values)),
  ]
  if (!o.python) {
    o.log('  Python references: skipped (--no-python; the default of --quick, where each Python start costs seconds; __test__/python-peer.spec.ts checks the peer)')
    return list
  }
  const stack = await findPython()
  if (typeof stack === 'string') {
    o.log(`  Python references: skipped, no Python with numpy, pymannkendall and ruptures (${stack}); run scripts/make-fixtures.sh or set CONCLUDE_PYTHON`)
    return list
  }
  o.log(`  Python references: ${stack.python} (${JSON.stringify(stack.versions)})`)
  if (o.pythonWorkloads) o.log(`  (on ${o.pythonWorkloads.join(', ')} only; --python-all for every workload)`)
  return [...list, python(o.budgetMs, o.pythonWorkloads)]
}
