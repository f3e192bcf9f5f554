use super::*;
use crate::changepoint::level_shift::fit;
use crate::changepoint::level_shift::tests::noise as ar_noise;
use crate::trend::Direction;

fn noise(n: usize, seed: u64) -> Vec<f64> {
    ar_noise(n, 0.0, seed)
}

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

fn fitted(x: &[f64]) -> Option<LevelShiftFit> {
    let p: Vec<f64> = (0..x.len()).map(|i| i as f64).collect();
    fit(x, &p, 2, 1, None)
}

#[test]
fn a_pure_step_is_no_trend_and_explained() {
    let mut explained = 0;
    for seed in 1..=20 {
        let x: Vec<f64> =
            noise(1000, seed).iter().enumerate().map(|(i, e)| if i < 300 { 0.0 } else { 6.0 } + e).collect();
        let f = fitted(&x);
        assert_eq!(f.as_ref().unwrap().bkps, [300], "seed {seed}");
        let t = within_segments(&x, &all(1000), f.as_ref(), 0.05).unwrap();
        assert_eq!(mann_kendall(&x, 0.05).unwrap().trend, Direction::Increasing, "the original test calls it a trend");
        explained += t.level_shift_explained as usize;
        assert!(t.trend.h || t.level_shift_explained);
    }
    // At alpha 0.05 about one in twenty noise series rejects on its own.
    assert!(explained >= 17, "{explained} of 20");
}

#[test]
fn a_ramp_with_a_step_is_a_trend() {
    let x: Vec<f64> = noise(1440, 9)
        .iter()
        .enumerate()
        .map(|(i, e)| -8.0 * i as f64 / 1440.0 + if i < 900 { 0.0 } else { 6.0 } + e)
        .collect();
    let f = fitted(&x);
    let t = within_segments(&x, &all(1440), f.as_ref(), 0.05).unwrap();
    assert_eq!(t.trend.trend, Direction::Decreasing);
    assert!(!t.level_shift_explained);
    assert!((t.trend.slope * 1440.0 + 8.0).abs() < 0.6, "Sen's slope with the offsets removed: {}", t.trend.slope);
}

#[test]
fn without_shifts_or_autocorrelation_it_is_the_original_test() {
    let x: Vec<f64> = noise(500, 4).iter().enumerate().map(|(i, e)| 0.002 * i as f64 + e).collect();
    let f = LevelShiftFit { bkps: vec![], slope: 0.0, levels: vec![0.0], penalty: 1.0, noise_sd: 1.0, phi: 0.0 };
    let t = within_segments(&x, &all(500), Some(&f), 0.05).unwrap();
    assert_eq!(t.trend, mann_kendall(&x, 0.05).unwrap());
    assert!(!t.level_shift_explained);
}

#[test]
fn missing_values_keep_their_positions() {
    let mut x: Vec<f64> = noise(800, 6).iter().enumerate().map(|(i, e)| if i < 500 { 0.0 } else { -7.0 } + e).collect();
    for i in (0..800).step_by(7) {
        x[i] = f64::NAN;
    }
    let present: Vec<usize> = (0..800).filter(|&i| !x[i].is_nan()).collect();
    let values: Vec<f64> = present.iter().map(|&i| x[i]).collect();
    let p: Vec<f64> = present.iter().map(|&i| i as f64).collect();
    let f = fit(&values, &p, 2, 1, None).unwrap();
    assert_eq!(f.bkps.len(), 1);
    assert!((present[f.bkps[0]] as i64 - 500).abs() <= 1);
    let t = within_segments(&x, &present, Some(&f), 0.05).unwrap();
    assert_eq!(t.trend.n, present.len());
    assert_eq!(t.trend.trend, Direction::NoTrend);
}

#[test]
fn ar1_factor() {
    assert_eq!(ar1_variance_factor(1000, 0.0), 1.0);
    // About (1 + φ) / (1 - φ) for long series.
    let f = ar1_variance_factor(5000, 0.5);
    assert!((f - 2.9).abs() < 0.2, "{f}");
    assert!(ar1_variance_factor(5000, 0.8) > f);
}

