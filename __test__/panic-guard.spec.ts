// A Rust panic never aborts Node: the binding's one guard (`guarded`, crate/napi/src/lib.rs)
// turns it into ERR_CONCLUDE_INTERNAL on both of its paths (a sync call, a job on the pool).
// The exports that panic exist only in a test build (cargo feature `panic-probe`, built into
// target/panic-probe/ by scripts/build-panic-probe.mjs, which scripts/test.sh runs); the shipped
// addon has no trace of them, which the second test checks byte for byte.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import test from 'ava'

import { analyzeNative } from '../index.js'

const ROOT = join(import.meta.dirname, '..')
const PROBE = join(ROOT, 'target', 'panic-probe', 'conclude-panic-probe.node')
/** What the probe's code puts in a binary: its export names and its panic message. */
const MARKERS = ['panicProbeSync', 'panicProbeAsync', 'deliberate test panic']
const require = createRequire(import.meta.url)

interface Probe {
  panicProbeSync(): never
  panicProbeAsync(): Promise<never>
  analyzeNative(input: Buffer): { stats: { points: number } }
}

function probe(): Probe {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} is missing: run 'npm run build:panic-probe' (scripts/test.sh does)`)
  return require(PROBE) as Probe
}

const good = Buffer.from('{"series":"a","ts":1,"value":1}\n{"series":"a","ts":2,"value":2}\n')

test('a panic inside the engine becomes ERR_CONCLUDE_INTERNAL, sync and async, and the process lives on', async (t) => {
  const p = probe()
  const e = t.throws(() => p.panicProbeSync()) as any
  t.is(e.code, 'ERR_CONCLUDE_INTERNAL')
  t.is(e.message, 'engine panic: deliberate test panic')
  const rejected: any = await t.throwsAsync(() => p.panicProbeAsync())
  t.is(rejected.code, 'ERR_CONCLUDE_INTERNAL')
  t.is(rejected.message, 'engine panic: deliberate test panic (async)')
  // The probe's pool still works after both panics (the native result, before the loader shapes it).
  t.is(p.analyzeNative(good).stats.points, 2)
  t.is(analyzeNative(good).stats.points, 2)
})

test('the shipped addon has no panic probe: neither its exports nor its bytes', (t) => {
  const shipped = readdirSync(ROOT).filter((f) => /^conclude\..+\.node$/.test(f)).map((f) => join(ROOT, f))
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) shipped.push(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)
  t.true(shipped.length > 0, 'a built addon to check')
  // The search sees the markers where they are.
  const inProbe = readFileSync(PROBE)
  for (const m of MARKERS) t.true(inProbe.includes(m), `the probe build holds ${JSON.stringify(m)}`)
  for (const file of shipped) {
    const bytes = readFileSync(file)
    for (const m of MARKERS) t.false(bytes.includes(m), `${file} holds ${JSON.stringify(m)}`)
  }
  const exports = Object.keys(require('../binding.js'))
  t.deepEqual(exports.filter((name) => /panic/i.test(name)), [])
  t.deepEqual(Object.keys(probe()).filter((name) => /panic/i.test(name)).sort(), ['panicProbeAsync', 'panicProbeSync'])
})
