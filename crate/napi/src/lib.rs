//! The Node.js binding of `conclude-engine`: a thin layer that converts
//! options in, results out, and errors into coded JS errors.
//!
//! * `analyzeNative` runs on the engine's rayon pool while the JS thread waits.
//! * `analyze` hands the job to the pool with `ThreadPool::spawn` and returns a
//!   deferred promise that the pool thread settles (the conversion to JS runs
//!   on the JS thread through napi's threadsafe function). No libuv thread is
//!   held for the job, so fs, dns and zlib keep theirs (lightningcss does the same).
//!   It resolves with the result serialized in chunks ([`deliver`]), which the
//!   loader (`index.js`) parses a chunk per event-loop turn; `analyzeNative`'s, the
//!   same shape, it parses at once.
//! * One panic guard, [`guarded`], runs all engine work (sync, and on the pool): a bug
//!   becomes `ERR_CONCLUDE_INTERNAL`, never an abort of the Node process. napi's
//!   `catch_unwind` on every entry point covers the argument conversions around it.
//!   The test-only feature `panic-probe` adds an export that panics behind it ([`panic_probe`]).

#![deny(clippy::all)]

pub mod checksum;
mod columns;
mod convert;
mod deliver;
mod input;
#[cfg(feature = "panic-probe")]
pub mod panic_probe;
mod spill;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use conclude_engine::engine::{self, Analysis};
use conclude_engine::output::{self, Provenance};
use conclude_engine::{pool, Error as EngineError};
use input::Held;
use napi::bindgen_prelude::*;
use napi_derive::napi;

pub use convert::*;
pub use spill::*;

/// The engine's version, stamped on Kafka messages.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Turns an engine error into a JS `Error` with `code` (and `line`, `column`
/// for parse errors). Must run on the JS thread.
pub(crate) fn js_error(env: &Env, e: EngineError) -> napi::Error {
    let build = || -> Result<napi::Error> {
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.message.clone()))?;
        obj.set("code", e.code())?;
        if let Some(line) = e.line {
            obj.set("line", line as u32)?;
        }
        if let Some(column) = e.column {
            obj.set("column", column as u32)?;
        }
        if let Some(place) = e.place {
            obj.set("series", place.series as u32)?;
            obj.set("field", place.field)?;
        }
        if e.kind == conclude_engine::ErrorKind::Aborted {
            obj.set("name", "AbortError")?;
        }
        Ok(napi::Error::from(obj.into_unknown(env)?))
    };
    build().unwrap_or_else(|err| err)
}

/// The panic guard: runs `f`, turning a panic into an internal engine error.
fn guarded<T>(f: impl FnOnce() -> std::result::Result<T, EngineError>) -> std::result::Result<T, EngineError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|p| Err(EngineError::internal(format!("engine panic: {}", panic_message(&*p)))))
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Analyses a batch synchronously: the work runs on the engine's thread pool
/// while this thread waits. Throws a coded error on bad input or options.
#[napi(
    catch_unwind,
    ts_args_type = "input: Buffer | Uint8Array, options?: AnalyzeOptions",
    ts_return_type = "AnalysisResult"
)]
pub fn analyze_native<'env>(env: &'env Env, input: Unknown, options: Option<Unknown>) -> Result<Object<'env>> {
    let bytes = input::borrow(env, &input)?;
    let opts = convert::read_options(env, options.as_ref())?;
    sync_result(env, |never| engine::analyze(bytes, &opts.engine, never))
}

/// The result of a synchronous analysis, serialized one array per category for the loader to
/// parse at once.
fn sync_result<'env>(
    env: &'env Env,
    analysis: impl FnOnce(&AtomicBool) -> std::result::Result<Analysis, EngineError>,
) -> Result<Object<'env>> {
    let never = AtomicBool::new(false);
    let prepared = guarded(|| analysis(&never).and_then(|a| deliver::prepare(&a, usize::MAX)));
    prepared.map_err(|e| js_error(env, e))?.into_js(env)
}

