//! Runs the analyses over a batch on the engine's pool.
//!
//! Series are independent, so they are spread over the pool with rayon; inside
//! a long series the analyses that parallelise (Hampel by chunks, Sen's slope)
//! do so themselves, and the two independent chains (summary + whole-series trend,
//! anomaly -> level shifts -> change points, segmented anomalies, segmented trend)
//! run side by side. Cancellation is cooperative: the flag is
//! read before each series and between analyses. A panic anywhere becomes an
//! [`ErrorKind::Internal`](crate::ErrorKind) error, never an abort.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::anomaly::segmented::hampel_within_segments;
use crate::anomaly::{hampel, Anomaly};
use crate::batch::{Batch, Series, Ts};
use crate::changepoint::{detect, level_shift, ChangePoint};
use crate::columns::{self, SeriesColumns};
use crate::error::Error;
use crate::options::{AnomalyMethod, Category, ChangepointMethod, Options, TrendMethod};
use crate::parse::parse;
use crate::pool;
use crate::summary::{summarize, Summary};
use crate::trend::within_segments::{within_segments, SegmentedTrend};
use crate::trend::{trend_test, Trend};

/// Series at least this long run their two analysis chains in parallel.
const PARALLEL_CHAINS_MIN_LEN: usize = 20_000;

/// How many of the series refused a change point search [`Stats`] names.
pub const SKIPPED_NAMES: usize = 20;

/// The conclusions of one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesConclusions {
    pub summary: Option<Summary>,
    /// `(ts, anomaly)`: the ts of the point at `anomaly.index` among non-missing values.
    pub anomalies: Vec<(Ts, Anomaly)>,
    /// `(ts, change point)`.
    pub changepoints: Vec<(Ts, ChangePoint)>,
    pub trend: Option<Trend>,
    /// With `trend.method: withinSegments`: whether the level shifts explain what
    /// `original_test` would call a trend (`None` with the other methods).
    pub level_shift_explained: Option<bool>,
    /// Change points were requested but the series has fewer non-missing values than
    /// `minSize`: ruptures raises `BadSegmentationParameters` there, so none were searched.
    pub changepoint_skipped: bool,
}

/// Wall-clock of the phases, and CPU time summed over threads per analysis.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub parse: Duration,
    pub analyze: Duration,
    pub total: Duration,
    pub summary: Duration,
    pub anomaly: Duration,
    pub changepoint: Duration,
    pub trend: Duration,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub points: usize,
    pub series: usize,
    pub bad_lines: usize,
    pub bad_line_numbers: Vec<usize>,
    /// Series whose change point search was refused (see
    /// [`SeriesConclusions::changepoint_skipped`]), and the first [`SKIPPED_NAMES`] of them.
    pub changepoint_skipped: usize,
    pub changepoint_skipped_series: Vec<String>,
    pub threads: usize,
    pub timings: Timings,
}

/// The result of [`analyze`]: per-series conclusions in series order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// Series ids, in order of first appearance.
    pub ids: Vec<String>,
    /// `conclusions[i]` belongs to `ids[i]`.
    pub conclusions: Vec<SeriesConclusions>,
    pub stats: Stats,
    /// The options the analysis ran with (the anomaly parameters are part of its output).
    pub options: Options,
}

impl Analysis {
    /// Number of conclusions in a category.
    pub fn count(&self, category: Category) -> usize {
        self.conclusions
            .iter()
            .map(|c| match category {
                Category::Summary => c.summary.is_some() as usize,
                Category::Anomaly => c.anomalies.len(),
                Category::Changepoint => c.changepoints.len(),
                Category::Trend => c.trend.is_some() as usize,
            })
            .sum()
    }
}

#[derive(Default)]
struct CpuTime {
    summary: AtomicU64,
    anomaly: AtomicU64,
    changepoint: AtomicU64,
    trend: AtomicU64,
}

