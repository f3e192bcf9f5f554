// kafkajs 2.2.4 groups each send's messages by partition with
//
//   messages.reduce((result, message) => {
//     const current = result[partition] || []
//     return Object.assign(result, { [partition]: [...current, message] })
//   }, {})
//
// which copies a partition's array for every message: quadratic in the messages of one
// partition in one request. A 512 KiB request of 1,600 summaries to one partition makes 1.3 M
// element copies and 1,600 arrays for the GC. In a `conclude run --categories summary`
// worker's CPU profile it was the largest single cost (176 ms of 0.85 s of JS), above the
// produce-request encoding itself.
//
// kafkajs's sendMessages.js binds the function when it is loaded, so the linear replacement is
// put into Node's module cache, as the exports of kafkajs's own module, before kafkajs's
// producer loads: conclude's modules import kafkajs through ./kafkajs.ts, which imports this
// module first. A process that loaded kafkajs before conclude keeps kafkajs's own grouping,
// which gives the same result more slowly (`linearGrouping` says which one the process has).
import Module from 'node:module'
import { dirname, join } from 'node:path'

import type { Message } from 'kafkajs'
import kafkajsGrouping from 'kafkajs/src/producer/groupMessagesPerPartition.js'

export interface GroupArgs {
  topic: string
  partitionMetadata: unknown[]
  messages: Message[]
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: Message }) => number
}

/**
 * kafkajs's groupMessagesPerPartition in linear time: the partitioner is called once per
 * message, in order, and each partition's messages keep their order.
 */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, Message[]> {
  if (partitionMetadata.length === 0) return {}
  const result: Record<number, Message[]> = {}
  // forEach, as reduce, skips the holes of a sparse array.
  messages.forEach((message) => {
    const partition = partitioner({ topic, partitionMetadata, message })
    const current = Object.hasOwn(result, partition) ? result[partition] : undefined
    if (current) current.push(message)
    else result[partition] = [message]
  })
  return result
}

/** Calls of the linear grouping in this process (the specs check that sends go through it). */
export const groupingCounts = { calls: 0 }

const LINEAR = Symbol.for('conclude.kafka.linearGrouping')

// Loading kafkajs's own module loads nothing else; its entry in the module cache (the one
// CommonJS and ES modules share) is where sendMessages.js will find its grouping.
const cache = (Module as unknown as { _cache: Record<string, NodeJS.Module | undefined> })._cache
const entry = Object.values(cache).find((m) => m?.exports === kafkajsGrouping)
if (entry && !cache[join(dirname(entry.filename), 'sendMessages.js')]) {
  entry.exports = Object.assign(
    (args: GroupArgs) => {
      groupingCounts.calls++
      return groupMessagesPerPartition(args)
    },
    { [LINEAR]: true },
  )
}

/**
 * Whether this process's kafkajs producers group with groupMessagesPerPartition above: false
 * when kafkajs's producer was loaded first, unless another copy of this module had seeded it.
 */
export const linearGrouping: boolean = (entry?.exports as { [LINEAR]?: true } | undefined)?.[LINEAR] === true
