// trend.method's modified Mann-Kendall tests (pymannkendall's hamed_rao_, yue_wang_,
// pre_whitening_, trend_free_pre_whitening_modification_test) through the API and the CLI
// flags. Their numbers are checked against pymannkendall in the golden cases
// (trend_hamed_rao, ...; golden.spec.ts); this checks the options reach them.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { analyzeNative, type TrendOptions } from '../index.js'
import { analysisOptions, UsageError } from '../src/commands/args.js'

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js')
const METHODS = ['original', 'hamedRao', 'yueWang', 'preWhitening', 'trendFreePreWhitening'] as const

/** An AR(1) series (phi 0.6) with a slight trend, as NDJSON: deterministic (an LCG). */
function ar1Ndjson(n: number): string {
  let state = 12345
  const uniform = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  let prev = 0
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    prev = 0.6 * prev + (uniform() + uniform() + uniform() - 1.5)
    lines.push(JSON.stringify({ series: 'ar', ts: 1_700_000_000 + 60 * i, value: Math.round((0.002 * i + prev) * 1000) / 1000 }))
  }
  return lines.join('\n') + '\n'
}

const input = Buffer.from(ar1Ndjson(400))
const trendOf = (trend: TrendOptions) => analyzeNative(input, { categories: ['trend'], trend }).trend[0]!

test('every whole-series method says its name, keeps Sen\'s line and tests the same S or a prewhitened one', (t) => {
  const original = trendOf({ method: 'original' })
  for (const method of METHODS) {
    const got = trendOf({ method })
    t.is(got.method, method)
    t.is(got.levelShiftExplained, undefined, method)
    t.deepEqual([got.slope, got.intercept, got.n], [original.slope, original.intercept, original.n], method)
    if (method === 'hamedRao' || method === 'yueWang') {
      t.is(got.s, original.s, method)
      t.not(got.varS, original.varS, method)
    } else if (method !== 'original') {
      t.not(got.s, original.s, method)
      t.is(got.tau, got.s / ((399 * 398) / 2), `${method}: tau over the n - 1 prewhitened values`)
    }
  }
})

test('trend.lag reaches the test: 0 is the original variance, 1 differs from all lags', (t) => {
  const original = trendOf({ method: 'original' })
  for (const method of ['hamedRao', 'yueWang'] as const) {
    t.is(trendOf({ method, lag: 0 }).varS, original.varS, method)
    // Positive lag-1 autocorrelation: fewer effective samples, a larger variance.
    const lag1 = trendOf({ method, lag: 1 })
    t.true(lag1.varS > original.varS, `${method}: varS ${lag1.varS} <= ${original.varS}`)
    t.not(lag1.varS, trendOf({ method }).varS, method)
    t.deepEqual(trendOf({ method, lag: undefined }), trendOf({ method }), method)
  }
})

test('--trend-method takes every method and --trend-lag a lag for hamedRao or yueWang only', (t) => {
  for (const method of ['withinSegments', ...METHODS] as const) {
    t.is(analysisOptions({ 'trend-method': method }).trend?.method, method)
  }
  t.deepEqual(analysisOptions({ 'trend-method': 'yueWang', 'trend-lag': '1' }).trend, { method: 'yueWang', alpha: undefined, lag: 1 })
  const usage = (v: Record<string, string>) => t.throws(() => analysisOptions(v), { instanceOf: UsageError })
  t.regex(usage({ 'trend-method': 'sen' }).message, /--trend-method must be one of withinSegments, original, hamedRao, yueWang, preWhitening, trendFreePreWhitening, got 'sen'/)
  t.regex(usage({ 'trend-lag': '3' }).message, /--trend-lag applies to --trend-method hamedRao or yueWang only, got the default \(withinSegments\)/)
  t.regex(usage({ 'trend-method': 'preWhitening', 'trend-lag': '3' }).message, /got preWhitening/)
  t.regex(usage({ 'trend-method': 'hamedRao', 'trend-lag': '1001' }).message, /--trend-lag must be an integer in 0\.\.1000, got '1001'/)
  t.regex(usage({ 'trend-method': 'hamedRao', 'trend-lag': '2.5' }).message, /--trend-lag/)
})

test('conclude analyze --trend-method hamedRao --trend-lag 3 prints what analyzeNative gives', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conclude-trend-methods-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'ar.ndjson')
  writeFileSync(path, input)
  const printed = JSON.parse(
    execFileSync(process.execPath, [CLI, 'analyze', path, '--categories', 'trend', '--trend-method', 'hamedRao', '--trend-lag', '3']).toString(),
  )
  t.deepEqual(printed.trend, [trendOf({ method: 'hamedRao', lag: 3 })])
  t.is(printed.trend[0].method, 'hamedRao')
})
