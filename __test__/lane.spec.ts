// A group worker's partition lane (src/run/group/lane.ts): analyses and deliveries in offset
// order, analysis at most two messages ahead of delivery, nothing after a failed delivery, and
// the two waits eachBatch and the rejoin hook use. Then the hook itself (src/kafka/rejoin.ts)
// on a real kafkajs consumer: its join waits for it.
import test from 'ava'
import fc from 'fast-check'
import { Kafka, logLevel } from 'kafkajs'

import { beforeGroupJoin } from '../src/kafka/rejoin.js'
import { Lane, type LaneSteps } from '../src/run/group/lane.js'
import { BROKER, createTopics, ensureBroker, uniquePrefix } from './helpers/kafka.js'

const tick = () => new Promise<void>((r) => setImmediate(r))

/** Steps whose analyses and deliveries end when the test says, with a log of what happened. */
function manual(fail: Set<number> = new Set()) {
  const log: string[] = []
  const pending = { analyse: new Map<number, () => void>(), deliver: new Map<number, (error?: unknown) => void>() }
  const failures: [number, unknown][] = []
  let live = true
  const steps: LaneSteps<number, string> = {
    analyse: (m) => {
      log.push(`analyse ${m}`)
      return new Promise((resolve) => pending.analyse.set(m, () => resolve(`conclusions of ${m}`)))
    },
    deliver: (m, a) => {
      log.push(`deliver ${m} (${a})`)
      return new Promise((resolve, reject) => pending.deliver.set(m, (error) => (error === undefined && !fail.has(m) ? resolve() : reject(error ?? new Error(`delivery of ${m} failed`)))))
    },
    live: () => live,
    failed: (m, e) => failures.push([m, e]),
  }
  const finish = async (kind: 'analyse' | 'deliver', m: number) => {
    await tick()
    const done = pending[kind].get(m)
    if (!done) throw new Error(`${kind} ${m} has not started`)
    pending[kind].delete(m)
    done()
    await tick()
    await tick()
  }
  return { steps, log, pending, failures, finish, stop: () => (live = false) }
}

test('one message ahead: the next is analysed while the previous is delivered, and no further than two ahead of delivery', async (t) => {
  const m = manual()
  const lane = new Lane(m.steps)
  for (const i of [0, 1, 2, 3]) lane.add(i)
  await tick()
  t.deepEqual(m.log, ['analyse 0'])
  await m.finish('analyse', 0)
  t.deepEqual(m.log.slice(1).sort(), ['analyse 1', 'deliver 0 (conclusions of 0)'])
  await m.finish('analyse', 1)
  // 2 waits for delivery 0: analysis stays within two messages of delivery.
  t.deepEqual(m.log.slice(3), [])
  await m.finish('deliver', 0)
  t.deepEqual(m.log.slice(3).sort(), ['analyse 2', 'deliver 1 (conclusions of 1)'])
  await m.finish('deliver', 1)
  await m.finish('analyse', 2)
  await m.finish('analyse', 3)
  await m.finish('deliver', 2)
  await m.finish('deliver', 3)
  t.deepEqual(m.log.slice(5).sort(), ['analyse 3', 'deliver 2 (conclusions of 2)', 'deliver 3 (conclusions of 3)'])
  await lane.settled()
})

test('analysedDownTo resolves once at most n messages are unanalysed; settled once all are delivered', async (t) => {
  const m = manual()
  const lane = new Lane(m.steps)
  for (const i of [0, 1, 2]) lane.add(i)
  let downTo1 = false
  let settled = false
  void lane.analysedDownTo(1).then(() => (downTo1 = true))
  void lane.settled().then(() => (settled = true))
  await m.finish('analyse', 0)
  t.false(downTo1)
  await m.finish('deliver', 0)
  await m.finish('analyse', 1)
  t.true(downTo1, 'only 2 is left to analyse')
  await m.finish('deliver', 1)
  await m.finish('analyse', 2)
  t.false(settled)
  await m.finish('deliver', 2)
  t.true(settled)
  t.deepEqual(m.failures, [])
})

