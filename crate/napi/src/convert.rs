//! Options in, results out: the JS shapes of the engine's types (these
//! structs generate `index.d.ts`). Options are read as plain values and
//! decoded by the engine's `option_decoder`, whose tables list the valid keys:
//! a new option is a line there and a field of the struct here (for its type).

use conclude_engine::engine::Stats;
use conclude_engine::option_decoder::{decode_message_options, decode_options, decode_spill_options, Value};
use conclude_engine::options::Options;
use napi::bindgen_prelude::*;
use napi::{KeyCollectionMode, KeyConversion, KeyFilter, ValueType};
use napi_derive::napi;

use crate::js_error;

/// Hampel filter parameters.
#[napi(object, object_to_js = false)]
pub struct AnomalyOptions {
    /// `segmentedHampel` (default): windows do not cross detected level shifts and the scale is at
    /// least the series' noise scale. `hampel`: the plain filter (MATLAB's `hampel`, exact).
    #[napi(ts_type = "'segmentedHampel' | 'hampel'")]
    pub method: Option<String>,
    /// Half-window k: the window is `2k + 1` points, truncated at the edges. Default 30.
    pub half_window: Option<f64>,
    /// A point is anomalous when `|x - median| > threshold * 1.482602218505602 * MAD`. Default 4.
    pub threshold: Option<f64>,
}

/// Change point parameters (PELT's as ruptures names them).
#[napi(object, object_to_js = false)]
pub struct ChangepointOptions {
    /// `levelShift` (default): level shifts on a common linear trend, penalty for autocorrelated
    /// noise. `l2`: `ruptures.Pelt(model="l2")` exactly.
    #[napi(ts_type = "'levelShift' | 'l2'")]
    pub method: Option<String>,
    /// Minimum segment length. Default 2.
    pub min_size: Option<f64>,
    /// Candidate change points every `jump` points. Default 1.
    pub jump: Option<f64>,
    /// Penalty per change point. Default `3 * s^2 * ln(n)`, s a robust noise scale (the long-run one with `levelShift`).
    pub penalty: Option<f64>,
    /// Replace anomalies by their window median before segmenting. Default true.
    pub clean: Option<bool>,
}

/// Mann-Kendall parameters.
#[napi(object, object_to_js = false)]
pub struct TrendOptions {
    /// `withinSegments` (default): Mann-Kendall between points of the same level-shift segment,
    /// corrected for AR(1) noise. `original`: `pymannkendall.original_test` exactly. `hamedRao`,
    /// `yueWang`, `preWhitening`, `trendFreePreWhitening`: pymannkendall's modified tests for
    /// autocorrelated series (`hamed_rao_`, `yue_wang_`, `pre_whitening_`,
    /// `trend_free_pre_whitening_modification_test`) exactly.
    #[napi(
        ts_type = "'withinSegments' | 'original' | 'hamedRao' | 'yueWang' | 'preWhitening' | 'trendFreePreWhitening'"
    )]
    pub method: Option<String>,
    /// Significance level. Default 0.05.
    pub alpha: Option<f64>,
    /// `hamedRao` / `yueWang` only: use the autocorrelations of lags `1..=lag` (0..=1000).
    /// Default (absent or null): all lags.
    pub lag: Option<f64>,
}

/// Options of every analysis entry point (all optional).
#[napi(object, object_to_js = false)]
pub struct AnalyzeOptions {
    /// Input format; detected from the first non-blank byte (`{` is NDJSON) when absent.
    #[napi(ts_type = "'ndjson' | 'csv'")]
    pub format: Option<String>,
    /// `fail` (default): the first bad line rejects the batch. `skip`: bad lines are skipped and counted.
    #[napi(ts_type = "'fail' | 'skip'")]
    pub on_bad_line: Option<String>,
    /// Categories to compute. Default: all four.
    #[napi(ts_type = "Array<'summary' | 'anomaly' | 'changepoint' | 'trend'>")]
    pub categories: Option<Vec<String>>,
    pub anomaly: Option<AnomalyOptions>,
    pub changepoint: Option<ChangepointOptions>,
    pub trend: Option<TrendOptions>,
    /// Engine threads for this call. Default: `CONCLUDE_THREADS` or the available cores.
    pub threads: Option<f64>,
    /// Cancels the work of `analyze()` / `analyzeToMessages()` not yet finished (ignored by the sync functions).
    pub signal: Option<AbortSignal>,
}

pub(crate) struct Signal {
    pub signal: AbortSignal,
    pub aborted: bool,
}

pub(crate) struct ReadOptions {
    pub engine: Options,
    pub signal: Option<Signal>,
}

/// Nesting read from JS: the options objects are two levels deep, so anything deeper is never
/// valid and is described rather than walked (a cyclic object cannot recurse forever).
const MAX_DEPTH: usize = 3;
/// Array items and object keys read from JS; more is never valid either.
const MAX_ITEMS: u32 = 1024;

