//! Per-analysis timing on a workload file, series after series on this thread (no pool):
//! `parts FILE [--repeat R] [--plain]` prints each part's thread CPU time summed over the
//! series (best of R); `--plain` runs PELT without functional pruning. `parse` counts this
//! thread only. On a loaded machine compare instruction counts instead, which do not depend
//! on the load: `valgrind --tool=callgrind target/release/examples/parts FILE --repeat 1`
//! (on the first 100 fleet series: `head -n 144000 fleet.ndjson`).

use conclude_engine::anomaly::hampel;
use conclude_engine::changepoint::{default_penalty, pelt_l2, pelt_l2_plain};
use conclude_engine::options::{BadLinePolicy, Options};
use conclude_engine::parse::parse;
use conclude_engine::summary::summarize;
use conclude_engine::trend::{mann_kendall, mk_score, sen_slope};

/// This thread's CPU time.
#[derive(Clone, Copy)]
struct Instant(f64);
impl Instant {
    fn now() -> Instant {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: valid clock id and out-pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Instant(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }
    fn elapsed(&self) -> Secs {
        Secs(Instant::now().0 - self.0)
    }
}
struct Secs(f64);
impl Secs {
    fn as_secs_f64(&self) -> f64 {
        self.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = &args[0];
    let repeat: usize = args.iter().position(|a| a == "--repeat").map_or(3, |i| args[i + 1].parse().unwrap());
    let plain = args.iter().any(|a| a == "--plain");
    let input = std::fs::read(file).unwrap();
    let o = Options::default();
    let mut best = [f64::INFINITY; 8];
    let names = ["parse", "summary", "hampel", "clean+pen", "pelt", "mk_total", "mk_score", "sen"];
    let mut check = 0.0f64;
    for _ in 0..repeat {
        let mut t = [0.0f64; 8];
        let t0 = Instant::now();
        let batch = parse(&input, None, BadLinePolicy::default()).unwrap();
        t[0] = t0.elapsed().as_secs_f64();
        for s in &batch.series {
            let x = &s.values;
            let c = Instant::now();
            let sm = summarize(&s.ts, x);
            t[1] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let an = hampel(x, o.anomaly.half_window, o.anomaly.threshold);
            t[2] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let mut cl = x.clone();
            for a in &an {
                cl[a.index] = a.median;
            }
            let pen = default_penalty(&cl).unwrap_or(f64::INFINITY);
            t[3] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let b = if plain { pelt_l2_plain(&cl, 2, 1, pen) } else { pelt_l2(&cl, 2, 1, pen) };
            t[4] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let tr = mann_kendall(x, 0.05);
            t[5] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let sc = mk_score(x);
            t[6] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            let sl = sen_slope(x);
            t[7] += c.elapsed().as_secs_f64();
            check += b.len() as f64
                + tr.map_or(0.0, |t| t.slope)
                + sc.map_or(0, |s| s.s) as f64
                + sl
                + sm.mean.unwrap_or(0.0);
        }
        for i in 0..8 {
            best[i] = best[i].min(t[i]);
        }
    }
    for i in 0..8 {
        print!("{} {:.1}  ", names[i], best[i] * 1e3);
    }
    println!("| check {check}");
}
