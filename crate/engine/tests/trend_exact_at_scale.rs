//! Mann-Kendall and Sen's slope at n = 1,000,000, checked by independent exact
//! methods, with timings (run with `cargo test --release --test trend_exact_at_scale -- --nocapture`).
//!
//! * S against a Fenwick-tree count over value ranks (the engine uses a merge sort).
//! * The slope of integer-valued data exactly: there every difference
//!   `x_j - x_i` is exact, so a pair's quotient is `fl(s)` of its real slope
//!   `s = (x_j - x_i) / (j - i)`, and `q < v` holds exactly when `s` is below
//!   the midpoint between `v` and its predecessor (ties at the midpoint going
//!   to the even neighbour). The midpoints are dyadic rationals `M / 2^E`, so the
//!   pairs below them are counted exactly as inversions of the i128 keys
//!   `x_i * 2^E - M * i` (cross-multiplication, no rounding), again by Fenwick
//!   tree. `v` is the median iff `#(q < v) <= k < #(q <= v)`.
//! * The slope of real-valued data at n = 100,000 by counting `q < v` and
//!   `q <= v` over all 5e9 pairs directly.
//!
//! The big cases are release-only: in debug builds they take minutes.

use std::time::Instant;

mod common;

use common::Rng;
use conclude_engine::trend::{mann_kendall, sen_slope};
use rayon::prelude::*;

