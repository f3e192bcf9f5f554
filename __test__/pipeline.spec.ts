// `conclude run` against the real local broker: what the workers publish is
// exactly what analyzeNative gives, each worker through its own producer, and
// every failure is reported, never swallowed, within a deadline.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { analyzeNative } from '../index.js'
import { CATEGORIES } from '../src/conclusions.js'
import { closeProcessProducer, processProducer } from '../src/kafka/producer.js'
import { unitsToSend } from '../src/run/file/depth.js'
import { cli as runCli, type Ran } from './helpers/cli.js'
import { faultEnv } from './helpers/faults.js'
import { BROKER, createTopics, ensureBroker, readTopics, ROOT, silentServer, topicCounts, uniquePrefix } from './helpers/kafka.js'

const CLI = join(ROOT, 'dist', 'cli.js')
const dir = mkdtempSync(join(tmpdir(), 'conclude-pipeline-'))

/** Runs the CLI with an outer deadline: a hang fails the test instead of hanging it. */
function cli(
  args: string[],
  deadlineMs: number,
  onSpawn?: (pid: number) => void,
  extra: { env?: Record<string, string>; onStderr?: (stderr: string, pid: number) => void } = {},
): Promise<Ran> {
  return runCli(args, deadlineMs, { reportDir: dir, onSpawn, ...extra })
}

function gen(name: string, series: number, points: number, seed: number): string {
  const path = join(dir, name)
  const r = execFileSyncText(['gen', '--series', String(series), '--points', String(points), '--seed', String(seed), '--out', path])
  if (r !== '') throw new Error(r)
  return path
}

