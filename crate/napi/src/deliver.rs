//! Results reach JavaScript as JSON text parsed by V8's `JSON.parse`.
//!
//! Building the objects through napi costs about a microsecond per field on
//! the JS thread; `JSON.parse` of the same conclusions, serialized by the
//! engine, is several times faster. Every analysis that returns conclusions
//! resolves (or returns) [`Prepared::into_js`]: JSON arrays of conclusions back
//! to back in one buffer, serialized on the pool for `analyze` and
//! `analyzeColumns`. The loader (`index.js`) parses them: `analyzeNative`'s
//! at once (one array per category), `analyze`'s [`CHUNK`] conclusions per
//! event-loop turn, so that timers and I/O run between chunks (the event loop
//! is the Kafka producer's I/O thread).
//!
//! A number that is not finite (reachable only with extreme inputs) is
//! `null`, as in the Kafka messages and the CLI's JSON.
//!
//! A timestamp held as an integer beyond ±(2^53 − 1) (e.g. epoch nanoseconds), which a JS
//! `number` would round, reaches JS as a `BigInt`: the engine writes it as a string of its digits
//! ([`WideTs::Quoted`]) and lists where ([`Prepared`]'s `wide`), and the loader replaces each
//! such string with `BigInt(string)` after parsing. Every other timestamp is a `number`.

use conclude_engine::engine::Analysis;
use conclude_engine::options::Category;
use conclude_engine::output::{for_each, wide_ts, write_conclusion, WideTs};
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;

use crate::convert::AnalysisStats;

/// Conclusions parsed per event-loop turn by `analyze`: well under a millisecond of JS-thread time.
pub const CHUNK: usize = 256;

/// The fields that [`wide_ts`] names, by their code in [`Prepared`]'s `wide`.
const WIDE_FIELDS: [&str; 3] = ["ts", "firstTs", "lastTs"];

/// The result as Rust data, made on the pool (or, for the sync calls, while the JS thread waits);
/// [`Prepared::into_js`] is what the native calls return, and the loader turns into the
/// `AnalysisResult`.
pub struct Prepared {
    data: Vec<u8>,
    index: Vec<u32>,
    wide: Vec<u32>,
    stats: AnalysisStats,
}

impl Prepared {
    /// `{ text, index, wide, fields, turn, stats }`, built by hand so that this internal shape
    /// stays out of `index.d.ts`: the JSON arrays of conclusions lie back to back in one buffer
    /// that `text(start, end)` reads (as a string); for chunk `i`, `index[4*i .. 4*i+4]` is
    /// `[category, start, end, conclusions]` (category 0..3 = summary, anomaly, changepoint,
    /// trend; the byte range of its array; how many conclusions it holds). Each wide timestamp is
    /// `[chunk, conclusion in the chunk, field]` in `wide`, in chunk order, `fields[field]` its
    /// name, written as a string of its digits; `turn` is how many conclusions `analyze`'s loader
    /// parses per event-loop turn.
    ///
    /// The buffer stays Rust's (freed with `text`) instead of becoming a `Buffer`: V8 counts a
    /// `Buffer`'s bytes as external memory, and tens of MB arriving at once made it finalize a
    /// whole mark-compact in one pause (40-60 ms on the `many` workload, `bench/delivery.ts`).
    pub fn into_js(self, env: &Env) -> Result<Object<'_>> {
        let mut out = Object::new(env)?;
        let data = self.data;
        let text = env.create_function_from_closure::<FnArgs<(u32, u32)>, String, _>("text", move |call| {
            let (start, end) = (call.get::<u32>(0)? as usize, call.get::<u32>(1)? as usize);
            let bytes = data.get(start..end).ok_or_else(|| Error::from_reason("result text: no such range"))?;
            let text = std::str::from_utf8(bytes).map_err(|e| Error::from_reason(format!("result text: {e}")))?;
            Ok(text.to_owned())
        })?;
        out.set("text", text)?;
        out.set("index", Uint32Array::new(self.index))?;
        out.set("wide", Uint32Array::new(self.wide))?;
        out.set("fields", WIDE_FIELDS.to_vec())?;
        out.set("turn", CHUNK as u32)?;
        out.set("stats", self.stats)?;
        Ok(out)
    }
}

/// Serializes the conclusions in chunks of up to `chunk` conclusions.
pub fn prepare(a: &Analysis, chunk: usize) -> std::result::Result<Prepared, EngineError> {
    let (mut data, mut index, mut wide) = (Vec::new(), Vec::<u32>::new(), Vec::<u32>::new());
    for (category, c) in Category::ALL.into_iter().enumerate() {
        if !a.options.wants(c) {
            continue;
        }
        // The open chunk: where its array starts and how many conclusions it has.
        let mut open: Option<(usize, usize)> = None;
        let close = |data: &mut Vec<u8>, index: &mut Vec<u32>, (start, count): (usize, usize)| {
            data.push(b']');
            index.extend([category, start, data.len(), count].map(|v| v as u32));
        };
        for_each(a, c, |series, conclusion| {
            let (start, count) = open.get_or_insert((data.len(), 0));
            data.push(if *count == 0 { b'[' } else { b',' });
            write_conclusion(&mut data, series, conclusion, None, WideTs::Quoted);
            for (field, _) in wide_ts(&conclusion) {
                let code = WIDE_FIELDS.iter().position(|f| *f == field).expect("a field of WIDE_FIELDS");
                wide.extend([index.len() / 4, *count, code].map(|v| v as u32));
            }
            *count += 1;
            if *count == chunk {
                let full = (*start, *count);
                open = None;
                close(&mut data, &mut index, full);
            }
        });
        if let Some(last) = open {
            close(&mut data, &mut index, last);
        }
    }
    // Checked at the end: a wrapped offset is only ever written when this fails.
    if u32::try_from(data.len()).is_err() {
        return Err(EngineError::internal(format!("the result's JSON is {} bytes: over 4 GiB", data.len())));
    }
    Ok(Prepared { data, index, wide, stats: AnalysisStats::from(&a.stats) })
}
