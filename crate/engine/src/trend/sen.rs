//! Sen's slope: the exact median of the pairwise slopes, by randomized slope
//! selection in O(n log n) expected time and O(n) memory.
//!
//! # What is computed
//!
//! pymannkendall's `sens_slope` takes every pair of positions `i < j` of the
//! original series, computes `d = (x[j] - x[i]) / (j - i)` in float64 and
//! returns `np.nanmedian(d)`: pairs with a missing value (and `inf - inf`) are
//! NaN and left out; for an even count the two middle values are averaged as
//! `np.mean` does (`(0 + a + b) / 2`). The values selected here are those very
//! float64 quotients `q(i, j)`, not the real slopes `s(i, j)`, so the result is
//! bit-identical to numpy's.
//!
//! # Slope selection
//!
//! For a threshold `t`, a pair `i < j` has `s(i, j) < t` exactly when
//! `x_j - t*j < x_i - t*i`: the pairs below `t` are the inversions of the keys
//! `x_i - t*i` listed in index order, counted by a merge sort in O(n log n)
//! (see [`msort`]). Sorting the points by key at a lower threshold `lo` and at
//! an upper one `hi`, the pairs with slopes in between (the *band*) are exactly
//! the pairs ordered differently by the two sorts, so the band can be counted,
//! sampled uniformly (Bernoulli sampling with geometric skips while merging)
//! and enumerated in O(n log n + size). The search (Matoušek 1991; Dillencourt,
//! Mount & Netanyahu 1992) keeps a band holding the target ranks: sample band
//! pairs (about `n` uniform pairs in the first round, `2n` band pairs later),
//! take the sample order statistics 2.5 standard deviations around the
//! targets' expected positions as new thresholds, count both (in parallel),
//! keep each side that still brackets the targets. Each round shrinks the band
//! by a factor of about `sqrt(n)`, so two rounds usually bring it from
//! `n^2/2` pairs down to a few `n`, which are enumerated and selected
//! directly: about six merge sorts in all, O(n log n) expected time, O(n)
//! memory (the final band holds at most `5n` quotients).
//!
//! # Exactness
//!
//! Two models of the keys are used:
//!
//! * **Integer model** (values are integers times a common power of two with a
//!   range below 2^53, e.g. counters and quantized metrics): every difference
//!   `x_j - x_i` is exact in float64, so `q = fl(s)`, a monotone function of the
//!   real slope: the k-th quotient is `fl` of the k-th real slope. Thresholds
//!   are rational slopes `P/Q` of sampled pairs and keys `Q*X_i - P*i` are exact
//!   `i64`s, so every count is exact, ties included (a mass of pairs with the
//!   very same slope is resolved by counting just below and just above it).
//! * **Float model** (everything else): keys are `fma(-t, i, x_i)`, rounded
//!   once, so `key_j < key_i` proves `s < t` and only key ties are uncertain;
//!   a lower threshold counts the strictly-below pairs, an upper one the
//!   strictly-above pairs. `q` differs from `s` by at most about 2 ulp, so
//!   thresholds are placed a safety margin outside the sampled values, and the
//!   selected value is *verified*: every pair below the band provably has a
//!   quotient below it, every pair above one above it. If that proof fails,
//!   or the band stops shrinking (a mass of quotients equal to, or within a
//!   few ulp of, the median, e.g. `x_i = 0.1 * i`), an exact streaming
//!   selection over the band takes over: passes that enumerate the band
//!   without storing it, counting against a window (a suspected mass value is
//!   tried first and usually settles it in one pass). Such inputs cost
//!   O(n log n + band) per pass, up to O(n^2) for exactly linear float data,
//!   still in O(n) memory. Should even the band not bracket the target, the
//!   passes run over all pairs.
//!
//! The median slope is 0 surprisingly often (flat, quantized series); the
//! Mann-Kendall counts of pairs with `x_j < x_i` and `x_j == x_i` settle that
//! case, and split the search at zero otherwise, without any extra pass.
//!
//! Values of magnitude above 2^960 (where keys could overflow) go to the exact
//! streaming selection over all pairs: O(n^2) time, still O(n) memory.
//! Infinite values are handled exactly: their pairs' quotients are +-inf (or
//! NaN for two infinities of the same sign) and only shift the target ranks.

use rayon::prelude::*;

use super::msort::{self, Sink};

/// Series with at least this many points use rayon inside (the caller already
/// runs many shorter series in parallel).
pub(super) const PAR_MIN: usize = 20_000;
/// At most this many pairs: enumerate them all and select.
const BRUTE_PAIRS: u64 = 4096;
/// New thresholds sit this many standard deviations outside the expected
/// sample positions of the target ranks.
const DELTA: f64 = 2.5;
/// Search rounds before giving up on a model (never reached in practice).
const MAX_ROUNDS: usize = 64;

/// Pairs counted by the Mann-Kendall pass: `x_j < x_i` and `x_j == x_i` over
/// the pairs `i < j`, i.e. the pairs with a negative and a zero slope.
#[derive(Clone, Copy, Debug)]
pub(super) struct ZeroCounts {
    pub lt: u64,
    pub eq: u64,
}

/// Sen's slope of `x` (NaN = missing) exactly as pymannkendall's `sens_slope`
/// computes it (`np.nanmedian` of the float64 pairwise slopes over the original
/// positions). NaN when there is no pair of present values.
pub fn sen_slope(x: &[f64]) -> f64 {
    slope(x, None)
}

/// [`sen_slope`], optionally with the zero-slope counts of the finite values
/// (from the Mann-Kendall pass) to save a sort.
pub(super) fn slope(x: &[f64], zero: Option<ZeroCounts>) -> f64 {
    if x.len() > u32::MAX as usize {
        return f64::NAN; // out of scope: ids are u32
    }
    let mut pts = Pts { xy: Vec::new() };
    // Quotients with an infinite value: x_j - x_i is +-inf (NaN for two
    // infinities of the same sign, which nanmedian drops).
    let (mut finite, mut pinf, mut ninf) = (0u64, 0u64, 0u64);
    let (mut neg, mut posv) = (0u64, 0u64);
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if v == f64::INFINITY {
            posv += finite + ninf;
            pinf += 1;
        } else if v == f64::NEG_INFINITY {
            neg += finite + pinf;
            ninf += 1;
        } else {
            neg += pinf;
            posv += ninf;
            finite += 1;
            pts.xy.push((v, i as f64));
        }
    }
    let m = pts.len() as u64;
    let nf = m * m.saturating_sub(1) / 2;
    let total = neg + nf + posv;
    if total == 0 {
        return f64::NAN;
    }
    let ranks: Vec<u64> = if total % 2 == 1 { vec![total / 2] } else { vec![total / 2 - 1, total / 2] };
    let finite_ranks: Vec<u64> = ranks.iter().filter(|&&k| k >= neg && k < neg + nf).map(|&k| k - neg).collect();
    let zero = if pinf + ninf > 0 {
        None
    } else if zero.is_none() && nf > BRUTE_PAIRS {
        // Called on its own: one sort of the values gives the zero-slope counts.
        let mut vals: Vec<f64> = pts.vals().collect();
        let score = super::score_sorting(&mut vals);
        Some(ZeroCounts { lt: score.lt, eq: score.eq })
    } else {
        zero
    };
    let sel = if finite_ranks.is_empty() { Vec::new() } else { select_finite(&pts, &finite_ranks, zero) };
    let mut sel = sel.into_iter();
    let vals: Vec<f64> = ranks
        .iter()
        .map(|&k| {
            if k < neg {
                f64::NEG_INFINITY
            } else if k >= neg + nf {
                f64::INFINITY
            } else {
                sel.next().unwrap_or(f64::NAN)
            }
        })
        .collect();
    np_median_of_middles(&vals)
}