function execFileSyncText(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

/** The conclusions analyzeNative gives for the files, as `category|series|json-without-provenance` strings. */
function expectedConclusions(files: string[]): string[] {
  const out: string[] = []
  for (const f of files) {
    const r = analyzeNative(readFileSync(f)) as any
    for (const c of CATEGORIES) for (const x of r[c]) out.push(`${c}|${JSON.stringify(x)}`)
  }
  return out.sort()
}

function publishedConclusions(records: { value: any }[]): string[] {
  return records
    .map(({ value }) => {
      const { category, batch, version, ...fields } = value
      return `${category}|${JSON.stringify(fields)}`
    })
    .sort()
}

test.before(async () => {
  await ensureBroker()
})

test.serial('3 workers publish exactly what analyzeNative gives, each through its own producer', async (t) => {
  const files = [gen('a.ndjson', 10, 1440, 1), gen('b.ndjson', 8, 1440, 2), gen('c.ndjson', 12, 1000, 3)]
  const prefix = uniquePrefix('exact')
  const ran = await cli(
    ['run', ...files, '--workers', '3', '--brokers', BROKER, '--topic-prefix', prefix, '--unit-points', '5000'],
    120_000,
  )
  t.is(ran.code, 0, ran.stderr)
  t.true(ran.report.ok)
  t.is(ran.report.primaryProducers, 0, 'the primary must never create a producer')

  const want = expectedConclusions(files)
  const topics = CATEGORIES.map((c) => prefix + c)
  const counts = await topicCounts(BROKER, topics)
  t.is(Object.values(counts).reduce((a, b) => a + b, 0), want.length, JSON.stringify(counts))
  const records = await readTopics(BROKER, topics, want.length)
  t.deepEqual(publishedConclusions(records), want)

  // Each category on its own topic, keyed by series.
  for (const r of records) {
    t.is(r.topic, prefix + r.value.category)
    t.is(r.key, r.value.series)
    t.is(r.headers['content-type'], 'application/json')
  }
  // The producing pids are exactly the pids of the workers that delivered units, never the
  // primary's. (Which workers get units is the scheduler's business: under load one that is
  // slow to start may get none, so "all three" would be a timing assumption.)
  const pids = new Set(records.map((r) => Number(r.headers['conclude-pid'])))
  const workerPids = new Set<number>(ran.report.workers.filter((w: any) => w.units > 0).map((w: any) => w.pid))
  t.is(ran.report.workers.length, 3)
  t.is(new Set(ran.report.workers.map((w: any) => w.pid)).size, 3)
  t.deepEqual([...pids].sort(), [...workerPids].sort())
  t.false(pids.has(ran.report.primaryPid))
  const total = CATEGORIES.reduce((n, c) => n + ran.report.conclusions[c], 0)
  t.log(`${total} conclusions in ${ran.report.elapsedMs.toFixed(0)} ms: ${Math.round(ran.report.conclusionsPerSecond)}/s acknowledged with 3 workers`)
})

test('a worker is sent its next unit as soon as one of its own is analysed, up to as many again in delivery', (t) => {
  const analysing = { analysed: false }
  const delivering = { analysed: true }
  t.is(unitsToSend([], 2), 2)
  t.is(unitsToSend([analysing, analysing], 2), 0)
  // Both analysed: two more, analysed by the pool while those two are sent.
  t.is(unitsToSend([delivering, delivering], 2), 2)
  t.is(unitsToSend([delivering, analysing], 2), 1)
  t.is(unitsToSend([delivering, delivering, delivering], 2), 1)
  t.is(unitsToSend([delivering, delivering, analysing, analysing], 2), 0)
  t.is(unitsToSend([delivering, delivering, delivering, delivering], 2), 0)
  t.is(unitsToSend([delivering], 1), 1)
  t.is(unitsToSend([delivering, delivering], 1), 0)
})

test.serial('a producer prepared ahead of its first send is connected, and that send creates no other', async (t) => {
  const topic = `${uniquePrefix('prepared')}prepared`
  const producer = processProducer({ brokers: [BROKER] }, process.pid)
  try {
    await producer.prepare([topic])
    t.is(producer.created, 1, 'connected by prepare')
    await producer.send([{ topic, messages: [{ key: 'k', value: 'v' }] }])
    t.is(producer.created, 1)
    t.deepEqual(await topicCounts(BROKER, [topic]), { [topic]: 1 })
  } finally {
    await closeProcessProducer()
  }
})

test.serial('brokers never reached (a refused port, a server that never answers): run fails within the connect deadline, naming them', async (t) => {
  const file = gen('nobroker.ndjson', 4, 500, 4)
  const silent = await silentServer()
  t.teardown(silent.close)
  for (const brokers of ['127.0.0.1:1', silent.address]) {
    // Default --connect-timeout (10 s) and --attempts (5): the goal is under 15 s end to end.
    const ran = await cli(['run', file, '--workers', '2', '--brokers', brokers], 60_000)
    t.is(ran.code, 1, ran.stderr)
    t.regex(ran.stderr, new RegExp(`kafka connect to ${brokers.replace(/\./g, '\\.')} failed: .*never reached`))
    t.is(ran.report.units.delivered, 0)
    t.is(ran.report.units.undelivered.length, ran.report.units.total)
    t.is(ran.report.restarts, 0)
    t.log(`${brokers}: failed after ${ran.ms.toFixed(0)} ms`)
    t.true(ran.ms < 15_000, `took ${ran.ms} ms`)
  }
})

test.serial('a conclusion over its topic\'s max.message.bytes fails its unit at once, naming series, category, size and limit', async (t) => {
  const prefix = uniquePrefix('toolarge')
  await createTopics(BROKER, CATEGORIES.map((c) => prefix + c), { 'max.message.bytes': '1500' })
  const file = join(dir, 'long-name.ndjson')
  const name = 'n'.repeat(1_000)
  writeFileSync(file, Array.from({ length: 50 }, (_, i) => `{"series":"${name}","ts":${i},"value":${i % 7}}\n`).join(''))
  const ran = await cli(['run', file, '--brokers', BROKER, '--topic-prefix', prefix, '--workers', '1', '--send-timeout', '5000', '--unit-timeout', '20000'], 60_000)
  t.is(ran.code, 1, ran.stderr)
  const [failure] = ran.report.units.undelivered
  t.regex(failure.error, /^ERR_CONCLUDE_MESSAGE_TOO_LARGE: the (summary|anomaly|changepoint|trend) conclusion of series "n{64}"\.\.\. \(1000 characters\) is \d+ bytes, over the max\.message\.bytes \(1500\) of topic /)
  t.is(ran.report.restarts, 0)
  t.false(/attempt \d of/.test(ran.stderr), 'a message too large for its topic was retried')
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  t.is(Object.values(counts).reduce((a, b) => a + b, 0), 0, 'part of the unit was sent')
})

test.serial('a worker dying after a partial send: the retried unit\'s resent messages are counted, and bound what the topics hold twice', async (t) => {
  const files = [gen('dup1.ndjson', 40, 1440, 16)]
  const prefix = uniquePrefix('dupfile')
  // Small record batches, so that each unit takes several produce requests.
  await createTopics(BROKER, CATEGORIES.map((c) => prefix + c), { 'max.message.bytes': '20000' })
  const exitFile = join(dir, `${prefix}exit`)
  writeFileSync(exitFile, '')
  const ran = await cli(['run', ...files, '--workers', '2', '--brokers', BROKER, '--topic-prefix', prefix, '--unit-points', '28800'], 120_000, undefined, {
    env: faultEnv({ CONCLUDE_TEST_EXIT_FILE: exitFile }),
  })
  t.is(ran.code, 0, ran.stderr)
  t.regex(ran.stderr, /exited \(code 9\) with [12] unit\(s\) in flight/)
  const expected = expectedConclusions(files).length
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  const onTopics = Object.values(counts).reduce((a, b) => a + b, 0)
  t.log(`${onTopics} conclusions on the topics for ${expected} expected; the report says ${ran.report.maybeDuplicated} may have been sent more than once`)
  t.true(onTopics > expected, 'nothing was sent twice: the worker died too early')
  t.true(onTopics - expected <= ran.report.maybeDuplicated, `${onTopics - expected} on the topics twice, ${ran.report.maybeDuplicated} reported`)
  t.regex(ran.stderr, new RegExp(`, ${ran.report.maybeDuplicated} message\\(s\\) may have been sent more than once`))
  // Per worker: units it delivered, and units it was handed (the dead one's units count twice there).
  const workers = ran.report.workers as { units: number; attempts: number }[]
  const retried = ran.stderr.match(/attempt 1 of 5 failed/g)?.length ?? 0
  t.true(retried > 0)
  t.is(workers.reduce((n, w) => n + w.units, 0), ran.report.units.total)
  t.is(workers.reduce((n, w) => n + w.attempts, 0), ran.report.units.total + retried)
})

test.serial('a malformed file fails naming file and line under fail; the other files are delivered', async (t) => {
  const good = gen('good.ndjson', 5, 300, 5)
  const bad = join(dir, 'bad.ndjson')
  const lines = readFileSync(gen('bad-src.ndjson', 3, 100, 6), 'utf8').split('\n')
  lines[41] = '{"series":"host-0.cpu","ts":1732602460,"value":"oops"}'
  writeFileSync(bad, lines.join('\n'))
  const prefix = uniquePrefix('badfile')
  const ran = await cli(['run', good, bad, '--workers', '2', '--brokers', BROKER, '--topic-prefix', prefix], 120_000)
  t.is(ran.code, 1)
  t.regex(ran.stderr, /bad\.ndjson:42/)
  t.regex(ran.stderr, /value/)
  const want = expectedConclusions([good]).length
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  t.is(Object.values(counts).reduce((a, b) => a + b, 0), want)

  const skipPrefix = uniquePrefix('skipfile')
  const skipped = await cli(
    ['run', good, bad, '--workers', '2', '--brokers', BROKER, '--topic-prefix', skipPrefix, '--on-bad-line', 'skip'],
    120_000,
  )
  t.is(skipped.code, 0, skipped.stderr)
  t.regex(skipped.stderr, /bad\.ndjson: 1 bad line/)
  const badFile = skipped.report.files.find((f: any) => f.file.endsWith('bad.ndjson'))
  t.is(badFile.badLines, 1)
  t.deepEqual(badFile.badLineNumbers, [42])
})

test.serial('a worker killed with SIGKILL mid-run: its units go to another worker and all are delivered', async (t) => {
  const files = [gen('k1.ndjson', 40, 1440, 7), gen('k2.ndjson', 40, 1440, 8)]
  const prefix = uniquePrefix('sigkill')
  let killed = 0
  const ran = await cli(
    ['run', ...files, '--workers', '2', '--brokers', BROKER, '--topic-prefix', prefix, '--unit-points', '2880'],
    180_000,
    (primary) =>
      whenWorkers(primary, 2, 300, () => {
        execFile('pgrep', ['-P', String(primary)], (_err, stdout) => {
          const pid = Number(stdout.split('\n').filter(Boolean)[0])
          try {
            if (pid) process.kill(pid, 'SIGKILL')
            killed = pid
          } catch {
            // the worker is already gone: the assertion on `killed` reports it
          }
        })
      }),
  )
  t.true(killed > 0, 'no worker was found to kill')
  t.is(ran.code, 0, ran.stderr)
  t.true(ran.report.restarts >= 1)
  t.regex(ran.stderr, /exited \(SIGKILL\)/)
  // At least once: every expected conclusion is on the topics (a resent unit may duplicate some).
  const want = expectedConclusions(files)
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  const onTopics = Object.values(counts).reduce((a, b) => a + b, 0)
  t.true(onTopics >= want.length)
  const records = await readTopics(BROKER, CATEGORIES.map((c) => prefix + c), onTopics)
  t.deepEqual([...new Set(publishedConclusions(records))].sort(), [...new Set(want)].sort())
})

/**
 * Calls `act` once (and only once) the primary `pid` has `n` worker children, after `delayMs`.
 * One `pgrep` at a time: under load a poll can outlast the 50 ms tick, and two polls that both
 * saw the workers used to fire `act` twice (two SIGTERMs, which the primary takes as "stop now").
 */
function whenWorkers(pid: number, n: number, delayMs: number, act: () => void): void {
  let polling = false
  let fired = false
  const timer = setInterval(() => {
    if (polling || fired) return
    polling = true
    execFile('pgrep', ['-P', String(pid)], (err, stdout) => {
      polling = false
      if (fired || err || stdout.split('\n').filter(Boolean).length < n) return
      fired = true
      clearInterval(timer)
      setTimeout(act, delayMs).unref()
    })
  }, 50)
  timer.unref()
}

test.serial('SIGTERM: in-flight units finish and flush within the drain deadline, the rest is reported', async (t) => {
  const files = [gen('term1.ndjson', 200, 1440, 9), gen('term2.ndjson', 200, 1440, 10)]
  const prefix = uniquePrefix('sigterm')
  const ran = await cli(
    ['run', ...files, '--workers', '2', '--threads', '1', '--brokers', BROKER, '--topic-prefix', prefix, '--unit-points', '1440', '--drain-timeout', '10000'],
    60_000,
    (pid) =>
      whenWorkers(pid, 2, 600, () => {
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          // already gone: the assertions below say so
        }
      }),
  )
  t.is(ran.code, 143, ran.stderr)
  t.is(ran.report.interrupted, 'SIGTERM')
  t.false(ran.report.ok)
  const { delivered, undelivered, total } = ran.report.units
  t.is(delivered + undelivered.length, total)
  t.true(undelivered.length > 0, 'the run ended before the signal: make the workload bigger')
  t.regex(ran.stderr, /SIGTERM: finishing units in flight/)
  // What the report calls delivered is on the topics.
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  const onTopics = Object.values(counts).reduce((a, b) => a + b, 0)
  const reported = CATEGORIES.reduce((n, c) => n + ran.report.conclusions[c], 0)
  t.true(onTopics >= reported, `${onTopics} on topics < ${reported} reported delivered`)
  t.log(`${delivered}/${total} units delivered before the signal took effect, ${undelivered.length} reported undelivered`)
})

