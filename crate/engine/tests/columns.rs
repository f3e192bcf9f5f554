//! `analyze_columns` gives what `analyze` gives for the same points written as NDJSON: several
//! series, interleaved entries of one series, missing values, unsorted and equal timestamps.

mod common;
use common::Rng;

use std::fmt::Write;
use std::sync::atomic::AtomicBool;

use conclude_engine::columns::{SeriesColumns, Timestamps};
use conclude_engine::engine::{analyze, analyze_columns};
use conclude_engine::Options;

/// Random entries (some ids repeated, ts shuffled with ties, some values missing) and the same
/// points as NDJSON lines, entry by entry.
fn workload(seed: u64) -> (Vec<SeriesColumns>, String) {
    let mut rng = Rng(seed);
    let mut entries = Vec::new();
    let mut text = String::new();
    for e in 0..12 {
        let id = format!("s{}", rng.below(7));
        let n = rng.range(0, 400);
        let mut ts = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        let integer = e % 3 == 0;
        for i in 0..n {
            let t = if rng.chance(70) { i as f64 } else { rng.below(n + 1) as f64 };
            let v = if rng.chance(5) { f64::NAN } else { (i as f64 / 40.0).sin() * 10.0 + rng.normal() };
            ts.push(t);
            values.push(v);
            let value = if v.is_nan() { "null".to_string() } else { format!("{v:?}") };
            writeln!(text, r#"{{"series":"{id}","ts":{t},"value":{value}}}"#).unwrap();
        }
        let ts =
            if integer { Timestamps::Integer(ts.iter().map(|&t| t as i64).collect()) } else { Timestamps::Float(ts) };
        entries.push(SeriesColumns { id, ts, values });
    }
    (entries, text)
}

#[test]
fn columns_give_the_analysis_of_the_same_points_as_ndjson() {
    let never = AtomicBool::new(false);
    let options = Options::default();
    for seed in 1..=20 {
        let (entries, text) = workload(seed);
        let want = analyze(text.as_bytes(), &options, &never).unwrap();
        let got = analyze_columns(entries, &options, &never).unwrap();
        assert_eq!(got.ids, want.ids, "seed {seed}");
        assert_eq!(got.stats.points, want.stats.points, "seed {seed}");
        // Bit-equal conclusions: PartialEq on f64 would let NaN differ, Debug shows every bit.
        assert_eq!(format!("{:?}", got.conclusions), format!("{:?}", want.conclusions), "seed {seed}");
    }
}

#[test]
fn a_cancelled_columnar_analysis_is_aborted() {
    let (entries, _) = workload(3);
    let e = analyze_columns(entries, &Options::default(), &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.code(), "ABORT_ERR");
}