/// `np.median` from its middle value(s): `np.mean` of them, which sums from 0.
pub(super) fn np_median_of_middles(mid: &[f64]) -> f64 {
    match *mid {
        [a] => 0.0 + a,
        [a, b] => ((0.0 + a) + b) / 2.0,
        _ => f64::NAN,
    }
}

/// The finite points: values and original positions (exact small integers).
pub(super) struct Pts {
    /// (value, position), by position.
    xy: Vec<(f64, f64)>,
}

impl Pts {
    fn len(&self) -> usize {
        self.xy.len()
    }

    fn vals(&self) -> impl Iterator<Item = f64> + '_ {
        self.xy.iter().map(|p| p.0)
    }

    fn last_pos(&self) -> f64 {
        self.xy.last().map_or(0.0, |p| p.1)
    }

    /// The quotient numpy computes for the pair of points `a < b`.
    #[inline]
    fn q(&self, a: usize, b: usize) -> f64 {
        let ((va, pa), (vb, pb)) = (self.xy[a], self.xy[b]);
        (vb - va) / (pb - pa)
    }
}

/// The k-th smallest quotients (0-based ranks, ascending) over all pairs of
/// the finite points.
fn select_finite(pts: &Pts, ranks: &[u64], zero: Option<ZeroCounts>) -> Vec<f64> {
    let m = pts.len();
    let n_pairs = (m as u64) * (m as u64 - 1) / 2;
    if n_pairs <= BRUTE_PAIRS {
        let mut qs = Vec::with_capacity(n_pairs as usize);
        for a in 0..m {
            for b in a + 1..m {
                qs.push(pts.q(a, b));
            }
        }
        return select_ranks(&mut qs, &ranks.iter().map(|&k| k as usize).collect::<Vec<_>>());
    }
    let max_abs = pts.vals().fold(0.0f64, |a, v| a.max(v.abs()));
    let min_abs = pts.vals().filter(|v| *v != 0.0).fold(f64::INFINITY, |a, v| a.min(v.abs()));
    let cx = Ctx::new(m, n_pairs);
    if max_abs > HUGE {
        return ranks
            .iter()
            .map(|&k| streaming_select(&cx, pts, &Source::Whole, k, Outside::NONE, None).map_or(f64::NAN, |f| f.0))
            .collect();
    }
    // Below 2^-960 a difference divided by a position gap could underflow to 0,
    // and then "x_j < x_i" would no longer mean "quotient < 0".
    let tiny = min_abs < TINY;
    let zero = zero.filter(|_| !tiny);
    if let Some(model) = IntModel::new(pts) {
        if let Some(v) = run(&cx, &model, ranks, zero) {
            return v;
        }
    }
    let model = FloatModel::new(pts, max_abs, tiny);
    match run(&cx, &model, ranks, zero) {
        Some(v) => v,
        None => ranks
            .iter()
            .map(|&k| streaming_select(&cx, pts, &Source::Whole, k, Outside::NONE, None).map_or(f64::NAN, |f| f.0))
            .collect(),
    }
}

/// 2^960.
const HUGE: f64 = f64::from_bits((1023 + 960) << 52);
/// 2^-960.
const TINY: f64 = f64::from_bits((1023 - 960) << 52);
/// 2^-48, 2^-50 (relative margins).
const REL_48: f64 = f64::from_bits((1023 - 48) << 52);
const REL_50: f64 = f64::from_bits((1023 - 50) << 52);
/// 2^-1058, 2^-1060 (absolute margins, subnormal).
const ABS_1058: f64 = f64::from_bits(1 << (1074 - 1058));
const ABS_1060: f64 = f64::from_bits(1 << (1074 - 1060));

/// The key of a float in its total order (`f64::total_cmp`) as an `i64`:
/// negative floats get their magnitude bits flipped. An involution.
#[inline(always)]
pub(super) fn ord_key(v: f64) -> i64 {
    let b = v.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// The float of an [`ord_key`].
#[inline(always)]
pub(super) fn from_key(k: i64) -> f64 {
    f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64)
}

/// Selects the given ranks (ascending; consecutive or repeated ranks are
/// cheap) of `qs` by quickselect, in the total order of floats.
fn select_ranks(qs: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    let mut keys: Vec<i64> = qs.iter().map(|&q| ord_key(q)).collect();
    select_key_ranks(&mut keys, ranks)
}

