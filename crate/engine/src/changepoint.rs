//! changepoint: PELT with the l2 cost, exactly as ruptures 1.1.x. OWNER: helper "pelt".
//!
//! [`pelt_l2`] reproduces `ruptures.Pelt(model="l2", min_size, jump).fit(x).predict(pen)`
//! (without the final `n`), including the parts of ruptures' loop (`Pelt._seg`) that make it
//! differ from textbook optimal partitioning:
//!
//! * **Candidate ends** ("bkps") are `[k for k in range(0, n, jump) if k >= min_size] + [n]`,
//!   visited in that order; `min_size` is `max(min_size, 1)` (the l2 cost's own minimum).
//! * **Admissible starts.** At each end `bkp`, the start `floor((bkp - min_size) / jump) * jump`
//!   is appended to the admissible list. A start in `1..min_size` has no partition of its
//!   prefix (`partitions[t]` raises `KeyError`, caught) and is skipped. It is always the last
//!   entry when appended, so the misalignment it causes in ruptures'
//!   `zip(admissible, subproblems)` only drops that entry itself. When `n` is not a multiple
//!   of `jump`, the end `n` may append the same start a second time (harmless: same value).
//! * **Value** of start `t` at end `b`: `F(t) + (C(t, b) + pen)`, where `F(t)` is the value
//!   of the chosen partition of `x[..t]` (`F(0) = 0`; every segment, the first included,
//!   carries `pen`). Python's `sum` over the partition dict adds left to right, so these are
//!   the same float operations.
//! * **Choice**: the first minimum in admissible order, which is increasing `t`: ties go to
//!   the smallest start.
//! * **Pruning**: after the choice, `t` stays admissible iff its value is `<= F(b) + pen`.
//!   With `min_size > 1` this pruning is *not* safe: a start pruned at `b` can be the best one
//!   at an end in `(b, b + min_size)`, where `b` itself is not yet admissible, and ruptures
//!   then returns a partition that is not optimal (about 2 % of small random cases with
//!   small penalties). We reproduce ruptures, not the optimum.
//!
//! The l2 cost of a segment is `Σ (y - mean)²`, computed in O(1) from compensated prefix
//! sums of the data centred on its mean (`y = x - mean(x)`): `S2 - S1² / len`. ruptures
//! computes `var() * len` instead, so the two agree except on near-ties (segmentations whose
//! totals differ by rounding only).
//!
//! Plain PELT cannot prune inside a segment without change (every start in it stays within
//! `pen` of the best value), so a segment of length `L` costs O(L²): minutes for one shift
//! in a million points. [`pelt_l2`] adds functional pruning (`Accelerator`) that stops
//! *evaluating* starts that provably cannot be chosen; its output is the plain recursion's
//! ([`pelt_l2_plain`]) and flat segments cost about linear time.

pub mod level_shift;

use crate::anomaly::MAD_SCALE;
use crate::select::median_in_place;
use crate::summary;

/// One change point. `index` is the first index of the new segment (among non-missing values).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePoint {
    pub index: usize,
    pub mean_before: f64,
    pub mean_after: f64,
    pub delta: f64,
    pub penalty: f64,
}

/// The default penalty `3 s^2 ln n` (see SPEC 3), `None` when no change point can be found.
///
/// `s` is a robust noise scale from the first differences `d` (the difference of two
/// independent noises has variance `2 σ²`): `MAD_SCALE * median(|d - median(d)|) / sqrt(2)`;
/// when that is 0, the population standard deviation of `d` over `sqrt(2)` (numpy's
/// pairwise-summed `np.std`); when that is 0 too, or `x` has fewer than 2 values, `None`.
/// The float operations follow the Python expression `3 * s**2 * np.log(n)` with
/// `s = 1.482602218505602 * mad / np.sqrt(2)`.
pub fn default_penalty(x: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let mut buf = d.clone();
    let med = median_in_place(&mut buf);
    for (b, &v) in buf.iter_mut().zip(&d) {
        *b = (v - med).abs();
    }
    let mad = median_in_place(&mut buf);
    let mut s = MAD_SCALE * mad / std::f64::consts::SQRT_2;
    if s == 0.0 {
        s = numpy_std(&d) / std::f64::consts::SQRT_2;
    }
    if s == 0.0 || s.is_nan() {
        return None;
    }
    Some(3.0 * (s * s) * (n as f64).ln())
}

/// `ruptures.Pelt(model="l2", min_size, jump).fit(x).predict(pen)` without the final `n`.
///
/// `x` must not contain NaN; `penalty` must be `>= 0` (it may be infinite: no change point).
/// `min_size` 0 is taken as 1, as ruptures does. Fewer than `2 * min_size` values have no
/// change point (ruptures raises when `n < min_size` and finds none below `2 * min_size`).
///
/// This is ruptures' recursion plus functional pruning (see `Accelerator` in the source,
/// which proves what it skips): same output as [`pelt_l2_plain`], but a long segment
/// without change costs about linear, not quadratic, time.
///
/// # Panics
/// If `jump == 0` (ruptures raises too) or `penalty` is negative or NaN.
pub fn pelt_l2(x: &[f64], min_size: usize, jump: usize, penalty: f64) -> Vec<usize> {
    pelt_l2_accelerated(x, min_size, jump, penalty).0
}

/// [`pelt_l2`] with ruptures' pruning only: the plain recursion, O(L²) for a segment of
/// length `L`. Same output as [`pelt_l2`]; kept as its reference and for measurements.
///
/// # Panics
/// As [`pelt_l2`].
pub fn pelt_l2_plain(x: &[f64], min_size: usize, jump: usize, penalty: f64) -> Vec<usize> {
    let Some(grid) = Grid::new(x.len(), min_size, jump, penalty) else {
        return Vec::new();
    };
    let sums = PrefixSums::new(x, &grid);
    let mut dp = Dp::new(&grid);
    let mut ties = Ties::new(x, &grid, &sums, penalty);
    let mut cands = Candidates::default();
    for b in grid.ends() {
        if let Some(t) = grid.new_admissible(b) {
            cands.push(t, dp.f[t], &sums);
        }
        let m = cands.evaluate(b, &sums, penalty);
        let arg = ties.choose(&mut cands, m, b, &dp, &sums);
        let best = cands.vals[arg];
        dp.f[b] = best;
        dp.prev[b] = cands.idx[arg];
        ties.prune(&mut cands, best + penalty, m.worst);
    }
    dp.breakpoints(&grid)
}

