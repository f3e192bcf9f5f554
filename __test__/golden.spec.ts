// The engine against the golden fixtures produced by the reference libraries
// (scripts/make-fixtures.sh): every case, as NDJSON and as CSV, sync and async.
import test from 'ava'

import { analyze, analyzeNative } from '../index.js'
import { REFERENCE_METHODS } from '../bench/baseline/index.js'
import { caseOptions, cases, CATEGORIES, expected, mismatches, read } from './helpers/golden.js'

const all = cases()

test('the fixture set is not empty and covers every category', (t) => {
  t.true(all.length >= 5)
  for (const category of CATEGORIES) {
    const total = all.reduce((n, c) => n + (expected(c)[category]?.length ?? 0), 0)
    t.true(total > 0, `no ${category} conclusions in the fixtures`)
  }
  const directions = new Set(all.flatMap((c) => expected(c).trend.map((x: any) => x.trend)))
  t.deepEqual([...directions].sort(), ['decreasing', 'increasing', 'no trend'])
})

for (const c of all) {
  test(`${c.name}: NDJSON matches the references`, (t) => {
    const got = analyzeNative(read(c.ndjson), caseOptions(c))
    t.deepEqual(mismatches(got, expected(c), `${c.name}.ndjson`), [])
    const methods = caseOptions(c)
    for (const category of ['anomaly', 'changepoint', 'trend'] as const) {
      const want = methods[category]?.method ?? REFERENCE_METHODS[category]
      for (const x of got[category]) t.is(x.method, want, `${category} method`)
    }
  })

  test(`${c.name}: CSV gives the same result as NDJSON`, (t) => {
    const got = analyzeNative(read(c.csv), caseOptions(c))
    t.deepEqual(mismatches(got, expected(c), `${c.name}.csv`), [])
    const fromNdjson = analyzeNative(read(c.ndjson), caseOptions(c))
    for (const category of CATEGORIES) t.deepEqual(got[category], fromNdjson[category])
  })

  test(`${c.name}: analyze() resolves to what analyzeNative() returns`, async (t) => {
    const got = await analyze(read(c.ndjson), caseOptions(c))
    const sync = analyzeNative(read(c.ndjson), caseOptions(c))
    for (const category of CATEGORIES) t.deepEqual(got[category], sync[category])
  })
}
