// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a Kafka
// RecordBatch v2. Slice-by-8: eight 256-entry tables, eight input bytes per step
// (kafkajs 2.2.4's crc32C takes one byte per step: bench/produce-encoding.ts
// measures both).

const POLY = 0x82f63b78

/** TABLES[k * 256 + b]: the CRC of byte b followed by k zero bytes. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[b] = c
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b]!
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff]!
    }
  }
  return t
})()

/** CRC-32C of `data[start, end)`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES
  let crc = -1
  let i = start
  for (const last8 = end - 8; i <= last8; i += 8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!
  }
  for (; i < end; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
