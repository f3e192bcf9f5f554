//! The fast paths against O(n^2) brute force: S, var S, every pairwise slope.

use super::sen::testing::{select_positions, select_with, Path};
use super::sen::ZeroCounts;
use super::*;

/// xorshift64*: deterministic test data.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly normal (sum of uniforms).
    fn normal(&mut self) -> f64 {
        (0..4).map(|_| self.unit()).sum::<f64>() - 2.0
    }
}

/// The kinds of series the tests draw.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Continuous noise plus a trend of either sign.
    Continuous,
    /// Small integers with a trend: heavy ties.
    SmallInts,
    /// Noise quantized to 0.1 (decimal, not binary: float model with ties).
    Decimals,
    /// Constant series.
    Constant,
    /// Two values only.
    Binary,
    /// Large offset, tiny noise (keys with large rounding errors).
    Offset,
    /// Exactly linear integers (every slope equal).
    Linear,
    /// Values spanning many binades, signed zeros.
    Wild,
}

const KINDS: [Kind; 8] = [
    Kind::Continuous,
    Kind::SmallInts,
    Kind::Decimals,
    Kind::Constant,
    Kind::Binary,
    Kind::Offset,
    Kind::Linear,
    Kind::Wild,
];

fn series(g: &mut Gen, kind: Kind, n: usize, nan_frac: f64) -> Vec<f64> {
    let slope = (g.unit() - 0.5) * 0.02;
    let mut x: Vec<f64> = (0..n)
        .map(|i| {
            let i = i as f64;
            match kind {
                Kind::Continuous => slope * i + g.normal(),
                Kind::SmallInts => (slope * i + 2.0 * g.normal()).round().clamp(-3.0, 3.0),
                Kind::Decimals => ((slope * i + g.normal()) * 10.0).round() / 10.0,
                Kind::Constant => 4.25,
                Kind::Binary => {
                    if g.unit() < 0.5 + slope * 10.0 {
                        1.0
                    } else {
                        0.0
                    }
                }
                Kind::Offset => 1.0e9 + slope * 1e-3 * i + 1e-6 * g.normal(),
                Kind::Linear => 3.0 * i - 7.0,
                Kind::Wild => {
                    let e = g.below(80) as i32 - 40;
                    let v = g.normal() * 2f64.powi(e);
                    match g.below(10) {
                        0 => 0.0,
                        1 => -0.0,
                        _ => v,
                    }
                }
            }
        })
        .collect();
    for v in &mut x {
        if g.unit() < nan_frac {
            *v = f64::NAN;
        }
    }
    x
}

/// Brute force: S, var S (exact integers, one rounding: what pymannkendall
/// gets whenever its float sums are exact, as they are at these sizes).
fn brute_score(x: &[f64]) -> (i64, f64, u64, u64) {
    let v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = v.len();
    let (mut s, mut lt, mut eq) = (0i64, 0u64, 0u64);
    for i in 0..n {
        for j in i + 1..n {
            if v[j] > v[i] {
                s += 1;
            } else if v[j] < v[i] {
                s -= 1;
                lt += 1;
            } else {
                eq += 1;
            }
        }
    }
    let mut groups: Vec<i128> = Vec::new();
    let mut used = vec![false; n];
    for i in 0..n {
        if used[i] {
            continue;
        }
        let mut t = 0;
        for j in i..n {
            if v[j] == v[i] {
                used[j] = true;
                t += 1;
            }
        }
        groups.push(t);
    }
    let n = n as i128;
    let num = n * (n - 1) * (2 * n + 5) - groups.iter().map(|&t| t * (t - 1) * (2 * t + 5)).sum::<i128>();
    assert!(num < 1 << 53);
    (s, num as f64 / 18.0, lt, eq)
}

/// Brute force: every pymannkendall quotient over the original positions,
/// NaNs dropped, sorted.
fn brute_quotients(x: &[f64]) -> Vec<f64> {
    let mut d = Vec::new();
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let q = (x[j] - x[i]) / (j - i) as f64;
            if !q.is_nan() {
                d.push(q);
            }
        }
    }
    d.sort_by(f64::total_cmp);
    d
}

