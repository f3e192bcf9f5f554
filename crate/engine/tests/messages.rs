//! `output::messages` writes pieces of series in parallel and joins them: its bytes and index
//! must be those of one serial pass over the series (category, then series order), on any
//! number of threads and for any set of categories.
mod common;

use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;

use common::Rng;
use conclude_engine::engine::{analyze, Analysis};
use conclude_engine::options::Category;
use conclude_engine::output::{for_each, messages, write_conclusion, Messages, Provenance, WideTs};
use conclude_engine::Options;

/// The messages as one serial pass writes them.
fn serial(a: &Analysis, provenance: Provenance<'_>) -> Messages {
    let mut m = Messages::default();
    for (code, category) in (0u32..).zip(Category::ALL) {
        if !a.options.wants(category) {
            continue;
        }
        for_each(a, category, |series, c| {
            let key = m.data.len() as u32;
            m.data.extend_from_slice(series.as_bytes());
            let value = m.data.len() as u32;
            write_conclusion(&mut m.data, series, c, Some(provenance), WideTs::Digits);
            m.index.extend([code, key, value, value, m.data.len() as u32]);
        });
    }
    m
}

/// Series of random lengths (0 to 300 points) with steps and spikes, so that every category
/// has conclusions in some series and none in others.
fn input(series: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::new();
    for s in 0..series {
        let n = rng.range(0, 300);
        let step = if rng.chance(40) { rng.range(1, n.max(1)) } else { usize::MAX };
        for i in 0..n {
            let mut v = rng.normal() + if i >= step { 8.0 } else { 0.0 } + 0.01 * i as f64;
            if rng.chance(1) {
                v += 25.0;
            }
            writeln!(out, r#"{{"series":"s{s}","ts":{},"value":{v}}}"#, 1_700_000_000 + 60 * i).unwrap();
        }
    }
    out
}

#[test]
fn parallel_messages_are_the_serial_pass_byte_for_byte() {
    let text = input(2_300, 11);
    let provenance = Provenance { batch: "b#0", version: "test" };
    let subsets: [&[Category]; 4] =
        [&Category::ALL, &[Category::Summary], &[Category::Anomaly, Category::Trend], &[Category::Changepoint]];
    for threads in [1, 2, 3] {
        for categories in subsets {
            let options = Options { threads: Some(threads), categories: categories.to_vec(), ..Options::default() };
            let a = analyze(text.as_bytes(), &options, &AtomicBool::new(false)).unwrap();
            let want = serial(&a, provenance);
            assert!(want.len() > 2_000 || categories.len() < 4, "a batch of several pieces ({} messages)", want.len());
            let got = messages(&a, provenance).unwrap();
            assert!(got.data == want.data, "{threads} thread(s), {categories:?}: bytes differ");
            assert_eq!(got.index, want.index, "{threads} thread(s), {categories:?}");
        }
    }
}
