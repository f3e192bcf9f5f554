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
]

export function optionSet(name: string): OptionSet {
  const set = OPTION_SETS.find((s) => s.name === name)
  if (!set) throw new RangeError(`no option set '${name}'; there are ${OPTION_SETS.map((s) => s.name).join(', ')}`)
  return set
}