/// The result of an async analysis, serialized in chunks for the loader to parse a chunk per
/// event-loop turn.
fn async_result<'env>(
    env: &'env Env,
    hold: impl FnOnce(&Env) -> Result<Held>,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, ObjectRef>> {
    spawn_job(env, hold, options, |a| deliver::prepare(&a, deliver::CHUNK), |r, env| r.into_js(env)?.create_ref())
}

/// Analyses a batch on the engine's thread pool without blocking the event
/// loop. `options.signal` (an AbortSignal) cancels the work between series.
/// A large result reaches JS a chunk of conclusions per event-loop turn.
// The type is the loader's: it parses the chunks this resolves with (`index.js`).
#[napi(
    catch_unwind,
    ts_args_type = "input: Buffer | Uint8Array, options?: AnalyzeOptions",
    ts_return_type = "Promise<AnalysisResult>"
)]
pub fn analyze<'env>(
    env: &'env Env,
    input: Unknown,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, ObjectRef>> {
    async_result(env, |env| input::hold(env, &input).map(Held::Bytes), options)
}

/// `analyzeNative` of series already in memory, given as columns instead of text: the same
/// result and options (`format` and `onBadLine` do not apply). Entries with the same `id` are
/// one series; points are sorted by `ts` (stable); `NaN` (or `null` in a `number[]`) is a
/// missing value. Inconsistent columns throw `ERR_CONCLUDE_COLUMNS` naming the entry and field.
#[napi(
    catch_unwind,
    ts_args_type = "series: Array<SeriesColumns>, options?: AnalyzeOptions",
    ts_return_type = "AnalysisResult"
)]
pub fn analyze_columns_native<'env>(
    env: &'env Env,
    series: Unknown,
    options: Option<Unknown>,
) -> Result<Object<'env>> {
    let entries = columns::read(env, &series)?;
    let opts = convert::read_options(env, options.as_ref())?;
    sync_result(env, |never| engine::analyze_columns(entries, &opts.engine, never))
}

/// The async twin of `analyzeColumnsNative`, like `analyze`: the arrays are copied before it
/// returns (so JS may change them at once), the analysis runs on the pool without blocking the
/// event loop, and `options.signal` cancels it.
// The type is the loader's, as with `analyze`.
#[napi(
    catch_unwind,
    ts_args_type = "series: Array<SeriesColumns>, options?: AnalyzeOptions",
    ts_return_type = "Promise<AnalysisResult>"
)]
pub fn analyze_columns<'env>(
    env: &'env Env,
    series: Unknown,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, ObjectRef>> {
    async_result(env, |env| columns::read(env, &series).map(Held::Columns), options)
}

// Only types `index.d.ts`: `columns::read` reads the arrays themselves.
/// One entry of `analyzeColumns`' input: `ts[i]` and `values[i]` are one point.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SeriesColumns {
    /// The series id (non-empty).
    pub id: String,
    /// Timestamps in any unit; a `BigInt64Array` for integers such as epoch nanoseconds, held
    /// exactly as NDJSON integers are (results carry one beyond ±(2^53 − 1) as a `bigint`).
    #[napi(ts_type = "Float64Array | BigInt64Array | number[]")]
    pub ts: Vec<f64>,
    /// Values; `NaN` (or `null` in an array) is a missing value.
    #[napi(ts_type = "Float64Array | Array<number | null>")]
    pub values: Vec<f64>,
}

// The TS shape only: read by `convert::read_message_options`.
/// Options of the ready-to-send message path.
#[napi(object, object_to_js = false)]
pub struct MessageOptions {
    /// Identifies the batch in every message value (`batch` field), e.g. `file.ndjson#3`.
    pub batch: String,
}

