// analyzeColumns / analyzeColumnsNative: series given as arrays give exactly what analyzeNative
// gives for the same points written as NDJSON; bad columns are coded errors naming the entry and
// field; the async one copies its input, keeps the event loop free and honours an AbortSignal.
import test from 'ava'

import { analyzeColumns, analyzeColumnsNative, analyzeNative, type SeriesColumns } from '../index.js'
import { mulberry32 } from '../src/gen/random.js'
import { abortMidRun, maxLoopDelayDuring } from './helpers/loop.js'

/** The points of `entries` as NDJSON, entry by entry, in array order (NaN and null: `null`). */
function toNdjson(entries: SeriesColumns[]): Buffer {
  const lines: string[] = []
  for (const e of entries) {
    for (let i = 0; i < e.ts.length; i++) {
      const v = e.values[i]
      const value = v === null || Number.isNaN(v) ? 'null' : String(v)
      lines.push(`{"series":${JSON.stringify(e.id)},"ts":${String(e.ts[i])},"value":${value}}`)
    }
  }
  return Buffer.from(lines.join('\n') + '\n')
}

/**
 * Several series with level shifts and spikes, 3 % missing, ts partly shuffled with ties, one id
 * split over two entries, and every kind of input: Float64Array, BigInt64Array (nanosecond epochs
 * beyond 2^53), number[] with null.
 */
function workload(seed: number, points = 600): SeriesColumns[] {
  const r = mulberry32(seed)
  const entries: SeriesColumns[] = []
  for (let s = 0; s < 8; s++) {
    const n = Math.floor(points * (0.5 + r()))
    const shiftAt = Math.floor(n * (0.3 + 0.4 * r()))
    const ts: number[] = []
    const values: (number | null)[] = []
    for (let i = 0; i < n; i++) {
      ts.push(r() < 0.8 ? i : Math.floor(r() * n))
      let v: number | null = r() + r() + r() - 1.5 + (i >= shiftAt ? 5 : 0) + (r() < 0.005 ? 40 : 0)
      if (r() < 0.03) v = s % 3 === 2 ? null : NaN
      values.push(v)
    }
    const id = `host-${s % 6}.cpu` // host-0 and host-1 come twice: one series each
    if (s % 3 === 0) {
      const nanos = BigInt64Array.from(ts, (t) => 1_700_000_000_000_000_000n + BigInt(t) * 1_000n)
      entries.push({ id, ts: nanos, values: Float64Array.from(values, (v) => v ?? NaN) })
    } else if (s % 3 === 1) {
      entries.push({ id, ts: Float64Array.from(ts, (t) => 1_700_000_000 + 60 * t), values: Float64Array.from(values, (v) => v ?? NaN) })
    } else {
      entries.push({ id, ts: ts.map((t) => t * 0.5), values })
    }
  }
  return entries
}

/** A result without its timings (which differ from run to run). */
function conclusions(r: ReturnType<typeof analyzeNative>) {
  const { timings, ...stats } = r.stats
  return { ...r, stats }
}

test('columns give the result of the same points as NDJSON: several series, missing values, unsorted, BigInt ts', (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const entries = workload(seed)
    const want = analyzeNative(toNdjson(entries))
    const got = analyzeColumnsNative(entries)
    t.true(want.anomaly.length > 0 && want.changepoint.length > 0, 'the workload must produce every category')
    t.is(got.stats.series, 6)
    t.deepEqual(conclusions(got), conclusions(want), `seed ${seed}`)
  }
})

test('options apply as for analyzeNative', (t) => {
  const entries = workload(9)
  const options = { categories: ['anomaly', 'trend'] as ('anomaly' | 'trend')[], anomaly: { halfWindow: 5, threshold: 3 }, threads: 1 }
  const got = analyzeColumnsNative(entries, options)
  t.deepEqual(conclusions(got), conclusions(analyzeNative(toNdjson(entries), options)))
  t.is(got.summary.length, 0)
  t.is(got.stats.threads, 1)
})

test('the async twin gives the same result, and so does an empty input', async (t) => {
  const entries = workload(6)
  t.deepEqual(conclusions(await analyzeColumns(entries)), conclusions(analyzeColumnsNative(entries)))
  t.deepEqual(conclusions(await analyzeColumns([])), conclusions(analyzeNative(Buffer.alloc(0))))
})

test('analyzeColumns copies its input: changing the arrays right after the call changes nothing', async (t) => {
  const entries = workload(7)
  const want = conclusions(analyzeColumnsNative(entries))
  const pending = analyzeColumns(entries)
  for (const e of entries) {
    ;(e.values as Float64Array | (number | null)[]).fill(0)
    if (e.ts instanceof BigInt64Array) e.ts.fill(0n)
    else e.ts.fill(0)
  }
  t.deepEqual(conclusions(await pending), want)
})

function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected an error')
}

const ok = () => ({ id: 'a', ts: new Float64Array([1, 2, 3]), values: new Float64Array([1, 2, 3]) })

