// Integer timestamps are exact end to end (issue 12, item 5): epoch nanoseconds 100 ns apart
// (about 1.7e18, beyond 2^53) sort into time order, and every ts written back (firstTs, lastTs,
// anomaly and change point ts) is the exact integer: a bigint in JS results, its digits in the
// Kafka message values. Timestamps a JS number holds exactly stay numbers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { analyze, analyzeColumnsNative, analyzeNative, analyzeToMessagesNative, type AnalysisResult } from '../index.js'
import { parseExactTs, stringifyExactTs } from '../src/exact-ts.js'
import { analyzeStream } from '../src/stream.js'

const T0 = 1_732_600_000_000_000_123n // ns, odd: not a double
const N = 200
const REFERENCE = { anomaly: { method: 'hampel' }, changepoint: { method: 'l2' }, trend: { method: 'original' } } as const

/** A rising series with a spike and a level shift, as (ts, value), in a fixed shuffled order. */
function points(): [bigint, number][] {
  const out: [bigint, number][] = []
  for (let k = 0; k < N; k++) {
    const v = 0.01 * k + Math.sin(k * 1.7) * 0.3 + (k === 50 ? 9 : 0) + (k >= 120 ? 4 : 0)
    out.push([T0 + 100n * BigInt(k), Math.round(v * 1000) / 1000])
  }
  // A fixed permutation (k * 37 mod N, N and 37 coprime) shuffles neighbours far apart.
  return out.map((_, k) => out[(k * 37) % N]!)
}

function ndjson(series = 'ns'): Buffer {
  return Buffer.from(points().map(([t, v]) => `{"series":"${series}","ts":${t},"value":${v}}`).join('\n') + '\n')
}

/** The result without timings. */
function conclusions(r: AnalysisResult) {
  const { timings, ...stats } = r.stats
  return { ...r, stats }
}

test('ns epochs sort exactly and come back as exact bigints', (t) => {
  const r = analyzeNative(ndjson(), REFERENCE)
  const s = r.summary[0]!
  t.is(s.firstTs, T0)
  t.is(s.lastTs, T0 + 100n * BigInt(N - 1))
  t.true(r.anomaly.some((a) => a.ts === T0 + 50n * 100n), 'the spike at k = 50, at its exact ts')
  for (const a of r.anomaly) t.is(typeof a.ts, 'bigint')
  t.true(r.changepoint.some((c) => c.ts === T0 + 120n * 100n), 'the shift at k = 120, at its exact ts')
  // In time order the series rises steadily: S is what the sorted values give.
  const sorted = [...points()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => v)
  let sum = 0
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) sum += Math.sign(sorted[j]! - sorted[i]!)
  t.is(r.trend[0]!.s, sum)
})

test('timestamps a number holds exactly stay numbers; 2^53 and beyond are bigints', (t) => {
  const text = ['9007199254740991', '-9007199254740991', '9007199254740992', '1.5']
    .map((ts, i) => `{"series":"s${i}","ts":${ts},"value":1}`)
    .join('\n')
  const r = analyzeNative(Buffer.from(text))
  t.deepEqual(
    r.summary.map((s) => s.firstTs),
    [9007199254740991, -9007199254740991, 9007199254740992n, 1.5],
  )
})

test('the async twin, CSV and BigInt64Array columns give the same exact result; Float64Array gives doubles', async (t) => {
  const want = conclusions(analyzeNative(ndjson(), REFERENCE))
  t.deepEqual(conclusions(await analyze(ndjson(), REFERENCE)), want)
  const csv = Buffer.from('series,ts,value\n' + points().map(([ts, v]) => `ns,${ts},${v}`).join('\n') + '\n')
  t.deepEqual(conclusions(analyzeNative(csv, REFERENCE)), want)
  const p = points()
  const values = Float64Array.from(p, ([, v]) => v)
  const exact = analyzeColumnsNative([{ id: 'ns', ts: BigInt64Array.from(p, ([ts]) => ts), values }], REFERENCE)
  t.deepEqual(conclusions(exact), want)
  // The same instants as JS numbers are already rounded (1e18 / 2^53 ≈ 190 ns apart at best):
  // neighbours collapse and keep their shuffled order, so the trend differs.
  const rounded = analyzeColumnsNative([{ id: 'ns', ts: Float64Array.from(p, ([ts]) => Number(ts)), values }], REFERENCE)
  t.not(rounded.trend[0]!.s, want.trend[0]!.s)
  t.is(rounded.summary[0]!.firstTs, Number(T0), 'a double beyond 2^53 stays a double (a number)')
})

