// Field-by-field comparison of engine results with the golden fixtures made
// from the reference libraries (numpy, pymannkendall, ruptures), using the
// tolerances of SPEC section 3.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { referenceOptions } from '../../bench/baseline/index.js'
import type { AnalyzeOptions } from '../../index.js'
import { CATEGORIES } from '../../src/conclusions.js'
import { parseExactTs } from '../../src/exact-ts.js'

export const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden')

export interface GoldenCase {
  name: string
  description: string
  options: Record<string, unknown>
  ndjson: string
  csv: string
  expected: string
}

export function cases(): GoldenCase[] {
  const index = JSON.parse(readFileSync(join(GOLDEN, 'cases.json'), 'utf8'))
  return index.cases
}

export function read(file: string): Buffer {
  return readFileSync(join(GOLDEN, file))
}

export function expected(c: GoldenCase): Record<string, any> {
  // Exact: integer timestamps beyond 2^53 (epoch ns) are bigints, as the engine's results carry them.
  return parseExactTs(readFileSync(join(GOLDEN, c.expected), 'utf8'))
}

export type Rule = 'exact' | { rel: number } | { abs: number }

export const RULES: Record<string, Record<string, Rule>> = {
  summary: {
    series: 'exact', count: 'exact', missing: 'exact', min: 'exact', max: 'exact',
    mean: { rel: 1e-12 }, std: { rel: 1e-12 },
    p50: 'exact', p90: 'exact', p95: 'exact', p99: 'exact', firstTs: 'exact', lastTs: 'exact',
  },
  anomaly: {
    series: 'exact', index: 'exact', ts: 'exact', value: 'exact', median: 'exact', mad: 'exact',
    score: { rel: 1e-12 }, halfWindow: 'exact', threshold: 'exact', method: 'exact',
  },
  changepoint: {
    series: 'exact', index: 'exact', ts: 'exact',
    meanBefore: { rel: 1e-9 }, meanAfter: { rel: 1e-9 }, delta: { rel: 1e-9 }, penalty: { rel: 1e-12 }, method: 'exact',
  },
  trend: {
    series: 'exact', trend: 'exact', h: 'exact', p: { abs: 1e-12 }, z: { rel: 1e-9 }, tau: { rel: 1e-9 },
    s: 'exact', varS: { rel: 1e-12 }, slope: { rel: 1e-9 }, intercept: { rel: 1e-9 }, n: 'exact', method: 'exact',
    levelShiftExplained: 'exact',
  },
}

export { CATEGORIES }

/** The fields that say which method made a conclusion; the references do not write them. */
export const METHOD_FIELDS = ['method', 'levelShiftExplained']

/** The case's options as the engine must run them to reproduce the references. */
export function caseOptions(c: GoldenCase): AnalyzeOptions {
  return referenceOptions(c.options as AnalyzeOptions)
}

export function close(got: unknown, want: unknown, rule: Rule): boolean {
  if (rule === 'exact' || typeof want !== 'number' || typeof got !== 'number') return Object.is(got, want) || got === want
  const diff = Math.abs(got - want)
  if ('abs' in rule) return diff <= rule.abs
  return diff <= rule.rel * Math.abs(want)
}

/** Every mismatch between a result and its fixture, as readable lines (empty when equal). */
export function mismatches(got: Record<string, any>, want: Record<string, any>, label: string): string[] {
  const out: string[] = []
  for (const category of CATEGORIES) {
    const g: any[] = got[category] ?? []
    const w: any[] = want[category] ?? []
    if (g.length !== w.length) {
      out.push(`${label} ${category}: ${g.length} conclusions, expected ${w.length}`)
    }
    const rules = RULES[category]!
    for (let i = 0; i < Math.min(g.length, w.length); i++) {
      const keys = Object.keys(w[i])
      const extra = Object.keys(g[i]).filter((k) => !(k in w[i]) && !METHOD_FIELDS.includes(k))
      if (extra.length) out.push(`${label} ${category}[${i}]: unexpected fields ${extra.join(', ')}`)
      for (const key of keys) {
        const rule = rules[key]
        if (!rule) {
          out.push(`${label} ${category}[${i}]: fixture field ${key} has no tolerance rule`)
          continue
        }
        if (!close(g[i][key], w[i][key], rule)) {
          out.push(`${label} ${category}[${i}] (${w[i].series}) ${key}: got ${g[i][key]}, expected ${w[i][key]}`)
        }
      }
    }
  }
  for (const key of ['points', 'series', 'badLines', 'changepointSkipped', 'changepointSkippedSeries']) {
    const [g, w] = [JSON.stringify(got.stats[key]), JSON.stringify(want.stats?.[key])]
    if (key in (want.stats ?? {}) && g !== w) {
      out.push(`${label} stats.${key}: got ${g}, expected ${w}`)
    }
  }
  return out
}
