// A one-pass encoder of kafkajs 2.2.4's produce requests (v3-v7: the same
// body), RecordBatch v2 (magic 2) per partition, writing the bytes kafkajs's
// own encoder writes into one preallocated Buffer.
//
// kafkajs builds a produce request from an Encoder per record, one per header,
// a `Buffer.from(array)` for every varint, 64-bit arithmetic on BigInt-backed
// Longs for every timestamp delta, and CRC-32C one byte at a time; every layer
// is copied into the next. In group mode that was 49 us per message, a third of
// the engine's own time per batch (docs/group-steady-state.md). Here the sizes
// are computed first (lengths only), then every byte is written once into its
// place; the headers object shared by a batch's messages is encoded once; the
// CRC-32C is the CPU's crc32 instruction, through the addon (src/kafka/crc32c.ts).
//
// Anything this encoder does not handle the way kafkajs does (values other
// than Buffer, string or null; timestamps whose deltas are not integers; an
// unknown compression) falls back to kafkajs's own encoder, so the bytes are
// always kafkajs's: __test__/record-batch.spec.ts compares them on random
// requests. Compressed batches (gzip) are encoded here too and compressed by
// kafkajs's own codec.
//
// Installed by wrapping `protocol` of kafkajs's produce request definition
// (`protocol/requests/produce/index.js`), which every broker looks up anew for
// each produce request: the request object keeps kafkajs's apiKey, version and
// response parser; only its `encode` is ours.
import Encoder from 'kafkajs/src/protocol/encoder.js'
import compressionModule from 'kafkajs/src/protocol/message/compression/index.js'
import produceModule from 'kafkajs/src/protocol/requests/produce/index.js'
import Long from 'kafkajs/src/utils/long.js'

import { crc32c } from './crc32c.js'

/** A message as kafkajs's producer hands it to the produce request. */
export interface ProduceMessage {
  key?: unknown
  value?: unknown
  headers?: unknown
  timestamp?: unknown
}

/** The arguments of kafkajs's produce request (protocol/requests/produce/v3/request.js). */
export interface ProduceRequestArgs {
  acks: number
  timeout: number
  transactionalId?: string | null
  producerId?: unknown
  producerEpoch?: number
  compression?: number
  topicData: { topic: string; partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[] }[]
}

/** kafkajs's Encoder as far as its request framing uses it (`writeEncoder` reads `buf` and `buffer`). */
export interface EncodedRequest {
  buf: Buffer
  buffer: Buffer
  size(): number
}

/** Thrown inside the fast path for input it leaves to kafkajs's own encoder. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('left to kafkajs')

const COMPRESSION_NONE = 0
const COMPRESSION_CODEC_MASK = 0x07
const TRANSACTIONAL_MASK = 16
const MAGIC = 2
/** firstOffset, length, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta, two timestamps, producer id, epoch, first sequence, record count. */
const BATCH_HEADER_BYTES = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4
/** Where the CRC'd part of a batch (from attributes on) starts, from the batch's start. */
const CRC_START = 8 + 4 + 4 + 1 + 4
const NO_HEADERS = Buffer.from([0])

/** Bytes of a zigzag varint of a 32-bit integer, as kafkajs's Encoder.sizeOfVarInt. */
function varIntSize(value: number): number {
  let v = (value << 1) ^ (value >> 31)
  let n = 1
  while ((v & 0xffffff80) !== 0) {
    n++
    v >>>= 7
  }
  return n
}

