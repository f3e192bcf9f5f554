// The JS library peers (bench/peers/js-libs.ts) agree with the TypeScript
// baseline where their definitions match, and differ where they do not.
import test from 'ava'

import { anomalySeries, sensSlope, summarySeries } from '../bench/baseline/index.js'
import { hampelPeer, senSlopePeer, summaryPeer } from '../bench/peers/js-libs.js'
import { close, RULES } from './helpers/golden.js'

/** A reproducible noisy series with a level shift and spikes. */
function series(n: number, seed: number): number[] {
  let s = seed
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648)
  return Array.from({ length: n }, (_, i) => Math.round((50 + (i > n / 2 ? 8 : 0) + 3 * (r() + r() + r() - 1.5) + (i % 97 === 13 ? 40 : 0)) * 100) / 100)
}

const ts = (n: number) => Array.from({ length: n }, (_, i) => 1_732_600_000 + 60 * i)

test('simple-statistics: count, min, max, mean and population std agree with the baseline; quantiles to the last bit', (t) => {
  for (const n of [1, 2, 7, 100, 1440]) {
    const v = series(n, n)
    const [peer, base] = [summaryPeer('s', ts(n), v), summarySeries('s', ts(n), v)]
    for (const key of ['count', 'missing', 'min', 'max', 'firstTs', 'lastTs'] as const) t.is(peer[key], base[key], `n=${n} ${key}`)
    for (const key of ['mean', 'std'] as const) t.true(close(peer[key], base[key], RULES.summary![key]!), `n=${n} ${key}: ${peer[key]} vs ${base[key]}`)
    // Same 'linear' definition, interpolated without numpy's upper-half formula: within an ulp or two.
    for (const key of ['p50', 'p90', 'p95', 'p99'] as const) {
      t.true(Math.abs(peer[key]! - base[key]!) <= 4 * Number.EPSILON * Math.abs(base[key]!), `n=${n} ${key}: ${peer[key]} vs ${base[key]}`)
    }
  }
})

test('simple-statistics Hampel: the same anomalies as the baseline', (t) => {
  let found = 0
  for (const n of [40, 500, 1440]) {
    const v = series(n, 7 * n)
    const opts = { halfWindow: 30, threshold: 4 }
    const [peer, base] = [hampelPeer('s', ts(n), v, opts), anomalySeries('s', ts(n), v, opts)]
    t.deepEqual(peer.map((a) => a.index), base.map((a) => a.index), `n=${n}`)
    for (let i = 0; i < base.length; i++) {
      // Even windows (at the edges): a + (b - a) / 2 against (a + b) / 2, at most an ulp apart.
      t.true(Math.abs(peer[i]!.median - base[i]!.median) <= 2 * Number.EPSILON * Math.abs(base[i]!.median))
    }
    found += base.length
  }
  t.true(found > 5, 'the series must have anomalies')
})

test('ml-regression-theil-sen: the slope of pymannkendall when the number of pairs is odd; the lower middle when even', (t) => {
  for (const n of [3, 7, 30, 143, 302]) {
    // n mod 4 in {2, 3}: n(n-1)/2 is odd, one middle slope.
    const v = series(n, 3 * n)
    t.is(senSlopePeer(v)!.slope, sensSlope(v).slope, `n=${n}`)
  }
  // n = 4: slopes 1, 1, 4/3, 3/2, 3/2, 2; numpy averages the middle two, the library takes the lower.
  const v = [0, 1, 3, 4]
  t.is(sensSlope(v).slope, (4 / 3 + 3 / 2) / 2)
  t.is(senSlopePeer(v)!.slope, 4 / 3)
  // Its intercept is median(y - slope * x), not pymannkendall's median(y) - median(x) * slope.
  // y = [0, 10, 1]: slope 0.5 for both; 1 - 1 * 0.5 = 0.5 against median(0, 9.5, 0) = 0.
  const w = [0, 10, 1]
  t.is(senSlopePeer(w)!.slope, sensSlope(w).slope)
  t.is(sensSlope(w).intercept, 0.5)
  t.is(senSlopePeer(w)!.intercept, 0)
})
