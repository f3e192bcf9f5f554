//! Order statistics with numpy's exact semantics, shared by the analyses.
//!
//! * `np.median`: the middle value, or `(a + b) / 2` of the two middle values.
//! * `np.percentile(v, q)` with the default 'linear' method: virtual index
//!   `g = (n - 1) * (q / 100)`, `lo = floor(g)`, `hi = min(lo + 1, n - 1)`,
//!   `t = g - lo`, then numpy's `_lerp`: `a + (b - a) * t` when `t < 0.5`,
//!   else `b - (b - a) * (1 - t)`. Both halves matter for bit-equality.
//!
//! Inputs must not contain NaN (callers drop missing values first).

use std::cmp::Ordering;

#[inline]
fn cmp(a: &f64, b: &f64) -> Ordering {
    a.total_cmp(b)
}

/// numpy's `_lerp`, bit for bit.
#[inline]
pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Median of an already sorted, non-empty slice.
#[inline]
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    debug_assert!(n > 0);
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Median of a non-empty slice, reordering it (O(n) expected).
pub fn median_in_place(buf: &mut [f64]) -> f64 {
    median_in_place_by(buf, cmp)
}

/// [`median_in_place`] with the plain float order, in which `-0.0` and `0.0` are equal:
/// fewer instructions a comparison than the total order, and the same median but for the
/// sign of a zero (for callers to whom that sign cannot matter, e.g. squared scales).
pub fn median_in_place_signless_zero(buf: &mut [f64]) -> f64 {
    median_in_place_by(buf, |a: &f64, b: &f64| {
        if a < b {
            Ordering::Less
        } else if a > b {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    })
}

#[inline(always)]
fn median_in_place_by(buf: &mut [f64], cmp: impl Fn(&f64, &f64) -> Ordering + Copy) -> f64 {
    let n = buf.len();
    assert!(n > 0, "median of an empty slice");
    let mid = n / 2;
    let (lower, m, _) = buf.select_nth_unstable_by(mid, cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        // The largest of the lower half is the other middle value.
        let a = lower.iter().copied().max_by(cmp).expect("n >= 2");
        (a + m) / 2.0
    }
}

/// The (lo, hi, t) of numpy's linear method for percentile `q` (0..=100) of `n` values.
#[inline]
fn virtual_index(n: usize, q: f64) -> (usize, usize, f64) {
    let g = (n as f64 - 1.0) * (q / 100.0);
    let lo_f = g.floor();
    let lo = (lo_f as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    (lo, hi, g - lo_f)
}

/// `np.percentile(sorted, q)` for a sorted, non-empty slice.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let (lo, hi, t) = virtual_index(sorted.len(), q);
    lerp(sorted[lo], sorted[hi], t)
}

/// `np.percentile(buf, q)` for each `q` of `qs` (ascending), reordering `buf`
/// by successive selections instead of a full sort. `buf` must be non-empty.
pub fn percentiles_in_place(buf: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = buf.len();
    assert!(n > 0, "percentile of an empty slice");
    debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]), "qs must be ascending");
    let mut out = Vec::with_capacity(qs.len());
    // Everything left of `done` is already in its sorted place relative to the rest.
    let mut done = 0usize;
    for &q in qs {
        let (lo, hi, t) = virtual_index(n, q);
        let a = if lo >= done {
            let rel = lo - done;
            let (_, v, _) = buf[done..].select_nth_unstable_by(rel, cmp);
            *v
        } else {
            buf[lo]
        };
        // After selecting lo, the minimum of the right part is the (lo + 1)-th value.
        let b = if hi == lo {
            a
        } else {
            let right = &mut buf[lo + 1..];
            let (i, _) = right.iter().enumerate().min_by(|x, y| cmp(x.1, y.1)).expect("hi < n");
            right.swap(0, i);
            buf[hi]
        };
        done = hi + 1;
        out.push(lerp(a, b, t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain float order finds the same median as the total order, up to the sign of a
    /// zero (signed zeros, ties, odd and even lengths).
    #[test]
    fn signless_zero_median_is_the_median() {
        let mut state = 7u64;
        for n in 1..200usize {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    match state >> 61 {
                        0 => 0.0,
                        1 => -0.0,
                        k => ((state >> 40) % 7) as f64 - 3.0 + 0.5 * k as f64,
                    }
                })
                .collect();
            let (mut a, mut b) = (v.clone(), v.clone());
            let (want, got) = (median_in_place(&mut a), median_in_place_signless_zero(&mut b));
            assert!(want == got && !got.is_nan(), "n={n}: {want} vs {got}");
        }
    }

    fn sorted(v: &[f64]) -> Vec<f64> {
        let mut s = v.to_vec();
        s.sort_by(cmp);
        s
    }

    #[test]
    fn median_matches_sorted_definition() {
        for n in 1..40usize {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 - 0.5 * (i % 3) as f64).collect();
            let s = sorted(&v);
            let mut b = v.clone();
            assert_eq!(median_in_place(&mut b), median_sorted(&s), "n={n}");
        }
    }

    #[test]
    fn percentiles_by_selection_equal_sorted() {
        let qs = [50.0, 90.0, 95.0, 99.0];
        for n in 1..200usize {
            let v: Vec<f64> = (0..n).map(|i| (((i * 2654435761) % 1000) as f64).sqrt()).collect();
            let s = sorted(&v);
            let mut b = v.clone();
            let got = percentiles_in_place(&mut b, &qs);
            let want: Vec<f64> = qs.iter().map(|&q| percentile_sorted(&s, q)).collect();
            assert_eq!(got, want, "n={n}");
        }
    }

    #[test]
    fn lerp_uses_numpy_halves() {
        // For t >= 0.5 numpy computes from b; the two formulas differ in the last bit here.
        let (a, b, t) = (0.1f64, 0.7f64, 0.9f64);
        assert_eq!(lerp(a, b, t), b - (b - a) * (1.0 - t));
        assert_eq!(lerp(a, b, 0.2), a + (b - a) * 0.2);
    }
}
