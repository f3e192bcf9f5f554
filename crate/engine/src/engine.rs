//! Runs the analyses over a batch on the engine's pool.
//!
//! Series are independent, so they are spread over the pool with rayon; inside
//! a long series the analyses that parallelise (Hampel by chunks, Sen's slope)
//! do so themselves, and the two independent chains (summary + trend, anomaly
//! -> changepoint) run side by side. Cancellation is cooperative: the flag is
//! read before each series and between analyses. A panic anywhere becomes an
//! [`ErrorKind::Internal`](crate::ErrorKind) error, never an abort.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::anomaly::{hampel, Anomaly};
use crate::batch::{Batch, Series};
use crate::changepoint::{detect, ChangePoint};
use crate::error::Error;
use crate::options::{Category, Options};
use crate::parse::parse;
use crate::pool;
use crate::summary::{summarize, Summary};
use crate::trend::{trend_test, Trend};

/// Series at least this long run their two analysis chains in parallel.
const PARALLEL_CHAINS_MIN_LEN: usize = 20_000;

/// The conclusions of one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesConclusions {
    pub summary: Option<Summary>,
    /// `(ts, anomaly)`: the ts of the point at `anomaly.index` among non-missing values.
    pub anomalies: Vec<(f64, Anomaly)>,
    /// `(ts, change point)`.
    pub changepoints: Vec<(f64, ChangePoint)>,
    pub trend: Option<Trend>,
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

/// Parses `input` and runs the requested analyses on this process's pool.
/// Never panics: a panic inside is returned as an internal error.
pub fn analyze(input: &[u8], options: &Options, cancel: &AtomicBool) -> Result<Analysis, Error> {
    options.validate()?;
    let pool = pool::get(options.threads)?;
    let run = || pool.install(|| analyze_on_current_pool(input, options, cancel));
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => Err(Error::internal(format!("engine panic: {}", panic_message(&*payload)))),
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

fn analyze_on_current_pool(input: &[u8], options: &Options, cancel: &AtomicBool) -> Result<Analysis, Error> {
    let started = Instant::now();
    check(cancel)?;
    let batch = parse(input, options.format, options.on_bad_line)?;
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
    let nanos = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::Relaxed));
    let stats = Stats {
        points,
        series: ids.len(),
        bad_lines,
        bad_line_numbers,
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

/// The series' non-missing values and their timestamps (borrowed when nothing is missing).
fn present(s: &Series) -> (Cow<'_, [f64]>, Cow<'_, [f64]>) {
    if s.values.iter().all(|v| !v.is_nan()) {
        return (Cow::Borrowed(&s.values), Cow::Borrowed(&s.ts));
    }
    let (ts, xs): (Vec<f64>, Vec<f64>) =
        s.ts.iter().zip(&s.values).filter(|(_, v)| !v.is_nan()).map(|(t, v)| (*t, *v)).unzip();
    (Cow::Owned(xs), Cow::Owned(ts))
}

/// Conclusions of one kind with the timestamp of the point they name.
type Stamped<T> = Vec<(f64, T)>;

fn analyze_series(s: &Series, o: &Options, cpu: &CpuTime, cancel: &AtomicBool) -> Result<SeriesConclusions, Error> {
    let wants = |c| o.wants(c);

    let summary_and_trend = || -> Result<(Option<Summary>, Option<Trend>), Error> {
        let summary = wants(Category::Summary).then(|| CpuTime::timed(&cpu.summary, || summarize(&s.ts, &s.values)));
        check(cancel)?;
        let trend =
            if wants(Category::Trend) { CpuTime::timed(&cpu.trend, || trend_test(&s.values, &o.trend)) } else { None };
        Ok((summary, trend))
    };

    let anomalies_and_changepoints = || -> Result<(Stamped<Anomaly>, Stamped<ChangePoint>), Error> {
        let want_cp = wants(Category::Changepoint);
        let want_an = wants(Category::Anomaly);
        if !want_an && !want_cp {
            return Ok((Vec::new(), Vec::new()));
        }
        let (xs, ts) = present(s);
        let cp = o.changepoint;
        let anomalies = if want_an || (want_cp && cp.clean) {
            CpuTime::timed(&cpu.anomaly, || hampel(&xs, o.anomaly.half_window, o.anomaly.threshold))
        } else {
            Vec::new()
        };
        check(cancel)?;
        let changepoints = if want_cp {
            CpuTime::timed(&cpu.changepoint, || {
                let signal: Cow<'_, [f64]> = if cp.clean && !anomalies.is_empty() {
                    let mut cleaned = xs.to_vec();
                    for a in &anomalies {
                        cleaned[a.index] = a.median;
                    }
                    Cow::Owned(cleaned)
                } else {
                    Cow::Borrowed(&xs[..])
                };
                detect(&signal, cp.min_size, cp.jump, cp.penalty)
            })
            .into_iter()
            .map(|c| (ts[c.index], c))
            .collect()
        } else {
            Vec::new()
        };
        let anomalies = if want_an { anomalies.into_iter().map(|a| (ts[a.index], a)).collect() } else { Vec::new() };
        Ok((anomalies, changepoints))
    };

    let ((summary, trend), (anomalies, changepoints)) = if s.values.len() >= PARALLEL_CHAINS_MIN_LEN {
        let (a, b) = rayon::join(summary_and_trend, anomalies_and_changepoints);
        (a?, b?)
    } else {
        (summary_and_trend()?, anomalies_and_changepoints()?)
    };
    Ok(SeriesConclusions { summary, anomalies, changepoints, trend })
}
