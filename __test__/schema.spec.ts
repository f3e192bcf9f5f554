// The result schema is declared once, by the napi structs of crate/napi/src/convert.rs (which
// generate index.d.ts), and written by hand in two more places: the engine's JSON writer
// (crate/engine/src/output.rs: analyzeNative, the chunks of analyze, the Kafka message values)
// and the TypeScript baseline (bench/baseline, typed by index.d.ts but free to leave out an
// optional field). This checks the written fields against the declared ones, both ways, so a
// field gained or lost in one place and not the others fails here.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'
import ts from 'typescript'

import { analyzeBaseline, referenceOptions } from '../bench/baseline/index.js'
import { analyze, analyzeNative, analyzeToMessagesNative, type AnalyzeOptions } from '../index.js'

interface Member {
  name: string
  optional: boolean
}

/** The members of every interface in index.d.ts, read by the TypeScript parser. */
function declared(): Map<string, Member[]> {
  const file = join(import.meta.dirname, '..', 'index.d.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const out = new Map<string, Member[]>()
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return
    const members = node.members.filter(ts.isPropertySignature).map((m) => ({ name: m.name.getText(source), optional: !!m.questionToken }))
    out.set(node.name.text, members)
  })
  return out
}

const INTERFACES = { summary: 'SummaryConclusion', anomaly: 'AnomalyConclusion', changepoint: 'ChangepointConclusion', trend: 'TrendConclusion' } as const
type Category = keyof typeof INTERFACES

/** Two series with a level shift, a spike and a gap: every category has conclusions. */
function batch(): Buffer {
  const lines: string[] = []
  for (const id of ['a', 'b']) {
    for (let i = 0; i < 120; i++) {
      const noise = (((i * 7919 + id.charCodeAt(0) * 104729) % 1000) / 1000 - 0.5) * 0.2
      const value = i === 30 ? 'null' : String((i < 60 ? 0 : 5) + 0.01 * i + noise + (i === 90 ? 40 : 0))
      lines.push(`{"series":"${id}","ts":${1_700_000_000 + 60 * i},"value":${value}}`)
    }
  }
  return Buffer.from(lines.join('\n') + '\n')
}

const RUNS: AnalyzeOptions[] = [{}, referenceOptions()]

/** Each object's keys agree with `members`: nothing undeclared, every required member there. */
function conforms(t: any, what: string, objects: object[], members: Member[], extra: string[] = []) {
  t.true(objects.length > 0, `${what}: no objects to check`)
  const names = new Set([...members.map((m) => m.name), ...extra])
  const required = [...members.filter((m) => !m.optional).map((m) => m.name), ...extra]
  for (const o of objects) {
    const keys = Object.keys(o)
    t.deepEqual(keys.filter((k) => !names.has(k)), [], `${what}: written but not declared`)
    t.deepEqual(required.filter((k) => !keys.includes(k)), [], `${what}: declared but not written`)
  }
}

/** Every declared member, optional ones included, is written by at least one of `objects`. */
function covers(t: any, what: string, objects: object[], members: Member[]) {
  const seen = new Set(objects.flatMap((o) => Object.keys(o)))
  t.deepEqual(members.map((m) => m.name).filter((n) => !seen.has(n)), [], `${what}: declared but never written`)
}

test('the engine writes exactly the declared fields: analyzeNative, analyze and the Kafka messages', async (t) => {
  const types = declared()
  const input = batch()
  const byCategory: Record<Category, object[]> = { summary: [], anomaly: [], changepoint: [], trend: [] }
  const stats: object[] = []
  for (const options of RUNS) {
    const sync = analyzeNative(input, options)
    const async = await analyze(input, options)
    for (const r of [sync, async]) {
      for (const c of Object.keys(INTERFACES) as Category[]) byCategory[c].push(...r[c])
      stats.push(r.stats)
    }
    t.deepEqual(Object.keys(sync), ['summary', 'anomaly', 'changepoint', 'trend', 'stats'])
    t.deepEqual(Object.keys(async), Object.keys(sync))
    const m = analyzeToMessagesNative(input, { batch: 'schema' }, options)
    for (let i = 0; i < m.index.length; i += 5) {
      const [category, , , start, end] = m.index.subarray(i, i + 5)
      const c = (Object.keys(INTERFACES) as Category[])[category!]!
      const value = JSON.parse(m.data.subarray(start, end).toString('utf8'))
      conforms(t, `${c} message`, [value], types.get(INTERFACES[c])!, ['category', 'batch', 'version'])
    }
  }
  t.deepEqual(types.get('AnalysisResult')!.map((m) => m.name), ['summary', 'anomaly', 'changepoint', 'trend', 'stats'])
  for (const c of Object.keys(INTERFACES) as Category[]) {
    conforms(t, c, byCategory[c], types.get(INTERFACES[c])!)
    covers(t, c, byCategory[c], types.get(INTERFACES[c])!)
  }
  conforms(t, 'stats', stats, types.get('AnalysisStats')!)
  conforms(t, 'stats.timings', stats.map((s: any) => s.timings), types.get('AnalysisTimings')!)
})

test('the TypeScript baseline writes the declared fields', (t) => {
  const types = declared()
  const r = analyzeBaseline(batch(), referenceOptions())
  for (const c of Object.keys(INTERFACES) as Category[]) conforms(t, `baseline ${c}`, r[c], types.get(INTERFACES[c])!)
  conforms(t, 'baseline stats', [r.stats], types.get('AnalysisStats')!)
})
