//! Autocorrelations as pymannkendall's `__acf(x, nlags)` computes them:
//! `y = x - x.mean()`, `acov = np.correlate(y, y, 'full')[n-1:] / n`,
//! `acf = acov[:nlags+1] / acov[0]`.
//!
//! * [`ranks_acf`] (Hamed-Rao): the series' average ranks centred on their
//!   mean `(n+1)/2` are half-integers, so `4 * correlate` is an integer sum;
//!   it is computed exactly (`i128`), which is what numpy's float64 sum gives
//!   as long as its partial sums stay below 2^51 (n below about 300,000).
//!   Two float64 divisions follow, as in numpy.
//! * [`real_acf`] (Yue-Wang, prewhitening): numpy's mean (pairwise sum), then
//!   each lag's dot product with error-free products and a compensated sum
//!   (Ogita, Rump and Oishi's Dot2), accurate to about one rounding, so the
//!   result differs from numpy's (BLAS `ddot`, whose order depends on the CPU)
//!   by numpy's own rounding error only.
//!
//! The direct sums cost `n * (nlags + 1)` multiply-adds. For many lags,
//! [`ranks_acf`] uses exact number-theoretic transforms ([`super::ntt`],
//! O(n log n)), and [`yue_wang_all_lags`] needs no autocorrelation at all:
//! `sum_k (1 - k/n) r_k` over every lag is a quadratic form in `y` that one
//! O(n) pass evaluates in double-double arithmetic.

use super::ntt;
use crate::summary::numpy_mean;

/// Autocorrelations `0..=max_lag` of the average ranks of `x`
/// (`scipy.stats.rankdata`); all NaN when `x` holds a NaN (rankdata
/// propagates it).
pub(super) fn ranks_acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let Some(v) = doubled_centred_ranks(x) else {
        return vec![f64::NAN; max_lag + 1];
    };
    let n = v.len();
    let c4: Vec<i128> = if max_lag >= TRANSFORM_MIN_LAG {
        ntt::autocorrelation(&v, max_lag)
    } else {
        (0..=max_lag).map(|k| v[k..].iter().zip(&v[..n - k]).map(|(&a, &b)| (a * b) as i128).sum()).collect()
    };
    from_integer_correlations(&c4, n)
}

/// From this many lags on, [`ranks_acf`] takes the O(n log n) transform
/// instead of the `n * (max_lag + 1)` direct sums (both exact).
const TRANSFORM_MIN_LAG: usize = 64;

/// `acov[k] / acov[0]` with `acov[k] = (c4[k] / 4) / n`, in float64 as numpy.
fn from_integer_correlations(c4: &[i128], n: usize) -> Vec<f64> {
    let nf = n as f64;
    let acov: Vec<f64> = c4.iter().map(|&c| (c as f64 / 4.0) / nf).collect();
    acov.iter().map(|&a| a / acov[0]).collect()
}

/// `2 * rank - (n + 1)` for scipy's average ranks (ties share the mean of
/// their ranks): integers, exact. `None` when `x` holds a NaN.
fn doubled_centred_ranks(x: &[f64]) -> Option<Vec<i64>> {
    if x.iter().any(|v| v.is_nan()) {
        return None;
    }
    let n = x.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
    // total_cmp orders -0.0 before 0.0; they are one tie group (==) regardless
    // of where the sort put them, since the groups are found with ==.
    let mut out = vec![0i64; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && x[order[j] as usize] == x[order[i] as usize] {
            j += 1;
        }
        // Ranks i+1..=j, average (i+1+j)/2.
        let doubled = (i + 1 + j) as i64 - (n as i64 + 1);
        for &o in &order[i..j] {
            out[o as usize] = doubled;
        }
        i = j;
    }
    Some(out)
}

/// Autocorrelations `0..=max_lag` of `x` (no NaN expected; NaN and infinities
/// propagate as in numpy).
pub(super) fn real_acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let mean = numpy_mean(x);
    let y: Vec<f64> = x.iter().map(|&v| v - mean).collect();
    let nf = n as f64;
    let acov: Vec<f64> = (0..=max_lag).map(|k| dot2(&y[k..], &y[..n - k]) / nf).collect();
    acov.iter().map(|&a| a / acov[0]).collect()
}