/// Change points of `x` (no NaN) with segment means; `penalty: None` uses [`default_penalty`].
///
/// The means are plain sums over each segment divided by its length (not prefix-sum
/// differences), `delta = mean_after - mean_before`.
pub fn detect(x: &[f64], min_size: usize, jump: usize, penalty: Option<f64>) -> Vec<ChangePoint> {
    let Some(penalty) = penalty.or_else(|| default_penalty(x)) else {
        return Vec::new();
    };
    let bkps = pelt_l2(x, min_size, jump, penalty);
    let mut bounds = Vec::with_capacity(bkps.len() + 2);
    bounds.push(0);
    bounds.extend_from_slice(&bkps);
    bounds.push(x.len());
    let means: Vec<f64> = bounds.windows(2).map(|w| mean(&x[w[0]..w[1]])).collect();
    bkps.iter()
        .enumerate()
        .map(|(i, &index)| ChangePoint {
            index,
            mean_before: means[i],
            mean_after: means[i + 1],
            delta: means[i + 1] - means[i],
            penalty,
        })
        .collect()
}

/// [`pelt_l2`], with counters of what the functional pruning did.
fn pelt_l2_accelerated(x: &[f64], min_size: usize, jump: usize, penalty: f64) -> (Vec<usize>, Stats) {
    let Some(grid) = Grid::new(x.len(), min_size, jump, penalty) else {
        return (Vec::new(), Stats::default());
    };
    let sums = PrefixSums::new(x, &grid);
    let Some(mut acc) = Accelerator::new(&sums, &grid, penalty) else {
        return (pelt_l2_plain(x, min_size, jump, penalty), Stats::default());
    };
    let mut dp = Dp::new(&grid);
    let mut ties = Ties::new(x, &grid, &sums, penalty);
    for b in grid.ends() {
        if let Some(t) = grid.new_admissible(b) {
            acc.admit(t, &dp, &sums);
        }
        let (best, argmin) = acc.step(b, &dp, &sums, &grid, &mut ties);
        dp.f[b] = best;
        dp.prev[b] = argmin;
        acc.stats.max_active = acc.stats.max_active.max(acc.active.len());
        acc.stats.sum_active += acc.active.len();
    }
    (dp.breakpoints(&grid), acc.stats)
}

/// Plain mean of a non-empty slice.
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// `np.std(a)` (ddof = 0), as ruptures' default penalty computes it.
fn numpy_std(a: &[f64]) -> f64 {
    summary::numpy_std(a, summary::numpy_mean(a))
}

/// The positions PELT works on: the multiples of `jump` below `n`, then `n`.
///
/// Grid index `i` is position `min(i * jump, n)`, for `i` in `0..=last` with
/// `last = ceil(n / jump)`. Every segment start and end is a grid position.
#[derive(Debug, Clone, Copy)]
struct Grid {
    n: usize,
    min_size: usize,
    jump: usize,
    last: usize,
    /// `ceil(min_size / jump)`: an end `b < last` makes start `b - lag` admissible.
    lag: usize,
}

impl Grid {
    /// `None` when no change point is possible (`n < 2 * min_size`, infinite penalty).
    fn new(n: usize, min_size: usize, jump: usize, penalty: f64) -> Option<Grid> {
        assert!(jump >= 1, "pelt_l2: jump must be at least 1");
        assert!(penalty >= 0.0, "pelt_l2: the penalty must be >= 0, got {penalty}");
        let min_size = min_size.max(1);
        // With an infinite penalty every value is infinite and ruptures keeps its first
        // start, 0: one segment.
        if n < 2 * min_size || penalty == f64::INFINITY {
            return None;
        }
        Some(Grid { n, min_size, jump, last: n.div_ceil(jump), lag: min_size.div_ceil(jump) })
    }

    #[inline]
    fn pos(&self, i: usize) -> usize {
        (i * self.jump).min(self.n)
    }

    /// The candidate ends in ruptures' order: grid positions `>= min_size`, `n` last.
    fn ends(&self) -> std::ops::RangeInclusive<usize> {
        self.lag.min(self.last)..=self.last
    }

    /// The largest admissible start at end `b`: `floor((pos(b) - min_size) / jump)`.
    #[inline]
    fn admissible_limit(&self, b: usize) -> usize {
        if b < self.last {
            b - self.lag
        } else {
            (self.n - self.min_size) / self.jump
        }
    }

    /// The start appended at end `b`, `None` when it has no partition of its prefix.
    #[inline]
    fn new_admissible(&self, b: usize) -> Option<usize> {
        let t = self.admissible_limit(b);
        (t == 0 || t * self.jump >= self.min_size).then_some(t)
    }

    /// The end at which start `t` was (first) appended.
    fn appended_at(&self, t: usize) -> usize {
        (t + self.lag).min(self.last)
    }
}

/// Prefix sums of `y = x - mean(x)` at the grid positions, with compensated summation
/// (Neumaier), so a segment's sums are as accurate as the subtraction of two prefixes allows.
struct PrefixSums {
    /// `s[i] = Σ y[..pos(i)]`, `q[i] = Σ y[..pos(i)]²`.
    s: Vec<f64>,
    q: Vec<f64>,
    /// `pos(i)` as f64, for the segment lengths.
    p: Vec<f64>,
}

