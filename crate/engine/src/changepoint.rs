//! changepoint: PELT with the l2 cost, exactly as ruptures 1.1.x. OWNER: helper "pelt".

/// One change point. `index` is the first index of the new segment (among non-missing values).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePoint {
    pub index: usize,
    pub mean_before: f64,
    pub mean_after: f64,
    pub delta: f64,
    pub penalty: f64,
}

/// The default penalty `3 s^2 ln n` (see SPEC 3), `None` when no change point can be found.
pub fn default_penalty(x: &[f64]) -> Option<f64> {
    let _ = x;
    unimplemented!("changepoint: being written")
}

/// `ruptures.Pelt(model="l2", min_size, jump).fit(x).predict(pen)` without the final `n`.
pub fn pelt_l2(x: &[f64], min_size: usize, jump: usize, penalty: f64) -> Vec<usize> {
    let _ = (x, min_size, jump, penalty);
    unimplemented!("changepoint: being written")
}

/// Change points of `x` (no NaN) with segment means; `penalty: None` uses [`default_penalty`].
pub fn detect(x: &[f64], min_size: usize, jump: usize, penalty: Option<f64>) -> Vec<ChangePoint> {
    let _ = (x, min_size, jump, penalty);
    unimplemented!("changepoint: being written")
}