fn np_median(sorted: &[f64]) -> f64 {
    let m = sorted.len();
    if m == 0 {
        f64::NAN
    } else if m % 2 == 1 {
        0.0 + sorted[m / 2]
    } else {
        ((0.0 + sorted[m / 2 - 1]) + sorted[m / 2]) / 2.0
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn check_series(x: &[f64], label: &str) {
    let present = x.iter().filter(|v| !v.is_nan()).count();
    let got = mann_kendall(x, 0.05);
    if present < 3 {
        assert!(got.is_none(), "{label}");
        return;
    }
    let got = got.unwrap_or_else(|| panic!("{label}: None"));
    let (s, var_s, _, _) = brute_score(x);
    assert_eq!(got.s, s, "{label}: S");
    assert_eq!(got.var_s, var_s, "{label}: var S");
    assert_eq!(got.n, present, "{label}: n");
    let qs = brute_quotients(x);
    let slope = np_median(&qs);
    assert!(same(got.slope, slope), "{label}: slope {} want {}", got.slope, slope);
    let mut vals: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    vals.sort_by(f64::total_cmp);
    let pos: Vec<f64> = x.iter().enumerate().filter(|p| !p.1.is_nan()).map(|p| p.0 as f64).collect();
    let intercept = np_median(&vals) - np_median(&pos) * slope;
    assert!(same(got.intercept, intercept), "{label}: intercept {} want {intercept}", got.intercept);
    // z, p, tau from their definitions.
    let sf = s as f64;
    let z = if s > 0 {
        (sf - 1.0) / var_s.sqrt()
    } else if s < 0 {
        (sf + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    assert!(same(got.z, z), "{label}: z");
    assert!(same(got.tau, sf / (0.5 * present as f64 * (present - 1) as f64)), "{label}: tau");
    assert!(same(got.p, 2.0 * (1.0 - normal::ndtr(z.abs()))), "{label}: p");
    assert_eq!(got.h, z.abs() > 1.959963984540054, "{label}: h");
}

#[test]
fn matches_brute_force_on_random_series() {
    let mut g = Gen(0x1234_5678_9abc_def1);
    let mut sizes: Vec<usize> = (3..40).collect();
    sizes.extend([63, 64, 65, 90, 91, 92, 100, 257, 500, 1000, 1500, 3000]);
    for &n in &sizes {
        for (k, kind) in KINDS.into_iter().enumerate() {
            for nan_frac in [0.0, 0.2] {
                // The brute force is O(n^2): above 1000, one variant per kind.
                if n > 1000 && (k % 2 == 0) != (nan_frac == 0.0) {
                    continue;
                }
                let x = series(&mut g, kind, n, nan_frac);
                check_series(&x, &format!("n={n} {kind:?} nan={nan_frac}"));
            }
        }
    }
}

#[test]
fn every_rank_by_every_path_matches_sorted_quotients() {
    // Small budgets force several search rounds, splits and streaming.
    let mut g = Gen(0xfeed_beef_1234_5678);
    for &n in &[12usize, 50, 200, 700, 1500] {
        for kind in KINDS {
            let x = series(&mut g, kind, n, 0.0);
            let qs = brute_quotients(&x);
            let total = qs.len() as u64;
            let mut ranks: Vec<u64> = (0..6).map(|_| g.below(total)).collect();
            ranks.extend([0, total - 1, total / 2, (total - 1) / 2]);
            ranks.sort_unstable();
            ranks.dedup();
            let want: Vec<f64> = ranks.iter().map(|&k| qs[k as usize]).collect();
            for path in [Path::Int, Path::Float, Path::Stream] {
                for pair in ranks
                    .windows(2)
                    .filter(|w| w[1] == w[0] + 1)
                    .map(|w| w.to_vec())
                    .chain(ranks.iter().map(|&k| vec![k]))
                {
                    let expect: Vec<f64> = pair.iter().map(|&k| qs[k as usize]).collect();
                    if let Some(got) = select_with(&x, &pair, path, None) {
                        assert!(
                            got.iter().zip(&expect).all(|(a, b)| a == b),
                            "n={n} {kind:?} {path:?} ranks {pair:?}: {got:?} want {expect:?}"
                        );
                    } else {
                        assert!(matches!(path, Path::Int), "n={n} {kind:?} {path:?} ranks {pair:?} gave up");
                    }
                }
            }
            let _ = want;
        }
    }
}

#[test]
fn zero_counts_shortcut_and_split_at_zero() {
    let mut g = Gen(42);
    for &n in &[100usize, 400, 1200] {
        for kind in [Kind::SmallInts, Kind::Decimals, Kind::Binary, Kind::Constant] {
            let x = series(&mut g, kind, n, 0.0);
            let (_, _, lt, eq) = brute_score(&x);
            let zero = Some(ZeroCounts { lt, eq });
            let qs = brute_quotients(&x);
            let total = qs.len() as u64;
            // Ranks around the zero block's edges and the median.
            let mut ranks =
                vec![total / 2, lt.saturating_sub(1), lt, (lt + eq).min(total - 1), (lt + eq).saturating_sub(1)];
            ranks.sort_unstable();
            ranks.dedup();
            for path in [Path::Int, Path::Float] {
                for &k in &ranks {
                    for pair in [vec![k], vec![k, k + 1]] {
                        if pair.iter().any(|&r| r >= total) {
                            continue;
                        }
                        let expect: Vec<f64> = pair.iter().map(|&r| qs[r as usize]).collect();
                        if let Some(got) = select_with(&x, &pair, path, zero) {
                            assert_eq!(got, expect, "n={n} {kind:?} {path:?} {pair:?}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn positions_with_gaps() {
    // Missing values make position gaps: quotients divide by j - i > 1.
    let mut g = Gen(99);
    for &n in &[300usize, 900] {
        for kind in [Kind::Continuous, Kind::SmallInts, Kind::Decimals] {
            let x = series(&mut g, kind, n, 0.35);
            let qs = brute_quotients(&x);
            let (val, pos): (Vec<f64>, Vec<f64>) =
                x.iter().enumerate().filter(|p| !p.1.is_nan()).map(|(i, &v)| (v, i as f64)).unzip();
            let total = qs.len() as u64;
            for path in [Path::Int, Path::Float, Path::Stream] {
                let ranks = [total / 3, total / 3 + 1];
                if let Some(got) = select_positions(&val, &pos, &ranks, path) {
                    assert_eq!(got, vec![qs[ranks[0] as usize], qs[ranks[1] as usize]], "{kind:?} {path:?}");
                }
            }
        }
    }
}

#[test]
fn infinities_and_extremes() {
    let inf = f64::INFINITY;
    let cases: Vec<Vec<f64>> = vec![
        vec![1.0, inf, 2.0, 3.0],
        vec![inf, inf, inf],
        vec![-inf, 1.0, inf, f64::NAN, 0.5],
        vec![inf, -inf, inf, -inf, 2.0],
        vec![1e308, -1e308, 1e308, 5.0, -1e308],
        vec![f64::MAX, f64::MIN, 0.0, 1.0, -1.0, 3.0],
        vec![5e-324, -5e-324, 0.0, 1e-310, -0.0, 2e-323, 7e-322],
        vec![0.0, -0.0, 0.0, -0.0, 0.0],
        vec![f64::NAN, f64::NAN, 1.0, f64::NAN, 2.0, 3.0, f64::NAN],
        vec![f64::NAN; 5],
        vec![1.0, 2.0],
    ];
    for x in &cases {
        check_series(x, &format!("{x:?}"));
    }
    // The same, long enough for the selection machinery.
    let mut g = Gen(5);
    for base in &cases {
        let x: Vec<f64> = (0..400).map(|_| base[g.below(base.len() as u64) as usize]).collect();
        check_series(&x, &format!("long {:?}", &base[..base.len().min(3)]));
        let mut y = series(&mut g, Kind::Continuous, 400, 0.1);
        for (i, v) in base.iter().enumerate() {
            y[i * 37 % 400] = *v;
        }
        check_series(&y, &format!("mixed {:?}", &base[..base.len().min(3)]));
    }
    // Huge and tiny magnitudes with enough points to leave the brute path.
    for scale in [1e300, 1e-300, 2f64.powi(961), 2f64.powi(-1000)] {
        let x: Vec<f64> = (0..150).map(|i| (g.normal() + 0.01 * i as f64) * scale).collect();
        check_series(&x, &format!("scale {scale}"));
    }
}

#[test]
fn sen_slope_public_helper() {
    assert!(sen_slope(&[]).is_nan());
    assert!(sen_slope(&[1.0]).is_nan());
    assert_eq!(sen_slope(&[1.0, 3.0]), 2.0);
    assert_eq!(sen_slope(&[1.0, f64::NAN, 5.0]), 2.0);
    let mut g = Gen(3);
    let x = series(&mut g, Kind::Decimals, 2000, 0.1);
    assert_eq!(sen_slope(&x), np_median(&brute_quotients(&x)));
}

#[test]
fn variance_matches_numpy_arithmetic() {
    // No ties: Python's correctly rounded int / int, also beyond 2^53.
    for n in [3u64, 10, 1000, 100_000, 1_000_000, 3_000_000, 123_457] {
        let groups = vec![1u64; n as usize];
        let big = n as u128 * (n as u128 - 1) * (2 * n as u128 + 5);
        let v = variance_s(n, &groups);
        // Exact check: v is the float nearest to big / 18.
        let lower = v.next_down();
        let upper = v.next_up();
        let err = |f: f64| ((f as u128 * 18) as i128 - big as i128).unsigned_abs();
        // v * 18 must be at least as close to big as its neighbours' (v integral here).
        if v.fract() == 0.0 && lower.fract() == 0.0 && upper.fract() == 0.0 {
            assert!(err(v) <= err(lower) && err(v) <= err(upper), "n={n}");
        }
    }
    assert_eq!(div_correctly_rounded(10, 4), 2.5);
    assert_eq!(div_correctly_rounded(1, 3), 1.0 / 3.0);
    assert_eq!(div_correctly_rounded((1u128 << 60) + 1, 1), (1u128 << 60) as f64);
    // Exactly halfway with a nonzero remainder below: rounds up.
    assert_eq!(div_correctly_rounded(((1u128 << 53) + 1) * 2 * 3 + 1, 6), ((1u128 << 53) + 2) as f64);
    // Exactly halfway: to even.
    assert_eq!(div_correctly_rounded(((1u128 << 53) + 1) * 2 * 3, 6), (1u128 << 53) as f64);
    assert_eq!(div_correctly_rounded(((1u128 << 53) + 3) * 6, 6), ((1u128 << 53) + 4) as f64);
    assert_eq!(div_correctly_rounded(((1u128 << 53) + 3) * 6 - 1, 6), ((1u128 << 53) + 2) as f64);
    // Pairwise sums: exact for integers, order-dependent otherwise.
    let a: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    assert_eq!(pairwise_sum(&a), 499_500.0);
}

#[test]
fn alpha_edges_never_panic() {
    let x: Vec<f64> = (0..50).map(|i| (i % 7) as f64 + 0.1 * i as f64).collect();
    for alpha in [0.0, 1e-300, 0.05, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0, f64::NAN, f64::INFINITY] {
        let t = mann_kendall(&x, alpha).unwrap();
        assert!(t.p >= 0.0 && t.p <= 1.0);
    }
}

mod methods {
    use crate::options::{TrendMethod, TrendOptions};
    use crate::trend::{mann_kendall, trend_test};

    fn with(method: TrendMethod, lag: Option<usize>) -> TrendOptions {
        TrendOptions { method, lag, ..TrendOptions::default() }
    }

    #[test]
    fn a_lag_beyond_the_series_means_all_lags() {
        // pymannkendall raises IndexError for lag >= n; conclude uses lags 1..n-1.
        // A slow oscillation: its lag-1 autocorrelation is significant.
        let x: Vec<f64> = (0..30).map(|i| (i as f64 / 3.0).sin() + 0.01 * i as f64).collect();
        for m in [TrendMethod::HamedRao, TrendMethod::YueWang] {
            let all = trend_test(&x, &with(m, None)).unwrap();
            assert_eq!(trend_test(&x, &with(m, Some(29))).unwrap(), all);
            assert_eq!(trend_test(&x, &with(m, Some(1000))).unwrap(), all);
            assert_ne!(trend_test(&x, &with(m, Some(1))).unwrap().var_s, all.var_s);
        }
    }

    #[test]
    fn lag_zero_is_the_original_variance() {
        let x = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0];
        let original = mann_kendall(&x, 0.05).unwrap();
        for m in [TrendMethod::HamedRao, TrendMethod::YueWang] {
            let t = trend_test(&x, &with(m, Some(0))).unwrap();
            assert_eq!((t.s, t.var_s, t.p), (original.s, original.var_s, original.p), "{m:?}");
        }
    }

    #[test]
    fn a_straight_line_has_no_hamed_rao_variance_as_in_pymannkendall() {
        // The detrended series is constant: its ranks all tie, the ACF is 0/0.
        // pymannkendall: var_s nan, z nan, p nan, h False, 'no trend'.
        let t = trend_test(&[1.0, 2.0, 3.0, 4.0, 5.0], &with(TrendMethod::HamedRao, None)).unwrap();
        assert!(t.var_s.is_nan() && t.z.is_nan() && t.p.is_nan());
        assert_eq!((t.s, t.h, t.trend.as_str()), (10, false, "no trend"));
    }

    #[test]
    fn prewhitening_scores_n_minus_one_values_but_reports_the_series_line() {
        let x = [2.0, f64::NAN, 4.0, 1.0, 3.0, 5.0, 4.5];
        let original = mann_kendall(&x, 0.05).unwrap();
        for m in [TrendMethod::PreWhitening, TrendMethod::TrendFreePreWhitening] {
            let t = trend_test(&x, &with(m, None)).unwrap();
            assert_eq!((t.n, t.slope, t.intercept), (6, original.slope, original.intercept));
            // Tau over the 5 prewhitened values: s / 10.
            assert_eq!(t.tau, t.s as f64 / 10.0);
        }
    }
}
