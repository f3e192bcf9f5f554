// Topic names, validated against Kafka's own rules before any use.
import { CATEGORIES, type Category } from '../conclusions.js'

const LEGAL = /^[a-zA-Z0-9._-]+$/
/** Kafka's limit (249) minus nothing: the broker rejects longer names. */
const MAX_LENGTH = 249

export class TopicNameError extends Error {
  readonly code = 'ERR_CONCLUDE_TOPIC'
  constructor(readonly topic: string, reason: string) {
    super(`invalid Kafka topic name ${JSON.stringify(topic)}: ${reason}`)
    this.name = 'TopicNameError'
  }
}

/** Throws a TopicNameError unless `name` is a legal Kafka topic name. */
export function validateTopic(name: string): string {
  if (name.length === 0) throw new TopicNameError(name, 'it is empty')
  if (name === '.' || name === '..') throw new TopicNameError(name, "'.' and '..' are reserved")
  if (name.length > MAX_LENGTH) throw new TopicNameError(name, `it is ${name.length} characters long, the limit is ${MAX_LENGTH}`)
  if (!LEGAL.test(name)) {
    const bad = [...name].find((c) => !/[a-zA-Z0-9._-]/.test(c))
    throw new TopicNameError(name, `character ${JSON.stringify(bad)} is not allowed (only ASCII letters, digits, '.', '_' and '-')`)
  }
  return name
}

/** The topic of each category under `prefix`, all validated. */
export function conclusionTopics(prefix: string): Record<Category, string> {
  const out = {} as Record<Category, string>
  for (const c of CATEGORIES) out[c] = validateTopic(`${prefix}${c}`)
  return out
}
