// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a Kafka
// RecordBatch v2, computed natively: the crc32 instruction of SSE 4.2 or ARMv8 where the CPU has
// it (crate/napi/src/checksum.rs). As a slice-by-8 table loop in JS it was the largest JS cost
// of a worker sending many small conclusions (94 ms per 100,000 summaries).
// bench/produce-encoding.ts measures kafkajs's own, one byte per step, against this.
import { crc32cNative } from '../../index.js'

/** CRC-32C of `data[start, end)`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= data.length)) {
    throw new RangeError(`crc32c: the range [${start}, ${end}) is not within the ${data.length} bytes given`)
  }
  return crc32cNative(data, start, end)
}