/// Ready-to-send Kafka messages: keys and values back to back in `data`; for
/// message `i`, `index[5*i .. 5*i+5]` is `[category, keyStart, keyEnd,
/// valueStart, valueEnd]` (byte offsets into `data`; category 0..3 =
/// summary, anomaly, changepoint, trend). Slice with `data.subarray()`:
/// no copy, no JS object per conclusion until the producer needs one.
#[napi(object, object_from_js = false)]
pub struct MessageBatch {
    pub data: Buffer,
    pub index: Uint32Array,
    /// Number of messages per category, in the order summary, anomaly, changepoint, trend.
    pub counts: Vec<u32>,
    pub stats: AnalysisStats,
}

/// The messages as Rust data: serialized on the pool, not on the JS thread.
pub(crate) struct Messages {
    data: Vec<u8>,
    index: Vec<u32>,
    counts: Vec<u32>,
    stats: AnalysisStats,
}

pub(crate) fn messages(analysis: Analysis, batch: &str) -> std::result::Result<Messages, EngineError> {
    let m = output::messages(&analysis, Provenance { batch, version: VERSION })?;
    let mut counts = vec![0u32; 4];
    for chunk in m.index.chunks_exact(output::MESSAGE_FIELDS) {
        counts[chunk[0] as usize] += 1;
    }
    Ok(Messages { data: m.data, index: m.index, counts, stats: AnalysisStats::from(&analysis.stats) })
}

impl From<Messages> for MessageBatch {
    fn from(m: Messages) -> Self {
        MessageBatch { data: m.data.into(), index: Uint32Array::new(m.index), counts: m.counts, stats: m.stats }
    }
}

/// Like `analyze`, but returns ready-to-send Kafka messages (JSON values with
/// `category`, `series`, the fields, `batch` and `version`; the series as key).
#[napi(
    catch_unwind,
    ts_args_type = "input: Buffer | Uint8Array, messageOptions: MessageOptions, options?: AnalyzeOptions",
    ts_return_type = "Promise<MessageBatch>"
)]
pub fn analyze_to_messages<'env>(
    env: &'env Env,
    input: Unknown,
    message_options: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, MessageBatch>> {
    let batch = match convert::read_message_options(env, message_options.as_ref()) {
        Ok(batch) => batch,
        Err(e) => return PromiseRaw::reject(env, e),
    };
    spawn_job(
        env,
        |env| input::hold(env, &input).map(Held::Bytes),
        options,
        move |analysis| messages(analysis, &batch),
        |m, _env| Ok(MessageBatch::from(m)),
    )
}

/// The synchronous twin of `analyzeToMessages`.
#[napi(
    catch_unwind,
    ts_args_type = "input: Buffer | Uint8Array, messageOptions: MessageOptions, options?: AnalyzeOptions"
)]
pub fn analyze_to_messages_native(
    env: Env,
    input: Unknown,
    message_options: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<MessageBatch> {
    let bytes = input::borrow(&env, &input)?;
    let batch = convert::read_message_options(&env, message_options.as_ref())?;
    let opts = convert::read_options(&env, options.as_ref())?;
    let never = AtomicBool::new(false);
    guarded(|| messages(engine::analyze(bytes, &opts.engine, &never)?, &batch))
        .map(MessageBatch::from)
        .map_err(|e| js_error(&env, e))
}

/// The shared async path: validate on the JS thread; run the analysis and
/// `work` (the Rust side of the output) on the pool; settle the promise from
/// the pool thread, where `finish` makes the JS value on the JS thread. Bad
/// arguments reject the promise rather than throw, like any async function.
fn spawn_job<'env, H, P, T, W, F>(
    env: &'env Env,
    hold: H,
    options: Option<Unknown>,
    work: W,
    finish: F,
) -> Result<PromiseRaw<'env, T>>
where
    H: FnOnce(&Env) -> Result<Held>,
    P: Send + 'static,
    T: ToNapiValue + 'static,
    W: FnOnce(Analysis) -> std::result::Result<P, EngineError> + Send + 'static,
    F: FnOnce(P, &Env) -> Result<T> + Send + 'static,
{
    match hold(env) {
        Ok(held) => {
            Job::spawn(env, options.as_ref(), held, |held, o, cancel| held.analyze(o, cancel).and_then(work), finish)
        }
        Err(e) => PromiseRaw::reject(env, e),
    }
}

