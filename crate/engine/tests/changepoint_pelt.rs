//! Tests of `changepoint`: PELT (l2) against
//!
//! * a literal transliteration of ruptures' `Pelt._seg` loop (admissible list, `KeyError`
//!   skips, first minimum, `<= F + pen` pruning) with ruptures' own segment costs
//!   (`x[t:b].var() * (b - t)`, numpy's two-pass variance: [`ruptures_cost`]), independent of
//!   the engine's prefix sums;
//! * brute-force optimal partitioning (O(n²) DP over the same grid, no pruning), which equals
//!   ruptures when `min_size == 1` and can only be better when `min_size > 1` (ruptures'
//!   pruning is unsafe within `min_size` of the pruning end);
//! * ruptures itself, through `tests/data/pelt_ruptures.json` written by
//!   `scripts/fixtures/pelt_oracle.py`.

mod common;
use common::Rng;
use serde_json::Value;

use conclude_engine::changepoint::{default_penalty, detect, pelt_l2, pelt_l2_plain, ruptures_cost};
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers (no dependency).

/// Piecewise-constant levels (random jumps of 2..8 sigma) plus Gaussian noise and spikes.
fn random_signal(rng: &mut Rng, n: usize) -> Vec<f64> {
    let sigma = *rng.pick(&[0.01, 1.0, 30.0]);
    let offset = *rng.pick(&[0.0, 5.0, -1e4]);
    let changes = rng.below(8);
    let mut level = offset;
    let mut cuts: Vec<usize> = (0..changes).map(|_| rng.below(n.max(1))).collect();
    cuts.sort_unstable();
    let mut x = Vec::with_capacity(n);
    let mut c = 0;
    for i in 0..n {
        while c < cuts.len() && cuts[c] == i {
            level += (if rng.uniform() < 0.5 { -1.0 } else { 1.0 }) * (2.0 + 6.0 * rng.uniform()) * sigma;
            c += 1;
        }
        x.push(level + sigma * rng.normal());
    }
    if rng.uniform() < 0.3 {
        for _ in 0..rng.below(4) {
            let i = rng.below(n.max(1));
            if i < n {
                x[i] += *rng.pick(&[-1.0, 1.0]) * 20.0 * sigma;
            }
        }
    }
    x
}

// ---------------------------------------------------------------------------------------------
// References.

/// `cost[s][e - s - 1]` = Σ (x - mean)² over `x[s..e]`, by Welford updates from each start.
struct CostTable {
    rows: Vec<Vec<f64>>,
}

impl CostTable {
    fn new(x: &[f64]) -> CostTable {
        let rows = (0..x.len())
            .map(|s| {
                let (mut mean, mut m2) = (0.0f64, 0.0f64);
                x[s..]
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| {
                        let d = v - mean;
                        mean += d / (k + 1) as f64;
                        m2 += d * (v - mean);
                        m2.max(0.0)
                    })
                    .collect()
            })
            .collect();
        CostTable { rows }
    }
    fn cost(&self, s: usize, e: usize) -> f64 {
        self.rows[s][e - s - 1]
    }
}

/// ruptures' candidate ends.
fn ends(n: usize, min_size: usize, jump: usize) -> Vec<usize> {
    let mut ind: Vec<usize> = (0..n).step_by(jump).filter(|&k| k >= min_size).collect();
    ind.push(n);
    ind
}

fn backtrack(prev: &HashMap<usize, usize>, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut b = n;
    while b != 0 {
        b = prev[&b];
        if b != 0 {
            out.push(b);
        }
    }
    out.reverse();
    out
}

