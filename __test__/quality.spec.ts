// The quality benchmark's ground truth and matching rules (issue 12): the generator's variants
// inject what the truth says (and nothing changes for the existing workloads), and the
// matching of bench/lib/quality.ts counts what docs/quality.md says it counts.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'
import fc from 'fast-check'

import type { AnalysisResult } from '../index.js'
import { DEFAULTS, generate, PRESETS, QUALITY_PRESETS, type SeriesTruth, type WorkloadSpec } from '../src/gen/workload.js'
import { assess, matchSame, matchWithin, pointOf, scores, trendCounts } from '../bench/lib/quality.js'
import { labelledWorkload, parseNpy } from '../bench/lib/labelled.js'
import { OPTION_SETS } from '../bench/lib/quality-options.js'
import { assessRun, qualityTable, qualityWorkload } from '../bench/sections/quality.js'

function run(overrides: Partial<WorkloadSpec>): { text: string; truth: SeriesTruth[]; spec: WorkloadSpec } {
  const spec = { ...DEFAULTS, ...overrides }
  const truth: SeriesTruth[] = []
  return { text: [...generate(spec, truth)].join(''), truth, spec }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

/** Values of a one-series NDJSON/CSV stream, null where missing. */
function values(text: string): (number | null)[] {
  return text
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { value: number | null }).value)
}

// Hashes taken from the generator before the variants existed (commit e54d468).
test('the existing presets and the default output are the same bytes as before the variants', (t) => {
  const legacy = (truth: SeriesTruth[]) => sha(JSON.stringify(truth.map((s) => ({ series: s.series, spikes: s.spikes, shifts: s.shifts, trend: s.trend, missing: s.missing }))))
  const cases: [Partial<WorkloadSpec>, string, string][] = [
    [{}, '098a067adff7140e8968b634c12c68233d52fb30f3bf41183e5dd59e5202bbcb', '31749767da93d6f6e425dd872c2d9840829d798ee2494040354ecafe0bf4c011'],
    [{ format: 'csv' }, 'eaeb5df90c88acc53687542e71cd54a24a129d835535d3e157a63840665857f3', '31749767da93d6f6e425dd872c2d9840829d798ee2494040354ecafe0bf4c011'],
    [{ ...PRESETS.fleet, series: 200 }, 'cfd5621246fc40369b41e5c40f3b31f6c554114e42d312f0bfd8cbc461edca50', 'd6fa8303e5714b4684187991c57af3a0dc9d3d04777dbf7ab6b306345e544c0a'],
    [{ ...PRESETS.many, series: 5000 }, '7f4e0cbb2255d9da50e4c19da35c765eb687f98319b10679fb3a44381a353c1f', 'b643d294c8fad6f31ba888fbb8fad2781b300d74776c9768ab7c1db9c151ee18'],
    [{ ...PRESETS.long, points: 100_000 }, '9440d7dbc678a51eb064bec1e23b13591302a52bbacd4745145247eb34a3448c', '2d65ddff359814f4ac2ac00b394fe2f1bc7350cef11ac066e126ba0b8ea4c35c'],
    [{ format: 'csv', missingRate: 0.02, seed: 12, shifts: 3, series: 50 }, 'f4b424749adc3ab5158558b2add8d0166b577c654f00c442d76f0d5464b543ae', '5cb5ae9dbcf86be68f9988d189e1dd00d66c51054546c2c6baf4ac0b39471387'],
  ]
  for (const [spec, stream, truth] of cases) {
    const r = run(spec)
    t.is(sha(r.text), stream, JSON.stringify(spec))
    t.is(legacy(r.truth), truth, JSON.stringify(spec))
  }
})

test('AR(1) noise has the asked lag-1 autocorrelation and unit marginal variance', (t) => {
  for (const phi of [0.5, 0.8]) {
    const { text } = run({ series: 1, points: 200_000, ar: phi, shifts: 0, trendShare: 0, spikeRate: 0, seed: 7 })
    const x = values(text) as number[]
    const mean = x.reduce((a, b) => a + b, 0) / x.length
    let c0 = 0
    let c1 = 0
    for (let i = 0; i < x.length; i++) {
      c0 += (x[i]! - mean) ** 2
      if (i > 0) c1 += (x[i]! - mean) * (x[i - 1]! - mean)
    }
    // Standard errors at n = 2e5: phi-hat about 0.002, the variance about 0.01 (phi 0.8).
    t.true(Math.abs(c1 / c0 - phi) < 0.01, `phi ${phi}: lag-1 autocorrelation ${c1 / c0}`)
    t.true(Math.abs(c0 / x.length - 1) < 0.05, `phi ${phi}: variance ${c0 / x.length}`)
  }
})

