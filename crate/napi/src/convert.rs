//! Options in, results out: the JS shapes of the engine's types (these
//! structs generate `index.d.ts`).

use conclude_engine::engine::Stats;
use conclude_engine::options::{BadLinePolicy, Category, Format, Options, TrendMethod, MAX_TREND_LAG};
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::js_error;

/// Hampel filter parameters.
#[napi(object, object_to_js = false)]
pub struct AnomalyOptions {
    /// Half-window k: the window is `2k + 1` points, truncated at the edges. Default 30.
    pub half_window: Option<f64>,
    /// A point is anomalous when `|x - median| > threshold * 1.4826 * MAD`. Default 4.
    pub threshold: Option<f64>,
}

/// PELT (l2 cost) parameters, as ruptures names them.
#[napi(object, object_to_js = false)]
pub struct ChangepointOptions {
    /// Minimum segment length. Default 2.
    pub min_size: Option<f64>,
    /// Candidate change points every `jump` points. Default 1.
    pub jump: Option<f64>,
    /// Penalty per change point. Default `3 * s^2 * ln(n)`, s a robust noise scale.
    pub penalty: Option<f64>,
    /// Replace anomalies by their window median before segmenting. Default true.
    pub clean: Option<bool>,
}

/// Mann-Kendall parameters.
#[napi(object, object_to_js = false)]
pub struct TrendOptions {
    /// Significance level. Default 0.05.
    pub alpha: Option<f64>,
    /// pymannkendall's test: `original_test` (default) or a modification for
    /// autocorrelated series (`hamed_rao_`, `yue_wang_`, `pre_whitening_`,
    /// `trend_free_pre_whitening_modification_test`).
    #[napi(ts_type = "'original' | 'hamedRao' | 'yueWang' | 'preWhitening' | 'trendFreePreWhitening'")]
    pub method: Option<String>,
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

fn bad(message: impl Into<String>) -> EngineError {
    EngineError::options(message)
}

/// A whole number in `min..=max`, named `name` in the error.
fn whole(
    name: &str,
    v: Option<f64>,
    default: usize,
    min: usize,
    max: usize,
) -> std::result::Result<usize, EngineError> {
    match v {
        None => Ok(default),
        Some(x) if x.fract() == 0.0 && x >= min as f64 && x <= max as f64 => Ok(x as usize),
        Some(x) => Err(bad(format!("{name} must be an integer in {min}..={max}, got {x}"))),
    }
}

fn engine_options(o: AnalyzeOptions) -> std::result::Result<(Options, Option<AbortSignal>), EngineError> {
    let format = match o.format.as_deref() {
        None => None,
        Some("ndjson") => Some(Format::Ndjson),
        Some("csv") => Some(Format::Csv),
        Some(other) => return Err(bad(format!("format must be 'ndjson' or 'csv', got {other:?}"))),
    };
    let mut out = Options { format, ..Options::default() };
    out.on_bad_line = match o.on_bad_line.as_deref() {
        None | Some("fail") => BadLinePolicy::Fail,
        Some("skip") => BadLinePolicy::Skip,
        Some(other) => return Err(bad(format!("onBadLine must be 'fail' or 'skip', got {other:?}"))),
    };
    if let Some(names) = o.categories {
        let mut cats = Vec::new();
        for name in &names {
            let c = Category::from_name(name).ok_or_else(|| {
                bad(format!("categories: unknown category {name:?} (expected summary, anomaly, changepoint or trend)"))
            })?;
            if !cats.contains(&c) {
                cats.push(c);
            }
        }
        if cats.is_empty() {
            return Err(bad("categories must name at least one of summary, anomaly, changepoint, trend"));
        }
        cats.sort();
        out.categories = cats;
    }
    if let Some(a) = o.anomaly {
        out.anomaly.half_window = whole("anomaly.halfWindow", a.half_window, out.anomaly.half_window, 1, 1 << 24)?;
        out.anomaly.threshold = a.threshold.unwrap_or(out.anomaly.threshold);
    }
    if let Some(c) = o.changepoint {
        out.changepoint.min_size = whole("changepoint.minSize", c.min_size, out.changepoint.min_size, 1, 1 << 30)?;
        out.changepoint.jump = whole("changepoint.jump", c.jump, out.changepoint.jump, 1, 1 << 30)?;
        out.changepoint.penalty = c.penalty;
        out.changepoint.clean = c.clean.unwrap_or(true);
    }
    if let Some(t) = o.trend {
        out.trend.alpha = t.alpha.unwrap_or(out.trend.alpha);
        if let Some(name) = t.method.as_deref() {
            out.trend.method = TrendMethod::from_name(name).ok_or_else(|| {
                bad(format!(
                    "trend.method must be 'original', 'hamedRao', 'yueWang', 'preWhitening' or \
                     'trendFreePreWhitening', got {name:?}"
                ))
            })?;
        }
        if t.lag.is_some() {
            out.trend.lag = Some(whole("trend.lag", t.lag, 0, 0, MAX_TREND_LAG)?);
        }
    }
    if o.threads.is_some() {
        out.threads = Some(whole("threads", o.threads, 0, 1, conclude_engine::options::MAX_THREADS)?);
    }
    out.validate()?;
    Ok((out, o.signal))
}

/// Reads and validates the options object; errors are `ERR_CONCLUDE_OPTIONS`.
pub(crate) fn read_options(env: &Env, options: Option<&Object>) -> Result<ReadOptions> {
    let Some(obj) = options else {
        return Ok(ReadOptions { engine: Options::default(), signal: None });
    };
    let aborted = match obj.get::<Object>("signal") {
        Ok(Some(sig)) => sig.get::<bool>("aborted").ok().flatten().unwrap_or(false),
        _ => false,
    };
    let raw = unsafe { AnalyzeOptions::from_napi_value(env.raw(), obj.raw()) }
        .map_err(|e| js_error(env, bad(format!("invalid options: {}", e.reason))))?;
    let (engine, signal) = engine_options(raw).map_err(|e| js_error(env, e))?;
    Ok(ReadOptions { engine, signal: signal.map(|signal| Signal { signal, aborted }) })
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
    pub first_ts: Option<f64>,
    pub last_ts: Option<f64>,
}

/// One anomalous point (Hampel filter).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AnomalyConclusion {
    pub series: String,
    /// Position among the series' non-missing values.
    pub index: u32,
    pub ts: f64,
    pub value: f64,
    pub median: f64,
    pub mad: f64,
    /// `|value - median| / (1.4826 * mad)`, null when that scale is 0.
    pub score: Option<f64>,
    pub half_window: u32,
    pub threshold: f64,
}

/// One change point (PELT, l2 cost): the first index of a new segment.
#[napi(object, object_from_js = false)]
pub struct ChangepointConclusion {
    pub series: String,
    /// Position among the series' non-missing values.
    pub index: u32,
    pub ts: f64,
    pub mean_before: f64,
    pub mean_after: f64,
    pub delta: f64,
    pub penalty: f64,
}

/// Mann-Kendall trend test and Sen's slope (pymannkendall's `original_test` or
/// the modified test `method` names).
#[napi(object, object_from_js = false)]
pub struct TrendConclusion {
    pub series: String,
    /// The `trend.method` that produced it.
    #[napi(ts_type = "'original' | 'hamedRao' | 'yueWang' | 'preWhitening' | 'trendFreePreWhitening'")]
    pub method: String,
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