/// [`select_ranks`] over the [`ord_key`]s of the floats: integer comparisons
/// are cheaper than `total_cmp`, which transforms both operands each time.
fn select_key_ranks(keys: &mut [i64], ranks: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(ranks.len());
    // keys[..done] holds the `done` smallest values, keys[done - 1] the largest of them.
    let mut done = 0usize;
    for &k in ranks {
        if k >= keys.len() {
            out.push(f64::NAN);
        } else if done > 0 && k == done - 1 {
            out.push(from_key(keys[k]));
        } else if k == done && done > 0 {
            // The next rank: the minimum of the rest, moved into place.
            let rest = &mut keys[done..];
            let mut i = 0;
            for j in 1..rest.len() {
                if rest[j] < rest[i] {
                    i = j;
                }
            }
            rest.swap(0, i);
            out.push(from_key(keys[k]));
            done = k + 1;
        } else if k >= done {
            let (_, v, _) = keys[done..].select_nth_unstable(k - done);
            out.push(from_key(*v));
            done = k + 1;
        } else {
            let (_, v, _) = keys.select_nth_unstable(k);
            out.push(from_key(*v));
            done = k + 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Search state

/// Where a threshold sits relative to the slope value it is placed at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    /// Just below: pairs whose keys tie are not below it.
    Minus,
    /// Just above: pairs whose keys tie are below it.
    Plus,
}

#[derive(Clone, Copy, Debug)]
enum Bound<T> {
    NegInf,
    At(T, Side),
    PosInf,
}

/// A threshold with the number of pairs below it and the points sorted by key
/// there (key ties: ascending id for `Minus`, descending for `Plus`; in that
/// order a pair `i < j` is below the threshold iff `j` comes first).
#[derive(Clone)]
struct Cut<T> {
    bound: Bound<T>,
    below: u64,
    perm: Vec<u32>,
}

/// The two ways of computing keys; see the module documentation.
trait Model: Sync {
    /// A threshold slope.
    type T: Copy + Send + Sync + std::fmt::Debug;
    type K: Copy + PartialOrd + Send + Sync;
    /// Counts are exact (integer model): no verification needed.
    const EXACT: bool;
    fn pts(&self) -> &Pts;
    fn key(&self, t: Self::T, id: usize) -> Self::K;
    /// A lower / upper threshold from the sampled pair `(a, b)` (quotient `q`),
    /// kept inside the current band `[lo, hi]`.
    fn lower_at(&self, a: u32, b: u32, q: f64, lo: &Bound<Self::T>, hi: &Bound<Self::T>) -> Self::T;
    fn upper_at(&self, a: u32, b: u32, q: f64, lo: &Bound<Self::T>, hi: &Bound<Self::T>) -> Self::T;
    /// Whether two sampled pairs have exactly the same slope (exact model only).
    fn same_slope(&self, p: (u32, u32), r: (u32, u32)) -> bool;
    fn zero(&self) -> Self::T;
    fn is_zero(&self, t: &Self::T) -> bool;
    /// Whether the cut may bound a band from above / below (the float model
    /// only allows `Plus` / `Minus` cuts there, or exact cuts at zero).
    fn can_upper(&self, b: &Bound<Self::T>) -> bool;
    fn can_lower(&self, b: &Bound<Self::T>) -> bool;
    /// Every pair below the cut has a quotient `<` this (float model).
    fn q_below(&self, b: &Bound<Self::T>) -> f64;
    /// Every pair not below the cut has a quotient `>` this (float model).
    fn q_above(&self, b: &Bound<Self::T>) -> f64;
}

/// Integer model: `x_i = X_i * 2^e` with integer `X_i` spanning less than 2^53.
struct IntModel<'a> {
    pts: &'a Pts,
    /// `X_i - min X`.
    xs: Vec<i64>,
    ps: Vec<i64>,
}

impl<'a> IntModel<'a> {
    fn new(pts: &'a Pts) -> Option<Self> {
        // The exponent of the lowest set bit of each nonzero value.
        let low_exp = |v: f64| -> Option<(i32, u64, bool)> {
            if v == 0.0 {
                return None;
            }
            let bits = v.to_bits();
            let neg = bits >> 63 == 1;
            let biased = ((bits >> 52) & 0x7ff) as i32;
            let frac = bits & ((1u64 << 52) - 1);
            let (mant, e) = if biased == 0 { (frac, -1074) } else { (frac | (1u64 << 52), biased - 1075) };
            let tz = mant.trailing_zeros() as i32;
            Some((e + tz, mant >> tz, neg))
        };
        let g = pts.vals().filter_map(low_exp).map(|(e, _, _)| e).min().unwrap_or(0);
        let mut xs = Vec::with_capacity(pts.len());
        for v in pts.vals() {
            let x = match low_exp(v) {
                None => 0i64,
                Some((e, odd, neg)) => {
                    let shift = (e - g) as u32;
                    let bits = 64 - odd.leading_zeros();
                    if bits + shift > 62 {
                        return None;
                    }
                    let mag = (odd << shift) as i64;
                    if neg {
                        -mag
                    } else {
                        mag
                    }
                }
            };
            xs.push(x);
        }
        let lo = *xs.iter().min()?;
        let hi = *xs.iter().max()?;
        let range = (hi as i128 - lo as i128) as u128;
        let max_pos = pts.last_pos() as u128;
        // Exact differences (|X_j - X_i| <= 2^53) and keys |Q*X - P*i| < 2^62.
        if range > 1u128 << 53 || range * max_pos.max(1) > 1u128 << 61 {
            return None;
        }
        for x in &mut xs {
            *x -= lo;
        }
        let ps = pts.xy.iter().map(|p| p.1 as i64).collect();
        Some(IntModel { pts, xs, ps })
    }

    #[inline]
    fn rational(&self, a: u32, b: u32) -> (i64, i64) {
        let (a, b) = (a as usize, b as usize);
        (self.xs[b] - self.xs[a], self.ps[b] - self.ps[a])
    }
}

impl Model for IntModel<'_> {
    /// The slope `P / Q` (in units of 2^e), `Q > 0`.
    type T = (i64, i64);
    type K = i64;
    const EXACT: bool = true;

    fn pts(&self) -> &Pts {
        self.pts
    }
    #[inline]
    fn key(&self, (p, q): (i64, i64), id: usize) -> i64 {
        q * self.xs[id] - p * self.ps[id]
    }
    fn lower_at(&self, a: u32, b: u32, _: f64, _: &Bound<Self::T>, _: &Bound<Self::T>) -> Self::T {
        self.rational(a, b)
    }
    fn upper_at(&self, a: u32, b: u32, _: f64, _: &Bound<Self::T>, _: &Bound<Self::T>) -> Self::T {
        self.rational(a, b)
    }
    fn same_slope(&self, p: (u32, u32), r: (u32, u32)) -> bool {
        let (p1, q1) = self.rational(p.0, p.1);
        let (p2, q2) = self.rational(r.0, r.1);
        p1 as i128 * q2 as i128 == p2 as i128 * q1 as i128
    }
    fn zero(&self) -> Self::T {
        (0, 1)
    }
    fn is_zero(&self, t: &Self::T) -> bool {
        t.0 == 0
    }
    fn can_upper(&self, _: &Bound<Self::T>) -> bool {
        true
    }
    fn can_lower(&self, _: &Bound<Self::T>) -> bool {
        true
    }
    fn q_below(&self, _: &Bound<Self::T>) -> f64 {
        f64::INFINITY
    }
    fn q_above(&self, _: &Bound<Self::T>) -> f64 {
        f64::NEG_INFINITY
    }
}

/// Float model: keys `fma(-t, i, x_i)`.
struct FloatModel<'a> {
    pts: &'a Pts,
    max_abs: f64,
    max_pos: f64,
    /// Some nonzero value is below 2^-960: no exact shortcut at zero.
    tiny: bool,
}

impl<'a> FloatModel<'a> {
    fn new(pts: &'a Pts, max_abs: f64, tiny: bool) -> Self {
        let max_pos = pts.last_pos();
        FloatModel { pts, max_abs, max_pos, tiny }
    }

    /// A bound on twice the rounding error of a key at `t` (a key tie then
    /// means `|s - t| <= this`).
    fn tie_width(&self, t: f64) -> f64 {
        4.0 * f64::EPSILON * (self.max_abs + t.abs() * self.max_pos)
    }

    fn exact_zero(&self, t: f64) -> bool {
        t == 0.0 && !self.tiny
    }
}

/// `v` plus a margin covering twice the rounding of a quotient (`q` is within
/// `2.1 u |s| + 2^-1075` of the real slope `s`) and the rounding of this sum.
#[inline]
fn up(v: f64) -> f64 {
    v + (v.abs() * REL_50 + ABS_1060)
}

#[inline]
fn down(v: f64) -> f64 {
    v - (v.abs() * REL_50 + ABS_1060)
}

/// The least positive float (2^-1074).
const MIN_POS: f64 = f64::from_bits(1);

