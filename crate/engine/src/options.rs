//! Analysis options, validated once before any work starts.

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadLinePolicy {
    /// Reject the whole batch on the first bad line (the default).
    #[default]
    Fail,
    /// Skip bad lines, counting them.
    Skip,
}

/// The four conclusion categories, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Summary,
    Anomaly,
    Changepoint,
    Trend,
}

impl Category {
    pub const ALL: [Category; 4] = [Category::Summary, Category::Anomaly, Category::Changepoint, Category::Trend];

    pub fn name(self) -> &'static str {
        match self {
            Category::Summary => "summary",
            Category::Anomaly => "anomaly",
            Category::Changepoint => "changepoint",
            Category::Trend => "trend",
        }
    }

    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Hampel filter parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalyOptions {
    pub half_window: usize,
    pub threshold: f64,
}

impl Default for AnomalyOptions {
    fn default() -> Self {
        AnomalyOptions { half_window: 30, threshold: 4.0 }
    }
}

/// PELT parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangepointOptions {
    pub min_size: usize,
    pub jump: usize,
    /// `None`: the default robust penalty `3 s^2 ln n`.
    pub penalty: Option<f64>,
    /// Replace Hampel anomalies by their window median before segmenting.
    pub clean: bool,
}

impl Default for ChangepointOptions {
    fn default() -> Self {
        ChangepointOptions { min_size: 2, jump: 1, penalty: None, clean: true }
    }
}

/// Which Mann-Kendall test: pymannkendall 1.4.3's `original_test` or one of
/// its four modifications for autocorrelated series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrendMethod {
    /// `original_test`.
    #[default]
    Original,
    /// `hamed_rao_modification_test`: var S scaled by the significant
    /// autocorrelations of the ranks of the detrended series.
    HamedRao,
    /// `yue_wang_modification_test`: var S scaled by an effective sample size
    /// from the autocorrelations of the detrended series.
    YueWang,
    /// `pre_whitening_modification_test`: the test on `x[t] - r1 x[t-1]`.
    PreWhitening,
    /// `trend_free_pre_whitening_modification_test`: detrend, prewhiten, re-add
    /// the trend, then test.
    TrendFreePreWhitening,
}

impl TrendMethod {
    pub const ALL: [TrendMethod; 5] = [
        TrendMethod::Original,
        TrendMethod::HamedRao,
        TrendMethod::YueWang,
        TrendMethod::PreWhitening,
        TrendMethod::TrendFreePreWhitening,
    ];

    /// The option value (and the `method` field of trend conclusions).
    pub fn name(self) -> &'static str {
        match self {
            TrendMethod::Original => "original",
            TrendMethod::HamedRao => "hamedRao",
            TrendMethod::YueWang => "yueWang",
            TrendMethod::PreWhitening => "preWhitening",
            TrendMethod::TrendFreePreWhitening => "trendFreePreWhitening",
        }
    }

    pub fn from_name(name: &str) -> Option<TrendMethod> {
        TrendMethod::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether `trend.lag` applies (pymannkendall takes `lag` only there).
    pub fn takes_lag(self) -> bool {
        matches!(self, TrendMethod::HamedRao | TrendMethod::YueWang)
    }
}

/// The largest `trend.lag`. It bounds the work: at n = 1e6, Yue-Wang's direct
/// autocorrelations up to lag 1000 take about 4.6 s of CPU on top of the
/// test's 1 s (Hamed-Rao's exact transform about 1.1 s for any lag; all lags,
/// `lag: None`, take an O(n log n) or O(n) path). docs/trend-methods.md.
pub const MAX_TREND_LAG: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendOptions {
    pub alpha: f64,
    pub method: TrendMethod,
    /// Hamed-Rao / Yue-Wang: the autocorrelation lags used, `1..=lag`;
    /// `None`: all lags (pymannkendall's `lag=None`). Clamped to `n - 1`.
    pub lag: Option<usize>,
}

impl Default for TrendOptions {
    fn default() -> Self {
        TrendOptions { alpha: 0.05, method: TrendMethod::Original, lag: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `None`: detected from the first non-blank byte (`{` is NDJSON).
    pub format: Option<Format>,
    pub on_bad_line: BadLinePolicy,
    /// Which categories to compute, de-duplicated, in canonical order.
    pub categories: Vec<Category>,
    pub anomaly: AnomalyOptions,
    pub changepoint: ChangepointOptions,
    pub trend: TrendOptions,
    /// Pool size; `None`: `CONCLUDE_THREADS` or the available cores.
    pub threads: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            on_bad_line: BadLinePolicy::Fail,
            categories: Category::ALL.to_vec(),
            anomaly: AnomalyOptions::default(),
            changepoint: ChangepointOptions::default(),
            trend: TrendOptions::default(),
            threads: None,
        }
    }
}

/// The largest pool anyone may ask for; beyond this it is a typo, not a wish.
pub const MAX_THREADS: usize = 1024;

impl Options {
    pub fn wants(&self, category: Category) -> bool {
        self.categories.contains(&category)
    }

    /// Checks ranges; the error names the option and the value.
    pub fn validate(&self) -> Result<(), Error> {
        if self.anomaly.half_window == 0 {
            return Err(Error::options("anomaly.halfWindow must be a positive integer, got 0"));
        }
        if !(self.anomaly.threshold.is_finite() && self.anomaly.threshold >= 0.0) {
            return Err(Error::options(format!(
                "anomaly.threshold must be a finite number >= 0, got {}",
                self.anomaly.threshold
            )));
        }
        if self.changepoint.min_size == 0 {
            return Err(Error::options("changepoint.minSize must be a positive integer, got 0"));
        }
        if self.changepoint.jump == 0 {
            return Err(Error::options("changepoint.jump must be a positive integer, got 0"));
        }
        if let Some(p) = self.changepoint.penalty {
            if !(p.is_finite() && p >= 0.0) {
                return Err(Error::options(format!("changepoint.penalty must be a finite number >= 0, got {p}")));
            }
        }
        if !(self.trend.alpha > 0.0 && self.trend.alpha < 1.0) {
            return Err(Error::options(format!("trend.alpha must be in (0, 1), got {}", self.trend.alpha)));
        }
        if let Some(lag) = self.trend.lag {
            if !self.trend.method.takes_lag() {
                return Err(Error::options(format!(
                    "trend.lag applies to trend.method 'hamedRao' or 'yueWang' only, not {:?}",
                    self.trend.method.name()
                )));
            }
            if lag > MAX_TREND_LAG {
                return Err(Error::options(format!(
                    "trend.lag must be an integer in 0..={MAX_TREND_LAG} (or absent for all lags), got {lag}"
                )));
            }
        }
        if let Some(t) = self.threads {
            if t == 0 || t > MAX_THREADS {
                return Err(Error::options(format!("threads must be an integer in 1..={MAX_THREADS}, got {t}")));
            }
        }
        Ok(())
    }
}
