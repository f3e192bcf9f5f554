//! `analyze` hands its result to JavaScript a chunk per event-loop turn.
//!
//! Building one JS object per conclusion costs the JS thread about a
//! microsecond per field; a batch with 100k conclusions would hold the event
//! loop for tens of milliseconds in one go, which is the very starvation
//! `analyze` exists to avoid (the loop is the Kafka producer's I/O thread).
//! So the first [`CHUNK`] conclusions go into the result's arrays at once and,
//! when more remain, the rest follow `CHUNK` at a time from `setImmediate`
//! callbacks, letting timers and I/O run between chunks; the promise settles
//! with the complete result. An AbortSignal that fires meanwhile rejects it.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::vec::IntoIter;

use conclude_engine::engine::panic_message;
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi::{JsDeferred, JsValue};

use crate::convert::{AnalysisResult, AnomalyConclusion, ChangepointConclusion, SummaryConclusion, TrendConclusion};
use crate::js_error;

/// Conclusions converted per event-loop turn: well under a millisecond of JS-thread time.
pub const CHUNK: usize = 256;

type Resolver = Box<dyn FnOnce(Env) -> Result<ObjectRef> + Send>;
type Settle = JsDeferred<ObjectRef, Resolver>;

/// Conclusions not yet in the result's arrays.
struct Pending {
    summary: IntoIter<SummaryConclusion>,
    anomaly: IntoIter<AnomalyConclusion>,
    changepoint: IntoIter<ChangepointConclusion>,
    trend: IntoIter<TrendConclusion>,
}

impl Pending {
    /// Appends up to `budget` conclusions to the result's arrays, in category
    /// order; true once every conclusion is there.
    fn fill(&mut self, result: &Object, budget: usize) -> Result<bool> {
        let left = append(result, "summary", &mut self.summary, budget)?;
        let left = append(result, "anomaly", &mut self.anomaly, left)?;
        let left = append(result, "changepoint", &mut self.changepoint, left)?;
        append(result, "trend", &mut self.trend, left)?;
        Ok(self.summary.len() + self.anomaly.len() + self.changepoint.len() + self.trend.len() == 0)
    }
}

fn append<T: ToNapiValue>(result: &Object, key: &str, items: &mut IntoIter<T>, budget: usize) -> Result<usize> {
    let take = budget.min(items.len());
    if take > 0 {
        let mut array: Array = result.get_named_property(key)?;
        for item in items.by_ref().take(take) {
            array.insert(item)?;
        }
    }
    Ok(budget - take)
}

/// What a scheduled step needs between turns.
struct Delivery {
    pending: Pending,
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
pub fn deliver(env: &Env, r: AnalysisResult, cancel: Arc<AtomicBool>) -> Result<ObjectRef> {
    let AnalysisResult { summary, anomaly, changepoint, trend, stats } = r;
    let mut result = Object::new(env)?;
    for key in ["summary", "anomaly", "changepoint", "trend"] {
        result.set(key, env.create_array(0)?)?;
    }
    result.set("stats", stats)?;
    let mut pending = Pending {
        summary: summary.into_iter(),
        anomaly: anomaly.into_iter(),
        changepoint: changepoint.into_iter(),
        trend: trend.into_iter(),
    };
    if pending.fill(&result, CHUNK)? {
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
        match result.get_value(env).and_then(|r| self.pending.fill(&r, CHUNK)) {
            Ok(true) => Step::End(End::Done),
            Ok(false) => Step::More,
            Err(e) => Step::End(End::Failed(e)),
        }
    }

    /// Settles the promise once and releases the result's reference (on the
    /// JS thread, in the resolver, after the value has been read back).
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
