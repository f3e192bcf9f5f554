//! anomaly: Hampel filter with a sorted sliding window. OWNER: helper "stats".

/// One anomalous point. `index` is the position among the series' non-missing values.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub index: usize,
    pub value: f64,
    pub median: f64,
    pub mad: f64,
    /// `|x - median| / sigma`, `None` when sigma is 0.
    pub score: Option<f64>,
}

/// MAD to sigma for Gaussian data: 1 / (sqrt(2) * erfinv(1/2)).
pub const MAD_SCALE: f64 = 1.482602218505602;

/// Hampel filter over `x` (no NaN): the anomalous points in index order.
pub fn hampel(x: &[f64], half_window: usize, threshold: f64) -> Vec<Anomaly> {
    let _ = (x, half_window, threshold);
    unimplemented!("anomaly: being written")
}