impl PrefixSums {
    fn new(x: &[f64], grid: &Grid) -> PrefixSums {
        let centre = mean(x);
        let mut s = Vec::with_capacity(grid.last + 1);
        let mut q = Vec::with_capacity(grid.last + 1);
        let mut p = Vec::with_capacity(grid.last + 1);
        let (mut s_acc, mut q_acc) = (Neumaier::default(), Neumaier::default());
        s.push(0.0);
        q.push(0.0);
        p.push(0.0);
        if grid.jump == 1 {
            // Every position is on the grid: the same sums, without the grid arithmetic.
            for (i, &v) in x.iter().enumerate() {
                let y = v - centre;
                s_acc.add(y);
                q_acc.add(y * y);
                s.push(s_acc.value());
                q.push(q_acc.value());
                p.push((i + 1) as f64);
            }
            return PrefixSums { s, q, p };
        }
        for i in 1..=grid.last {
            for &v in &x[grid.pos(i - 1)..grid.pos(i)] {
                let y = v - centre;
                s_acc.add(y);
                q_acc.add(y * y);
            }
            s.push(s_acc.value());
            q.push(q_acc.value());
            p.push(grid.pos(i) as f64);
        }
        PrefixSums { s, q, p }
    }

    /// The l2 cost of the segment between grid indices `a < b`.
    #[inline]
    fn cost(&self, a: usize, b: usize) -> f64 {
        seg_cost(self.s[b] - self.s[a], self.q[b] - self.q[a], self.p[b] - self.p[a])
    }
}

/// `Σ (y - mean)²` of a segment from its sum, sum of squares and length, never negative.
#[inline(always)]
fn seg_cost(s1: f64, s2: f64, len: f64) -> f64 {
    (s2 - s1 * s1 / len).max(0.0)
}

/// Neumaier's compensated sum.
#[derive(Default)]
struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    #[inline]
    fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// The recursion's results per grid index: `F` and the start chosen for that end.
struct Dp {
    f: Vec<f64>,
    prev: Vec<usize>,
}

impl Dp {
    fn new(grid: &Grid) -> Dp {
        Dp { f: vec![0.0; grid.last + 1], prev: vec![0; grid.last + 1] }
    }

    /// The starts of the chosen partition of the whole signal, as positions, ascending.
    fn breakpoints(&self, grid: &Grid) -> Vec<usize> {
        let mut out = Vec::new();
        let mut b = grid.last;
        while b != 0 {
            b = self.prev[b];
            if b != 0 {
                out.push(grid.pos(b));
            }
        }
        out.reverse();
        out
    }
}

/// Admissible starts with what their value needs, as a struct of arrays so that
/// evaluating all of them vectorizes. The order is free: ties are broken by start index.
#[derive(Default)]
struct Candidates {
    /// Grid index of the start.
    idx: Vec<usize>,
    /// `F(start)`, and the prefix sums and position at the start.
    f: Vec<f64>,
    s: Vec<f64>,
    q: Vec<f64>,
    p: Vec<f64>,
    /// Functional pruning only (see [`Accelerator`]): the segment means for which no other
    /// start is known to beat this one.
    zone: Vec<Zone>,
    /// Values at the current end, from [`Candidates::evaluate`].
    vals: Vec<f64>,
    /// Kept by a pruning too close to call in the fast arithmetic (see [`Ties`]): ruptures
    /// may have pruned it, which [`Ties::alive`] checks before it is chosen.
    doubt: Vec<bool>,
}

impl Candidates {
    fn len(&self) -> usize {
        self.idx.len()
    }

    /// Appends start `t` with `F(t) = f` and an unrestricted zone.
    fn push(&mut self, t: usize, f: f64, sums: &PrefixSums) {
        self.idx.push(t);
        self.f.push(f);
        self.s.push(sums.s[t]);
        self.q.push(sums.q[t]);
        self.p.push(sums.p[t]);
        self.zone.push(Zone::default());
        self.vals.push(f64::NAN);
        self.doubt.push(false);
    }

    fn swap_remove(&mut self, i: usize) {
        self.idx.swap_remove(i);
        self.f.swap_remove(i);
        self.s.swap_remove(i);
        self.q.swap_remove(i);
        self.p.swap_remove(i);
        self.zone.swap_remove(i);
        self.vals.swap_remove(i);
        self.doubt.swap_remove(i);
    }

    /// Computes every value at end `b`, `F(t) + (C(t, b) + pen)`, into `vals`; returns the
    /// minimum, the position of the smallest start reaching it, the next value and the maximum.
    fn evaluate(&mut self, b: usize, sums: &PrefixSums, pen: f64) -> MinMax {
        let (sb, qb, pb) = (sums.s[b], sums.q[b], sums.p[b]);
        let n = self.len();
        let (f, s, q, p) = (&self.f[..n], &self.s[..n], &self.q[..n], &self.p[..n]);
        let vals = &mut self.vals[..n];
        for i in 0..n {
            vals[i] = f[i] + (seg_cost(sb - s[i], qb - q[i], pb - p[i]) + pen);
        }
        self.first_min_max_second()
    }

    /// ruptures' `min`: the minimum of `vals` and the position of the smallest start
    /// reaching it (the first in admissible order); also the maximum.
    fn first_min_max(&self) -> (f64, usize, f64) {
        let m = self.first_min_max_second();
        (m.best, m.arg, m.worst)
    }

    /// [`Candidates::first_min_max`] and the smallest value at another position.
    fn first_min_max_second(&self) -> MinMax {
        let (vals, idx) = (&self.vals[..], &self.idx[..self.vals.len()]);
        let (mut best, mut arg, mut worst, mut second) = (vals[0], 0, vals[0], f64::INFINITY);
        for i in 1..vals.len() {
            let v = vals[i];
            // Branches, not `f64::min`: rarely taken, and no dependency chain through `second`.
            if v < best || (v == best && idx[i] < idx[arg]) {
                if best < second {
                    second = best;
                }
                best = v;
                arg = i;
            } else if v < second {
                second = v;
            }
            if v > worst {
                worst = v;
            }
        }
        MinMax { best, arg, second, worst }
    }

