//! trend: Mann-Kendall test and Sen's slope, exactly as pymannkendall 1.4.3
//! `original_test`, in O(n log n) expected time and O(n) memory.
//!
//! pymannkendall is O(n^2) in time and memory. Here:
//!
//! * **S** = sum over pairs `i < j` of `sign(x_j - x_i)` is `gt - lt`, where
//!   `lt` (pairs with `x_j < x_i`) is the inversion count of the series, found
//!   by a merge sort ([`msort`]), and `gt = n(n-1)/2 - lt - eq` with `eq`, the
//!   tied pairs, read off the sorted values. Exact in `i64`.
//! * **var S** uses the tie groups of the same sort, with pymannkendall's
//!   arithmetic: without ties `n(n-1)(2n+5)/18` is Python's correctly rounded
//!   integer division; with ties, the per-group terms `t(t-1)(2t+5)` are float64
//!   and summed with numpy's pairwise summation in ascending value order, the
//!   integer part converted to float64 and the difference divided by 18.
//! * **z, p, h, trend, tau** follow pymannkendall's expressions, with scipy's
//!   `ndtr` / `ndtri` ported from Cephes ([`normal`]).
//! * **Sen's slope** is the exact median of the float64 pairwise quotients over
//!   the original positions, by randomized slope selection ([`sen`]); the
//!   intercept is `nanmedian(x) - median(present positions) * slope`.
//!
//! Long series (at least 20,000 values) use rayon inside (merge-sort halves,
//! the two counts of a search round, key computation); shorter ones run
//! sequentially since the caller already spreads series over the pool.
//!
//! [`trend_test`] adds pymannkendall's four modified tests for autocorrelated
//! series (`trend.method`), built on the same S, var S and Sen's slope.
//!
//! Infinite values are ordinary values for S (as in numpy); their quotients in
//! Sen's slope are +-inf, or NaN (left out) for two infinities of the same
//! sign. Inputs longer than `u32::MAX` are out of scope (`None`).

mod acf;
mod modified;
mod msort;
pub mod normal;
mod ntt;
mod sen;
pub mod within_segments;

pub use sen::sen_slope;

use crate::options::{TrendMethod, TrendOptions};
use crate::summary::pairwise_sum;

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
    /// Number of non-missing values (the prewhitening tests score the `n - 1`
    /// prewhitened ones; Tau is over those).
    pub n: usize,
}

/// The Mann-Kendall score with the tie information it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct MkScore {
    /// Number of non-missing values.
    pub n: usize,
    /// `sum_{i<j} sign(x_j - x_i)`.
    pub s: i64,
    /// Pairs with `x_j < x_i`.
    pub lt: u64,
    /// Pairs with `x_j == x_i`.
    pub eq: u64,
    /// pymannkendall's `var_s`.
    pub var_s: f64,
}

/// `x`: the ts-sorted values with `NaN` for missing (positions matter for Sen's slope).
/// `None` when fewer than 3 values are present.
pub fn mann_kendall(x: &[f64], alpha: f64) -> Option<Trend> {
    if x.len() > u32::MAX as usize {
        return None;
    }
    let mut sorted: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = sorted.len();
    if n < 3 {
        return None;
    }
    let score = score_sorting(&mut sorted);
    Some(mann_kendall_of_sorted(x, &sorted, &score, alpha))
}

/// [`mann_kendall`] of `x` given its non-missing values sorted ascending (at least 3) and
/// their score (for callers that have them from another computation).
fn mann_kendall_of_sorted(x: &[f64], sorted: &[f64], score: &MkScore, alpha: f64) -> Trend {
    let n = sorted.len();
    let (s, var_s) = (score.s, score.var_s);

    let Decision { z, p, h, trend } = decide(s, var_s, alpha);
    let tau = kendall_tau(s, n);

    let finite = sorted.first().is_some_and(|v| v.is_finite()) && sorted.last().is_some_and(|v| v.is_finite());
    let zero = finite.then_some(sen::ZeroCounts { lt: score.lt, eq: score.eq });
    let (slope, intercept) = sen_line(x, sorted, zero);

    Trend { trend, h, p, z, tau, s, var_s, slope, intercept, n }
}

