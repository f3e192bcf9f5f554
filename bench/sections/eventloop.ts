// Event-loop delay (perf_hooks, 1 ms resolution) while the engine works: `analyze` keeps the
// loop turning, `analyzeNative` blocks it for the whole job (the contrast the suite shows).
import { analyze, analyzeNative } from '../../index.js'
import { loopDelayDuring, type LoopDelay } from '../lib/measure.js'
import type { Workload } from '../lib/workloads.js'

export interface LoopRow extends LoopDelay {
  workload: string
  call: 'analyze' | 'analyzeNative'
  jobMs: number
}

export async function eventLoop(w: Workload, repeats: number): Promise<LoopRow[]> {
  const rows: LoopRow[] = []
  for (const call of ['analyze', 'analyzeNative'] as const) {
    // the worst p99 of `repeats` runs, so one lucky run cannot flatter the figure
    let worst: LoopRow | undefined
    for (let i = 0; i < repeats; i++) {
      const d = await loopDelayDuring(async () => (call === 'analyze' ? analyze(w.data) : analyzeNative(w.data)))
      if (!worst || d.p99 > worst.p99) worst = { workload: w.name, call, ...d }
    }
    rows.push(worst!)
  }
  return rows
}
