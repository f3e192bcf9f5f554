//! summary: one conclusion per series (numpy semantics). OWNER: helper "stats".

/// Summary of one series. Statistics are `None` when no value is present.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub missing: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub first_ts: Option<f64>,
    pub last_ts: Option<f64>,
}

/// `ts` and `values` are the series' ts-sorted points (`NaN` = missing).
pub fn summarize(ts: &[f64], values: &[f64]) -> Summary {
    let _ = (ts, values);
    unimplemented!("summary: being written")
}
