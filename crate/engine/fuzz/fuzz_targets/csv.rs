//! CSV: there is no slow reference to hand, so the invariants: no panic, `fail` and `skip`
//! agree (the error is in the first skipped record, no bad line means the same batch), errors are
//! located inside the input, ids respect the limit, the ts of each series ascend, and the
//! chunked parse (the parser's own pool path) equals the sequential one.
#![no_main]

use conclude_engine::options::{BadLinePolicy, Format};
use conclude_engine::parse::{parse, MAX_SERIES_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
        for policy in [BadLinePolicy::Skip, BadLinePolicy::Fail] {
            let one = parse(data, Some(Format::Csv), policy);
            let many = conclude_engine::parse::parse_chunked_for_fuzzing(data, Some(Format::Csv), policy, chunks);
            match (&one, &many) {
                (Ok(a), Ok(b)) => assert!(a.same_bits(b), "{chunks} chunks differ"),
                (a, b) => assert_eq!(a.as_ref().err(), b.as_ref().err(), "{chunks} chunks differ"),
            }
        }
    }
});
