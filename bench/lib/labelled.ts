// Labelled public data for the quality section: the only labelled change-point series found
// in a package registry reachable here are the two that cpdbench 1.0.0 (PyPI, BSD-2-Clause)
// ships inside its wheel as examples, `apple.npy` (622 x 2, column 0 used as cpdbench does)
// and `bitcoin.npy` (774 x 1), each with one change-point label in
// cpdbench/examples/ExampleDatasets.py (337 and 569). The wheel is fetched with pip (pinned by
// hash, no dependencies) into .cache/labelled once; only the .npy files are read.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

import type { SeriesTruth, WorkloadSpec } from '../../src/gen/workload.js'
import { DEFAULTS } from '../../src/gen/workload.js'

const ROOT = join(import.meta.dirname, '..', '..')
/** Downloads the wheel (pinned by hash, scripts/fixtures/labelled-requirements.txt) and extracts the arrays. */
const FETCH = join(ROOT, 'scripts', 'fixtures', 'fetch_labelled.py')

/** The labelled series: file in the wheel, column, and cpdbench's labels (index of the first point after the change). */
export const CPDBENCH_SERIES = [
  { id: 'cpdbench-apple', member: 'cpdbench/examples/data/apple.npy', column: 0, labels: [337] },
  { id: 'cpdbench-bitcoin', member: 'cpdbench/examples/data/bitcoin.npy', column: 0, labels: [569] },
] as const

/** A C-ordered little-endian float64 .npy array (format 1.0 to 3.0), as rows of columns. */
export function parseNpy(buf: Buffer, where: string): number[][] {
  const bad = (why: string): never => {
    throw new RangeError(`${where}: not a float64 .npy array: ${why}`)
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') bad('no NUMPY magic')
  const major = buf[6]!
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const header = buf.toString('latin1', start, start + headerLen)
  if (!/'descr':\s*'<f8'/.test(header)) bad(`descr is not '<f8' in ${header.trim()}`)
  if (/'fortran_order':\s*True/.test(header)) bad('Fortran order')
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]
  if (shape === undefined) bad('no shape')
  const dims = shape!.split(',').map((s) => s.trim()).filter(Boolean).map(Number)
  if (dims.length < 1 || dims.length > 2 || dims.some((d) => !Number.isInteger(d) || d < 0)) bad(`shape (${shape})`)
  const [rows, cols = 1] = dims as [number, number?]
  const data = start + headerLen
  if (buf.length !== data + rows * cols * 8) bad(`${buf.length - data} data bytes for shape (${shape})`)
  const out: number[][] = []
  for (let r = 0; r < rows; r++) {
    const row: number[] = []
    for (let c = 0; c < cols; c++) row.push(buf.readDoubleLE(data + (r * cols + c) * 8))
    out.push(row)
  }
  return out
}

export interface LabelledWorkload {
  name: string
  spec: WorkloadSpec
  data: Buffer
  truth: SeriesTruth[]
}

/** NDJSON and truth of labelled series: point i at ts i; only level shifts are labelled. */
export function labelledWorkload(name: string, series: { id: string; values: number[]; labels: readonly number[] }[]): LabelledWorkload {
  const spec: WorkloadSpec = { ...DEFAULTS, series: series.length, points: Math.max(0, ...series.map((s) => s.values.length)), startTs: 0, interval: 1, seed: 0, prefix: name }
  let text = ''
  const truth: SeriesTruth[] = []
  for (const s of series) {
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`${name}: ${s.id} value ${i} is ${v}`)
      text += `{"series":${JSON.stringify(s.id)},"ts":${i},"value":${v}}\n`
    })
    truth.push({ series: s.id, spikes: [], shifts: [...s.labels], shiftSizes: s.labels.map(() => NaN), trend: 'no trend', slope: NaN, missing: 0, missingAt: [], valueIndex: { spikes: [], shifts: [...s.labels] } })
  }
  return { name, spec, data: Buffer.from(text), truth }
}

/**
 * cpdbench's two labelled series, fetched once into .cache/labelled with the Python found by
 * `python`; a sentence saying why when they cannot be had (no Python, no network, ...).
 */
export function cpdbenchWorkload(python: string, cache = join(ROOT, '.cache', 'labelled')): LabelledWorkload | string {
  const dir = join(cache, 'cpdbench-1.0.0')
  const files = CPDBENCH_SERIES.map((s) => join(dir, s.member))
  try {
    if (!files.every((f) => existsSync(f))) {
      execFileSync(python, [FETCH, cache, dir, ...CPDBENCH_SERIES.map((s) => s.member)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 })
    }
  } catch (e) {
    const err = e as Error & { stderr?: Buffer }
    const why = (err.stderr?.toString().trim().split('\n').pop() ?? '') || err.message
    return `cpdbench 1.0.0 could not be fetched with ${python} ${relative(ROOT, FETCH)}: ${why}`
  }
  return labelledWorkload(
    'cpdbench',
    CPDBENCH_SERIES.map((s, k) => ({ id: s.id, labels: s.labels, values: parseNpy(readFileSync(files[k]!), s.member).map((row) => row[s.column]!) })),
  )
}