impl Model for FloatModel<'_> {
    type T = f64;
    type K = f64;
    const EXACT: bool = false;

    fn pts(&self) -> &Pts {
        self.pts
    }
    #[inline]
    fn key(&self, t: f64, id: usize) -> f64 {
        // One rounding: key_j < key_i proves s(i, j) < t.
        let (v, p) = self.pts.xy[id];
        (-t).mul_add(p, v)
    }
    fn lower_at(&self, _: u32, _: u32, q: f64, lo: &Bound<f64>, hi: &Bound<f64>) -> f64 {
        clamp(q - (q.abs() * REL_48 + ABS_1058), lo, hi)
    }
    fn upper_at(&self, _: u32, _: u32, q: f64, lo: &Bound<f64>, hi: &Bound<f64>) -> f64 {
        clamp(q + (q.abs() * REL_48 + ABS_1058), lo, hi)
    }
    fn same_slope(&self, _: (u32, u32), _: (u32, u32)) -> bool {
        false
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn is_zero(&self, t: &f64) -> bool {
        *t == 0.0
    }
    fn can_upper(&self, b: &Bound<f64>) -> bool {
        match *b {
            Bound::At(t, Side::Minus) => self.exact_zero(t),
            _ => true,
        }
    }
    fn can_lower(&self, b: &Bound<f64>) -> bool {
        match *b {
            Bound::At(t, Side::Plus) => self.exact_zero(t),
            _ => true,
        }
    }
    fn q_below(&self, b: &Bound<f64>) -> f64 {
        match *b {
            Bound::NegInf => f64::NEG_INFINITY,
            Bound::PosInf => f64::INFINITY,
            // Below: key_j < key_i, so s < t.
            Bound::At(t, Side::Minus) => up(t),
            // Below includes key ties: x_j <= x_i at zero, s <= t + tie width elsewhere.
            Bound::At(t, Side::Plus) if self.exact_zero(t) => MIN_POS,
            Bound::At(t, Side::Plus) => up(t + self.tie_width(t)),
        }
    }
    fn q_above(&self, b: &Bound<f64>) -> f64 {
        match *b {
            Bound::NegInf => f64::NEG_INFINITY,
            Bound::PosInf => f64::INFINITY,
            Bound::At(t, Side::Plus) => down(t),
            Bound::At(t, Side::Minus) if self.exact_zero(t) => -MIN_POS,
            Bound::At(t, Side::Minus) => down(t - self.tie_width(t)),
        }
    }
}

fn clamp(t: f64, lo: &Bound<f64>, hi: &Bound<f64>) -> f64 {
    let mut t = t;
    if let Bound::At(l, _) = *lo {
        t = t.max(l);
    }
    if let Bound::At(h, _) = *hi {
        t = t.min(h);
    }
    t
}

type NewCuts<T> = (Option<Cut<T>>, Option<Cut<T>>);

/// Sizes of the search, from the number of points.
struct Ctx {
    m: usize,
    n_pairs: u64,
    par: bool,
    /// Enumerate the band when it holds at most this many pairs.
    budget: u64,
    /// Pairs sampled uniformly in the first round (random memory accesses).
    sample_first: u64,
    /// Pairs sampled from the band in later rounds.
    sample: u64,
}

impl Ctx {
    fn new(m: usize, n_pairs: u64) -> Self {
        let m64 = m as u64;
        Ctx {
            m,
            n_pairs,
            par: m >= PAR_MIN,
            budget: (5 * m64).max(1 << 15),
            sample_first: m64.max(8192),
            sample: (2 * m64).max(4096),
        }
    }
}

/// SplitMix64: small, fast, good enough for sampling; seeded deterministically
/// so results and timings are reproducible.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    #[inline]
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in 0..n (n > 0).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    /// Failures before the first success of a Bernoulli(p) sequence, where
    /// `ln_q = ln(1 - p)` (`-inf` for p = 1).
    #[inline]
    fn geometric(&mut self, ln_q: f64) -> u64 {
        if ln_q == f64::NEG_INFINITY {
            return 0;
        }
        let g = fast_ln(self.unit()) / ln_q;
        if g >= 1.8e19 {
            u64::MAX
        } else {
            g as u64
        }
    }
}

/// `ln(x)` for `x` in (0, 1] to about 1e-5 relative: plenty for drawing
/// sample gaps, and much cheaper than the libm call.
#[inline]
fn fast_ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    // The mantissa in [1, 2) (x is normal: x >= 2^-53).
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    e as f64 * std::f64::consts::LN_2
        + 2.0 * t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 / 9.0))))
}

// ---------------------------------------------------------------------------
// Counting, sampling and enumerating

fn cut<M: Model>(cx: &Ctx, model: &M, bound: Bound<M::T>) -> Cut<M::T> {
    let m = cx.m;
    match bound {
        Bound::NegInf => Cut { bound, below: 0, perm: (0..m as u32).collect() },
        Bound::PosInf => Cut { bound, below: cx.n_pairs, perm: (0..m as u32).rev().collect() },
        Bound::At(t, side) => {
            let mut v: Vec<(M::K, u32)> = if cx.par {
                (0..m).into_par_iter().map(|i| (model.key(t, i), i as u32)).collect()
            } else {
                (0..m).map(|i| (model.key(t, i), i as u32)).collect()
            };
            let lt = msort::sort_count(&mut v, &|a: &(M::K, u32), b: &(M::K, u32)| a.0 < b.0, cx.par);
            let mut perm: Vec<u32> = v.iter().map(|p| p.1).collect();
            // Runs of equal keys: count their pairs, reverse them for `Plus`.
            let mut eq = 0u64;
            let mut s = 0;
            for e in 1..=m {
                if e == m || v[s].0 < v[e].0 {
                    if e - s > 1 {
                        let len = (e - s) as u64;
                        eq += len * (len - 1) / 2;
                        if side == Side::Plus {
                            perm[s..e].reverse();
                        }
                    }
                    s = e;
                }
            }
            let below = lt + if side == Side::Plus { eq } else { 0 };
            Cut { bound, below, perm }
        }
    }
}

/// The band between two cuts as a sequence whose inversions are its pairs:
/// `seq[p]` is the rank under `hi` of the p-th point under `lo`; `tbl[r]` the
/// (value, position) of the point of rank `r` under `hi`.
struct BandSeq {
    seq: Vec<u32>,
    tbl: Vec<(f64, f64)>,
}

fn band_seq<T: Sync>(cx: &Ctx, pts: &Pts, lo: &Cut<T>, hi: &Cut<T>) -> BandSeq {
    let m = pts.len();
    let mut rank = vec![0u32; m];
    for (r, &id) in hi.perm.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    let rank = &rank;
    let (tbl, seq) = if cx.par {
        rayon::join(
            || hi.perm.par_iter().map(|&id| pts.xy[id as usize]).collect(),
            || lo.perm.par_iter().map(|&id| rank[id as usize]).collect(),
        )
    } else {
        (hi.perm.iter().map(|&id| pts.xy[id as usize]).collect(), lo.perm.iter().map(|&id| rank[id as usize]).collect())
    };
    BandSeq { seq, tbl }
}

/// The quotient of the band pair (earlier under `lo`, later under `lo`): the
/// first is always the point with the smaller position.
#[inline]
fn band_q(tbl: &[(f64, f64)], first: u32, second: u32) -> f64 {
    let (va, pa) = tbl[first as usize];
    let (vb, pb) = tbl[second as usize];
    if pa < pb {
        (vb - va) / (pb - pa)
    } else {
        // Unreachable for nested cuts; kept panic-free.
        (va - vb) / (pa - pb)
    }
}

/// Bernoulli sample of the band pairs, as rank pairs under `hi`.
struct SampleSink {
    ln_q: f64,
    skip: u64,
    rng: Rng,
    out: Vec<(u32, u32)>,
}

impl SampleSink {
    fn new(p: f64, seed: u64) -> Self {
        let ln_q = if p >= 1.0 { f64::NEG_INFINITY } else { (-p).ln_1p() };
        let mut rng = Rng::new(seed);
        let skip = rng.geometric(ln_q);
        SampleSink { ln_q, skip, rng, out: Vec::new() }
    }
}

