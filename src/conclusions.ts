// The four kinds of conclusion, in the engine's order (its `counts` and the
// category byte of every message index entry use it), and the decoder of the
// engine's ready-made messages: the one place that knows either.
import type { MessageBatch } from '../index.js'

export const CATEGORIES = ['summary', 'anomaly', 'changepoint', 'trend'] as const
export type Category = (typeof CATEGORIES)[number]

/** Conclusions counted by category. */
export type Tally = Record<Category, number>

export function emptyTally(): Tally {
  return { summary: 0, anomaly: 0, changepoint: 0, trend: 0 }
}

/** Adds the engine's `counts` (one number per category, in CATEGORIES order) to `tally`. */
export function addCounts(tally: Tally, counts: readonly number[]): void {
  counts.forEach((n, i) => (tally[CATEGORIES[i]!] += n))
}

export function tallyTotal(tally: Tally): number {
  return CATEGORIES.reduce((n, c) => n + tally[c], 0)
}

/** One conclusion as the engine serialised it: the series name is the key, the JSON object the value. */
export interface Message {
  category: Category
  key: Buffer
  value: Buffer
}

/** The batch's messages as zero-copy views into its data buffer (index: 5 numbers per message). */
export function* messages(batch: MessageBatch): Generator<Message> {
  const { data, index } = batch
  for (let i = 0; i + 5 <= index.length; i += 5) {
    yield {
      category: CATEGORIES[index[i]!]!,
      key: data.subarray(index[i + 1]!, index[i + 2]!),
      value: data.subarray(index[i + 3]!, index[i + 4]!),
    }
  }
}
