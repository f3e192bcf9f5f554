//! Trend within the segments between level shifts, for autocorrelated noise.
//!
//! pymannkendall's `original_test` reads a single level shift as a trend (every pair
//! across the step has the same sign) and, on autocorrelated noise, rejects far more
//! often than `alpha`. [`within_segments`] tests the trend only between points of the same
//! segment of a [`LevelShiftFit`]: `S = Σ_s S_s` and `var S = Σ_s var S_s` over the
//! segments (each the Mann-Kendall score and pymannkendall's tie-corrected variance of
//! its values; Hirsch's seasonal Kendall with the segments as seasons), so a step adds
//! nothing to `S` while a trend shared by the segments adds up. `var S` is then
//! multiplied by Hamed and Rao's factor `n / n*` for AR(1) noise with the fit's lag-1
//! autocorrelation `φ` (rank autocorrelation `ρ_k = (6/π) asin(φ^k / 2)`).
//!
//! Sen's slope and the intercept are pymannkendall's, computed on the series with the
//! fitted level offsets removed (`x - (a_s - a_0)` on segment `s`); `tau` is `S` over the
//! number of within-segment pairs. Without a level shift and with `φ = 0` the test is
//! `original_test`.

use super::{decide, mann_kendall, mk_score, Decision, Trend};
use crate::changepoint::level_shift::LevelShiftFit;

/// The trend and whether the level shifts explain what the original test calls a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentedTrend {
    pub trend: Trend,
    /// `original_test` on the raw series rejects "no trend" but the test within the
    /// segments does not: the series has level shifts, not a trend.
    pub level_shift_explained: bool,
}

/// Hamed and Rao's variance factor `n / n*` for AR(1) noise with lag-1 autocorrelation
/// `phi` (ranks' `ρ_k = (6/π) asin(φ^k / 2)`, terms until `φ^k < 1e-6`); 1 for `phi <= 0`.
pub fn ar1_variance_factor(n: usize, phi: f64) -> f64 {
    if phi <= 0.0 || n < 3 {
        return 1.0;
    }
    let nf = n as f64;
    let mut sum = 0.0;
    let mut pk = phi;
    for k in 1..n {
        if pk < 1e-6 {
            break;
        }
        let rho = 6.0 / std::f64::consts::PI * (pk / 2.0).asin();
        let m = nf - k as f64;
        sum += m * (m - 1.0) * (m - 2.0) * rho;
        pk *= phi;
    }
    1.0 + 2.0 / (nf * (nf - 1.0) * (nf - 2.0)) * sum
}

/// `x`: the ts-sorted values with NaN for missing; `present`: the positions in `x` of the
/// non-missing values (the values `fit` was computed on, in order); `fit`: the level
/// shifts (`None`: one segment, independent noise). `None` when fewer than 3 values are
/// present.
pub fn within_segments(
    x: &[f64],
    present: &[usize],
    fit: Option<&LevelShiftFit>,
    alpha: f64,
) -> Option<SegmentedTrend> {
    let n = present.len();
    if n < 3 || x.len() > u32::MAX as usize {
        return None;
    }
    let bkps: &[usize] = fit.map_or(&[], |f| &f.bkps);
    // Segment s covers the positions present[b_s] .. present[b_{s+1}] of x.
    let mut starts: Vec<usize> = Vec::with_capacity(bkps.len() + 2);
    starts.push(0);
    starts.extend(bkps.iter().map(|&b| present[b]));
    starts.push(x.len());
    let (mut s, mut var_s, mut pairs) = (0i64, 0.0f64, 0u64);
    for w in starts.windows(2) {
        if let Some(score) = mk_score(&x[w[0]..w[1]]) {
            s += score.s;
            var_s += score.var_s;
            let m = score.n as u64;
            pairs += m * (m - 1) / 2;
        }
    }
    var_s *= ar1_variance_factor(n, fit.map_or(0.0, |f| f.phi));

    let adjusted_trend = if bkps.is_empty() {
        mann_kendall(x, alpha)?
    } else {
        let fit = fit.expect("bkps come from a fit");
        let mut y = x.to_vec();
        for (seg, w) in starts.windows(2).enumerate() {
            let offset = fit.levels[seg] - fit.levels[0];
            for v in &mut y[w[0]..w[1]] {
                *v -= offset;
            }
        }
        mann_kendall(&y, alpha)?
    };
    let Decision { z, p, h, trend } = decide(s, var_s, alpha);
    let level_shift_explained =
        !h && !bkps.is_empty() && mk_score(x).is_some_and(|raw| decide(raw.s, raw.var_s, alpha).h);
    let tau = if pairs > 0 { s as f64 / pairs as f64 } else { 0.0 };
    Some(SegmentedTrend { trend: Trend { trend, h, p, z, tau, s, var_s, ..adjusted_trend }, level_shift_explained })
}

#[cfg(test)]
mod tests;
