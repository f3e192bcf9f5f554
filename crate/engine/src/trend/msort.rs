//! Merge sorts that count or enumerate inversions.
//!
//! Both Mann-Kendall's S and Sen's slope reduce to inversions: S counts the
//! pairs `i < j` with `x_j < x_i`, and a pair's slope is below `theta` exactly
//! when its two points are inverted by the keys `x_i - theta * i`. A merge sort
//! sees every inversion once, at the merge where the two elements meet: when an
//! element of the right run is output before the remaining `l` elements of the
//! left run, it is inverted with exactly those `l` elements. Counting adds `l`;
//! enumerating hands the remaining left slice to a [`Sink`].
//!
//! The recursion ping-pongs between the data and one scratch buffer (no copy
//! back), sorts short runs by insertion, and runs the two halves of large
//! ranges in parallel with `rayon::join` when asked to (the merges themselves
//! are sequential, which is fine on the machines this targets).
//!
//! The merges are bidirectional (the smallest remaining element goes to the
//! front while the largest goes to the back: two independent dependency
//! chains) and branch-free. Their loops index without bounds checks, the only
//! `unsafe` of the trend module: the indices are provably in bounds whatever
//! the comparisons return (see the SAFETY notes), and the checks cost about
//! half the time of these loops, which dominate Mann-Kendall and Sen's slope.

/// Runs at most this long are sorted by insertion.
const SMALL: usize = 24;
/// Below this length a range is never split across threads.
const PAR_LEN: usize = 1 << 14;

/// Stably sorts `v` by `less` and returns the number of strict inversions: the
/// pairs `i < j` of the input with `less(v[j], v[i])`. Equal elements (neither
/// less than the other) keep their order and are not counted.
pub(super) fn sort_count<T, L>(v: &mut [T], less: &L, par: bool) -> u64
where
    T: Copy + Send + Sync,
    L: Fn(&T, &T) -> bool + Sync,
{
    if v.len() <= SMALL {
        return insertion_count(v, less);
    }
    let mut scratch = v.to_vec();
    sort_in_place(v, &mut scratch, less, par)
}

/// Sorts `a` (result in `a`), using `b` (same length) as scratch.
fn sort_in_place<T, L>(a: &mut [T], b: &mut [T], less: &L, par: bool) -> u64
where
    T: Copy + Send + Sync,
    L: Fn(&T, &T) -> bool + Sync,
{
    let n = a.len();
    if n <= SMALL {
        return insertion_count(a, less);
    }
    let mid = n / 2;
    let (a1, a2) = a.split_at_mut(mid);
    let (b1, b2) = b.split_at_mut(mid);
    let (c1, c2) = if par && n >= PAR_LEN {
        rayon::join(|| sort_into(a1, b1, less, par), || sort_into(a2, b2, less, par))
    } else {
        (sort_into(a1, b1, less, false), sort_into(a2, b2, less, false))
    };
    c1 + c2 + merge_count(b1, b2, a, less)
}

/// Sorts `a` into `b` (same length); `a` is clobbered.
fn sort_into<T, L>(a: &mut [T], b: &mut [T], less: &L, par: bool) -> u64
where
    T: Copy + Send + Sync,
    L: Fn(&T, &T) -> bool + Sync,
{
    let n = a.len();
    if n <= SMALL {
        let c = insertion_count(a, less);
        b.copy_from_slice(a);
        return c;
    }
    let mid = n / 2;
    let (a1, a2) = a.split_at_mut(mid);
    let (b1, b2) = b.split_at_mut(mid);
    let (c1, c2) = if par && n >= PAR_LEN {
        rayon::join(|| sort_in_place(a1, b1, less, par), || sort_in_place(a2, b2, less, par))
    } else {
        (sort_in_place(a1, b1, less, false), sort_in_place(a2, b2, less, false))
    };
    c1 + c2 + merge_count(a1, a2, b, less)
}