/// The JS value `v` as the engine's option [`Value`], which decides what it means.
pub(crate) fn option_value(env: &Env, v: &Unknown, depth: usize) -> Result<Value> {
    let (raw_env, raw) = (env.raw(), v.raw());
    Ok(match v.get_type()? {
        ValueType::Undefined | ValueType::Null => Value::Absent,
        ValueType::Boolean => Value::Bool(unsafe { bool::from_napi_value(raw_env, raw) }?),
        ValueType::Number => Value::Number(unsafe { f64::from_napi_value(raw_env, raw) }?),
        ValueType::String => Value::String(unsafe { String::from_napi_value(raw_env, raw) }?),
        ValueType::Function => Value::Other("a function"),
        ValueType::Symbol => Value::Other("a symbol"),
        ValueType::BigInt => Value::Other("a bigint"),
        ValueType::Object if v.is_typedarray()? || v.is_arraybuffer()? => Value::Other("binary data"),
        ValueType::Object if depth >= MAX_DEPTH => Value::Other("an object nested too deep"),
        ValueType::Object if v.is_array()? => {
            let array = unsafe { Object::from_napi_value(raw_env, raw) }?;
            let len = array.get_array_length()?;
            if len > MAX_ITEMS {
                return Ok(Value::Other("an array of over 1024 items"));
            }
            let items = (0..len).map(|i| option_value(env, &array.get_element::<Unknown>(i)?, depth + 1));
            Value::Array(items.collect::<Result<_>>()?)
        }
        ValueType::Object => {
            let object = unsafe { Object::from_napi_value(raw_env, raw) }?;
            // Own enumerable string keys, as a spread or `Object.keys` sees them.
            let keys = object.get_all_property_names(
                KeyCollectionMode::OwnOnly,
                KeyFilter::Enumerable,
                KeyConversion::NumbersToStrings,
            )?;
            let len = keys.get_array_length()?;
            if len > MAX_ITEMS {
                return Ok(Value::Other("an object of over 1024 keys"));
            }
            let mut members = Vec::with_capacity(len as usize);
            for i in 0..len {
                let key = keys.get_element::<Unknown>(i)?;
                if key.get_type()? != ValueType::String {
                    continue; // a symbol: never an option
                }
                let name = unsafe { String::from_napi_value(raw_env, key.raw()) }?;
                let value = object.get_named_property::<Unknown>(&name)?;
                members.push((name, option_value(env, &value, depth + 1)?));
            }
            Value::Object(members)
        }
        _ => Value::Other("an unsupported value"),
    })
}

/// An argument as an option value (`undefined` when not given).
fn argument_value(env: &Env, v: Option<&Unknown>) -> Result<Value> {
    v.map_or(Ok(Value::Absent), |v| option_value(env, v, 0))
}

/// Reads and validates the options argument; errors are `ERR_CONCLUDE_OPTIONS`.
pub(crate) fn read_options(env: &Env, options: Option<&Unknown>) -> Result<ReadOptions> {
    let value = argument_value(env, options)?;
    let engine = decode_options(&value).map_err(|e| js_error(env, e))?;
    // The decoder checked that a present `signal` is an object.
    let signal = match (options, &value) {
        (Some(obj), Value::Object(members)) if members.iter().any(|(k, v)| k == "signal" && *v != Value::Absent) => {
            let obj = unsafe { Object::from_napi_value(env.raw(), obj.raw()) }?;
            let aborted = match obj.get::<Object>("signal") {
                Ok(Some(sig)) => sig.get::<bool>("aborted").ok().flatten().unwrap_or(false),
                _ => false,
            };
            obj.get::<AbortSignal>("signal")?.map(|signal| Signal { signal, aborted })
        }
        _ => None,
    };
    Ok(ReadOptions { engine, signal })
}

/// `spillInput`'s `{ chunkBytes, partitionPoints }`.
pub(crate) fn read_spill_options(env: &Env, v: Option<&Unknown>) -> Result<(usize, usize, Option<u64>)> {
    decode_spill_options(&argument_value(env, v)?).map_err(|e| js_error(env, e))
}

/// `analyzeToMessages`' `{ batch }`.
pub(crate) fn read_message_options(env: &Env, v: Option<&Unknown>) -> Result<String> {
    decode_message_options(&argument_value(env, v)?).map_err(|e| js_error(env, e))
}

/// One conclusion per series: numpy-exact statistics of its values.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SummaryConclusion {
    pub series: String,
    /// Non-missing values.
    pub count: u32,
    pub missing: u32,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Population standard deviation (ddof = 0).
    pub std: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    /// The first point's `ts` (missing or not): a `number`, or a `bigint` for an integer
    /// beyond ±(2^53 − 1) (e.g. epoch nanoseconds), exact.
    #[napi(ts_type = "number | bigint")]
    pub first_ts: Option<f64>,
    /// The last point's `ts`, as `firstTs`.
    #[napi(ts_type = "number | bigint")]
    pub last_ts: Option<f64>,
}

