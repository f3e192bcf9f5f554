// Where spill files go (src/run/input/spill-place.ts): in memory (a tmpfs) while the spills held
// there fit the budget and the tmpfs, on disk otherwise or when the user names a folder; a
// memory spill that fills the tmpfs is made again on disk; leftovers of a killed run are swept.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { spillInput } from '../index.js'
import { estimateSpillBytes, isOutOfRoom, MEMORY_ROOT, SpillPlaces, sweepStale } from '../src/run/input/spill-place.js'
import { spillTo } from '../src/run/input/spill-plan.js'

const dir = mkdtempSync(join(tmpdir(), 'conclude-spill-place-'))

function points(name: string, format: 'ndjson' | 'csv', series: number, n: number): string {
  const lines = format === 'csv' ? ['series,ts,value'] : []
  for (let t = 0; t < n; t++) {
    for (let s = 0; s < series; s++) {
      const value = Math.round(1e4 * Math.sin(t * 0.1 + s)) / 1e3
      lines.push(format === 'csv' ? `s${s},${1_700_000_000 + 60 * t},${value}` : JSON.stringify({ series: `s${s}`, ts: 1_700_000_000 + 60 * t, value }))
    }
  }
  const path = join(dir, name)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

test('this platform has the tmpfs spills in memory use', (t) => {
  // The placement below is only meaningful with one: on Linux it is there, so this must hold.
  t.is(process.platform, 'linux')
  t.is(statfsSync(MEMORY_ROOT).type, 0x01021994)
})

test('memory while the spills held there fit the budget, disk beyond it; a release gives the memory back', (t) => {
  const places = new SpillPlaces({ memoryBytes: 1000 })
  try {
    // 700 bytes with the estimate's margin (1.25): 875 fit in 1000, a second 875 do not.
    const a = places.place('a.spill', 700)
    t.is(a.medium, 'memory')
    t.true(a.path.startsWith(join(MEMORY_ROOT, `conclude-${process.pid}-`)), a.path)
    writeFileSync(a.path, 'x'.repeat(600))
    places.written(a, 600)
    t.is(places.inMemory, 600)
    const b = places.place('b.spill', 700)
    t.is(b.medium, 'disk')
    t.true(b.path.startsWith(places.disk.path), b.path)
    places.release(a.path)
    t.false(existsSync(a.path))
    t.is(places.inMemory, 0)
    t.is(places.place('c.spill', 700).medium, 'memory')
    t.is(places.place('d.spill', Infinity).medium, 'disk')
  } finally {
    places.remove()
  }
})

test('a folder named by the user, a zero budget or no tmpfs: always disk', (t) => {
  const named = mkdtempSync(join(dir, 'named-'))
  for (const o of [{ tmpDir: named, memoryBytes: 1 << 30 }, { memoryBytes: 0 }, { memoryBytes: 1 << 30, memoryRoot: null }, { memoryBytes: 1 << 30, memoryRoot: dir }]) {
    const places = new SpillPlaces(o)
    try {
      for (const estimate of [0, 10]) t.is(places.place('x.spill', estimate).medium, 'disk', `${JSON.stringify(o)}, ${estimate} bytes`)
      const p = places.place('x.spill', 10)
      if (o.tmpDir) t.true(p.path.startsWith(named), p.path)
    } finally {
      places.remove()
    }
  }
})

test('the estimate is within a factor of the spill the engine writes, NDJSON and CSV', async (t) => {
  for (const format of ['ndjson', 'csv'] as const) {
    const input = points(`estimate.${format}`, format, 50, 400)
    const out = join(dir, `estimate-${format}.spill`)
    const r = await spillInput(input, out, { chunkBytes: 1 << 16, partitionPoints: 1000 })
    const estimate = estimateSpillBytes(input)
    t.true(estimate >= 0.8 * r.bytes && estimate <= 2 * r.bytes, `${format}: estimated ${estimate}, wrote ${r.bytes}`)
  }
  t.is(estimateSpillBytes(join(dir, 'missing')), Infinity)
})

test('a memory spill that fills the tmpfs is made again on disk, with the same result', async (t) => {
  const input = points('full.ndjson', 'ndjson', 20, 300)
  const places = new SpillPlaces({ memoryBytes: 1 << 30 })
  const tried: string[] = []
  try {
    const got = await spillTo(input, places, { chunkBytes: 1 << 16, partitionPoints: 1000 }, {}, 'full.spill', async (from, to, o, a) => {
      tried.push(to)
      if (to.startsWith(MEMORY_ROOT)) {
        writeFileSync(to, 'partial')
        throw Object.assign(new Error('writing the spill file: No space left on device (os error 28)'), { code: 'ERR_CONCLUDE_IO' })
      }
      return spillInput(from, to, o, a)
    })
    t.is(got.medium, 'disk')
    t.is(tried.length, 2)
    t.false(existsSync(tried[0]!), 'the partial memory spill is removed')
    t.is(places.inMemory, 0)
    const plain = await spillInput(input, join(dir, 'plain.spill'), { chunkBytes: 1 << 16, partitionPoints: 1000 })
    t.deepEqual(got.result, plain)
    t.deepEqual(readFileSync(got.spill), readFileSync(join(dir, 'plain.spill')))
  } finally {
    places.remove()
  }
  // Other errors are not retried.
  const again = new SpillPlaces({ memoryBytes: 1 << 30 })
  try {
    await t.throwsAsync(spillTo(join(dir, 'missing.ndjson'), again, { chunkBytes: 1 << 16, partitionPoints: 1000 }, {}), { message: /opening .*missing\.ndjson/ })
  } finally {
    again.remove()
  }
})

test('a memory spill larger than its estimate stops at what the quota has left, and is made again on disk', async (t) => {
  // One point per series and long ids: about 230 bytes a point in the spill, against the 17 the
  // estimate allows for, so the estimate fits the quota and the spill does not.
  const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ series: `${'x'.repeat(200)}-${i}`, ts: i, value: i }))
  const input = join(dir, 'long-ids.ndjson')
  writeFileSync(input, lines.join('\n') + '\n')
  const quota = Math.ceil(estimateSpillBytes(input) * 1.25 * 2)
  const places = new SpillPlaces({ memoryBytes: quota })
  try {
    const got = await spillTo(input, places, { chunkBytes: 1 << 16, partitionPoints: 100 }, {})
    t.true(got.result.bytes > quota, `${got.result.bytes} bytes of spill, quota ${quota}`)
    t.is(got.medium, 'disk')
    t.is(places.inMemory, 0)
    t.is(got.result.points, 2000)
  } finally {
    places.remove()
  }
})