/// Number of pairs `i < j` with `key[j] < key[i]` and with `key[j] == key[i]`,
/// by a Fenwick tree over the ranks of the keys.
fn fenwick_lt_eq<K: Ord + Copy>(keys: &[K]) -> (u64, u64) {
    let mut sorted: Vec<K> = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut tree = vec![0u64; sorted.len() + 1];
    let (mut lt, mut eq) = (0u64, 0u64);
    let prefix = |tree: &[u64], mut i: usize| {
        let mut s = 0;
        while i > 0 {
            s += tree[i];
            i &= i - 1;
        }
        s
    };
    for (seen, &k) in keys.iter().enumerate() {
        let r = sorted.binary_search(&k).unwrap_or(0); // 0-based rank
        let le = prefix(&tree, r + 1); // earlier keys <= k
        let lt_here = prefix(&tree, r); // earlier keys < k
        lt += seen as u64 - le; // earlier keys > k: this pair is inverted
        eq += le - lt_here;
        let mut i = r + 1;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    (lt, eq)
}

/// `v` as `M * 2^E` with integer `M`.
fn decompose(v: f64) -> (i128, i32) {
    let bits = v.to_bits();
    let neg = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = (bits & ((1 << 52) - 1)) as i128;
    let (m, e) = if biased == 0 { (frac, -1074) } else { (frac | (1 << 52), biased - 1075) };
    (if neg { -m } else { m }, e)
}

/// Pairs (of present points) with real slope below / equal to `M * 2^E`, for
/// integer values: keys `x_i * 2^-E - M * i` when E < 0.
fn count_rational(val: &[i64], pos: &[i64], m: i128, e: i32) -> (u64, u64) {
    if e < -80 {
        // |M * 2^E| < 2^-26: no nonzero slope of integers at positions below
        // 2^26 is that close to zero, so only the sign matters.
        assert!(pos.last().is_none_or(|&p| p < 1 << 26));
        let (lt, eq) = fenwick_lt_eq(val);
        return if m > 0 { (lt + eq, 0) } else { (lt, 0) };
    }
    let keys: Vec<i128> = if e <= 0 {
        let sh = (-e) as u32;
        val.iter().zip(pos).map(|(&x, &i)| ((x as i128) << sh) - m * i as i128).collect()
    } else {
        val.iter().zip(pos).map(|(&x, &i)| x as i128 - (m << e) * i as i128).collect()
    };
    fenwick_lt_eq(&keys)
}

/// The midpoint between `v` and its neighbour `w` as `M * 2^E`, and whether
/// a real exactly there rounds to `v` (ties to even).
fn midpoint(v: f64, w: f64) -> ((i128, i32), bool) {
    let (mv, ev) = decompose(v);
    let (mw, ew) = decompose(w);
    let e = ev.min(ew) - 1;
    let sum = (mv << (ev - e)) + (mw << (ew - e));
    let v_even = v.to_bits() & 1 == 0;
    ((sum, e - 1), v_even)
}

/// `#(q < v)` and `#(q <= v)` over the pairs of integer-valued points, exactly.
fn rank_bounds_int(val: &[i64], pos: &[i64], v: f64) -> (u64, u64) {
    let ((m_lo, e_lo), to_v_lo) = midpoint(v, v.next_down());
    let ((m_hi, e_hi), to_v_hi) = midpoint(v, v.next_up());
    let (lt_lo, eq_lo) = count_rational(val, pos, m_lo, e_lo);
    let (lt_hi, eq_hi) = count_rational(val, pos, m_hi, e_hi);
    // q < v: s below the lower midpoint, or on it and rounding down.
    let below = lt_lo + if to_v_lo { 0 } else { eq_lo };
    // q <= v: s below the upper midpoint, or on it and rounding to v.
    let at_most = lt_hi + if to_v_hi { eq_hi } else { 0 };
    (below, at_most)
}

fn present(x: &[f64]) -> (Vec<i64>, Vec<i64>) {
    x.iter().enumerate().filter(|p| !p.1.is_nan()).map(|(i, &v)| (v as i64, i as i64)).unzip()
}

fn integer_series(n: usize, seed: u64, trend: f64, noise: f64, nans: &[usize]) -> Vec<f64> {
    let mut g = Rng(seed);
    let mut x: Vec<f64> = (0..n).map(|i| (trend * i as f64 + noise * g.normal()).round()).collect();
    for &i in nans {
        x[i] = f64::NAN;
    }
    x
}

fn check_integer_case(name: &str, x: &[f64]) {
    let t0 = Instant::now();
    let r = mann_kendall(x, 0.05).expect("enough values");
    let took = t0.elapsed();
    let (val, pos) = present(x);
    let m = val.len() as u64;
    assert_eq!(r.n as u64, m);
    // S by Fenwick tree.
    let (lt, eq) = fenwick_lt_eq(&val);
    let gt = m * (m - 1) / 2 - lt - eq;
    assert_eq!(r.s, gt as i64 - lt as i64, "{name}: S");
    // The slope: exact rank check of each middle quotient.
    let n_pairs = m * (m - 1) / 2;
    let v = r.slope;
    let (below, at_most) = rank_bounds_int(&val, &pos, v);
    if n_pairs % 2 == 1 {
        let k = n_pairs / 2;
        assert!(below <= k && k < at_most, "{name}: slope {v} has rank [{below}, {at_most}), want {k}");
    } else {
        // v = mean of the two middle quotients a <= b: #(q < v) <= k2 <= #(q <= v).
        let k2 = n_pairs / 2;
        assert!(below <= k2 && k2 <= at_most, "{name}: slope {v} has rank [{below}, {at_most}), want middle {k2}");
    }
    println!(
        "{name}: n = {}, S = {}, varS = {:e}, slope = {v:e}, trend = {}: mann_kendall took {:.3} s",
        x.len(),
        r.s,
        r.var_s,
        r.trend.as_str(),
        took.as_secs_f64()
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release-only: cargo test --release --test trend_exact_at_scale")]
fn one_million_integer_values_exact() {
    let n = 1_000_000;
    // Two missing values: 999,998 present, an odd number of pairs, so the
    // median is a single quotient and is checked exactly.
    let x = integer_series(n, 1, 0.002, 25.0, &[17, 500_000]);
    check_integer_case("1e6 integers, trend", &x);
    // Heavy ties around a zero median (few levels, almost no trend).
    let x = integer_series(n, 2, 0.0, 1.5, &[3, 999_999]);
    check_integer_case("1e6 integers, ties, flat", &x);
    // Heavy ties with a trend: many pairs share the median's rational slope.
    let x = integer_series(n, 3, 0.00002, 0.7, &[1, 2]);
    check_integer_case("1e6 integers, ties, trend", &x);
    // Even number of pairs.
    let x = integer_series(n, 4, -0.001, 10.0, &[]);
    check_integer_case("1e6 integers, even pairs", &x);
}

#[test]
fn integer_checks_agree_with_brute_force() {
    // The rank machinery of this file against plain counting, on small inputs.
    let mut g = Rng(9);
    for n in [5usize, 40, 300] {
        let x: Vec<f64> = (0..n).map(|i| (0.05 * i as f64 + 3.0 * g.normal()).round()).collect();
        let (val, pos) = present(&x);
        let mut qs = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                qs.push((x[j] - x[i]) / (j - i) as f64);
            }
        }
        for &v in qs.iter().step_by(1 + qs.len() / 200) {
            let below = qs.iter().filter(|&&q| q < v).count() as u64;
            let at_most = qs.iter().filter(|&&q| q <= v).count() as u64;
            assert_eq!(rank_bounds_int(&val, &pos, v), (below, at_most), "v = {v}");
        }
        let (lt, eq) = fenwick_lt_eq(&val);
        let mut blt = 0;
        let mut beq = 0;
        for i in 0..n {
            for j in i + 1..n {
                blt += (val[j] < val[i]) as u64;
                beq += (val[j] == val[i]) as u64;
            }
        }
        assert_eq!((lt, eq), (blt, beq));
    }
}

/// Sen's slope of `x` (odd pair count), checked by brute-force ranks to be the
/// exact median: returns it, its time, and its rank interval `[below, at_most)`.
fn check_exact_median(name: &str, x: &[f64]) -> (f64, std::time::Duration, u64, u64) {
    let n = x.len() as u64;
    let t0 = Instant::now();
    let v = sen_slope(x);
    let took = t0.elapsed();
    let k = n * (n - 1) / 4;
    let (below, at_most) = rank_bounds_brute(x, v);
    assert!(below <= k && k < at_most, "{name}: slope {v} has rank [{below}, {at_most}), want {k}");
    (v, took, below, at_most)
}

/// `#(q < v)` and `#(q <= v)` over all pairs, by brute force (parallel).
fn rank_bounds_brute(x: &[f64], v: f64) -> (u64, u64) {
    (0..x.len())
        .into_par_iter()
        .map(|i| {
            let (mut b, mut a) = (0u64, 0u64);
            let xi = x[i];
            for (d, &xj) in x[i + 1..].iter().enumerate() {
                let q = (xj - xi) / (d + 1) as f64;
                b += (q < v) as u64;
                a += (q <= v) as u64;
            }
            (b, a)
        })
        .reduce(|| (0, 0), |p, q| (p.0 + q.0, p.1 + q.1))
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release-only: cargo test --release --test trend_exact_at_scale")]
fn real_valued_slopes_exact_at_one_hundred_thousand() {
    let n = 100_003; // 5,000,250,003 pairs: odd
    let mut g = Rng(5);
    let cases: Vec<(&str, Vec<f64>)> = vec![
        ("noise + trend", (0..n).map(|i| 1e-5 * i as f64 + g.normal()).collect()),
        ("decimals, 1 digit", (0..n).map(|i| ((2e-5 * i as f64 + g.normal()) * 10.0).round() / 10.0).collect()),
        ("large offset", (0..n).map(|i| 1.7e9 + 1e-4 * i as f64 + 1e-3 * g.normal()).collect()),
    ];
    for (name, x) in cases {
        let (v, took, _, _) = check_exact_median(name, &x);
        println!("{name}: n = {n}, slope = {v:e}: sen_slope took {:.3} s", took.as_secs_f64());
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release-only: cargo test --release --test trend_exact_at_scale")]
fn near_ties_of_float_quotients_exact() {
    // Slopes packed within a few ulp of the median (the float model's proof
    // fails and the exact streaming selection takes over), and masses of
    // equal non-zero quotients from quantized decimals.
    let n = 30_002; // 450,045,001 pairs: odd
    let mut g = Rng(11);
    let cases: Vec<(&str, Vec<f64>)> = vec![
        ("0.1 * i", (0..n).map(|i| 0.1 * i as f64).collect()),
        ("i / 3 + 1e6", (0..n).map(|i| i as f64 / 3.0 + 1e6).collect()),
        ("quantized trend", (0..n).map(|i| ((1e-3 * i as f64 + 0.3 * g.normal()) * 10.0).round() / 10.0).collect()),
        ("steps of 0.1", (0..n).map(|i| (i / 50) as f64 * 0.1).collect()),
    ];
    for (name, x) in cases {
        let (v, took, below, at_most) = check_exact_median(name, &x);
        println!(
            "{name}: n = {n}, slope = {v:e}, {} quotients equal to it: sen_slope took {:.3} s",
            at_most - below,
            took.as_secs_f64()
        );
    }
}
