//! Serialization of conclusions: JSON values and ready-to-send Kafka messages.
//!
//! Field names and order are the API's (SPEC section 3, camelCase). Numbers are
//! written so that they round-trip: integral values below 2^53 as integers, the
//! rest in Rust's shortest round-trip form; non-finite values as `null`. A timestamp
//! held as an integer is written as its exact digits ([`Ts`]); for JavaScript
//! ([`WideTs::Quoted`]) one beyond ±(2^53 − 1) is written as a string of those
//! digits, which the binding turns into a `BigInt` after `JSON.parse`.

use std::io::Write;
use std::ops::Range;

use rayon::prelude::*;

use crate::anomaly::Anomaly;
use crate::batch::Ts;
use crate::changepoint::ChangePoint;
use crate::engine::Analysis;
use crate::options::{AnomalyOptions, Category, ChangepointMethod, TrendMethod};
use crate::summary::Summary;
use crate::trend::Trend;

/// One conclusion, borrowed from an [`Analysis`].
#[derive(Debug, Clone, Copy)]
pub enum Conclusion<'a> {
    Summary(&'a Summary),
    Anomaly { ts: Ts, anomaly: &'a Anomaly, params: AnomalyOptions },
    Changepoint { ts: Ts, changepoint: &'a ChangePoint, method: ChangepointMethod },
    Trend { trend: &'a Trend, method: TrendMethod, level_shift_explained: Option<bool> },
}

impl Conclusion<'_> {
    pub fn category(&self) -> Category {
        match self {
            Conclusion::Summary(_) => Category::Summary,
            Conclusion::Anomaly { .. } => Category::Anomaly,
            Conclusion::Changepoint { .. } => Category::Changepoint,
            Conclusion::Trend { .. } => Category::Trend,
        }
    }
}

/// Calls `f(series, conclusion)` for every conclusion of `category`, in series
/// order then index order.
pub fn for_each<'a>(analysis: &'a Analysis, category: Category, f: impl FnMut(&'a str, Conclusion<'a>)) {
    for_each_of(analysis, category, 0..analysis.ids.len(), f)
}

/// [`for_each`] over the series `range` (indexes into `analysis.ids`) only.
fn for_each_of<'a>(
    analysis: &'a Analysis,
    category: Category,
    range: Range<usize>,
    mut f: impl FnMut(&'a str, Conclusion<'a>),
) {
    let params = analysis.options.anomaly;
    let cp_method = analysis.options.changepoint.method;
    let trend_method = analysis.options.trend.method;
    for (id, c) in analysis.ids[range.clone()].iter().zip(&analysis.conclusions[range]) {
        match category {
            Category::Summary => c.summary.iter().for_each(|s| f(id, Conclusion::Summary(s))),
            Category::Anomaly => {
                for (ts, anomaly) in &c.anomalies {
                    f(id, Conclusion::Anomaly { ts: *ts, anomaly, params })
                }
            }
            Category::Changepoint => {
                for (ts, changepoint) in &c.changepoints {
                    f(id, Conclusion::Changepoint { ts: *ts, changepoint, method: cp_method })
                }
            }
            Category::Trend => c.trend.iter().for_each(|trend| {
                f(id, Conclusion::Trend { trend, method: trend_method, level_shift_explained: c.level_shift_explained })
            }),
        }
    }
}