/// Literal transliteration of ruptures 1.1.x `Pelt._seg` + `predict` (without the final n).
/// Returns the breakpoints and the final value.
fn ruptures_loop(x: &[f64], min_size: usize, jump: usize, pen: f64) -> (Vec<usize>, f64) {
    let n = x.len();
    let min_size = min_size.max(1);
    if n < 2 * min_size {
        return (Vec::new(), f64::NAN);
    }
    let mut f: HashMap<usize, f64> = HashMap::from([(0, 0.0)]);
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut admissible: Vec<usize> = Vec::new();
    for bkp in ends(n, min_size, jump) {
        admissible.push((bkp - min_size) / jump * jump);
        // subproblems, in admissible order, skipping starts without a partition (KeyError)
        let mut sub: Vec<(usize, f64)> = Vec::new();
        for &t in &admissible {
            if let Some(&ft) = f.get(&t) {
                sub.push((t, ft + (ruptures_cost(&x[t..bkp]) + pen)));
            }
        }
        // min(): first minimum
        let mut best = sub[0];
        for &c in &sub[1..] {
            if c.1 < best.1 {
                best = c;
            }
        }
        f.insert(bkp, best.1);
        prev.insert(bkp, best.0);
        // zip(admissible, subproblems): pairs by position, truncated to the shorter list
        admissible = admissible.iter().zip(&sub).filter(|(_, s)| s.1 <= best.1 + pen).map(|(&t, _)| t).collect();
    }
    (backtrack(&prev, n), f[&n])
}

/// Optimal partitioning over ruptures' grid: every start `t <= floor((b - min_size) / jump) * jump`
/// that has a partition, no pruning, first minimum.
fn optimal_partitioning(x: &[f64], min_size: usize, jump: usize, pen: f64, costs: &CostTable) -> (Vec<usize>, f64) {
    let n = x.len();
    let min_size = min_size.max(1);
    if n < 2 * min_size {
        return (Vec::new(), f64::NAN);
    }
    let mut f: HashMap<usize, f64> = HashMap::from([(0, 0.0)]);
    let mut prev: HashMap<usize, usize> = HashMap::new();
    for bkp in ends(n, min_size, jump) {
        let limit = (bkp - min_size) / jump * jump;
        let mut best: Option<(usize, f64)> = None;
        for t in (0..=limit).step_by(jump) {
            if let Some(&ft) = f.get(&t) {
                let v = ft + (costs.cost(t, bkp) + pen);
                if best.is_none_or(|b| v < b.1) {
                    best = Some((t, v));
                }
            }
        }
        let best = best.expect("t = 0 is always a start");
        f.insert(bkp, best.1);
        prev.insert(bkp, best.0);
    }
    (backtrack(&prev, n), f[&n])
}

/// Penalized l2 cost of a segmentation (accurate, from the cost table).
fn total(bkps: &[usize], n: usize, pen: f64, costs: &CostTable) -> f64 {
    let mut edges = vec![0];
    edges.extend_from_slice(bkps);
    edges.push(n);
    edges.windows(2).map(|w| costs.cost(w[0], w[1]) + pen).sum()
}

// ---------------------------------------------------------------------------------------------
// Randomized agreement.

#[test]
fn agrees_with_ruptures_loop_and_optimal_partitioning() {
    let mut rng = Rng(0x5EED_0001);
    let mut suboptimal = 0;
    let mut cases = 0;
    for case in 0..1500 {
        let n = if case % 10 == 0 { rng.range(0, 12) } else { rng.range(2, 400) };
        let x = random_signal(&mut rng, n);
        let min_size = rng.range(1, 5);
        let jump = rng.range(1, 5);
        let var = {
            let m = x.iter().sum::<f64>() / n.max(1) as f64;
            x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n.max(1) as f64
        };
        let pen = *rng.pick(&[0.01, 0.2, 1.0, 3.0, 10.0]) * (var.max(1e-300) * (n.max(2) as f64).ln()).max(1e-12);
        let costs = CostTable::new(&x);
        let got = pelt_l2(&x, min_size, jump, pen);
        let plain = pelt_l2_plain(&x, min_size, jump, pen);
        let (want, _) = ruptures_loop(&x, min_size, jump, pen);
        let ctx = format!("case {case}: n={n} min_size={min_size} jump={jump} pen={pen}");
        assert_eq!(plain, want, "plain vs ruptures loop, {ctx}");
        assert_eq!(got, want, "pelt_l2 vs ruptures loop, {ctx}");
        let (opt, _) = optimal_partitioning(&x, min_size, jump, pen, &costs);
        if min_size == 1 {
            assert_eq!(got, opt, "min_size 1 is optimal partitioning, {ctx}");
        } else if got != opt {
            // ruptures' pruning lost the optimum: its segmentation can only cost more.
            let (tg, to) = (total(&got, n, pen, &costs), total(&opt, n, pen, &costs));
            assert!(tg >= to * (1.0 - 1e-12), "{ctx}: {tg} < {to}");
            suboptimal += 1;
        }
        cases += 1;
        // Every change point is on the grid and every segment is long enough.
        let mut edges = vec![0];
        edges.extend_from_slice(&got);
        edges.push(n);
        if !got.is_empty() {
            for w in edges.windows(2) {
                assert!(w[1] - w[0] >= min_size, "{ctx}: segment {w:?}");
            }
        }
        assert!(got.iter().all(|b| b % jump == 0), "{ctx}: off-grid {got:?}");
    }
    eprintln!("{suboptimal} of {cases} cases: ruptures' answer is not the optimal partition (min_size > 1)");
}