    /// ruptures' pruning, for values known to within `tol`: drops the candidates whose value
    /// is above `threshold + tol`, keeps the others in order and marks those above
    /// `threshold - tol` as doubtful. Returns whether any was dropped or marked.
    fn retain_below(&mut self, threshold: f64, tol: f64) -> bool {
        let (hi, lo) = (threshold + tol, threshold - tol);
        let n = self.len();
        let mut marked = false;
        let mut k = 0;
        for i in 0..n {
            let v = self.vals[i];
            if v <= hi {
                if v > lo {
                    self.doubt[i] = true;
                    marked = true;
                }
                if k != i {
                    self.idx[k] = self.idx[i];
                    self.f[k] = self.f[i];
                    self.s[k] = self.s[i];
                    self.q[k] = self.q[i];
                    self.p[k] = self.p[i];
                    self.zone[k] = self.zone[i];
                    self.vals[k] = self.vals[i];
                    self.doubt[k] = self.doubt[i];
                }
                k += 1;
            }
        }
        self.idx.truncate(k);
        self.f.truncate(k);
        self.s.truncate(k);
        self.q.truncate(k);
        self.p.truncate(k);
        self.zone.truncate(k);
        self.vals.truncate(k);
        self.doubt.truncate(k);
        marked || k != n
    }
}

/// What [`Candidates::first_min_max_second`] finds.
#[derive(Debug, Clone, Copy)]
struct MinMax {
    best: f64,
    /// Position of the first minimum.
    arg: usize,
    /// The smallest value at another position (infinite when there is none).
    second: f64,
    worst: f64,
}

/// Decisions too close to call in the fast arithmetic, taken in ruptures' own.
///
/// The prefix-sum values are within a few ulps of `scale = Σ y² + 2 pen` of the exact ones,
/// and so are ruptures' (`var() * len` per segment, two-pass, summed along the partition).
/// Where two candidates' values, or a value and the pruning threshold, are within
/// [`Ties::TOL`] ulps of `scale` of each other, the exact values may be equal (integer and
/// noiseless data make such ties common) and only ruptures' rounding decides. There the
/// values are recomputed with ruptures' floats: each segment cost as
/// `x[t:b].var() * (b - t)` with numpy's pairwise sums ([`ruptures_cost`]), `F` as the sum of
/// those plus the penalties along the chosen partition, left to right as Python's `sum`
/// adds the partition dict. The choice is then ruptures' first minimum in admissible
/// order. A pruning too close to call keeps the start, marked doubtful; a doubtful start
/// is checked against ruptures' pruning at every end since its admission before it can be
/// chosen, and dropped if ruptures pruned it.
///
/// Each such decision costs O(segment length); they only occur at near-ties.
struct Ties<'a> {
    x: &'a [f64],
    grid: Grid,
    pen: f64,
    tol: f64,
    /// `F` in ruptures' floats per grid index, NaN until needed.
    fr: Vec<f64>,
    /// Per start: the ends before this one have been checked against ruptures' pruning.
    verified: Vec<usize>,
}

impl<'a> Ties<'a> {
    /// Ulps of the scale within which values are taken as possibly equal: above the error
    /// of both computations, below the functional pruning's margin
    /// ([`Accelerator::MARGIN`]), so that a start it removes is never a contender.
    const TOL: f64 = 16.0 * f64::EPSILON;

