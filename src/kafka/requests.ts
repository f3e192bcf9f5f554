// Kafka produce requests built from the engine's messages: the one place
// that turns a MessageBatch into what a send (or one step of a transaction)
// carries. Used by the Kafka sink of file-mode workers and by the
// consumer-group workers alike.
import type { Message as KafkaMessage, TopicMessages } from 'kafkajs'

import type { MessageBatch } from '../../index.js'
import { CATEGORIES, messages, type Category } from '../conclusions.js'
import { MAX_MESSAGE_BYTES } from './producer.js'

/** Keeps each produce request well under the broker's default 1 MiB record batch limit. */
export const MAX_REQUEST_BYTES = 512 * 1024

/**
 * A conclusion that cannot fit its topic's max.message.bytes. Deterministic (the
 * same input gives the same message), so it is never retried; nothing of the
 * batch it belongs to is sent.
 */
export class MessageTooLargeError extends Error {
  readonly code = 'ERR_CONCLUDE_MESSAGE_TOO_LARGE'
  constructor(
    readonly series: string,
    readonly category: Category,
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    const name = series.length > 64 ? `${JSON.stringify(series.slice(0, 64))}... (${series.length} characters)` : JSON.stringify(series)
    super(`the ${category} conclusion of series ${name} is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES} (${limit}) of topic ${topic}`)
    this.name = 'MessageTooLargeError'
  }
}

/**
 * Bytes of a record batch holding this one message, an upper bound of what the
 * broker compares with max.message.bytes: the batch header (61), the record's
 * varints (at most 5 each) and the headers' names and values.
 */
export function recordBytes(key: Uint8Array, value: Uint8Array, headers: Record<string, string>): number {
  return 61 + 5 * 6 + key.length + value.length + headersBytes(headers)
}

/** recordBytes' share of the headers (the same for every message of a batch: computed once per batch). */
function headersBytes(headers: Record<string, string>): number {
  let n = 0
  for (const [k, v] of Object.entries(headers)) n += 10 + Buffer.byteLength(k) + Buffer.byteLength(v)
  return n
}

/** The headers of every conclusion: content type and the producing process. */
export function pidHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', 'conclude-pid': String(process.pid) }
}

/**
 * The batch's messages as produce requests of at most `requestBytes` each
 * (default MAX_REQUEST_BYTES)
 * (and at most the smallest max.message.bytes of `limits`, topic -> bytes),
 * each category to its topic: what one `send` (or one step of a transaction)
 * carries. Throws a MessageTooLargeError, before any request is made, for a
 * message that no record batch of its topic can hold.
 */
export function produceRequests(
  batch: MessageBatch,
  topics: Record<Category, string>,
  headers: Record<string, string>,
  limits: ReadonlyMap<string, number> = new Map(),
  requestBytes: number = MAX_REQUEST_BYTES,
): TopicMessages[][] {
  const requestLimit = Math.min(requestBytes, ...CATEGORIES.map((c) => limits.get(topics[c]) ?? Infinity))
  // The same bytes on the wire; as Buffers, kafkajs's record encoder does not convert every
  // record's header values again (5-10 % of its encoding time), and one object for all lets
  // src/kafka/record-batch.ts encode them once per request.
  const encodedHeaders: Record<string, Buffer> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]))
  const out: TopicMessages[][] = []
  let request = new Map<Category, KafkaMessage[]>()
  let bytes = 0
  const flush = () => {
    if (bytes === 0) return
    const topicMessages: TopicMessages[] = []
    for (const c of CATEGORIES) {
      const list = request.get(c)
      if (list?.length) topicMessages.push({ topic: topics[c], messages: list })
    }
    out.push(topicMessages)
    request = new Map()
    bytes = 0
  }
  const perRecord = recordBytes(new Uint8Array(0), new Uint8Array(0), headers)
  for (const m of messages(batch)) {
    const size = perRecord + m.key.length + m.value.length
    const limit = limits.get(topics[m.category])
    if (limit !== undefined && size > limit) throw new MessageTooLargeError(m.key.toString(), m.category, topics[m.category], size, limit)
    if (bytes > 0 && bytes + size > requestLimit) flush()
    let list = request.get(m.category)
    if (!list) request.set(m.category, (list = []))
    list.push({ key: m.key, value: m.value, headers: encodedHeaders })
    bytes += size
  }
  flush()
  return out
}