impl Sink for SampleSink {
    fn fork(&self, salt: u64) -> Self {
        let mut rng = Rng::new(self.rng.0 ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03));
        let skip = rng.geometric(self.ln_q);
        SampleSink { ln_q: self.ln_q, skip, rng, out: Vec::new() }
    }
    fn absorb(&mut self, other: Self) {
        self.out.extend(other.out);
    }
    fn idle(&self) -> u64 {
        self.skip
    }
    fn pass_over(&mut self, n: u64) {
        self.skip -= n;
    }
    #[inline]
    fn block(&mut self, left: &[u32], right: u32) {
        let len = left.len() as u64;
        while self.skip < len {
            self.out.push((left[self.skip as usize], right));
            self.skip = self.skip.saturating_add(1).saturating_add(self.rng.geometric(self.ln_q));
        }
        self.skip -= len;
    }
}

/// All quotients of the band, as [`ord_key`]s.
struct CollectSink<'a> {
    tbl: &'a [(f64, f64)],
    out: Vec<i64>,
}

impl Sink for CollectSink<'_> {
    fn fork(&self, _: u64) -> Self {
        CollectSink { tbl: self.tbl, out: Vec::new() }
    }
    fn absorb(&mut self, other: Self) {
        self.out.extend(other.out);
    }
    #[inline]
    fn block(&mut self, left: &[u32], right: u32) {
        let tbl = self.tbl;
        self.out.extend(left.iter().map(|&l| ord_key(band_q(tbl, l, right))));
    }
}

/// Whether the pair of points `a < b` is below the cut (as the cut's count
/// classifies it: key of `b` below key of `a`, key ties below for `Plus`).
fn is_below<M: Model>(model: &M, bound: &Bound<M::T>, a: u32, b: u32) -> bool {
    match *bound {
        Bound::NegInf => false,
        Bound::PosInf => true,
        Bound::At(t, side) => {
            let (ka, kb) = if model.is_zero(&t) {
                // At slope zero every key order is the order of the values.
                (model.pts().xy[a as usize].0, model.pts().xy[b as usize].0)
            } else {
                let (ka, kb) = (model.key(t, a as usize), model.key(t, b as usize));
                return kb < ka || (side == Side::Plus && kb <= ka);
            };
            kb < ka || (side == Side::Plus && kb <= ka)
        }
    }
}

/// A sampled pair: its quotient and two handles, the points' ids or (for
/// band samples) their ranks under the upper cut.
type Sample = (f64, u32, u32);
/// A [`Sample`] with the quotient as its [`ord_key`] (cheaper to select on).
type KeyedSample = (i64, u32, u32);

/// Samples pairs uniformly from the band: about `cx.sample_first` from all
/// pairs, else about `cx.sample` by Bernoulli sampling of the band's
/// inversions. The flag tells whether the handles are ranks under `hi`.
fn sample_band<M: Model>(
    cx: &Ctx,
    model: &M,
    lo: &Cut<M::T>,
    hi: &Cut<M::T>,
    rng: &mut Rng,
) -> (Vec<KeyedSample>, bool) {
    let pts = model.pts();
    let m = cx.m as u64;
    let u = hi.below.saturating_sub(lo.below);
    if u >= cx.n_pairs / 4 {
        // A wide band (the first round, or a side of zero): draw uniform
        // pairs and keep those in the band, at least one in four.
        let whole = matches!(lo.bound, Bound::NegInf) && matches!(hi.bound, Bound::PosInf);
        let r = cx.sample_first.min(u) as f64;
        let tries = (r * (cx.n_pairs as f64 / u.max(1) as f64)).ceil() as usize;
        let seed = rng.next();
        const CHUNK: usize = 1 << 16;
        let chunk = |c: usize| -> Vec<KeyedSample> {
            let mut g = Rng::new(seed ^ (c as u64).wrapping_mul(0xd1b5_4a32_d192_ed03));
            let len = CHUNK.min(tries - c * CHUNK);
            // Draw first, then load: branch-free draws keep the random memory
            // accesses of the second loop independent (overlapping misses).
            let pairs: Vec<(u32, u32)> = (0..len)
                .map(|_| {
                    let a = g.below(m);
                    let b = g.below(m - 1);
                    let b = b + (b >= a) as u64;
                    (a.min(b) as u32, a.max(b) as u32)
                })
                .collect();
            let q = |&(a, b): &(u32, u32)| (ord_key(pts.q(a as usize, b as usize)), a, b);
            if whole {
                pairs.iter().map(q).collect()
            } else {
                pairs
                    .iter()
                    .filter(|&&(a, b)| !is_below(model, &lo.bound, a, b) && is_below(model, &hi.bound, a, b))
                    .map(q)
                    .collect()
            }
        };
        let chunks = tries.div_ceil(CHUNK);
        let parts: Vec<Vec<KeyedSample>> =
            if cx.par { (0..chunks).into_par_iter().map(chunk).collect() } else { (0..chunks).map(chunk).collect() };
        // Usually a single chunk: move it rather than copy it (the copy of a
        // fresh 200 kB vector was a tenth of a 1,440-point series' time).
        let mut parts = parts.into_iter();
        let mut all = parts.next().unwrap_or_default();
        parts.for_each(|p| all.extend(p));
        return (all, false);
    }
    let p = (cx.sample as f64 / u as f64).min(1.0);
    let mut bs = band_seq(cx, pts, lo, hi);
    let mut sink = SampleSink::new(p, rng.next());
    let mut seq = std::mem::take(&mut bs.seq);
    msort::enumerate_inversions(&mut seq, &mut sink, cx.par);
    drop(seq);
    let tbl = &bs.tbl;
    let q = |&(ra, rb): &(u32, u32)| (ord_key(band_q(tbl, ra, rb)), ra, rb);
    let out = if cx.par { sink.out.par_iter().map(q).collect() } else { sink.out.iter().map(q).collect() };
    (out, true)
}

/// The band's quotients, as [`ord_key`]s.
fn collect_band<T: Sync>(cx: &Ctx, pts: &Pts, lo: &Cut<T>, hi: &Cut<T>) -> Vec<i64> {
    let mut bs = band_seq(cx, pts, lo, hi);
    let mut sink = CollectSink { tbl: &bs.tbl, out: Vec::with_capacity((hi.below.saturating_sub(lo.below)) as usize) };
    let mut seq = std::mem::take(&mut bs.seq);
    msort::enumerate_inversions(&mut seq, &mut sink, cx.par);
    sink.out
}

// ---------------------------------------------------------------------------
// The search

/// Selects `ranks` with `model`; `None` when the model gives up (the caller
/// then tries the next one).
fn run<M: Model>(cx: &Ctx, model: &M, ranks: &[u64], zero: Option<ZeroCounts>) -> Option<Vec<f64>> {
    let mut rng = Rng::new(cx.m as u64);
    let mut out: Vec<(u64, f64)> = Vec::with_capacity(ranks.len());
    let mut whole = Vec::new();
    let mut negative = Vec::new();
    let mut positive = Vec::new();
    // Zero slopes: ranks inside the block of zero quotients are settled; ranks
    // close to it are searched on their side of zero only, so that a large
    // block of ties at zero never sits inside a band. Far from it, the zero
    // cut would only cost a pass.
    let near = cx.n_pairs / 64;
    for &k in ranks {
        match zero {
            Some(z) if z.lt <= k && k < z.lt + z.eq => out.push((k, 0.0)),
            Some(z) if k < z.lt && k + near >= z.lt => negative.push(k),
            Some(z) if k >= z.lt + z.eq && k < z.lt + z.eq + near => positive.push(k),
            _ => whole.push(k),
        }
    }
    if !whole.is_empty() {
        let lo = cut(cx, model, Bound::NegInf);
        let hi = cut(cx, model, Bound::PosInf);
        search(cx, model, whole, lo, hi, &mut rng, &mut out)?;
    }
    if !negative.is_empty() {
        let lo = cut(cx, model, Bound::NegInf);
        let hi = cut(cx, model, Bound::At(model.zero(), Side::Minus));
        search(cx, model, negative, lo, hi, &mut rng, &mut out)?;
    }
    if !positive.is_empty() {
        let lo = cut(cx, model, Bound::At(model.zero(), Side::Plus));
        let hi = cut(cx, model, Bound::PosInf);
        search(cx, model, positive, lo, hi, &mut rng, &mut out)?;
    }
    out.sort_by_key(|p| p.0);
    Some(out.into_iter().map(|p| p.1).collect())
}

