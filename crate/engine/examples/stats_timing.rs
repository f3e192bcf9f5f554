//! Rough single-thread timing of summary and Hampel on a fleet-sized workload
//! (1,000 series x 1,440 points, k = 30, t = 4). Not a benchmark suite (that is
//! `npm run bench`). All, or the runs named:
//!
//! `cargo run --release -p conclude-engine --example stats_timing [-- fleet_single_thread long_series_parallel]`

use conclude_engine::anomaly::hampel;
use conclude_engine::batch::Timestamps;
use conclude_engine::summary::summarize;
use std::time::Instant;

/// CPU time of the calling thread (the machine may be shared: wall time lies).
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn fleet() -> Vec<Vec<f64>> {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut unit = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..1000)
        .map(|series| {
            (0..1440)
                .map(|i| {
                    let noise = (0..4).map(|_| unit()).sum::<f64>() - 2.0;
                    let spike = if (i * 7 + series) % 288 == 0 { 25.0 } else { 0.0 };
                    50.0 + (i as f64 / 229.0).sin() * 5.0 + noise + spike
                })
                .collect()
        })
        .collect()
}

fn fleet_single_thread() {
    let data = fleet();
    let ts = Timestamps::Integer((0..1440).map(|i| 1_700_000_000 + 60 * i).collect());
    for round in 0..5 {
        let (t0, c0) = (Instant::now(), thread_cpu());
        let found: usize = data.iter().map(|x| hampel(x, 30, 4.0).len()).sum();
        let (hampel_wall, hampel_cpu) = (t0.elapsed().as_secs_f64(), thread_cpu() - c0);
        let (t0, c0) = (Instant::now(), thread_cpu());
        let mean_sum: f64 = data.iter().map(|x| summarize(&ts, x).mean.unwrap()).sum();
        let (summary_wall, summary_cpu) = (t0.elapsed().as_secs_f64(), thread_cpu() - c0);
        eprintln!(
            "round {round}: hampel {hampel_wall:.3} s wall / {hampel_cpu:.3} s cpu ({found} anomalies), \
             summary {summary_wall:.3} s wall / {summary_cpu:.3} s cpu (checksum {mean_sum:.3})"
        );
    }
}

fn long_series_parallel() {
    use conclude_engine::anomaly::hampel_sequential;
    let x: Vec<f64> = fleet().concat()[..1_000_000].to_vec();
    let t0 = Instant::now();
    let seq = hampel_sequential(&x, 30, 4.0);
    let seq_s = t0.elapsed().as_secs_f64();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let t0 = Instant::now();
    let par = pool.install(|| hampel(&x, 30, 4.0));
    let par_s = t0.elapsed().as_secs_f64();
    assert_eq!(par, seq);
    eprintln!("long (n = 1e6, k = 30): sequential {seq_s:.3} s, 2 threads {par_s:.3} s");
}

/// Runs the measurements named on the command line (all when none is).
fn main() {
    let runs: &[(&str, fn())] = &[("fleet_single_thread", fleet_single_thread), ("long_series_parallel", long_series_parallel)];
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    for (run_name, run) in runs {
        if wanted.is_empty() || wanted.iter().any(|w| w == run_name) {
            eprintln!("== {run_name}");
            run();
        }
    }
}
