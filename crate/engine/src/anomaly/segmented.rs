//! Hampel windows that do not cross a level shift.
//!
//! Near a level shift the plain Hampel window holds points of two levels: its median
//! sits between them and the points of the minority level look anomalous. Given the
//! segmentation of the series (the bounds of [`crate::changepoint::level_shift`]),
//! [`hampel_within_segments`] recomputes the decision only for the points whose plain
//! window crosses a segment bound, with the window truncated at that bound (as the plain
//! filter truncates it at the ends of the series); every other point keeps its plain
//! result, so the cost is `O(k log k)` per change point on top of the plain filter.
//!
//! The window's scale `1.4826 * MAD` of `2k + 1` points is itself noisy (about ±20 % for
//! k = 30), and a window whose scale comes out low flags ordinary noise: with Gaussian
//! noise that, not the level shifts, is where most false anomalies come from. The scale
//! used is therefore `max(1.4826 * MAD, floor)`, `floor` the series' robust noise scale
//! (from the level-shift fit); a larger scale only removes plain anomalies, so they are
//! filtered, not recomputed. `score` is the deviation over the scale used.

use super::{hampel_range, Anomaly, MAD_SCALE};
use std::ops::Range;

/// The anomalies of `x` with windows truncated at the segment `bounds` (`[0, .., n]`,
/// ascending) and the scale at least `floor`, given `plain`, the plain Hampel anomalies
/// of `x` with the same parameters (index order). The result is in index order.
pub fn hampel_within_segments(
    x: &[f64],
    half_window: usize,
    threshold: f64,
    plain: Vec<Anomaly>,
    bounds: &[usize],
    floor: f64,
) -> Vec<Anomaly> {
    let n = x.len();
    debug_assert!(bounds.first() == Some(&0) && bounds.last() == Some(&n));
    let keep = |a: Anomaly| with_floor(a, threshold, floor);
    if bounds.len() <= 2 {
        return plain.into_iter().filter_map(keep).collect();
    }
    let k = half_window;
    // Per segment, the points whose plain window reaches over its start or its end.
    let mut redone: Vec<Range<usize>> = Vec::new();
    let mut fresh: Vec<Anomaly> = Vec::new();
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        let head = if a > 0 { a..b.min(a.saturating_add(k)) } else { a..a };
        let tail = if b < n { b.saturating_sub(k).max(head.end)..b } else { b..b };
        let segment = &x[a..b];
        for r in [head, tail] {
            if r.is_empty() {
                continue;
            }
            let start = fresh.len();
            hampel_range(segment, k, threshold, r.start - a..r.end - a, &mut fresh);
            for an in &mut fresh[start..] {
                an.index += a;
            }
            redone.push(r);
        }
    }
    // Ranges are disjoint and ascending; keep the plain results outside them.
    let mut out = Vec::with_capacity(plain.len() + fresh.len());
    let mut ranges = redone.iter().peekable();
    let mut fresh = fresh.into_iter().peekable();
    for an in plain {
        while ranges.peek().is_some_and(|r| r.end <= an.index) {
            ranges.next();
        }
        while fresh.peek().is_some_and(|f| f.index < an.index) {
            out.extend(fresh.next());
        }
        if !ranges.peek().is_some_and(|r| r.contains(&an.index)) {
            out.push(an);
        }
    }
    out.extend(fresh);
    out.into_iter().filter_map(keep).collect()
}

/// `a` if it is still anomalous with the scale `max(1.4826 * MAD, floor)`, with its score
/// over that scale (the plain filter's test and quotient when `floor` does not apply).
fn with_floor(mut a: Anomaly, threshold: f64, floor: f64) -> Option<Anomaly> {
    let sigma = MAD_SCALE * a.mad;
    // (A NaN sigma keeps the plain decision.)
    if floor.partial_cmp(&sigma) != Some(std::cmp::Ordering::Greater) {
        return Some(a);
    }
    let deviation = (a.value - a.median).abs();
    (deviation > threshold * floor).then(|| {
        a.score = Some(deviation / floor);
        a
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::hampel_sequential;
    use crate::changepoint::level_shift::tests::noise as ar_noise;

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        ar_noise(n, 0.0, seed)
    }

    #[test]
    fn no_change_point_is_the_plain_filter() {
        let x = noise(500, 1);
        let plain = hampel_sequential(&x, 10, 3.0);
        assert_eq!(hampel_within_segments(&x, 10, 3.0, plain.clone(), &[0, 500], 0.0), plain);
    }

    #[test]
    fn equals_hampel_on_each_segment_separately() {
        let mut x = noise(400, 2);
        for v in &mut x[150..] {
            *v += 8.0;
        }
        for v in &mut x[260..] {
            *v -= 15.0;
        }
        x[152] += 30.0;
        x[40] -= 30.0;
        let bounds = [0, 150, 260, 400];
        let (k, t) = (30, 2.5);
        let got = hampel_within_segments(&x, k, t, hampel_sequential(&x, k, t), &bounds, 0.0);
        let mut want = Vec::new();
        for w in bounds.windows(2) {
            for mut an in hampel_sequential(&x[w[0]..w[1]], k, t) {
                an.index += w[0];
                want.push(an);
            }
        }
        assert_eq!(got, want);
        assert!(got.iter().any(|a| a.index == 152) && got.iter().any(|a| a.index == 40));
    }

    #[test]
    fn the_noise_scale_floor_removes_false_anomalies_of_low_windows() {
        let (mut plain_false, mut floored_false, mut spikes_found) = (0, 0, 0);
        for seed in 1..=20 {
            let mut x = noise(1440, seed);
            let spikes = [100 + seed as usize, 700, 1300];
            for &i in &spikes {
                x[i] += 12.0;
            }
            let plain = hampel_sequential(&x, 30, 4.0);
            plain_false += plain.iter().filter(|a| !spikes.contains(&a.index)).count();
            // The noise has unit variance.
            let floored = hampel_within_segments(&x, 30, 4.0, plain, &[0, 1440], 1.0);
            floored_false += floored.iter().filter(|a| !spikes.contains(&a.index)).count();
            spikes_found += floored.iter().filter(|a| spikes.contains(&a.index)).count();
        }
        assert!(plain_false >= 5, "the plain filter was expected to flag noise: {plain_false}");
        assert!(
            floored_false * 4 <= plain_false,
            "{floored_false} false anomalies with the floor, {plain_false} without"
        );
        assert_eq!(spikes_found, 60);
    }
}