    fn new(x: &'a [f64], grid: &Grid, sums: &PrefixSums, pen: f64) -> Ties<'a> {
        let scale = sums.q[grid.last] + 2.0 * pen;
        let mut fr = vec![f64::NAN; grid.last + 1];
        fr[0] = 0.0;
        Ties {
            x,
            grid: *grid,
            pen,
            tol: if scale.is_finite() { Self::TOL * scale } else { 0.0 },
            fr,
            verified: vec![0; grid.last + 1],
        }
    }

    /// ruptures' cost of the segment between grid indices `a < b`.
    fn cost(&self, a: usize, b: usize) -> f64 {
        ruptures_cost(&self.x[self.grid.pos(a)..self.grid.pos(b)])
    }

    /// `F(e)` in ruptures' floats, along the partition chosen so far.
    fn f(&mut self, e: usize, dp: &Dp) -> f64 {
        let mut chain = Vec::new();
        let mut k = e;
        while self.fr[k].is_nan() {
            chain.push(k);
            k = dp.prev[k];
        }
        let mut acc = self.fr[k];
        for &k in chain.iter().rev() {
            acc += self.cost(dp.prev[k], k) + self.pen;
            self.fr[k] = acc;
        }
        acc
    }

    /// The value of start `t` at end `b` in ruptures' floats.
    fn value(&mut self, t: usize, b: usize, dp: &Dp) -> f64 {
        self.f(t, dp) + (self.cost(t, b) + self.pen)
    }

    /// ruptures' choice at end `b` among `cands`, whose `vals` hold the fast values; drops
    /// doubtful candidates that ruptures had pruned. Returns the position of the choice.
    fn choose(&mut self, cands: &mut Candidates, m: MinMax, b: usize, dp: &Dp, sums: &PrefixSums) -> usize {
        if m.second > m.best + self.tol && !cands.doubt[m.arg] {
            return m.arg; // the common case: one clear minimum
        }
        loop {
            let (best, arg, _) = cands.first_min_max();
            let limit = best + self.tol;
            let contenders = cands.vals.iter().filter(|&&v| v <= limit).count();
            let (w, v) = if contenders == 1 {
                (arg, f64::NAN)
            } else {
                let mut win: Option<(usize, f64)> = None;
                for i in 0..cands.len() {
                    if cands.vals[i] <= limit {
                        let v = self.value(cands.idx[i], b, dp);
                        if win.is_none_or(|(w, wv)| v < wv || (v == wv && cands.idx[i] < cands.idx[w])) {
                            win = Some((i, v));
                        }
                    }
                }
                win.expect("the fast minimum is a contender")
            };
            if cands.doubt[w] {
                if !self.alive(cands.idx[w], b, dp, sums) {
                    cands.swap_remove(w);
                    continue;
                }
                cands.doubt[w] = false;
            }
            self.fr[b] = v; // NaN (computed when needed) unless a contest computed it
            return w;
        }
    }

    /// ruptures' pruning after the choice at an end, `worst` the largest value (or more):
    /// see [`Candidates::retain_below`]. Returns whether any start was dropped or marked
    /// doubtful.
    fn prune(&self, cands: &mut Candidates, threshold: f64, worst: f64) -> bool {
        worst > threshold - self.tol && cands.retain_below(threshold, self.tol)
    }

    /// Whether start `t` survived ruptures' pruning at every end before `b` since it was
    /// appended, deciding the fast values' near-ties in ruptures' floats.
    fn alive(&mut self, t: usize, b: usize, dp: &Dp, sums: &PrefixSums) -> bool {
        let pen = self.pen;
        for e in self.grid.appended_at(t).max(self.verified[t])..b {
            let fast = dp.f[t] + (sums.cost(t, e) + pen);
            let threshold = dp.f[e] + pen;
            if fast > threshold + self.tol {
                return false;
            }
            // ruptures keeps `t` iff its value is `<=` the threshold (values are never NaN)
            if fast > threshold - self.tol && self.value(t, e, dp) > self.f(e, dp) + pen {
                return false;
            }
        }
        self.verified[t] = b;
        true
    }
}

/// ruptures' l2 cost of a segment: `signal[start:end].var(axis=0).sum() * (end - start)`,
/// numpy's two-pass variance with its pairwise sums, bit for bit.
pub fn ruptures_cost(seg: &[f64]) -> f64 {
    let len = seg.len() as f64;
    let mean = summary::numpy_mean(seg);
    let ss = 0.0
        + summary::pairwise_sum_by(seg, |v| {
            let d = v - mean;
            d * d
        });
    (ss / len) * len
}

/// Functional pruning layered on ruptures' recursion, without changing its output.
///
/// ruptures evaluates every start of its admissible list `L` at every end. Here starts that
/// provably cannot be *chosen* are moved from the evaluated list `active` to `removed`.
/// They stay in `L` as far as ruptures is concerned: removing them changes no `F`, hence
/// none of ruptures' own pruning decisions, which are applied to `active` as ruptures does.
///
/// **Certificates.** Write `V_t(e) = F(t) + pen + C(t, e)` and `y` the centred data. For
/// starts `c < u`, an end `e > u` and any `μ`,
/// `C(c, e) <= Σ_{c..e} (y - μ)² = C(c, u) + (u - c)(μ - m)² + Σ_{u..e} (y - μ)²`, with
/// `m` the mean of `y[c..u]`, with equality in the first step for `μ` the mean of `y[c..e]`.
/// So with `q(μ) = (u - c)(μ - m)² - r` and `r = F(u) - F(c) - C(c, u)`:
/// `V_c(e) - V_u(e) >= q(μ_c)` (`μ_c` the mean of `c`'s segment `y[c..e]`) and
/// `V_u(e) - V_c(e) >= -q(μ_u)` (`μ_u` the mean of `y[u..e]`). Each start keeps a zone of
/// the means of its own segment for which no other start is known to beat it (Maidstone
/// et al. 2017, FPOP, where for l2 all comparisons reduce to these intervals):
/// when `u` becomes admissible, every active `c < u` keeps only `q(μ) <= delta` (an
/// interval) and `u` starts with what no active `c` covers by `q(μ) < -delta`. A start with
/// an empty zone is beaten, at every later end, by some start admissible then.
///
/// **Where that can fail.** Follow "is beaten by" from a removed start: through removed
/// starts (their own zones are empty) it reaches an active start, unless it passes through
/// a start `c` that ruptures pruned, at some end `b`. Then `V_c(e) > V_b(e)` at every later
/// end (`V_c(b) > F(b) + pen` and `C(c, e) >= C(c, b) + C(b, e)`), and the chain goes on
/// from `b`, except while `b` is not yet admissible: exactly where ruptures' own pruning is
/// unsafe. So at such an end `e` (`admissible_limit(e) < b`, `b` in `pending`), a removed
/// start can only be chosen if the value `V_b(e)` that `b` would have is not above the best
/// active value by the margin; only then are the removed starts evaluated, and one that
/// would be chosen is checked against ruptures' pruning history ([`Accelerator::alive`])
/// and put back if ruptures still has it. Removed starts found above the pruning threshold
/// then (or in occasional sweeps) are forgotten: ruptures has pruned them by now.
///
/// **Rounding.** Every value that matters is at most `scale = Σ y² + 2 pen` and is computed
/// with an error of a few ulps of `scale` (the prefix-sum differences dominate). The
/// intervals carry a margin several times that (`delta = 64 ε scale` on `r`, a few ulps on
/// `m`), so a certificate valid in exact arithmetic also holds for the computed values;
/// only instances with near-ties at that level (1e-14 of `scale`) could tell the two
/// algorithms apart, and those are beyond agreement with ruptures anyway. The flip side:
/// when the shifts dwarf the noise (`ε Σ y²` approaching the noise variance, e.g. shifts of
/// 1e4 σ in 1e6 points), the margin blunts the pruning and the run slows towards plain PELT.
struct Accelerator {
    active: Candidates,
    removed: Vec<usize>,
    /// Scratch: values of `removed` at the current end.
    removed_vals: Vec<f64>,
    /// Ends at which ruptures pruned an active start and that are not admissible yet
    /// (increasing): removed starts may be chosen while this is not empty.
    pending: std::collections::VecDeque<usize>,
    /// Length of `removed` after the last sweep.
    swept: usize,
    /// Scratch: the intervals where active starts beat a new one.
    beaten: Vec<(f64, f64)>,
    /// Scratch: per active start, its pair with a new start.
    pairs: Pairs,
    stats: Stats,
    pen: f64,
    delta: f64,
}

impl Accelerator {
    /// Relative margin of the certificates against the scale of all values: several times
    /// the rounding error of a comparison (measured: a segment cost is within `1 ε scale`
    /// of the exact one, so a value within about `4 ε scale`).
    const MARGIN: f64 = 64.0 * f64::EPSILON;

