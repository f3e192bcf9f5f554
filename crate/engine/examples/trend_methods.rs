//! CPU time of each `trend.method` on one AR(1) series (phi = 0.5, slight
//! trend) on this thread, with the lags given:
//! `trend_methods [N] [--lag L]...` (default N = 1,000,000, lags: all, 3, 1000).
//! Series of 20,000 values or more also use rayon inside Sen's slope and the
//! merge sort, so run with `RAYON_NUM_THREADS=1` for one core's figures.

use conclude_engine::options::{TrendMethod, TrendOptions};
use conclude_engine::trend::trend_test;

fn cpu_now() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid clock id and out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let mut lags: Vec<Option<usize>> = args.windows(2).filter(|w| w[0] == "--lag").map(|w| w[1].parse().ok()).collect();
    if lags.is_empty() {
        lags = vec![None, Some(3), Some(1000)];
    }
    // xorshift + Box-Muller: reproducible without a dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(n);
    let mut prev = 0.0;
    for i in 0..n {
        let e = (-2.0 * (1.0 - uniform()).ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        prev = 0.5 * prev + e;
        x.push(1e-6 * i as f64 + prev);
    }
    // Every method that tests the whole series (withinSegments needs the level-shift fit).
    let methods = TrendMethod::NAMES.iter().filter_map(|name| TrendMethod::from_name(name));
    for method in methods.filter(|&m| m != TrendMethod::WithinSegments) {
        let lag_choices = if method.takes_lag() { lags.clone() } else { vec![None] };
        for lag in lag_choices {
            let o = TrendOptions { method, lag, ..TrendOptions::default() };
            let t0 = cpu_now();
            let t = trend_test(&x, &o).expect("n >= 3");
            let secs = cpu_now() - t0;
            let lag = lag.map_or("all".to_string(), |l| l.to_string());
            println!(
                "n = {n:>9} {:>22} lag {lag:>5}: {secs:>8.3} s cpu  (trend {}, z = {:.4}, varS = {:e})",
                method.name(),
                t.trend.as_str(),
                t.z,
                t.var_s
            );
        }
    }
}
