//! Results reach JavaScript as JSON text parsed by V8's `JSON.parse`, and
//! `analyze` hands them over a chunk per event-loop turn.
//!
//! Building the objects through napi costs about a microsecond per field on
//! the JS thread; `JSON.parse` of the same conclusions, serialized by the
//! engine, is several times faster. `analyzeNative` parses the whole result at
//! once. `analyze` serializes on the pool, in chunks of [`CHUNK`] conclusions:
//! the first chunk is parsed when the promise settles and, when more remain,
//! the rest follow one chunk per `setImmediate` callback, so timers and I/O
//! run between chunks (the event loop is the Kafka producer's I/O thread).
//! An AbortSignal that fires meanwhile rejects the promise.
//!
//! A number that is not finite (reachable only with extreme inputs) is
//! `null`, as in the Kafka messages and the CLI's JSON.
//!
//! A timestamp held as an integer beyond ±(2^53 − 1) (e.g. epoch nanoseconds), which a JS
//! `number` would round, reaches JS as a `BigInt`: the engine writes it as a string of its digits
//! ([`WideTs::Quoted`](conclude_engine::output::WideTs)) and [`Wide`] replaces that string with
//! the `BigInt` after parsing. Every other timestamp is a `number`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use conclude_engine::engine::{panic_message, Analysis};
use conclude_engine::options::Category;
use conclude_engine::output::{for_each, wide_ts, write_conclusion, Conclusion, WideTs};
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi::{JsDeferred, JsString, JsValue};

use crate::convert::AnalysisStats;
use crate::js_error;

/// Conclusions parsed per event-loop turn: well under a millisecond of JS-thread time.
pub const CHUNK: usize = 256;

/// `JSON.parse(text)` on the JS thread.
pub fn json_parse<'env>(env: &'env Env, text: &[u8]) -> Result<Unknown<'env>> {
    let text = std::str::from_utf8(text).map_err(|e| Error::from_reason(format!("result JSON is not UTF-8: {e}")))?;
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<JsString, Unknown> = json.get_named_property("parse")?;
    parse.call(env.create_string(text)?)
}

