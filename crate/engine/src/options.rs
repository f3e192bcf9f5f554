//! Analysis options (JS options are decoded and range-checked by `option_decoder`).

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

/// How anomalies are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnomalyMethod {
    /// Hampel windows truncated at the detected level shifts, scale at least the series'
    /// noise scale ([`crate::anomaly::segmented`]).
    #[default]
    SegmentedHampel,
    /// The plain Hampel filter (MATLAB's `hampel`, exact).
    Hampel,
}

/// How change points are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangepointMethod {
    /// Level shifts on a common linear trend ([`crate::changepoint::level_shift`]).
    #[default]
    LevelShift,
    /// `ruptures.Pelt(model="l2")`, exact.
    L2,
}

/// How the trend is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrendMethod {
    /// Mann-Kendall within the segments between level shifts, AR(1)-corrected
    /// ([`crate::trend::within_segments`]).
    #[default]
    WithinSegments,
    /// `pymannkendall.original_test`, exact.
    Original,
    /// `hamed_rao_modification_test`, exact: var S scaled by the significant
    /// autocorrelations of the ranks of the detrended series.
    HamedRao,
    /// `yue_wang_modification_test`, exact: var S scaled by an effective sample size
    /// from the autocorrelations of the detrended series.
    YueWang,
    /// `pre_whitening_modification_test`, exact: the test on `x[t] - r1 x[t-1]`.
    PreWhitening,
    /// `trend_free_pre_whitening_modification_test`, exact: detrend, prewhiten, re-add
    /// the trend, then test.
    TrendFreePreWhitening,
}

impl TrendMethod {
    /// Whether `trend.lag` applies (pymannkendall takes `lag` only there).
    pub fn takes_lag(self) -> bool {
        matches!(self, TrendMethod::HamedRao | TrendMethod::YueWang)
    }
}

macro_rules! method_names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn name(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(<$ty>::$variant),)+ _ => None }
            }
        }
    };
}

method_names!(AnomalyMethod { SegmentedHampel => "segmentedHampel", Hampel => "hampel" });
method_names!(ChangepointMethod { LevelShift => "levelShift", L2 => "l2" });
method_names!(TrendMethod {
    WithinSegments => "withinSegments",
    Original => "original",
    HamedRao => "hamedRao",
    YueWang => "yueWang",
    PreWhitening => "preWhitening",
    TrendFreePreWhitening => "trendFreePreWhitening",
});

/// Hampel filter parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalyOptions {
    pub method: AnomalyMethod,
    pub half_window: usize,
    pub threshold: f64,
}

impl Default for AnomalyOptions {
    fn default() -> Self {
        AnomalyOptions { method: AnomalyMethod::default(), half_window: 30, threshold: 4.0 }
    }
}

/// PELT parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangepointOptions {
    pub method: ChangepointMethod,
    pub min_size: usize,
    pub jump: usize,
    /// `None`: the default robust penalty `3 s^2 ln n`.
    pub penalty: Option<f64>,
    /// Replace Hampel anomalies by their window median before segmenting.
    pub clean: bool,
}

impl Default for ChangepointOptions {
    fn default() -> Self {
        ChangepointOptions { method: ChangepointMethod::default(), min_size: 2, jump: 1, penalty: None, clean: true }
    }
}

/// The largest `trend.lag`. It bounds the work: at n = 1e6, Yue-Wang's direct
/// autocorrelations up to lag 1000 take about 4.6 s of CPU on top of the
/// test's 1 s (Hamed-Rao's exact transform about 1.1 s for any lag; all lags,
/// `lag: None`, take an O(n log n) or O(n) path). docs/trend-methods.md.
pub const MAX_TREND_LAG: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendOptions {
    pub method: TrendMethod,
    pub alpha: f64,
    /// Hamed-Rao / Yue-Wang: the autocorrelation lags used, `1..=lag`;
    /// `None`: all lags (pymannkendall's `lag=None`). Clamped to `n - 1`.
    pub lag: Option<usize>,
}

impl Default for TrendOptions {
    fn default() -> Self {
        TrendOptions { method: TrendMethod::default(), alpha: 0.05, lag: None }
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

impl Options {
    /// The exact reference modes (ruptures l2, plain Hampel, `original_test`) with the
    /// other options of `self`.
    pub fn reference(mut self) -> Options {
        self.anomaly.method = AnomalyMethod::Hampel;
        self.changepoint.method = ChangepointMethod::L2;
        self.trend.method = TrendMethod::Original;
        self
    }

    /// Whether some requested analysis needs the level-shift fit.
    pub fn needs_level_shifts(&self) -> bool {
        (self.wants(Category::Changepoint) && self.changepoint.method == ChangepointMethod::LevelShift)
            || (self.wants(Category::Anomaly) && self.anomaly.method == AnomalyMethod::SegmentedHampel)
            || (self.wants(Category::Trend) && self.trend.method == TrendMethod::WithinSegments)
    }
}

/// The largest pool anyone may ask for; beyond this it is a typo, not a wish.
pub const MAX_THREADS: usize = 1024;

impl Options {
    pub fn wants(&self, category: Category) -> bool {
        self.categories.contains(&category)
    }
}