/// The test `o.method` names, as pymannkendall 1.4.3 computes it: `original_test` or one
/// of the four modifications ([`modified`]). `None` when fewer than 3 values are present.
/// Not for [`TrendMethod::WithinSegments`], which needs the level-shift fit
/// ([`within_segments`]).
pub fn trend_test(x: &[f64], o: &TrendOptions) -> Option<Trend> {
    let original = mann_kendall(x, o.alpha)?;
    let present = || -> Vec<f64> { x.iter().copied().filter(|v| !v.is_nan()).collect() };
    let (s, var_s, tested) = match o.method {
        TrendMethod::Original => return Some(original),
        TrendMethod::WithinSegments => unreachable!("withinSegments is tested on the level-shift fit"),
        TrendMethod::HamedRao => {
            let factor = modified::hamed_rao_factor(&present(), original.slope, o.alpha, o.lag);
            (original.s, original.var_s * factor, original.n)
        }
        TrendMethod::YueWang => {
            let factor = modified::yue_wang_factor(&present(), original.slope, o.lag);
            (original.s, original.var_s * factor, original.n)
        }
        TrendMethod::PreWhitening => score_of(&modified::pre_whiten(&present())),
        TrendMethod::TrendFreePreWhitening => score_of(&modified::trend_free_pre_whiten(&present(), original.slope)),
    };
    let Decision { z, p, h, trend } = decide(s, var_s, o.alpha);
    Some(Trend { trend, h, p, z, tau: kendall_tau(s, tested), s, var_s, ..original })
}

/// S, var S and the number of values of a prewhitened series (at least 2, from 3 present).
fn score_of(whitened: &[f64]) -> (i64, f64, usize) {
    let score = mk_score(whitened).expect("at least 2 prewhitened values from 3 present");
    (score.s, score.var_s, score.n)
}

/// pymannkendall's Tau: `s` over the `n (n - 1) / 2` pairs of the `n` values scored.
fn kendall_tau(s: i64, n: usize) -> f64 {
    s as f64 / (0.5 * n as f64 * (n - 1) as f64)
}

/// pymannkendall's `sens_slope(x)`: Sen's slope over the original positions and
/// `np.nanmedian(x) - np.median(present positions) * slope`. `sorted`: the
/// present values, sorted.
fn sen_line(x: &[f64], sorted: &[f64], zero: Option<sen::ZeroCounts>) -> (f64, f64) {
    let n = sorted.len();
    let slope = sen::slope(x, zero);
    let med_x = median_of_sorted(sorted);
    let med_pos = {
        // The middle one or two of the present positions.
        let (lo_k, hi_k) = ((n - 1) / 2, n / 2);
        let (mut a, mut b) = (f64::NAN, f64::NAN);
        for (k, (i, _)) in x.iter().enumerate().filter(|p| !p.1.is_nan()).enumerate() {
            if k == lo_k {
                a = i as f64;
            }
            if k == hi_k {
                b = i as f64;
                break;
            }
        }
        if n % 2 == 1 {
            sen::np_median_of_middles(&[a])
        } else {
            sen::np_median_of_middles(&[a, b])
        }
    };
    (slope, med_x - med_pos * slope)
}

/// The outcome of a Mann-Kendall-type test from its score and variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub z: f64,
    pub p: f64,
    pub h: bool,
    pub trend: Direction,
}

/// pymannkendall's `__z_score`, `__p_value` (two-tailed) and decision at level `alpha`.
pub fn decide(s: i64, var_s: f64, alpha: f64) -> Decision {
    // s is a float64 in pymannkendall (exact).
    let sf = s as f64;
    let z = match s {
        0 => 0.0,
        s if s > 0 => (sf - 1.0) / var_s.sqrt(),
        _ => (sf + 1.0) / var_s.sqrt(),
    };
    let p = 2.0 * (1.0 - normal::ndtr(z.abs()));
    let h = z.abs() > normal::ndtri(1.0 - alpha / 2.0);
    let trend = if z < 0.0 && h {
        Direction::Decreasing
    } else if z > 0.0 && h {
        Direction::Increasing
    } else {
        Direction::NoTrend
    };
    Decision { z, p, h, trend }
}