    /// `None` when values can be infinite (data near the float range): no certificate then.
    fn new(sums: &PrefixSums, grid: &Grid, pen: f64) -> Option<Accelerator> {
        // Every value that can be chosen or survive pruning is at most `F + pen`, and
        // `F(e) <= C(0, e) + pen <= Σ y² + pen`.
        let scale = sums.q[grid.last] + 2.0 * pen;
        scale.is_finite().then(|| Accelerator {
            active: Candidates::default(),
            removed: Vec::new(),
            removed_vals: Vec::new(),
            pending: std::collections::VecDeque::new(),
            swept: 0,
            beaten: Vec::new(),
            pairs: Pairs::default(),
            stats: Stats::default(),
            pen,
            delta: Self::MARGIN * scale,
        })
    }

    /// Start `u` becomes admissible: narrows the zone of every active start `c < u` to where
    /// `u` does not beat it (removing those left empty), and gives `u` the zone that no
    /// active start covers.
    fn admit(&mut self, u: usize, dp: &Dp, sums: &PrefixSums) {
        const ULPS: f64 = 8.0 * f64::EPSILON;
        let f_u = dp.f[u];
        let (su, qu, pu) = (sums.s[u], sums.q[u], sums.p[u]);
        let delta = self.delta;
        let a = &mut self.active;
        let n = a.len();
        // Pass 1 (vectorizes): `m`, the half-width of `q <= delta` (`out`, NaN when empty)
        // and of `q < -delta` (`inside`, NaN or <= 0 when empty). The cost and `r` need not
        // be the recursion's exact floats: the margins cover their rounding.
        let pairs = &mut self.pairs;
        pairs.resize(n);
        let (f, s, q, p) = (&a.f[..n], &a.s[..n], &a.q[..n], &a.p[..n]);
        let (mid, out, inside) = (&mut pairs.mid[..n], &mut pairs.out[..n], &mut pairs.inside[..n]);
        for i in 0..n {
            let inv = 1.0 / (pu - p[i]);
            let s1 = su - s[i];
            let m = s1 * inv;
            let r = f_u - f[i] - (qu - q[i] - s1 * m).max(0.0);
            let slack = ULPS * ((su.abs() + s[i].abs()) * inv + m.abs());
            mid[i] = m;
            out[i] = ((r + delta) * inv).sqrt() * (1.0 + ULPS) + slack;
            inside[i] = ((r - delta) * inv).sqrt() * (1.0 - ULPS) - slack;
        }
        // Pass 2: narrow the zones, collect where `u` is beaten.
        let beaten = &mut self.beaten;
        beaten.clear();
        let mut emptied = false;
        for i in 0..n {
            if a.idx[i] >= u {
                continue; // the last start appended a second time
            }
            let (m, w) = (mid[i], out[i]);
            let zone = &mut a.zone[i];
            if w.is_nan() {
                zone.clear();
            } else {
                zone.narrow(m - w, m + w);
            }
            emptied |= zone.is_empty();
            if inside[i] > 0.0 {
                beaten.push((m - inside[i], m + inside[i]));
            }
        }
        if emptied {
            for i in (0..n).rev() {
                if a.zone[i].is_empty() {
                    self.removed.push(a.idx[i]);
                    a.swap_remove(i);
                    self.stats.removed += 1;
                }
            }
        }
        a.push(u, f_u, sums);
        let last = a.len() - 1;
        a.zone[last].set_complement_of(beaten);
    }

    /// One end of ruptures' loop: returns `F(b)` and the chosen start, and applies ruptures'
    /// pruning.
    fn step(&mut self, b: usize, dp: &Dp, sums: &PrefixSums, grid: &Grid, ties: &mut Ties) -> (f64, usize) {
        let pen = self.pen;
        let tol = ties.tol;
        let mut m = self.active.evaluate(b, sums, pen);
        let best = m.best;
        let limit = grid.admissible_limit(b);
        while self.pending.front().is_some_and(|&d| d <= limit) {
            self.pending.pop_front();
        }
        // A removed start's value is above `V_d(b)` for some pending `d`, or above an active
        // start's: it cannot be chosen (nor contend, see [`Ties`]) if every `V_d(b)` clears
        // `best` by the margin.
        let in_window = !self.removed.is_empty()
            && self.pending.iter().any(|&d| dp.f[d] + (sums.cost(d, b) + pen) - self.delta <= best + tol);
        if in_window {
            self.stats.windows += 1;
            self.evaluate_removed(b, dp, sums);
            let mut restored = false;
            let mut j = 0;
            while j < self.removed.len() {
                let (r, v) = (self.removed[j], self.removed_vals[j]);
                let contends = v <= best + tol;
                self.stats.alive_checks += usize::from(contends);
                let doubt = if contends { Self::alive(r, b, dp, sums, grid, pen, tol) } else { None };
                if let Some(doubt) = doubt {
                    self.stats.restored += 1;
                    self.active.push(r, dp.f[r], sums);
                    let last = self.active.len() - 1;
                    self.active.vals[last] = v;
                    self.active.doubt[last] = doubt;
                    self.removed.swap_remove(j);
                    self.removed_vals.swap_remove(j);
                    restored = true;
                } else {
                    j += 1;
                }
            }
            if restored {
                m = self.active.first_min_max_second();
            }
        }
        let arg = ties.choose(&mut self.active, m, b, dp, sums);
        let (best, argmin) = (self.active.vals[arg], self.active.idx[arg]);
        let threshold = best + pen;
        if ties.prune(&mut self.active, threshold, m.worst) && b < grid.last {
            self.pending.push_back(b);
        }
        if in_window {
            self.forget_dead(threshold + tol);
        } else if self.removed.len() > 2 * self.swept + 1024 {
            self.evaluate_removed(b, dp, sums);
            self.forget_dead(threshold + tol);
            self.swept = self.removed.len();
        }
        (best, argmin)
    }