/// Long series with few changes exercise the functional pruning of `pelt_l2` against the
/// plain recursion (which it must equal exactly).
#[test]
fn accelerated_equals_plain_on_long_series() {
    let mut rng = Rng(0x5EED_0002);
    for case in 0..40 {
        let n = rng.range(500, 4000);
        let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for _ in 0..rng.below(6) {
            let at = rng.below(n);
            let shift = *rng.pick(&[-4.0, -1.5, 0.8, 2.0, 5.0]);
            for v in &mut x[at..] {
                *v += shift;
            }
        }
        if case % 3 == 0 {
            for _ in 0..5 {
                let i = rng.below(n);
                x[i] += 25.0;
            }
        }
        let min_size = *rng.pick(&[1, 2, 2, 3, 5]);
        let jump = *rng.pick(&[1, 1, 1, 2, 5]);
        let pen = *rng.pick(&[0.5, 1.0, 3.0]) * (n as f64).ln();
        assert_eq!(
            pelt_l2(&x, min_size, jump, pen),
            pelt_l2_plain(&x, min_size, jump, pen),
            "case {case}: n={n} min_size={min_size} jump={jump} pen={pen}"
        );
    }
}

/// Signal families chosen to stress the functional pruning: exact ties (integer and
/// noiseless data), spikes, drifts, heavy tails, periodic patterns, huge offsets.
fn adversarial_signal(rng: &mut Rng, n: usize) -> Vec<f64> {
    match rng.below(10) {
        // small integers: costs are exact, ties everywhere
        0 => (0..n).map(|_| rng.below(3) as f64).collect(),
        // noiseless integer steps
        1 => {
            let mut level = 0.0;
            (0..n)
                .map(|_| {
                    if rng.uniform() < 0.02 {
                        level = rng.below(5) as f64;
                    }
                    level
                })
                .collect()
        }
        // raw spikes on noise
        2 => (0..n).map(|_| rng.normal() + if rng.uniform() < 0.02 { 30.0 } else { 0.0 }).collect(),
        // random walk (many changes)
        3 => {
            let mut v = 0.0;
            (0..n)
                .map(|_| {
                    v += rng.normal() * 0.3;
                    v + rng.normal()
                })
                .collect()
        }
        // heavy tails
        4 => (0..n).map(|_| rng.normal() / rng.uniform().max(1e-3)).collect(),
        // periodic pattern
        5 => {
            let period = rng.range(2, 20);
            (0..n).map(|i| ((i % period) as f64).sqrt()).collect()
        }
        // huge offset, tiny noise, one shift
        6 => {
            let at = rng.below(n.max(1));
            (0..n).map(|i| 1e9 + if i >= at { 1e-3 } else { 0.0 } + 1e-4 * rng.normal()).collect()
        }
        // constant stretches between noisy ones
        7 => {
            let mut x = Vec::with_capacity(n);
            while x.len() < n {
                let len = rng.range(1, 60).min(n - x.len());
                if rng.uniform() < 0.5 {
                    let v = *rng.pick(&[0.0, 1.0, 0.1]);
                    x.extend(std::iter::repeat_n(v, len));
                } else {
                    x.extend((0..len).map(|_| rng.normal()));
                }
            }
            x
        }
        // long flat noise with rare shifts (the accelerated regime)
        8 => {
            let mut level = 0.0;
            (0..n)
                .map(|_| {
                    if rng.uniform() < 0.002 {
                        level += *rng.pick(&[-3.0, -1.0, 0.7, 2.0, 4.0]);
                    }
                    level + rng.normal()
                })
                .collect()
        }
        _ => random_signal(rng, n),
    }
}

