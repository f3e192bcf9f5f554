//! Tests of `parse`: detection, NDJSON and CSV rules, grouping, error positions, the `skip`
//! policy, a differential test against a small reference parser, and a robustness test.

mod common;
use common::Rng;

use conclude_engine::batch::{Timestamps, Ts};
use conclude_engine::options::BadLinePolicy::{self, Fail, Skip};
use conclude_engine::options::Format::{self, Csv, Ndjson};
use conclude_engine::parse::parse;
use conclude_engine::{Batch, Error, ErrorKind, Series};

// ---------------------------------------------------------------------------------------------
// Helpers

fn ok_with(input: &[u8], format: Option<Format>, policy: BadLinePolicy) -> Batch {
    parse(input, format, policy)
        .unwrap_or_else(|e| panic!("unexpected error: {e}\ninput: {:?}", String::from_utf8_lossy(input)))
}

fn ok(input: &str) -> Batch {
    ok_with(input.as_bytes(), None, Fail)
}

fn err_with(input: &[u8], format: Option<Format>, policy: BadLinePolicy) -> Error {
    match parse(input, format, policy) {
        Ok(b) => panic!("expected an error, got {b:?}\ninput: {:?}", String::from_utf8_lossy(input)),
        Err(e) => e,
    }
}

/// Asserts a `fail` error at `line`/`column` whose message contains `needle`.
#[track_caller]
fn assert_err(input: &[u8], line: usize, column: usize, needle: &str) {
    let e = err_with(input, None, Fail);
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!(e.code(), "ERR_CONCLUDE_PARSE");
    assert_eq!((e.line, e.column), (Some(line), Some(column)), "position of: {}", e.message);
    assert!(e.message.contains(needle), "{:?} does not contain {:?}", e.message, needle);
    assert!(e.message.starts_with(&format!("line {line}, column {column}: ")), "{}", e.message);
}

/// `(id, ts, values)` of every series (ts as their nearest doubles), values with NaN shown as `None`.
fn groups(b: &Batch) -> Vec<(String, Vec<f64>, Vec<Option<f64>>)> {
    b.series
        .iter()
        .map(|s| {
            assert_eq!(s.ts.len(), s.values.len());
            (s.id.clone(), s.ts.to_f64(), s.values.iter().map(|v| (!v.is_nan()).then_some(*v)).collect())
        })
        .collect()
}

fn g(id: &str, ts: &[f64], values: &[Option<f64>]) -> (String, Vec<f64>, Vec<Option<f64>>) {
    (id.to_string(), ts.to_vec(), values.to_vec())
}

fn same(a: &Batch, b: &Batch) -> bool {
    a.same_bits(b)
}

const LINE: &str = r#"{"series":"web-1.cpu","ts":1732600000,"value":0.42}"#;

// ---------------------------------------------------------------------------------------------
// Detection, BOM, empty input

#[test]
fn empty_and_blank_buffers_are_empty_batches() {
    for input in ["", " ", "\n\n", " \t\r\n \n", "\u{feff}", "\u{feff}\n  \n"] {
        for format in [None, Some(Ndjson), Some(Csv)] {
            for policy in [Fail, Skip] {
                let b = ok_with(input.as_bytes(), format, policy);
                assert_eq!(b, Batch::default(), "{input:?} {format:?}");
            }
        }
    }
}

#[test]
fn format_is_detected_from_the_first_non_blank_byte() {
    let nd = ok(&format!("\n  \r\n\t{LINE}\n"));
    assert_eq!(groups(&nd), vec![g("web-1.cpu", &[1732600000.0], &[Some(0.42)])]);
    let csv = ok("\n\nseries,ts,value\nweb-1.cpu,1732600000,0.42\n");
    assert_eq!(groups(&csv), groups(&nd));
    // A given format wins over detection.
    let e = err_with(LINE.as_bytes(), Some(Csv), Fail);
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("CSV header"), "{}", e.message);
    let e = err_with(b"{a,b,c}\n", Some(Csv), Fail);
    assert!(e.message.contains("lacks the required columns"), "{}", e.message);
    let e = err_with(b"series,ts,value\n", Some(Ndjson), Fail);
    assert_eq!((e.line, e.column), (Some(1), Some(1)));
    assert!(e.message.contains("expected a JSON object"), "{}", e.message);
}

#[test]
fn a_leading_bom_is_skipped_and_not_counted_in_columns() {
    let b = ok(&format!("\u{feff}{LINE}\n"));
    assert_eq!(b.points, 1);
    let b = ok("\u{feff}series,ts,value\na,1,2\n");
    assert_eq!(groups(&b), vec![g("a", &[1.0], &[Some(2.0)])]);
    assert_err("\u{feff}{\"series\":1}".as_bytes(), 1, 11, "\"series\" is not a string (found 1)");
    // Only at the very start.
    assert_err(format!("{LINE}\n\u{feff}{LINE}").as_bytes(), 2, 1, "byte 0xEF");
}

// ---------------------------------------------------------------------------------------------
// NDJSON

#[test]
fn ndjson_basic_crlf_blank_lines_and_no_final_newline() {
    let input = "{\"series\":\"a\",\"ts\":1,\"value\":10}\r\n\r\n   \n{\"series\":\"b\",\"ts\":2,\"value\":null}\r\n{ \"value\" : -2.5e1 , \"ts\" : 3 , \"series\" : \"a\" }";
    let b = ok(input);
    assert_eq!(b.points, 3);
    assert_eq!(b.bad_lines, 0);
    assert_eq!(groups(&b), vec![g("a", &[1.0, 3.0], &[Some(10.0), Some(-25.0)]), g("b", &[2.0], &[None])]);
}

