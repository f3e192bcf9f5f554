//! Level shifts on a common linear trend: the model "global trend + level shifts".
//!
//! PELT with the l2 cost fits piecewise-constant levels, so a ramp comes out as a
//! staircase. Here the series is `x[i] = a_s + slope * p[i] + noise` on segment `s`
//! (`p[i]` the point's position in the series, missing values included), and:
//!
//! 1. the first segmentation is PELT l2 on `x` itself on a coarse grid ([`COARSE_JUMP`];
//!    a ramp gives a staircase: about a superset of the true shifts, on which the
//!    within-segment slope is smaller than the ramp's, measured about 35 % on `fleet`,
//!    but of its sign);
//! 2. `slope` is the pooled within-segment least-squares slope of that segmentation;
//! 3. PELT l2 segments the residual `x - slope * p`; steps 2 and 3 repeat until the
//!    segmentation no longer changes or its slope differs from the one it was computed
//!    with by less than [`SLOPE_SETTLED`] noise sigmas over the series (at most
//!    [`MAX_ROUNDS`] segmentations in all; a series without trend needs one);
//! 4. backward elimination on the joint model removes changes whose removal (slope
//!    re-fitted) costs less than the penalty: alternating can settle on a spurious change
//!    that absorbs part of the slope, and a segmentation of a residual that still holds
//!    part of the ramp has staircase steps, which the joint model (its slope fitted with
//!    them) does not need.
//!
//! The penalty (when not given) is [`long_run_penalty`]: the default `3 s² ln n` with
//! `s²` the long-run variance of AR(1) noise rather than its one-step variance, so
//! autocorrelated noise does not read as many small shifts.
//!
//! A change point's `delta` is the jump of the fitted level at the change,
//! `a_{s+1} - a_s` (the difference of the segment means also holds the slope times the
//! distance between the segments' centres); `mean_before` / `mean_after` stay the plain
//! segment means of `x`.

use super::{mean, pelt_l2, ChangePoint};
use crate::anomaly::MAD_SCALE;
use crate::select::median_in_place_signless_zero;

/// Full segmentations of residuals computed at most. Two: a third one (computed when the
/// second one's slope still moved) changed the final change points of at most 1 `fleet`
/// series in 1,000 and at most 7 in 300 of each quality workload but the seasonal one
/// (four seeds each), because the elimination (step 4) removes the staircase steps it
/// would have removed; it cost 0.31 PELT passes a series on `fleet` (docs/quality.md,
/// "Cost").
pub const MAX_ROUNDS: usize = 2;

/// The candidate spacing of the first, coarse segmentation (it only gives the first slope).
pub const COARSE_JUMP: usize = 10;

/// The segmentation is kept once the slope it gives moves the residual by at most this many
/// noise sigmas over the series from the slope it was computed with: the best split of the
/// remaining ramp (drift `D` over `n` points) gains about `n D² / 16`, far below the penalty.
pub const SLOPE_SETTLED: f64 = 0.5;

/// The largest lag-1 autocorrelation the penalty believes; beyond it the long-run
/// variance factor `(1 + φ) / (1 - φ)²` would explode on random-walk-like series.
pub const MAX_PHI: f64 = 0.8;

/// The fitted model of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelShiftFit {
    /// First index of each segment but the first, ascending (positions among `x`).
    pub bkps: Vec<usize>,
    /// The common slope per position.
    pub slope: f64,
    /// Per segment, the level `a_s`: the model at position `p` is `a_s + slope * p`.
    pub levels: Vec<f64>,
    /// The penalty per change point that was used.
    pub penalty: f64,
    /// The noise's marginal standard deviation and lag-1 autocorrelation (clamped to
    /// `[0, MAX_PHI]`), from [`noise_of_differences`].
    pub noise_sd: f64,
    pub phi: f64,
}

impl LevelShiftFit {
    /// The segment bounds `[0, bkps.., n]`.
    pub fn bounds(&self, n: usize) -> Vec<usize> {
        with_ends(&self.bkps, n)
    }