/// `pelt_l2` (functional pruning) equals the plain recursion, exactly. `PELT_FUZZ_CASES`
/// raises the number of cases (run it in release for large counts), `PELT_FUZZ_SEED`
/// changes them.
#[test]
fn accelerated_equals_plain_fuzz() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let cases: usize = env("PELT_FUZZ_CASES").unwrap_or(400) as usize;
    let mut rng = Rng(env("PELT_FUZZ_SEED").unwrap_or(0x5EED_0003));
    for case in 0..cases {
        let sizes = [rng.range(0, 30), rng.range(30, 300), rng.range(300, 1500)];
        let n = *rng.pick(&sizes);
        let x = adversarial_signal(&mut rng, n);
        let min_size = *rng.pick(&[1, 1, 2, 2, 2, 3, 4, 5, 8, 10]);
        let jump = *rng.pick(&[1, 1, 1, 2, 3, 5, 7]);
        let scale = default_penalty(&x).unwrap_or(1.0);
        let pen = *rng.pick(&[0.0, 1e-9, 0.01, 0.1, 0.5, 1.0, 1.0, 2.0, 10.0]) * scale;
        assert_eq!(
            pelt_l2(&x, min_size, jump, pen),
            pelt_l2_plain(&x, min_size, jump, pen),
            "case {case}: n={n} min_size={min_size} jump={jump} pen={pen}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Edge cases.

#[test]
fn short_series_have_no_change_points() {
    for n in 0..10 {
        let x: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 0.0 } else { 100.0 }).collect();
        for min_size in 1..=5 {
            if n < 2 * min_size {
                assert!(pelt_l2(&x, min_size, 1, 0.1).is_empty(), "n={n} min_size={min_size}");
                assert!(detect(&x, min_size, 1, Some(0.1)).is_empty());
            }
        }
    }
    // min_size 0 is ruptures' max(min_size, 1) = 1.
    assert_eq!(pelt_l2(&[0.0, 10.0], 0, 1, 0.1), vec![1]);
    assert_eq!(pelt_l2(&[0.0, 10.0], 1, 1, 0.1), vec![1]);
}

#[test]
fn constant_series_have_no_change_points() {
    for v in [0.0, 0.1, -3.7, 1e6, 1e-300] {
        let x = vec![v; 50];
        for (min_size, jump) in [(1, 1), (2, 1), (3, 2), (1, 7)] {
            assert!(pelt_l2(&x, min_size, jump, 1e-9).is_empty(), "v={v}");
        }
        assert_eq!(default_penalty(&x), None);
        assert!(detect(&x, 2, 1, None).is_empty());
    }
}

#[test]
fn infinite_penalty_means_no_change_point() {
    let x: Vec<f64> = (0..40).map(|i| if i < 20 { 0.0 } else { 9.0 }).collect();
    assert!(pelt_l2(&x, 2, 1, f64::INFINITY).is_empty());
    assert_eq!(pelt_l2(&x, 2, 1, 1.0), vec![20]);
}

#[test]
fn jump_restricts_change_points_to_its_multiples() {
    // The true change at 23 is only reachable at 20 or 25 with jump 5.
    let x: Vec<f64> = (0..50).map(|i| if i < 23 { 0.0 } else { 10.0 }).collect();
    assert_eq!(pelt_l2(&x, 2, 1, 1.0), vec![23]);
    let got = pelt_l2(&x, 2, 5, 1.0);
    assert!(got.iter().all(|b| b % 5 == 0) && !got.is_empty(), "{got:?}");
    // A jump larger than n leaves only the whole signal.
    assert!(pelt_l2(&x, 2, 60, 1.0).is_empty());
}

#[test]
fn exact_ties_go_to_the_smallest_start() {
    // Mean 0, so the centred data are exact: splitting before or after the spike costs the
    // same, bit for bit; ruptures' `min` keeps the first (smallest) start.
    let x = [-1.0, -1.0, 4.0, -1.0, -1.0];
    assert_eq!(pelt_l2(&x, 2, 1, 1.0), vec![2]);
    assert_eq!(pelt_l2_plain(&x, 2, 1, 1.0), vec![2]);
    let y = [-2.0, -2.0, -2.0, 12.0, -2.0, -2.0, -2.0];
    assert_eq!(pelt_l2(&y, 3, 1, 1.0), vec![3]);
}