test('conclude gen is deterministic and analyze prints the same result as analyzeNative', (t) => {
  const a = execFileSync(process.execPath, [CLI, 'gen', '--series', '3', '--points', '50', '--seed', '5', '--format', 'csv'])
  const b = execFileSync(process.execPath, [CLI, 'gen', '--series', '3', '--points', '50', '--seed', '5', '--format', 'csv'])
  t.true(a.equals(b))
  t.true(a.toString().startsWith('series,ts,value\n'))
  const path = join(dir, 'gen.csv')
  writeFileSync(path, a)
  const printed = JSON.parse(execFileSync(process.execPath, [CLI, 'analyze', path]).toString())
  const direct = analyzeNative(a) as any
  for (const c of CATEGORIES) t.deepEqual(printed[c], direct[c])
})

test('CSV input with --format csv through the file sink gives what analyzeNative gives', async (t) => {
  const csv = join(dir, 'in.csv')
  writeFileSync(csv, execFileSync(process.execPath, [CLI, 'gen', '--series', '6', '--points', '400', '--seed', '12', '--format', 'csv']))
  const out = join(dir, 'csv-out')
  const ran = await cli(['run', csv, '--format', 'csv', '--workers', '2', '--sink', 'file', '--out', out, '--unit-points', '800'], 60_000)
  t.is(ran.code, 0, ran.stderr)
  const records = CATEGORIES.flatMap((c) =>
    readFileSync(join(out, `${c}.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ value: JSON.parse(line) })),
  )
  t.deepEqual(publishedConclusions(records), expectedConclusions([csv]))
})

test('inputs with the same file name, or the same input twice, are all delivered under distinct unit ids', async (t) => {
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  mkdirSync(a, { recursive: true })
  mkdirSync(b, { recursive: true })
  writeFileSync(join(a, 'x.ndjson'), execFileSync(process.execPath, [CLI, 'gen', '--series', '3', '--points', '300', '--seed', '13']))
  writeFileSync(join(b, 'x.ndjson'), execFileSync(process.execPath, [CLI, 'gen', '--series', '3', '--points', '300', '--seed', '14']))
  const inputs = [join(a, 'x.ndjson'), join(b, 'x.ndjson'), join(a, 'x.ndjson')]
  const ran = await cli(['run', ...inputs, '--workers', '2', '--sink', 'file', '--out', join(dir, 'same-name-out'), '--unit-points', '300'], 60_000)
  t.is(ran.code, 0, ran.stderr)
  t.is(ran.report.units.total, 9)
  t.is(ran.report.units.delivered, 9)
  t.is(ran.report.conclusions.summary, 9)
})

test('the stdout sink: every conclusion once, whole lines, from several workers', (t) => {
  const file = gen('stdout.ndjson', 12, 1440, 15)
  const out = execFileSync(process.execPath, [CLI, 'run', file, '--workers', '2', '--sink', 'stdout', '--unit-points', '1440'], {
    timeout: 60_000,
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString()
  const records = out
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ value: JSON.parse(line) }))
  t.deepEqual(publishedConclusions(records), expectedConclusions([file]))
})

test('SIGTERM while the input is still being read: no unit started, exit 143, the report says so', async (t) => {
  const report = join(dir, 'reading-term.json')
  // stdin stays open: the primary is still staging it when the signal comes.
  const child = spawn(process.execPath, [CLI, 'run', '-', '--sink', 'stdout', '--workers', '1', '--report', report], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.write('{"series":"a","ts":1,"value":1}\n')
  await new Promise((r) => setTimeout(r, 1_500))
  child.kill('SIGTERM')
  // 'close', not 'exit': a child can exit before its stderr's last chunks reach this process.
  const [code, signal] = (await Promise.race([once(child, 'close'), new Promise((r) => setTimeout(() => r([null, 'timeout']), 20_000))])) as [number | null, string | null]
  child.kill('SIGKILL')
  t.is(signal, null, stderr)
  t.is(code, 143, stderr)
  t.regex(stderr, /SIGTERM while reading the input: no unit started/)
  const r = JSON.parse(readFileSync(report, 'utf8'))
  t.false(r.ok)
  t.is(r.interrupted, 'SIGTERM')
  t.is(r.units.total, 0)
  t.is(r.workers.length, 0)
})

test("a file's units are delivered while the next input is still being read; SIGTERM then leaves the rest unread", async (t) => {
  const first = gen('overlap-first.ndjson', 6, 400, 21)
  const out = join(dir, 'overlap-out')
  const summaries = join(out, 'summary.ndjson')
  const lines = () => {
    try {
      return readFileSync(summaries, 'utf8').split('\n').filter(Boolean).length
    } catch {
      return 0
    }
  }
  // The second input is stdin, left open: before the inputs overlapped, nothing went out until it ended.
  const run = (report: string) =>
    spawn(process.execPath, [CLI, 'run', first, '-', '--sink', 'file', '--out', out, '--workers', '1', '--report', report, '--no-progress'], { stdio: ['pipe', 'ignore', 'pipe'] })
  const waitFor = async (ok: () => boolean, ms: number) => {
    for (const until = Date.now() + ms; !ok() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100))
    return ok()
  }
  const exit = async (child: ReturnType<typeof run>) =>
    (await Promise.race([once(child, 'close'), new Promise((r) => setTimeout(() => r([null, 'timeout']), 30_000))])) as [number | null, string | null]

  // 1. stdin ends later: everything is delivered, the first file's units long before.
  const report = join(dir, 'overlap.json')
  const child = run(report)
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const early = await waitFor(() => lines() === 6, 30_000)
  child.stdin.end(readFileSync(gen('overlap-stdin.ndjson', 3, 400, 22)))
  const [code] = await exit(child)
  child.kill('SIGKILL')
  t.true(early, `the first file's 6 summaries were written while stdin was open (${lines()}); ${stderr}`)
  t.is(code, 0, stderr)
  t.is(lines(), 9)
  const r = JSON.parse(readFileSync(report, 'utf8'))
  t.true(r.ok)
  t.deepEqual(
    r.files.map((f: any) => [f.file, f.series]),
    [[first, 6], ['stdin', 3]],
  )

  // 2. SIGTERM while stdin is read: the first file's units are delivered, stdin's never read.
  rmSync(out, { recursive: true, force: true })
  const report2 = join(dir, 'overlap-term.json')
  const child2 = run(report2)
  let stderr2 = ''
  child2.stderr.on('data', (d) => (stderr2 += d))
  t.true(await waitFor(() => lines() === 6, 30_000), stderr2)
  child2.kill('SIGTERM')
  const [code2, signal2] = await exit(child2)
  child2.kill('SIGKILL')
  t.is(signal2, null, stderr2)
  t.is(code2, 143, stderr2)
  // The last unit's 'done' may still be on its way to the primary when the signal lands.
  t.regex(stderr2, /SIGTERM(: finishing units in flight \(up to \d+ ms\), the rest of the input unread| while reading the input: no unit in flight, the rest of the input unread)/)
  const r2 = JSON.parse(readFileSync(report2, 'utf8'))
  t.false(r2.ok)
  t.is(r2.interrupted, 'SIGTERM')
  t.is(r2.units.delivered, r2.units.total)
  t.deepEqual(r2.units.undelivered, [])
  t.deepEqual(
    r2.files.map((f: any) => f.file),
    [first],
  )
})

test('SIGTERM after the last unit was delivered: a success, exit 0, and the summary says so', async (t) => {
  const file = gen('late-term.ndjson', 6, 300, 17)
  const slowDrain = join(dir, 'slow-drain')
  writeFileSync(slowDrain, '')
  let signalled = false
  const ran = await cli(['run', file, '--workers', '1', '--sink', 'file', '--out', join(dir, 'late-term-out')], 60_000, undefined, {
    env: faultEnv({ CONCLUDE_TEST_SLOW_DRAIN_FILE: slowDrain }),
    onStderr: (stderr, pid) => {
      if (signalled || !/draining slowly/.test(stderr)) return
      signalled = true
      process.kill(pid, 'SIGTERM')
      // The worker's drain waits for this: the signal is on its way before anything can exit.
      writeFileSync(slowDrain, '')
    },
  })
  t.true(signalled)
  t.is(ran.code, 0, ran.stderr)
  t.true(ran.report.ok)
  t.is(ran.report.interrupted, 'SIGTERM')
  t.regex(ran.stderr, /^done: 1\/1 units delivered/m)
  t.regex(ran.stderr, /SIGTERM arrived after every unit was delivered: nothing was interrupted/)
})

test('CLI messages: --threads once in run --help, no doubled error code, gen --out says what it wrote, analyze streams a file over 2 GiB', (t) => {
  const help = execFileSync(process.execPath, [CLI, 'run', '--help']).toString()
  t.is(help.match(/^ +--threads /gm)?.length, 1, help)
  const stderrOf = (args: string[]) => {
    try {
      execFileSync(process.execPath, [CLI, ...args], { stdio: 'pipe', timeout: 20_000 })
      return ''
    } catch (e) {
      return String((e as { stderr: Buffer }).stderr)
    }
  }
  const missing = join(dir, 'no-such-file.ndjson')
  t.is(stderrOf(['analyze', missing]), `conclude: ERR_CONCLUDE_IO: opening ${missing}: No such file or directory (os error 2)\n`)
  const runMissing = stderrOf(['run', missing, '--sink', 'stdout'])
  t.regex(runMissing, /no-such-file\.ndjson: .*No such file or directory/)
  t.notRegex(runMissing, /(ENOENT|ERR_CONCLUDE_IO): \1/)
  const out = join(dir, 'gen-out.ndjson')
  const gen = spawnSync(process.execPath, [CLI, 'gen', '--series', '2', '--points', '10', '--out', out])
  t.is(gen.stdout.toString(), '')
  t.is(gen.stderr.toString(), `conclude gen: wrote ${out}: 2 series x 10 points, ndjson, ${statSync(out).size} bytes\n`)
  const huge = join(dir, 'huge.ndjson')
  writeFileSync(huge, '')
  truncateSync(huge, 2 ** 31 + 5) // sparse: no disk used
  t.teardown(() => rmSync(huge, { force: true }))
  // Streamed, not read whole: no Buffer limit; its NUL bytes are a parse error at line 1.
  const hugeErr = stderrOf(['analyze', huge])
  t.notRegex(hugeErr, /TOO_LARGE/)
  t.regex(hugeErr, /ERR_CONCLUDE_PARSE.*line 1\b/)
})
