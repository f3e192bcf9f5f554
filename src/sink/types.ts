// Sinks receive the engine's ready-made messages (see MessageBatch in
// index.d.ts; decoded by `messages` in ../conclusions.ts) and resolve `write`
// only once the conclusions are durable where the sink puts them:
// acknowledged by Kafka, or written to the file.
import type { MessageBatch } from '../../index.js'

export interface SinkWriter {
  /** `kafka`, `file` or `stdout`. */
  readonly kind: string
  /** Where the conclusions go, for messages (`127.0.0.1:9092`, a folder, `stdout`). */
  readonly target: string
  /**
   * Resolves when every message of the batch is delivered; rejects naming what
   * failed. `progress` (Kafka) hears of each produce request before it goes out.
   */
  write(batch: MessageBatch, progress?: SendProgress): Promise<void>
  /** Gets ready for the first write ahead of it (connections, topics); a failure surfaces on that write. */
  prepare?(): void
  /** Releases connections and files, within a deadline. */
  close(): Promise<void>
}

/** What a sink tells about a batch it sends in several requests. */
export interface SendProgress {
  /** A request of `messages` messages goes out now (it may be written even if its send then fails). */
  onRequest(messages: number): void
}
