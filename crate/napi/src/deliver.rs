//! Results reach JavaScript as JSON text parsed by V8's `JSON.parse`.
//!
//! Building the objects through napi costs about a microsecond per field on
//! the JS thread; `JSON.parse` of the same conclusions, serialized by the
//! engine, is several times faster. `analyzeNative` parses the whole result at
//! once. `analyze` serializes on the pool, in JSON arrays of [`CHUNK`]
//! conclusions back to back in one buffer ([`Prepared::into_js`]); the loader
//! (`index.js`) parses them a chunk per event-loop turn, so that timers and I/O
//! run between chunks (the event loop is the Kafka producer's I/O thread).
//!
//! A number that is not finite (reachable only with extreme inputs) is
//! `null`, as in the Kafka messages and the CLI's JSON.

use conclude_engine::engine::Analysis;
use conclude_engine::options::Category;
use conclude_engine::output::{for_each, write_conclusion};
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi::JsString;

use crate::convert::AnalysisStats;

/// Conclusions parsed per event-loop turn: well under a millisecond of JS-thread time.
pub const CHUNK: usize = 256;

/// `JSON.parse(text)` on the JS thread.
pub fn json_parse<'env>(env: &'env Env, text: &[u8]) -> Result<Unknown<'env>> {
    let text = std::str::from_utf8(text).map_err(|e| Error::from_reason(format!("result JSON is not UTF-8: {e}")))?;
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<JsString, Unknown> = json.get_named_property("parse")?;
    parse.call(env.create_string(text)?)
}

/// The result as Rust data, made on the pool; [`Prepared::into_js`] is what the native `analyze`
/// and `analyzeColumns` resolve with, and the loader turns into the `AnalysisResult`.
pub struct Prepared {
    data: Vec<u8>,
    index: Vec<u32>,
    stats: AnalysisStats,
}

impl Prepared {
    /// `{ data, index, turn, stats }`, built by hand so that this internal shape stays out of
    /// `index.d.ts`: `data` holds JSON arrays of conclusions back to back (UTF-8); for chunk `i`,
    /// `index[4*i .. 4*i+4]` is `[category, start, end, conclusions]` (category 0..3 = summary,
    /// anomaly, changepoint, trend; the byte range of its array in `data`; how many conclusions
    /// it holds); `turn` is how many conclusions the loader parses per event-loop turn.
    pub fn into_js(self, env: &Env) -> Result<ObjectRef> {
        let mut out = Object::new(env)?;
        out.set("data", Buffer::from(self.data))?;
        out.set("index", Uint32Array::new(self.index))?;
        out.set("turn", CHUNK as u32)?;
        out.set("stats", self.stats)?;
        out.create_ref()
    }
}

/// Serializes the conclusions in chunks of [`CHUNK`] (runs on the pool).
pub fn prepare(a: Analysis) -> std::result::Result<Prepared, EngineError> {
    let (mut data, mut index) = (Vec::new(), Vec::<u32>::new());
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
        for_each(&a, c, |series, conclusion| {
            let (start, count) = open.get_or_insert((data.len(), 0));
            data.push(if *count == 0 { b'[' } else { b',' });
            write_conclusion(&mut data, series, conclusion, None);
            *count += 1;
            if *count == CHUNK {
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
    Ok(Prepared { data, index, stats: AnalysisStats::from(&a.stats) })
}
