// The broker is killed and restarted during a run: the run either completes
// with every conclusion delivered (counted on the topics) or exits non-zero
// naming what was not delivered; it never reports success with conclusions
// missing. Uses its own broker, so the shared one is never disturbed.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'

import test from 'ava'

import { analyzeNative } from '../index.js'
import { CATEGORIES } from '../src/conclusions.js'
import { kafkaSh, ROOT, topicCounts, uniquePrefix } from './helpers/kafka.js'

const CLI = join(ROOT, 'dist', 'cli.js')
const dir = mkdtempSync(join(tmpdir(), 'conclude-fault-'))
const env = { KAFKA_DATA_DIR: join(dir, 'broker'), KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093' }
const BROKER = `127.0.0.1:${env.KAFKA_PORT}`

test.before(async () => {
  await kafkaSh('start', env, 180_000)
})

test.after.always(async () => {
  await kafkaSh('wipe', env, 60_000)
})

test('broker killed and restarted mid-run: complete delivery, or a non-zero exit naming what is missing', async (t) => {
  const files = [0, 1, 2].map((k) => {
    const path = join(dir, `w${k}.ndjson`)
    execFileSync(process.execPath, [CLI, 'gen', '--series', '300', '--points', '1440', '--seed', String(20 + k), '--out', path], { timeout: 60_000, stdio: 'pipe' })
    return path
  })
  const expected = files.reduce((n, f) => {
    const r = analyzeNative(readFileSync(f))
    return n + r.summary.length + r.anomaly.length + r.changepoint.length + r.trend.length
  }, 0)
  const prefix = uniquePrefix('restart')
  const reportPath = join(dir, 'report.json')
  const child = spawn(
    process.execPath,
    [CLI, 'run', ...files, '--workers', '2', '--threads', '1', '--brokers', BROKER, '--topic-prefix', prefix,
      '--unit-points', '1440', '--send-timeout', '20000', '--connect-timeout', '5000', '--attempts', '4', '--report', reportPath],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const outer = setTimeout(() => child.kill('SIGKILL'), 240_000)

  // Let some units through, then take the broker away and bring it back.
  await new Promise((r) => setTimeout(r, 1_500))
  await kafkaSh('kill', env)
  await new Promise((r) => setTimeout(r, 2_000))
  await kafkaSh('restart', env, 180_000)

  const code = await exited
  clearTimeout(outer)
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  const counts = await topicCounts(BROKER, CATEGORIES.map((c) => prefix + c))
  const onTopics = Object.values(counts).reduce((a, b) => a + b, 0)
  t.log(`exit ${code}; ${report.units.delivered}/${report.units.total} units delivered; ${onTopics} conclusions on the topics for ${expected} expected, ${report.maybeDuplicated} reported as maybe sent more than once`)
  // stderr is a pipe here, not a terminal: progress lines all the same (the run outlasts their 5 s period).
  t.regex(stderr, /conclude: progress: units \d+\/\d+/)
  if (code === 0) {
    t.true(report.ok)
    t.is(report.units.delivered, report.units.total)
    // At least once: everything arrived (a retried unit may have been written twice), and the
    // report's count of messages that may have been sent more than once covers what is there twice.
    t.true(onTopics >= expected, `${onTopics} < ${expected}`)
    t.true(onTopics - expected <= report.maybeDuplicated, `${onTopics - expected} on the topics twice, ${report.maybeDuplicated} reported`)
  } else {
    t.false(report.ok)
    t.true(report.units.undelivered.length > 0, 'a failed run must name the undelivered units')
    t.is(report.units.delivered + report.units.undelivered.length, report.units.total)
    t.regex(stderr, /not delivered/)
  }
})
