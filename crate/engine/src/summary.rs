//! summary: one conclusion per series, with numpy 2.x semantics.
//!
//! For the non-missing values `v` (in ts order) of a series this computes what
//! the oracle computes:
//!
//! | field            | numpy                                   |
//! |------------------|-----------------------------------------|
//! | `min`, `max`     | `v.min()`, `v.max()`                    |
//! | `mean`           | `v.mean()`: pairwise sum / n            |
//! | `std`            | `v.std()`: two-pass, ddof = 0           |
//! | `p50` .. `p99`   | `np.percentile(v, q)` ('linear')        |
//!
//! `mean` and `std` reproduce numpy's summation order ([`pairwise_sum`]), so
//! they are bit-equal to numpy rather than merely close. Quantiles come from
//! [`crate::select`] (selection, no full sort).
//!
//! The one known difference from numpy is the sign of a zero `min` / `max`
//! when both `0.0` and `-0.0` occur: numpy's SIMD reduction picks one of them
//! in a lane-dependent order; this picks the first. The values compare equal.

use crate::batch::{Timestamps, Ts};
use crate::select::percentiles_in_place;

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
    pub first_ts: Option<Ts>,
    pub last_ts: Option<Ts>,
}

/// The percentiles reported, ascending (as [`percentiles_in_place`] requires).
const QUANTILES: [f64; 4] = [50.0, 90.0, 95.0, 99.0];

/// Block size below which numpy's pairwise summation stops recursing
/// (`PW_BLOCKSIZE` in `numpy/_core/src/umath/loops_utils.h.src`).
const PW_BLOCKSIZE: usize = 128;

