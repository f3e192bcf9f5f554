// The quality table in seconds, for trying options against ground truth:
//   node --import @oxc-node/core/register bench/quality.ts --workload quality-ar05 --options '{"changepoint":{"penalty":20}}'
// Same workloads, matching and table as the `quality` section of `npm run bench`.
import { parseArgs } from 'node:util'

import type { AnalyzeOptions } from '../index.js'
import { OPTION_SETS, optionSet, type OptionSet } from './lib/quality-options.js'
import { assessRun, confusionTable, examplesText, labelledWorkloads, QUALITY_WORKLOADS, qualityTable, qualityWorkload, type QualityRow, type QualityWorkload } from './sections/quality.js'

const { values: v } = parseArgs({
  options: {
    workload: { type: 'string' },
    options: { type: 'string' },
    set: { type: 'string' },
    series: { type: 'string' },
    seed: { type: 'string' },
    shifts: { type: 'string' },
    confusion: { type: 'boolean', default: false },
    examples: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (v.help) {
  console.log(`Usage: node --import @oxc-node/core/register bench/quality.ts [options]

  --workload A,B   quality workloads (default all): ${QUALITY_WORKLOADS.join(', ')},
                   and cpdbench (labelled public data, change points only; fetched once)
  --options JSON   analyse with these AnalyzeOptions (one row per workload, named 'options')
  --set A,B|all    ... or with these option sets of bench/lib/quality-options.ts
                   (${OPTION_SETS.map((s) => s.name).join(', ')}); default: 'default'
                   (--options and --set together: the sets, then the options)
  --series N       series per workload instead of the preset's (300; fleet 1,000)
  --seed S         another seed for the workloads
  --shifts N       level shifts per series instead of the preset's (0: none, to see a trend
                   test on autocorrelation alone)
  --confusion      also print the trend confusion matrix of each row
  --examples K     also print the first K false and missed conclusions of each kind per row
                   (series, point, distance to the nearest shift, injected trend)
  --json           print the rows as JSON instead of tables`)
  process.exit(0)
}

function fail(message: string): never {
  console.error(`bench/quality.ts: ${message}`)
  process.exit(2)
}

const ALL = [...QUALITY_WORKLOADS, 'cpdbench']
const names = v.workload ? v.workload.split(',') : ALL
for (const n of names) if (!ALL.includes(n)) fail(`--workload: no workload '${n}'; there are ${ALL.join(', ')}`)
const sets: Pick<OptionSet, 'name' | 'options'>[] = []
try {
  if (v.set) sets.push(...(v.set === 'all' ? OPTION_SETS : v.set.split(',').map(optionSet)))
} catch (e) {
  fail(`--set: ${(e as Error).message}`)
}
if (v.options !== undefined) {
  let options: AnalyzeOptions
  try {
    options = JSON.parse(v.options) as AnalyzeOptions
  } catch (e) {
    fail(`--options is not JSON: ${(e as Error).message}`)
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('--options must be a JSON object (AnalyzeOptions)')
  sets.push({ name: 'options', options })
}
if (!sets.length) sets.push(optionSet('default'))
const overrides: { series?: number; seed?: number; shifts?: number } = {}
if (v.series !== undefined) {
  overrides.series = Number(v.series)
  if (!Number.isInteger(overrides.series) || overrides.series < 1) fail(`--series must be an integer >= 1, got '${v.series}'`)
}
if (v.seed !== undefined) {
  overrides.seed = Number(v.seed)
  if (!Number.isInteger(overrides.seed) || overrides.seed < 0 || overrides.seed >= 2 ** 32) fail(`--seed must be an integer in 0..2^32-1, got '${v.seed}'`)
}

if (v.shifts !== undefined) {
  overrides.shifts = Number(v.shifts)
  if (!Number.isInteger(overrides.shifts) || overrides.shifts < 0 || overrides.shifts > 100) fail(`--shifts must be an integer in 0..100, got '${v.shifts}'`)
}

const examples = v.examples === undefined ? 0 : Number(v.examples)
if (!Number.isInteger(examples) || examples < 0) fail(`--examples must be an integer >= 0, got '${v.examples}'`)

const rows: QualityRow[] = []
for (const name of names) {
  let w: QualityWorkload
  if (name === 'cpdbench') {
    const labelled = labelledWorkloads()
    if (typeof labelled === 'string') {
      if (v.workload) fail(labelled)
      console.error(`labelled public data skipped: ${labelled}`)
      continue
    }
    w = labelled[0]!
  } else {
    w = qualityWorkload(name, overrides)
  }
  for (const set of sets) {
    try {
      rows.push(assessRun(w, set, examples))
    } catch (e) {
      const err = e as Error & { code?: string }
      fail(`${name} with ${set.name} ${JSON.stringify(set.options)}: ${err.code ? `${err.code}: ` : ''}${err.message}`)
    }
  }
}
if (v.json) {
  console.log(JSON.stringify(rows, null, 1))
} else {
  console.log(qualityTable(rows))
  if (v.confusion) for (const r of rows) console.log(`\n${r.workload}, ${r.set}: trend labels\n\n${confusionTable(r)}`)
  if (examples > 0) for (const r of rows) console.log(`\n${r.workload}, ${r.set}:\n${examplesText(r)}`)
}
