//! pymannkendall 1.4.3's four modified Mann-Kendall tests for autocorrelated
//! series, on the present (non-missing) values in order, as pymannkendall
//! skips missing values before it detrends or prewhitens:
//!
//! * **Hamed-Rao** (`hamed_rao_modification_test`): var S times
//!   `1 + 2 / (n (n-1) (n-2)) * sum (n-i)(n-i-1)(n-i-2) r_i` over the lags `i`
//!   whose autocorrelation `r_i` of the *ranks* of `x_t - t * slope` (t = 1..n,
//!   Sen's slope of the series) lies outside `+-ndtri(1 - alpha/2) / sqrt(n)`.
//! * **Yue-Wang** (`yue_wang_modification_test`): var S times
//!   `1 + 2 * sum (1 - i/n) r_i` with `r_i` the autocorrelation of
//!   `x_t - t * slope` itself, every lag counted.
//! * **Prewhitening** (`pre_whitening_modification_test`): the test of the
//!   `n - 1` values `x_t - r_1 x_(t-1)`.
//! * **Trend-free prewhitening** (`trend_free_pre_whitening_modification_test`):
//!   the same on the detrended series, with `t * slope` (t = 1..n-1) added back.
//!
//! `lag` (Hamed-Rao and Yue-Wang) uses lags `1..=lag`; `None` all lags
//! `1..n`. pymannkendall raises `IndexError` for `lag >= n`; here such a lag
//! is clamped to all lags. The autocorrelations and their costs are in
//! [`super::acf`].

use super::acf;
use super::div_correctly_rounded;
use super::normal;
use crate::summary::numpy_sum;

/// pymannkendall's `lag` variable: one past the last lag used, at most `n`.
fn lag_end(n: usize, lag: Option<usize>) -> usize {
    lag.map_or(n, |l| l.saturating_add(1)).min(n)
}

/// `x - np.arange(1, n + 1) * slope`.
fn detrend(x: &[f64], slope: f64) -> Vec<f64> {
    x.iter().enumerate().map(|(i, &v)| v - (i + 1) as f64 * slope).collect()
}

/// Hamed and Rao's (1998) factor `n / n*` on var S. `x`: the present values
/// (at least 3), `slope`: Sen's slope of the series.
pub(super) fn hamed_rao_factor(x: &[f64], slope: f64, alpha: f64, lag: Option<usize>) -> f64 {
    let n = x.len();
    let end = lag_end(n, lag);
    let r = acf::ranks_acf(&detrend(x, slope), end - 1);
    let interval = normal::ndtri(1.0 - alpha / 2.0) / (n as f64).sqrt();
    let (upper, lower) = (0.0 + interval, 0.0 - interval);
    let mut sni = 0.0;
    for (i, &ri) in r.iter().enumerate().take(end).skip(1) {
        // Not `!(lower..=upper).contains()`: a NaN r_i counts, as in pymannkendall.
        let inside = ri <= upper && ri >= lower;
        if !inside {
            let m = (n - i) as i128;
            sni += (m * (m - 1) * (m - 2)) as f64 * ri;
        }
    }
    let n = n as u128;
    1.0 + div_correctly_rounded(2, n * (n - 1) * (n - 2)) * sni
}

/// Yue and Wang's (2004) factor `n / n*` on var S. `x`: the present values
/// (at least 3), `slope`: Sen's slope of the series.
pub(super) fn yue_wang_factor(x: &[f64], slope: f64, lag: Option<usize>) -> f64 {
    let n = x.len();
    let end = lag_end(n, lag);
    let detrended = detrend(x, slope);
    if end == n {
        return 1.0 + 2.0 * acf::yue_wang_all_lags(&detrended);
    }
    let r = acf::real_acf(&detrended, end - 1);
    let nf = n as f64;
    let terms: Vec<f64> = (1..end).map(|i| (1.0 - i as f64 / nf) * r[i]).collect();
    1.0 + 2.0 * numpy_sum(&terms)
}

/// `x[1:] - x[:-1] * r1`, `r1` the lag-1 autocorrelation of `x`.
fn whiten(x: &[f64]) -> Vec<f64> {
    let r1 = acf::real_acf(x, 1)[1];
    x.windows(2).map(|w| w[1] - w[0] * r1).collect()
}

/// The series pymannkendall's prewhitening test scores (`n - 1` values).
pub(super) fn pre_whiten(x: &[f64]) -> Vec<f64> {
    whiten(x)
}

/// The series pymannkendall's trend-free prewhitening test scores (`n - 1`
/// values): the detrended series prewhitened, with the trend added back.
pub(super) fn trend_free_pre_whiten(x: &[f64], slope: f64) -> Vec<f64> {
    let mut w = whiten(&detrend(x, slope));
    for (i, v) in w.iter_mut().enumerate() {
        *v += (i + 1) as f64 * slope;
    }
    w
}
