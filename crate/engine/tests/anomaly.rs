//! The sliding-window Hampel filter against a brute-force one that sorts every
//! window, and the parallel chunked path against the sequential one.

mod common;
use common::Rng;

use conclude_engine::anomaly::{hampel, hampel_chunked, hampel_sequential, Anomaly, MAD_SCALE, PARALLEL_MIN_LEN};

/// `np.median`: `np.mean` of the middle value(s), i.e. `0.0 + a` or `((0.0 + a) + b) / 2`.
fn np_median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let h = v.len() / 2;
    if v.len() % 2 == 1 {
        0.0 + v[h]
    } else {
        ((0.0 + v[h - 1]) + v[h]) / 2.0
    }
}

/// The SPEC definition, literally.
fn brute_hampel(x: &[f64], k: usize, t: f64) -> Vec<Anomaly> {
    let n = x.len();
    let mut out = Vec::new();
    for i in 0..n {
        let w = &x[i.saturating_sub(k)..=(i + k).min(n - 1)];
        let med = np_median(&mut w.to_vec());
        let mad = np_median(&mut w.iter().map(|&v| (v - med).abs()).collect::<Vec<_>>());
        let sigma = MAD_SCALE * mad;
        let dev = (x[i] - med).abs();
        if dev > t * sigma {
            let score = (sigma != 0.0).then(|| dev / sigma);
            out.push(Anomaly { index: i, value: x[i], median: med, mad, score });
        }
    }
    out
}

/// Bit patterns, so `-0.0` vs `0.0` and last-bit differences are caught.
fn bits(v: &[Anomaly]) -> Vec<(usize, u64, u64, u64, Option<u64>)> {
    v.iter()
        .map(|a| (a.index, a.value.to_bits(), a.median.to_bits(), a.mad.to_bits(), a.score.map(f64::to_bits)))
        .collect()
}

/// Roughly Gaussian (sum of four uniforms).
fn gauss(rng: &mut Rng) -> f64 {
    (0..4).map(|_| rng.uniform()).sum::<f64>() - 2.0
}

/// Series with heavy ties, constant runs, signed zeros and spikes.
fn series(rng: &mut Rng, n: usize) -> Vec<f64> {
    let kind = rng.below(6);
    let mut x: Vec<f64> = match kind {
        0 => (0..n).map(|_| gauss(rng)).collect(),
        1 => (0..n).map(|_| rng.below(4) as f64).collect(),
        2 => (0..n).map(|_| [0.0, -0.0, 0.1, 0.2, 0.3][rng.below(5)]).collect(),
        3 => {
            let mut v = Vec::with_capacity(n);
            while v.len() < n {
                let (level, run) = (rng.below(5) as f64 * 0.5, 1 + rng.below(40));
                v.extend(std::iter::repeat_n(level, run.min(n - v.len())));
            }
            v
        }
        4 => vec![[1.25, 0.0, -0.0][rng.below(3)]; n],
        _ => (0..n).map(|i| (i as f64 * 0.01).sin() + 0.1 * gauss(rng)).collect(),
    };
    for _ in 0..n / 25 {
        let i = rng.below(n);
        x[i] += if rng.below(2) == 0 { 30.0 } else { -7.5 };
    }
    x
}

#[test]
fn matches_brute_force_on_random_series() {
    let mut rng = Rng(1);
    let mut found = 0;
    for case in 0..1200 {
        let n = 1 + rng.below(if case % 4 == 0 { 40 } else { 500 });
        let k = rng.below(41); // 0..=40, often n < 2k + 1
        let t = [0.0, 1.0, 2.0, 3.0, 4.0][rng.below(5)];
        let x = series(&mut rng, n);
        let want = brute_hampel(&x, k, t);
        found += want.len();
        assert_eq!(bits(&hampel(&x, k, t)), bits(&want), "case {case}: n={n} k={k} t={t} x={x:?}");
    }
    assert!(found > 500, "the cases must exercise anomalies ({found})");
}

#[test]
fn large_windows_match_brute_force() {
    // Windows of over 1,000 values, some wider than the series.
    let mut rng = Rng(2);
    for (n, k) in [(1200, 513), (1100, 1500), (1600, 600)] {
        let x = series(&mut rng, n);
        assert_eq!(bits(&hampel(&x, k, 3.0)), bits(&brute_hampel(&x, k, 3.0)), "n={n} k={k}");
    }
}

#[test]
fn chunked_equals_sequential() {
    let mut rng = Rng(3);
    for (n, k, chunk) in [(5000, 30, 1), (5000, 30, 7), (5000, 3, 333), (4000, 600, 1000), (300, 40, 64)] {
        let x = series(&mut rng, n);
        assert_eq!(bits(&hampel_chunked(&x, k, 4.0, chunk)), bits(&hampel_sequential(&x, k, 4.0)));
    }
}

#[test]
fn parallel_path_at_large_n_equals_sequential() {
    let mut rng = Rng(4);
    let n = PARALLEL_MIN_LEN * 3 + 17;
    let x: Vec<f64> = (0..n)
        .map(|i| (i as f64 * 0.001).sin() + 0.2 * gauss(&mut rng) + if i % 997 == 0 { 9.0 } else { 0.0 })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for k in [30, 3] {
        let seq = hampel_sequential(&x, k, 4.0);
        assert!(seq.len() > 100);
        assert_eq!(bits(&pool.install(|| hampel(&x, k, 4.0))), bits(&seq), "k={k}");
    }
}

#[test]
fn edge_cases() {
    assert!(hampel(&[], 30, 4.0).is_empty());
    assert!(hampel(&[7.0], 30, 4.0).is_empty());
    // k = 0: every window is the point itself.
    assert!(hampel(&[1.0, 100.0, 1.0], 0, 4.0).is_empty());
    // sigma == 0 with the point off the median: anomalous (d > 0), no score.
    let a = hampel(&[1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0], 3, 4.0);
    assert_eq!(a, vec![Anomaly { index: 3, value: 5.0, median: 1.0, mad: 0.0, score: None }]);
    // Strict: a point exactly at t * sigma is not anomalous. Window of index 0
    // (k = 2): [0, 0, 1] -> med 0, mad 0; index 2: [0, 0, 1, 0, 0] -> same.
    assert_eq!(hampel(&[0.0, 0.0, 1.0, 0.0, 0.0], 2, 4.0).iter().map(|a| a.index).collect::<Vec<_>>(), vec![2]);
    // Huge half-window: every window is the whole series.
    let x = [1.0, 2.0, 3.0, 100.0];
    assert_eq!(hampel(&x, usize::MAX, 3.0), brute_hampel(&x, 1000, 3.0));
}
