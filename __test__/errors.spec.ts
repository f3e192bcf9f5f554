// Bad input never crashes the process: coded errors, or counted bad lines under 'skip'.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { analyze, analyzeNative, analyzeSpill, analyzeToMessages, analyzeToMessagesNative, spillInput } from '../index.js'

const good = '{"series":"a","ts":1,"value":1}\n{"series":"a","ts":2,"value":2}\n'

function codeOf(fn: () => unknown): { code?: string; message: string; line?: number; column?: number } {
  try {
    fn()
  } catch (e: any) {
    return e
  }
  throw new Error('expected an error')
}

test('truncated JSON names the line and column', (t) => {
  const e = codeOf(() => analyzeNative(Buffer.from(good + '{"series":"a","ts":3,"val')))
  t.is(e.code, 'ERR_CONCLUDE_PARSE')
  t.is(e.line, 3)
  t.is(typeof e.column, 'number')
  t.regex(e.message, /line 3/)
})

test('a non-numeric value is a parse error naming the field', (t) => {
  const e = codeOf(() => analyzeNative(Buffer.from(good + '{"series":"a","ts":3,"value":"abc"}\n')))
  t.is(e.code, 'ERR_CONCLUDE_PARSE')
  t.is(e.line, 3)
  t.regex(e.message, /value/)
})

test('a CSV header without a required column names it', (t) => {
  const e = codeOf(() => analyzeNative(Buffer.from('series,value\na,1\n')))
  t.is(e.code, 'ERR_CONCLUDE_PARSE')
  t.is(e.line, 1)
  t.regex(e.message, /ts/)
})

test('invalid UTF-8 is a parse error', (t) => {
  const bad = Buffer.concat([Buffer.from('{"series":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","ts":1,"value":1}\n')])
  const e = codeOf(() => analyzeNative(bad))
  t.is(e.code, 'ERR_CONCLUDE_PARSE')
  t.is(e.line, 1)
})

test('an empty buffer is an empty result', (t) => {
  const r = analyzeNative(Buffer.alloc(0))
  t.deepEqual([r.summary, r.anomaly, r.changepoint, r.trend], [[], [], [], []])
  t.is(r.stats.points, 0)
})

test('a non-Buffer argument is a TypeError with ERR_INVALID_ARG_TYPE', async (t) => {
  for (const bad of ['text', 42, null, undefined, {}, [1, 2]]) {
    const e = codeOf(() => analyzeNative(bad as any))
    t.is(e.code, 'ERR_INVALID_ARG_TYPE', String(bad))
    t.true(e instanceof TypeError || (e as any).name === 'TypeError')
    // The async twin rejects (never throws synchronously).
    const rejected = await t.throwsAsync(() => analyze(bad as any))
    t.is((rejected as any).code, 'ERR_INVALID_ARG_TYPE')
  }
})

test('a Uint8Array is accepted like a Buffer', (t) => {
  const r = analyzeNative(new TextEncoder().encode(good))
  t.is(r.stats.points, 2)
})

test("under onBadLine 'skip' bad lines are counted and the rest analysed", (t) => {
  const input = good + '{"series":"a","ts":3,"value":"abc"}\n{"series":"a","ts":4,"value":4}\nnot json\n'
  const r = analyzeNative(Buffer.from(input), { onBadLine: 'skip' })
  t.is(r.stats.badLines, 2)
  t.deepEqual(r.stats.badLineNumbers, [3, 5])
  t.is(r.stats.points, 3)
  t.is(r.summary[0]!.count, 3)
})

test('invalid options are ERR_CONCLUDE_OPTIONS naming the option', (t) => {
  const cases: Array<[any, RegExp]> = [
    [{ format: 'xml' }, /format/],
    [{ onBadLine: 'ignore' }, /onBadLine/],
    [{ categories: ['summary', 'forecast'] }, /forecast/],
    [{ categories: [] }, /categories/],
    [{ anomaly: { halfWindow: 2.5 } }, /anomaly\.halfWindow/],
    [{ anomaly: { threshold: -1 } }, /anomaly\.threshold/],
    [{ changepoint: { minSize: 0 } }, /changepoint\.minSize/],
    [{ changepoint: { jump: 0 } }, /changepoint\.jump/],
    [{ changepoint: { penalty: Number.NaN } }, /changepoint\.penalty/],
    [{ trend: { alpha: 1.5 } }, /trend\.alpha/],
    [{ anomaly: { method: 'mad' } }, /anomaly\.method must be one of segmentedHampel, hampel, got "mad"/],
    [{ changepoint: { method: 'clinear' } }, /changepoint\.method must be one of levelShift, l2/],
    [{ trend: { method: 'sen' } }, /trend\.method must be one of withinSegments, original, hamedRao, yueWang, preWhitening, trendFreePreWhitening, got "sen"/],
    [{ threads: 0 }, /threads/],
    [{ format: 5 }, /format/],
    [{ trend: { method: 'hamedRao', lag: 1001 } }, /trend\.lag must be an integer in 0\.\.=1000/],
    [{ trend: { method: 'yueWang', lag: 1.5 } }, /trend\.lag/],
    [{ trend: { method: 'preWhitening', lag: 1 } }, /trend\.lag applies to trend\.method 'hamedRao' or 'yueWang' only/],
    [{ trend: { lag: 3 } }, /trend\.lag applies to trend\.method 'hamedRao' or 'yueWang' only, not "withinSegments"/],
  ]
  for (const [options, pattern] of cases) {
    const e = codeOf(() => analyzeNative(Buffer.from(good), options))
    t.is(e.code, 'ERR_CONCLUDE_OPTIONS', JSON.stringify(options))
    t.regex(e.message, pattern)
  }
})