test('Kafka message values carry the exact digits, which parseExactTs reads back as the result', (t) => {
  const batch = analyzeToMessagesNative(ndjson(), { batch: 'exact-ts' }, REFERENCE)
  const r = analyzeNative(ndjson(), REFERENCE)
  const values: string[] = []
  for (let i = 0; i < batch.index.length; i += 5) values.push(batch.data.toString('utf8', batch.index[i + 3], batch.index[i + 4]))
  const summary = values.find((v) => v.startsWith('{"category":"summary"'))!
  t.true(summary.includes(`"firstTs":${T0},"lastTs":${T0 + 100n * BigInt(N - 1)}`), summary)
  const anomalies = values.filter((v) => v.startsWith('{"category":"anomaly"'))
  t.is(anomalies.length, r.anomaly.length)
  for (const [i, v] of anomalies.entries()) {
    t.true(v.includes(`"ts":${r.anomaly[i]!.ts},`), v)
    const { category, batch: b, version, method, ...fields } = parseExactTs(v)
    const { method: m, ...want } = r.anomaly[i]!
    t.deepEqual(fields, want)
  }
})

test('analyzeStream (spill files) and stringifyExactTs keep them exact too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conclude-exact-ts-'))
  try {
    const file = join(dir, 'ns.ndjson')
    writeFileSync(file, Buffer.concat([ndjson('a'), ndjson('b')]))
    const got: any[] = []
    for await (const c of analyzeStream(file, { ...REFERENCE, memory: 1 << 20, unitPoints: 150 })) got.push(c)
    const want = analyzeNative(Buffer.concat([ndjson('a'), ndjson('b')]), REFERENCE)
    const summaries = got.filter((c) => c.category === 'summary').sort((x, y) => (x.series < y.series ? -1 : 1))
    t.deepEqual(summaries.map(({ category, ...s }) => s), want.summary)
    const anomalies = got.filter((c) => c.category === 'anomaly')
    t.is(anomalies.length, want.anomaly.length)
    t.true(anomalies.every((a) => typeof a.ts === 'bigint'))
    const text = stringifyExactTs({ a: T0, b: [1.5, -T0], s: 'x' })
    t.is(text, `{"a":${T0},"b":[1.5,-${T0}],"s":"x"}`)
    t.deepEqual(parseExactTs(`{"ts":${T0},"firstTs":-${T0},"lastTs":12,"n":${T0}}`), { ts: T0, firstTs: -T0, lastTs: 12, n: Number(T0) })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('bigints land on their own conclusions across the chunks of a large result, sync and async', async (t) => {
  // 700 summaries: three of analyze()'s chunks of 256, every third series in ns epochs.
  const lines: string[] = []
  for (let i = 0; i < 700; i++) {
    const base = i % 3 === 0 ? T0 + BigInt(i) : BigInt(i)
    for (let k = 0; k < 3; k++) lines.push(`{"series":"s${String(i).padStart(3, '0')}","ts":${base + BigInt(k)},"value":${k}}`)
  }
  const input = Buffer.from(lines.join('\n') + '\n')
  for (const r of [analyzeNative(input, { categories: ['summary'] }), await analyze(input, { categories: ['summary'] })]) {
    t.is(r.summary.length, 700)
    r.summary.forEach((s, i) => {
      const first = i % 3 === 0 ? T0 + BigInt(i) : i
      t.is(s.firstTs, first, s.series)
      t.is(s.lastTs, typeof first === 'bigint' ? first + 2n : first + 2, s.series)
    })
  }
})