#[test]
fn equal_cost_segmentations_resolve_as_in_ruptures() {
    // Issue 12: [2] and [2, 4] both cost 23,775 in exact arithmetic (and in ruptures' floats);
    // ruptures' `min` keeps the first candidate in admissible order, start 2 at the end 6.
    let x = [404.0, 186.0, 0.0, 2.0, 0.0, 4.0];
    assert_eq!(pelt_l2(&x, 2, 1, 1.0), vec![2]);
    assert_eq!(pelt_l2_plain(&x, 2, 1, 1.0), vec![2]);
}

/// Families where exact ties are common (integers, noiseless steps, periodic patterns,
/// constant stretches): the engine follows the literal loop in ruptures' own arithmetic.
#[test]
fn ties_follow_ruptures_arithmetic() {
    let mut rng = Rng(0x5EED_0004);
    let mut checked = 0;
    while checked < 600 {
        let n = rng.range(4, 250);
        let x = adversarial_signal(&mut rng, n);
        if !x.iter().all(|v| v.fract() == 0.0) && rng.uniform() < 0.7 {
            continue; // mostly integer data
        }
        let min_size = *rng.pick(&[1, 2, 2, 3, 4, 5]);
        let jump = *rng.pick(&[1, 1, 2, 3]);
        let pen = *rng.pick(&[0.5, 1.0, 1.0, 2.0, 3.0]);
        let (want, _) = ruptures_loop(&x, min_size, jump, pen);
        let ctx = format!("n={n} min_size={min_size} jump={jump} pen={pen} x={x:?}");
        assert_eq!(pelt_l2(&x, min_size, jump, pen), want, "{ctx}");
        assert_eq!(pelt_l2_plain(&x, min_size, jump, pen), want, "{ctx}");
        checked += 1;
    }
}

#[test]
fn min_size_two_and_spikes_on_raw_data() {
    // A single spike cannot be its own segment with min_size 2; with min_size 1 it is.
    let mut x = vec![0.0; 30];
    x[15] = 50.0;
    assert_eq!(pelt_l2(&x, 1, 1, 1.0), vec![15, 16]);
    let got = pelt_l2(&x, 2, 1, 1.0);
    assert!(got == vec![14, 16] || got == vec![15, 17], "{got:?}");
}

#[test]
#[should_panic(expected = "jump")]
fn zero_jump_panics() {
    pelt_l2(&[0.0, 1.0, 2.0, 3.0], 1, 0, 1.0);
}

// ---------------------------------------------------------------------------------------------
// default_penalty and detect.

#[test]
fn default_penalty_formula() {
    assert_eq!(default_penalty(&[]), None);
    assert_eq!(default_penalty(&[1.0]), None);
    // One difference: MAD 0 and std 0.
    assert_eq!(default_penalty(&[1.0, 2.0]), None);
    // MAD of the differences: d = [1, -1, 1, -1, 3], median 1, |d - 1| = [0, 2, 0, 2, 2].
    let x = [0.0, 1.0, 0.0, 1.0, 0.0, 3.0];
    let s = 1.482602218505602 * 2.0 / 2f64.sqrt();
    assert_eq!(default_penalty(&x), Some(3.0 * (s * s) * 6f64.ln()));
    // MAD 0 (a linear ramp with one kink): population std of the differences.
    let mut y: Vec<f64> = (0..10).map(|i| i as f64).collect();
    y[9] = 20.0;
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / d.len() as f64).sqrt();
    let s = sd / 2f64.sqrt();
    let want = 3.0 * (s * s) * 10f64.ln();
    let got = default_penalty(&y).unwrap();
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
    // A perfect ramp: every difference equal, no noise scale.
    let ramp: Vec<f64> = (0..10).map(|i| 2.0 * i as f64).collect();
    assert_eq!(default_penalty(&ramp), None);
}

