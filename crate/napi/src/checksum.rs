//! CRC-32C for the Kafka produce-request encoder (src/kafka/record-batch.ts): the checksum of
//! every RecordBatch, with the CPU's crc32 instruction where it has one (SSE 4.2, ARMv8 CRC;
//! the `crc32c` crate detects it at run time and falls back to tables).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::input;

/// CRC-32C (Castagnoli) of `data[start, end)`, unsigned. src/kafka/crc32c.ts is the JS entry.
#[napi(catch_unwind, js_name = "crc32cNative", ts_args_type = "data: Buffer | Uint8Array, start: number, end: number")]
pub fn crc32c_native(env: Env, data: Unknown, start: u32, end: u32) -> Result<u32> {
    let bytes = input::borrow(&env, &data)?;
    let (start, end) = (start as usize, end as usize);
    if start > end || end > bytes.len() {
        return Err(napi::Error::new(
            Status::InvalidArg,
            format!("crc32c: the range [{start}, {end}) is not within the {} bytes given", bytes.len()),
        ));
    }
    Ok(crc32c::crc32c(&bytes[start..end]))
}
