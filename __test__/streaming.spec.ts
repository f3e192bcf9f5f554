// Streaming input: `conclude run` partitions each input by series into spill
// files in bounded memory; the conclusions are the same set analyzeNative gives
// for each whole input (interleaved series, CSV and NDJSON, several files,
// stdin), bad lines are named and counted by the input's own line numbers, and
// the temporary files go away on success, failure, SIGINT and SIGTERM.
// `analyzeStream` gives the same set from a Readable.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'

import test from 'ava'

import { analyzeNative } from '../index.js'
import { CATEGORIES } from '../src/conclusions.js'
import { analyzeStream } from '../src/stream.js'
import { MEMORY_ROOT } from '../src/run/input/spill-place.js'
import { CLI, cli as runCli, type Ran } from './helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'conclude-streaming-'))

/**
 * Time-major points (every series at each timestamp, as real exports are),
 * some timestamps out of order and repeated, missing values, a level shift.
 */
function interleaved(format: 'ndjson' | 'csv', series: number, points: number, seed: number): string {
  let x = seed
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648)
  const lines: string[] = format === 'csv' ? ['series,ts,value'] : []
  for (let t = 0; t < points; t++) {
    for (let s = 0; s < series; s++) {
      const ts = s % 3 === 1 ? points - t : s % 3 === 2 ? Math.floor(t / 3) : t
      const v = rand() < 0.02 ? null : (t > points / 2 ? 10 : 0) + s + rand() + (rand() < 0.01 ? 50 : 0)
      const id = `host-${s}${'x'.repeat(s % 4)}`
      lines.push(format === 'csv' ? `${id},${ts},${v ?? ''}` : JSON.stringify({ series: id, ts, value: v }))
    }
  }
  return lines.join('\n') + '\n'
}