test('t3 noise follows the scaled Student t(3) distribution', (t) => {
  const { text } = run({ series: 1, points: 100_000, noise: 't3', shifts: 0, trendShare: 0, spikeRate: 0, seed: 8 })
  const x = values(text) as number[]
  const sorted = [...x].sort((a, b) => a - b)
  const median = sorted[sorted.length >> 1]!
  // CDF of T/sqrt(3), T ~ t(3): F(x) = 1/2 + (u/(1+u^2) + atan u)/pi with u = x (t/sqrt(3) = x).
  const cdf = (v: number) => 0.5 + (v / (1 + v * v) + Math.atan(v)) / Math.PI
  let worst = 0
  for (const q of [-3, -1.5, -0.8, -0.3, 0.3, 0.8, 1.5, 3]) {
    const below = sorted.filter((v) => v - median <= q).length / x.length
    worst = Math.max(worst, Math.abs(below - cdf(q)))
  }
  t.true(worst < 0.006, `largest CDF gap ${worst}`)
  // Heavier tails than the normal: P(|X| > 3) = 2.9 % against 0.27 %.
  const tail = x.filter((v) => Math.abs(v - median) > 3).length / x.length
  t.true(Math.abs(tail - 2 * (1 - cdf(3))) < 0.003, `tail ${tail}`)
})

test('the seasonal pattern adds exactly A sin(2 pi i / P) and draws nothing', (t) => {
  const plain = run({ series: 3, points: 600, seed: 9 })
  const seasonal = run({ series: 3, points: 600, seed: 9, seasonAmplitude: 2.5, seasonPeriod: 96 })
  const a = values(plain.text)
  const b = values(seasonal.text)
  t.is(a.length, b.length)
  let worst = 0
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(b[k]! - a[k]! - 2.5 * Math.sin((2 * Math.PI * (k % 600)) / 96)))
  t.true(worst <= 1.01e-4, `largest gap ${worst}`) // two roundings to 4 digits
  t.deepEqual(seasonal.truth, plain.truth)
})

test('spikes next to shifts sit within the distance of a step and are in the truth', (t) => {
  const { text, truth } = run({ series: 50, shifts: 2, nearShiftSpikes: 2, nearShiftDistance: 7, spikeRate: 0, seed: 10 })
  const all = values(text)
  let near = 0
  for (const [s, tr] of truth.entries()) {
    t.deepEqual(tr.spikes, [...new Set(tr.spikes)].sort((a, b) => a - b))
    for (const p of tr.spikes) {
      // The step is between at-1 and at: points at-7 .. at+6.
      t.true(tr.shifts.some((at) => p >= at - 7 && p <= at + 6), `${tr.series}: spike at ${p}, shifts ${tr.shifts}`)
      const v = all[s * 1440 + p]!
      const neighbours = [all[s * 1440 + p - 1], all[s * 1440 + p + 1]].filter((x): x is number => typeof x === 'number')
      t.true(neighbours.some((x) => Math.abs(v - x) > 6), `${tr.series}: spike at ${p} is not a spike`)
      near++
    }
  }
  // 2 distinct ones per shift (the shifts of a series are far apart).
  t.is(near, 50 * 2 * 2)
})

test('the truth gives spike and shift positions among the non-missing values too', (t) => {
  const { text, truth } = run({ series: 20, shifts: 3, missingRate: 0.05, spikeRate: 0.01, seed: 11 })
  const all = values(text)
  for (const [s, tr] of truth.entries()) {
    const row = all.slice(s * 1440, (s + 1) * 1440)
    const missingAt = row.flatMap((v, i) => (v === null ? [i] : []))
    t.deepEqual(tr.missingAt, missingAt)
    t.is(tr.missing, missingAt.length)
    const valueIndex = (p: number) => p - missingAt.filter((m) => m < p).length
    t.deepEqual(tr.valueIndex.spikes, tr.spikes.filter((p) => row[p] !== null).map(valueIndex))
    t.deepEqual(tr.valueIndex.shifts, tr.shifts.map(valueIndex))
    t.is(tr.shiftSizes.length, tr.shifts.length)
    for (const size of tr.shiftSizes) t.is(Math.abs(size), DEFAULTS.shiftSize)
    t.is(tr.trend === 'no trend', tr.slope === 0)
  }
  t.true(truth.some((tr) => tr.spikes.length > tr.valueIndex.spikes.length), 'some spike went missing')
})

