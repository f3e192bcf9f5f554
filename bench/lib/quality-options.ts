// The option sets the quality benchmark runs every workload with: one place to add a method
// or a setting to compare (`npm run bench` and `bench/quality.ts --set NAME` read this table).
import type { AnalyzeOptions } from '../../index.js'

export interface OptionSet {
  name: string
  /** What the row shows, for the table's notes. */
  why: string
  options: AnalyzeOptions
}

export const OPTION_SETS: OptionSet[] = [
  { name: 'default', why: 'the engine defaults, no options passed', options: {} },
  {
    name: 'reference',
    why: 'the exact reference modes written out (plain Hampel k 30 / 4, PELT l2 minSize 2 jump 1 cleaned with the l2 default penalty, Mann-Kendall original test alpha 0.05): the defaults before issue 12',
    options: {
      anomaly: { method: 'hampel', halfWindow: 30, threshold: 4 },
      changepoint: { method: 'l2', minSize: 2, jump: 1, clean: true },
      trend: { method: 'original', alpha: 0.05 },
    },
  },
  { name: 'penalty-60', why: 'PELT with a fixed penalty of 60 (about 3x the default at unit noise, n = 1,440)', options: { changepoint: { penalty: 60 } } },
  { name: 'threshold-5', why: 'Hampel threshold 5 robust sigmas', options: { anomaly: { threshold: 5 } } },
  { name: 'alpha-0.01', why: 'Mann-Kendall at alpha 0.01', options: { trend: { alpha: 0.01 } } },
  // pymannkendall's modified tests on the whole series (the other categories at their defaults).
  { name: 'trend-hamedRao', why: "trend: pymannkendall's hamed_rao_modification_test, all lags", options: { trend: { method: 'hamedRao' } } },
  { name: 'trend-hamedRao-lag3', why: 'trend: Hamed-Rao with lags 1..3', options: { trend: { method: 'hamedRao', lag: 3 } } },
  { name: 'trend-yueWang', why: "trend: pymannkendall's yue_wang_modification_test, all lags", options: { trend: { method: 'yueWang' } } },
  { name: 'trend-yueWang-lag1', why: 'trend: Yue-Wang with lag 1', options: { trend: { method: 'yueWang', lag: 1 } } },
  { name: 'trend-preWhitening', why: "trend: pymannkendall's pre_whitening_modification_test", options: { trend: { method: 'preWhitening' } } },
  {
    name: 'trend-trendFreePreWhitening',
    why: "trend: pymannkendall's trend_free_pre_whitening_modification_test",
    options: { trend: { method: 'trendFreePreWhitening' } },
  },
]

export function optionSet(name: string): OptionSet {
  const set = OPTION_SETS.find((s) => s.name === name)
  if (!set) throw new RangeError(`no option set '${name}'; there are ${OPTION_SETS.map((s) => s.name).join(', ')}`)
  return set
}