/// The timestamps of a conclusion that are integers beyond ±(2^53 − 1) ([`Ts::is_wide_int`]),
/// by field name: what [`WideTs::Quoted`] writes as strings, for the binding to make `BigInt`s.
pub fn wide_ts(c: &Conclusion<'_>) -> impl Iterator<Item = (&'static str, i64)> {
    let fields: [(&'static str, Option<Ts>); 2] = match c {
        Conclusion::Summary(s) => [("firstTs", s.first_ts), ("lastTs", s.last_ts)],
        Conclusion::Anomaly { ts, .. } | Conclusion::Changepoint { ts, .. } => [("ts", Some(*ts)), ("", None)],
        Conclusion::Trend { .. } => [("", None), ("", None)],
    };
    fields.into_iter().filter_map(|(k, t)| match t {
        Some(t @ Ts::Int(v)) if t.is_wide_int() => Some((k, v)),
        _ => None,
    })
}

/// Writes `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a number (or `null` when not finite): an integral value below 2^53 as an integer
/// (`itoa`), `-0` as `-0.0`, any other in Rust's shortest round-trip form (`{:?}`). Not `ryu`:
/// its digits are as short, but on an exact tie (e.g. 2602429984357.78125, 17 digits either
/// way) it rounds the last digit to even where `{:?}` rounds up, so messages would change bytes.
pub fn write_num(out: &mut Vec<u8>, v: f64) {
    const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !v.is_finite() {
        out.extend_from_slice(b"null");
    } else if v.fract() == 0.0 && v.abs() < EXACT_INT {
        if v == 0.0 && v.is_sign_negative() {
            out.extend_from_slice(b"-0.0");
        } else {
            write_int(out, v as i64);
        }
    } else {
        let _ = write!(out, "{v:?}");
    }
}

/// Writes an integer's digits.
pub fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// How a timestamp beyond ±(2^53 − 1) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WideTs {
    /// Its digits, a JSON number (Kafka messages, files: exact for any reader that keeps them).
    Digits,
    /// Its digits in a JSON string (for JavaScript, which `JSON.parse` would round).
    Quoted,
}

/// Writes a timestamp: an integer as its exact digits (quoted when wide and `wide` says so), a
/// double as [`write_num`] does.
pub fn write_ts(out: &mut Vec<u8>, t: Ts, wide: WideTs) {
    match t {
        Ts::Int(_) if wide == WideTs::Quoted && t.is_wide_int() => {
            let Ts::Int(t) = t else { unreachable!() };
            out.push(b'"');
            write_int(out, t);
            out.push(b'"');
        }
        Ts::Int(t) => write_int(out, t),
        Ts::Float(v) => write_num(out, v),
    }
}

fn write_opt(out: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) => write_num(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// A tiny object writer that takes care of commas.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    wide: WideTs,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        Obj::open_with(out, WideTs::Digits)
    }
    fn open_with(out: &'a mut Vec<u8>, wide: WideTs) -> Self {
        out.push(b'{');
        Obj { out, first: true, wide }
    }
    fn ts(&mut self, k: &str, t: Option<Ts>) -> &mut Self {
        let wide = self.wide;
        match t {
            Some(t) => write_ts(self.key(k), t, wide),
            None => self.key(k).extend_from_slice(b"null"),
        }
        self
    }
    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }
    fn num(&mut self, k: &str, v: f64) -> &mut Self {
        write_num(self.key(k), v);
        self
    }
    fn opt(&mut self, k: &str, v: Option<f64>) -> &mut Self {
        write_opt(self.key(k), v);
        self
    }
    fn int(&mut self, k: &str, v: i64) -> &mut Self {
        write_int(self.key(k), v);
        self
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        write_str(self.key(k), v);
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).extend_from_slice(if v { b"true" } else { b"false" });
        self
    }
    fn close(self) {
        self.out.push(b'}');
    }
}

/// Provenance stamped on Kafka message values.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    /// The batch's id (file name and unit, or topic-partition-offset).
    pub batch: &'a str,
    /// Engine version.
    pub version: &'a str,
}