    fn evaluate_removed(&mut self, b: usize, dp: &Dp, sums: &PrefixSums) {
        let pen = self.pen;
        self.removed_vals.clear();
        self.removed_vals.extend(self.removed.iter().map(|&r| dp.f[r] + (sums.cost(r, b) + pen)));
    }

    /// Forgets the removed starts whose value at this end exceeds ruptures' threshold:
    /// pruned now if ruptures still had them.
    fn forget_dead(&mut self, threshold: f64) {
        let mut k = 0;
        for j in 0..self.removed.len() {
            if self.removed_vals[j] <= threshold {
                self.removed[k] = self.removed[j];
                self.removed_vals[k] = self.removed_vals[j];
                k += 1;
            }
        }
        self.removed.truncate(k);
        self.removed_vals.truncate(k);
    }

    /// Whether start `r` may still be in ruptures' admissible list at end `b`: it survived
    /// the pruning at every end since it was appended, with values known to within `tol`.
    /// `None` when it did not, else whether some pruning was too close to call (doubt).
    fn alive(r: usize, b: usize, dp: &Dp, sums: &PrefixSums, grid: &Grid, pen: f64, tol: f64) -> Option<bool> {
        let mut doubt = false;
        for e in grid.appended_at(r)..b {
            let v = dp.f[r] + (sums.cost(r, e) + pen);
            let threshold = dp.f[e] + pen;
            if v > threshold + tol {
                return None;
            }
            doubt |= v > threshold - tol;
        }
        Some(doubt)
    }
}

/// Per active start, its pair with a new start (see [`Accelerator::admit`]).
#[derive(Default)]
struct Pairs {
    mid: Vec<f64>,
    out: Vec<f64>,
    inside: Vec<f64>,
}

impl Pairs {
    fn resize(&mut self, n: usize) {
        self.mid.resize(n, 0.0);
        self.out.resize(n, 0.0);
        self.inside.resize(n, 0.0);
    }
}

/// A set of segment means: at most [`Zone::CAP`] sorted, disjoint closed intervals, kept
/// inline. Whenever an operation would need more precision than that, the zone is made
/// larger, never smaller: a larger zone only removes fewer starts. The default is everything.
#[derive(Debug, Clone, Copy)]
struct Zone {
    len: usize,
    iv: [(f64, f64); Zone::CAP],
}

impl Default for Zone {
    fn default() -> Zone {
        let mut iv = [(0.0, 0.0); Zone::CAP];
        iv[0] = (f64::NEG_INFINITY, f64::INFINITY);
        Zone { len: 1, iv }
    }
}

impl Zone {
    const CAP: usize = 4;
    /// Pieces of the covered union tracked by [`Zone::set_complement_of`].
    const UNION_CAP: usize = 8;

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// Intersection with `[lo, hi]`.
    fn narrow(&mut self, lo: f64, hi: f64) {
        let mut k = 0;
        for i in 0..self.len {
            let (a, b) = (self.iv[i].0.max(lo), self.iv[i].1.min(hi));
            if a <= b {
                self.iv[k] = (a, b);
                k += 1;
            }
        }
        self.len = k;
    }

    /// Everything outside the union of `covered` (finite intervals). The union is built by
    /// insertion into at most [`Zone::UNION_CAP`] pieces; an interval that would need more
    /// is left out.
    fn set_complement_of(&mut self, covered: &[(f64, f64)]) {
        let mut union = [(0.0f64, 0.0f64); Zone::UNION_CAP];
        let mut len = 0;
        for &(a, b) in covered {
            // pieces `i..j` overlap or touch `[a, b]`
            let mut i = 0;
            while i < len && union[i].1 < a {
                i += 1;
            }
            let mut j = i;
            while j < len && union[j].0 <= b {
                j += 1;
            }
            if i < j {
                union[i] = (union[i].0.min(a), union[j - 1].1.max(b));
                if j > i + 1 {
                    for k in j..len {
                        union[k - (j - i - 1)] = union[k];
                    }
                    len -= j - i - 1;
                }
            } else if len < Zone::UNION_CAP {
                for k in (i..len).rev() {
                    union[k + 1] = union[k];
                }
                union[i] = (a, b);
                len += 1;
            }
        }
        self.len = 0;
        let mut from = f64::NEG_INFINITY;
        for &(a, b) in &union[..len] {
            self.add((from, a));
            from = b;
        }
        self.add((from, f64::INFINITY));
    }