/// Cuts at up to two new thresholds, counted in parallel for long series.
fn count_pair<M: Model>(cx: &Ctx, model: &M, a: Option<Bound<M::T>>, b: Option<Bound<M::T>>) -> NewCuts<M::T> {
    match (a, b) {
        (Some(a), Some(b)) if cx.par => rayon::join(|| Some(cut(cx, model, a)), || Some(cut(cx, model, b))),
        (a, b) => (a.map(|a| cut(cx, model, a)), b.map(|b| cut(cx, model, b))),
    }
}

/// Narrows the band `[lo, hi]` (which holds `ranks`: `lo.below <= k < hi.below`)
/// until it is small enough to enumerate, then selects.
fn search<M: Model>(
    cx: &Ctx,
    model: &M,
    mut ranks: Vec<u64>,
    mut lo: Cut<M::T>,
    mut hi: Cut<M::T>,
    rng: &mut Rng,
    out: &mut Vec<(u64, f64)>,
) -> Option<()> {
    let mut stalls = 0;
    for _ in 0..MAX_ROUNDS {
        debug_assert!(ranks.iter().all(|&k| lo.below <= k && k < hi.below));
        let u = hi.below.saturating_sub(lo.below);
        if u <= cx.budget {
            return finish(cx, model, &ranks, &lo, &hi, out);
        }
        let (mut samples, by_rank) = sample_band(cx, model, &lo, &hi, rng);
        let s = samples.len();
        if s < 64 {
            continue;
        }
        let (k1, k2) = (ranks[0], ranks[ranks.len() - 1]);
        let expected = |k: u64| (k - lo.below) as f64 / u as f64 * s as f64;
        let sd = |t: f64| (t * (1.0 - t / s as f64)).max(1.0).sqrt();
        let (t1, t2) = (expected(k1), expected(k2 + 1));
        let j_lo = t1 - DELTA * sd(t1) - 1.0;
        let j_hi = t2 + DELTA * sd(t2) + 1.0;
        let by_q = |p: &KeyedSample| p.0;
        // The picked samples, with their handles turned into point ids.
        let ids = |p: KeyedSample| -> Sample {
            let (a, b) = if by_rank { (hi.perm[p.1 as usize], hi.perm[p.2 as usize]) } else { (p.1, p.2) };
            (from_key(p.0), a.min(b), a.max(b))
        };
        let lo_pick = (j_lo >= 0.0).then(|| ids(*samples.select_nth_unstable_by_key(j_lo as usize, by_q).1));
        // After the first selection the second order statistic is to its right.
        let right_from = if j_lo >= 0.0 { j_lo as usize + 1 } else { 0 };
        let hi_pick = (j_hi < s as f64).then(|| {
            let j = (j_hi as usize).max(right_from);
            ids(*samples[right_from..].select_nth_unstable_by_key(j - right_from, by_q).1)
        });
        drop(samples);
        let tie = match (lo_pick, hi_pick) {
            (Some(a), Some(b)) if M::EXACT => model.same_slope((a.1, a.2), (b.1, b.2)),
            (Some(a), Some(b)) => a.0 == b.0,
            _ => false,
        };
        let new_lo = lo_pick.map(|p| Bound::At(model.lower_at(p.1, p.2, p.0, &lo.bound, &hi.bound), Side::Minus));
        let new_hi = hi_pick.map(|p| Bound::At(model.upper_at(p.1, p.2, p.0, &lo.bound, &hi.bound), Side::Plus));
        let (new_lo, new_hi) = count_pair(cx, model, new_lo, new_hi);

        if M::EXACT && tie {
            // Every pair between v- and v+ has the slope v exactly, hence the quotient q.
            let (nl, nh) = (new_lo.as_ref().map_or(0, |c| c.below), new_hi.as_ref().map_or(0, |c| c.below));
            let q = lo_pick.map_or(f64::NAN, |p| p.0);
            ranks.retain(|&k| {
                let hit = nl <= k && k < nh;
                if hit {
                    out.push((k, q));
                }
                !hit
            });
            if ranks.is_empty() {
                return Some(());
            }
        }

        // Where each remaining rank lies relative to the new cuts.
        let lo_below = new_lo.as_ref().map(|c| c.below);
        let hi_below = new_hi.as_ref().map(|c| c.below);
        let part = |k: u64| -> u8 {
            if lo_below.is_some_and(|b| k < b) {
                0
            } else if hi_below.is_some_and(|b| k >= b) {
                2
            } else {
                1
            }
        };
        let parts: Vec<u8> = ranks.iter().map(|&k| part(k)).collect();
        let first = parts[0];
        if parts.iter().all(|&p| p == first) {
            let before = u;
            // Take a new cut only where it narrows the band (a float cut
            // clamped onto a cut at zero of the other side would widen it).
            match first {
                1 => {
                    if let Some(c) = new_lo.filter(|c| c.below >= lo.below) {
                        lo = c;
                    }
                    if let Some(c) = new_hi.filter(|c| c.below <= hi.below) {
                        hi = c;
                    }
                }
                0 => {
                    if let Some(c) = new_lo.filter(|c| model.can_upper(&c.bound) && c.below <= hi.below) {
                        hi = c;
                    }
                }
                _ => {
                    if let Some(c) = new_hi.filter(|c| model.can_lower(&c.bound) && c.below >= lo.below) {
                        lo = c;
                    }
                }
            }
            let after = hi.below.saturating_sub(lo.below);
            if after <= before / 2 {
                stalls = 0;
            } else if !M::EXACT && after > cx.budget {
                stalls += 1;
            }
            if !M::EXACT && after > cx.budget && (tie || stalls >= 2) {
                // A mass of (near-)equal quotients: select exactly by streaming.
                let guess = if tie { lo_pick.map(|p| p.0) } else { None };
                return stream_band(cx, model, &ranks, &lo, &hi, guess, out);
            }
            continue;
        }
        // The ranks are split by a new cut: continue separately.
        for which in 0..3u8 {
            let sub: Vec<u64> = ranks.iter().zip(&parts).filter(|p| *p.1 == which).map(|p| *p.0).collect();
            if sub.is_empty() {
                continue;
            }
            let narrower_lo = |c: &Cut<M::T>| c.below >= lo.below && model.can_lower(&c.bound);
            let narrower_hi = |c: &Cut<M::T>| c.below <= hi.below && model.can_upper(&c.bound);
            let (sub_lo, sub_hi) = match which {
                0 => (lo.clone(), new_lo.clone().filter(narrower_hi).unwrap_or_else(|| hi.clone())),
                1 => (
                    new_lo.clone().filter(narrower_lo).unwrap_or_else(|| lo.clone()),
                    new_hi.clone().filter(narrower_hi).unwrap_or_else(|| hi.clone()),
                ),
                _ => (new_hi.clone().filter(narrower_lo).unwrap_or_else(|| lo.clone()), hi.clone()),
            };
            search(cx, model, sub, sub_lo, sub_hi, rng, out)?;
        }
        return Some(());
    }
    if M::EXACT {
        None
    } else {
        stream_band(cx, model, &ranks, &lo, &hi, None, out)
    }
}