test('a failed delivery stops the lane: later messages are neither analysed nor delivered, and the waits end', async (t) => {
  const m = manual(new Set([1]))
  const lane = new Lane(m.steps)
  for (const i of [0, 1, 2, 3]) lane.add(i)
  const waits = Promise.all([lane.analysedDownTo(0), lane.settled()])
  await m.finish('analyse', 0)
  await m.finish('analyse', 1)
  await m.finish('deliver', 0)
  await m.finish('analyse', 2)
  await m.finish('deliver', 1)
  await waits
  t.is(lane.stopped?.message, 1)
  t.deepEqual(
    m.failures.map(([i]) => i),
    [1],
  )
  t.deepEqual(m.log.slice().sort(), ['analyse 0', 'analyse 1', 'analyse 2', 'deliver 0 (conclusions of 0)', 'deliver 1 (conclusions of 1)'])
  lane.add(4)
  await tick()
  t.deepEqual(m.log.length, 5, 'a stopped lane takes no more work')
})

test('messages no longer live (stopping, a stale batch) are skipped, the one being delivered finishes', async (t) => {
  const m = manual()
  const lane = new Lane(m.steps)
  for (const i of [0, 1, 2]) lane.add(i)
  await m.finish('analyse', 0)
  m.stop()
  await m.finish('analyse', 1)
  await m.finish('deliver', 0)
  await lane.settled()
  t.deepEqual(m.log.slice().sort(), ['analyse 0', 'analyse 1', 'deliver 0 (conclusions of 0)'])
  t.deepEqual(m.failures, [])
})

test('any timing: deliveries in order, each after its analysis, analysis at most two ahead, all delivered', async (t) => {
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 30 }), async (delays) => {
        const events: string[] = []
        let analysing = 0
        let delivered = 0
        let maxAhead = 0
        const wait = (n: number) => new Promise<void>((r) => setTimeout(r, n))
        const lane = new Lane<number, number>({
          analyse: async (i) => {
            analysing++
            maxAhead = Math.max(maxAhead, i - delivered)
            await wait(delays[i]![0])
            analysing--
            events.push(`a${i}`)
            return i
          },
          deliver: async (i, a) => {
            if (a !== i || !events.includes(`a${i}`)) throw new Error(`delivery ${i} before its analysis`)
            await wait(delays[i]![1])
            events.push(`d${i}`)
            delivered++
          },
          live: () => true,
          failed: (_, e) => {
            throw e
          },
        })
        delays.forEach((_, i) => lane.add(i))
        await lane.settled()
        const order = events.filter((e) => e.startsWith('d'))
        if (order.join() !== delays.map((_, i) => `d${i}`).join()) throw new Error(`deliveries out of order: ${order.join()}`)
        if (maxAhead > 2) throw new Error(`analysis ran ${maxAhead} messages ahead of delivery`)
        if (analysing !== 0) throw new Error('an analysis still running')
      }),
      { numRuns: 60 },
    ),
  )
})

test.serial("beforeGroupJoin: a kafkajs consumer's join waits for the hook", async (t) => {
  await ensureBroker()
  const topic = `${uniquePrefix('rejoin')}in`
  await createTopics(BROKER, [topic])
  const kafka = new Kafka({ brokers: [BROKER], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `${topic}-group` })
  const events: string[] = []
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  beforeGroupJoin(async () => {
    events.push('hook')
    await released
    events.push('hook done')
  })
  const joined = new Promise<void>((r) =>
    consumer.on(consumer.events.GROUP_JOIN, () => {
      events.push('joined')
      r()
    }),
  )
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic] })
    // run() joins before it returns: it waits for the hook too.
    const running = consumer.run({ eachMessage: async () => {} })
    await new Promise((r) => setTimeout(r, 1_500))
    t.deepEqual(events, ['hook'], 'the join waits for the hook')
    release()
    await Promise.all([running, joined])
    t.deepEqual(events, ['hook', 'hook done', 'joined'])
  } finally {
    release()
    await consumer.disconnect()
    beforeGroupJoin(async () => {})
  }
})