test('bad variant options are refused with what and why', (t) => {
  t.throws(() => run({ ar: 1 }), { message: /ar must be in \(-1, 1\), got 1/ })
  t.throws(() => run({ noise: 'cauchy' as 'gaussian' }), { message: /noise must be gaussian or t3/ })
  t.throws(() => run({ seasonPeriod: 0 }), { message: /seasonPeriod must be > 0/ })
  t.throws(() => run({ nearShiftSpikes: 1.5 }), { message: /nearShiftSpikes/ })
})

test('precision, recall and F1 are defined for empty sets', (t) => {
  t.like(scores({ tp: 0, fp: 0, fn: 0 }), { precision: 1, recall: 1, f1: 1 })
  t.like(scores({ tp: 0, fp: 0, fn: 3 }), { precision: 1, recall: 0, f1: 0 })
  t.like(scores({ tp: 0, fp: 2, fn: 0 }), { precision: 0, recall: 1, f1: 0 })
  t.like(scores({ tp: 3, fp: 1, fn: 2 }), { precision: 0.75, recall: 0.6, f1: 6 / 9 })
})

test('level shifts: within the tolerance, one to one, the most matches, then the least distance', (t) => {
  t.like(matchWithin([105], [100], 5), { tp: 1, fp: 0, fn: 0 })
  t.like(matchWithin([106], [100], 5), { tp: 0, fp: 1, fn: 1 })
  // Two detections near one shift: one matches, one is false.
  t.like(matchWithin([99, 101], [100], 5), { tp: 1, fp: 1, fn: 0 })
  // One detection between two shifts matches only one of them.
  t.like(matchWithin([100], [97, 103], 5), { tp: 1, fp: 0, fn: 1 })
  // Greedy by distance would pair 5 with 8 (3) and leave 0 and 12 apart; the optimum pairs both.
  t.deepEqual(matchWithin([5, 12], [0, 8], 5).pairs, [[0, 0], [1, 1]])
  // Among equally many matches, the nearer detection wins.
  t.deepEqual(matchWithin([7, 9], [10], 5).pairs, [[1, 0]])
  // Unsorted input: pairs name the original positions.
  t.deepEqual(matchWithin([300, 100], [101, 299], 5).pairs, [[1, 0], [0, 1]])
  t.like(matchWithin([], [], 5), { tp: 0, fp: 0, fn: 0 })
})

/** Every one-to-one matching within the tolerance, by brute force: [pairs, least distance]. */
function bruteForce(d: number[], tr: number[], tol: number): [number, number] {
  let best: [number, number] = [0, 0]
  const used = new Array<boolean>(tr.length).fill(false)
  const walk = (i: number, pairs: number, dist: number) => {
    if (i === d.length) {
      if (pairs > best[0] || (pairs === best[0] && dist < best[1])) best = [pairs, dist]
      return
    }
    walk(i + 1, pairs, dist)
    for (let j = 0; j < tr.length; j++) {
      const gap = Math.abs(d[i]! - tr[j]!)
      if (!used[j] && gap <= tol) {
        used[j] = true
        walk(i + 1, pairs + 1, dist + gap)
        used[j] = false
      }
    }
  }
  walk(0, 0, 0)
  return best
}

test('the level-shift matching is the optimal assignment (against brute force)', (t) => {
  const points = fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 6 })
  t.notThrows(() =>
    fc.assert(
      fc.property(points, points, fc.integer({ min: 0, max: 6 }), (d, tr, tol) => {
        const m = matchWithin(d, tr, tol)
        const dist = m.pairs.reduce((a, [i, j]) => a + Math.abs(d[i]! - tr[j]!), 0)
        const [pairs, least] = bruteForce(d, tr, tol)
        // One to one, within the tolerance, as many pairs and as little distance as the best.
        return (
          new Set(m.pairs.map((p) => p[0])).size === m.pairs.length &&
          new Set(m.pairs.map((p) => p[1])).size === m.pairs.length &&
          m.pairs.every(([i, j]) => Math.abs(d[i]! - tr[j]!) <= tol) &&
          m.tp === pairs &&
          dist === least &&
          m.fp === d.length - pairs &&
          m.fn === tr.length - pairs
        )
      }),
      { numRuns: 500, seed: 12 },
    ),
  )
})

