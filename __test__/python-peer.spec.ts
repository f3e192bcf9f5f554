// The Python reference peer (bench/peers/python.ts + scripts/fixtures/python_peer.py): it skips
// with a reason when no suitable Python is there, stops at its time budget, and
// where a Python with the reference stack is found (CONCLUDE_PYTHON, .venv,
// python3) it finds as many conclusions as the golden fixtures hold.
import test from 'ava'

import { findPython, runPythonPeer } from '../bench/peers/python.js'
import { cases, CATEGORIES, expected, GOLDEN } from './helpers/golden.js'

const stack = await findPython()
const withPython = typeof stack === 'string' ? test.skip : test
if (typeof stack === 'string') console.log(`python-peer.spec: reference stack tests skipped: ${stack}`)

test('no Python: skipped, saying why', async (t) => {
  const r = await runPythonPeer({ file: `${GOLDEN}/short.ndjson`, category: 'all', budgetSeconds: 30, python: '/nonexistent/python' })
  t.deepEqual(r, { status: 'skipped', reason: 'no Python with numpy, scipy, pymannkendall and ruptures: /nonexistent/python: not found' })
})

for (const name of ['multi_shift', 'pelt_jump5']) {
  withPython(`${name}: the reference stack finds the fixture's conclusions`, async (t) => {
    const c = cases().find((x) => x.name === name)!
    const r = await runPythonPeer({ file: `${GOLDEN}/${c.ndjson}`, category: 'all', budgetSeconds: 120, ...(c.options as object) })
    if (r.status === 'skipped') return t.fail(r.reason)
    t.is(r.status, 'ok', r.message)
    t.deepEqual(r.categories.map((x) => x.category), [...CATEGORIES])
    const want = expected(c)
    for (const x of r.categories) {
      t.is(x.conclusions, want[x.category].length, x.category)
      t.true(x.seconds >= 0)
    }
    t.truthy(r.hampel)
  })
}

withPython('a run past its budget is stopped and says so', async (t) => {
  const r = await runPythonPeer({ file: `${GOLDEN}/fleet.ndjson`, category: 'changepoint', budgetSeconds: 2 })
  t.is(r.status, 'timeout')
  if (r.status !== 'skipped') t.regex(r.message ?? '', /^did not finish in 2 s/)
})