/// What `within_segments` computed before its sorts were shared: the original test on the
/// series with the offsets removed (its own sort) and on the raw series (another sort).
fn unshared(x: &[f64], present: &[usize], f: &LevelShiftFit, alpha: f64) -> (Trend, bool) {
    let mut starts = vec![0];
    starts.extend(f.bkps.iter().map(|&b| present[b]));
    starts.push(x.len());
    let mut y = x.to_vec();
    for (seg, w) in starts.windows(2).enumerate() {
        for v in &mut y[w[0]..w[1]] {
            *v -= f.levels[seg] - f.levels[0];
        }
    }
    let raw = crate::trend::mk_score(x).unwrap();
    let s = starts.windows(2).filter_map(|w| crate::trend::mk_score(&x[w[0]..w[1]])).map(|m| m.s).sum();
    (Trend { s, ..mann_kendall(&y, alpha).unwrap() }, decide(raw.s, raw.var_s, alpha).h)
}

/// The whole series' sort and that of the series without the offsets are merges of the
/// segments' sorts: same S, ties, Sen's slope and intercept, bit for bit, as sorting each
/// anew, whatever the number of segments (odd, even, one value), ties (quantized values,
/// values equal across segments), missing values, and offsets that make two values of a
/// segment round to one (a sort then).
#[test]
fn shared_sorts_give_the_unshared_results() {
    let (mut checked, mut explained) = ([0usize; 2], 0);
    for seed in 1..=60u64 {
        let n = 40 + (seed as usize * 37) % 400;
        let quantized = seed % 4 < 2;
        let mut x: Vec<f64> = noise(n, seed)
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let slope = [0.0, 0.01, -0.002][seed as usize % 3];
                let v = slope * i as f64 + e + if i > n / 2 { 3.0 } else { 0.0 };
                if quantized { (v * 2.0).round() } else { v }
            })
            .collect();
        for i in (seed as usize % 5..n).step_by(11) {
            x[i] = f64::NAN;
        }
        let present: Vec<usize> = (0..n).filter(|&i| !x[i].is_nan()).collect();
        let m = present.len();
        let segments = 1 + (seed as usize % 9);
        let mut bkps: Vec<usize> = (1..segments).map(|s| s * m / segments).collect();
        if seed % 7 == 0 {
            bkps.push(m - 1); // a last segment of one value
        }
        bkps.dedup();
        let huge = seed % 10 == 0;
        let levels: Vec<f64> = (0..=bkps.len())
            .map(|s| if huge && s == 1 { 1e17 } else { 0.7 * s as f64 - 0.3 * (s % 2) as f64 })
            .collect();
        let f = LevelShiftFit { bkps, slope: 0.01, levels, penalty: 10.0, noise_sd: 1.0, phi: 0.3 };
        let got = within_segments(&x, &present, Some(&f), 0.05).unwrap();
        let (want, raw_h) = unshared(&x, &present, &f, 0.05);
        let t = &got.trend;
        assert_eq!(
            (t.s, t.slope.to_bits(), t.intercept.to_bits(), t.n),
            (want.s, want.slope.to_bits(), want.intercept.to_bits(), want.n),
            "seed {seed}"
        );
        assert_eq!(got.level_shift_explained, !t.h && !f.bkps.is_empty() && raw_h, "seed {seed}");
        checked[huge as usize] += 1;
        explained += got.level_shift_explained as usize;
    }
    assert!(checked[0] > 0 && checked[1] > 0 && explained > 0, "{checked:?} {explained}");
}

/// Merging the sorted runs gives the sort of their concatenation and, with the runs' own
/// inversions, all of its inversions (ties, runs of one value, odd and even run counts).
#[test]
fn merged_runs_are_the_sort_and_inversions_of_the_whole() {
    let less = |a: &f64, b: &f64| a < b;
    for seed in 1..=40u64 {
        let n = 1 + (seed as usize * 53) % 300;
        let values: Vec<f64> = noise(n, seed).iter().map(|e| if seed % 2 == 0 { (e * 2.0).round() } else { *e }).collect();
        let runs = 1 + seed as usize % 7;
        let mut ends: Vec<usize> = (1..runs).map(|r| r * n / runs).chain([n]).collect();
        ends.dedup();
        let (mut sorted, mut inversions, mut from) = (values.clone(), 0, 0);
        for &end in &ends {
            inversions += msort::sort_count(&mut sorted[from..end], &less, false);
            from = end;
        }
        let (merged, across) = merge_runs(&sorted, &ends);
        let mut whole = values.clone();
        let lt = msort::sort_count(&mut whole, &less, false);
        assert_eq!((merged, inversions + across), (whole, lt), "seed {seed}");
    }
}