/// Enumerates the (small) band and selects the ranks in it; the float model
/// verifies each result and streams when the proof fails.
fn finish<M: Model>(
    cx: &Ctx,
    model: &M,
    ranks: &[u64],
    lo: &Cut<M::T>,
    hi: &Cut<M::T>,
    out: &mut Vec<(u64, f64)>,
) -> Option<()> {
    let mut qs = collect_band(cx, model.pts(), lo, hi);
    if qs.len() as u64 != hi.below.saturating_sub(lo.below) {
        // Inconsistent cuts (cannot happen for nested cuts): be safe.
        return if M::EXACT { None } else { stream_band(cx, model, ranks, lo, hi, None, out) };
    }
    let rel: Vec<usize> = ranks.iter().map(|&k| (k - lo.below) as usize).collect();
    let vals = select_key_ranks(&mut qs, &rel);
    drop(qs);
    let (qb, qa) = (model.q_below(&lo.bound), model.q_above(&hi.bound));
    let mut unproven = Vec::new();
    let mut guess = None;
    for (&k, v) in ranks.iter().zip(vals) {
        // Below-band pairs have quotients < qb, above-band ones > qa.
        let proven = M::EXACT || ((lo.below == 0 || v >= qb) && (hi.below == cx.n_pairs || v <= qa));
        if proven {
            out.push((k, v));
        } else {
            unproven.push(k);
            guess = guess.or(Some(v));
        }
    }
    if unproven.is_empty() {
        Some(())
    } else {
        // Most likely a mass of quotients equal to the band's value near an edge.
        stream_band(cx, model, &unproven, lo, hi, guess, out)
    }
}

/// Exact selection by streaming the band's quotients (float model): the band
/// brackets the quotients between `q_below(lo)` and `q_above(hi)`; should a
/// rank fall outside, stream all pairs instead.
fn stream_band<M: Model>(
    cx: &Ctx,
    model: &M,
    ranks: &[u64],
    lo: &Cut<M::T>,
    hi: &Cut<M::T>,
    guess: Option<f64>,
    out: &mut Vec<(u64, f64)>,
) -> Option<()> {
    let pts = model.pts();
    let a = if lo.below == 0 { f64::NEG_INFINITY } else { model.q_below(&lo.bound) };
    let b = if hi.below == cx.n_pairs { f64::INFINITY } else { model.q_above(&hi.bound) };
    let base_gt = cx.n_pairs - hi.below;
    let src = Source::Band(band_seq(cx, pts, lo, hi));
    // Ranks known to share the last value (a resolved mass of equal quotients).
    let mut mass: Option<(f64, u64, u64)> = None;
    for &k in ranks {
        if let Some((v, from, to)) = mass {
            if from <= k && k < to {
                out.push((k, v));
                continue;
            }
        }
        let outside = Outside { base_lt: lo.below, base_gt, a, b };
        let found = match streaming_select(cx, pts, &src, k, outside, guess) {
            Some(f) => f,
            None => streaming_select(cx, pts, &Source::Whole, k, Outside::NONE, guess)?,
        };
        mass = found.1.map(|(from, to)| (found.0, from, to));
        out.push((k, found.0));
    }
    Some(())
}

// ---------------------------------------------------------------------------
// Exact streaming selection

/// What is known of the pairs a streaming pass does not enumerate: `base_lt`
/// of them have quotients below `a`, the other `base_gt` above `b`.
#[derive(Clone, Copy)]
struct Outside {
    base_lt: u64,
    base_gt: u64,
    a: f64,
    b: f64,
}

impl Outside {
    /// Nothing outside: the pass enumerates every pair.
    const NONE: Outside = Outside { base_lt: 0, base_gt: 0, a: f64::NEG_INFINITY, b: f64::INFINITY };
}

/// What a streaming pass enumerates.
enum Source {
    /// The band between two cuts.
    Band(BandSeq),
    /// Every pair.
    Whole,
}

/// One streaming pass: counts quotients against a window `[wa, wb]`, keeps
/// the window's values while they fit in `cap`, and samples them.
struct PassSink<'a> {
    tbl: &'a [(f64, f64)],
    a: f64,
    b: f64,
    wa: f64,
    wb: f64,
    /// Below `wa`, above `wb`, below `a`, above `b`.
    lt: u64,
    gt: u64,
    lt_a: u64,
    gt_b: u64,
    cap: usize,
    store: Option<Vec<f64>>,
    sample: Vec<f64>,
    ln_q: f64,
    skip: u64,
    rng: Rng,
}

impl PassSink<'_> {
    #[inline]
    fn value(&mut self, q: f64) {
        if q < self.wa {
            self.lt += 1;
            self.lt_a += (q < self.a) as u64;
        } else if q > self.wb {
            self.gt += 1;
            self.gt_b += (q > self.b) as u64;
        } else {
            if let Some(s) = &mut self.store {
                if s.len() < self.cap {
                    s.push(q);
                } else {
                    self.store = None;
                }
            }
            if self.skip == 0 {
                self.sample.push(q);
                self.skip = self.rng.geometric(self.ln_q);
            } else {
                self.skip -= 1;
            }
        }
    }
}

impl Sink for PassSink<'_> {
    fn fork(&self, salt: u64) -> Self {
        let mut rng = Rng::new(self.rng.0 ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03));
        let skip = rng.geometric(self.ln_q);
        PassSink {
            tbl: self.tbl,
            lt: 0,
            gt: 0,
            lt_a: 0,
            gt_b: 0,
            store: Some(Vec::new()),
            sample: Vec::new(),
            skip,
            rng,
            ..*self
        }
    }
    fn absorb(&mut self, other: Self) {
        self.lt += other.lt;
        self.gt += other.gt;
        self.lt_a += other.lt_a;
        self.gt_b += other.gt_b;
        self.store = match (self.store.take(), other.store) {
            (Some(mut s), Some(o)) if s.len() + o.len() <= self.cap => {
                s.extend(o);
                Some(s)
            }
            _ => None,
        };
        self.sample.extend(other.sample);
    }
    #[inline]
    fn block(&mut self, left: &[u32], right: u32) {
        let tbl = self.tbl;
        for &l in left {
            self.value(band_q(tbl, l, right));
        }
    }
}

/// Runs one pass over `src`.
fn pass<'a>(cx: &Ctx, pts: &Pts, src: &Source, proto: PassSink<'a>) -> PassSink<'a> {
    match src {
        Source::Band(bs) => {
            let mut seq = bs.seq.clone();
            // `proto` borrows the table of `bs` already (see streaming_select).
            let mut sink = proto;
            msort::enumerate_inversions(&mut seq, &mut sink, cx.par);
            sink
        }
        Source::Whole => {
            let m = pts.len();
            let rows = |range: std::ops::Range<usize>, mut sink: PassSink<'a>| {
                for a in range {
                    for b in a + 1..m {
                        sink.value(pts.q(a, b));
                    }
                }
                sink
            };
            if cx.par {
                // Rows of similar total work: row a has m - 1 - a pairs.
                let chunks = 64usize;
                let bounds: Vec<usize> = (0..=chunks)
                    .map(|c| {
                        let f = 1.0 - (1.0 - c as f64 / chunks as f64).sqrt();
                        ((f * m as f64) as usize).min(m)
                    })
                    .collect();
                let parts: Vec<PassSink<'a>> = (0..chunks)
                    .into_par_iter()
                    .map(|c| rows(bounds[c]..bounds[c + 1], proto.fork(c as u64 + 1)))
                    .collect();
                let mut sink = proto;
                for p in parts {
                    sink.absorb(p);
                }
                sink
            } else {
                rows(0..m, proto)
            }
        }
    }
}

