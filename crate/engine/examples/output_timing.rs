//! Serialization cost: `output_timing FILE [--repeat R]` analyses FILE once (the defaults), then
//! serializes every conclusion R times as the binding does (`analysis_json`, timestamps beyond
//! 2^53 quoted) and as Kafka messages (`messages`), printing the best thread-CPU time of a
//! round. On a loaded machine count instructions in the serialization alone instead:
//! `cargo build --profile bench -p conclude-engine --example output_timing`, then
//! `valgrind --tool=callgrind --toggle-collect='*serialize_round*' target/bench/examples/output_timing FILE --repeat 1`.

use std::sync::atomic::AtomicBool;

use conclude_engine::engine::{analyze, Analysis};
use conclude_engine::options::Options;
use conclude_engine::output::{analysis_json, messages, Provenance, WideTs};

/// This thread's CPU time, in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// One round: the bytes written, so that nothing is optimised away.
#[inline(never)]
fn serialize_round(a: &Analysis) -> usize {
    let json = analysis_json(a, WideTs::Quoted);
    let m = messages(a, Provenance { batch: "bench#1", version: "0" }).expect("messages");
    json.len() + m.data.len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut file, mut repeat) = (None, 5usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().and_then(|r| r.parse().ok()).expect("--repeat N"),
            _ => file = Some(a),
        }
    }
    let file = file.expect("usage: output_timing FILE [--repeat R]");
    let input = std::fs::read(&file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    let a = analyze(&input, &Options::default(), &AtomicBool::new(false)).expect("analyze");
    let (mut best, mut bytes) = (f64::INFINITY, 0);
    for _ in 0..repeat.max(1) {
        let t0 = thread_cpu();
        bytes = serialize_round(&a);
        best = best.min(thread_cpu() - t0);
    }
    println!("{} series: {bytes} bytes of JSON and messages, best of {repeat}: {:.2} ms", a.ids.len(), best * 1e3);
}
