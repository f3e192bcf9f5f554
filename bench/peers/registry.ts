// The peers the suite compares the native engine with, beside the TypeScript baseline:
// the JS libraries users reach for, and the Python references when a Python has them.
import { writeFileSync } from 'node:fs'

import { parseBatch } from '../baseline/index.js'
import { budgeted, type Timing } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'
import type { Analysis } from '../sections/compare.js'
import { hampelPeer, senSlopePeer, summaryPeer } from './js-libs.js'
import { findPython, runPythonPeer } from './python.js'

export interface Peer {
  name: string
  supports(a: Analysis): boolean
  measure(w: Workload, a: Analysis, budgetMs: number): Promise<{ timing?: Timing; skipped?: string }>
}

const HAMPEL = { halfWindow: 30, threshold: 4 }

/** simple-statistics for the summary and a window-by-window Hampel; ml-regression-theil-sen for the slope. */
function jsLib(name: string, analysis: Analysis, perSeries: (id: string, ts: number[], values: number[]) => unknown): Peer {
  return {
    name,
    supports: (a) => a === analysis,
    async measure(w, _a, budgetMs) {
      const run = (k: number) => {
        for (const s of parseBatch(w.part(k)).series) perSeries(s.id, s.ts, s.values)
      }
      return { timing: budgeted(run, w.full, w.unit === 'series' ? 1 : 1_000, budgetMs, w.unit) }
    },
  }
}

function python(budgetMs: number, log: (line: string) => void): Peer {
  const seconds = Math.max(10, (budgetMs / 1000) * 1.5)
  return {
    name: 'Python references (parse excluded)',
    supports: () => true,
    async measure(w, a, _budgetMs) {
      const once = async (file: string) => runPythonPeer({ file, category: a, budgetSeconds: seconds })
      const r = await once(w.file)
      if (r.status === 'skipped') return { skipped: r.reason }
      if (r.status === 'failed') return { skipped: r.message }
      const total = (x: typeof r) => x.categories.reduce((s, c) => s + c.seconds, 0) * 1000
      if (r.status === 'ok') return { timing: { ms: total(r), runs: 1 } }
      if (w.unit !== 'series') return { skipped: `${r.message}; pymannkendall and ruptures grow faster than linearly in n, so no estimate is made` }
      // series are independent and alike: a tenth of them, scaled linearly
      const k = Math.max(1, Math.floor(w.full / 10))
      const file = w.file.replace(/\.ndjson$/, `.part${k}.ndjson`)
      writeFileSync(file, w.part(k))
      const part = await once(file)
      if (part.status !== 'ok') return { skipped: `${r.message}; on ${k} series too: ${part.status === 'skipped' ? part.reason : part.message}` }
      const measuredMs = total(part)
      log(`    (python: the whole ${w.name} did not finish in ${seconds} s; measured on ${k} series)`)
      return { timing: { ms: measuredMs * (w.full / k), runs: 1, estimate: { measuredMs, on: `${k.toLocaleString('en-US')} of ${w.full.toLocaleString('en-US')} series`, method: 'linear in series' } } }
    },
  }
}

export async function peers(o: { python: boolean; budgetMs: number; log: (line: string) => void }): Promise<Peer[]> {
  const list: Peer[] = [
    jsLib('simple-statistics', 'summary', (id, ts, values) => summaryPeer(id, ts, values)),
    jsLib('simple-statistics', 'anomaly', (id, ts, values) => hampelPeer(id, ts, values, HAMPEL)),
    jsLib('ml-regression-theil-sen (slope only)', 'trend', (_id, _ts, values) => senSlopePeer(values)),
  ]
  if (!o.python) {
    o.log('  Python references: skipped (--no-python)')
    return list
  }
  const stack = await findPython()
  if (typeof stack === 'string') {
    o.log(`  Python references: skipped, no Python with numpy, pymannkendall and ruptures (${stack}); run scripts/make-fixtures.sh or set CONCLUDE_PYTHON`)
    return list
  }
  o.log(`  Python references: ${stack.python} (${JSON.stringify(stack.versions)})`)
  return [...list, python(o.budgetMs, o.log)]
}