/// One anomalous point (Hampel filter).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AnomalyConclusion {
    pub series: String,
    /// Position among the series' non-missing values.
    pub index: u32,
    /// The point's `ts`: a `number`, or a `bigint` for an integer beyond ±(2^53 − 1), exact.
    #[napi(ts_type = "number | bigint")]
    pub ts: f64,
    pub value: f64,
    pub median: f64,
    pub mad: f64,
    /// `|value - median| / (1.482602218505602 * mad)`, null when that scale is 0.
    pub score: Option<f64>,
    pub half_window: u32,
    pub threshold: f64,
    #[napi(ts_type = "'segmentedHampel' | 'hampel'")]
    pub method: String,
}

/// One change point: the first index of a new segment.
#[napi(object, object_from_js = false)]
pub struct ChangepointConclusion {
    pub series: String,
    /// Position among the series' non-missing values.
    pub index: u32,
    /// The point's `ts`: a `number`, or a `bigint` for an integer beyond ±(2^53 − 1), exact.
    #[napi(ts_type = "number | bigint")]
    pub ts: f64,
    /// Plain means of the segments before and after.
    pub mean_before: f64,
    pub mean_after: f64,
    /// `levelShift`: the jump of the fitted level at the change (the common slope left out);
    /// `l2`: `meanAfter - meanBefore`.
    pub delta: f64,
    pub penalty: f64,
    #[napi(ts_type = "'levelShift' | 'l2'")]
    pub method: String,
}

/// Mann-Kendall trend test and Sen's slope (`original` and the four modified tests: the
/// pymannkendall test of that name; `withinSegments`: the test within the level-shift segments,
/// Sen's slope of the series with the level offsets removed).
#[napi(object, object_from_js = false)]
pub struct TrendConclusion {
    pub series: String,
    #[napi(ts_type = "'increasing' | 'decreasing' | 'no trend'")]
    pub trend: String,
    pub h: bool,
    pub p: f64,
    pub z: f64,
    pub tau: f64,
    pub s: i64,
    pub var_s: f64,
    pub slope: f64,
    pub intercept: f64,
    /// Non-missing values (`preWhitening` / `trendFreePreWhitening` test the `n - 1` prewhitened ones).
    pub n: u32,
    #[napi(
        ts_type = "'withinSegments' | 'original' | 'hamedRao' | 'yueWang' | 'preWhitening' | 'trendFreePreWhitening'"
    )]
    pub method: String,
    /// `withinSegments` only: `original_test` would call a trend what the level shifts explain.
    pub level_shift_explained: Option<bool>,
}

/// Milliseconds: phases in wall-clock time, analyses in CPU time summed over threads.
#[napi(object, object_from_js = false)]
pub struct AnalysisTimings {
    pub parse_ms: f64,
    pub analyze_ms: f64,
    pub total_ms: f64,
    pub summary_ms: f64,
    pub anomaly_ms: f64,
    pub changepoint_ms: f64,
    pub trend_ms: f64,
}

#[napi(object, object_from_js = false)]
pub struct AnalysisStats {
    /// Accepted points.
    pub points: u32,
    pub series: u32,
    /// Lines skipped under `onBadLine: 'skip'`.
    pub bad_lines: u32,
    /// The first (up to 20) skipped line numbers, 1-based.
    pub bad_line_numbers: Vec<u32>,
    /// Series where change points were requested but not searched: fewer non-missing values
    /// than `minSize`, where ruptures raises `BadSegmentationParameters`. Their other
    /// analyses ran.
    pub changepoint_skipped: u32,
    /// The first (up to 20) of them, in series order.
    pub changepoint_skipped_series: Vec<String>,
    /// Engine threads used.
    pub threads: u32,
    pub timings: AnalysisTimings,
}

#[napi(object, object_from_js = false)]
pub struct AnalysisResult {
    pub summary: Vec<SummaryConclusion>,
    pub anomaly: Vec<AnomalyConclusion>,
    pub changepoint: Vec<ChangepointConclusion>,
    pub trend: Vec<TrendConclusion>,
    pub stats: AnalysisStats,
}

impl From<&Stats> for AnalysisStats {
    fn from(s: &Stats) -> Self {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        let t = &s.timings;
        AnalysisStats {
            points: s.points as u32,
            series: s.series as u32,
            bad_lines: s.bad_lines as u32,
            bad_line_numbers: s.bad_line_numbers.iter().map(|&n| n as u32).collect(),
            changepoint_skipped: s.changepoint_skipped as u32,
            changepoint_skipped_series: s.changepoint_skipped_series.clone(),
            threads: s.threads as u32,
            timings: AnalysisTimings {
                parse_ms: ms(t.parse),
                analyze_ms: ms(t.analyze),
                total_ms: ms(t.total),
                summary_ms: ms(t.summary),
                anomaly_ms: ms(t.anomaly),
                changepoint_ms: ms(t.changepoint),
                trend_ms: ms(t.trend),
            },
        }
    }
}
