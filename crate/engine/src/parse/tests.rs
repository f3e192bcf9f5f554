//! Unit tests of the chunked (parallel) path: forced chunk counts must not change anything.

use super::*;
use crate::batch::Batch;

fn same(a: &Batch, b: &Batch) -> bool {
    a.same_bits(b)
}

/// A tiny deterministic PRNG (xorshift64*).
fn rng(state: &mut u64) -> usize {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize
}

fn check_chunking(input: &[u8]) {
    for format in [None, Some(Format::Ndjson), Some(Format::Csv)] {
        for policy in [BadLinePolicy::Fail, BadLinePolicy::Skip] {
            let one = parse_with(input, format, policy, Some(1));
            for chunks in 2..=9 {
                let many = parse_with(input, format, policy, Some(chunks));
                match (&one, &many) {
                    (Ok(a), Ok(b)) => assert!(same(a, b), "{chunks} chunks\n{}", String::from_utf8_lossy(input)),
                    (Err(a), Err(b)) => assert_eq!(a, b, "{chunks} chunks\n{}", String::from_utf8_lossy(input)),
                    _ => panic!("{chunks} chunks: {one:?} vs {many:?}\n{}", String::from_utf8_lossy(input)),
                }
            }
        }
    }
}

#[test]
fn chunked_parsing_equals_sequential_parsing() {
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    let nd_lines = [
        r#"{"series":"a","ts":3,"value":1}"#,
        r#"{"series":"b","ts":1,"value":null}"#,
        r#"{"series":"c\u00e9","ts":2,"value":2}"#,
        r#"{"series":"a","ts":1,"value":3}"#,
        r#"{"series":"a","ts":"2024-01-01","value":3}"#,
        "",
        "   ",
        r#"{"series":"a","ts":1"#,
        r#"{"series":"b"}"#,
        "junk",
    ];
    let csv_lines = [
        "a,3,1",
        "b,1,",
        "\"c,\"\"x\"\"\",2,2",
        "\"multi\nline\",1,1",
        "a,1,3,extra",
        "a,\"1\n",
        "",
        "  ",
        "a,x,1",
        "\"a\"z,1,1",
    ];
    for _ in 0..300 {
        let n = rng(&mut state) % 30;
        let mut nd = String::new();
        let mut csv = String::from("series,ts,value\n");
        for _ in 0..n {
            // Mostly good lines, so that bad ones land in various chunks.
            let good = !rng(&mut state).is_multiple_of(4);
            let k = if good { rng(&mut state) % 5 } else { rng(&mut state) % nd_lines.len() };
            nd.push_str(nd_lines[k]);
            nd.push_str(if rng(&mut state).is_multiple_of(5) { "\r\n" } else { "\n" });
            let k = if good { rng(&mut state) % 4 } else { rng(&mut state) % csv_lines.len() };
            csv.push_str(csv_lines[k]);
            csv.push('\n');
        }
        if rng(&mut state).is_multiple_of(2) {
            nd.pop();
            csv.pop();
        }
        check_chunking(nd.as_bytes());
        check_chunking(csv.as_bytes());
    }
}

#[test]
fn chunked_parsing_equals_sequential_parsing_on_mutated_inputs() {
    let mut state = 0x00DD_BA11_CAFE_5EED_u64;
    let seeds: [&[u8]; 2] = [
        b"{\"series\":\"a\",\"ts\":1,\"value\":2}\n{\"series\":\"b\",\"ts\":\"2024-01-01\",\"value\":null}\r\n\n{\"x\":[1,{\"y\":\"\\u00e9\"}],\"series\":\"a\",\"ts\":0,\"value\":1}\n",
        b"series,ts,value,n\n\"a,\"\"b\"\"\",1,2,\"x\ny\"\nb,2,,z\n\na,0,NaN,\"\"\n",
    ];
    let alphabet = b"{}[]\",:\\0123456789.-\n\r natu\xC3\xA9";
    for _ in 0..600 {
        let mut input: Vec<u8> = Vec::new();
        for _ in 0..1 + rng(&mut state) % 4 {
            input.extend_from_slice(seeds[rng(&mut state) % 2]);
        }
        for _ in 0..1 + rng(&mut state) % 4 {
            let at = rng(&mut state) % (input.len() + 1);
            let b = alphabet[rng(&mut state) % alphabet.len()];
            match rng(&mut state) % 3 {
                0 if at < input.len() => input[at] = b,
                1 => input.insert(at, b),
                _ if at < input.len() => {
                    input.remove(at);
                }
                _ => {}
            }
        }
        check_chunking(&input);
    }
}

#[test]
#[allow(clippy::single_range_in_vec_init)]
fn chunk_splitting() {
    assert_eq!(split_at_newlines(b"", 4), [0..0]);
    assert_eq!(split_at_newlines(b"ab\ncd\nef\n", 1), [0..9]);
    assert_eq!(split_at_newlines(b"ab\ncd\nef\n", 3), [0..6, 6..9]);
    assert_eq!(split_at_newlines(b"ab\ncd\nef", 9), [0..3, 3..6, 6..8]);
    assert_eq!(split_at_newlines(b"abcdef", 3), [0..6]);
    let csv = b"a,\"x\ny\"\nb,2\n\"c\n\",3\nd,4\n";
    let ranges = csv::split_records(csv, 4);
    assert_eq!(ranges.iter().map(|r| &csv[r.clone()]).collect::<Vec<_>>().concat(), csv);
    assert_eq!(ranges, [0..8, 8..12, 12..19, 19..23]);
}

