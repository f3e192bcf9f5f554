// `analyzeStream`: the conclusions of an input of any size (a Readable such as
// process.stdin, any async iterable of bytes, or a file path), as an async
// generator, in bounded memory. The input is partitioned by series into a spill
// file under a temporary directory (the engine's native partitioner, as
// `conclude run` uses), then each unit of whole partitions is analysed on the
// engine's pool while the previous one's conclusions are consumed.
import type { Readable } from 'node:stream'

import { analyzeSpill, type AnalyzeOptions, type AnomalyConclusion, type ChangepointConclusion, type SummaryConclusion, type TrendConclusion } from '../index.js'
import { parseExactTs } from './exact-ts.js'
import { budget, DEFAULT_MEMORY_BYTES, memorySpillBytes } from './run/input/budget.js'
import { SpillPlaces } from './run/input/spill-place.js'
import { spillTo, stage, unitsOf } from './run/input/spill-plan.js'

export type Conclusion =
  | ({ category: 'summary' } & SummaryConclusion)
  | ({ category: 'anomaly' } & AnomalyConclusion)
  | ({ category: 'changepoint' } & ChangepointConclusion)
  | ({ category: 'trend' } & TrendConclusion)

export interface StreamOptions extends AnalyzeOptions {
  /** Memory the analysis should stay near, in bytes (default 1 GiB): sizes chunks and units. */
  memory?: number
  /**
   * Where the temporary spill files go (default: in memory, /dev/shm, when the spill fits what
   * `memory` leaves beside this process, else `os.tmpdir()`); removed when the generator ends.
   */
  tmpDir?: string
  /** Target points per unit (default 200000; at most what `memory` allows). */
  unitPoints?: number
}

/** What reading the input found: the generator's return value. */
export interface StreamReport {
  points: number
  series: number
  badLines: number
  badLineNumbers: number[]
  units: number
}

/**
 * Yields every conclusion of `input`: the same set `analyzeNative` gives for
 * the whole input, series by series (the order of series follows first
 * appearance within each partition of series, so an input that fits in one
 * unit keeps `analyzeNative`'s order). A bad line rejects with the input's own
 * `line` and `column` (or is skipped and counted, `onBadLine: 'skip'`).
 * Stopping early (`break`) or `signal` removes the temporary files too.
 */
export async function* analyzeStream(
  input: Readable | AsyncIterable<Uint8Array> | string,
  options: StreamOptions = {},
): AsyncGenerator<Conclusion, StreamReport, undefined> {
  const { memory = DEFAULT_MEMORY_BYTES, tmpDir, unitPoints = 200_000, ...analysis } = options
  if (!Number.isSafeInteger(memory) || memory < 256 << 10) {
    throw Object.assign(new RangeError(`memory must be an integer of at least 262144 bytes, got ${memory}`), { code: 'ERR_CONCLUDE_OPTIONS' })
  }
  const b = budget(memory, 1, 2, unitPoints)
  // This process and two units at once (one analysed while the other's conclusions are consumed).
  const places = new SpillPlaces({ tmpDir, memoryBytes: memorySpillBytes(memory, 1, 2, b) })
  try {
    const path = typeof input === 'string' ? input : await stage(input as Readable, places.disk, 'input', analysis.signal ?? undefined)
    // Partitions as large as units: an input that fits in one unit is one partition, in input order.
    const { spill, result } = await spillTo(path, places, { ...b, partitionPoints: b.unitPoints }, analysis)
    if (path !== input) places.disk.removeFile(path)
    const units = unitsOf({ file: 'stream', label: 'stream', spill, result }, b)
    const analyse = (k: number) => analyzeSpill(spill, units[k]!.pieces, { batch: units[k]!.id }, analysis)
    let next = units.length ? analyse(0) : undefined
    for (let k = 0; next; k++) {
      const m = await next
      // The next unit is analysed on the pool while this one's conclusions are consumed.
      next = k + 1 < units.length ? analyse(k + 1) : undefined
      next?.catch(() => {}) // handled when awaited; not an unhandled rejection if the consumer stops first
      for (let i = 0; i < m.index.length; i += 5) {
        // Exact: an integer ts beyond 2^53 (epoch ns) is a bigint, as in analyzeNative's results.
        const { batch, version, ...conclusion } = parseExactTs(m.data.toString('utf8', m.index[i + 3], m.index[i + 4]))
        yield conclusion as Conclusion
      }
    }
    return { points: result.points, series: result.series, badLines: result.badLines, badLineNumbers: result.badLineNumbers, units: units.length }
  } finally {
    places.remove()
  }
}