/// numpy's `pairwise_sum` over `f(a[i])`, bit for bit.
///
/// * `n < 8`: a plain left-to-right loop starting from `0.0`;
/// * `8 <= n <= 128`: eight accumulators seeded with `a[0..8]`, each adding
///   every eighth element, combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`,
///   then the `n % 8` leftovers added one by one;
/// * `n > 128`: split at `n2 = n/2` rounded down to a multiple of 8 and add the
///   two halves' sums.
///
/// `f` lets [`numpy_std`] sum squared deviations without materializing them;
/// it is applied to every element exactly once, in numpy's order, and rounding
/// is the same as summing a precomputed array (Rust never contracts `a*b + c`).
#[inline]
pub fn pairwise_sum_by<F: Fn(f64) -> f64 + Copy>(a: &[f64], f: F) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += f(v);
        }
        res
    } else if n <= PW_BLOCKSIZE {
        let mut r = [0.0f64; 8];
        for (acc, &v) in r.iter_mut().zip(&a[..8]) {
            *acc = f(v);
        }
        let whole = n - n % 8;
        for block in a[8..whole].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(block) {
                *acc += f(v);
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[whole..] {
            res += f(v);
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum_by(&a[..n2], f) + pairwise_sum_by(&a[n2..], f)
    }
}

/// numpy's `pairwise_sum` of `a` (see [`pairwise_sum_by`]).
#[inline]
pub fn pairwise_sum(a: &[f64]) -> f64 {
    pairwise_sum_by(a, |v| v)
}

/// `np.sum(a)` for a contiguous float64 array: `np.add.reduce` starts from the
/// identity `0.0` and adds the pairwise sum of the whole array (so a lone
/// `-0.0` sums to `0.0`, as in numpy).
#[inline]
pub fn numpy_sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

/// `np.mean(a)`: `np.sum(a) / n`. `NaN` for an empty slice, like numpy.
#[inline]
pub fn numpy_mean(a: &[f64]) -> f64 {
    numpy_sum(a) / a.len() as f64
}

/// `np.std(a)` (ddof = 0) given `mean = np.mean(a)`: numpy's two-pass
/// `sqrt(sum((a - mean) * (a - mean)) / n)`, same subtraction, product and
/// summation order.
#[inline]
pub fn numpy_std(a: &[f64], mean: f64) -> f64 {
    let ss = 0.0
        + pairwise_sum_by(a, |v| {
            let d = v - mean;
            d * d
        });
    (ss / a.len() as f64).sqrt()
}

/// `ts` and `values` are the series' ts-sorted points (`NaN` = missing).
///
/// `first_ts` / `last_ts` cover every point, missing or not (`None` only for an
/// empty series); everything else covers the non-missing values.
pub fn summarize(ts: &Timestamps, values: &[f64]) -> Summary {
    debug_assert_eq!(ts.len(), values.len(), "one ts per value");
    let first_ts = ts.first();
    let last_ts = ts.last();

    // Non-missing values in ts order: the summation order numpy would see.
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let count = v.len();
    let missing = values.len() - count;
    if count == 0 {
        return Summary {
            count,
            missing,
            min: None,
            max: None,
            mean: None,
            std: None,
            p50: None,
            p90: None,
            p95: None,
            p99: None,
            first_ts,
            last_ts,
        };
    }

    let (mut min, mut max) = (v[0], v[0]);
    for &x in &v[1..] {
        if x < min {
            min = x;
        }
        if x > max {
            max = x;
        }
    }
    let mean = numpy_mean(&v);
    let std = numpy_std(&v, mean);

    // Must come last: selection reorders `v`.
    let p = if count == 1 {
        // numpy clips the virtual index of a single value to the top and
        // interpolates as `b - 0 * 0`, which keeps a `-0.0`; `lerp` would add
        // `+0.0` and lose the sign. Every other value is returned unchanged.
        [v[0]; 4]
    } else {
        let q = percentiles_in_place(&mut v, &QUANTILES);
        [q[0], q[1], q[2], q[3]]
    };

    Summary {
        count,
        missing,
        min: Some(min),
        max: Some(max),
        mean: Some(mean),
        std: Some(std),
        p50: Some(p[0]),
        p90: Some(p[1]),
        p95: Some(p[2]),
        p99: Some(p[3]),
        first_ts,
        last_ts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_small_is_a_plain_loop() {
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        assert!(numpy_sum(&[-0.0]).is_sign_positive());
    }

    #[test]
    fn pairwise_grouping_differs_from_naive() {
        // 8 accumulators: 1e16 and the small terms land in different lanes.
        let mut a = vec![1.0; 16];
        a[0] = 1e16;
        let naive: f64 = a.iter().sum();
        let pw = pairwise_sum(&a);
        // lane 0: 1e16 + 1 (rounds to 1e16), lanes 1..7: 2 each = 14.
        assert_eq!(pw, ((1e16 + 2.0) + 4.0) + (4.0 + 4.0));
        assert_ne!(pw, naive);
    }

    #[test]
    fn empty_and_all_missing() {
        let s = summarize(&Timestamps::Integer(vec![]), &[]);
        assert_eq!((s.count, s.missing, s.first_ts, s.mean), (0, 0, None, None));
        let s = summarize(&Timestamps::Integer(vec![1, 2]), &[f64::NAN, f64::NAN]);
        assert_eq!((s.count, s.missing), (0, 2));
        assert_eq!((s.first_ts, s.last_ts), (Some(Ts::Int(1)), Some(Ts::Int(2))));
        assert!(s.min.is_none() && s.p99.is_none() && s.std.is_none());
    }

    /// Values near `f64::MAX` (issue 10): finite exactly where numpy 2.4.6 is finite, bit for bit,
    /// and `None` (JSON `null`) exactly where numpy overflows to `±inf`. Expected values printed by
    /// `a = np.array(v); a.mean(), a.std(), np.percentile(a, [50, 90, 95, 99])` with numpy 2.4.6.
    #[test]
    fn extreme_values_match_numpy_including_where_it_overflows() {
        let inf = f64::INFINITY;
        #[rustfmt::skip]
        let cases: [(&[f64], f64, f64, [f64; 4]); 6] = [
            (&[1.7e308, 1.7e308], inf, inf, [1.7e308; 4]),
            (&[1.7e308, -1.7e308], 0.0, inf, [-inf; 4]),
            (&[1.7e308, 1.0], 8.5e307, inf, [8.5e307, 1.53e308, 1.6149999999999999e308, 1.683e308]),
            (&[1.7e308, -1.7e308, 1.0], 0.3333333333333333, inf,
                [1.0, 1.3600000000000001e308, 1.5299999999999998e308, 1.6659999999999999e308]),
            (&[1e308, -1e308, 1e308, -1e308], 0.0, inf, [-inf, 1e308, 1e308, 1e308]),
            (&[1.7e308, 1.6e308, -1.7e308], inf, inf,
                [1.6e308, 1.6799999999999999e308, 1.69e308, 1.698e308]),
        ];
        // numpy's infinities are JSON nulls here: the engine never reports a non-finite statistic.
        let finite = |x: f64| x.is_finite().then_some(x);
        for (values, mean, std, p) in cases {
            let ts = Timestamps::Integer((0..values.len() as i64).collect());
            let s = summarize(&ts, values);
            let got = [s.mean, s.std, s.p50, s.p90, s.p95, s.p99].map(|x| x.and_then(finite).map(f64::to_bits));
            let want = [mean, std, p[0], p[1], p[2], p[3]].map(|x| finite(x).map(f64::to_bits));
            assert_eq!(got, want, "{values:?}");
        }
    }

    #[test]
    fn single_value_keeps_negative_zero() {
        let s = summarize(&Timestamps::Integer(vec![5]), &[-0.0]);
        for p in [s.p50, s.p90, s.p95, s.p99] {
            assert!(p.unwrap().is_sign_negative());
        }
        assert_eq!(s.std, Some(0.0));
        assert!(s.mean.unwrap().is_sign_positive());
    }
}
