// analyze() keeps the event loop free (in Node the event loop is the Kafka
// producer's I/O thread), and honours an AbortSignal.
import test from 'ava'

import { analyze, analyzeNative } from '../index.js'
import { abortMidRun, maxLoopDelayDuring } from './helpers/loop.js'
import { ndjson } from './helpers/workload.js'

// Big enough that the analysis takes a good fraction of a second in release.
const big = ndjson(600, 2_880, 7)

test.serial('the event loop keeps turning while analyze() runs', async (t) => {
  const during = await maxLoopDelayDuring(() => analyze(big))
  t.log(`analyze: ${during.workMs.toFixed(0)} ms of work, max event-loop delay ${during.delayMs.toFixed(1)} ms`)
  t.true(during.workMs > 100, 'the workload is too small to show anything')
  t.true(during.delayMs < during.workMs / 4, `loop delay ${during.delayMs} ms vs ${during.workMs} ms of work`)
})

test.serial('the measurement would catch a blocked loop: analyzeNative() blocks it for the whole job', async (t) => {
  const blocked = await maxLoopDelayDuring(() => analyzeNative(big))
  t.log(`analyzeNative: ${blocked.workMs.toFixed(0)} ms, max event-loop delay ${blocked.delayMs.toFixed(1)} ms`)
  t.true(blocked.delayMs >= blocked.workMs * 0.8)
})

test('an already aborted signal rejects at once with an AbortError', async (t) => {
  const ac = new AbortController()
  ac.abort()
  const e: any = await t.throwsAsync(() => analyze(big, { signal: ac.signal }))
  t.is(e.name, 'AbortError')
  t.is(e.code, 'ABORT_ERR')
})

test.serial('aborting mid-run stops the work early', async (t) => {
  const full = analyzeNative(big).stats.timings.totalMs
  const { error: e, elapsedMs: elapsed } = await abortMidRun((signal) => analyze(big, { signal }), full)
  t.log(`full run ${full.toFixed(0)} ms, aborted after ${elapsed.toFixed(0)} ms`)
  t.is(e?.code, 'ABORT_ERR')
  t.true(elapsed < full * 0.8, `abort took ${elapsed} ms of a ${full} ms job`)
})

test('a signal that is never aborted changes nothing', async (t) => {
  const small = ndjson(3, 100, 3)
  const r = await analyze(small, { signal: new AbortController().signal })
  t.deepEqual(r.trend, analyzeNative(small).trend)
})

test('many concurrent analyze() calls all settle', async (t) => {
  const small = ndjson(5, 200, 11)
  const want = analyzeNative(small)
  const got = await Promise.all(Array.from({ length: 50 }, () => analyze(small)))
  for (const r of got) t.deepEqual(r.summary, want.summary)
})

// A large result reaches JS a chunk per event-loop turn (the loader, index.js: settle),
// scheduled with setImmediate. Counting those calls shows the spread; no timing involved.
function countDeliveryTurns(onTurn: (n: number) => void = () => {}) {
  const original = globalThis.setImmediate
  let turns = 0
  globalThis.setImmediate = ((fn: (...args: any[]) => void, ...args: any[]) => {
    if (fn.name === 'concludeDeliverChunk') onTurn(++turns)
    return original(fn, ...args)
  }) as typeof setImmediate
  return { turns: () => turns, restore: () => void (globalThis.setImmediate = original) }
}

const many = ndjson(3_000, 40, 11)

test.serial('a large result is delivered over many event-loop turns, identical to analyzeNative', async (t) => {
  const counter = countDeliveryTurns()
  let result
  try {
    result = await analyze(many, { categories: ['summary', 'trend'] })
  } finally {
    counter.restore()
  }
  t.deepEqual(result, { ...analyzeNative(many, { categories: ['summary', 'trend'] }), stats: result.stats })
  t.is(result.summary.length + result.trend.length, 6_000)
  // 24 chunks of 256 conclusions: the first at once, the other 23 in later turns
  t.is(counter.turns(), Math.ceil(6_000 / 256) - 1)
})

test.serial('a small result needs no extra turn', async (t) => {
  const counter = countDeliveryTurns()
  try {
    const r = await analyze(ndjson(3, 100, 2))
    t.is(r.summary.length, 3)
  } finally {
    counter.restore()
  }
  t.is(counter.turns(), 0)
})

test.serial('aborting while the result is being delivered rejects with an AbortError', async (t) => {
  const controller = new AbortController()
  const counter = countDeliveryTurns((n) => n === 3 && controller.abort())
  try {
    const e = await t.throwsAsync(analyze(many, { categories: ['summary'], signal: controller.signal }))
    t.is((e as any).code, 'ABORT_ERR')
  } finally {
    counter.restore()
  }
  t.is(counter.turns(), 3, 'the turn scheduled before the abort finds it and stops the delivery')
})
