// The product's sink: each category to `<prefix><category>`, keyed by series,
// through this process's own producer (requests built in ../kafka/requests.ts).
import type { MessageBatch } from '../../index.js'
import type { Category } from '../conclusions.js'
import { processProducer, type ProducerConfig } from '../kafka/producer.js'
import { pidHeaders, produceRequests } from '../kafka/requests.js'
import { conclusionTopics } from '../kafka/topics.js'
import type { SendProgress, SinkWriter } from './types.js'

export interface KafkaSinkOptions extends ProducerConfig {
  /** Topic prefix: conclusions go to `<prefix><category>`. */
  topicPrefix?: string
}

export class KafkaSink implements SinkWriter {
  readonly kind = 'kafka'
  readonly target: string
  private readonly topics: Record<Category, string>
  private preparing?: Promise<void>

  constructor(private readonly options: KafkaSinkOptions) {
    this.topics = conclusionTopics(options.topicPrefix ?? '')
    this.target = options.brokers.join(',')
  }

  /** The producer is created here, on first write, in the process that writes. */
  private get producer() {
    return processProducer(this.options)
  }

  /** Connects and makes sure of the topics now, while the first batch is being analysed. */
  prepare(): void {
    this.preparing ??= this.producer.prepare(Object.values(this.topics))
  }

  /** Sends the batch request by request, telling `progress` of each before it goes out. */
  async write(batch: MessageBatch, progress?: SendProgress): Promise<void> {
    // Not two admin clients at once making sure of the same topics.
    await this.preparing
    const limits = await this.producer.ensureTopics(Object.values(this.topics))
    for (const topicMessages of produceRequests(batch, this.topics, pidHeaders(), limits)) {
      const n = topicMessages.reduce((k, t) => k + t.messages.length, 0)
      progress?.onRequest(n)
      await this.producer.send(topicMessages)
    }
  }

  async close(): Promise<void> {
    await this.producer.close()
  }
}
