use super::*;

/// Deterministic, roughly Gaussian noise (sum of 12 uniforms), AR(1) with `phi` and unit
/// marginal variance (shared by the tests of the modules that use the fit).
pub(crate) fn noise(n: usize, phi: f64, seed: u64) -> Vec<f64> {
    let mut s = seed;
    let mut normal = || {
        let mut acc = 0.0;
        for _ in 0..12 {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            acc += (s >> 11) as f64 / (1u64 << 53) as f64;
        }
        acc - 6.0
    };
    let inn = (1.0 - phi * phi).sqrt();
    let mut e = normal();
    (0..n)
        .map(|i| {
            if i > 0 {
                e = phi * e + inn * normal();
            }
            e
        })
        .collect()
}

fn positions(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

#[test]
fn a_pure_ramp_has_no_change_point() {
    for seed in 1..=20 {
        let n = 1440;
        let x: Vec<f64> =
            noise(n, 0.0, seed).iter().enumerate().map(|(i, e)| 50.0 + 8.0 * i as f64 / n as f64 + e).collect();
        let fit = fit(&x, &positions(n), 2, 1, None).unwrap();
        assert!(fit.bkps.is_empty(), "seed {seed}: {:?}", fit.bkps);
        assert!((fit.slope * n as f64 - 8.0).abs() < 0.5, "seed {seed}: slope {}", fit.slope);
        // The l2 cost alone cuts the same ramp into steps.
        assert!(!pelt_l2(&x, 2, 1, super::super::default_penalty(&x).unwrap()).is_empty());
    }
}

#[test]
fn a_pure_step_has_one_change_point_and_no_slope() {
    for seed in 1..=20 {
        let n = 1000;
        let x: Vec<f64> =
            noise(n, 0.0, seed).iter().enumerate().map(|(i, e)| if i < 400 { 10.0 } else { 16.0 } + e).collect();
        let cps = detect(&x, &positions(n), 2, 1, None);
        assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), [400], "seed {seed}");
        assert!((cps[0].delta - 6.0).abs() < 0.5, "seed {seed}: delta {}", cps[0].delta);
    }
}

#[test]
fn a_step_on_a_ramp_reports_the_jump_not_the_difference_of_means() {
    let n = 1200;
    let x: Vec<f64> = noise(n, 0.0, 7)
        .iter()
        .enumerate()
        .map(|(i, e)| 0.01 * i as f64 + if i < 600 { 0.0 } else { -5.0 } + e)
        .collect();
    let cps = detect(&x, &positions(n), 2, 1, None);
    assert_eq!(cps.len(), 1);
    let c = &cps[0];
    assert!((c.index as i64 - 600).abs() <= 2, "{c:?}");
    assert!((c.delta + 5.0).abs() < 0.4, "{c:?}");
    // The segment means also differ by the slope over 600 points (+6).
    assert!((c.mean_after - c.mean_before - 1.0).abs() < 0.4, "{c:?}");
}

#[test]
fn ar1_noise_does_not_read_as_level_shifts() {
    let mut false_shifts = 0;
    let mut l2_false = 0;
    for seed in 1..=20 {
        let x = noise(1440, 0.5, seed);
        false_shifts += detect(&x, &positions(1440), 2, 1, None).len();
        l2_false += super::super::detect(&x, 2, 1, None).len();
    }
    assert!(false_shifts <= 2, "{false_shifts} false level shifts in 20 AR(1) series");
    assert!(l2_false > 100, "the l2 default penalty was expected to over-segment: {l2_false}");
}

#[test]
fn noise_estimates_follow_phi() {
    for &phi in &[0.0, 0.5, 0.8] {
        let (var_d, got) = noise_of_differences(&noise(20_000, phi, 3)).unwrap();
        assert!((got - phi).abs() < 0.05, "phi {phi}: {got}");
        let sigma2 = var_d / (2.0 * (1.0 - got));
        assert!((sigma2 - 1.0).abs() < 0.1, "phi {phi}: sigma2 {sigma2}");
    }
}

#[test]
fn given_penalty_and_missing_positions_are_used() {
    let n = 600;
    // Every other position is missing: the slope is per position, not per value.
    let p: Vec<f64> = (0..n).map(|i| 2.0 * i as f64).collect();
    let x: Vec<f64> = noise(n, 0.0, 5).iter().zip(&p).map(|(e, p)| 0.01 * p + e).collect();
    let f = fit(&x, &p, 2, 1, Some(1e9)).unwrap();
    assert!(f.bkps.is_empty());
    assert_eq!(f.penalty, 1e9);
    assert!((f.slope - 0.01).abs() < 0.002, "{}", f.slope);
    assert!(fit(&[1.0; 50], &positions(50), 2, 1, None).is_none(), "constant series: no penalty, no fit");
}

#[test]
fn a_step_in_quantized_data_with_zero_mad_of_differences_is_found() {
    // Most first differences are equal (MAD 0): the penalty falls back to their variance.
    let x: Vec<f64> = (0..120).map(|i| if i < 60 { 10.0 } else { 20.0 } + ((i * 7919) % 13) as f64 / 100.0).collect();
    let cps = detect(&x, &positions(120), 2, 1, None);
    assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), [60]);
}

#[test]
fn a_shift_on_a_ramp_takes_at_most_two_segmentations_and_is_found() {
    // The coarse staircase's slope is too small on a ramp, so the first residual still
    // holds part of it: a second segmentation, and no third one (MAX_ROUNDS), is computed;
    // the elimination removes the staircase steps left in it.
    let n = 1440;
    let mut most = 0;
    for seed in 1..=20 {
        let x: Vec<f64> = noise(n, 0.0, seed)
            .iter()
            .enumerate()
            .map(|(i, e)| 8.0 * i as f64 / n as f64 + if i < 700 { 0.0 } else { 5.0 } + e)
            .collect();
        let (f, segmentations) = fit_counted(&x, &positions(n), 2, 1, None).unwrap();
        most = most.max(segmentations);
        assert_eq!(f.bkps.len(), 1, "seed {seed}: {:?}", f.bkps);
        assert!((f.bkps[0] as i64 - 700).abs() <= 3, "seed {seed}: {:?}", f.bkps);
        assert!((f.slope * n as f64 - 8.0).abs() < 0.8, "seed {seed}: slope {}", f.slope);
    }
    assert_eq!(most, MAX_ROUNDS, "every ramp settled after one segmentation: not the case this tests");
    assert!(most <= 2, "{most} segmentations");
}