test('inconsistent columns are ERR_CONCLUDE_COLUMNS naming the entry and field', async (t) => {
  const cases: [SeriesColumns, string, RegExp][] = [
    [{ id: 'b', ts: new Float64Array([1, 2, 3]), values: new Float64Array([1, 2]) }, 'values', /series\[1\] \("b"\): values has 2 elements but ts has 3/],
    [{ id: 'b', ts: [1, 2, 3], values: [1, 2, 3, 4] }, 'values', /values has 4 elements but ts has 3/],
    [{ id: 'b', ts: new Float64Array([1, NaN, 3]), values: new Float64Array(3) }, 'ts', /series\[1\] \("b"\): ts\[1\] is NaN, not a finite number/],
    [{ id: 'b', ts: [1, 2, Infinity], values: [1, 2, 3] }, 'ts', /ts\[2\] is inf/],
    [{ id: 'b', ts: [1, 2, 3], values: [1, -Infinity, 3] }, 'values', /values\[1\] is -inf/],
    [{ id: '', ts: [1], values: [1] }, 'id', /series\[1\]: id must be a non-empty string/],
  ]
  for (const [bad, field, message] of cases) {
    const e = thrown(() => analyzeColumnsNative([ok(), bad]))
    t.is(e.code, 'ERR_CONCLUDE_COLUMNS', e.message)
    t.is(e.series, 1)
    t.is(e.field, field)
    t.regex(e.message, message)
    const rejected: any = await t.throwsAsync(() => analyzeColumns([ok(), bad]))
    t.is(rejected.code, 'ERR_CONCLUDE_COLUMNS')
    t.is(rejected.message, e.message)
  }
})

test('values of the wrong type are TypeErrors (ERR_INVALID_ARG_TYPE) naming where', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ series: [] }, /The "series" argument must be an Array of \{ id, ts, values \}, received object/],
    [[ok(), 42], /series\[1\] must be an object \{ id, ts, values \}, received number/],
    [[ok(), [1, 2]], /series\[1\] must be an object .*received an Array/],
    [[{ ...ok(), id: 7 }], /series\[0\]\.id must be a string, received number/],
    [[{ ...ok(), ts: new Int32Array(3) }], /series\[0\]\.ts must be a Float64Array, BigInt64Array or number\[\], received Int32Array/],
    [[{ ...ok(), ts: undefined }], /series\[0\]\.ts must be .* received undefined/],
    [[{ ...ok(), values: new BigInt64Array(3) }], /series\[0\]\.values must be a Float64Array or number\[\], received BigInt64Array/],
    [[{ ...ok(), ts: [1, '2', 3] }], /series\[0\]\.ts\[1\] must be a number, received string/],
    [[{ ...ok(), ts: [1, null, 3] }], /series\[0\]\.ts\[1\] must be a number, received null/],
    [[{ ...ok(), values: [1, 2, '3'] }], /series\[0\]\.values\[2\] must be a number or null, received string/],
  ]
  for (const [input, message] of cases) {
    const e = thrown(() => analyzeColumnsNative(input as SeriesColumns[]))
    t.is(e.code, 'ERR_INVALID_ARG_TYPE', e.message)
    t.is(e.name, 'TypeError')
    t.regex(e.message, message)
    const rejected: any = await t.throwsAsync(() => analyzeColumns(input as SeriesColumns[]))
    t.is(rejected.code, 'ERR_INVALID_ARG_TYPE')
  }
})

test('bad options are ERR_CONCLUDE_OPTIONS, as for analyzeNative', (t) => {
  const e = thrown(() => analyzeColumnsNative([ok()], { categories: ['nope' as 'trend'] }))
  t.is(e.code, 'ERR_CONCLUDE_OPTIONS')
})

// Big enough that the analysis takes a good fraction of a second in release.
function big(): SeriesColumns[] {
  const r = mulberry32(11)
  return Array.from({ length: 600 }, (_, s) => ({
    id: `host-${s}`,
    ts: Float64Array.from({ length: 2_880 }, (_, i) => 1_700_000_000 + 60 * i),
    values: Float64Array.from({ length: 2_880 }, (_, i) => r() + r() + (i > 1_000 ? 5 : 0)),
  }))
}

test.serial('the event loop keeps turning while analyzeColumns() runs', async (t) => {
  const entries = big()
  const during = await maxLoopDelayDuring(() => analyzeColumns(entries))
  t.log(`analyzeColumns: ${during.workMs.toFixed(0)} ms of work, max event-loop delay ${during.delayMs.toFixed(1)} ms`)
  t.true(during.workMs > 100, 'the workload is too small to show anything')
  t.true(during.delayMs < during.workMs / 4, `loop delay ${during.delayMs} ms vs ${during.workMs} ms of work`)
})

test('an already aborted signal rejects at once with an AbortError', async (t) => {
  const ac = new AbortController()
  ac.abort()
  const e: any = await t.throwsAsync(() => analyzeColumns([ok()], { signal: ac.signal }))
  t.is(e.name, 'AbortError')
  t.is(e.code, 'ABORT_ERR')
})

test.serial('aborting mid-run stops the work early', async (t) => {
  const entries = big()
  const full = analyzeColumnsNative(entries).stats.timings.totalMs
  const { error: e, elapsedMs: elapsed } = await abortMidRun((signal) => analyzeColumns(entries, { signal }), full)
  t.log(`full run ${full.toFixed(0)} ms, aborted after ${elapsed.toFixed(0)} ms`)
  t.is(e?.code, 'ABORT_ERR')
  t.true(elapsed < full * 0.8, `abort took ${elapsed} ms of a ${full} ms job`)
})
