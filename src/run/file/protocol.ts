// Messages between the primary of `conclude run <files>` and its workers
// (besides the start and drain messages of ../protocol.ts).
import type { AnalyzeOptions } from '../../../index.js'
import type { Compression } from '../../kafka/producer.js'
import type { WireError } from '../protocol.js'

export type SinkSpec =
  | { kind: 'kafka'; brokers: string[]; topicPrefix: string; compression: Compression; connectTimeoutMs: number; sendTimeoutMs: number }
  | { kind: 'file'; dir: string; topicPrefix: string }
  | { kind: 'stdout'; topicPrefix: string }

/** Everything a worker needs, sent once at start. */
export interface WorkerConfig {
  sink: SinkSpec
  analysis: AnalyzeOptions
}

/** A unit: byte ranges (`[start, end]` pairs) of a spill file, which the worker reads itself. */
export type ToWorker = { type: 'unit'; id: string; spill: string; pieces: Float64Array }

export type FromWorker =
  | { type: 'ready' }
  /** The unit's conclusions are made; its delivery starts. */
  | { type: 'analysed'; id: string }
  | { type: 'done'; id: string; counts: number[] }
  /** `permanent`: the same unit would fail the same way again (a message over the topic's size limit). */
  | { type: 'failed'; id: string; error: WireError; stage: 'analyze' | 'deliver'; permanent?: boolean }
  /** A produce request of the unit goes out: `messages` of its conclusions may be written from now on (this attempt, in all). */
  | { type: 'sending'; id: string; request: number; messages: number }
  | { type: 'drained'; producersCreated: number; error?: WireError }
  /** Output of the stdout sink, written by the primary so workers' lines never interleave. */
  | { type: 'stdout'; data: Uint8Array }
