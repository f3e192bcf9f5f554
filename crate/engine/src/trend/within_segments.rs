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

use super::sen::PAR_MIN;
use super::{decide, mann_kendall, mann_kendall_of_sorted, msort, score_of_sorted, Decision, Trend};
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
    // One sort per segment: each segment's present values, sorted, one after the other in
    // `sorted` (ending at `ends`), with their inversions. The whole series' sort (for the
    // original test) and that of the series without the offsets (for Sen's slope) are
    // merges of these runs, not sorts of their own.
    let less = |a: &f64, b: &f64| a < b;
    let mut sorted: Vec<f64> = Vec::with_capacity(n);
    let mut ends: Vec<usize> = Vec::with_capacity(starts.len() - 1);
    let (mut s, mut var_s, mut pairs, mut inversions) = (0i64, 0.0f64, 0u64, 0u64);
    for w in starts.windows(2) {
        let from = sorted.len();
        sorted.extend(x[w[0]..w[1]].iter().copied().filter(|v| !v.is_nan()));
        let run = &mut sorted[from..];
        let lt = msort::sort_count(run, &less, run.len() >= PAR_MIN);
        inversions += lt;
        if run.len() >= 2 {
            let score = score_of_sorted(run, lt);
            s += score.s;
            var_s += score.var_s;
            let m = score.n as u64;
            pairs += m * (m - 1) / 2;
        }
        ends.push(sorted.len());
    }
    var_s *= ar1_variance_factor(n, fit.map_or(0.0, |f| f.phi));

    let adjusted_trend = if bkps.is_empty() {
        mann_kendall_of_sorted(x, &sorted, &score_of_sorted(&sorted, inversions), alpha)
    } else {
        let fit = fit.expect("bkps come from a fit");
        let offsets: Vec<f64> = fit.levels.iter().map(|&a| a - fit.levels[0]).collect();
        let mut y = x.to_vec();
        for (w, &offset) in starts.windows(2).zip(&offsets) {
            for v in &mut y[w[0]..w[1]] {
                *v -= offset;
            }
        }
        match shifted_runs(&sorted, &ends, &offsets) {
            Some(runs) => {
                let (merged, across) = merge_runs(&runs, &ends);
                mann_kendall_of_sorted(&y, &merged, &score_of_sorted(&merged, inversions + across), alpha)
            }
            None => mann_kendall(&y, alpha)?,
        }
    };
    let Decision { z, p, h, trend } = decide(s, var_s, alpha);
    let level_shift_explained = !h && !bkps.is_empty() && {
        let (merged, across) = merge_runs(&sorted, &ends);
        let raw = score_of_sorted(&merged, inversions + across);
        decide(raw.s, raw.var_s, alpha).h
    };
    let tau = if pairs > 0 { s as f64 / pairs as f64 } else { 0.0 };
    Some(SegmentedTrend { trend: Trend { trend, h, p, z, tau, s, var_s, ..adjusted_trend }, level_shift_explained })
}

/// The sorted runs of `sorted` (ending at `ends`) with run `s` shifted by `-offsets[s]`,
/// when that keeps every run's order strict where it was: no value becomes NaN and no two
/// different values of a run round to one. Then each shifted run is sorted and has the
/// inversions (and ties) of the run it came from; `None` otherwise (rare: a sort is needed).
fn shifted_runs(sorted: &[f64], ends: &[usize], offsets: &[f64]) -> Option<Vec<f64>> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut from = 0;
    for (&end, &offset) in ends.iter().zip(offsets) {
        let run = &sorted[from..end];
        out.extend(run.iter().map(|&v| v - offset));
        let shifted = &out[from..end];
        // Subtracting a constant is monotone, so only NaN or a collapse can break the order.
        let broken = shifted.iter().any(|v| v.is_nan())
            || shifted.windows(2).zip(run.windows(2)).any(|(s, r)| s[0] == s[1] && r[0] != r[1]);
        if broken {
            return None;
        }
        from = end;
    }
    Some(out)
}

/// Merges consecutive sorted runs of `values` (ending at `ends`) into one sorted sequence,
/// pairwise as a merge sort does (stable: equal values keep their order), and counts the
/// inversions between runs: the pairs `i < j` in different runs with `values[j] < values[i]`.
fn merge_runs(values: &[f64], ends: &[usize]) -> (Vec<f64>, u64) {
    let less = |a: &f64, b: &f64| a < b;
    let mut a = values.to_vec();
    let mut b = vec![0.0; a.len()];
    let mut bounds: Vec<usize> = std::iter::once(0).chain(ends.iter().copied()).collect();
    let mut across = 0u64;
    while bounds.len() > 2 {
        let mut next = Vec::with_capacity(bounds.len() / 2 + 2);
        next.push(0);
        for w in bounds[1..].chunks(2).enumerate().map(|(k, c)| (bounds[2 * k], c)) {
            match w {
                (lo, &[mid, hi]) => {
                    across += msort::merge_count(&a[lo..mid], &a[mid..hi], &mut b[lo..hi], &less);
                    next.push(hi);
                }
                (lo, &[hi]) => {
                    b[lo..hi].copy_from_slice(&a[lo..hi]);
                    next.push(hi);
                }
                _ => unreachable!("chunks of 1 or 2"),
            }
        }
        std::mem::swap(&mut a, &mut b);
        bounds = next;
    }
    (a, across)
}

#[cfg(test)]
mod tests;
