//! trend: Mann-Kendall test and Sen's slope, exactly as pymannkendall 1.4.3
//! `original_test`, in O(n log n) expected time and O(n) memory. OWNER: helper "trend".

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Increasing,
    Decreasing,
    NoTrend,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Increasing => "increasing",
            Direction::Decreasing => "decreasing",
            Direction::NoTrend => "no trend",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub trend: Direction,
    pub h: bool,
    pub p: f64,
    pub z: f64,
    pub tau: f64,
    pub s: i64,
    pub var_s: f64,
    pub slope: f64,
    pub intercept: f64,
    /// Number of non-missing values.
    pub n: usize,
}

/// `x`: the ts-sorted values with `NaN` for missing (positions matter for Sen's slope).
/// `None` when fewer than 3 values are present.
pub fn mann_kendall(x: &[f64], alpha: f64) -> Option<Trend> {
    let _ = (x, alpha);
    unimplemented!("trend: being written")
}
