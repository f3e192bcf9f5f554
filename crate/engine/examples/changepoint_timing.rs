//! Timings of `changepoint` (a measurement, not a test; `large_equal_plain` also asserts that the
//! functional pruning gives the plain recursion's answer on large inputs). All, or the runs named:
//!
//! ```sh
//! cargo run --release -p conclude-engine --example changepoint_timing [-- bench_long large_equal_plain ...]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;
use common::Rng;

use conclude_engine::changepoint::{default_penalty, detect, pelt_l2, pelt_l2_plain};
use std::time::Instant;

/// CPU time of the calling thread, in seconds (the machine is shared: wall time is noisy).
fn cpu_time() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Runs `f`, printing wall and CPU time.
fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_time());
    let out = f();
    eprintln!("{label}: wall {:.3} s, cpu {:.3} s", t.elapsed().as_secs_f64(), cpu_time() - c);
    out
}

/// Gaussian noise (sigma 1) around a level that shifts by ±3 at `shifts` random places.
fn shifted(rng: &mut Rng, n: usize, shifts: usize, spikes: usize) -> Vec<f64> {
    let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    for _ in 0..shifts {
        let at = (rng.uniform() * n as f64) as usize;
        let d = if rng.uniform() < 0.5 { -3.0 } else { 3.0 };
        for v in &mut x[at..] {
            *v += d;
        }
    }
    for _ in 0..spikes {
        let at = (rng.uniform() * n as f64) as usize;
        x[at] += 30.0;
    }
    x
}

/// Gaussian noise (sigma 1) around a level alternating between 0 and 3 over `shifts + 1`
/// equal segments.
fn regular(rng: &mut Rng, n: usize, shifts: usize) -> Vec<f64> {
    (0..n).map(|i| if (i * (shifts + 1) / n) % 2 == 1 { 3.0 } else { 0.0 } + rng.normal()).collect()
}

fn fleet(label: &str, shifts: usize, spikes: usize, f: fn(&[f64], usize, usize, f64) -> Vec<usize>) {
    let mut rng = Rng(42);
    let series: Vec<Vec<f64>> = (0..1000).map(|_| shifted(&mut rng, 1440, shifts, spikes)).collect();
    let pens: Vec<f64> = series.iter().map(|x| default_penalty(x).unwrap()).collect();
    let found: usize = timed(&format!("fleet 1000 x 1440, {shifts} shift(s), {spikes} spikes, {label}"), || {
        series.iter().zip(&pens).map(|(x, &pen)| f(x, 2, 1, pen).len()).sum()
    });
    eprintln!("    {found} change points");
}

fn bench_fleet() {
    fleet("pelt_l2", 1, 0, pelt_l2);
    fleet("plain", 1, 0, pelt_l2_plain);
    fleet("pelt_l2", 0, 0, pelt_l2);
    fleet("plain", 0, 0, pelt_l2_plain);
    fleet("pelt_l2", 1, 5, pelt_l2);
    fleet("plain", 1, 5, pelt_l2_plain);
    // detect (default penalty + means), the engine's entry point
    let mut rng = Rng(42);
    let series: Vec<Vec<f64>> = (0..1000).map(|_| shifted(&mut rng, 1440, 1, 0)).collect();
    let found: usize =
        timed("fleet detect (default penalty), 1 shift", || series.iter().map(|x| detect(x, 2, 1, None).len()).sum());
    eprintln!("    {found} change points");
}

fn long(n: usize, shifts: usize, check_plain: bool) {
    let mut rng = Rng(7);
    let x = regular(&mut rng, n, shifts);
    let pen = default_penalty(&x).unwrap();
    let got = timed(&format!("n = {n}, {shifts} shift(s), pelt_l2"), || pelt_l2(&x, 2, 1, pen));
    eprintln!("    {} change points", got.len());
    if check_plain {
        let plain = timed(&format!("n = {n}, {shifts} shift(s), plain"), || pelt_l2_plain(&x, 2, 1, pen));
        assert_eq!(got, plain);
    }
}

fn bench_long() {
    long(1_000_000, 1, false);
    long(1_000_000, 100, true);
    long(1_000_000, 10_000, true);
    long(100_000, 1, true);
}