/// `sum_(k=1)^(n-1) (1 - k/n) r_k` of `x` (Yue-Wang's sum over all lags),
/// `r_k` its autocorrelations, without computing them:
/// `sum_k (n - k) c_k = sum_(i<j) (n - j + i) y_i y_j = sum_j y_j ((n - j) P_j + Q_j)`
/// with `P_j = sum_(i<j) y_i` and `Q_j = sum_(i<j) i y_i`, divided by `n c_0`.
/// Evaluated in double-double (about 106 bits), so the result is within a few
/// roundings of the exact value; numpy's sum of `n - 1` rounded terms differs
/// from that by its own rounding error.
pub(super) fn yue_wang_all_lags(x: &[f64]) -> f64 {
    let n = x.len();
    let mean = numpy_mean(x);
    let (mut p, mut q, mut w, mut c0) = (Dd::ZERO, Dd::ZERO, Dd::ZERO, Dd::ZERO);
    for (j, &v) in x.iter().enumerate() {
        let y = v - mean;
        let inner = p.mul(((n - j) as f64).into()).add(q);
        w = w.add(inner.mul(y.into()));
        c0 = c0.add(Dd::product(y, y));
        p = p.add(y.into());
        q = q.add(Dd::product(j as f64, y));
    }
    (w.hi + w.lo) / (n as f64 * (c0.hi + c0.lo))
}

/// A double-double number `hi + lo`, `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl From<f64> for Dd {
    fn from(v: f64) -> Dd {
        Dd { hi: v, lo: 0.0 }
    }
}

impl Dd {
    const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    fn product(a: f64, b: f64) -> Dd {
        let (hi, lo) = two_product(a, b);
        Dd { hi, lo }
    }

    fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (t, f) = two_sum(self.lo, o.lo);
        let (s, e) = fast_two_sum(s, e + t);
        let (hi, lo) = fast_two_sum(s, e + f);
        Dd { hi, lo }
    }

    fn mul(self, o: Dd) -> Dd {
        let (p, e) = two_product(self.hi, o.hi);
        let (hi, lo) = fast_two_sum(p, e + (self.hi * o.lo + self.lo * o.hi));
        Dd { hi, lo }
    }
}

fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `sum a_i b_i` as if computed in twice the working precision, then rounded
/// (Dot2, Ogita, Rump and Oishi 2005), with Dekker's products (no FMA needed).
fn dot2(a: &[f64], b: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (p, pe) = two_product(x, y);
        let (t, te) = two_sum(s, p);
        s = t;
        c += pe + te;
    }
    let r = s + c;
    // Infinite or NaN products: the plain sum, as numpy would give.
    if r.is_finite() {
        r
    } else {
        a.iter().zip(b).map(|(&x, &y)| x * y).sum()
    }
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn split(a: f64) -> (f64, f64) {
    const FACTOR: f64 = 134_217_729.0; // 2^27 + 1
    let c = FACTOR * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

fn two_product(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, al * bl - (((p - ah * bh) - al * bh) - ah * bl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ranks_share_ties_and_centre_on_zero() {
        // rankdata([3, 1, 3, 2]) = [3.5, 1, 3.5, 2]; doubled minus 5.
        assert_eq!(doubled_centred_ranks(&[3.0, 1.0, 3.0, 2.0]), Some(vec![2, -3, 2, -1]));
        assert_eq!(doubled_centred_ranks(&[0.0, -0.0, 1.0]), Some(vec![-1, -1, 2]));
        assert_eq!(doubled_centred_ranks(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn dot2_recovers_what_plain_summation_cancels() {
        let a = [1e16, 1.0, -1e16];
        let b = [1.0, 1.0, 1.0];
        assert_eq!(a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>(), 0.0);
        assert_eq!(dot2(&a, &b), 1.0);
    }
}