/// Writes one conclusion as a JSON object: `series`, the fields, then, when
/// `provenance` is given (Kafka values), `category` first and `batch`/`version` last.
/// `wide` says how integer timestamps beyond ±(2^53 − 1) are written.
pub fn write_conclusion(
    out: &mut Vec<u8>,
    series: &str,
    c: Conclusion<'_>,
    provenance: Option<Provenance<'_>>,
    wide: WideTs,
) {
    let mut o = Obj::open_with(out, wide);
    if provenance.is_some() {
        o.str("category", c.category().name());
    }
    o.str("series", series);
    match c {
        Conclusion::Summary(s) => {
            o.int("count", s.count as i64)
                .int("missing", s.missing as i64)
                .opt("min", s.min)
                .opt("max", s.max)
                .opt("mean", s.mean)
                .opt("std", s.std)
                .opt("p50", s.p50)
                .opt("p90", s.p90)
                .opt("p95", s.p95)
                .opt("p99", s.p99)
                .ts("firstTs", s.first_ts)
                .ts("lastTs", s.last_ts);
        }
        Conclusion::Anomaly { ts, anomaly: a, params } => {
            o.int("index", a.index as i64)
                .ts("ts", Some(ts))
                .num("value", a.value)
                .num("median", a.median)
                .num("mad", a.mad)
                .opt("score", a.score)
                .int("halfWindow", params.half_window as i64)
                .num("threshold", params.threshold)
                .str("method", params.method.name());
        }
        Conclusion::Changepoint { ts, changepoint: c, method } => {
            o.int("index", c.index as i64)
                .ts("ts", Some(ts))
                .num("meanBefore", c.mean_before)
                .num("meanAfter", c.mean_after)
                .num("delta", c.delta)
                .num("penalty", c.penalty)
                .str("method", method.name());
        }
        Conclusion::Trend { trend: t, method, level_shift_explained } => {
            o.str("trend", t.trend.as_str())
                .bool("h", t.h)
                .num("p", t.p)
                .num("z", t.z)
                .num("tau", t.tau)
                .int("s", t.s)
                .num("varS", t.var_s)
                .num("slope", t.slope)
                .num("intercept", t.intercept)
                .int("n", t.n as i64)
                .str("method", method.name());
            if let Some(explained) = level_shift_explained {
                o.bool("levelShiftExplained", explained);
            }
        }
    }
    if let Some(p) = provenance {
        o.str("batch", p.batch).str("version", p.version);
    }
    o.close();
}

/// The whole result as JSON, in the shape of the JS `AnalysisResult`
/// (categories not requested are empty arrays); `wide` as in [`write_conclusion`].
pub fn analysis_json(a: &Analysis, wide: WideTs) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * (a.ids.len() + 1));
    out.push(b'{');
    for category in Category::ALL {
        write_str(&mut out, category.name());
        out.extend_from_slice(b":[");
        let mut first = true;
        if a.options.wants(category) {
            for_each(a, category, |series, c| {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_conclusion(&mut out, series, c, None, wide);
            });
        }
        out.extend_from_slice(b"],");
    }
    let s = &a.stats;
    let t = &s.timings;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    out.extend_from_slice(b"\"stats\":");
    let mut o = Obj::open(&mut out);
    o.int("points", s.points as i64).int("series", s.series as i64).int("badLines", s.bad_lines as i64);
    let lines = o.key("badLineNumbers");
    lines.push(b'[');
    for (i, n) in s.bad_line_numbers.iter().enumerate() {
        if i > 0 {
            lines.push(b',');
        }
        write_int(lines, *n);
    }
    lines.push(b']');
    o.int("changepointSkipped", s.changepoint_skipped as i64);
    let names = o.key("changepointSkippedSeries");
    names.push(b'[');
    for (i, id) in s.changepoint_skipped_series.iter().enumerate() {
        if i > 0 {
            names.push(b',');
        }
        write_str(names, id);
    }
    names.push(b']');
    o.int("threads", s.threads as i64);
    let timings = o.key("timings");
    let mut tm = Obj::open(timings);
    tm.num("parseMs", ms(t.parse))
        .num("analyzeMs", ms(t.analyze))
        .num("totalMs", ms(t.total))
        .num("summaryMs", ms(t.summary))
        .num("anomalyMs", ms(t.anomaly))
        .num("changepointMs", ms(t.changepoint))
        .num("trendMs", ms(t.trend));
    tm.close();
    o.close();
    out.push(b'}');
    out
}

/// Fields per message in [`Messages::index`].
pub const MESSAGE_FIELDS: usize = 5;

