// The engine's pool belongs to the process that built it.
import { execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'

import test from 'ava'

import { analyzeNative, poolInfo } from '../index.js'
import { ndjson } from './helpers/workload.js'

const root = join(import.meta.dirname, '..')

function inChild(code: string, env: Record<string, string> = {}): any {
  const out = execFileSync(process.execPath, ['-e', code], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 })
  return JSON.parse(out.toString())
}

test('poolInfo reports this process and a positive size', (t) => {
  const info = poolInfo()
  t.is(info.pid, process.pid)
  t.true(info.threads >= 1)
})

test('the pool is built on first use', (t) => {
  const before = inChild(`const c = require('./index.js'); console.log(JSON.stringify(c.poolInfo()))`)
  t.false(before.built)
  const after = inChild(
    `const c = require('./index.js'); c.analyzeNative(Buffer.from('{"series":"a","ts":1,"value":1}\\n')); console.log(JSON.stringify(c.poolInfo()))`,
  )
  t.true(after.built)
  t.is(after.builds, 1)
})

test('CONCLUDE_THREADS sizes the pool; the threads option overrides it per call', (t) => {
  const r = inChild(
    `const c = require('./index.js'); const b = Buffer.from('{"series":"a","ts":1,"value":1}\\n');
     console.log(JSON.stringify({ info: c.poolInfo(), used: c.analyzeNative(b).stats.threads, two: c.analyzeNative(b, { threads: 2 }).stats.threads }))`,
    { CONCLUDE_THREADS: '1' },
  )
  t.is(r.info.threads, 1)
  t.is(r.used, 1)
  t.is(r.two, 2)
})

test('an invalid CONCLUDE_THREADS is a clear options error', (t) => {
  const r = inChild(
    `const c = require('./index.js'); try { c.analyzeNative(Buffer.alloc(0)) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`,
    { CONCLUDE_THREADS: 'lots' },
  )
  t.is(r.code, 'ERR_CONCLUDE_OPTIONS')
  t.regex(r.message, /CONCLUDE_THREADS/)
})

test('a child process builds its own pool and gets the same results', async (t) => {
  const batch = ndjson(4, 300, 5)
  analyzeNative(batch) // the parent's pool exists before the child does
  const child = fork(join(root, '__test__', 'helpers', 'child-analyze.cjs'), [], { cwd: root, timeout: 60_000 })
  child.send(batch.toString('base64'))
  const [message] = (await once(child, 'message')) as [any]
  t.not(message.info.pid, process.pid)
  t.is(message.info.pid, child.pid)
  t.deepEqual(message.result.trend, analyzeNative(batch).trend)
})
