//! NDJSON against a reference built on serde_json: each line parsed on its own into a
//! `serde_json::Value`, the three fields read from it. Under `skip` the batches must be
//! bit-identical (ids, ts, values, bad line numbers); under `fail` the error must name the
//! reference's first bad line. Lines serde_json cannot judge like `JSON.parse` (lone surrogates
//! outside `series`, nesting over its recursion limit) make the input unjudged: only the
//! invariants are checked then.
#![no_main]

use conclude_engine::options::{BadLinePolicy, Format};
use conclude_engine::parse::{iso8601, parse, MAX_SERIES_BYTES};
use conclude_engine::batch::{Timestamps, Ts};
use conclude_engine::{Batch, Series};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

enum Line {
    Blank,
    Bad,
    Point(String, Ts, f64),
    /// serde_json is stricter than JSON here.
    Unjudged,
}

/// serde_json's errors for lines `JSON.parse` reads: a lone trailing surrogate or a lone leading
/// one followed by another `\u` escape ("lone leading surrogate in hex escape"), a lone leading
/// surrogate followed by anything else, the string's end or another escape ("unexpected end of
/// hex escape": found by the fuzzer, `{"series":"a","":"\udada","ts":2,"value":1}` is a point),
/// nesting deeper than 128 ("recursion limit exceeded").
const SERDE_JSON_STRICTER: [&str; 3] = ["surrogate", "unexpected end of hex escape", "recursion limit"];

fn reference_line(line: &[u8]) -> Line {
    if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Line::Blank;
    }
    let v: Value = match from_slice_like_json_parse(line) {
        Ok(v) => v,
        Err(e) => {
            let why = e.to_string();
            return if SERDE_JSON_STRICTER.iter().any(|m| why.contains(m)) { Line::Unjudged } else { Line::Bad };
        }
    };
    let Value::Object(map) = v else { return Line::Bad };
    let series = match map.get("series") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_SERIES_BYTES => s.clone(),
        _ => return Line::Bad,
    };
    let number = |v: &Value| v.as_f64().filter(|x| x.is_finite());
    let ts = match map.get("ts") {
        Some(Value::String(s)) => iso8601::to_epoch_ms(s.as_bytes()).ok().map(Ts::of_f64),
        // An integer literal within i64 is exact; serde_json reads `-0` as the double -0.0.
        Some(v @ Value::Number(_)) => v.as_i64().map(Ts::Int).or_else(|| number(v).map(Ts::of_f64)),
        _ => None,
    };
    let value = match map.get("value") {
        Some(Value::Null) => Some(f64::NAN),
        Some(v @ Value::Number(_)) => number(v),
        _ => None,
    };
    match (ts, value) {
        (Some(ts), Some(value)) => Line::Point(series, ts, value),
        _ => Line::Bad,
    }
}

/// `serde_json::from_slice`, except that a number too large for a double (`1e400`), which
/// serde_json rejects and `JSON.parse` reads as `Infinity`, is read as `{}`: a value of the same
/// JSON grammar that is ignored in an ignored field and bad as `series`, `ts` or `value`, as an
/// infinite number is there. (Found by the fuzzer: `{"series":"a","ts":1,"":1e888,"value":1}`
/// is a point.)
///
/// serde_json's error column is the number of bytes it has read of the (one-line) input: the
/// literal's end, or inside its exponent when the exponent overflows an `i32` (`1e99999999999`).
/// The literal starts after the last byte before that column that no number has (a literal
/// follows `:`, `[`, `,`, whitespace or nothing) and ends where the JSON number grammar ends, not
/// at the next non-number byte: in `1e401e400` the literal is `1e401`, and `{}e400` stays as bad
/// as the line is for `JSON.parse`. (Found by the fuzzer.)
fn from_slice_like_json_parse(line: &[u8]) -> serde_json::Result<Value> {
    let is_number_byte = |b: &u8| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-');
    let mut line = line.to_vec();
    loop {
        match serde_json::from_slice(&line) {
            Err(e) if e.to_string().starts_with("number out of range") => {
                let at = e.column().min(line.len());
                let start = line[..at].iter().rposition(|b| !is_number_byte(b)).map_or(0, |p| p + 1);
                let end = start + json_number_len(&line[start..]);
                // serde_json only judges a number's range once its grammar holds up to `at`.
                assert!(start < end && at <= end, "no number literal at column {at}: {e}");
                line.splice(start..end, *b"{}");
            }
            other => return other,
        }
    }
}

/// The length of the longest prefix of `s` that is a JSON number,
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (0 when none is).
fn json_number_len(s: &[u8]) -> usize {
    let digits = |from: usize| s[from.min(s.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(s.first() == Some(&b'-'));
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(i),
        _ => return 0,
    }
    if s.get(i) == Some(&b'.') && digits(i + 1) > 0 {
        i += 1 + digits(i + 1);
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    i
}

/// The batch of the whole input, or `None` when a line is unjudged.
fn reference(input: &[u8]) -> Option<Batch> {
    let mut batch = Batch::default();
    let mut points: Vec<Vec<(Ts, f64)>> = Vec::new();
    for (k, line) in input.split(|&b| b == b'\n').enumerate() {
        match reference_line(line) {
            Line::Blank => {}
            Line::Unjudged => return None,
            Line::Bad => {
                batch.bad_lines += 1;
                if batch.bad_line_numbers.len() < Batch::MAX_BAD_LINE_NUMBERS {
                    batch.bad_line_numbers.push(k + 1);
                }
            }
            Line::Point(id, ts, value) => {
                batch.points += 1;
                let s = match batch.series.iter().position(|s| s.id == id) {
                    Some(p) => p,
                    None => {
                        batch.series.push(Series { id, ts: Timestamps::default(), values: vec![] });
                        points.push(Vec::new());
                        batch.series.len() - 1
                    }
                };
                points[s].push((ts, value));
            }
        }
    }
    for (s, mut pairs) in batch.series.iter_mut().zip(points) {
        pairs.sort_by(|a, b| a.0.cmp_exact(b.0)); // stable, on the exact values
        let (ts, values) = pairs.into_iter().unzip();
        (s.ts, s.values) = (Timestamps::Mixed(ts), values);
    }
    Some(batch)
}

fuzz_target!(|data: &[u8]| {
    // A BOM or leading blank would change nothing the reference models; keep inputs as given.
    if data.starts_with(b"\xEF\xBB\xBF") {
        return;
    }
    let skip = parse(data, Some(Format::Ndjson), BadLinePolicy::Skip).expect("skip never fails on NDJSON");
    let fail = parse(data, Some(Format::Ndjson), BadLinePolicy::Fail);
    match &fail {
        Ok(b) => assert!(b.same_bits(&skip) && skip.bad_lines == 0, "fail and skip disagree"),
        Err(e) => assert_eq!(e.line, skip.bad_line_numbers.first().copied(), "{}", e.message),
    }
    if let Some(want) = reference(data) {
        assert!(skip.same_bits(&want), "input {:?}\n got {skip:?}\nwant {want:?}", String::from_utf8_lossy(data));
    }
});