/// Large inputs where rounding is largest and ties are exact: the functional pruning must
/// still give the plain recursion's answer.
fn large_equal_plain() {
    let mut rng = Rng(99);
    // small integers with rare level changes (exact costs, many ties)
    let x: Vec<f64> = (0..60_000).map(|i| ((i / 7_000) % 3) as f64 + (rng.uniform() * 3.0).floor()).collect();
    for (ms, jump) in [(1, 1), (2, 1), (5, 3)] {
        let pen = default_penalty(&x).unwrap();
        let got = timed("integers 60000", || pelt_l2(&x, ms, jump, pen));
        assert_eq!(got, pelt_l2_plain(&x, ms, jump, pen));
        eprintln!("    {} change points", got.len());
    }
    // a huge offset with a drift, raw spikes
    let x: Vec<f64> = (0..200_000)
        .map(|i| 1e6 + (i as f64) * 1e-4 + rng.normal() + if rng.uniform() < 0.001 { 40.0 } else { 0.0 })
        .collect();
    let pen = default_penalty(&x).unwrap();
    let got = timed("drift with spikes 200000", || pelt_l2(&x, 2, 1, pen));
    assert_eq!(got, pelt_l2_plain(&x, 2, 1, pen));
    eprintln!("    {} change points", got.len());
}

fn bench_constant_stretches() {
    for n in [10_000usize, 40_000] {
        let x: Vec<f64> = (0..n).map(|i| if i < n / 2 { 0.0 } else { 1.0 }).collect();
        let got = timed(&format!("two constant halves n = {n}"), || pelt_l2(&x, 2, 1, 1.0));
        eprintln!("    {got:?}");
        let mut rng = Rng(5);
        let y: Vec<f64> = (0..n).map(|i| if (i / 1000) % 2 == 0 { 5.0 } else { 5.0 + rng.normal() }).collect();
        let got = timed(&format!("alternating constant / noisy n = {n}"), || pelt_l2(&y, 2, 1, 10.0));
        eprintln!("    {} change points", got.len());
    }
}

/// Other shapes at n = 1e6 (pelt_l2 only): nothing may degrade to quadratic time.
fn bench_shapes_1e6() {
    let n = 1_000_000;
    let mut rng = Rng(8);
    let spikes: Vec<f64> = (0..n).map(|_| rng.normal() + if rng.uniform() < 0.003 { 30.0 } else { 0.0 }).collect();
    let mut v = 0.0;
    let walk: Vec<f64> = (0..n)
        .map(|_| {
            v += 0.05 * rng.normal();
            v + rng.normal()
        })
        .collect();
    let ints: Vec<f64> = (0..n).map(|i| ((i / 100_000) % 2) as f64 + (rng.uniform() * 3.0).floor()).collect();
    let periodic: Vec<f64> = (0..n).map(|i| ((i % 24) as f64).sqrt() + 0.1 * rng.normal()).collect();
    let constant = vec![7.25; n];
    let drift: Vec<f64> = (0..n).map(|i| i as f64 * 1e-5 + rng.normal()).collect();
    let huge_shift: Vec<f64> = (0..n).map(|i| if i < n / 2 { 0.0 } else { 1e4 } + rng.normal()).collect();
    for (name, x) in [
        ("raw spikes", &spikes),
        ("random walk", &walk),
        ("small integers", &ints),
        ("periodic", &periodic),
        ("constant", &constant),
        ("linear drift", &drift),
        ("shift of 1e4 sigma", &huge_shift),
    ] {
        let pen = default_penalty(x).unwrap_or(1.0);
        for (ms, jump) in [(2, 1), (5, 1), (2, 5)] {
            let got = timed(&format!("{name}, min_size {ms}, jump {jump}"), || pelt_l2(x, ms, jump, pen));
            eprintln!("    {} change points", got.len());
        }
    }
}

fn bench_huge_shift() {
    let n = 1_000_000;
    let mut rng = Rng(8);
    for ratio in [1e3, 1e4] {
        let x: Vec<f64> = (0..n).map(|i| if i < n / 2 { 0.0 } else { ratio } + rng.normal()).collect();
        let pen = default_penalty(&x).unwrap();
        let got = timed(&format!("n = 1e6, shift of {ratio} sigma"), || pelt_l2(&x, 2, 1, pen));
        eprintln!("    {got:?}");
    }
}

/// Runs the measurements named on the command line (all when none is).
fn main() {
    let runs: &[(&str, fn())] = &[("bench_fleet", bench_fleet), ("bench_long", bench_long), ("large_equal_plain", large_equal_plain), ("bench_constant_stretches", bench_constant_stretches), ("bench_shapes_1e6", bench_shapes_1e6), ("bench_huge_shift", bench_huge_shift)];
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    for (run_name, run) in runs {
        if wanted.is_empty() || wanted.iter().any(|w| w == run_name) {
            eprintln!("== {run_name}");
            run();
        }
    }
}
