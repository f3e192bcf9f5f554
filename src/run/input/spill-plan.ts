// Input planning of `conclude run`: each input is partitioned by series into a
// spill file under the run's temporary directory (natively, on the engine's
// pool, in bounded memory: see crate/engine/src/spill.rs), then cut into units
// of whole partitions. A unit is a spill file and byte ranges of it: the worker
// reads them itself, no unit bytes go through IPC.
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'

import { spillInput, type AnalyzeOptions, type SpillResult } from '../../../index.js'
import type { Budget } from './budget.js'
import { estimateSpillBytes, isOutOfRoom, type SpillMedium, type SpillPlaces } from './spill-place.js'
import type { TempDir } from './temp-dir.js'

/** A unit: whole partitions of one input's spill file. */
export interface SpilledUnit {
  id: string
  file: string
  spill: string
  /** `[start, end]` byte ranges of `spill`, back to back, in input order. */
  pieces: Float64Array
  points: number
}

export interface SpilledInput {
  file: string
  /** Unit id prefix: the input as given, with a suffix when it is given twice. */
  label: string
  spill: string
  result: SpillResult
}

/** Writes `stream` to a file under `tmp` (stdin cannot be read twice, nor by another process). */
export async function stage(stream: Readable, tmp: TempDir, name: string, signal?: AbortSignal): Promise<string> {
  const path = tmp.file(name)
  await pipeline(stream, createWriteStream(path, { flags: 'wx' }), { signal })
  return path
}

/** How the engine is told to read stdin itself (`-`); on Windows stdin is staged on disk first. */
const STDIN = process.platform === 'win32' ? undefined : '-'

/**
 * Partitions one input (`-`: stdin, read by the engine as it comes, its spill on disk since its
 * size is unknown) into a spill file (see `spillTo`). Rejects with the engine's coded error (parse
 * errors carry `line`, `column`); `signal` stops it between chunks, and while stdin sends nothing.
 */
export async function spill(
  input: string,
  index: number,
  places: SpillPlaces,
  b: Budget,
  analysis: AnalyzeOptions,
  signal?: AbortSignal,
): Promise<{ spill: string; medium: SpillMedium; result: SpillResult }> {
  const name = `${index}.spill`
  const o = { ...analysis, signal }
  if (input !== '-') return spillTo(input, places, b, o, name)
  if (STDIN) return spillTo(STDIN, places, b, o, name, spillInput, Infinity)
  const staged = await stage(process.stdin, places.disk, `stdin-${index}`, signal)
  try {
    return await spillTo(staged, places, b, o, name)
  } finally {
    await rm(staged, { force: true })
  }
}

/**
 * Partitions the input file at `path` into the spill file `name`, in memory when it fits
 * (./spill-place.ts). A memory spill whose estimate fell short (it passed what the quota had
 * left, or the tmpfs filled up) is made again on disk. `partition` is the engine's partitioner
 * (another only in tests); `estimate`, the spill's size (Infinity: unknown, so on disk).
 */
export async function spillTo(
  path: string,
  places: SpillPlaces,
  b: Pick<Budget, 'chunkBytes' | 'partitionPoints'>,
  analysis: AnalyzeOptions,
  name = 'input.spill',
  partition: typeof spillInput = spillInput,
  estimate = estimateSpillBytes(path),
): Promise<{ spill: string; medium: SpillMedium; result: SpillResult }> {
  const options = { chunkBytes: b.chunkBytes, partitionPoints: b.partitionPoints }
  let place = places.place(name, estimate)
  let result: SpillResult
  try {
    result = await partition(path, place.path, { ...options, maxBytes: place.maxBytes }, analysis)
  } catch (e) {
    places.release(place.path)
    if (place.medium === 'disk' || !isOutOfRoom(e)) throw e
    place = places.onDisk(name)
    result = await partition(path, place.path, options, analysis)
  }
  places.written(place, result.bytes)
  return { spill: place.path, medium: place.medium, result }
}

/** `[from, to)` partition ranges of one unit each: gathered up to the target, never past the most a unit may hold. */
export function unitRanges(r: SpillResult, b: Budget): Array<{ from: number; to: number; points: number }> {
  const ranges: Array<{ from: number; to: number; points: number }> = []
  let from = 0
  let points = 0
  for (let p = 0; p < r.partitions; p++) {
    const n = r.partitionPoints[p]!
    if (points > 0 && points + n > b.unitMaxPoints) {
      ranges.push({ from, to: p, points })
      from = p
      points = 0
    }
    points += n
    if (points >= b.unitPoints) {
      ranges.push({ from, to: p + 1, points })
      from = p + 1
      points = 0
    }
  }
  if (points > 0) ranges.push({ from, to: r.partitions, points })
  return ranges
}

/** The byte ranges of partitions `[from, to)`: one per chunk that has any. */
export function pieces(r: SpillResult, from: number, to: number): Float64Array {
  const stride = r.partitions + 1
  const out: number[] = []
  for (let c = 0; c < r.chunks; c++) {
    const start = r.offsets[c * stride + from]!
    const end = r.offsets[c * stride + to]!
    if (end > start) out.push(start, end)
  }
  return Float64Array.from(out)
}

/** The units of a spilled input, named `<label>#<k>`. */
export function unitsOf(s: SpilledInput, b: Budget): SpilledUnit[] {
  return unitRanges(s.result, b).map(({ from, to, points }, k) => ({
    id: `${s.label}#${k}`,
    file: s.file,
    spill: s.spill,
    pieces: pieces(s.result, from, to),
    points,
  }))
}
