// The product's sink: each category to `<prefix><category>`, keyed by series,
// through this process's own producer.
import type { Message as KafkaMessage, TopicMessages } from 'kafkajs'

import type { MessageBatch } from '../../index.js'
import { processProducer, type ProducerConfig } from '../kafka/producer.js'
import { CATEGORIES, conclusionTopics, type Category } from '../kafka/topics.js'
import { messages, type SinkWriter } from './types.js'

/** Keeps each produce request well under the broker's default 1 MiB record batch limit. */
const MAX_REQUEST_BYTES = 512 * 1024

export interface KafkaSinkOptions extends ProducerConfig {
  /** Topic prefix: conclusions go to `<prefix><category>`. */
  topicPrefix?: string
}

/** The headers of every conclusion: content type and the producing process. */
export function pidHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', 'conclude-pid': String(process.pid) }
}

/**
 * The batch's messages as produce requests of at most MAX_REQUEST_BYTES each,
 * each category to its topic: what one `send` (or one step of a transaction) carries.
 */
export function produceRequests(batch: MessageBatch, topics: Record<Category, string>, headers: Record<string, string>): TopicMessages[][] {
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
  for (const m of messages(batch)) {
    let list = request.get(m.category)
    if (!list) request.set(m.category, (list = []))
    list.push({ key: m.key, value: m.value, headers })
    bytes += m.key.length + m.value.length + 64
    if (bytes >= MAX_REQUEST_BYTES) flush()
  }
  flush()
  return out
}

export class KafkaSink implements SinkWriter {
  readonly kind = 'kafka'
  readonly target: string
  private readonly topics: Record<Category, string>

  constructor(private readonly options: KafkaSinkOptions) {
    this.topics = conclusionTopics(options.topicPrefix ?? '')
    this.target = options.brokers.join(',')
  }

  /** The producer is created here, on first write, in the process that writes. */
  private get producer() {
    return processProducer(this.options)
  }

  async write(batch: MessageBatch): Promise<void> {
    for (const topicMessages of produceRequests(batch, this.topics, pidHeaders())) await this.producer.send(topicMessages)
  }

  async close(): Promise<void> {
    await this.producer.close()
  }
}