    /// The change points, with the segment means of `x` and the level jumps as `delta`.
    pub fn change_points(&self, x: &[f64]) -> Vec<ChangePoint> {
        let bounds = self.bounds(x.len());
        let means: Vec<f64> = bounds.windows(2).map(|w| mean(&x[w[0]..w[1]])).collect();
        self.bkps
            .iter()
            .enumerate()
            .map(|(i, &index)| ChangePoint {
                index,
                mean_before: means[i],
                mean_after: means[i + 1],
                delta: self.levels[i + 1] - self.levels[i],
                penalty: self.penalty,
            })
            .collect()
    }
}

/// Robust variance: `(MAD_SCALE * MAD)²` of `v` (reorders a copy). The medians ignore the
/// sign of zero: a median of `-0.0` instead of `0.0` gives the same deviations `|b - med|`
/// (all `+0.0` or the same nonzero values), and a MAD of `-0.0` the same square.
fn robust_var(v: &[f64], buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    buf.extend_from_slice(v);
    let med = median_in_place_signless_zero(buf);
    for b in buf.iter_mut() {
        *b = (*b - med).abs();
    }
    let s = MAD_SCALE * median_in_place_signless_zero(buf);
    s * s
}

/// The noise scale and lag-1 autocorrelation of AR(1)-like noise, robustly, from the
/// first differences `d` (a level shift or a spike touches only one or two of them; a
/// linear trend only moves their centre): `var d = 2σ²(1 - φ)` and
/// `corr(d_t, d_{t-1}) = -(1 - φ) / 2`. The correlation is Gnanadesikan–Kettenring's
/// robust one, `(V(u) - V(v)) / (V(u) + V(v))` with `u = d_t + d_{t-1}`,
/// `v = d_t - d_{t-1}` and `V` the MAD variance. Returns `(var d, φ)` with `φ` clamped to
/// `[0, MAX_PHI]`; `None` for fewer than 4 values. When the MAD of `d` is 0, the plain
/// variance of `d` and `φ = 0` (as the l2 default penalty falls back to the std of `d`).
pub fn noise_of_differences(x: &[f64]) -> Option<(f64, f64)> {
    if x.len() < 4 {
        return None;
    }
    let d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let mut buf = Vec::with_capacity(d.len());
    let var_d = robust_var(&d, &mut buf);
    if var_d == 0.0 {
        // Most differences equal (quantized or piecewise-regular data): the l2 default's
        // fallback, the plain variance of d, and no autocorrelation.
        let m = mean(&d);
        return Some((d.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / d.len() as f64, 0.0));
    }
    let u: Vec<f64> = d.windows(2).map(|w| w[1] + w[0]).collect();
    let v: Vec<f64> = d.windows(2).map(|w| w[1] - w[0]).collect();
    let (vu, vv) = (robust_var(&u, &mut buf), robust_var(&v, &mut buf));
    let rho = if vu + vv > 0.0 { (vu - vv) / (vu + vv) } else { -0.5 };
    let phi = (1.0 + 2.0 * rho).clamp(0.0, MAX_PHI);
    Some((var_d, phi))
}

/// `3 σ_LR² ln n`, with `σ_LR² = σ² (1 + φ) / (1 - φ)` the long-run variance of AR(1)
/// noise (the variance that governs the mean of a long segment), `σ² = var d / (2 (1 - φ))`
/// and `φ` from [`noise_of_differences`]. For independent noise (`φ = 0`) it is the l2
/// default `3 s² ln n` with `s² = var d / 2`. `None` when the scale is 0 or not finite.
pub fn long_run_penalty(var_d: f64, phi: f64, n: usize) -> Option<f64> {
    let sigma2 = var_d / (2.0 * (1.0 - phi));
    let long_run = sigma2 * (1.0 + phi) / (1.0 - phi);
    let pen = 3.0 * long_run * (n as f64).ln();
    (pen.is_finite() && pen > 0.0).then_some(pen)
}