#[test]
fn ndjson_series_escapes_are_decoded() {
    let input = [
        r#"{"series":"q\"uote","ts":1,"value":1}"#,
        r#"{"series":"back\\slash\/","ts":1,"value":1}"#,
        r#"{"series":"caf\u00e9","ts":1,"value":1}"#,
        r#"{"series":"café","ts":2,"value":2}"#,
        r#"{"series":"\ud83d\ude00 \b\f\n\r\t","ts":1,"value":1}"#,
        r#"{"series":"web","ts":1,"value":1}"#,
        r#"{"series":"w\u0065b","ts":2,"value":2}"#,
    ]
    .join("\n");
    let b = ok(&input);
    let ids: Vec<&str> = b.series.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["q\"uote", "back\\slash/", "café", "😀 \u{8}\u{c}\n\r\t", "web"]);
    assert_eq!(b.series[2].ts, [1.0, 2.0], "escaped and literal é are one series");
    assert_eq!(b.series[4].ts, [1.0, 2.0], "escaped and plain ids are one series");
}

#[test]
fn ndjson_keys_with_escapes_and_duplicate_keys() {
    let b = ok(r#"{"s\u0065ries":"a","\u0074s":1,"valu\u0065":2}"#);
    assert_eq!(groups(&b), vec![g("a", &[1.0], &[Some(2.0)])]);
    // The last duplicate wins, as with JSON.parse.
    let b = ok(r#"{"series":"a","ts":1,"value":1,"value":2,"series":"b"}"#);
    assert_eq!(groups(&b), vec![g("b", &[1.0], &[Some(2.0)])]);
    let b = ok(r#"{"series":"a","ts":1,"value":"x","value":null}"#);
    assert_eq!(groups(&b), vec![g("a", &[1.0], &[None])]);
    assert_err(
        br#"{"series":"a","ts":1,"value":1,"value":"x"}"#,
        1,
        40,
        r#""value" is not a number or null (found "x")"#,
    );
}

#[test]
fn ndjson_other_fields_are_validated_and_skipped() {
    let line = r#"{"tags":{"host":"a}\"{[","list":[1,-2.5e-3,true,false,null,{"x":[[]]},"\u1234\\"],"empty":{}},"series":"s","n":[],"ts":5,"str":"}{\"","value":7,"z":null}"#;
    let b = ok(line);
    assert_eq!(groups(&b), vec![g("s", &[5.0], &[Some(7.0)])]);
    // Deep nesting is skipped iteratively.
    let deep = format!(r#"{{"series":"s","ts":1,"value":1,"deep":{}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(ok(&deep).points, 1);
    let deep_objects =
        format!(r#"{{"deep":{}1{},"series":"s","ts":1,"value":1}}"#, r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
    assert_eq!(ok(&deep_objects).points, 1);
    // An unbalanced one is truncated JSON.
    let open = format!(r#"{{"series":"s","ts":1,"value":1,"deep":{}1{}}}"#, "[".repeat(10), "]".repeat(9));
    assert_err(open.as_bytes(), 1, open.len(), "expected ',' or ']' in an array");
}

#[test]
fn ndjson_ts_forms_and_value_null() {
    let input = [
        r#"{"series":"a","ts":"2024-11-26T10:00:00Z","value":1}"#,
        r#"{"series":"a","ts":"2024-11-26 12:00:00.5+02:00","value":null}"#,
        r#"{"series":"a","ts":"2024-11-27","value":3}"#,
        r#"{"series":"b","ts":-0.5,"value":-0}"#,
        r#"{"series":"b","ts":1E+2,"value":1e-7}"#,
    ]
    .join("\n");
    let b = ok(&input);
    let t = 1_732_615_200_000.0;
    assert_eq!(b.series[0].ts, [t, t + 0.5e3, t + 14.0 * 3_600_000.0]);
    assert_eq!(b.series[1].ts, [-0.5, 100.0]);
    assert_eq!(b.series[1].values[0].to_bits(), (-0.0f64).to_bits());
    assert_eq!(b.series[1].values[1], 1e-7);
    assert!(b.series[0].values[1].is_nan());
}

#[test]
fn ndjson_numbers_are_correctly_rounded() {
    let texts = [
        "0.1",
        "0.42",
        "1732600000.123",
        "2.2250738585072011e-308",
        "9007199254740993",
        "1.7976931348623157e308",
        "5e-324",
        "123456789012345678901234567890",
    ];
    for t in texts {
        let b = ok(&format!(r#"{{"series":"a","ts":0,"value":{t}}}"#));
        assert_eq!(b.series[0].values[0].to_bits(), t.parse::<f64>().unwrap().to_bits(), "{t}");
    }
}

#[test]
fn ndjson_invalid_numbers() {
    for (text, needle) in [
        ("01", "unexpected character '1'"),
        ("1.", "expected a digit after the decimal point"),
        (".5", "unexpected character '.'"),
        ("-", "expected a digit"),
        ("+1", "unexpected character '+'"),
        ("1e", "expected a digit in the exponent"),
        ("1e+", "expected a digit in the exponent"),
        ("NaN", "unexpected character 'N'"),
        ("Infinity", "unexpected character 'I'"),
        ("0x10", "unexpected character 'x'"),
    ] {
        let line = format!(r#"{{"series":"a","ts":1,"value":{text}}}"#);
        let e = err_with(line.as_bytes(), None, Fail);
        assert!(e.message.contains(needle), "{text}: {}", e.message);
    }
}

#[test]
fn ndjson_non_finite_numbers_are_rejected() {
    assert_err(
        br#"{"series":"a","ts":1,"value":1e400}"#,
        1,
        30,
        r#""value" is out of range: 1e400 is not a finite number"#,
    );
    assert_err(
        br#"{"series":"a","ts":-1e309,"value":1}"#,
        1,
        20,
        r#""ts" is out of range: -1e309 is not a finite number"#,
    );
}

#[test]
fn ndjson_error_positions_and_messages() {
    // Truncated JSON: the column is just past the end of the line.
    assert_err(b"{\"series\":\"a\",\"ts\":1", 1, 21, "truncated JSON: unexpected end of line");
    assert_err(b"{\"series\":\"a\",\"ts\":1\r\n", 1, 22, "truncated JSON: unexpected end of line");
    assert_err(
        format!("{LINE}\n{{\"series\":\"a\n").as_bytes(),
        2,
        13,
        "truncated JSON: unexpected end of line (inside a string)",
    );
    // Trailing garbage, a second object, a trailing comma.
    assert_err(format!("{LINE} x").as_bytes(), 1, 53, "unexpected character 'x' after the JSON object");
    assert_err(format!("{LINE}{LINE}").as_bytes(), 1, 52, "after the JSON object");
    assert_err(br#"{"series":"a","ts":1,"value":2,}"#, 1, 32, "expected a field name");
    assert_err(br#"{"series":"a" "ts":1}"#, 1, 15, "expected ',' or '}'");
    assert_err(br#"{"series" "a"}"#, 1, 11, "expected ':'");
    assert_err(br#"{series:"a"}"#, 1, 2, "expected a field name in double quotes");
    // Not an object.
    assert_err(format!("{LINE}\n[1,2]\n").as_bytes(), 2, 1, "expected a JSON object");
    assert_err(format!("{LINE}\n  42").as_bytes(), 2, 3, "unexpected character '4', expected a JSON object");
    // Strings.
    assert_err(br#"{"series":"a\q","ts":1,"value":1}"#, 1, 13, r#"invalid escape '\q' in a string"#);
    assert_err(br#"{"series":"a\u12G4","ts":1,"value":1}"#, 1, 13, "invalid \\u escape: expected 4 hex digits");
    assert_err(b"{\"series\":\"a\tb\",\"ts\":1,\"value\":1}", 1, 13, "control character in a string");
    assert_err(b"{\"series\":\"ab\xFFc\",\"ts\":1,\"value\":1}", 1, 14, "invalid UTF-8 in a string");
    assert_err(b"{\"x\":\"\xE2\x82\",\"series\":\"a\",\"ts\":1,\"value\":1}", 1, 7, "invalid UTF-8 in a string");
    assert_err(b"{\"series\":\"a\",\xC3\xA9:1}", 1, 15, "byte 0xC3");
    assert_err(br#"{"series":"\ud83d","ts":1,"value":1}"#, 1, 12, "unpaired UTF-16 surrogate");
    assert_err(br#"{"series":"\ude00x","ts":1,"value":1}"#, 1, 12, "unpaired UTF-16 surrogate");
    // ... but a lone surrogate elsewhere is valid JSON (JSON.parse accepts it).
    assert_eq!(ok(r#"{"x":"\ud800","series":"a","ts":1,"value":1}"#).points, 1);
    // Literals.
    assert_err(br#"{"series":"a","ts":1,"value":nul}"#, 1, 33, "expected `null`");
    assert_err(br#"{"x":tru,"series":"a","ts":1,"value":1}"#, 1, 9, "expected `true`");
    // Field kinds.
    assert_err(br#"{"series":42,"ts":1,"value":1}"#, 1, 11, r#""series" is not a string (found 42)"#);
    assert_err(br#"{"series":"","ts":1,"value":1}"#, 1, 11, r#""series" is an empty string"#);
    assert_err(
        br#"{"series":"a","ts":true,"value":1}"#,
        1,
        20,
        r#""ts" is not a number or an ISO-8601 string (found true)"#,
    );
    assert_err(
        br#"{"series":"a","ts":"1732600000","value":1}"#,
        1,
        20,
        r#""ts" is not a valid ISO-8601 timestamp (found "1732600000")"#,
    );
    assert_err(br#"{"series":"a","ts":"2023-02-29","value":1}"#, 1, 20, "day 29 is out of range 1-28 for 2023-02");
    assert_err(br#"{"series":"a","ts":1,"value":"abc"}"#, 1, 30, r#""value" is not a number or null (found "abc")"#);
    assert_err(br#"{"series":"a","ts":1,"value":{"v":1}}"#, 1, 30, r#"(found {"v":1})"#);
    // Missing fields: at the opening brace.
    assert_err(br#"  {"series":"a","value":1}"#, 1, 3, r#"missing field "ts""#);
    assert_err(br#"{"ts":1,"value":1}"#, 1, 1, r#"missing field "series""#);
    assert_err(br#"{"series":"a","ts":1,"value ":1}"#, 1, 1, r#"missing field "value""#);
    assert_err(b"{}", 1, 1, r#"missing field "series""#);
    // Line numbers count blank lines.
    assert_err(format!("{LINE}\n\n\r\n{LINE}\n{{\"series\":\"a\"}}\n{LINE}").as_bytes(), 5, 1, "missing field");
}

#[test]
fn long_snippets_are_cut() {
    let long = "x".repeat(200);
    let e = err_with(format!(r#"{{"series":"a","ts":1,"value":"{long}"}}"#).as_bytes(), None, Fail);
    assert!(e.message.len() < 140, "{}", e.message);
    assert!(e.message.contains('…'));
}

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_basic_reordered_extra_columns_and_crlf() {
    let input = "host,value,ts,series,region\r\nh1,1.5,10,a,eu\r\nh2,,20,b,us\r\nh3,NaN,5,a,eu\r\nh4,nan,30,b,us\r\nh5, 2 ,6,a,eu";
    let b = ok(input);
    assert_eq!(b.points, 5);
    assert_eq!(
        groups(&b),
        vec![g("a", &[5.0, 6.0, 10.0], &[None, Some(2.0), Some(1.5)]), g("b", &[20.0, 30.0], &[None, None])]
    );
}

#[test]
fn csv_quoting_and_embedded_newlines() {
    let input = "\"series\",\"ts\",\"value\",\"note\"\n\"a,1\",1,2,\"multi\nline\r\nnote\"\n\"say \"\"hi\"\"\",\"2\",\"3\",\"\"\n\"a,1\",3,4,x\n";
    let b = ok(input);
    assert_eq!(groups(&b), vec![g("a,1", &[1.0, 3.0], &[Some(2.0), Some(4.0)]), g("say \"hi\"", &[2.0], &[Some(3.0)])]);
    // Line numbers after a quoted newline are physical lines.
    let bad = "series,ts,value,note\na,1,2,\"x\ny\"\nb,oops,3,z\n";
    assert_err(bad.as_bytes(), 4, 3, "column \"ts\" is not a number or an ISO-8601 timestamp (found \"oops\")");
    // A field starting on a continuation line is located on that line.
    let bad = "series,note,ts,value\na,\"x\ny\",bad,1\n";
    assert_err(bad.as_bytes(), 3, 4, "column \"ts\"");
}

#[test]
fn csv_ts_forms_and_number_forms() {
    let input =
        "series,ts,value\na,2024-11-26T10:00:00Z,+1\na,2024-11-26 10:00:01.25,.5\na,2024-11-27,5.\na, 1e3 ,-1.5E-1\n";
    let b = ok(input);
    let t = 1_732_615_200_000.0;
    assert_eq!(b.series[0].ts, [1000.0, t, t + 1250.0, t + 14.0 * 3_600_000.0]);
    assert_eq!(b.series[0].values, [-0.15, 1.0, 0.5, 5.0]);
}

#[test]
fn csv_header_errors_are_hard_errors() {
    for policy in [Fail, Skip] {
        let e = err_with(b"series,time,value\na,1,2\n", None, policy);
        assert_eq!((e.line, e.column), (Some(1), Some(1)));
        assert!(
            e.message.contains(r#"lacks the required column "ts" (found "series", "time", "value")"#),
            "{}",
            e.message
        );
        let e = err_with(b"\n\nSeries,TS,value\n", None, policy);
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains(r#"required columns "series", "ts""#), "{}", e.message);
        let e = err_with(b"series,\"ts,value\n", None, policy);
        assert!(e.message.contains("in the CSV header: unterminated quoted field"), "{}", e.message);
        let e = err_with(b"series,ts,value,\xFF\n", None, policy);
        assert_eq!((e.line, e.column), (Some(1), Some(17)));
        assert!(e.message.contains("invalid UTF-8 in the CSV header"), "{}", e.message);
    }
    // Header only, or header and blank lines: empty.
    assert_eq!(ok("series,ts,value").series.len(), 0);
    assert_eq!(ok("series,ts,value\r\n\r\n\n").series.len(), 0);
    // A repeated name: the first column is used.
    assert_eq!(groups(&ok("series,ts,value,value\na,1,2,3\n")), vec![g("a", &[1.0], &[Some(2.0)])]);
}

#[test]
fn csv_error_positions_and_messages() {
    let h = "series,ts,value,x\n";
    let at = |body: &str, line, column, needle| assert_err(format!("{h}{body}").as_bytes(), line, column, needle);
    at("a,1,2,3,4\n", 2, 9, "expected 4 fields, found 5");
    at("a,1,2\n", 2, 6, "expected 4 fields, found 3");
    at("a,1,2\r\n", 2, 7, "expected 4 fields, found 3");
    at("a,1,abc,x\n", 2, 5, r#"column "value" is not a number (found "abc")"#);
    at("a,1,null,x\n", 2, 5, r#"column "value" is not a number (found "null")"#);
    at("a,1,inf,x\n", 2, 5, r#"column "value" is not a number"#);
    at("a,1,1e999,x\n", 2, 5, r#"column "value" is out of range: "1e999" is not a finite number"#);
    at("a,,1,x\n", 2, 3, r#"column "ts" is empty"#);
    at("a,2024-13-01,1,x\n", 2, 3, r#"column "ts" is not a valid ISO-8601 timestamp (found "2024-13-01"): month 13"#);
    at(",1,1,x\n", 2, 1, r#"column "series" is empty"#);
    at("a,1,1,x\n\"b\",1,\"2\"3,x\n", 3, 7, "unexpected character after the closing quote");
    at("a,1,1,x\nb,1,2,x\"y\n", 3, 7, "quote inside an unquoted field");
    at("a,1,1,\"x\n", 2, 7, "unterminated quoted field");
    // Invalid UTF-8: at the start of its field, naming the column.
    let mut bad = h.as_bytes().to_vec();
    bad.extend_from_slice(b"a,1,2,ok\xC3\x28\n");
    assert_err(&bad, 2, 7, r#"invalid UTF-8 in column "x""#);
    let mut bad = h.as_bytes().to_vec();
    bad.extend_from_slice(b"caf\xE9,1,2,x\n");
    assert_err(&bad, 2, 1, r#"invalid UTF-8 in column "series""#);
    // The leftmost bad field is reported.
    assert_err(b"value,ts,series\nabc,xyz,\n", 2, 1, r#"column "value""#);
    // A line of spaces is blank; other junk is a record.
    assert_eq!(ok(&format!("{h}  \t \na,1,2,x\n")).points, 1);
    at(" x\n", 2, 3, "expected 4 fields, found 1"); // at the end of the record
}

// ---------------------------------------------------------------------------------------------
// Grouping and ordering

#[test]
fn series_keep_first_appearance_order_and_sort_stably() {
    let input = "series,ts,value\nb,3,1\na,2,2\nb,1,3\nc,0,4\na,2,5\nb,3,6\na,1,7\nb,1,8\na,2,9\n";
    let b = ok(input);
    assert_eq!(
        groups(&b),
        vec![
            g("b", &[1.0, 1.0, 3.0, 3.0], &[Some(3.0), Some(8.0), Some(1.0), Some(6.0)]),
            g("a", &[1.0, 2.0, 2.0, 2.0], &[Some(7.0), Some(2.0), Some(5.0), Some(9.0)]),
            g("c", &[0.0], &[Some(4.0)]),
        ]
    );
    assert_eq!(b.points, 9);
    // -0 and 0 are equal timestamps: input order is kept.
    let b = ok("series,ts,value\na,0,1\na,-0,2\na,-1,3\n");
    assert_eq!(b.series[0].values, [3.0, 1.0, 2.0]);
    assert!(matches!(b.series[0].ts.at(2), Ts::Float(z) if z.to_bits() == (-0.0f64).to_bits()));
}

#[test]
fn many_series_interleaved() {
    let mut input = String::new();
    for t in 0..50 {
        for s in 0..300 {
            input.push_str(&format!("{{\"series\":\"s{s}\",\"ts\":{},\"value\":{s}}}\n", 50 - t));
        }
    }
    let b = ok(&input);
    assert_eq!(b.series.len(), 300);
    assert_eq!(b.points, 15_000);
    for (k, s) in b.series.iter().enumerate() {
        assert_eq!(s.id, format!("s{k}"));
        assert_eq!(s.ts, (1..=50).map(f64::from).collect::<Vec<_>>());
    }
}

// ---------------------------------------------------------------------------------------------
// The skip policy

#[test]
fn skip_counts_bad_lines_and_keeps_the_first_numbers() {
    let mut input = String::new();
    let mut expected_bad = Vec::new();
    for line in 1..=100 {
        if line % 3 == 0 {
            input.push_str("{\"series\":\"a\",\"ts\":1}\n");
            expected_bad.push(line);
        } else if line % 7 == 0 {
            input.push('\n');
        } else {
            input.push_str(&format!("{{\"series\":\"a\",\"ts\":{line},\"value\":1}}\n"));
        }
    }
    let b = ok_with(input.as_bytes(), None, Skip);
    assert_eq!(b.bad_lines, expected_bad.len());
    assert_eq!(b.bad_line_numbers, expected_bad[..Batch::MAX_BAD_LINE_NUMBERS]);
    assert_eq!(b.points, 100 - expected_bad.len() - (1..=100).filter(|l| l % 7 == 0 && l % 3 != 0).count());
    assert_eq!(b.points, b.series[0].ts.len());
    // Under fail the first one is the error.
    let e = err_with(input.as_bytes(), None, Fail);
    assert_eq!(e.line, Some(3));
}

#[test]
fn skip_resynchronises_after_any_kind_of_bad_line() {
    let input = [
        "{\"series\":\"a\",\"ts\":1,\"value\":1}",
        "{\"series\":\"a\",\"ts\":2,\"val",
        "{\"series\":\"a\",\"ts\":3,\"value\":\"x\"} junk",
        "\u{1}\u{2}",
        "{\"series\":\"a\",\"ts\":4,\"value\":4}",
        "not json at all",
        "{\"series\":\"a\",\"ts\":5,\"value\":5}",
    ]
    .join("\n");
    let b = ok_with(input.as_bytes(), None, Skip);
    assert_eq!(b.bad_line_numbers, [2, 3, 4, 6]);
    assert_eq!(b.series[0].ts, [1.0, 4.0, 5.0]);

    let csv = "series,ts,value\na,1,1\na,2\na,\"3,3\na,4,4\n";
    let b = ok_with(csv.as_bytes(), None, Skip);
    // The open quote does not swallow the rest of the input: parsing resumes on the next line.
    assert_eq!((b.points, b.bad_lines, b.bad_line_numbers.clone()), (2, 2, vec![3, 4]));
    let csv = "series,ts,value\na,1,1\nb,\"2\nx\",2\nc,x,3\na,3,3\n";
    let b = ok_with(csv.as_bytes(), None, Skip);
    assert_eq!((b.points, b.bad_line_numbers.clone()), (2, vec![3, 5]));
}

#[test]
fn csv_unterminated_quote_is_reported_at_the_quote_and_skip_resumes_on_the_next_line() {
    // Issue 10: `"s,1,1` on line 3 of a 1,001-line CSV dropped the 998 lines after it.
    let mut csv = String::from("series,ts,value\n");
    for line in 2..=1001 {
        csv.push_str(&if line == 3 { "\"s,1,1\n".to_string() } else { format!("s,{line},1\n") });
    }
    let b = ok_with(csv.as_bytes(), None, Skip);
    assert_eq!((b.points, b.bad_lines, b.bad_line_numbers.clone()), (999, 1, vec![3]));
    assert_err(csv.as_bytes(), 3, 1, "unterminated quoted field");
    // The opening quote's own line and column, also in a later field of a multi-line record.
    assert_err(b"series,ts,value\n\"a\nb\",1,\"2\nc,1,1\n", 3, 6, "unterminated quoted field");
    let b = ok_with(b"series,ts,value\n\"a\nb\",1,\"2\nc,1,1\n", None, Skip);
    assert_eq!((groups(&b), b.bad_line_numbers.clone()), (vec![g("c", &[1.0], &[Some(1.0)])], vec![2]));
    // A quote closed on a later line but followed by junk: it most likely opened the later
    // field, so the record ends at the opening quote's line and the later line is parsed too.
    let csv = "series,ts,value\n\"s,1,1\na,2,2\n\"x\",3,3\nb,4,4\n";
    assert_err(csv.as_bytes(), 2, 1, "unterminated quoted field (no closing quote followed by a separator)");
    assert_err(b"series,ts,value\n\"s\"x,1,1\n", 2, 1, "unexpected character after the closing quote");
    let b = ok_with(csv.as_bytes(), None, Skip);
    assert_eq!((b.points, b.bad_line_numbers.clone()), (3, vec![2]));
    assert_eq!(b.series.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a", "x", "b"]);
    // A well-closed multi-line field stays one record, skipped whole when bad.
    let b = ok_with(b"series,ts,value\n\"a\nb\",x,1\nc,1,1\n", None, Skip);
    assert_eq!((b.points, b.bad_line_numbers.clone()), (1, vec![2]));
}

#[test]
fn series_ids_over_the_limit_are_bad_lines_at_the_id() {
    use conclude_engine::parse::MAX_SERIES_BYTES;
    let at_limit = "n".repeat(MAX_SERIES_BYTES);
    let over = "n".repeat(MAX_SERIES_BYTES + 1);
    let line = |id: &str| format!("{{\"series\":\"{id}\",\"ts\":1,\"value\":1}}\n");
    assert_eq!(ok(&line(&at_limit)).series[0].id, at_limit);
    let needle =
        format!("\"series\" is too long: {} bytes, the limit is {MAX_SERIES_BYTES} bytes", MAX_SERIES_BYTES + 1);
    assert_err(format!("{}{}", line("a"), line(&over)).as_bytes(), 2, 11, &needle);
    // Counted by its decoded length: 2 bytes per `\u00e9`.
    let escaped = "\\u00e9".repeat(MAX_SERIES_BYTES / 2 + 1);
    assert_err(line(&escaped).as_bytes(), 1, 11, "is too long: 4098 bytes");
    // Under skip a counted bad line; the 2 MB name of issue 10 costs no more than a scan.
    let huge = format!("{}{}{}", line("a"), line(&"n".repeat(2_000_000)), line("b"));
    let b = ok_with(huge.as_bytes(), None, Skip);
    assert_eq!((b.points, b.bad_line_numbers.clone()), (2, vec![2]));
    // CSV: the same limit, at the start of the field (quoted or not).
    let csv = format!("series,ts,value,note\nx,2,1,\"{over}\"\n");
    assert_eq!(ok(&csv).series[0].id, "x"); // other columns have no limit
    let csv = format!("ts,series,value\n1,\"{over}\",1\n2,b,1\n");
    assert_err(csv.as_bytes(), 2, 3, &format!("column \"series\" is too long: {} bytes", MAX_SERIES_BYTES + 1));
    let b = ok_with(csv.as_bytes(), None, Skip);
    assert_eq!((b.points, b.bad_line_numbers.clone()), (1, vec![2]));
}

// ---------------------------------------------------------------------------------------------
// Parallel parsing inside a pool

fn fleet_ndjson(series: usize, points: usize, rng: &mut Rng) -> String {
    let mut out = String::new();
    for t in 0..points {
        for s in 0..series {
            let ts = 1_732_600_000 + t as u64 * 60 + (rng.below(3) as u64) * 60; // some disorder
            out.push_str(&format!(
                "{{\"series\":\"web-{s}.cpu\",\"ts\":{ts},\"value\":{}}}\n",
                rng.below(10_000) as f64 / 100.0
            ));
        }
    }
    out
}

#[test]
fn large_inputs_parse_in_parallel_inside_a_pool_with_identical_results() {
    let mut rng = Rng(7);
    let mut nd = fleet_ndjson(400, 400, &mut rng);
    // Some bad lines scattered around, far apart.
    let at_line = |nd: &str, at: usize| nd[at..].find('\n').unwrap() + at + 1;
    nd.insert_str(at_line(&nd, nd.len() / 3), "{\"series\":\"x\"}\n");
    nd.insert_str(at_line(&nd, nd.len() / 3 * 2), "oops\n");
    let csv = {
        let mut out = String::from("series,ts,value\n");
        for line in nd.lines() {
            match (line.find("\"series\":\""), line.find("\"ts\":"), line.find("\"value\":")) {
                (Some(s), Some(t), Some(v)) => {
                    let id = &line[s + 10..line[s + 10..].find('"').unwrap() + s + 10];
                    let ts = &line[t + 5..line[t + 5..].find(',').unwrap() + t + 5];
                    let value = &line[v + 8..line.len() - 1];
                    out.push_str(&format!("\"{id}\",{ts},{value}\n"));
                }
                _ => out.push_str("bad\n"),
            }
        }
        out
    };
    assert!(csv.len() > 4 << 20, "{}", csv.len());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for input in [nd.as_bytes(), csv.as_bytes()] {
        let sequential = ok_with(input, None, Skip);
        let parallel = pool.install(|| ok_with(input, None, Skip));
        assert!(same(&sequential, &parallel));
        assert_eq!(sequential.bad_lines, 2);
        let e1 = err_with(input, None, Fail);
        let e2 = pool.install(|| err_with(input, None, Fail));
        assert_eq!(e1, e2);
    }
}

// ---------------------------------------------------------------------------------------------
// Differential test: random NDJSON against a small reference parser

/// A JSON value of the reference parser.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool,
    /// The double, and the integer when the literal is one within `i64` (not `-0`).
    Num(f64, Option<i64>),
    Str(Option<String>), // None: valid JSON, but holds an unpaired surrogate
    Arr,
    Obj(Vec<(Option<String>, Json)>),
}

/// A straightforward recursive-descent JSON parser (RFC 8259), whole line at once.
struct RefParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl RefParser<'_> {
    fn parse_line(line: &[u8]) -> Option<Json> {
        let mut p = RefParser { s: line, i: 0 };
        p.ws();
        let v = p.value()?;
        p.ws();
        (p.i == line.len()).then_some(v)
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.s.get(self.i) == Some(&b)).then(|| self.i += 1)
    }
    fn value(&mut self) -> Option<Json> {
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat(b'}').is_some() {
                    return Some(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.string()? else { return None };
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    let v = self.value()?;
                    members.push((k, v));
                    self.ws();
                    if self.eat(b',').is_none() {
                        self.eat(b'}')?;
                        return Some(Json::Obj(members));
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(Json::Arr);
                }
                loop {
                    self.ws();
                    self.value()?;
                    self.ws();
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some(Json::Arr);
                    }
                }
            }
            b'"' => self.string(),
            b't' => self.word("true", Json::Bool),
            b'f' => self.word("false", Json::Bool),
            b'n' => self.word("null", Json::Null),
            _ => self.number(),
        }
    }
    fn word(&mut self, w: &str, v: Json) -> Option<Json> {
        self.s[self.i..].starts_with(w.as_bytes()).then(|| {
            self.i += w.len();
            v
        })
    }
    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - from
        };
        let _ = self.eat(b'-');
        if self.eat(b'0').is_none() && (!matches!(self.s.get(self.i), Some(b'1'..=b'9')) || digits(self) == 0) {
            return None;
        }
        if self.eat(b'.').is_some() && digits(self) == 0 {
            return None;
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let int = if text == "-0" { None } else { text.parse::<i64>().ok() };
        text.parse().ok().map(|v| Json::Num(v, int))
    }
    fn string(&mut self) -> Option<Json> {
        self.eat(b'"')?;
        let mut units: Vec<u16> = Vec::new();
        let mut raw = Vec::new();
        let flush = |raw: &mut Vec<u8>, units: &mut Vec<u16>| -> Option<()> {
            units.extend(std::str::from_utf8(raw).ok()?.encode_utf16());
            raw.clear();
            Some(())
        };
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    flush(&mut raw, &mut units)?;
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let unit = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5C,
                        b'/' => 0x2F,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => 10,
                        b'r' => 13,
                        b't' => 9,
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.i += 4;
                            u16::from_str_radix(hex, 16).ok()?
                        }
                        _ => return None,
                    };
                    units.push(unit);
                }
                0..=0x1F => return None,
                _ => raw.push(b),
            }
        }
        flush(&mut raw, &mut units)?;
        Some(Json::Str(String::from_utf16(&units).ok()))
    }
}

/// The reference semantics of one NDJSON line: `None` bad, `Some(None)` blank.
#[allow(clippy::option_option)]
fn reference_line(line: &[u8], iso: &dyn Fn(&str) -> Option<f64>) -> Option<Option<(String, Ts, f64)>> {
    if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Some(None);
    }
    let Json::Obj(members) = RefParser::parse_line(line)? else { return None };
    let get = |name: &str| members.iter().rev().find(|(k, _)| k.as_deref() == Some(name)).map(|(_, v)| v.clone());
    let series = match get("series")? {
        Json::Str(Some(s)) if !s.is_empty() => s,
        _ => return None,
    };
    let ts = match get("ts")? {
        Json::Num(_, Some(t)) => Ts::Int(t),
        Json::Num(t, None) => Ts::of_f64(t),
        Json::Str(Some(s)) => Ts::of_f64(iso(&s)?),
        _ => return None,
    };
    let value = match get("value")? {
        Json::Num(v, _) => v,
        Json::Null => f64::NAN,
        _ => return None,
    };
    (ts.is_finite() && !value.is_infinite()).then_some(Some((series, ts, value)))
}

fn reference_parse(input: &[u8], iso: &dyn Fn(&str) -> Option<f64>) -> Batch {
    let mut batch = Batch::default();
    let mut points: Vec<Vec<(Ts, f64)>> = Vec::new();
    for (k, line) in input.split(|&b| b == b'\n').enumerate() {
        match reference_line(line, iso) {
            None => {
                batch.bad_lines += 1;
                if batch.bad_line_numbers.len() < Batch::MAX_BAD_LINE_NUMBERS {
                    batch.bad_line_numbers.push(k + 1);
                }
            }
            Some(None) => {}
            Some(Some((id, ts, value))) => {
                batch.points += 1;
                let p = match batch.series.iter().position(|s| s.id == id) {
                    Some(p) => p,
                    None => {
                        batch.series.push(Series { id, ts: Timestamps::default(), values: vec![] });
                        points.push(Vec::new());
                        points.len() - 1
                    }
                };
                points[p].push((ts, value));
            }
        }
    }
    for (s, mut pairs) in batch.series.iter_mut().zip(points) {
        pairs.sort_by(|a, b| a.0.cmp_exact(b.0)); // stable, on the exact values
        let (ts, values) = pairs.into_iter().unzip();
        (s.ts, s.values) = (Timestamps::Mixed(ts), values);
    }
    batch
}

/// Epoch ms to `YYYY-MM-DDTHH:MM:SS.mmmZ` by counting days (independent of the parser).
fn format_iso(ms: i64) -> String {
    let (mut days, mut rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let mut year = 1970;
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if days < 0 {
            year -= 1;
            days += if leap(year) { 366 } else { 365 };
        } else if days >= len {
            days -= len;
            year += 1;
        } else {
            break;
        }
    }
    let months = [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while days >= months[month] {
        days -= months[month];
        month += 1;
    }
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    rem = milli;
    format!("{year:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{rem:03}Z", month + 1, days + 1)
}

/// The inverse of [`format_iso`] (exactly that shape, by counting days), else `None`.
fn reference_iso(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd.dddZ";
    if b.len() != shape.len() || !b.iter().zip(shape).all(|(c, p)| if *p == b'd' { c.is_ascii_digit() } else { c == p })
    {
        return None;
    }
    let num = |from: usize, to: usize| s[from..to].parse::<i64>().unwrap();
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let year_len = |y: i64| if leap(y) { 366 } else { 365 };
    let mut days: i64 =
        if year >= 1970 { (1970..year).map(year_len).sum() } else { -(year..1970).map(year_len).sum::<i64>() };
    let months = [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    days += months[..(month - 1) as usize].iter().sum::<i64>() + day - 1;
    let seconds = days * 86_400 + num(11, 13) * 3_600 + num(14, 16) * 60 + num(17, 19);
    Some((seconds * 1000 + num(20, 23)) as f64)
}

fn random_json_value(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => "null".into(),
        1 => rng.pick(&["true", "false"]).to_string(),
        2 => random_number(rng),
        3 | 4 => random_json_string(rng),
        5 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| random_json_value(rng, depth + 1)).collect();
            format!("[{}]", items.join(*rng.pick(&[",", " , ", ",\t"])))
        }
        _ => {
            let n = rng.below(4);
            let items: Vec<String> =
                (0..n).map(|_| format!("{}:{}", random_json_string(rng), random_json_value(rng, depth + 1))).collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

fn random_number(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(30) {
        s.push('-');
    }
    if rng.chance(20) {
        s.push('0');
    } else {
        s.push_str(&(1 + rng.below(9)).to_string());
        for _ in 0..rng.below(22) {
            s.push_str(&rng.below(10).to_string());
        }
    }
    if rng.chance(50) {
        s.push('.');
        for _ in 0..1 + rng.below(20) {
            s.push_str(&rng.below(10).to_string());
        }
    }
    if rng.chance(20) {
        s.push(*rng.pick(&['e', 'E']));
        s.push_str(rng.pick::<&str>(&["", "+", "-"]));
        let max = if rng.chance(5) { 400 } else { 30 };
        s.push_str(&rng.below(max).to_string());
    }
    s
}

fn random_json_string(rng: &mut Rng) -> String {
    let pieces = [
        "a",
        "b",
        "web-1.cpu",
        "é",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\n",
        "\\t",
        "\\u00e9",
        "\\u0041",
        "\\ud83d\\ude00",
        " ",
        "}",
        "{",
        ",",
        ":",
        "[",
        "\\ud800",
    ];
    let mut s = String::from("\"");
    for _ in 0..rng.below(6) {
        s.push_str(rng.pick::<&str>(&pieces));
    }
    s.push('"');
    s
}

fn random_line(rng: &mut Rng, ids: &[&str]) -> String {
    let ws = |rng: &mut Rng| rng.pick(&["", "", "", " ", "\t", "  "]).to_string();
    let mut members: Vec<String> = Vec::new();
    if !rng.chance(3) {
        let id = if rng.chance(90) { format!("\"{}\"", rng.pick(ids)) } else { random_json_string(rng) };
        members.push(format!("\"series\"{}:{}{}", ws(rng), ws(rng), id));
    }
    if !rng.chance(3) {
        let ts = match rng.below(10) {
            0 => format!("\"{}\"", format_iso(rng.below(315_000_000_000_000) as i64 - 62_000_000_000_000)),
            1 => random_json_value(rng, 0),
            _ => format!("{}", rng.below(100)),
        };
        members.push(format!("\"ts\":{}{ts}", ws(rng)));
    }
    if !rng.chance(3) {
        let value = match rng.below(10) {
            0 => "null".into(),
            1 => random_json_value(rng, 0),
            _ => random_number(rng),
        };
        members.push(format!("\"value\":{value}"));
    }
    for _ in 0..rng.below(3) {
        let key = rng.pick(&[
            "\"host\"",
            "\"tags\"",
            "\"\"",
            "\"a\\u00e9\"",
            "\"host\"",
            "\"tags\"",
            "\"v\\u0061lue\"",
            "\"ts\"",
            "\"s\\u0065ries\"",
        ]);
        members.push(format!("{key}:{}", random_json_value(rng, 0)));
    }
    // Shuffle.
    for k in (1..members.len()).rev() {
        members.swap(k, rng.below(k + 1));
    }
    let mut line =
        format!("{}{{{}{}}}{}", ws(rng), ws(rng), members.join(&format!("{},{}", ws(rng), ws(rng))), ws(rng));
    if rng.chance(5) {
        // Damage it.
        let cut = rng.below(line.len() + 1);
        if line.is_char_boundary(cut) {
            line.truncate(cut);
        }
    }
    if rng.chance(10) {
        line.push('\r');
    }
    line
}

#[test]
fn differential_against_a_reference_parser() {
    let mut rng = Rng(2024);
    let ids = ["web-1.cpu", "web-2.cpu", "db\\\"1", "caf\\u00e9", "café", "x"];
    let iso = |s: &str| reference_iso(s);
    let (mut lines_checked, mut points, mut bad) = (0, 0, 0);
    for round in 0..300 {
        let n = 1 + rng.below(40);
        let lines: Vec<String> =
            (0..n).map(|_| if rng.chance(5) { String::new() } else { random_line(&mut rng, &ids) }).collect();
        let mut input = lines.join("\n");
        if rng.chance(50) {
            input.push('\n');
        }
        let expected = reference_parse(input.as_bytes(), &iso);
        let got = ok_with(input.as_bytes(), Some(Ndjson), Skip);
        assert!(same(&got, &expected), "round {round}\ninput:\n{input}\ngot: {got:?}\nexpected: {expected:?}");
        // Under fail: the first bad line, or the same batch.
        match parse(input.as_bytes(), Some(Ndjson), Fail) {
            Ok(b) => assert_eq!(expected.bad_lines, 0, "{b:?}"),
            Err(e) => assert_eq!(e.line, expected.bad_line_numbers.first().copied(), "{}\n{input}", e.message),
        }
        lines_checked += n;
        points += expected.points;
        bad += expected.bad_lines;
    }
    assert!(lines_checked > 5_000);
    // Both kinds are well represented.
    assert!(points > lines_checked / 4 && bad > lines_checked / 10, "{points} points, {bad} bad of {lines_checked}");
    // Sanity of the ISO oracle: it is exact for generated strings.
    for _ in 0..200 {
        let ms = rng.below(315_000_000_000_000) as i64 - 62_000_000_000_000;
        assert_eq!(iso(&format_iso(ms)), Some(ms as f64), "{}", format_iso(ms));
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: random and mutated bytes never panic

#[test]
fn random_and_mutated_inputs_never_panic() {
    let mut rng = Rng(99);
    let seeds: Vec<Vec<u8>> = vec![
        format!("{LINE}\n{LINE}\r\n\n{{\"series\":\"a\\u00e9\",\"ts\":\"2024-02-29T23:59:59.999+14:00\",\"value\":null,\"x\":[{{\"y\":\"\\ud83d\\ude00\"}}]}}\n").into_bytes(),
        b"series,ts,value,note\n\"a,b\",1,2,\"x\"\"y\nz\"\nb,2024-11-26,NaN,\r\n\xEF\xBB\xBF,,,\n".to_vec(),
        "\u{feff}ts,value,series\r\n1,2,c\r\n".into(),
    ];
    let alphabet = b"{}[]\",:\\/u0123456789.eE+-ntrfals \t\r\nTZ\xC3\xA9\xFF\x00";
    for round in 0..4_000 {
        let input: Vec<u8> = if round % 4 == 0 {
            (0..rng.below(80)).map(|_| *rng.pick(alphabet)).collect()
        } else {
            let mut s = rng.pick(&seeds).clone();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(s.len() + 1);
                match rng.below(4) {
                    0 if at < s.len() => s[at] = *rng.pick(alphabet),
                    1 => s.insert(at, *rng.pick(alphabet)),
                    2 if at < s.len() => {
                        s.remove(at);
                    }
                    _ => s.truncate(at),
                }
            }
            s
        };
        for format in [None, Some(Ndjson), Some(Csv)] {
            for policy in [Fail, Skip] {
                match parse(&input, format, policy) {
                    Ok(b) => {
                        assert_eq!(b.points, b.series.iter().map(|s| s.ts.len()).sum::<usize>());
                        assert!(b.bad_line_numbers.len() <= Batch::MAX_BAD_LINE_NUMBERS.min(b.bad_lines));
                        assert!(b.bad_line_numbers.windows(2).all(|w| w[0] < w[1]));
                        assert!(b.series.iter().all(|s| !s.id.is_empty() && s.ts.ascending()));
                        assert!(b.series.iter().flat_map(|s| s.ts.iter()).all(|t| t.is_finite()));
                        if policy == Fail {
                            assert_eq!(b.bad_lines, 0);
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.kind, ErrorKind::Parse);
                        assert!(e.line.unwrap() >= 1 && e.column.unwrap() >= 1, "{}", e.message);
                        let lines = input.split(|&b| b == b'\n').count();
                        assert!(e.line.unwrap() <= lines, "{} > {lines}", e.message);
                    }
                }
            }
        }
    }
}
