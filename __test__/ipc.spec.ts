// A primary's sends to a worker that has just died must not crash the primary.
import { fork } from 'node:child_process'
import { once } from 'node:events'

import test from 'ava'

import { sendToWorker } from '../src/run/ipc.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A child with an IPC channel that exits at once, awaited until its channel is closed and it is gone. */
async function deadChild() {
  const child = fork('-e', ['process.exit(0)'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] })
  await once(child, 'exit')
  return child
}

test('a plain send to a dead worker emits ERR_IPC_CHANNEL_CLOSED (what crashed the primary)', async (t) => {
  const child = await deadChild()
  const error = once(child, 'error')
  child.send({ type: 'drain' })
  const [e] = (await Promise.race([error, sleep(5_000).then(() => [undefined])])) as [NodeJS.ErrnoException | undefined]
  t.is(e?.code, 'ERR_IPC_CHANNEL_CLOSED')
})

test('sendToWorker to a dead worker says false and emits nothing', async (t) => {
  const child = await deadChild()
  const errors: unknown[] = []
  child.on('error', (e) => errors.push(e))
  t.false(sendToWorker(child, { type: 'drain' }))
  await sleep(200)
  t.deepEqual(errors, [])
})

test('sendToWorker to a live worker delivers', async (t) => {
  const child = fork('-e', [`process.once('message', (m) => process.send(m, () => process.exit(0)))`], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] })
  const reply = once(child, 'message')
  t.true(sendToWorker(child, { type: 'ping' }))
  const [m] = (await Promise.race([reply, sleep(10_000).then(() => [undefined])])) as [unknown]
  t.deepEqual(m, { type: 'ping' })
  await once(child, 'exit')
})
