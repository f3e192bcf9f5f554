// A worker process: analyses the units it is sent on the engine's pool (async,
// so the event loop stays free for the producer's I/O) and publishes them
// through its own producer, created on first use here, in this process.
import { analyzeSpill } from '../../index.js'
import { closeProcessProducer, currentProcessProducer } from '../kafka/producer.js'
import { KafkaSink, MessageTooLargeError } from '../sink/kafka.js'
import { FileSink, StdoutSink } from '../sink/file.js'
import type { SinkWriter } from '../sink/types.js'
import { claimTestFile } from './test-hooks.js'
import type { FromWorker, SinkSpec, ToWorker, WireError, WorkerConfig } from './protocol.js'

function send(message: FromWorker): void {
  process.send?.(message)
}

function wire(e: unknown): WireError {
  const err = e as { message?: string; code?: string }
  return { message: err?.message ?? String(e), code: err?.code }
}

function makeSink(spec: SinkSpec): SinkWriter {
  switch (spec.kind) {
    case 'kafka':
      return new KafkaSink({
        brokers: spec.brokers,
        topicPrefix: spec.topicPrefix,
        compression: spec.compression,
        connectTimeoutMs: spec.connectTimeoutMs,
        sendTimeoutMs: spec.sendTimeoutMs,
      })
    case 'file':
      return new FileSink(spec.dir, spec.topicPrefix)
    case 'stdout':
      // Sent before the unit's 'done' on the same ordered channel, so the
      // primary has written it by the time it counts the unit delivered.
      return new StdoutSink(
        (data) => new Promise((resolve, reject) => process.send!({ type: 'stdout', data } satisfies FromWorker, (e: Error | null) => (e ? reject(e) : resolve()))),
      )
  }
}

/**
 * Tests only: with CONCLUDE_TEST_EXIT_FILE=FILE, the first worker to delete FILE
 * exits (code 9) as its unit's second produce request goes out, after the first
 * was acknowledged: a worker death after a partial send, deterministically.
 */
function exitForTest(request: number): void {
  if (request === 2 && claimTestFile('CONCLUDE_TEST_EXIT_FILE')) process.exit(9)
}

let config: WorkerConfig | undefined
let sink: SinkWriter | undefined
const inFlight = new Set<Promise<void>>()
let draining = false

async function handleUnit(id: string, spill: string, pieces: Float64Array): Promise<void> {
  const started = performance.now()
  let batch
  try {
    // Whole partitions of a spill file the primary wrote from validated input: read here, on the pool.
    batch = await analyzeSpill(spill, pieces, { batch: id }, config!.analysis)
  } catch (e) {
    send({ type: 'failed', id, error: wire(e), stage: 'analyze' })
    return
  }
  let request = 0
  let messages = 0
  try {
    await sink!.write(batch, {
      onRequest: (n) => {
        messages += n
        send({ type: 'sending', id, request: ++request, messages })
        exitForTest(request)
      },
    })
  } catch (e) {
    send({ type: 'failed', id, error: wire(e), stage: 'deliver', permanent: e instanceof MessageTooLargeError })
    return
  }
  send({ type: 'done', id, counts: batch.counts, points: batch.stats.points, ms: performance.now() - started })
}

async function drain(): Promise<void> {
  if (draining) return
  draining = true
  await Promise.allSettled([...inFlight])
  // Tests only: a drain that takes 3 s, so a test can signal the primary after the last unit was delivered.
  if (claimTestFile('CONCLUDE_TEST_SLOW_DRAIN_FILE')) {
    process.stderr.write(`conclude: worker ${process.pid}: draining slowly (CONCLUDE_TEST_SLOW_DRAIN_FILE)\n`)
    await new Promise((r) => setTimeout(r, 3_000))
  }
  let error: WireError | undefined
  const producer = currentProcessProducer()
  const producersCreated = producer?.created ?? 0
  const acknowledged = producer?.acknowledged ?? 0
  try {
    await sink?.close()
    await closeProcessProducer()
  } catch (e) {
    error = wire(e)
  }
  const message: FromWorker = { type: 'drained', pid: process.pid, producersCreated, acknowledged, error }
  if (process.send && process.connected) process.send(message, () => process.exit(0))
  else process.exit(0)
}

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'config':
      config = m.config
      sink = makeSink(m.config.sink)
      break
    case 'unit': {
      if (draining || !config) {
        send({ type: 'failed', id: m.id, error: { message: 'worker is draining' }, stage: 'analyze' })
        break
      }
      const p = handleUnit(m.id, m.spill, m.pieces).finally(() => inFlight.delete(p))
      inFlight.add(p)
      break
    }
    case 'drain':
      void drain()
      break
  }
})

// The primary coordinates shutdown: a terminal's Ctrl-C reaches the whole
// process group, and the primary answers it by draining us.
process.on('SIGINT', () => {})
// If the primary goes away, finish what is in flight and leave.
process.on('disconnect', () => {
  if (!draining) void drain()
})

send({ type: 'ready', pid: process.pid })
