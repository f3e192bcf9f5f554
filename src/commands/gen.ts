// `conclude gen`: deterministic synthetic workloads with known anomalies,
// level shifts and trends.
import { createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

import { DEFAULTS, generate, PRESETS, type SeriesTruth, type WorkloadSpec } from '../gen/workload.js'
import { int, num, oneOf, UsageError } from './args.js'

export const HELP = `Usage: conclude gen [options]

Writes a seeded synthetic workload (the same seed gives the same bytes).

  --preset NAME              fleet|long|many: the benchmark workloads (1,000 x 1,440;
                             1 x 1,000,000; 100,000 x 32); quality-iid|quality-ar05|quality-ar08|
                             quality-seasonal|quality-t3|quality-missing|quality-spikes-near-shifts:
                             the quality workloads (300 x 1,440, one variant each)
  --series N --points N      shape (default 10 x 1,440)
  --seed S                   seed (default 1)
  --format ndjson|csv        output format (default ndjson)
  --missing-rate R           share of missing values (default 0)
  --spike-rate R             share of injected spikes (default 0.0035)
  --shifts N                 level shifts per series (default 1)
  --noise gaussian|t3        noise innovations: normal, or Student t with 3 dof scaled to unit
                             variance (default gaussian)
  --ar PHI                   AR(1) noise with coefficient PHI in (-1, 1), unit marginal variance
                             (innovations of std sqrt(1 - PHI^2)); default 0, white noise
  --season-amplitude A       add A * sin(2 pi i / period) (in noise sigmas; default 0, none)
  --season-period P          its period in points (default 1,440)
  --interval S               seconds between points (default 60)
  --spikes-near-shifts N     extra spikes per level shift, next to the step (default 0)
  --near-shift-distance D    ... at most D points from it (default 10)
  --out FILE                 write here instead of stdout
  --files K                  with --out: spread the series over K files FILE.0 .. FILE.K-1
  --truth FILE               also write what was injected, as JSON: { spec, series: [{ series,
                             spikes, shifts, shiftSizes, trend, slope, missing, missingAt,
                             valueIndex: { spikes, shifts } }] }; indexes count points, missing
                             ones included, except valueIndex's, which count non-missing values
                             as a conclusion's index does

Only the options above that are not at their defaults change the stream: the presets
and the default output stay the same bytes as before they existed.
`

async function writeAll(chunks: Iterable<string>, out: WriteStream | NodeJS.WriteStream): Promise<void> {
  for (const chunk of chunks) {
    if (!out.write(chunk)) await once(out, 'drain')
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string' },
      series: { type: 'string' },
      points: { type: 'string' },
      seed: { type: 'string' },
      format: { type: 'string' },
      'missing-rate': { type: 'string' },
      'spike-rate': { type: 'string' },
      shifts: { type: 'string' },
      noise: { type: 'string' },
      ar: { type: 'string' },
      'season-amplitude': { type: 'string' },
      'season-period': { type: 'string' },
      interval: { type: 'string' },
      'spikes-near-shifts': { type: 'string' },
      'near-shift-distance': { type: 'string' },
      out: { type: 'string' },
      files: { type: 'string' },
      truth: { type: 'string' },
    },
  })
  const preset = oneOf('preset', v.preset, Object.keys(PRESETS))
  const spec: WorkloadSpec = { ...DEFAULTS, ...(preset ? PRESETS[preset] : {}) }
  const set = <K extends keyof WorkloadSpec>(k: K, value: WorkloadSpec[K] | undefined) => {
    if (value !== undefined) spec[k] = value
  }
  set('series', int('series', v.series, 1))
  set('points', int('points', v.points, 1))
  set('seed', int('seed', v.seed, 0, 2 ** 32 - 1))
  set('format', oneOf('format', v.format, ['ndjson', 'csv'] as const))
  set('missingRate', num('missing-rate', v['missing-rate']))
  set('spikeRate', num('spike-rate', v['spike-rate']))
  set('shifts', int('shifts', v.shifts, 0))
  set('noise', oneOf('noise', v.noise, ['gaussian', 't3'] as const))
  const ar = num('ar', v.ar)
  if (ar !== undefined && !(ar > -1 && ar < 1)) throw new UsageError(`--ar must be in (-1, 1), got '${v.ar}'`)
  set('ar', ar)
  set('seasonAmplitude', num('season-amplitude', v['season-amplitude']))
  const period = num('season-period', v['season-period'])
  if (period !== undefined && !(period > 0)) throw new UsageError(`--season-period must be > 0, got '${v['season-period']}'`)
  set('seasonPeriod', period)
  set('interval', int('interval', v.interval, 1))
  set('nearShiftSpikes', int('spikes-near-shifts', v['spikes-near-shifts'], 0))
  set('nearShiftDistance', int('near-shift-distance', v['near-shift-distance'], 1))
  const files = int('files', v.files, 1) ?? 1
  if (files > 1 && !v.out) throw new UsageError('--files needs --out')
  const truth: SeriesTruth[] = []
  if (!v.out) {
    await writeAll(generate(spec, truth), process.stdout)
  } else {
    // Series are dealt to files in contiguous blocks, each file with its own seed offset.
    const per = Math.ceil(spec.series / files)
    for (let f = 0; f < files; f++) {
      const count = Math.min(per, spec.series - f * per)
      if (count <= 0) break
      const path = files > 1 ? `${v.out}.${f}` : v.out
      const out = createWriteStream(path)
      await writeAll(generate({ ...spec, series: count, seed: spec.seed + f, prefix: `${spec.prefix}${files > 1 ? `-f${f}` : ''}` }, truth), out)
      out.end()
      await once(out, 'finish')
    }
  }
  if (v.truth) await writeFile(v.truth, JSON.stringify({ spec, series: truth }, null, 1))
  return 0
}