#[test]
fn find_byte_finds_the_first_occurrence() {
    let hay: Vec<u8> = (0..100u8).map(|i| if i % 17 == 16 { b'\n' } else { b'a' + i % 7 }).collect();
    for from in 0..=hay.len() + 1 {
        let expected = hay.get(from..).and_then(|s| s.iter().position(|&b| b == b'\n')).map(|p| p + from);
        assert_eq!(find_byte(&hay, from, b'\n'), expected, "from {from}");
    }
    assert_eq!(find_byte(b"\x80\x81\x0a", 0, b'\n'), Some(2));
    assert_eq!(find_byte(b"\x0b\x0a", 0, b'\n'), Some(1));
}

#[test]
fn the_automatic_plan_uses_a_pool_only_from_inside_it() {
    let auto = Plan { chunks: None };
    let big = 64 << 20;
    assert_eq!(auto.chunk_count(big), 1, "outside a pool: sequential, and rayon's global pool untouched");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    assert_eq!(pool.install(|| auto.chunk_count(big)), 8);
    assert_eq!(pool.install(|| auto.chunk_count(PARALLEL_MIN_BYTES - 1)), 1);
    assert_eq!(pool.install(|| auto.chunk_count(5 << 20)), 5);
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    assert_eq!(single.install(|| auto.chunk_count(big)), 1);
}

/// Integer literals within `i64` are held exactly, in both formats; anything else is a double.
#[test]
fn integer_timestamps_are_exact_in_both_formats() {
    use crate::batch::{Timestamps, Ts};
    let t0 = 1_732_600_000_000_000_123i64;
    let nd = format!(
        "{{\"series\":\"a\",\"ts\":{},\"value\":1}}\n{{\"series\":\"a\",\"ts\": {} ,\"value\":2}}\n\
         {{\"series\":\"a\",\"ts\":{},\"value\":3}}\n{{\"series\":\"b\",\"ts\":-9223372036854775808,\"value\":4}}\n\
         {{\"series\":\"b\",\"ts\":9223372036854775807,\"value\":5}}\n",
        t0 + 300,
        t0 + 100,
        t0 + 200
    );
    let csv = format!(
        "series,ts,value\na,{},1\na, +{} ,2\na,{},3\nb,-9223372036854775808,4\nb,9223372036854775807,5\n",
        t0 + 300,
        t0 + 100,
        t0 + 200
    );
    for input in [nd.as_bytes(), csv.as_bytes()] {
        let b = parse(input, None, BadLinePolicy::Fail).unwrap();
        assert!(matches!(&b.series[0].ts, Timestamps::Integer(t) if *t == [t0 + 100, t0 + 200, t0 + 300]));
        assert_eq!(b.series[0].values, [2.0, 3.0, 1.0]);
        assert!(matches!(&b.series[1].ts, Timestamps::Integer(t) if *t == [i64::MIN, i64::MAX]));
        check_chunking(input);
    }
    // Beyond i64, with a fraction or an exponent: a double, as before (here all exact doubles).
    let b = parse(b"series,ts,value\na,9223372036854775808,1\na,1e3,2\na,2.0,3\na,-0,4\n", None, BadLinePolicy::Fail)
        .unwrap();
    let ts: Vec<Ts> = b.series[0].ts.iter().collect();
    assert_eq!(ts, [Ts::Float(-0.0), Ts::Int(2), Ts::Int(1000), Ts::Float(9_223_372_036_854_775_808.0)]);
    assert!(matches!(ts[0], Ts::Float(z) if z.is_sign_negative()));
    let nd = b"{\"series\":\"a\",\"ts\":9223372036854775808,\"value\":1}\n{\"series\":\"a\",\"ts\":-0,\"value\":2}\n";
    let b = parse(nd, None, BadLinePolicy::Fail).unwrap();
    assert!(matches!(b.series[0].ts.at(0), Ts::Float(z) if z.is_sign_negative()));
    assert!(matches!(b.series[0].ts.at(1), Ts::Float(v) if v == 9_223_372_036_854_775_808.0));
}

/// A series mixing integers beyond 2^53 with fractional timestamps sorts by the exact values and
/// keeps each as given, whatever the chunking.
#[test]
fn mixed_timestamps_sort_exactly() {
    use crate::batch::Ts;
    let big = 9_007_199_254_740_993i64; // 2^53 + 1: not a double
    let input = format!(
        "{{\"series\":\"m\",\"ts\":{},\"value\":1}}\n{{\"series\":\"m\",\"ts\":9007199254740992.0,\"value\":2}}\n\
         {{\"series\":\"m\",\"ts\":0.5,\"value\":3}}\n{{\"series\":\"m\",\"ts\":{},\"value\":4}}\n",
        big,
        big - 1
    );
    let b = parse(input.as_bytes(), None, BadLinePolicy::Fail).unwrap();
    let ts: Vec<Ts> = b.series[0].ts.iter().collect();
    assert_eq!(ts, [Ts::Float(0.5), Ts::Int(big - 1), Ts::Int(big - 1), Ts::Int(big)]);
    // 2^53 written as a double and as an integer are equal: input order kept.
    assert_eq!(b.series[0].values, [3.0, 2.0, 4.0, 1.0]);
    check_chunking(input.as_bytes());
}