test('misspelled option keys are rejected, naming the key with its path and the closest valid one', (t) => {
  const cases: Array<[any, string]> = [
    [{ anomaly: { halfwindow: 3 } }, 'unknown option "anomaly.halfwindow": did you mean "anomaly.halfWindow"?'],
    [{ formatt: 'csv' }, 'unknown option "formatt": did you mean "format"?'],
    [{ changepoint: { minsize: 3 } }, 'unknown option "changepoint.minsize": did you mean "changepoint.minSize"?'],
  ]
  for (const [options, start] of cases) {
    const e = codeOf(() => analyzeNative(Buffer.from(good), options))
    t.is(e.code, 'ERR_CONCLUDE_OPTIONS', JSON.stringify(options))
    t.true(e.message.startsWith(start), e.message)
  }
  // Absent values are the defaults, as before.
  t.is(analyzeNative(Buffer.from(good), { format: undefined, anomaly: { threshold: undefined } }).stats.points, 2)
})

test('options of the wrong JS type say what was expected, naming the option', async (t) => {
  const cases: Array<[any, string]> = [
    [{ threads: 'x' }, 'threads must be an integer in 1..=1024, got a string ("x")'],
    ['csv', 'options must be an object, got a string ("csv")'],
    [42, 'options must be an object, got 42'],
    [{ anomaly: 3 }, 'anomaly must be an object, got 3'],
    [{ changepoint: { clean: 'no' } }, 'changepoint.clean must be a boolean, got a string ("no")'],
    [{ signal: 'x' }, 'signal must be an AbortSignal, got a string ("x")'],
  ]
  for (const [options, message] of cases) {
    const e = codeOf(() => analyzeNative(Buffer.from(good), options))
    t.deepEqual([e.code, e.message], ['ERR_CONCLUDE_OPTIONS', message])
    const rejected: any = await t.throwsAsync(() => analyze(Buffer.from(good), options))
    t.deepEqual([rejected.code, rejected.message], ['ERR_CONCLUDE_OPTIONS', message])
  }
})

test('spillInput, analyzeSpill and analyzeToMessages check their own options with ERR_CONCLUDE_OPTIONS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conclude-errors-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const input = join(dir, 'in.ndjson')
  writeFileSync(input, good)
  const cases: Array<[unknown, string]> = [
    [undefined, 'chunkBytes is required: a positive integer (bytes)'],
    ['x', 'spill options must be an object, got a string ("x")'],
    [{ chunkBytes: 4096 }, 'partitionPoints is required: a positive integer (points per partition)'],
    [{ chunkBytes: 0, partitionPoints: 1 }, 'chunkBytes must be an integer in 1..=1099511627776, got 0'],
    [{ chunkBytes: 4096, partitionpoints: 1 }, 'unknown option "partitionpoints": did you mean "partitionPoints"? (the options are chunkBytes, partitionPoints, maxBytes)'],
    [{ chunkBytes: 4096, partitionPoints: 1, maxBytes: 0 }, 'maxBytes must be an integer in 1..=1125899906842624, got 0'],
  ]
  for (const [sizes, message] of cases) {
    const e: any = await t.throwsAsync(() => spillInput(input, join(dir, 'never.spill'), sizes as any))
    t.deepEqual([e.code, e.message], ['ERR_CONCLUDE_OPTIONS', message])
  }
  const spill = join(dir, 'ok.spill')
  const r = await spillInput(input, spill, { chunkBytes: 4096, partitionPoints: 10 })
  t.is(r.points, 2)
  const pieces = new Float64Array([r.offsets[0]!, r.offsets[r.partitions]!])
  const rejected0: any = await t.throwsAsync(() => analyzeSpill(spill, pieces, { batch: 1 } as any))
  t.deepEqual([rejected0.code, rejected0.message], ['ERR_CONCLUDE_OPTIONS', 'batch must be a string, got 1'])
  t.is((await analyzeSpill(spill, pieces, { batch: 'b' })).counts[0], 1)
  const e = codeOf(() => analyzeToMessagesNative(Buffer.from(good), {} as any))
  t.deepEqual([e.code, e.message], ['ERR_CONCLUDE_OPTIONS', 'batch is required: a string naming the batch in every message'])
  const rejected: any = await t.throwsAsync(() => analyzeToMessages(Buffer.from(good), { batch: 7 } as any))
  t.deepEqual([rejected.code, rejected.message], ['ERR_CONCLUDE_OPTIONS', 'batch must be a string, got 7'])
})