/// The wide integer timestamps of parsed conclusions: `(conclusion index, field, value)`.
#[derive(Default)]
pub struct Wide(Vec<(usize, &'static str, i64)>);

impl Wide {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Notes the wide timestamps of the conclusion at `index`.
    pub fn note(&mut self, index: usize, c: &Conclusion<'_>) {
        self.0.extend(wide_ts(c).map(|(field, t)| (index, field, t)));
    }

    /// Replaces the strings the engine wrote for them with `BigInt`s, in `parsed` (the array of
    /// the conclusions, as `JSON.parse` made it).
    pub fn apply(&self, parsed: &Array) -> Result<()> {
        for &(index, field, t) in &self.0 {
            let mut conclusion: Object =
                parsed.get(index as u32)?.ok_or_else(|| Error::from_reason("no conclusion"))?;
            conclusion.set(field, BigInt::from(t))?;
        }
        Ok(())
    }
}

/// The wide timestamps of each category's conclusions, in [`Category::ALL`] order.
pub fn wide_by_category(a: &Analysis) -> Vec<Wide> {
    Category::ALL
        .into_iter()
        .map(|c| {
            let mut wide = Wide::default();
            if a.options.wants(c) {
                let mut index = 0;
                for_each(a, c, |_, conclusion| {
                    wide.note(index, &conclusion);
                    index += 1;
                });
            }
            wide
        })
        .collect()
}

/// Up to [`CHUNK`] conclusions of one category, as a JSON array.
struct Chunk {
    category: usize,
    count: usize,
    json: Vec<u8>,
    wide: Wide,
}

/// The result serialized on the pool, ready to be handed over.
pub struct Prepared {
    chunks: VecDeque<Chunk>,
    stats: Option<AnalysisStats>,
}

/// Serializes the conclusions in chunks of [`CHUNK`] (runs on the pool).
pub fn prepare(a: Analysis) -> Prepared {
    let mut chunks = VecDeque::new();
    for (category, c) in Category::ALL.into_iter().enumerate() {
        if !a.options.wants(c) {
            continue;
        }
        let mut current: Option<Chunk> = None;
        for_each(&a, c, |series, conclusion| {
            let chunk =
                current.get_or_insert_with(|| Chunk { category, count: 0, json: vec![b'['], wide: Wide::default() });
            if chunk.count > 0 {
                chunk.json.push(b',');
            }
            write_conclusion(&mut chunk.json, series, conclusion, None, WideTs::Quoted);
            chunk.wide.note(chunk.count, &conclusion);
            chunk.count += 1;
            if chunk.count == CHUNK {
                let mut full = current.take().expect("a chunk is open");
                full.json.push(b']');
                chunks.push_back(full);
            }
        });
        if let Some(mut last) = current {
            last.json.push(b']');
            chunks.push_back(last);
        }
    }
    Prepared { chunks, stats: Some(AnalysisStats::from(&a.stats)) }
}

pub const KEYS: [&str; 4] = ["summary", "anomaly", "changepoint", "trend"];

impl Prepared {
    /// Parses chunks totalling at most `budget` conclusions (at least one chunk)
    /// and appends them to the result's arrays; true once all are there.
    fn fill(&mut self, env: &Env, result: &Object, budget: usize) -> Result<bool> {
        let mut used = 0;
        while let Some(chunk) = self.chunks.front() {
            if used > 0 && used + chunk.count > budget {
                break;
            }
            let chunk = self.chunks.pop_front().expect("front exists");
            used += chunk.count;
            let parsed = Array::from_unknown(json_parse(env, &chunk.json)?)?;
            chunk.wide.apply(&parsed)?;
            let mut target: Array = result.get_named_property(KEYS[chunk.category])?;
            for i in 0..parsed.len() {
                target.insert(parsed.get::<Unknown>(i)?)?;
            }
        }
        Ok(self.chunks.is_empty())
    }
}

type Resolver = Box<dyn FnOnce(Env) -> Result<ObjectRef> + Send>;
type Settle = JsDeferred<ObjectRef, Resolver>;

/// What a scheduled step needs between turns.
struct Delivery {
    pending: Prepared,
    /// The result object, kept alive across turns; taken when the promise settles.
    result: Option<ObjectRef>,
    settle: Option<Settle>,
    cancel: Arc<AtomicBool>,
}

enum Step {
    More,
    End(End),
}

/// How a delivery ends.
enum End {
    Done,
    Aborted,
    Failed(Error),
}

/// The JS value `analyze` resolves with: the result itself when it fits in
/// one chunk, else a promise of it that later turns fulfil.
pub fn deliver(env: &Env, mut pending: Prepared, cancel: Arc<AtomicBool>) -> Result<ObjectRef> {
    let mut result = Object::new(env)?;
    for key in KEYS {
        result.set(key, env.create_array(0)?)?;
    }
    result.set("stats", pending.stats.take())?;
    if pending.fill(env, &result, CHUNK)? {
        return result.create_ref();
    }
    let (settle, promise) = env.create_deferred()?;
    let delivery = Delivery { pending, result: Some(result.create_ref()?), settle: Some(settle), cancel };
    let state = Rc::new(RefCell::new(delivery));
    let step: Function<Unknown, ()> =
        env.create_function_from_closure("concludeDeliverChunk", move |ctx: FunctionCallContext| {
            let itself: Unknown = ctx.get(0)?;
            let mut d = state.borrow_mut();
            let step = catch_unwind(AssertUnwindSafe(|| d.step(ctx.env))).unwrap_or_else(|p| {
                Step::End(End::Failed(Error::from_reason(format!(
                    "panic while converting results: {}",
                    panic_message(&*p)
                ))))
            });
            match step {
                Step::More => schedule(ctx.env, itself),
                Step::End(end) => d.settle(ctx.env, end),
            }
        })?;
    schedule(env, step.to_unknown())?;
    promise.create_ref()
}

impl Delivery {
    /// Converts one chunk.
    fn step(&mut self, env: &Env) -> Step {
        if self.cancel.load(Ordering::Relaxed) {
            return Step::End(End::Aborted);
        }
        let Some(result) = &self.result else {
            return Step::End(End::Failed(Error::from_reason("result already settled")));
        };
        match result.get_value(env).and_then(|r| self.pending.fill(env, &r, CHUNK)) {
            Ok(true) => Step::End(End::Done),
            Ok(false) => Step::More,
            Err(e) => Step::End(End::Failed(e)),
        }
    }

    /// Settles the promise once and releases the result's reference.
    fn settle(&mut self, env: &Env, end: End) -> Result<()> {
        let (Some(settle), Some(result)) = (self.settle.take(), self.result.take()) else { return Ok(()) };
        let resolver: Resolver = match end {
            // Converting the reference to the JS value releases it.
            End::Done => Box::new(move |_env| Ok(result)),
            End::Aborted => {
                result.unref(env)?;
                Box::new(|env| Err(js_error(&env, EngineError::aborted())))
            }
            End::Failed(e) => {
                result.unref(env)?;
                Box::new(move |env| Err(js_error(&env, EngineError::internal(e.reason.clone()))))
            }
        };
        settle.resolve(resolver);
        Ok(())
    }
}

/// `setImmediate(step, step)`: the step receives itself to schedule the next turn.
fn schedule(env: &Env, step: Unknown) -> Result<()> {
    let set_immediate: Function<FnArgs<(Unknown, Unknown)>, Unknown> =
        env.get_global()?.get_named_property("setImmediate")?;
    set_immediate.call((step, step).into())?;
    Ok(())
}