function writeVarInt(buf: Buffer, off: number, value: number): number {
  let v = (value << 1) ^ (value >> 31)
  while ((v & 0xffffff80) !== 0) {
    buf[off++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[off++] = v
  return off
}

/** kafkajs's varlong of a BigInt (Encoder.writeVarLong on Long's BigInt arithmetic). */
function bigVarLong(value: bigint): number[] {
  let v = (value << 1n) ^ (value >> 63n)
  const out: number[] = []
  while ((v & 0xffffffffffffff80n) !== 0n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(BigInt.asIntN(32, v)) & 0xff)
  return out
}

const SMALL_VARLONG = 2 ** 51

/**
 * A timestamp delta as kafkajs computes it, normalised to what its varlong
 * encodes: a number (exact, |v| < 2^51) or a BigInt.
 */
function deltaValue(delta: unknown): number | bigint {
  if (typeof delta === 'bigint') return delta
  if (typeof delta !== 'number') throw UNSUPPORTED
  if (Number.isNaN(delta)) return 0 // Long.fromValue(NaN) is zero
  if (!Number.isInteger(delta)) throw UNSUPPORTED // kafkajs's BigInt() throws: let it
  return Math.abs(delta) < SMALL_VARLONG ? delta : BigInt(delta)
}

function varLongSize(v: number | bigint): number {
  if (typeof v === 'bigint') return bigVarLong(v).length
  let z = v >= 0 ? v * 2 : -v * 2 - 1
  let n = 1
  while (z >= 128) {
    n++
    z = Math.floor(z / 128)
  }
  return n
}

function writeVarLong(buf: Buffer, off: number, v: number | bigint): number {
  if (typeof v === 'bigint') {
    for (const b of bigVarLong(v)) buf[off++] = b
    return off
  }
  let z = v >= 0 ? v * 2 : -v * 2 - 1
  while (z >= 128) {
    buf[off++] = (z % 128) | 0x80
    z = Math.floor(z / 128)
  }
  buf[off++] = z
  return off
}

/** Byte length of a key or value (-1 for null), as kafkajs's Encoder.sizeOfVarIntBytes reads it. */
function bytesLength(v: unknown): number {
  if (v == null) return -1
  if (Buffer.isBuffer(v)) return v.length
  if (typeof v === 'string') return Buffer.byteLength(v)
  throw UNSUPPORTED
}

function writeBytes(buf: Buffer, off: number, v: unknown, length: number): number {
  off = writeVarInt(buf, off, length)
  if (length <= 0) return off
  if (typeof v === 'string') buf.write(v, off, length, 'utf8')
  else buf.set(v as Buffer, off)
  return off + length
}

function writeInt64(buf: Buffer, off: number, value: unknown): number {
  const l = Long.fromValue(value)
  buf.writeInt32BE(l.getHighBits(), off)
  buf.writeInt32BE(l.getLowBits(), off + 4)
  return off + 8
}

/** A record's headers block as kafkajs's Record writes it: varint count, then varint-length key and value of each. */
function encodeHeaders(headers: unknown): Buffer {
  if (headers === undefined) return NO_HEADERS
  if (headers === null || typeof headers !== 'object') throw UNSUPPORTED
  const entries: [string, unknown][] = []
  for (const key of Object.keys(headers)) {
    const v = (headers as Record<string, unknown>)[key]
    if (Array.isArray(v)) for (const one of v) entries.push([key, one])
    else entries.push([key, v])
  }
  let size = varIntSize(entries.length)
  const lengths: number[] = []
  for (const [k, v] of entries) {
    // kafkajs sizes a value with Buffer.byteLength, which only takes strings and Buffers.
    if (!(typeof v === 'string' || Buffer.isBuffer(v))) throw UNSUPPORTED
    const kl = Buffer.byteLength(k)
    const vl = bytesLength(v)
    lengths.push(kl, vl)
    size += varIntSize(kl) + kl + varIntSize(vl) + vl
  }
  const out = Buffer.allocUnsafe(size)
  let off = writeVarInt(out, 0, entries.length)
  for (let i = 0; i < entries.length; i++) {
    off = writeBytes(out, off, entries[i]![0], lengths[2 * i]!)
    off = writeBytes(out, off, entries[i]![1], lengths[2 * i + 1]!)
  }
  return out
}

/** One partition's record batch, planned: every size known before a byte is written. */
interface PartitionPlan {
  partition: number
  firstSequence: number
  messages: ProduceMessage[]
  firstTimestamp: unknown
  maxTimestamp: unknown
  /** Per record: body size, key length, value length. */
  sizes: Int32Array
  /** Per record, its timestamp delta; null when all are 0. */
  deltas: (number | bigint)[] | null
  headers: Buffer[]
  /** Bytes of the records (uncompressed). */
  recordsBytes: number
  /** The compressed records, for a compressed batch. */
  compressed?: Buffer
}

function planPartition(
  data: { partition: number; firstSequence?: number; messages: ProduceMessage[] },
  headerCache: Map<unknown, Buffer>,
): PartitionPlan {
  const { messages } = data
  if (!Array.isArray(messages)) throw UNSUPPORTED
  const n = messages.length
  // kafkajs: the non-null timestamps, sorted as strings (Array.prototype.sort), else Date.now().
  const dateNow = Date.now()
  const stamps: unknown[] = []
  for (const m of messages) if (m.timestamp != null) stamps.push(m.timestamp)
  stamps.sort()
  const firstTimestamp = stamps.length === 0 ? dateNow : stamps[0]
  const maxTimestamp = stamps.length === 0 ? dateNow : stamps[stamps.length - 1]
  const deltas = stamps.length === 0 ? null : messages.map((m) => deltaValue(((m.timestamp || dateNow) as number) - (firstTimestamp as number)))
  const sizes = new Int32Array(3 * n)
  const headers: Buffer[] = new Array(n)
  let recordsBytes = 0
  for (let i = 0; i < n; i++) {
    const m = messages[i]!
    const keyLength = bytesLength(m.key)
    const valueLength = bytesLength(m.value)
    let h = headerCache.get(m.headers)
    if (h === undefined) headerCache.set(m.headers, (h = encodeHeaders(m.headers)))
    headers[i] = h
    const body =
      1 +
      (deltas === null ? 1 : varLongSize(deltas[i]!)) +
      varIntSize(i) +
      varIntSize(keyLength) +
      Math.max(keyLength, 0) +
      varIntSize(valueLength) +
      Math.max(valueLength, 0) +
      h.length
    sizes[3 * i] = body
    sizes[3 * i + 1] = keyLength
    sizes[3 * i + 2] = valueLength
    recordsBytes += varIntSize(body) + body
  }
  return { partition: data.partition, firstSequence: data.firstSequence ?? 0, messages, firstTimestamp, maxTimestamp, sizes, deltas, headers, recordsBytes }
}

/** Writes the plan's records at `off`; returns the end. */
function writeRecords(buf: Buffer, off: number, p: PartitionPlan): number {
  const { messages, sizes, deltas, headers } = p
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    off = writeVarInt(buf, off, sizes[3 * i]!)
    buf[off++] = 0 // record attributes
    if (deltas === null) buf[off++] = 0
    else off = writeVarLong(buf, off, deltas[i]!)
    off = writeVarInt(buf, off, i)
    off = writeBytes(buf, off, m.key, sizes[3 * i + 1]!)
    off = writeBytes(buf, off, m.value, sizes[3 * i + 2]!)
    const h = headers[i]!
    if (h.length === 1) buf[off++] = h[0]!
    else {
      buf.set(h, off)
      off += h.length
    }
  }
  return off
}

function stringBytes(s: unknown): number {
  if (s == null) return 0
  if (typeof s !== 'string') throw UNSUPPORTED
  return Buffer.byteLength(s, 'utf8')
}

function writeString(buf: Buffer, off: number, s: string | null | undefined, length: number): number {
  if (s == null) {
    buf.writeInt16BE(-1, off)
    return off + 2
  }
  buf.writeInt16BE(length, off)
  buf.write(s, off + 2, length, 'utf8')
  return off + 2 + length
}

/** kafkajs's compression codec for `compression`, or UNSUPPORTED where kafkajs has none. */
function codecOf(compression: number): { compress(encoder: unknown): Promise<Buffer> } {
  let codec: { compress(encoder: unknown): Promise<Buffer> } | null
  try {
    codec = compressionModule.lookupCodec(compression)
  } catch {
    throw UNSUPPORTED
  }
  if (!codec) throw UNSUPPORTED
  return codec
}

/** A kafkajs Encoder holding `buf` (what the request framing and codecs take). */
function asEncoder(buf: Buffer): EncodedRequest {
  const e = new Encoder(1)
  e.buf = buf
  e.offset = buf.length
  return e
}

/**
 * The produce request's body, byte for byte what kafkajs 2.2.4's
 * produce/v3/request.js `encode()` gives for the same arguments.
 * Throws for input it leaves to kafkajs (encodeProduceRequest then falls
 * back to kafkajs's encoder, which gives its own bytes or its own error).
 */
export async function encodeProduceRequestFast(args: ProduceRequestArgs): Promise<EncodedRequest> {
  // The defaults of kafkajs's request and RecordBatch.
  const { acks, timeout, transactionalId = null, producerId = -1, producerEpoch = 0, compression = COMPRESSION_NONE, topicData } = args
  if (!Array.isArray(topicData)) throw UNSUPPORTED
  const codec = compression === COMPRESSION_NONE ? null : codecOf(compression)
  const attributes = (compression & COMPRESSION_CODEC_MASK) | (transactionalId ? TRANSACTIONAL_MASK : 0)
  const headerCache = new Map<unknown, Buffer>()
  const idBytes = stringBytes(transactionalId)
  let total = 2 + idBytes + 2 + 4 + 4
  const topicBytes: number[] = []
  const plans: PartitionPlan[][] = []
  for (const t of topicData) {
    if (!Array.isArray(t.partitions)) throw UNSUPPORTED
    const tb = stringBytes(t.topic)
    topicBytes.push(tb)
    total += 2 + tb + 4
    const parts: PartitionPlan[] = []
    for (const data of t.partitions) {
      const p = planPartition(data, headerCache)
      if (codec) {
        const records = Buffer.allocUnsafe(p.recordsBytes)
        writeRecords(records, 0, p)
        p.compressed = await codec.compress(asEncoder(records))
      }
      total += 4 + 4 + BATCH_HEADER_BYTES + (p.compressed ? p.compressed.length : p.recordsBytes)
      parts.push(p)
    }
    plans.push(parts)
  }
  const buf = Buffer.allocUnsafe(total)
  let off = writeString(buf, 0, transactionalId, idBytes)
  buf.writeInt16BE(acks, off)
  buf.writeInt32BE(timeout, off + 2)
  buf.writeInt32BE(topicData.length, off + 6)
  off += 10
  for (let ti = 0; ti < topicData.length; ti++) {
    const parts = plans[ti]!
    off = writeString(buf, off, topicData[ti]!.topic, topicBytes[ti]!)
    buf.writeInt32BE(parts.length, off)
    off += 4
    for (const p of parts) {
      const recordsLength = p.compressed ? p.compressed.length : p.recordsBytes
      const batchBytes = BATCH_HEADER_BYTES + recordsLength
      buf.writeInt32BE(p.partition, off)
      buf.writeInt32BE(batchBytes, off + 4)
      const start = off + 8
      off = writeInt64(buf, start, 0) // first offset
      buf.writeInt32BE(batchBytes - 12, off) // length of what follows
      buf.writeInt32BE(0, off + 4) // partition leader epoch
      buf.writeInt8(MAGIC, off + 8)
      off = start + CRC_START
      buf.writeInt16BE(attributes, off)
      buf.writeInt32BE(p.messages.length - 1, off + 2) // last offset delta
      off = writeInt64(buf, off + 6, p.firstTimestamp)
      off = writeInt64(buf, off, p.maxTimestamp)
      off = writeInt64(buf, off, producerId)
      buf.writeInt16BE(producerEpoch, off)
      buf.writeInt32BE(p.firstSequence, off + 2)
      buf.writeInt32BE(p.messages.length, off + 6)
      off += 10
      if (p.compressed) {
        buf.set(p.compressed, off)
        off += p.compressed.length
      } else {
        off = writeRecords(buf, off, p)
      }
      buf.writeUInt32BE(crc32c(buf, start + CRC_START, off), start + CRC_START - 4)
    }
  }
  if (off !== total) throw new Error(`produce request encoder: wrote ${off} bytes of ${total} planned`)
  return asEncoder(buf)
}

/** Requests encoded here and left to kafkajs since installation (the round-trip test reads it). */
export const encoderCounts = { fast: 0, kafkajs: 0 }

/**
 * The produce request's body: encodeProduceRequestFast's, or kafkajs's own
 * (`fallback`) for the input it leaves to kafkajs.
 */
export async function encodeProduceRequest(args: ProduceRequestArgs, fallback: () => Promise<EncodedRequest>): Promise<EncodedRequest> {
  let encoded: EncodedRequest
  try {
    encoded = await encodeProduceRequestFast(args)
  } catch {
    // Unsupported input, or input kafkajs rejects too: its encoder gives its bytes or its error.
    encoderCounts.kafkajs++
    return fallback()
  }
  encoderCounts.fast++
  return encoded
}

type ProduceProtocol = (o: { version: number }) => (args: ProduceRequestArgs) => { request: { encode: () => Promise<EncodedRequest> }; response: unknown }
const INSTALLED = Symbol.for('conclude.kafka.recordBatchEncoder')

/** Makes every produce request (v3 and later) of this process's kafkajs use the one-pass encoder (idempotent). */
export function installRecordBatchEncoder(): void {
  const m = produceModule as { protocol: ProduceProtocol; [INSTALLED]?: true }
  if (m[INSTALLED]) return
  const protocol = m.protocol
  m.protocol = ({ version }) => {
    const make = protocol({ version })
    if (version < 3) return make
    return (args) => {
      const made = make(args)
      const theirs = made.request.encode
      made.request.encode = () => encodeProduceRequest(args, theirs)
      return made
    }
  }
  m[INSTALLED] = true
}
