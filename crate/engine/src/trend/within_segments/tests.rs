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