fn insertion_count<T: Copy, L: Fn(&T, &T) -> bool>(a: &mut [T], less: &L) -> u64 {
    let mut inv = 0u64;
    for i in 1..a.len() {
        let x = a[i];
        let mut j = i;
        while j > 0 && less(&x, &a[j - 1]) {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = x;
        inv += (i - j) as u64;
    }
    inv
}

/// Merges the sorted runs `l` and `r` into `out` (stable: ties from `l`
/// first), counting the pairs (left, right) with right strictly less.
///
/// Bidirectional and branch-free: each step places the smallest remaining
/// element at the front and the largest at the back, two independent
/// dependency chains. With `l.len() == out.len() / 2` (how the sorts split),
/// `n / 2` steps from each end never exhaust a run early, and for odd `n` one
/// element is left for the middle. A right element placed at output position
/// `k` as the run's `j`-th has `k - j` left elements before it, so it is
/// inverted with the other `l.len() - (k - j)`.
#[inline]
pub(super) fn merge_count<T: Copy, L: Fn(&T, &T) -> bool>(l: &[T], r: &[T], out: &mut [T], less: &L) -> u64 {
    let (nl, nr) = (l.len(), r.len());
    let n = nl + nr;
    if nl != n / 2 || out.len() != n || nl == 0 {
        return merge_count_simple(l, r, out, less);
    }
    let (mut i, mut j) = (0usize, 0usize);
    // Back cursors, one past the next element to take (so they stay unsigned).
    let (mut ie, mut je) = (nl, nr);
    let mut inv = 0u64;
    for k in 0..n / 2 {
        let kb = n - 1 - k;
        // SAFETY: every index is in bounds whatever `less` returns. After k
        // steps i + j = k and each of i, j grew by at most k, so
        // i <= k < n/2 = nl and j <= k < n/2 <= nr; likewise nl - ie <= k and
        // nr - je <= k give ie - 1 >= nl - k - 1 >= 0 and je - 1 >= 0; k < n/2
        // and kb = n - 1 - k >= n - n/2 are positions of `out` (len n). The
        // bounds checks would cost half the time of this, the hottest loop.
        unsafe {
            // Select by reference: a conditional move of a pointer, where a
            // select of two multi-word values may become a branch.
            let (a, b) = (l.get_unchecked(i), r.get_unchecked(j));
            let take_r = less(b, a);
            *out.get_unchecked_mut(k) = *if take_r { b } else { a };
            inv += if take_r { (nl + j - k) as u64 } else { 0 };
            j += take_r as usize;
            i += (!take_r) as usize;

            let (a, b) = (l.get_unchecked(ie - 1), r.get_unchecked(je - 1));
            let take_l = less(b, a);
            *out.get_unchecked_mut(kb) = *if take_l { a } else { b };
            inv += if take_l { 0 } else { (nl + (je - 1) - kb) as u64 };
            ie -= take_l as usize;
            je -= (!take_l) as usize;
        }
    }
    if n % 2 == 1 {
        // One element is left: l[i] if the left cursors have not met, else r[j].
        let k = n / 2;
        if i < ie {
            out[k] = l[i];
        } else {
            out[k] = r[j];
            inv += (nl + j - k) as u64;
        }
    }
    inv
}

/// The plain one-directional merge (for splits other than the sorts' own).
fn merge_count_simple<T: Copy, L: Fn(&T, &T) -> bool>(l: &[T], r: &[T], out: &mut [T], less: &L) -> u64 {
    let (nl, nr) = (l.len(), r.len());
    let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
    let mut inv = 0u64;
    while i < nl && j < nr {
        if less(&r[j], &l[i]) {
            out[k] = r[j];
            inv += (nl - i) as u64;
            j += 1;
        } else {
            out[k] = l[i];
            i += 1;
        }
        k += 1;
    }
    out[k..k + (nl - i)].copy_from_slice(&l[i..]);
    k += nl - i;
    out[k..k + (nr - j)].copy_from_slice(&r[j..]);
    inv
}

/// Receives the inversions of a sequence of distinct `u32`s, in blocks: every
/// element of `left` precedes `right` in the sequence and is greater than it.
pub(super) trait Sink: Send + Sized {
    /// A fresh, empty sink for an independent part of the sequence; `salt`
    /// identifies the part (for deterministic random streams).
    fn fork(&self, salt: u64) -> Self;
    /// Takes over what `other` (a fork) has gathered.
    fn absorb(&mut self, other: Self);
    fn block(&mut self, left: &[u32], right: u32);
    /// How many of the coming inversions the sink would ignore anyway (a
    /// sampler's skip): the merge counts those instead of handing them over.
    fn idle(&self) -> u64 {
        0
    }
    /// Skips `n <= idle()` inversions.
    fn pass_over(&mut self, n: u64) {
        let _ = n;
    }
}

/// Sorts `v` (distinct values) and reports every inversion of the input to `sink`.
pub(super) fn enumerate_inversions<S: Sink>(v: &mut [u32], sink: &mut S, par: bool) {
    if v.len() <= SMALL {
        insertion_enum(v, sink);
        return;
    }
    let mut scratch = v.to_vec();
    enum_in_place(v, &mut scratch, sink, par, 1);
}

fn enum_in_place<S: Sink>(a: &mut [u32], b: &mut [u32], sink: &mut S, par: bool, salt: u64) {
    let n = a.len();
    if n <= SMALL {
        insertion_enum(a, sink);
        return;
    }
    let mid = n / 2;
    let (a1, a2) = a.split_at_mut(mid);
    let (b1, b2) = b.split_at_mut(mid);
    if par && n >= PAR_LEN {
        let (mut s1, mut s2) = (sink.fork(2 * salt), sink.fork(2 * salt + 1));
        rayon::join(|| enum_into(a1, b1, &mut s1, par, 2 * salt), || enum_into(a2, b2, &mut s2, par, 2 * salt + 1));
        sink.absorb(s1);
        sink.absorb(s2);
    } else {
        enum_into(a1, b1, sink, false, 2 * salt);
        enum_into(a2, b2, sink, false, 2 * salt + 1);
    }
    merge_enum(b1, b2, a, sink);
}

fn enum_into<S: Sink>(a: &mut [u32], b: &mut [u32], sink: &mut S, par: bool, salt: u64) {
    let n = a.len();
    if n <= SMALL {
        insertion_enum(a, sink);
        b.copy_from_slice(a);
        return;
    }
    let mid = n / 2;
    let (a1, a2) = a.split_at_mut(mid);
    let (b1, b2) = b.split_at_mut(mid);
    if par && n >= PAR_LEN {
        let (mut s1, mut s2) = (sink.fork(2 * salt), sink.fork(2 * salt + 1));
        rayon::join(
            || enum_in_place(a1, b1, &mut s1, par, 2 * salt),
            || enum_in_place(a2, b2, &mut s2, par, 2 * salt + 1),
        );
        sink.absorb(s1);
        sink.absorb(s2);
    } else {
        enum_in_place(a1, b1, sink, false, 2 * salt);
        enum_in_place(a2, b2, sink, false, 2 * salt + 1);
    }
    merge_enum(a1, a2, b, sink);
}

fn insertion_enum<S: Sink>(a: &mut [u32], sink: &mut S) {
    let mut idle = sink.idle();
    let mut passed = 0u64;
    for i in 1..a.len() {
        let x = a[i];
        let mut j = i;
        while j > 0 && x < a[j - 1] {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = x;
        // x has passed the i - j greater elements now at a[j + 1..=i].
        let len = (i - j) as u64;
        if len > idle {
            sink.pass_over(passed);
            passed = 0;
            sink.block(&a[j + 1..=i], x);
            idle = sink.idle();
        } else {
            idle -= len;
            passed += len;
        }
    }
    sink.pass_over(passed);
}

/// [`merge_count`]'s bidirectional merge, reporting each right element's
/// inversions: at the front those are the left elements not yet placed from
/// the front, at the back those already placed from the back. Blocks the sink
/// would skip entirely are only counted, so a sparse sampler costs about as
/// much as counting.
fn merge_enum<S: Sink>(l: &[u32], r: &[u32], out: &mut [u32], sink: &mut S) {
    let (nl, nr) = (l.len(), r.len());
    let n = nl + nr;
    if nl != n / 2 || out.len() != n || nl == 0 {
        merge_enum_simple(l, r, out, sink);
        return;
    }
    let (mut i, mut j) = (0usize, 0usize);
    let (mut ie, mut je) = (nl, nr);
    // Inversions the sink still ignores, and how many of those it skipped.
    let mut idle = sink.idle();
    let mut passed = 0u64;
    for k in 0..n / 2 {
        let kb = n - 1 - k;
        // SAFETY: the indices are in bounds whatever the comparisons say; see
        // the same loop in `merge_count`.
        unsafe {
            let (a, b) = (l.get_unchecked(i), r.get_unchecked(j));
            let take_r = b < a;
            *out.get_unchecked_mut(k) = *if take_r { b } else { a };
            let len = if take_r { (nl - i) as u64 } else { 0 };
            if len > idle {
                idle = hand_over(sink, &mut passed, &l[i..], *b);
            } else {
                idle -= len;
                passed += len;
            }
            j += take_r as usize;
            i += (!take_r) as usize;

            let (a, b) = (l.get_unchecked(ie - 1), r.get_unchecked(je - 1));
            let take_l = b < a;
            *out.get_unchecked_mut(kb) = *if take_l { a } else { b };
            let len = if take_l { 0 } else { (nl - ie) as u64 };
            if len > idle {
                idle = hand_over(sink, &mut passed, &l[ie..], *b);
            } else {
                idle -= len;
                passed += len;
            }
            ie -= take_l as usize;
            je -= (!take_l) as usize;
        }
    }
    sink.pass_over(passed);
    if n % 2 == 1 {
        let k = n / 2;
        if i < ie {
            out[k] = l[i];
        } else {
            sink.block(&l[i..], r[j]);
            out[k] = r[j];
        }
    }
}

/// The rare path of [`merge_enum`]: settle the skipped count, hand the block
/// over, return the sink's new idle count.
#[cold]
#[inline(never)]
fn hand_over<S: Sink>(sink: &mut S, passed: &mut u64, left: &[u32], right: u32) -> u64 {
    sink.pass_over(*passed);
    *passed = 0;
    sink.block(left, right);
    sink.idle()
}

/// The plain one-directional merge (for splits other than the sorts' own).
fn merge_enum_simple<S: Sink>(l: &[u32], r: &[u32], out: &mut [u32], sink: &mut S) {
    let (nl, nr) = (l.len(), r.len());
    let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
    while i < nl && j < nr {
        if r[j] < l[i] {
            sink.block(&l[i..], r[j]);
            out[k] = r[j];
            j += 1;
        } else {
            out[k] = l[i];
            i += 1;
        }
        k += 1;
    }
    out[k..k + (nl - i)].copy_from_slice(&l[i..]);
    k += nl - i;
    out[k..k + (nr - j)].copy_from_slice(&r[j..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn counts_strict_inversions_like_brute_force() {
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 3, 10, 24, 25, 100, 1000, 40_000] {
            for modulo in [3u64, 1000, u64::MAX] {
                let v: Vec<u64> = (0..n).map(|_| lcg(&mut seed) % modulo).collect();
                let brute = if n <= 1000 {
                    let mut c = 0u64;
                    for i in 0..n {
                        for j in i + 1..n {
                            c += (v[j] < v[i]) as u64;
                        }
                    }
                    Some(c)
                } else {
                    None
                };
                for par in [false, true] {
                    let mut w: Vec<(u64, u32)> = v.iter().enumerate().map(|(i, &x)| (x, i as u32)).collect();
                    let c = sort_count(&mut w, &|a: &(u64, u32), b: &(u64, u32)| a.0 < b.0, par);
                    assert!(w.windows(2).all(|p| p[0].0 < p[1].0 || (p[0].0 == p[1].0 && p[0].1 < p[1].1)));
                    if let Some(b) = brute {
                        assert_eq!(c, b, "n={n} mod={modulo}");
                    }
                }
            }
        }
    }

    /// Collects the inversions (or only counts them, for long inputs).
    struct Collect(Vec<(u32, u32)>, u64, bool);
    impl Sink for Collect {
        fn fork(&self, _: u64) -> Self {
            Collect(Vec::new(), 0, self.2)
        }
        fn absorb(&mut self, other: Self) {
            self.0.extend(other.0);
            self.1 += other.1;
        }
        fn block(&mut self, left: &[u32], right: u32) {
            assert!(left.iter().all(|&l| l > right));
            self.1 += left.len() as u64;
            if self.2 {
                self.0.extend(left.iter().map(|&l| (l, right)));
            }
        }
    }

    #[test]
    fn enumerates_every_inversion_once() {
        let mut seed = 11u64;
        for n in [0usize, 1, 2, 5, 24, 25, 70, 300, 3_000, 40_000] {
            let mut v: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                let j = (lcg(&mut seed) % (i as u64 + 1)) as usize;
                v.swap(i, j);
            }
            let mut want = Vec::new();
            if n <= 300 {
                for i in 0..n {
                    for j in i + 1..n {
                        if v[j] < v[i] {
                            want.push((v[i], v[j]));
                        }
                    }
                }
            }
            let mut c = v.clone();
            let inv = sort_count(&mut c, &|a: &u32, b: &u32| a < b, false);
            for par in [false, true] {
                let mut w = v.clone();
                let mut sink = Collect(Vec::new(), 0, n <= 3_000);
                enumerate_inversions(&mut w, &mut sink, par);
                assert!(w.windows(2).all(|p| p[0] < p[1]));
                assert_eq!(sink.1, inv, "n={n}");
                let mut got = sink.0;
                got.sort_unstable();
                if n <= 300 {
                    want.sort_unstable();
                    assert_eq!(got, want, "n={n}");
                } else if n <= 3_000 {
                    got.dedup();
                    assert_eq!(got.len() as u64, inv);
                }
            }
        }
    }
}
