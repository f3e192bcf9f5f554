// A worker process of `conclude run <files>`: analyses the units it is sent on
// the engine's pool (async, so the event loop stays free for the producer's
// I/O) and publishes them through its own producer, created here, in this
// process, once it has started (connected while its first unit is made).
import { analyzeSpill, type AnalyzeOptions } from '../../../index.js'
import { closeProcessProducer, currentProcessProducer } from '../../kafka/producer.js'
import { MessageTooLargeError } from '../../kafka/requests.js'
import { FileSink, StdoutSink } from '../../sink/file.js'
import { KafkaSink } from '../../sink/kafka.js'
import type { SinkWriter } from '../../sink/types.js'
import type { WireError } from '../protocol.js'
import { exitAfter, serveWorker, tellPrimary, wire } from '../worker-side.js'
import type { FromWorker, SinkSpec, ToWorker, WorkerConfig } from './protocol.js'

const send: (message: FromWorker) => void = tellPrimary

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

/** The analysis options of every unit: the run's, with this worker's engine threads. */
let analysis: AnalyzeOptions | undefined
let sink: SinkWriter | undefined
const inFlight = new Set<Promise<void>>()
let draining = false

async function handleUnit(id: string, spill: string, pieces: Float64Array): Promise<void> {
  let batch
  try {
    // Whole partitions of a spill file the primary wrote from validated input: read here, on the pool.
    batch = await analyzeSpill(spill, pieces, { batch: id }, analysis)
  } catch (e) {
    send({ type: 'failed', id, error: wire(e), stage: 'analyze' })
    return
  }
  // The pool is free for the next unit while this one's conclusions go out.
  send({ type: 'analysed', id })
  let request = 0
  let messages = 0
  try {
    await sink!.write(batch, {
      onRequest: (n) => {
        messages += n
        send({ type: 'sending', id, request: ++request, messages })
      },
    })
  } catch (e) {
    send({ type: 'failed', id, error: wire(e), stage: 'deliver', permanent: e instanceof MessageTooLargeError })
    return
  }
  send({ type: 'done', id, counts: batch.counts })
}

async function drain(): Promise<void> {
  if (draining) return
  draining = true
  await Promise.allSettled([...inFlight])
  let error: WireError | undefined
  const producersCreated = currentProcessProducer()?.created ?? 0
  try {
    await sink?.close()
    await closeProcessProducer()
  } catch (e) {
    error = wire(e)
  }
  exitAfter({ type: 'drained', producersCreated, error } satisfies FromWorker, 0)
}

serveWorker<WorkerConfig, ToWorker>({
  start(config, threads) {
    analysis = { ...config.analysis, threads }
    sink = makeSink(config.sink)
    // Started while the primary partitions the input: the producer connects meanwhile.
    sink.prepare?.()
  },
  message(m) {
    if (draining || !analysis) {
      send({ type: 'failed', id: m.id, error: { message: 'worker is draining' }, stage: 'analyze' })
      return
    }
    const p = handleUnit(m.id, m.spill, m.pieces).finally(() => inFlight.delete(p))
    inFlight.add(p)
  },
  drain: () => void drain(),
  ignore: [],
})

send({ type: 'ready' })
