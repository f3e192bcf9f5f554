//! Profiling driver: runs the engine's `analyze` on a workload file, without
//! the napi boundary, and prints wall time and the engine's per-analysis CPU.
//!
//! ```sh
//! node dist/cli.js gen --preset fleet --out /tmp/perf-fleet.ndjson
//! cargo run --release -p conclude-engine --example profile -- /tmp/perf-fleet.ndjson \
//!     [--categories summary,anomaly,changepoint,trend] [--threads N] [--jump N] [--repeat R] [--reference] \
//!     [--dump OUT]
//! ```
//!
//! `--reference` runs the exact reference methods (the defaults before issue 12) instead of
//! the defaults, to compare the two on the same machine.
//!
//! `--dump OUT` writes every series' conclusions of the last round to `OUT`, one line a
//! series, floats in Rust's shortest round-trip form: two dumps are the same bytes exactly
//! when the conclusions are the same bits (how a speed-up is checked to change no output).
//!
//! Under `perf record -g`, build with symbols:
//! `CARGO_PROFILE_RELEASE_DEBUG=true CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --example profile`.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use conclude_engine::engine::analyze;
use conclude_engine::options::{Category, Options};

/// CPU time of the whole process (user + system), in seconds.
fn process_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn usage() -> ! {
    eprintln!("usage: profile FILE [--categories a,b] [--threads N] [--jump N] [--repeat R] [--reference] [--dump OUT]");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut options = Options::default();
    let mut repeat = 3usize;
    let mut dump = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--categories" => {
                options.categories =
                    value().split(',').map(|c| Category::from_name(c.trim()).unwrap_or_else(|| usage())).collect();
                options.categories.sort();
                options.categories.dedup();
            }
            "--threads" => options.threads = Some(value().parse().unwrap_or_else(|_| usage())),
            "--jump" => options.changepoint.jump = value().parse().unwrap_or_else(|_| usage()),
            "--repeat" => repeat = value().parse().unwrap_or_else(|_| usage()),
            "--reference" => options = options.reference(),
            "--dump" => dump = Some(value()),
            _ if file.is_none() && !a.starts_with("--") => file = Some(a),
            _ => usage(),
        }
    }
    let file = file.unwrap_or_else(|| usage());
    let input = std::fs::read(&file).unwrap_or_else(|e| {
        eprintln!("cannot read {file}: {e}");
        std::process::exit(1)
    });
    let cancel = AtomicBool::new(false);
    for round in 0..repeat.max(1) {
        let (t0, c0) = (Instant::now(), process_cpu());
        let a = analyze(&input, &options, &cancel).unwrap_or_else(|e| {
            eprintln!("analyze failed: {e:?}");
            std::process::exit(1)
        });
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - c0);
        let t = a.stats.timings;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "round {round}: {} series, {} points, {} threads | wall {:.1} ms (parse {:.1}, analyze {:.1}), process cpu {:.1} ms | \
             cpu summary {:.1} anomaly {:.1} changepoint {:.1} trend {:.1} ms | found {} anomalies, {} changepoints, {} trends",
            a.stats.series,
            a.stats.points,
            a.stats.threads,
            wall * 1e3,
            ms(t.parse),
            ms(t.analyze),
            cpu * 1e3,
            ms(t.summary),
            ms(t.anomaly),
            ms(t.changepoint),
            ms(t.trend),
            a.count(Category::Anomaly),
            a.count(Category::Changepoint),
            a.count(Category::Trend),
        );
        if let (Some(out), true) = (&dump, round + 1 == repeat.max(1)) {
            write_dump(out, &a);
        }
    }
}

/// One line a series: its id and the `Debug` form of its conclusions (f64 round-trip).
fn write_dump(out: &str, a: &conclude_engine::engine::Analysis) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap_or_else(|e| {
        eprintln!("cannot create {out}: {e}");
        std::process::exit(1)
    }));
    for (id, c) in a.ids.iter().zip(&a.conclusions) {
        writeln!(w, "{id}\t{c:?}").expect("write dump");
    }
    w.flush().expect("write dump");
}
