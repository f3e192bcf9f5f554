// `node --import @oxc-node/core/register bench/delivery.ts [--quick] [--ns] [--entry PATH]... [--rounds N] [--workload NAME]...`:
// what handing a result to JS costs, on the two workloads with the most conclusions (fleet,
// many): `analyze`'s time (median) and the event-loop delay during it (the worst p99 and max of
// 5 runs), with `analyzeNative` alongside. Several `--entry` (package entries, e.g. another
// worktree's index.js) are measured in turns on the same data, so that an A/B on a shared
// machine sees the same load; the default is this one. `--ns`: the timestamps in epoch nanoseconds,
// so every one reaches JS as a bigint.
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { loopDelayDuring, median } from './lib/measure.js'
import { makeWorkload, NS_EPOCHS, type WorkloadName } from './lib/workloads.js'

const { values: v } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, ns: { type: 'boolean', default: false }, entry: { type: 'string', multiple: true }, rounds: { type: 'string' }, workload: { type: 'string', multiple: true } },
})
type Entry = typeof import('../index.js')
const paths = v.entry ?? [join(import.meta.dirname, '..', 'index.js')]
const entries: Array<[string, Entry]> = []
for (const p of paths) entries.push([p, (await import(pathToFileURL(resolve(p)).href)).default as Entry])
const dir = join(tmpdir(), 'conclude-bench-delivery')
const s = v.quick ? { minRuns: 3, timeMs: 200 } : { minRuns: 5, timeMs: 3_000 }
for (const name of (v.workload ?? ['fleet', 'many']) as WorkloadName[]) {
  const w = makeWorkload(name, dir, v.quick, v.ns ? { tag: 'ns', spec: NS_EPOCHS } : undefined)
  for (let round = 0; round < Number(v.rounds ?? 1); round++) {
    for (const [path, { analyze, analyzeNative }] of entries) {
      const r = analyzeNative(w.data)
      const conclusions = r.summary.length + r.anomaly.length + r.changepoint.length + r.trend.length
      const sync = await median('analyzeNative', () => analyzeNative(w.data), s)
      const async = await median('analyze', () => analyze(w.data), s)
      let worst = { p99: 0, max: 0 }
      for (let i = 0; i < 5; i++) {
        const d = await loopDelayDuring(() => analyze(w.data))
        worst = { p99: Math.max(worst.p99, d.p99), max: Math.max(worst.max, d.max) }
      }
      console.log(
        `${name}${v.ns ? ' (ns)' : ''} [${path}]: ${w.data.length} bytes, ${conclusions} conclusions; analyzeNative ${sync.ms.toFixed(1)} ms, ` +
          `analyze ${async.ms.toFixed(1)} ms; loop delay during analyze: p99 ${worst.p99.toFixed(1)} ms, max ${worst.max.toFixed(1)} ms`,
      )
    }
  }
}