test('anomalies: the same point only; a spike that went missing is no truth', (t) => {
  t.like(matchSame([10, 20], [10, 30]), { tp: 1, fp: 1, fn: 1 })
  t.like(matchSame([10, 10], [10]), { tp: 1, fp: 1, fn: 0 })
  const spec = { startTs: 1000, interval: 60 }
  const truth: SeriesTruth[] = [
    { series: 'a', spikes: [3, 7], shifts: [], shiftSizes: [], trend: 'no trend', slope: 0, missing: 1, missingAt: [7], valueIndex: { spikes: [3], shifts: [] } },
  ]
  const result = (anomalyTs: number[]) => ({ anomaly: anomalyTs.map((ts) => ({ series: 'a', ts })), changepoint: [], trend: [{ series: 'a', trend: 'no trend' }] }) as unknown as AnalysisResult
  t.like(assess(spec, truth, result([1000 + 3 * 60])).anomaly, { tp: 1, fp: 0, fn: 0 })
  t.like(assess(spec, truth, result([1000 + 4 * 60])).anomaly, { tp: 0, fp: 1, fn: 1 })
  // Near a shift: the anomaly scores on points within 30 of a step only.
  const stepped: SeriesTruth[] = [{ ...truth[0]!, spikes: [100, 140, 500], missingAt: [], missing: 0, shifts: [120] }]
  const q = assess(spec, stepped, result([100, 118, 500, 700].map((p) => 1000 + p * 60)))
  t.like(q.anomaly, { tp: 2, fp: 2, fn: 1 })
  t.like(q.anomalyNearShift, { tp: 1, fp: 1, fn: 1 }) // 100 found, 118 false, 140 missed
  t.is(q.examples, undefined)
  const shown = assess(spec, stepped, { ...result([100, 118, 500, 700].map((p) => 1000 + p * 60)), changepoint: [{ series: 'a', ts: 1000 + 300 * 60 }] } as unknown as AnalysisResult, 1)
  t.deepEqual(shown.examples, {
    anomalyFalse: [{ series: 'a', point: 118, fromShift: -2, trend: 'no trend' }], // the first one only
    anomalyMissed: [{ series: 'a', point: 140, fromShift: 20, trend: 'no trend' }],
    shiftFalse: [{ series: 'a', point: 300, fromShift: 180, trend: 'no trend' }],
    shiftMissed: [{ series: 'a', point: 120, fromShift: 0, trend: 'no trend' }],
    trendWrong: [],
  })
  t.throws(() => pointOf(spec, 1030, 'here'), { message: /here: ts 1030 is not on the workload's grid/ })
  t.throws(() => assess(spec, truth, { anomaly: [{ series: 'b', ts: 1000 }], changepoint: [], trend: [] } as unknown as AnalysisResult), { message: /series 'b'/ })
})

test('trend: a wrong direction is a false positive and a miss; the confusion matrix counts labels', (t) => {
  t.deepEqual(trendCounts('increasing', 'increasing'), { tp: 1, fp: 0, fn: 0 })
  t.deepEqual(trendCounts('no trend', 'no trend'), { tp: 0, fp: 0, fn: 0 })
  t.deepEqual(trendCounts('increasing', 'no trend'), { tp: 0, fp: 1, fn: 0 })
  t.deepEqual(trendCounts('no trend', 'decreasing'), { tp: 0, fp: 0, fn: 1 })
  t.deepEqual(trendCounts('increasing', 'decreasing'), { tp: 0, fp: 1, fn: 1 })
  const spec = { startTs: 0, interval: 1 }
  const truth = (['increasing', 'decreasing', 'no trend', 'no trend'] as const).map(
    (trend, i): SeriesTruth => ({ series: `s${i}`, spikes: [], shifts: [], shiftSizes: [], trend, slope: 0, missing: 0, missingAt: [], valueIndex: { spikes: [], shifts: [] } }),
  )
  const labels = ['increasing', 'increasing', 'decreasing', 'no trend']
  const q = assess(spec, truth, { anomaly: [], changepoint: [], trend: labels.map((trend, i) => ({ series: `s${i}`, trend })) } as unknown as AnalysisResult)
  t.is(q.trend.agreement, 0.5)
  t.deepEqual(q.trend.confusion, [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 1],
  ])
  t.like(q.trend, { tp: 1, fp: 2, fn: 1 })
})

/** The conclusions the truth says a perfect analysis would draw. */
function perfect(spec: WorkloadSpec, truth: SeriesTruth[]): AnalysisResult {
  const ts = (p: number) => spec.startTs + p * spec.interval
  return {
    anomaly: truth.flatMap((tr) => tr.spikes.filter((p) => !tr.missingAt.includes(p)).map((p) => ({ series: tr.series, ts: ts(p) }))),
    changepoint: truth.flatMap((tr) => tr.shifts.map((p) => ({ series: tr.series, ts: ts(p + 2) }))),
    trend: truth.map((tr) => ({ series: tr.series, trend: tr.trend })),
  } as unknown as AnalysisResult
}

test('a perfect analysis scores 1 everywhere on every quality workload, and a false detection costs precision', (t) => {
  for (const name of QUALITY_PRESETS) {
    const w = qualityWorkload(name, { series: 20 }, null)
    const best = perfect(w.spec, w.truth)
    const q = assess(w.spec, w.truth, best)
    t.like(q, { anomaly: { precision: 1, recall: 1 }, levelShift: { precision: 1, recall: 1 }, trend: { precision: 1, recall: 1, agreement: 1 } }, name)
    t.true(q.anomaly.tp > 0 && q.levelShift.tp > 0 && q.trend.tp > 0, name)
    const extra = { ...best, changepoint: [...best.changepoint, { ...best.changepoint[0]!, ts: Number(best.changepoint[0]!.ts) + 6 * w.spec.interval }] }
    const worse = assess(w.spec, w.truth, extra)
    t.is(worse.levelShift.fp, 1, name)
    t.is(worse.levelShift.recall, 1, name)
  }
})

test('the engine is scored on a quality workload with every option set', (t) => {
  const w = qualityWorkload('quality-missing', { series: 15 }, null)
  const rows = OPTION_SETS.map((set) => assessRun(w, set))
  for (const r of rows) {
    t.is(r.series, 15)
    t.is(r.quality.levelShift.tp + r.quality.levelShift.fn, 45) // 3 shifts a series
    for (const s of [r.quality.anomaly, r.quality.levelShift, r.quality.trend]) for (const x of [s.precision, s.recall, s.f1]) t.true(x >= 0 && x <= 1)
  }
  const text = qualityTable(rows)
  for (const set of OPTION_SETS) t.true(text.includes(`| quality-missing | ${set.name} |`))
})

/** A .npy file (format 1.0) of float64 rows, as numpy writes it. */
function npy(rows: number[][], descr = '<f8'): Buffer {
  const cols = rows[0]?.length ?? 0
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows.length}, ${cols}), }`
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n'
  const head = Buffer.alloc(10)
  head.write('\x93NUMPY', 0, 'latin1')
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(header.length, 8)
  const data = Buffer.alloc(rows.length * cols * 8)
  rows.flat().forEach((v, i) => data.writeDoubleLE(v, i * 8))
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data])
}

test('labelled data: .npy arrays are read exactly, and anything else is refused with what is wrong', (t) => {
  const rows = [
    [1.5, -2],
    [0.1, 1e300],
    [3, 4],
  ]
  t.deepEqual(parseNpy(npy(rows), 'x.npy'), rows)
  t.throws(() => parseNpy(npy(rows, '<f4'), 'x.npy'), { message: /x.npy: not a float64 .npy array: descr is not '<f8'/ })
  t.throws(() => parseNpy(npy(rows).subarray(0, 100), 'x.npy'), { message: /data bytes for shape/ })
  t.throws(() => parseNpy(Buffer.from('{"not":"npy"}'), 'y.npy'), { message: /y.npy: .*no NUMPY magic/ })
})

test('labelled data: the series are analysed and only their change points are scored', (t) => {
  // One clear step at 60 in a noiseless series: the engine finds it, within the tolerance.
  const values = Array.from({ length: 120 }, (_, i) => (i < 60 ? 10 : 20) + ((i * 7919) % 13) / 100)
  const w = labelledWorkload('toy', [{ id: 'toy-a', values, labels: [60] }])
  const row = assessRun({ ...w, categories: ['levelShift'] }, { name: 'default', options: {} })
  t.deepEqual(row.categories, ['levelShift'])
  t.like(row.quality.levelShift, { tp: 1, fn: 0 })
  const moved = labelledWorkload('toy', [{ id: 'toy-a', values, labels: [70] }])
  t.like(assessRun(moved, { name: 'default', options: {} }).quality.levelShift, { tp: 0, fn: 1 })
  t.regex(qualityTable([row]), /\| toy \| default \| – \| – \| 1\.00 \/ 1\.00 \/ 1\.00 \| – \| – \| 1 \/ 0 \/ 0 \|/)
})

test('a cached quality workload is the generated one, under a key of its spec', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conclude-quality-'))
  try {
    const fresh = qualityWorkload('quality-ar05', { series: 4 }, null)
    const first = qualityWorkload('quality-ar05', { series: 4 }, dir)
    const again = qualityWorkload('quality-ar05', { series: 4 }, dir)
    t.is(readdirSync(dir).length, 2) // bytes and truth, no temporary file left
    for (const w of [first, again]) {
      t.true(w.data.equals(fresh.data))
      t.deepEqual(w.truth, fresh.truth)
    }
    qualityWorkload('quality-ar05', { series: 5 }, dir)
    t.is(readdirSync(dir).length, 4)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