function write(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** The conclusions analyzeNative gives for one whole input, as sorted `category|json` strings. */
function expected(input: Buffer | string, options: object = {}): string[] {
  const r = analyzeNative(Buffer.from(input), options) as any
  return CATEGORIES.flatMap((c) => r[c].map((x: object) => `${c}|${JSON.stringify(x)}`)).sort()
}

/** The file sink's conclusions of one batch-id prefix (an input), as sorted `category|json` strings. */
function published(out: string, input: string): string[] {
  return CATEGORIES.flatMap((c) =>
    readFileSync(join(out, `${c}.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((v) => v.batch.startsWith(`${input}#`))
      .map(({ category, batch, version, ...fields }) => `${category}|${JSON.stringify(fields)}`),
  ).sort()
}

function cli(args: string[], deadlineMs: number, stdin?: string, onSpawn?: (pid: number) => void): Promise<Ran> {
  return runCli(args, deadlineMs, { reportDir: dir, stdin, onSpawn })
}

function freshDir(name: string): string {
  const path = join(dir, name)
  mkdirSync(path, { recursive: true })
  return path
}

test('interleaved series in NDJSON and CSV files and on stdin: the same set of conclusions as analyzeNative of each whole input', async (t) => {
  const ndjson = interleaved('ndjson', 9, 400, 1)
  const csv = interleaved('csv', 7, 500, 2)
  const files = [write('mixed.ndjson', ndjson), write('mixed.csv', csv)]
  const out = freshDir('mixed-out')
  const tmp = freshDir('mixed-tmp')
  // 256k of memory: 4 KiB chunks, many partitions and units, so series cross every boundary.
  const ran = await cli(['run', ...files, '-', '--workers', '2', '--sink', 'file', '--out', out, '--memory', '256k', '--tmp-dir', tmp, '--unit-points', '600'], 120_000, ndjson)
  t.is(ran.code, 0, ran.stderr)
  t.true(ran.report.ok)
  t.deepEqual(published(out, files[0]!), expected(ndjson))
  t.deepEqual(published(out, files[1]!), expected(csv))
  t.deepEqual(published(out, 'stdin'), expected(ndjson))
  t.deepEqual(
    ran.report.files.map((f: any) => [f.points, f.series]),
    [ndjson, csv, ndjson].map((x) => [analyzeNative(Buffer.from(x)).stats.points, analyzeNative(Buffer.from(x)).stats.series]),
  )
  t.true(ran.report.units.total > 6, `${ran.report.units.total} units`)
  t.deepEqual(readdirSync(tmp), [], 'the run removed its temporary directory')
})

test('by default a spill that fits the --memory budget is in memory (a tmpfs) and gone after the run; a killed run\'s leftovers there are swept', async (t) => {
  const ndjson = interleaved('ndjson', 9, 400, 6)
  const file = write('memory.ndjson', ndjson)
  // What a primary killed with SIGKILL leaves: a folder of a pid that is gone.
  const dead = spawnSync(process.execPath, ['-e', '']).pid
  const stale = join(MEMORY_ROOT, `conclude-${dead}-stale`)
  mkdirSync(stale, { recursive: true })
  writeFileSync(join(stale, '0.spill'), 'x')
  const out = freshDir('memory-out')
  const ran = await cli(['run', file, '--workers', '1', '--sink', 'file', '--out', out], 60_000)
  t.is(ran.code, 0, ran.stderr)
  t.deepEqual(ran.report.files.map((f: any) => f.spill), ['memory'])
  t.deepEqual(published(out, file), expected(ndjson))
  t.deepEqual(readdirSync(MEMORY_ROOT).filter((n) => n.startsWith(`conclude-${ran.report.primaryPid}-`)), [], 'the run removed its memory folder')
  t.false(existsSync(stale), 'the dead run\'s folder was swept')

  // A budget with no room beside the processes: on disk.
  const small = await cli(['run', file, '--workers', '1', '--sink', 'file', '--out', freshDir('memory-out-small'), '--memory', '256k'], 60_000)
  t.is(small.code, 0, small.stderr)
  t.deepEqual(small.report.files.map((f: any) => f.spill), ['disk'])
})

test('a named pipe as an input (as <(zcat x.gz) gives): read once, by the engine, as it comes', async (t) => {
  const ndjson = interleaved('ndjson', 7, 300, 10)
  const fifo = join(dir, 'input.fifo')
  execFileSync('mkfifo', [fifo])
  const out = freshDir('fifo-out')
  const running = cli(['run', fifo, '--workers', '2', '--sink', 'file', '--out', out], 60_000)
  // Opening a pipe for writing waits for its reader: the run's engine.
  const writer = createWriteStream(fifo)
  let writeError: Error | undefined
  writer.on('error', (e) => (writeError = e))
  writer.end(ndjson)
  const ran = await running
  t.is(writeError, undefined, 'the run closed the pipe before reading all of it')
  t.is(ran.code, 0, ran.stderr)
  t.deepEqual(published(out, fifo), expected(ndjson))
  t.is(ran.report.files[0].points, analyzeNative(Buffer.from(ndjson)).stats.points)
  t.deepEqual(ran.report.files.map((f: any) => f.spill), ['disk'])
})

test('the workers start while the first input is partitioned, as many as its units will need', async (t) => {
  const ndjson = interleaved('ndjson', 40, 2500, 8)
  const file = write('early.ndjson', ndjson)
  const ran = await cli(['run', file, '--workers', '2', '--sink', 'file', '--out', freshDir('early-out'), '--unit-points', '20000'], 60_000)
  t.is(ran.code, 0, ran.stderr)
  const [input] = ran.report.files
  t.is(ran.report.workers.length, 2)
  for (const w of ran.report.workers) t.true(w.startedMs < input.partitionedMs, `worker started at ${w.startedMs} ms, the input partitioned at ${input.partitionedMs} ms`)
  // One unit's worth of points: one worker, however many are asked for.
  const one = await cli(['run', write('early-one.ndjson', interleaved('ndjson', 4, 100, 9)), '--workers', '3', '--sink', 'file', '--out', freshDir('early-one-out')], 60_000)
  t.is(one.code, 0, one.stderr)
  t.is(one.report.workers.length, 1)
})

test("each input's spill file is removed once its units are settled, while later inputs are still read", async (t) => {
  const ndjson = interleaved('ndjson', 6, 400, 7)
  const file = write('settled.ndjson', ndjson)
  const out = freshDir('settled-out')
  const tmp = freshDir('settled-tmp')
  const report = join(dir, 'settled-report.json')
  // stdin is the second input, left open until the first one's spill is gone.
  const child = spawn(process.execPath, [CLI, 'run', file, '-', '--workers', '1', '--sink', 'file', '--out', out, '--tmp-dir', tmp, '--report', report, '--no-progress'], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const runDir = () => readdirSync(tmp).map((d) => join(tmp, d))[0]
  const contents = () => (runDir() ? readdirSync(runDir()!).sort() : [])
  let sawSpill = false
  let sawStaged = false
  let gone = false
  for (const until = Date.now() + 30_000; Date.now() < until && !gone; await new Promise((r) => setTimeout(r, 20))) {
    const names = contents()
    if (names.includes('0.spill')) sawSpill = true
    // stdin is partitioned as it comes: never copied whole to a file first.
    if (names.some((n) => n.startsWith('stdin'))) sawStaged = true
    // The first input's summaries are out and its spill removed; stdin's is being written.
    gone = sawSpill && !names.includes('0.spill') && names.includes('1.spill') && existsSync(join(out, 'summary.ndjson'))
  }
  child.stdin.end(ndjson)
  const [code] = (await Promise.race([once(child, 'close'), new Promise((r) => setTimeout(() => r([null]), 30_000))])) as [number | null]
  child.kill('SIGKILL')
  t.true(sawSpill, `the first spill file was seen; ${stderr}`)
  t.true(gone, `removed while stdin was still open: ${contents().join(', ')}; ${stderr}`)
  t.false(sawStaged, 'stdin was staged on disk')
  t.is(code, 0, stderr)
  t.deepEqual(published(out, file), expected(ndjson))
  t.deepEqual(published(out, 'stdin'), expected(ndjson))
  t.deepEqual(readdirSync(tmp), [])
  t.true(JSON.parse(readFileSync(report, 'utf8')).ok)
})

test('bad lines: skipped and counted with the input own line numbers; under fail the file is named with its line and column', async (t) => {
  const lines = interleaved('ndjson', 5, 300, 3).split('\n')
  for (const at of [7, 700, 1203, 1499]) lines[at] = '{"series":"host-1","ts":12,"value":"oops"}'
  const text = lines.join('\n')
  const file = write('bad.ndjson', text)
  const tmp = freshDir('bad-tmp')
  const want = analyzeNative(Buffer.from(text), { onBadLine: 'skip' }).stats
  const skipped = await cli(['run', file, '--workers', '1', '--sink', 'file', '--out', freshDir('bad-out'), '--memory', '256k', '--tmp-dir', tmp, '--on-bad-line', 'skip'], 60_000)
  t.is(skipped.code, 0, skipped.stderr)
  t.is(skipped.report.files[0].badLines, want.badLines)
  t.deepEqual(skipped.report.files[0].badLineNumbers, want.badLineNumbers)
  t.deepEqual(skipped.report.files[0].badLineNumbers, [8, 701, 1204, 1500])

  const error = t.throws(() => analyzeNative(Buffer.from(text))) as any
  const failed = await cli(['run', file, '--workers', '1', '--sink', 'file', '--out', freshDir('bad-out2'), '--memory', '256k', '--tmp-dir', tmp], 60_000)
  t.is(failed.code, 1)
  t.true(failed.report.files[0].error.startsWith(`${file}:${error.line}:${error.column}: ERR_CONCLUDE_PARSE`), failed.report.files[0].error)
  t.deepEqual(readdirSync(tmp), [], 'removed after a failed run too')
})

test('a run that fails to deliver removes its temporary directory', async (t) => {
  const file = write('nobroker.ndjson', interleaved('ndjson', 3, 200, 4))
  const tmp = freshDir('nobroker-tmp')
  const ran = await cli(['run', file, '--workers', '1', '--brokers', '127.0.0.1:1', '--connect-timeout', '500', '--attempts', '1', '--tmp-dir', tmp], 60_000)
  t.is(ran.code, 1, ran.stderr)
  t.deepEqual(readdirSync(tmp), [])
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test.serial(`${signal} during a run: it exits as interrupted and its temporary directory is removed`, async (t) => {
    const file = write(`signal-${signal}.ndjson`, interleaved('ndjson', 40, 5000, 5))
    const tmp = freshDir(`signal-${signal}-tmp`)
    let sent = false
    const ran = await cli(
      ['run', file, '--workers', '1', '--threads', '1', '--sink', 'file', '--out', freshDir(`signal-${signal}-out`), '--tmp-dir', tmp, '--unit-points', '2000'],
      60_000,
      undefined,
      (pid) => {
        // As soon as the spill file exists: the signal lands while partitioning or analysing.
        const poll = setInterval(() => {
          const run = readdirSync(tmp)[0]
          if (!sent && run && existsSync(join(tmp, run, '0.spill'))) {
            sent = true
            clearInterval(poll)
            process.kill(pid, signal)
          }
        }, 5)
        setTimeout(() => clearInterval(poll), 30_000).unref()
      },
    )
    t.true(sent, 'the spill file appeared')
    t.is(ran.code, signal === 'SIGINT' ? 130 : 143, ran.stderr)
    t.is(ran.report.interrupted, signal)
    t.false(ran.report.ok)
    t.deepEqual(readdirSync(tmp), [], 'removed on the signal')
  })
}

test.serial('analyzeStream of a file spills to memory by default, and removes it when done or stopped', async (t) => {
  const text = interleaved('ndjson', 6, 800, 11)
  const file = write('stream-memory.ndjson', text)
  const mine = () => readdirSync(MEMORY_ROOT).filter((n) => n.startsWith(`conclude-${process.pid}-`))
  const spills = () => mine().flatMap((d) => readdirSync(join(MEMORY_ROOT, d)))
  const got: string[] = []
  let seen: string[] = []
  for await (const c of analyzeStream(file, { unitPoints: 1000 })) {
    if (got.length === 0) seen = spills()
    const { category, ...fields } = c
    got.push(`${category}|${JSON.stringify(fields)}`)
  }
  t.deepEqual(seen, ['input.spill'], 'the spill was in memory while the conclusions came')
  t.deepEqual(got.sort(), expected(text))
  t.deepEqual(mine(), [], 'removed at the end')
  for await (const c of analyzeStream(file)) {
    t.truthy(c.category)
    break
  }
  t.deepEqual(mine(), [], 'removed after break')
})

test('analyzeStream of a Readable gives the set analyzeNative gives, and removes its files, also when stopped early', async (t) => {
  const text = interleaved('csv', 6, 800, 6)
  const file = write('stream.csv', text)
  const tmp = freshDir('stream-tmp')
  const got: string[] = []
  const it = analyzeStream(createReadStream(file), { memory: 256 << 10, tmpDir: tmp, unitPoints: 1000 })
  let next = await it.next()
  for (; !next.done; next = await it.next()) {
    const { category, ...fields } = next.value
    got.push(`${category}|${JSON.stringify(fields)}`)
  }
  t.deepEqual(got.sort(), expected(text))
  t.is(next.value.points, 4800)
  t.true(next.value.units > 1)
  t.deepEqual(readdirSync(tmp), [])

  for await (const c of analyzeStream(file, { tmpDir: tmp })) {
    t.truthy(c.category)
    break
  }
  t.deepEqual(readdirSync(tmp), [], 'removed after break')
  const bad = analyzeStream(Readable.from([Buffer.from('{"series":"a","ts":1,"value":1}\n{"series":"a","ts":2,"value":"x"}\n')]), { tmpDir: tmp })
  const e = (await t.throwsAsync(bad.next())) as any
  t.is(e.code, 'ERR_CONCLUDE_PARSE')
  t.is(e.line, 2)
  t.deepEqual(readdirSync(tmp), [], 'removed after an error')
})