test("isOutOfRoom reads the engine's I/O errors: Rust's `(os error 28)`, or a spill over its maxBytes", async (t) => {
  // A real engine I/O error, to pin the form the check relies on.
  const e = await spillInput(join(dir, 'absent.ndjson'), join(dir, 'absent.spill'), { chunkBytes: 1 << 16, partitionPoints: 1000 }).catch((x: Error) => x)
  t.regex((e as Error).message, /\(os error 2\)$/)
  t.false(isOutOfRoom(e))
  t.true(isOutOfRoom(new Error('writing the spill file: No space left on device (os error 28)')))
  // The engine's own limit, for real.
  const input = points('limit.ndjson', 'ndjson', 20, 300)
  const over = await spillInput(input, join(dir, 'limit.spill'), { chunkBytes: 1 << 16, partitionPoints: 1000, maxBytes: 1000 }).catch((x: Error) => x)
  t.regex((over as Error).message, /^writing the spill file: over its limit of 1000 bytes$/)
  t.is((over as Error & { code?: string }).code, 'ERR_CONCLUDE_IO')
  t.true(isOutOfRoom(over))
})

test("a dead run's memory folder is swept, a live one's kept", (t) => {
  const root = mkdtempSync(join(dir, 'sweep-'))
  const dead = spawnSync(process.execPath, ['-e', '']).pid
  const stale = join(root, `conclude-${dead}-abc`)
  const live = join(root, `conclude-${process.pid}-def`)
  const other = join(root, 'unrelated')
  for (const d of [stale, live, other]) {
    mkdirSync(d)
    writeFileSync(join(d, 'f'), 'x')
  }
  sweepStale(root)
  t.false(existsSync(stale))
  t.true(existsSync(live))
  t.true(existsSync(other))
})
