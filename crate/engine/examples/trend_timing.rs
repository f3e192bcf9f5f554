//! Timings of Mann-Kendall and Sen's slope at n = 1,440, 100,000 and 1,000,000 (a measurement,
//! not a test; `tests/trend_exact_at_scale.rs` checks the results at these sizes):
//!
//! `cargo run --release -p conclude-engine --example trend_timing`

#[path = "../tests/common/mod.rs"]
mod common;
use common::Rng;

use std::time::Instant;

use conclude_engine::trend::{mann_kendall, sen_slope};

/// CPU time of this process (all threads), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn main() {
    let mut g = Rng(7);
    for &n in &[1_440usize, 100_000, 1_000_000] {
        let cases: Vec<(&str, Vec<f64>)> = vec![
            ("real", (0..n).map(|i| 50.0 + 1e-4 * i as f64 + g.normal()).collect()),
            ("integer", (0..n).map(|i| (1e-3 * i as f64 + 20.0 * g.normal()).round()).collect()),
        ];
        for (name, x) in cases {
            let reps = if n < 10_000 { 200 } else { 3 };
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let mut r = None;
            for _ in 0..reps {
                r = mann_kendall(&x, 0.05);
            }
            let total = t0.elapsed().as_secs_f64() / reps as f64;
            let cpu = (cpu_seconds() - c0) / reps as f64;
            let t1 = Instant::now();
            for _ in 0..reps.min(20) {
                std::hint::black_box(sen_slope(&x));
            }
            let sen = t1.elapsed().as_secs_f64() / reps.min(20) as f64;
            let r = r.unwrap();
            println!(
                "timing n = {n:>9} {name:>8}: mann_kendall {:>9.3} ms wall, {:>9.3} ms cpu (Sen's slope alone {:>9.3} ms wall), S = {}, slope = {:e}",
                total * 1e3,
                cpu * 1e3,
                sen * 1e3,
                r.s,
                r.slope
            );
        }
    }
}