/// Ready-to-send Kafka messages: keys and values back to back in `data`, and
/// for message `i`, `index[5i..5i+5]` = `[category, keyStart, keyEnd,
/// valueStart, valueEnd]` (byte offsets into `data`; category as in
/// [`Category::ALL`]). Messages are grouped by category, then series order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Messages {
    pub data: Vec<u8>,
    pub index: Vec<u32>,
}

impl Messages {
    pub fn len(&self) -> usize {
        self.index.len() / MESSAGE_FIELDS
    }
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// Series per piece of [`messages`]' parallel pass: enough that joining the pieces costs
/// little next to writing them (a summary message is about 300 bytes).
const MESSAGE_PIECE_SERIES: usize = 512;

/// Builds the Kafka messages of an analysis (only requested categories) on the pool of the
/// analysis's threads, from any thread (the synchronous binding calls it on the JS thread,
/// the asynchronous one on the pool). Pieces of [`MESSAGE_PIECE_SERIES`] series are written
/// in parallel, then joined in order, so the bytes are those of one serial pass: formatting
/// numbers is most of the work, and it was the serial tail of a batch of many short series.
/// Errors if `data` would exceed 4 GiB (offsets are u32): split the batch.
pub fn messages(a: &Analysis, provenance: Provenance<'_>) -> Result<Messages, crate::Error> {
    crate::pool::get(a.options.threads)?.install(|| messages_on_current_pool(a, provenance))
}

fn messages_on_current_pool(a: &Analysis, provenance: Provenance<'_>) -> Result<Messages, crate::Error> {
    let wanted: Vec<(u32, Category)> =
        (0u32..).zip(Category::ALL).filter(|(_, category)| a.options.wants(*category)).collect();
    let n = a.ids.len();
    let write = |range: Range<usize>| -> Vec<Messages> {
        wanted
            .iter()
            .map(|&(code, category)| {
                let mut m = Messages::default();
                for_each_of(a, category, range.clone(), |series, c| {
                    let key_start = m.data.len();
                    m.data.extend_from_slice(series.as_bytes());
                    let value_start = m.data.len();
                    write_conclusion(&mut m.data, series, c, Some(provenance), WideTs::Digits);
                    let value_end = m.data.len();
                    // Offsets within the piece: past 4 GiB they would wrap, which the total's check refuses.
                    m.index.extend([code as usize, key_start, value_start, value_start, value_end].map(|v| v as u32));
                });
                m
            })
            .collect()
    };
    let mut pieces: Vec<Vec<Messages>> = if n <= MESSAGE_PIECE_SERIES || rayon::current_num_threads() == 1 {
        vec![write(0..n)]
    } else {
        (0..n.div_ceil(MESSAGE_PIECE_SERIES))
            .into_par_iter()
            .map(|k| write(k * MESSAGE_PIECE_SERIES..((k + 1) * MESSAGE_PIECE_SERIES).min(n)))
            .collect()
    };
    // Every piece is within the total: if the total fits in u32 offsets, so do the pieces'.
    let total: usize = pieces.iter().flatten().map(|m| m.data.len()).sum();
    if u32::try_from(total).is_err() {
        return Err(crate::Error::options("the batch's messages exceed 4 GiB: split the batch"));
    }
    if let [only] = pieces.as_mut_slice() {
        if let [one] = only.as_mut_slice() {
            return Ok(std::mem::take(one));
        }
    }
    let mut out = Messages {
        data: Vec::with_capacity(total),
        index: Vec::with_capacity(pieces.iter().flatten().map(|m| m.index.len()).sum()),
    };
    for k in 0..wanted.len() {
        for piece in &pieces {
            let m = &piece[k];
            let base = out.data.len() as u32;
            out.data.extend_from_slice(&m.data);
            out.index.extend(
                m.index
                    .chunks_exact(MESSAGE_FIELDS)
                    .flat_map(|f| [f[0], f[1] + base, f[2] + base, f[3] + base, f[4] + base]),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64) -> String {
        let mut o = Vec::new();
        write_num(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(num(1732600000.0), "1732600000");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(-2.5e-300), "-2.5e-300");
        assert_eq!(num(1e300), "1e300");
        assert_eq!(num(f64::NAN), "null");
        assert_eq!(num(-0.0), "-0.0");
        for v in [0.1 + 0.2, 1.0 / 3.0, 123456.789e10, 9007199254740993.0] {
            assert_eq!(num(v).parse::<f64>().unwrap(), v);
        }
    }

    /// `write_num` before `itoa`: what every number must still be written as.
    fn num_by_fmt(v: f64) -> String {
        if !v.is_finite() {
            "null".into()
        } else if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            if v == 0.0 && v.is_sign_negative() {
                "-0.0".into()
            } else {
                format!("{}", v as i64)
            }
        } else {
            format!("{v:?}")
        }
    }

    #[test]
    fn numbers_are_written_as_before_byte_for_byte() {
        let mut edges = vec![
            0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, 1e21, 1e-7, 1e-5, 1e-4, 1e-3, 1e15, 1e16, 1e17, 1e22,
            1.5e16, 9_007_199_254_740_991.0, 9_007_199_254_740_992.0, 9_007_199_254_740_994.0, 9_999_999_999_999_998.0,
            f64::MIN_POSITIVE, f64::MIN_POSITIVE / 3.0, 5e-324, f64::MAX, f64::MIN, f64::EPSILON, f64::NAN, f64::INFINITY,
            f64::NEG_INFINITY, 123_456.789e10, 0.1 + 0.2, 1e23, 5e-310, 4.35e-5, 9.999_999_999_999_999e-5,
        ];
        // Both sides of every notation boundary, one ulp apart.
        for b in [1e-5, 1e-4, 1e16, 1e21, 9_007_199_254_740_992.0] {
            let bits = f64::to_bits(b);
            edges.extend([f64::from_bits(bits - 1), f64::from_bits(bits + 1)]);
        }
        let mut all: Vec<f64> = edges.iter().flat_map(|&v| [v, -v]).collect();
        // Random bit patterns (every exponent, subnormals included), random values of the
        // magnitudes conclusions have, and short decimals, from a fixed xorshift seed.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..400_000 {
            let r = next();
            all.push(f64::from_bits(r));
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            all.push((unit - 0.5) * 10f64.powi((next() % 40) as i32 - 20));
            all.push((next() % 2_000_000) as f64 / 10f64.powi((next() % 12) as i32));
        }
        for v in all {
            assert_eq!(num(v), num_by_fmt(v), "bits {:#018x}", v.to_bits());
        }
    }

    #[test]
    fn integer_timestamps_are_written_exactly() {
        let ts = |t: Ts, wide: WideTs| {
            let mut o = Vec::new();
            write_ts(&mut o, t, wide);
            String::from_utf8(o).unwrap()
        };
        let ns = 1_732_600_000_000_000_123i64;
        assert_eq!(ts(Ts::Int(ns), WideTs::Digits), "1732600000000000123");
        assert_eq!(ts(Ts::Int(-ns), WideTs::Quoted), "\"-1732600000000000123\"");
        assert_eq!(ts(Ts::Int(i64::MIN), WideTs::Digits), "-9223372036854775808");
        // Within ±(2^53 − 1) a JS number is exact: never quoted.
        assert_eq!(ts(Ts::Int(9_007_199_254_740_991), WideTs::Quoted), "9007199254740991");
        assert_eq!(ts(Ts::Int(9_007_199_254_740_992), WideTs::Quoted), "\"9007199254740992\"");
        assert_eq!(ts(Ts::Float(1.5), WideTs::Quoted), "1.5");
        assert_eq!(ts(Ts::Float(-0.0), WideTs::Digits), "-0.0");
    }

    #[test]
    fn strings_are_escaped() {
        let mut o = Vec::new();
        write_str(&mut o, "a\"b\\c\n\u{1}é");
        assert_eq!(String::from_utf8(o).unwrap(), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