#[test]
fn detect_reports_segment_means() {
    let mut x = vec![1.0; 20];
    x.extend(vec![5.0; 10]);
    x.extend(vec![2.0; 15]);
    let cps = detect(&x, 2, 1, Some(1.0));
    assert_eq!(cps.len(), 2);
    assert_eq!(cps[0].index, 20);
    assert_eq!((cps[0].mean_before, cps[0].mean_after, cps[0].delta), (1.0, 5.0, 4.0));
    assert_eq!(cps[1].index, 30);
    assert_eq!((cps[1].mean_before, cps[1].mean_after, cps[1].delta), (5.0, 2.0, -3.0));
    assert!(cps.iter().all(|c| c.penalty == 1.0));
    // Default penalty: noisy steps are found, the penalty is reported.
    let mut rng = Rng(7);
    let y: Vec<f64> = (0..300).map(|i| if i < 100 { 0.0 } else if i < 200 { 8.0 } else { 3.0 } + rng.normal()).collect();
    let cps = detect(&y, 2, 1, None);
    let pen = default_penalty(&y).unwrap();
    assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), vec![100, 200]);
    assert!(cps.iter().all(|c| c.penalty == pen));
    let before: f64 = y[..100].iter().sum::<f64>() / 100.0;
    assert_eq!(cps[0].mean_before, before);
}

// ---------------------------------------------------------------------------------------------
// ruptures itself.

#[test]
fn agrees_with_ruptures_fixtures() {
    check_ruptures_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pelt_ruptures.json"), true);
}

/// The same check on another file of the fixture's format, e.g. longer signals written
/// by hand with ruptures: `PELT_RUPTURES_JSON=path cargo test -- --ignored`.
#[test]
#[ignore = "needs PELT_RUPTURES_JSON naming a file of ruptures results to compare with"]
fn agrees_with_ruptures_file() {
    let path = std::env::var("PELT_RUPTURES_JSON").expect("PELT_RUPTURES_JSON");
    check_ruptures_file(&path, false);
}

fn check_ruptures_file(path: &str, full_fixture: bool) {
    let text = std::fs::read_to_string(path).expect("run scripts/fixtures/pelt_oracle.py");
    let root: Value = serde_json::from_str(&text).expect("fixture JSON");
    let cases = root["cases"].as_array().expect("cases");
    assert!(!full_fixture || cases.len() > 100, "fixture has {} cases", cases.len());
    let mut checked_default = 0;
    let mut not_optimal = 0;
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let x: Vec<f64> = floats(&case["x"]);
        let min_size = case["min_size"].as_u64().expect("min_size") as usize;
        let jump = case["jump"].as_u64().expect("jump") as usize;
        let pen = case["penalty"].as_f64().expect("penalty");
        let want: Vec<usize> = indices(&case["expected"]);
        assert_eq!(pelt_l2(&x, min_size, jump, pen), want, "{name}: pelt_l2");
        assert_eq!(pelt_l2_plain(&x, min_size, jump, pen), want, "{name}: plain");
        let got: Vec<usize> = detect(&x, min_size, jump, Some(pen)).iter().map(|c| c.index).collect();
        assert_eq!(got, want, "{name}: detect");
        if name.starts_with("ruptures-not-optimal") {
            // ruptures' unsafe pruning, reproduced: the optimum is something else.
            let (opt, _) = optimal_partitioning(&x, min_size, jump, pen, &CostTable::new(&x));
            assert_ne!(opt, want, "{name}");
            not_optimal += 1;
        }

        let dp = &case["default_penalty"];
        match (dp, default_penalty(&x)) {
            (Value::Null, None) => {}
            (Value::Number(w), Some(g)) => {
                let w = w.as_f64().expect("default penalty");
                assert!((g - w).abs() <= 1e-12 * w.abs(), "{name}: default penalty {g} vs {w}");
                if case["expected_default"].is_array() {
                    let want = indices(&case["expected_default"]);
                    let got: Vec<usize> = detect(&x, min_size, jump, None).iter().map(|c| c.index).collect();
                    assert_eq!(got, want, "{name}: detect with the default penalty");
                    checked_default += 1;
                }
            }
            (w, g) => panic!("{name}: default penalty {g:?} vs {w:?}"),
        }
    }
    if full_fixture {
        assert!(checked_default > 50);
        assert!(not_optimal >= 5);
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().expect("index") as usize).collect()
}