/// The pooled within-segment least-squares slope of `x` on `p` for the segmentation
/// `bounds`, and each segment's level `mean(x) - slope * mean(p)`. Slope 0 when no
/// segment has two distinct positions.
fn common_slope(x: &[f64], p: &[f64], bounds: &[usize]) -> (f64, Vec<f64>) {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    let mut centres = Vec::with_capacity(bounds.len());
    for w in bounds.windows(2) {
        let (xs, ps) = (&x[w[0]..w[1]], &p[w[0]..w[1]]);
        let (mx, mp) = (mean(xs), mean(ps));
        for (&xv, &pv) in xs.iter().zip(ps) {
            sxy += (pv - mp) * (xv - mx);
            sxx += (pv - mp) * (pv - mp);
        }
        centres.push((mx, mp));
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let levels = centres.into_iter().map(|(mx, mp)| mx - slope * mp).collect();
    (slope, levels)
}

/// Fits level shifts on a common slope to `x` (no NaN) at positions `p` (same length,
/// increasing). `penalty: None` uses [`long_run_penalty`] of `x`; `None` when there is no
/// penalty (a constant series) or fewer than 2 values.
pub fn fit(x: &[f64], p: &[f64], min_size: usize, jump: usize, penalty: Option<f64>) -> Option<LevelShiftFit> {
    fit_counted(x, p, min_size, jump, penalty).map(|(f, _)| f)
}

/// [`fit`] and the number of full segmentations (PELT passes at `jump`) it computed.
fn fit_counted(
    x: &[f64],
    p: &[f64],
    min_size: usize,
    jump: usize,
    penalty: Option<f64>,
) -> Option<(LevelShiftFit, usize)> {
    assert_eq!(x.len(), p.len(), "level_shift::fit: x and p differ in length");
    let n = x.len();
    if n < 2 {
        return None;
    }
    let (var_d, phi) = noise_of_differences(x).unwrap_or((0.0, 0.0));
    let penalty = penalty.or_else(|| long_run_penalty(var_d, phi, n))?;
    let noise_sd = (var_d / (2.0 * (1.0 - phi))).sqrt();
    let mut residual = vec![0.0; n];
    let settled = SLOPE_SETTLED * noise_sd / (p[n - 1] - p[0]).max(1.0);
    // A coarse segmentation of x itself gives the first slope: a ramp becomes a staircase,
    // on which the within-segment slope is of the ramp's sign but smaller (step 1).
    let coarse = pelt_l2(x, min_size, jump.max(COARSE_JUMP), penalty);
    let mut used = common_slope(x, p, &with_ends(&coarse, n)).0;
    for ((r, &xv), &pv) in residual.iter_mut().zip(x).zip(p) {
        *r = xv - used * pv;
    }
    let mut bkps = pelt_l2(&residual, min_size, jump, penalty);
    let mut segmentations = 1;
    for _ in 1..MAX_ROUNDS {
        let (slope, _) = common_slope(x, p, &with_ends(&bkps, n));
        if (slope - used).abs() <= settled {
            break;
        }
        used = slope;
        for ((r, &xv), &pv) in residual.iter_mut().zip(x).zip(p) {
            *r = xv - slope * pv;
        }
        let next = pelt_l2(&residual, min_size, jump, penalty);
        segmentations += 1;
        if next == bkps {
            break;
        }
        bkps = next;
    }
    // Alternating between slope and segmentation can settle with a spurious change that
    // absorbs part of the slope (and biases it); the joint model decides.
    eliminate(x, p, &mut bkps, penalty);
    // The slope and levels of the final segmentation.
    let (slope, levels) = common_slope(x, p, &with_ends(&bkps, n));
    Some((LevelShiftFit { bkps, slope, levels, penalty, noise_sd, phi }, segmentations))
}

/// Centred sufficient statistics of one segment: length, means of `p` and `x`, and the
/// sums `Σ(p - p̄)²`, `Σ(p - p̄)(x - x̄)`, `Σ(x - x̄)²`.
#[derive(Debug, Clone, Copy)]
struct SegStats {
    n: f64,
    mp: f64,
    mx: f64,
    spp: f64,
    spx: f64,
    sxx: f64,
}

impl SegStats {
    fn of(x: &[f64], p: &[f64]) -> SegStats {
        let (mx, mp) = (mean(x), mean(p));
        let (mut spp, mut spx, mut sxx) = (0.0, 0.0, 0.0);
        for (&xv, &pv) in x.iter().zip(p) {
            let (dp, dx) = (pv - mp, xv - mx);
            spp += dp * dp;
            spx += dp * dx;
            sxx += dx * dx;
        }
        SegStats { n: x.len() as f64, mp, mx, spp, spx, sxx }
    }

    /// The statistics of the two segments as one (Chan's parallel update).
    fn merge(&self, o: &SegStats) -> SegStats {
        let n = self.n + o.n;
        let (dp, dx) = (o.mp - self.mp, o.mx - self.mx);
        let w = self.n * o.n / n;
        SegStats {
            n,
            mp: self.mp + dp * o.n / n,
            mx: self.mx + dx * o.n / n,
            spp: self.spp + o.spp + w * dp * dp,
            spx: self.spx + o.spx + w * dp * dx,
            sxx: self.sxx + o.sxx + w * dx * dx,
        }
    }
}

/// The residual sum of squares of per-segment levels with one common slope, from the
/// totals of the segments' `spp`, `spx`, `sxx`.
fn joint_sse(spp: f64, spx: f64, sxx: f64) -> f64 {
    if spp > 0.0 {
        (sxx - spx * spx / spp).max(0.0)
    } else {
        sxx
    }
}

/// Backward elimination on the joint model: while removing some change raises the
/// residual sum of squares (slope re-fitted) by less than `penalty`, removes the one that
/// raises it least.
fn eliminate(x: &[f64], p: &[f64], bkps: &mut Vec<usize>, penalty: f64) {
    if bkps.is_empty() {
        return;
    }
    let bounds = with_ends(bkps, x.len());
    let mut segs: Vec<SegStats> = bounds.windows(2).map(|w| SegStats::of(&x[w[0]..w[1]], &p[w[0]..w[1]])).collect();
    loop {
        let (spp, spx, sxx) = segs.iter().fold((0.0, 0.0, 0.0), |a, s| (a.0 + s.spp, a.1 + s.spx, a.2 + s.sxx));
        let now = joint_sse(spp, spx, sxx);
        let mut best: Option<(f64, usize, SegStats)> = None;
        for j in 0..bkps.len() {
            let (a, b) = (&segs[j], &segs[j + 1]);
            let m = a.merge(b);
            let cost = joint_sse(spp - a.spp - b.spp + m.spp, spx - a.spx - b.spx + m.spx, sxx - a.sxx - b.sxx + m.sxx);
            let rise = cost - now;
            if rise < penalty && best.as_ref().is_none_or(|(r, _, _)| rise < *r) {
                best = Some((rise, j, m));
            }
        }
        let Some((_, j, merged)) = best else { break };
        bkps.remove(j);
        segs[j] = merged;
        segs.remove(j + 1);
    }
}

fn with_ends(bkps: &[usize], n: usize) -> Vec<usize> {
    let mut b = Vec::with_capacity(bkps.len() + 2);
    b.push(0);
    b.extend_from_slice(bkps);
    b.push(n);
    b
}

/// [`fit`]'s change points (empty when there is no fit).
pub fn detect(x: &[f64], p: &[f64], min_size: usize, jump: usize, penalty: Option<f64>) -> Vec<ChangePoint> {
    fit(x, p, min_size, jump, penalty).map(|f| f.change_points(x)).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests;
