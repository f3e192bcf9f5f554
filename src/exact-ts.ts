// Integer timestamps beyond ±(2^53 − 1) (epoch nanoseconds) through JSON text in JS, exactly.
// The engine writes them as JSON integer digits in Kafka messages and files; `JSON.parse` would
// round them to the nearest double, and `JSON.stringify` cannot write a bigint. These helpers
// make such a `ts` / `firstTs` / `lastTs` a `bigint` (as the binding's results carry them) and
// write it back as its digits. Every other number is untouched.
import { randomUUID } from 'node:crypto'

/** The timestamp fields of a conclusion. */
const TS_FIELDS = new Set(['ts', 'firstTs', 'lastTs'])
/** A timestamp field holding an integer of 16 digits or more (2^53 has 16). */
const WIDE_TS = /"(ts|firstTs|lastTs)":(\s*)(-?\d{16,})(?=\s*[,}\]])/g
const MAX = BigInt(Number.MAX_SAFE_INTEGER)

/** A timestamp as the binding gives it: a `number` when exact as one, else a `bigint`. */
export function exactTs(digits: string): number | bigint {
  const t = BigInt(digits)
  return t >= -MAX && t <= MAX ? Number(t) : t
}

/**
 * `JSON.parse` of a conclusion (or a result, or an array of them) with integer timestamps beyond
 * ±(2^53 − 1) as `bigint`s. The pattern only matches a key, never text inside a string: JSON
 * escapes every `"` within one.
 */
export function parseExactTs(text: string): any {
  if (!/\d{16}/.test(text)) return JSON.parse(text)
  const quoted = text.replace(WIDE_TS, '"$1":$2"$3"')
  return JSON.parse(quoted, (key, value) => (TS_FIELDS.has(key) && typeof value === 'string' && /^-?\d+$/.test(value) ? exactTs(value) : value))
}

/** `JSON.stringify` that writes a `bigint` as its digits (a JSON integer) instead of throwing. */
export function stringifyExactTs(value: unknown, space?: number): string {
  // A marker no input can contain: a fresh random UUID.
  const mark = `bigint-${randomUUID()}:`
  let used = false
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? ((used = true), mark + v.toString()) : v), space)
  return used ? text.replaceAll(new RegExp(`"${mark}(-?\\d+)"`, 'g'), '$1') : text
}