/// The Mann-Kendall S, its tie counts and pymannkendall's variance, over the
/// non-missing values of `x`. `None` when fewer than 2 values are present.
pub fn mk_score(x: &[f64]) -> Option<MkScore> {
    let mut sorted: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    (sorted.len() >= 2).then(|| score_sorting(&mut sorted))
}

/// Sorts `v` (no NaN), computing S and var S on the way.
fn score_sorting(v: &mut [f64]) -> MkScore {
    let par = v.len() >= sen::PAR_MIN;
    let lt = msort::sort_count(v, &|a: &f64, b: &f64| a < b, par);
    score_of_sorted(v, lt)
}

/// S and var S of values given sorted ascending (no NaN, at least 2), with `lt` the number
/// of pairs `i < j` of the original order with `x_j < x_i`.
fn score_of_sorted(v: &[f64], lt: u64) -> MkScore {
    let n = v.len();
    // Tie groups in ascending value order (as np.unique lists them).
    let mut eq = 0u64;
    let mut groups: Vec<u64> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && v[j] == v[i] {
            j += 1;
        }
        let t = (j - i) as u64;
        eq += t * (t - 1) / 2;
        groups.push(t);
        i = j;
    }
    let n64 = n as u64;
    let pairs = n64 * (n64 - 1) / 2;
    let gt = pairs - lt - eq;
    let s = gt as i64 - lt as i64;
    let var_s = variance_s(n64, &groups);
    MkScore { n, s, lt, eq, var_s }
}

/// pymannkendall's `__variance_s` for `n` values in tie groups of the given
/// sizes (ascending value order).
fn variance_s(n: u64, groups: &[u64]) -> f64 {
    let n = n as u128;
    // Python integer: n*(n-1)*(2*n+5)
    let big = n * (n - 1) * (2 * n + 5);
    if groups.len() as u128 == n {
        // No ties: int / int, correctly rounded.
        div_correctly_rounded(big, 18)
    } else {
        // tp is a float64 array: tp*(tp-1)*(2*tp+5), np.sum, then
        // (python int - float64) / 18 in float64.
        let terms: Vec<f64> = groups
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * (t - 1.0) * (2.0 * t + 5.0)
            })
            .collect();
        (big as f64 - pairwise_sum(&terms)) / 18.0
    }
}

/// `num / den` correctly rounded to float64 (round half to even), as Python's
/// `int / int`.
fn div_correctly_rounded(num: u128, den: u128) -> f64 {
    if num == 0 {
        return 0.0;
    }
    let bits = |v: u128| 128 - v.leading_zeros() as i32;
    // Scale so that the quotient has at least 55 significant bits, then fold the
    // remainder into a sticky bit: one rounding of (q | sticky) is then exact.
    let shift = (55 - (bits(num) - bits(den))).max(0);
    if bits(num) + shift > 127 {
        // Unreachable for any n that fits in memory; plain float division.
        return num as f64 / den as f64;
    }
    let scaled = num << shift;
    let q = scaled / den;
    let sticky = !scaled.is_multiple_of(den) as u128;
    let v = ((q << 1) | sticky) as f64; // exact scaling by 2 keeps the sticky bit below the rounding point
    v / 2f64.powi(shift + 1)
}

/// `np.median` of sorted values (`np.mean` of the middle one or two).
fn median_of_sorted(v: &[f64]) -> f64 {
    let m = v.len();
    if m == 0 {
        f64::NAN
    } else if m % 2 == 1 {
        sen::np_median_of_middles(&[v[m / 2]])
    } else {
        sen::np_median_of_middles(&[v[m / 2 - 1], v[m / 2]])
    }
}

#[cfg(test)]
mod tests;
