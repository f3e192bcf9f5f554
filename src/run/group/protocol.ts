// Messages between the primary of `conclude run --source kafka` and its
// consumer-group workers (besides the start and drain messages of
// ../protocol.ts). Each worker owns its consumer and producer.
import type { AnalyzeOptions } from '../../../index.js'
import type { Compression } from '../../kafka/producer.js'
import type { WireError } from '../protocol.js'

export interface GroupWorkerConfig {
  brokers: string[]
  /** Input topic: each message is one batch (NDJSON or CSV bytes). */
  topic: string
  group: string
  topicPrefix: string
  deadLetterTopic: string
  exactlyOnce: boolean
  /** transactionalId of this worker slot under --exactly-once (stable across restarts of the slot). */
  transactionalId: string
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean
  compression: Compression
  connectTimeoutMs: number
  sendTimeoutMs: number
  commitTimeoutMs: number
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  transactionTimeoutMs: number
  /** Partitions one worker processes at once (at least once only; transactions go one at a time). */
  partitionsConcurrently: number
  analysis: AnalyzeOptions
}

/** A request for the worker's metrics registry (as JSON), answered with the same `id`. */
export type ToGroupWorker = { type: 'metrics'; id: number }

export type FromGroupWorker =
  /** The consumer joined the group (again, after a rebalance) with these partitions. */
  | { type: 'joined'; partitions: number[] }
  /** One input message done: conclusions delivered (or the batch dead-lettered) and its offset committed. */
  | { type: 'batch'; partition: number; offset: string; counts: number[]; deadLetter: boolean }
  /** At least once: a produce request of this batch goes out; `messages` of its conclusions may be written from now on. */
  | { type: 'sending'; partition: number; offset: string; messages: number }
  /** The batch's conclusions (`messages` of them may be written) were not committed: its next owner sends them again. */
  | { type: 'uncommitted'; partition: number; offset: string; messages: number }
  | { type: 'metrics'; id: number; metrics: unknown }
  /** The worker gives up (a delivery or commit failure it cannot recover from); it exits next. */
  | { type: 'fatal'; error: WireError }
  | { type: 'drained'; error?: WireError }