impl CpuTime {
    fn timed<T>(slot: &AtomicU64, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        slot.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

fn check(cancel: &AtomicBool) -> Result<(), Error> {
    if cancel.load(Ordering::Relaxed) {
        Err(Error::aborted())
    } else {
        Ok(())
    }
}

/// Parses `input` and runs the requested analyses on this process's pool. A panic (a bug)
/// propagates to the caller: the binding's one guard turns it into an internal error.
pub fn analyze(input: &[u8], options: &Options, cancel: &AtomicBool) -> Result<Analysis, Error> {
    analyze_batch(|| parse(input, options.format, options.on_bad_line), options, cancel)
}

/// [`analyze`] of series given as columns instead of text ([`columns`](crate::columns)): the
/// same analyses and result, `stats.timings.parse` the time to check and group the columns.
/// `options.format` and `options.on_bad_line` do not apply.
pub fn analyze_columns(entries: Vec<SeriesColumns>, options: &Options, cancel: &AtomicBool) -> Result<Analysis, Error> {
    analyze_batch(move || columns::into_batch(entries), options, cancel)
}

/// Builds the batch with `build` and analyses it, both on this process's pool: the one path
/// after parsing, whatever the input (text, columns, a unit read back from spill files,
/// [`crate::spill`]). `options` are the decoder's ([`crate::option_decoder`]) or built in Rust
/// within its ranges.
pub fn analyze_batch(
    build: impl FnOnce() -> Result<Batch, Error> + Send,
    options: &Options,
    cancel: &AtomicBool,
) -> Result<Analysis, Error> {
    let pool = pool::get(options.threads)?;
    pool.install(|| analyze_on_current_pool(build, options, cancel))
}

fn analyze_on_current_pool(
    build: impl FnOnce() -> Result<Batch, Error>,
    options: &Options,
    cancel: &AtomicBool,
) -> Result<Analysis, Error> {
    let started = Instant::now();
    check(cancel)?;
    let batch = build()?;
    let parsed = Instant::now();
    let Batch { series, points, bad_lines, bad_line_numbers } = batch;

    let cpu = CpuTime::default();
    let conclusions = series
        .par_iter()
        .map(|s| {
            check(cancel)?;
            analyze_series(s, options, &cpu, cancel)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let done = Instant::now();

    let ids = series.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let skipped = || ids.iter().zip(&conclusions).filter(|(_, c)| c.changepoint_skipped).map(|(id, _)| id);
    let nanos = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::Relaxed));
    let stats = Stats {
        points,
        series: ids.len(),
        bad_lines,
        bad_line_numbers,
        changepoint_skipped: skipped().count(),
        changepoint_skipped_series: skipped().take(SKIPPED_NAMES).cloned().collect(),
        threads: rayon::current_num_threads(),
        timings: Timings {
            parse: parsed - started,
            analyze: done - parsed,
            total: done - started,
            summary: nanos(&cpu.summary),
            anomaly: nanos(&cpu.anomaly),
            changepoint: nanos(&cpu.changepoint),
            trend: nanos(&cpu.trend),
        },
    };
    Ok(Analysis { ids, conclusions, stats, options: options.clone() })
}

/// The series' non-missing values (borrowed when nothing is missing) and, when some are
/// missing, their positions in the series.
fn present(s: &Series) -> (Cow<'_, [f64]>, Option<Vec<usize>>) {
    if s.values.iter().all(|v| !v.is_nan()) {
        return (Cow::Borrowed(&s.values), None);
    }
    let positions = present_positions(&s.values);
    (Cow::Owned(positions.iter().map(|&i| s.values[i]).collect()), Some(positions))
}

/// Conclusions of one kind with the timestamp of the point they name.
type Stamped<T> = Vec<(Ts, T)>;

/// The positions in the series of its non-missing values.
fn present_positions(values: &[f64]) -> Vec<usize> {
    values.iter().enumerate().filter(|(_, v)| !v.is_nan()).map(|(i, _)| i).collect()
}

/// The conclusions that come from one chain: anomalies, change points, and the trend
/// when it is tested within the level-shift segments.
#[derive(Default)]
struct Chain {
    anomalies: Stamped<Anomaly>,
    changepoints: Stamped<ChangePoint>,
    trend: Option<SegmentedTrend>,
}

/// Anomalies, change points and (with `trend.method: withinSegments`) the trend: the plain
/// Hampel filter, the signal cleaned of its anomalies, then the level-shift fit that the
/// default methods of all three share.
fn segment_chain(s: &Series, o: &Options, cpu: &CpuTime, cancel: &AtomicBool) -> Result<Chain, Error> {
    let want_an = o.wants(Category::Anomaly);
    let want_cp = o.wants(Category::Changepoint);
    let want_segmented_trend = o.wants(Category::Trend) && o.trend.method == TrendMethod::WithinSegments;
    let need_fit = o.needs_level_shifts();
    if !want_an && !want_cp && !need_fit {
        return Ok(Chain::default());
    }
    let (xs, present_at) = present(s);
    // The timestamp of the `k`th non-missing value.
    let ts = |k: usize| s.ts.at(present_at.as_ref().map_or(k, |p| p[k]));
    let cp = o.changepoint;
    let an = o.anomaly;
    let plain = if want_an || ((want_cp || need_fit) && cp.clean) {
        CpuTime::timed(&cpu.anomaly, || hampel(&xs, an.half_window, an.threshold))
    } else {
        Vec::new()
    };
    check(cancel)?;
    let signal: Cow<'_, [f64]> = if cp.clean && !plain.is_empty() {
        let mut cleaned = xs.to_vec();
        for a in &plain {
            cleaned[a.index] = a.median;
        }
        Cow::Owned(cleaned)
    } else {
        Cow::Borrowed(&xs[..])
    };
    let positions = match (&present_at, need_fit) {
        (_, false) => Vec::new(),
        (Some(p), true) => p.clone(),
        (None, true) => (0..s.values.len()).collect(),
    };
    let fit = if need_fit {
        CpuTime::timed(&cpu.changepoint, || {
            let p: Vec<f64> = positions.iter().map(|&i| i as f64).collect();
            level_shift::fit(&signal, &p, cp.min_size, cp.jump, cp.penalty)
        })
    } else {
        None
    };
    check(cancel)?;
    let changepoints = if !want_cp {
        Vec::new()
    } else if cp.method == ChangepointMethod::LevelShift {
        fit.as_ref().map(|f| f.change_points(&signal)).unwrap_or_default()
    } else {
        CpuTime::timed(&cpu.changepoint, || detect(&signal, cp.min_size, cp.jump, cp.penalty))
    };
    let changepoints = changepoints.into_iter().map(|c| (ts(c.index), c)).collect();
    let anomalies = if !want_an {
        Vec::new()
    } else if an.method == AnomalyMethod::SegmentedHampel {
        CpuTime::timed(&cpu.anomaly, || match &fit {
            Some(f) => {
                hampel_within_segments(&xs, an.half_window, an.threshold, plain, &f.bounds(xs.len()), f.noise_sd)
            }
            None => plain,
        })
    } else {
        plain
    };
    let anomalies = anomalies.into_iter().map(|a| (ts(a.index), a)).collect();
    check(cancel)?;
    let trend = if want_segmented_trend {
        CpuTime::timed(&cpu.trend, || within_segments(&s.values, &positions, fit.as_ref(), o.trend.alpha))
    } else {
        None
    };
    Ok(Chain { anomalies, changepoints, trend })
}

fn analyze_series(s: &Series, o: &Options, cpu: &CpuTime, cancel: &AtomicBool) -> Result<SeriesConclusions, Error> {
    let wants = |c| o.wants(c);

    let summary_and_series_trend = || -> Result<(Option<Summary>, Option<Trend>), Error> {
        let summary = wants(Category::Summary).then(|| CpuTime::timed(&cpu.summary, || summarize(&s.ts, &s.values)));
        check(cancel)?;
        // Every method but withinSegments tests the whole series (that one, the level-shift fit).
        let trend = if wants(Category::Trend) && o.trend.method != TrendMethod::WithinSegments {
            CpuTime::timed(&cpu.trend, || trend_test(&s.values, &o.trend))
        } else {
            None
        };
        Ok((summary, trend))
    };
    let chain = || segment_chain(s, o, cpu, cancel);

    let ((summary, series_trend), chain) = if s.values.len() >= PARALLEL_CHAINS_MIN_LEN {
        let (a, b) = rayon::join(summary_and_series_trend, chain);
        (a?, b?)
    } else {
        (summary_and_series_trend()?, chain()?)
    };
    let Chain { anomalies, changepoints, trend: segmented } = chain;
    let level_shift_explained = segmented.as_ref().map(|t| t.level_shift_explained);
    let trend = series_trend.or(segmented.map(|t| t.trend));
    // ruptures' sanity check with no change point: `min_size > n` is refused.
    let changepoint_skipped =
        wants(Category::Changepoint) && s.values.iter().filter(|v| !v.is_nan()).count() < o.changepoint.min_size.max(1);
    Ok(SeriesConclusions { summary, anomalies, changepoints, trend, level_shift_explained, changepoint_skipped })
}