/// The exact k-th smallest quotient (0-based, over all pairs) when every pair
/// outside `src` is known to be below `a` (`base_lt` of them) or above `b`
/// (`base_gt`), with the range of ranks sharing that value when it is known.
/// `None` if the k-th value is not in `[a, b]` after all.
///
/// Each pass enumerates `src` and counts its quotients against the bracket
/// `[a, b]` and a window inside it, keeping the window's values while they
/// fit in memory and sampling them. If the rank falls in the window and its
/// values were kept, select among them; if the window is a single value, that
/// is the answer (a mass of equal quotients resolved without storing it);
/// otherwise the bracket shrinks to the window, or to the part beside it that
/// holds the rank, and the next window comes from the sample. `guess`, a
/// value suspected of a large mass of equal quotients, is tried first.
fn streaming_select(
    cx: &Ctx,
    pts: &Pts,
    src: &Source,
    k: u64,
    outside: Outside,
    guess: Option<f64>,
) -> Option<(f64, Option<(u64, u64)>)> {
    let Outside { base_lt, base_gt, a, b } = outside;
    let n = cx.n_pairs;
    let tbl: &[(f64, f64)] = match src {
        Source::Band(bs) => &bs.tbl,
        Source::Whole => &[],
    };
    let target = (2 * cx.m as u64).clamp(4096, 1 << 21) as f64;
    let cap = cx.budget as usize;
    let mut rng = Rng::new(k ^ 0x5eed);
    let (mut a, mut b) = (a, b);
    let (mut wa, mut wb) = match guess {
        Some(v) if a <= v && v <= b => (v, v),
        _ => (a, b),
    };
    // Values expected in the window (sets the sampling rate).
    let mut est_in = (n - base_lt - base_gt).max(1) as f64;
    for _ in 0..10_000 {
        let p = (target / est_in).min(1.0);
        let ln_q = if p >= 1.0 { f64::NEG_INFINITY } else { (-p).ln_1p() };
        let skip = rng.geometric(ln_q);
        let proto = PassSink {
            tbl,
            a,
            b,
            wa,
            wb,
            lt: 0,
            gt: 0,
            lt_a: 0,
            gt_b: 0,
            cap,
            store: Some(Vec::new()),
            sample: Vec::new(),
            ln_q,
            skip,
            rng: Rng::new(rng.next()),
        };
        let res = pass(cx, pts, src, proto);
        let (la, gb) = (base_lt + res.lt_a, base_gt + res.gt_b);
        if k < la || k >= n - gb {
            return None;
        }
        let (lw, gw) = (base_lt + res.lt, base_gt + res.gt);
        // The new bracket and its exact outside counts.
        let (la, gb) = if k < lw {
            b = wa.next_down();
            (la, n - lw)
        } else if k >= n - gw {
            a = wb.next_up();
            (n - gw, gb)
        } else {
            // With p = 1 the sample holds every value of the window too.
            if wa == wb {
                // Every rank in lw..n - gw has this value.
                return Some((wa, Some((lw, n - gw))));
            }
            if let Some(mut s) = res.store.or_else(|| (p >= 1.0).then(|| res.sample.clone())) {
                return select_ranks(&mut s, &[(k - lw) as usize]).first().map(|&v| (v, None));
            }
            a = wa;
            b = wb;
            (lw, gw)
        };
        let in_b = n - la - gb;
        est_in = in_b.max(1) as f64;
        let mut smp: Vec<f64> = res.sample.into_iter().filter(|&q| a <= q && q <= b).collect();
        if smp.len() < 32 {
            (wa, wb) = (a, b);
            continue;
        }
        smp.sort_unstable_by(f64::total_cmp);
        let s = smp.len() as f64;
        let t = (k - la) as f64 / in_b as f64 * s;
        let sd = (t * (1.0 - t / s)).max(1.0).sqrt();
        let j_lo = t - DELTA * sd - 1.0;
        let j_hi = t + 1.0 + DELTA * sd + 1.0;
        wa = if j_lo >= 0.0 { smp[j_lo as usize].max(a) } else { a };
        wb = if j_hi < s { smp[j_hi as usize].min(b) } else { b };
        if wa > wb {
            (wa, wb) = (a, b);
        }
        // The next pass samples the window, where the rank is expected.
        let frac = ((j_hi.min(s) - j_lo.max(0.0)) / s).clamp(1.0 / s, 1.0);
        est_in = (in_b as f64 * frac).max(1.0);
    }
    None
}

#[cfg(test)]
pub(super) mod testing {
    //! Hooks for the tests: run a given model directly.
    use super::*;

    /// Which path to force.
    #[derive(Clone, Copy, Debug)]
    pub enum Path {
        Int,
        Float,
        Stream,
    }

    /// The k-th quotients of the finite values of `x` (no NaN/inf) by `path`;
    /// `None` if the integer model does not apply.
    pub fn select_with(x: &[f64], ranks: &[u64], path: Path, zero: Option<ZeroCounts>) -> Option<Vec<f64>> {
        let pts = Pts { xy: x.iter().enumerate().map(|(i, &v)| (v, i as f64)).collect() };
        select_pts(pts, ranks, path, zero)
    }

    pub fn select_positions(val: &[f64], pos: &[f64], ranks: &[u64], path: Path) -> Option<Vec<f64>> {
        let pts = Pts { xy: val.iter().copied().zip(pos.iter().copied()).collect() };
        select_pts(pts, ranks, path, None)
    }

    fn select_pts(pts: Pts, ranks: &[u64], path: Path, zero: Option<ZeroCounts>) -> Option<Vec<f64>> {
        let m = pts.len();
        let n_pairs = (m as u64) * (m as u64).saturating_sub(1) / 2;
        let mut cx = Ctx::new(m, n_pairs);
        // Small budgets and samples so that short series exercise every round.
        cx.budget = (m as u64).max(8);
        cx.sample = (m as u64).max(64);
        cx.sample_first = (m as u64).max(64);
        let max_abs = pts.vals().fold(0.0f64, |a, v| a.max(v.abs()));
        let min_abs = pts.vals().filter(|v| *v != 0.0).fold(f64::INFINITY, |a, v| a.min(v.abs()));
        let tiny = min_abs < TINY;
        let zero = zero.filter(|_| !tiny);
        match path {
            Path::Int => {
                let model = IntModel::new(&pts)?;
                run(&cx, &model, ranks, zero)
            }
            Path::Float => {
                let model = FloatModel::new(&pts, max_abs, tiny);
                run(&cx, &model, ranks, zero)
            }
            Path::Stream => Some(
                ranks
                    .iter()
                    .map(|&k| streaming_select(&cx, &pts, &Source::Whole, k, Outside::NONE, None).unwrap().0)
                    .collect(),
            ),
        }
    }
}
