// Sinks for runs without a broker: NDJSON per topic in a folder, or stdout.
import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

import type { MessageBatch } from '../../index.js'
import { messages, type Category } from '../conclusions.js'
import { conclusionTopics } from '../kafka/topics.js'
import { writeStdout } from '../stdout.js'
import type { SinkWriter } from './types.js'

const NL = Buffer.from('\n')

function linesByCategory(batch: MessageBatch): Map<Category, Buffer[]> {
  const out = new Map<Category, Buffer[]>()
  for (const m of messages(batch)) {
    let list = out.get(m.category)
    if (!list) out.set(m.category, (list = []))
    list.push(m.value, NL)
  }
  return out
}

/** Appends each category's values to `<dir>/<prefix><category>.ndjson`. */
export class FileSink implements SinkWriter {
  readonly kind = 'file'
  private readonly topics: Record<Category, string>
  private ready: Promise<unknown> | undefined
  /** Appends are chained so concurrent writes never interleave lines. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(readonly target: string, topicPrefix = '') {
    this.topics = conclusionTopics(topicPrefix)
  }

  path(category: Category): string {
    return join(this.target, `${this.topics[category]}.ndjson`)
  }

  write(batch: MessageBatch): Promise<void> {
    this.ready ??= mkdir(this.target, { recursive: true })
    const run = async () => {
      await this.ready
      for (const [category, parts] of linesByCategory(batch)) {
        await appendFile(this.path(category), Buffer.concat(parts))
      }
    }
    const done = this.tail.then(run)
    this.tail = done.catch(() => {})
    return done
  }

  async close(): Promise<void> {
    await this.tail
  }
}

/**
 * Writes every value as one NDJSON line (the value names its category) through
 * `write`, which defaults to this process's stdout. Worker processes pass a
 * function that hands the bytes to the primary instead, so that lines from
 * several workers never interleave on one pipe.
 */
export class StdoutSink implements SinkWriter {
  readonly kind = 'stdout'
  readonly target = 'stdout'

  constructor(private readonly out: (bytes: Buffer) => Promise<void> = writeStdout) {}

  async write(batch: MessageBatch): Promise<void> {
    const parts: Buffer[] = []
    for (const lines of linesByCategory(batch).values()) parts.push(...lines)
    if (parts.length) await this.out(Buffer.concat(parts))
  }

  async close(): Promise<void> {}
}
