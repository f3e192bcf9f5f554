//! CSV: there is no slow reference to hand, so the invariants: no panic, `fail` and `skip`
//! agree (the error is in the first skipped record, no bad line means the same batch), errors are
//! located inside the input, ids respect the limit, the ts of each series ascend, and the
//! chunked parse (the parser's own pool path) equals the sequential one.
//!
//! The chunked parse runs on a rayon pool of one thread, the fuzzer's own: the same code path as
//! in the engine's pool (`par_iter` over the chunks, merged in order), without the two cross-thread
//! hand-offs per parse that rayon's global pool costs a caller outside it (with the six
//! sequential parses the loop used to repeat, the target took 3.1 times the CPU per input, and on
//! the shared machine each hand-off also waited for a core). The chunks share nothing mutable
//! (each parses its own `&[u8]`), so more threads could not change a result.
#![no_main]

use std::sync::OnceLock;

use conclude_engine::options::{BadLinePolicy, Format};
use conclude_engine::parse::{parse, MAX_SERIES_BYTES};
use libfuzzer_sys::fuzz_target;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// The pool the fuzzer's thread belongs to; built on the first input and kept for the process.
fn pool() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        ThreadPoolBuilder::new().num_threads(1).use_current_thread().build().expect("a one-thread pool on this thread")
    })
}

fuzz_target!(|data: &[u8]| {
    let pool = pool();
    assert_eq!(pool.current_thread_index(), Some(0), "the fuzzer's thread is the pool's");
    let lines = data.split(|&b| b == b'\n').count();
    let skip = parse(data, Some(Format::Csv), BadLinePolicy::Skip);
    let fail = parse(data, Some(Format::Csv), BadLinePolicy::Fail);
    match (&skip, &fail) {
        (Ok(s), Ok(f)) => assert!(s.bad_lines == 0 && s.same_bits(f), "fail and skip disagree"),
        // Skipped records are counted at their first line, errors located where the fault is,
        // which may be a later line of a multi-line record.
        (Ok(s), Err(e)) => assert!(s.bad_line_numbers.first().is_some_and(|&l| Some(l) <= e.line), "{}", e.message),
        // A header error is an error under both policies.
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Err(e), Ok(_)) => panic!("skip failed where fail did not: {}", e.message),
    }
    if let Err(e) = &fail {
        assert!(e.line.unwrap() >= 1 && e.line.unwrap() <= lines && e.column.unwrap() >= 1, "{}", e.message);
    }
    if let Ok(b) = &skip {
        assert_eq!(b.points, b.series.iter().map(|s| s.ts.len()).sum::<usize>());
        assert!(b.bad_line_numbers.iter().all(|&l| l >= 1 && l <= lines));
        for s in &b.series {
            assert!(!s.id.is_empty() && s.id.len() <= MAX_SERIES_BYTES);
            assert!(s.ts.ascending() && s.ts.iter().all(|t| t.is_finite()));
        }
    }
    for chunks in [2, 3, 7] {
        for (policy, one) in [(BadLinePolicy::Skip, &skip), (BadLinePolicy::Fail, &fail)] {
            let many = conclude_engine::parse::parse_chunked_for_fuzzing(data, Some(Format::Csv), policy, chunks);
            match (one, &many) {
                (Ok(a), Ok(b)) => assert!(a.same_bits(b), "{chunks} chunks differ"),
                (a, b) => assert_eq!(a.as_ref().err(), b.as_ref().err(), "{chunks} chunks differ"),
            }
        }
    }
});