    /// Appends an interval to the right of the others; when full, first fills the smallest
    /// gap (between two pieces, or before the new one).
    fn add(&mut self, iv: (f64, f64)) {
        if self.len == Self::CAP {
            let gap = |z: &Zone, i: usize| z.iv[i + 1].0 - z.iv[i].1;
            let at = (1..Self::CAP - 1).fold(0, |at, i| if gap(self, i) < gap(self, at) { i } else { at });
            if iv.0 - self.iv[Self::CAP - 1].1 < gap(self, at) {
                self.iv[Self::CAP - 1].1 = iv.1;
                return;
            }
            self.iv[at].1 = self.iv[at + 1].1;
            self.iv.copy_within(at + 2..Self::CAP, at + 1);
            self.len -= 1;
        }
        self.iv[self.len] = iv;
        self.len += 1;
    }
}

/// What the functional pruning did during one run (for tests and measurements).
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    /// Starts moved out of the evaluated list.
    removed: usize,
    /// Ends at which the removed starts had to be evaluated (after a pruning by ruptures).
    windows: usize,
    /// Removed starts that would have been chosen in a window, checked against the history.
    alive_checks: usize,
    /// ... and found still admissible, so put back.
    restored: usize,
    /// Largest evaluated list.
    max_active: usize,
    /// Sum over the ends of the evaluated list's length.
    sum_active: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (splitmix64 + Box-Muller).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn uniform(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let u = self.uniform().max(1e-300);
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * self.uniform()).cos()
        }
    }

    #[test]
    fn numpy_std_is_the_population_std() {
        assert_eq!(numpy_std(&[1.0, 3.0]), 1.0);
    }

    #[test]
    fn grid_follows_ruptures() {
        // n = 10, min_size 3, jump 2: ends 4, 6, 8, 10; appended 0, (2: no partition), 4, 6.
        let g = Grid::new(10, 3, 2, 1.0).unwrap();
        let ends: Vec<usize> = g.ends().map(|b| g.pos(b)).collect();
        assert_eq!(ends, vec![4, 6, 8, 10]);
        let starts: Vec<Option<usize>> = g.ends().map(|b| g.new_admissible(b).map(|t| g.pos(t))).collect();
        assert_eq!(starts, vec![Some(0), None, Some(4), Some(6)]);
        // n = 11 off the grid: the end n appends the same start as the end before it.
        let g = Grid::new(11, 2, 3, 1.0).unwrap();
        let ends: Vec<usize> = g.ends().map(|b| g.pos(b)).collect();
        assert_eq!(ends, vec![3, 6, 9, 11]);
        let starts: Vec<usize> = g.ends().filter_map(|b| g.new_admissible(b).map(|t| g.pos(t))).collect();
        assert_eq!(starts, vec![0, 3, 6, 9]);
        let g = Grid::new(10, 2, 3, 1.0).unwrap();
        let starts: Vec<usize> = g.ends().filter_map(|b| g.new_admissible(b).map(|t| g.pos(t))).collect();
        assert_eq!(starts, vec![0, 3, 6, 6]);
        for b in g.ends() {
            let t = g.admissible_limit(b);
            assert_eq!(t, (g.pos(b) - g.min_size) / g.jump);
            assert!(g.appended_at(t) <= b);
        }
        assert!(Grid::new(3, 2, 1, 1.0).is_none());
    }

    #[test]
    fn zone_operations() {
        let mut z = Zone::default();
        z.narrow(-1.0, 1.0);
        assert_eq!((z.len, z.iv[0]), (1, (-1.0, 1.0)));
        z.set_complement_of(&[(0.0, 1.0), (-3.0, -2.0), (0.5, 2.0)]);
        assert_eq!(&z.iv[..z.len], &[(f64::NEG_INFINITY, -3.0), (-2.0, 0.0), (2.0, f64::INFINITY)]);
        z.narrow(-2.5, 1.0);
        assert_eq!(&z.iv[..z.len], &[(-2.0, 0.0)]);
        z.narrow(0.5, 1.0);
        assert!(z.is_empty());
        // More pieces than CAP: gaps get filled, the zone only grows.
        let covered: Vec<(f64, f64)> = (0..6).map(|i| (10.0 * i as f64, 10.0 * i as f64 + 9.0 - i as f64)).collect();
        z.set_complement_of(&covered);
        assert_eq!(z.len, Zone::CAP);
        let inside = |z: &Zone, v: f64| z.iv[..z.len].iter().any(|&(l, h)| l <= v && v <= h);
        for w in covered.windows(2) {
            assert!(inside(&z, (w[0].1 + w[1].0) / 2.0), "uncovered point lost");
        }
        assert!(inside(&z, -1.0) && inside(&z, 100.0));
        // More covered pieces than UNION_CAP: some are ignored, again only growing the zone.
        let covered: Vec<(f64, f64)> = (0..12).map(|i| (2.0 * i as f64, 2.0 * i as f64 + 1.0)).collect();
        z.set_complement_of(&covered);
        for w in covered.windows(2) {
            assert!(inside(&z, (w[0].1 + w[1].0) / 2.0));
        }
    }

    /// The functional pruning keeps few starts on flat noise, and its safety net (windows
    /// after ruptures prunes, history checks, restoration) is exercised and keeps the output
    /// of the plain recursion.
    #[test]
    fn functional_pruning_is_effective_and_safe() {
        let mut rng = Rng(11);
        let x: Vec<f64> = (0..20_000).map(|_| rng.normal()).collect();
        let (bkps, st) = pelt_l2_accelerated(&x, 2, 1, default_penalty(&x).unwrap());
        assert!(bkps.is_empty());
        assert!(st.max_active < 100 && st.sum_active < 20 * 20_000, "{st:?}");
        assert!(st.removed > 19_000, "{st:?}");

        let mut total = Stats::default();
        for case in 0..3000 {
            let n = 20 + (rng.uniform() * 300.0) as usize;
            let spikes = rng.uniform() < 0.5;
            let mut level = 0.0;
            let x: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.uniform() < 0.03 {
                        level += 4.0 * rng.normal();
                    }
                    level + rng.normal() + if spikes && rng.uniform() < 0.03 { 15.0 } else { 0.0 }
                })
                .collect();
            let min_size = 1 + (rng.uniform() * 6.0) as usize;
            let jump = 1 + (rng.uniform() * 3.0) as usize;
            let pen = [0.05, 0.5, 2.0, 8.0][case % 4] * (n as f64).ln();
            let (got, st) = pelt_l2_accelerated(&x, min_size, jump, pen);
            assert_eq!(got, pelt_l2_plain(&x, min_size, jump, pen), "case {case}");
            total.removed += st.removed;
            total.windows += st.windows;
            total.alive_checks += st.alive_checks;
            total.restored += st.restored;
        }
        assert!(total.windows > 1000 && total.restored > 0, "{total:?}");
    }
}