/// What a job on the pool needs: the engine options, the cancel flag its
/// `signal` sets, the pool. Must run on the JS thread.
pub(crate) struct Job {
    pub engine_opts: conclude_engine::Options,
    pub cancel: Arc<AtomicBool>,
    pub pool: Arc<pool::ThreadPool>,
}

impl Job {
    pub(crate) fn prepare(env: &Env, options: Option<&Unknown>) -> Result<Job> {
        let opts = convert::read_options(env, options)?;
        let cancel = Arc::new(AtomicBool::new(false));
        if let Some(signal) = &opts.signal {
            if signal.aborted {
                return Err(js_error(env, EngineError::aborted()));
            }
            let flag = Arc::clone(&cancel);
            signal.signal.on_abort(move || flag.store(true, Ordering::Relaxed));
        }
        let pool = pool::get(opts.engine.threads).map_err(|e| js_error(env, e))?;
        Ok(Job { engine_opts: opts.engine, cancel, pool })
    }

    /// Runs `work` on the pool (panics caught) and settles the promise with `finish`'s value,
    /// made on the JS thread. `held` (e.g. a reference to the input) is lent to `work` and
    /// released on the JS thread. Errors before the job starts reject the promise.
    pub(crate) fn spawn<'env, H, P, T, W, F>(
        env: &'env Env,
        options: Option<&Unknown>,
        held: H,
        work: W,
        finish: F,
    ) -> Result<PromiseRaw<'env, T>>
    where
        H: Send + 'static,
        P: Send + 'static,
        T: ToNapiValue + 'static,
        W: FnOnce(&mut H, &conclude_engine::Options, &AtomicBool) -> std::result::Result<P, EngineError>
            + Send
            + 'static,
        F: FnOnce(P, &Env) -> Result<T> + Send + 'static,
    {
        // Any error before the job starts rejects the promise.
        let start = || -> Result<PromiseRaw<'env, T>> {
            let Job { engine_opts, cancel, pool } = Job::prepare(env, options)?;
            let (deferred, promise) = env.create_deferred::<T, _>()?;
            pool.spawn(move || {
                let mut held = held;
                let result = guarded(|| work(&mut held, &engine_opts, &cancel));
                deferred.resolve(move |env| {
                    // The input reference is released here, on the JS thread.
                    drop(held);
                    match result {
                        Ok(output) => finish(output, &env),
                        Err(e) => Err(js_error(&env, e)),
                    }
                });
            });
            Ok(PromiseRaw::new(env.raw(), promise.raw()))
        };
        start().or_else(|e| PromiseRaw::reject(env, e))
    }
}

/// The engine's pool in this process.
#[napi(object)]
pub struct PoolInfo {
    /// This process's id.
    pub pid: u32,
    /// Threads of the default pool (`CONCLUDE_THREADS` or the available cores).
    pub threads: u32,
    /// Whether the default pool has been built in this process yet (it is built on first use).
    pub built: bool,
    /// Pools built by this process so far (one per distinct `threads` value).
    pub builds: u32,
}

/// Pid and thread count of the engine's pool in this process. The pool
/// belongs to the process that built it and is rebuilt after a fork.
#[napi]
pub fn pool_info(env: Env) -> Result<PoolInfo> {
    let info = pool::info().map_err(|e| js_error(&env, e))?;
    Ok(PoolInfo { pid: info.pid, threads: info.threads as u32, built: info.built, builds: info.builds as u32 })
}

/// The engine's version.
#[napi]
pub fn engine_version() -> &'static str {
    VERSION
}
