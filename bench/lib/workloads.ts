// The standard workloads of SPEC section 7, made by the same generator as `conclude gen`
// (fixed seeds), in memory and, for the child-process measurements, as files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { DEFAULTS, generate, PRESETS, type WorkloadSpec } from '../../src/gen/workload.js'

export type WorkloadName = 'fleet' | 'long' | 'many'

export interface Workload {
  name: WorkloadName
  spec: WorkloadSpec
  /** NDJSON bytes of the whole workload. */
  data: Buffer
  /** The same bytes on disk, for child processes. */
  file: string
  /** NDJSON of a part: the first `k` series (fleet, many) or the first `k` points (long). */
  part(k: number): Buffer
  /** Size of the dimension `part` scales: series, or points for the one-series workload. */
  full: number
  unit: 'series' | 'points'
}

function ndjson(spec: WorkloadSpec): Buffer {
  return Buffer.from([...generate(spec)].join(''))
}

/** Epoch nanoseconds instead of seconds: every ts is an integer beyond 2^53 (a bigint in JS). */
export const NS_EPOCHS: Partial<WorkloadSpec> = { startTs: DEFAULTS.startTs * 1e9, interval: DEFAULTS.interval * 1e9 }

/** `quick` shrinks every workload (CI checks the harness, not timings); `variant` changes its spec. */
export function makeWorkload(name: WorkloadName, dir: string, quick: boolean, variant?: { tag: string; spec: Partial<WorkloadSpec> }): Workload {
  const spec: WorkloadSpec = { ...DEFAULTS, ...PRESETS[name], ...variant?.spec, format: 'ndjson' }
  if (quick) {
    if (name === 'fleet') spec.series = 40
    if (name === 'long') spec.points = 50_000
    if (name === 'many') spec.series = 4_000
  }
  const data = ndjson(spec)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}${variant ? `-${variant.tag}` : ''}${quick ? '-quick' : ''}.ndjson`)
  writeFileSync(file, data)
  const bySeries = spec.series > 1
  const cache = new Map<number, Buffer>()
  return {
    name,
    spec,
    data,
    file,
    full: bySeries ? spec.series : spec.points,
    unit: bySeries ? 'series' : 'points',
    part(k) {
      const full = bySeries ? spec.series : spec.points
      if (k >= full) return data
      let b = cache.get(k)
      if (!b) cache.set(k, (b = ndjson(bySeries ? { ...spec, series: k } : { ...spec, points: k })))
      return b
    },
  }
}

export function describe(w: Workload): string {
  return `${w.spec.series.toLocaleString('en-US')} x ${w.spec.points.toLocaleString('en-US')}`
}
