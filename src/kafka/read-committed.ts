// A fix of kafkajs 2.2.4's read_committed consumer, which can hand out records
// of ABORTED transactions.
//
// A read_committed Fetch response lists the aborted transactions that overlap
// the fetched range as (producerId, firstOffset), in the order of the
// partition's abort index, that is in the order the transactions were ABORTED,
// not by first offset (the Java client sorts them: KAFKA-5126 review, "entries
// in the abort index are sorted by abort order, but not necessarily first
// offset order"). kafkajs's filterAbortedMessages walks that list assuming
// first-offset order and takes at most one entry per record. So when a
// transaction that started early is aborted late, e.g. the open transaction of
// a SIGKILLed producer, aborted by the broker after its transaction timeout,
// while another producer's transaction started and was aborted in between
// (a member fenced during a rebalance), the early transaction's records reach
// the application as if committed. conclude's consumer-group test saw exactly
// this: the killed worker's aborted batch next to the same batch committed by
// its new owner, i.e. a "duplicate" that was never committed twice.
//
// The fix does what the Java client does (Fetcher/CompletedFetch): sort the
// aborted transactions by first offset; before each transactional record
// batch, mark the producers of every aborted transaction that started at or
// before the batch's last offset; drop their transactional records until their
// abort marker. It is applied to the fetch responses (v4-v11, the versions
// with aborted transactions) and to kafkajs's Batch, so every kafkajs consumer
// in the process (conclude's group workers, the tests' readers) is covered once
// installReadCommittedFix() has run: the group worker calls it before it
// creates its consumer. The records stay in the batch's raw list, so
// kafkajs's offset bookkeeping (a batch emptied by filtering still advances)
// is unchanged.
import batchModule from 'kafkajs/src/consumer/batch.js'
import fetchV4 from 'kafkajs/src/protocol/requests/fetch/v4/response.js'
import fetchV5 from 'kafkajs/src/protocol/requests/fetch/v5/response.js'
import fetchV6 from 'kafkajs/src/protocol/requests/fetch/v6/response.js'
import fetchV7 from 'kafkajs/src/protocol/requests/fetch/v7/response.js'
import fetchV8 from 'kafkajs/src/protocol/requests/fetch/v8/response.js'
import fetchV9 from 'kafkajs/src/protocol/requests/fetch/v9/response.js'
import fetchV10 from 'kafkajs/src/protocol/requests/fetch/v10/response.js'
import fetchV11 from 'kafkajs/src/protocol/requests/fetch/v11/response.js'

/** A record as kafkajs's record-batch decoder gives it. */
export interface FetchedRecord {
  offset: string
  key: Buffer | null
  isControlRecord: boolean
  batchContext: { producerId: string; inTransaction: boolean; firstOffset: string; lastOffsetDelta: number }
}

export interface AbortedTransaction {
  producerId: string
  firstOffset: string
}

/** Set on a record that belongs to an aborted transaction. */
const ABORTED = Symbol.for('conclude.kafka.abortedRecord')

/** A control record whose key says ABORT (key: int16 version, int16 type; type 0 is abort, 1 commit). */
function isAbortMarker(r: FetchedRecord): boolean {
  return r.isControlRecord && r.key !== null && r.key.length >= 4 && r.key.readInt16BE(2) === 0
}

/**
 * The records of `records` (in offset order) that belong to aborted
 * transactions, by the Java client's rule. Control records are never in it.
 */
export function abortedRecords<T extends FetchedRecord>(records: T[], aborted: AbortedTransaction[] | null | undefined): Set<T> {
  const out = new Set<T>()
  if (!aborted?.length) return out
  const queue = [...aborted].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0))
  const abortedProducers = new Set<string>()
  let next = 0
  for (const r of records) {
    const ctx = r.batchContext
    if (!ctx?.inTransaction) continue
    const batchLast = BigInt(ctx.firstOffset) + BigInt(ctx.lastOffsetDelta)
    while (next < queue.length && BigInt(queue[next]!.firstOffset) <= batchLast) abortedProducers.add(queue[next++]!.producerId)
    if (r.isControlRecord) {
      if (isAbortMarker(r)) abortedProducers.delete(ctx.producerId)
    } else if (abortedProducers.has(ctx.producerId)) {
      out.add(r)
    }
  }
  return out
}

interface FetchPartition {
  abortedTransactions?: AbortedTransaction[] | null
  messages?: FetchedRecord[]
}
interface FetchResponse {
  responses?: { partitions?: FetchPartition[] }[]
}
interface FetchResponseModule {
  parse: (data: unknown) => Promise<unknown>
  [ABORTED]?: true
}

let installed = false

/** Installs the fix into this process's kafkajs (idempotent). */
export function installReadCommittedFix(): void {
  if (installed) return
  installed = true
  for (const m of [fetchV4, fetchV5, fetchV6, fetchV7, fetchV8, fetchV9, fetchV10, fetchV11] as FetchResponseModule[]) {
    if (m[ABORTED]) continue
    const parse = m.parse
    m.parse = async (data) => {
      const parsed = (await parse(data)) as FetchResponse
      for (const topic of parsed?.responses ?? []) {
        for (const p of topic.partitions ?? []) {
          if (!p.abortedTransactions?.length || !p.messages?.length) continue
          for (const r of abortedRecords(p.messages, p.abortedTransactions)) (r as FetchedRecord & { [ABORTED]?: true })[ABORTED] = true
          // kafkajs's own filter has nothing left to get wrong.
          p.abortedTransactions = []
        }
      }
      return parsed
    }
    m[ABORTED] = true
  }
  // kafkajs's Batch assigns `this.messages` once, in its constructor: keep the aborted records out of it.
  const proto = (batchModule as unknown as { prototype: object }).prototype
  const store = Symbol('messages')
  Object.defineProperty(proto, 'messages', {
    configurable: true,
    get(this: { [store]?: FetchedRecord[] }) {
      return this[store]
    },
    set(this: { [store]?: FetchedRecord[] }, v: FetchedRecord[]) {
      this[store] = Array.isArray(v) ? v.filter((r) => !(r as { [ABORTED]?: true })[ABORTED]) : v
    },
  })
}

