//! NDJSON: one JSON object per line.
//!
//! Every line is validated against the JSON grammar (RFC 8259), in one pass and without
//! building a tree: the three known fields are decoded as they are met, every other value is
//! checked and skipped (iteratively, so deep nesting cannot overflow the stack). A raw line
//! break always ends the line, since JSON never needs one inside a value.
//!
//! Rules beyond the grammar:
//! * `series`: a non-empty string of at most [`MAX_SERIES_BYTES`] bytes once decoded; escapes
//!   (`\"`, `\\`, `\uXXXX` with surrogate pairs) are decoded; an unpaired surrogate cannot be
//!   a series id and is an error;
//! * `ts`: a number (an integer literal within `i64` held exactly), or a string holding an
//!   ISO-8601 timestamp (epoch milliseconds);
//! * `value`: a number, or `null` for a missing value (`NaN`);
//! * numbers must be finite once parsed (`1e400` is rejected; `JSON.parse` would give
//!   `Infinity`);
//! * a duplicate key replaces the earlier one (as with `JSON.parse`): a wrongly typed value is
//!   only an error if no later duplicate replaces it, but it must still be valid JSON.
//!
//! Error columns are 1-based byte offsets within the line of the offending token (the opening
//! `{` for a missing field).

use std::borrow::Cow;

use super::group::Groups;
use super::{
    accumulate_digits, exact_decimal, exact_integer, find_byte, iso8601, run_chunks, series_too_long, snippet,
    split_at_newlines, BadLines, Chunk, LineError, Plan, MAX_SERIES_BYTES,
};
use crate::batch::Ts;
use crate::error::Error;
use crate::options::BadLinePolicy;

/// Parses a whole NDJSON buffer (BOM already removed).
pub(super) fn parse(input: &[u8], policy: BadLinePolicy, plan: Plan) -> Result<(Groups<'_>, BadLines), Error> {
    let ranges = split_at_newlines(input, plan.chunk_count(input.len()));
    run_chunks(input, 1, ranges, |chunk| parse_chunk(chunk, policy))
}

/// Parses whole lines; line numbers in the result are relative to the chunk.
fn parse_chunk(buf: &[u8], policy: BadLinePolicy) -> Chunk<'_> {
    let mut chunk = Chunk::default();
    let mut p = Parser { buf, i: 0, stack: Vec::new(), wrong: Vec::new() };
    let mut line = 0;
    while p.i < buf.len() {
        line += 1;
        let start = p.i;
        match p.line() {
            Ok(Some(point)) => chunk.groups.push(point.series, point.ts, point.value),
            Ok(None) => {}
            Err(fault) => {
                if policy == BadLinePolicy::Fail {
                    let column = fault.at.saturating_sub(start) + 1;
                    chunk.error = Some(LineError { line, column, reason: fault.reason });
                    break;
                }
                chunk.bad.record(line);
                p.i = find_byte(buf, fault.at, b'\n').map_or(buf.len(), |n| n + 1);
            }
        }
    }
    chunk.lines = line;
    chunk
}

/// What is wrong with a line, and where (an index into the chunk).
#[derive(Debug)]
struct Fault {
    at: usize,
    reason: String,
}

/// One accepted point; `series` is valid UTF-8.
struct Point<'a> {
    series: Cow<'a, [u8]>,
    ts: Ts,
    value: f64,
}

/// A JSON number as validated: its digits (accumulated with wrapping arithmetic) and shape.
struct Scanned {
    start: usize,
    negative: bool,
    m: u64,
    int_digits: usize,
    frac_digits: usize,
    /// No exponent.
    plain: bool,
}

/// A known field as last seen on the line.
enum Slot<T> {
    Missing,
    Found(T),
    /// Valid JSON of the wrong kind: the error (in [`Parser::wrong`]) is reported only if no
    /// later duplicate key replaces the field.
    Wrong(usize),
}

/// Which field a key names.
enum Key {
    Series,
    Ts,
    Value,
    Other,
}

/// A string token: the bytes between its quotes, and whether any escape occurs.
struct RawStr {
    start: usize,
    end: usize,
    escaped: bool,
}

/// The scanner. The end of the buffer reads as a line break.
struct Parser<'a> {
    buf: &'a [u8],
    i: usize,
    /// Containers open while skipping a value: `true` for an object (reused across lines).
    stack: Vec<bool>,
    /// Errors of wrongly typed fields of the current line (see [`Slot::Wrong`]).
    wrong: Vec<Fault>,
}

impl<'a> Parser<'a> {
    #[inline(always)]
    fn at(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(b'\n')
    }

    #[inline(always)]
    fn peek(&self) -> u8 {
        self.at(self.i)
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\r') {
            self.i += 1;
        }
    }

    /// Moves past the line break at `self.i` (or stays at the end of the buffer).
    fn next_line(&mut self) {
        self.i = (self.i + 1).min(self.buf.len());
    }

    #[cold]
    fn fault(&self, reason: impl Into<String>) -> Fault {
        Fault { at: self.i, reason: reason.into() }
    }

    /// The byte at `self.i` is not what the grammar allows there.
    #[cold]
    fn unexpected(&self, expected: &str) -> Fault {
        let reason = match self.peek() {
            b'\n' => format!("truncated JSON: unexpected end of line ({expected})"),
            b => format!("unexpected {}, {expected}", describe(b)),
        };
        self.fault(reason)
    }

    /// Parses the line at `self.i`; on success `self.i` is the start of the next line and the
    /// result `None` for a blank line.
    #[inline]
    fn line(&mut self) -> Result<Option<Point<'a>>, Fault> {
        let start = self.i;
        if let Some(point) = self.canonical_line() {
            return Ok(Some(point));
        }
        self.i = start;
        self.general_line()
    }

    /// The fast path for the shape machines write, `{"series":"id","ts":N,"value":N|null}`
    /// exactly (no whitespace, a plain printable-ASCII id, plain numbers); `None` for anything
    /// else (`self.i` then undefined), which [`Self::general_line`] parses from scratch and
    /// validates, so that the two cannot disagree.
    #[inline]
    fn canonical_line(&mut self) -> Option<Point<'a>> {
        const SERIES: &[u8; 11] = b"{\"series\":\"";
        const TS: &[u8; 7] = b"\",\"ts\":";
        const VALUE: &[u8; 9] = b",\"value\":";
        let buf: &'a [u8] = self.buf;
        let mut i = self.i;
        if !has_prefix(buf.get(i..)?, SERIES) {
            return None;
        }
        i += SERIES.len();
        let id_start = i;
        while let Some(&b) = buf.get(i) {
            if STRING_STOP[usize::from(b)] {
                break;
            }
            i += 1;
        }
        let id = &buf[id_start..i];
        if id.is_empty() || id.len() > MAX_SERIES_BYTES || !has_prefix(&buf[i..], TS) {
            return None;
        }
        self.i = i + TS.len();
        let ts = self.plain_ts()?;
        if !has_prefix(&buf[self.i..], VALUE) {
            return None;
        }
        self.i += VALUE.len();
        let value = if has_prefix(&buf[self.i..], b"null") {
            self.i += 4;
            f64::NAN
        } else {
            self.plain_number()?
        };
        let mut end = self.i;
        if buf.get(end) != Some(&b'}') {
            return None;
        }
        end += 1;
        if buf.get(end) == Some(&b'\r') {
            end += 1;
        }
        match buf.get(end) {
            None => self.i = end,
            Some(b'\n') => self.i = end + 1,
            Some(_) => return None,
        }
        Some(Point { series: Cow::Borrowed(id), ts, value })
    }

    /// A finite JSON number, as [`Self::number`] reads it (else `None`).
    #[inline]
    fn plain_number(&mut self) -> Option<f64> {
        if !matches!(self.peek(), b'-' | b'0'..=b'9') {
            return None;
        }
        let v = self.number().ok()?;
        v.is_finite().then_some(v)
    }

    /// A finite JSON number as a timestamp, as [`Self::ts_number`] reads it (else `None`;
    /// without a `Result` in between: this is the per-line fast path).
    #[inline]
    fn plain_ts(&mut self) -> Option<Ts> {
        if !matches!(self.peek(), b'-' | b'0'..=b'9') {
            return None;
        }
        let n = self.scan_number().ok()?;
        if n.plain && n.frac_digits == 0 {
            if let Some(t) = exact_integer(n.negative, n.m, n.int_digits) {
                return Some(Ts::Int(t));
            }
        }
        let v = self.double(&n).ok()?;
        v.is_finite().then(|| Ts::of_f64(v))
    }

    /// Any line (see the module documentation).
    fn general_line(&mut self) -> Result<Option<Point<'a>>, Fault> {
        self.skip_ws();
        match self.peek() {
            b'\n' => {
                self.next_line();
                return Ok(None);
            }
            b'{' => {}
            _ => return Err(self.unexpected("expected a JSON object")),
        }
        let object_at = self.i;
        self.i += 1;
        self.wrong.clear();
        let mut series = Slot::Missing;
        let mut ts = Slot::Missing;
        let mut value = Slot::Missing;
        self.skip_ws();
        if self.peek() == b'}' {
            self.i += 1;
        } else {
            loop {
                if self.peek() != b'"' {
                    return Err(self.unexpected("expected a field name in double quotes"));
                }
                let key = self.key()?;
                self.skip_ws();
                if self.peek() != b':' {
                    return Err(self.unexpected("expected ':' after the field name"));
                }
                self.i += 1;
                self.skip_ws();
                match key {
                    Key::Series => series = self.series().map(|r| self.slot(r))?,
                    Key::Ts => ts = self.ts().map(|r| self.slot(r))?,
                    Key::Value => value = self.value().map(|r| self.slot(r))?,
                    Key::Other => self.skip_value()?,
                }
                self.skip_ws();
                match self.peek() {
                    b',' => {
                        self.i += 1;
                        self.skip_ws();
                    }
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.unexpected("expected ',' or '}' after a field value")),
                }
            }
        }
        self.skip_ws();
        if self.peek() != b'\n' {
            return Err(
                self.fault(format!("unexpected {} after the JSON object (one object per line)", describe(self.peek())))
            );
        }
        self.next_line();
        Ok(Some(Point {
            series: self.resolve(series, object_at, "series")?,
            ts: self.resolve(ts, object_at, "ts")?,
            value: self.resolve(value, object_at, "value")?,
        }))
    }

    /// Records a field's value, parking the error of a wrongly typed one.
    #[inline]
    fn slot<T>(&mut self, field: Result<T, Fault>) -> Slot<T> {
        match field {
            Ok(v) => Slot::Found(v),
            Err(fault) => {
                self.wrong.push(fault);
                Slot::Wrong(self.wrong.len() - 1)
            }
        }
    }

    /// A field's final value, or why the line is bad.
    #[inline]
    fn resolve<T>(&mut self, slot: Slot<T>, object_at: usize, name: &str) -> Result<T, Fault> {
        match slot {
            Slot::Found(v) => Ok(v),
            Slot::Missing => Err(Fault { at: object_at, reason: format!("missing field \"{name}\"") }),
            Slot::Wrong(k) => Err(std::mem::replace(&mut self.wrong[k], Fault { at: 0, reason: String::new() })),
        }
    }

    /// A member name (at its opening quote).
    #[inline]
    fn key(&mut self) -> Result<Key, Fault> {
        // Fast path: the known names, exactly, as they are nearly always written.
        let rest = &self.buf[self.i + 1..];
        let known = match rest.first() {
            Some(b's') if has_prefix(rest, b"series\"") => Some((Key::Series, 8)),
            Some(b't') if has_prefix(rest, b"ts\"") => Some((Key::Ts, 4)),
            Some(b'v') if has_prefix(rest, b"value\"") => Some((Key::Value, 7)),
            _ => None,
        };
        if let Some((key, len)) = known {
            self.i += len;
            return Ok(key);
        }
        let s = self.string()?;
        let known = |name: &[u8]| match name {
            b"series" => Key::Series,
            b"ts" => Key::Ts,
            b"value" => Key::Value,
            _ => Key::Other,
        };
        if !s.escaped {
            return Ok(known(&self.buf[s.start..s.end]));
        }
        // `"s\u0065ries"` is `series` too; an undecodable name is none of ours.
        Ok(self.decode(&s).map_or(Key::Other, |name| known(name.as_bytes())))
    }

    /// The value of `series` (UTF-8, borrowed unless escaped): the outer error is invalid
    /// JSON, the inner a wrong value.
    fn series(&mut self) -> Result<Result<Cow<'a, [u8]>, Fault>, Fault> {
        let at = self.i;
        if self.peek() != b'"' {
            self.skip_value()?;
            return Ok(Err(self.wrong_kind(at, "series", "a string")));
        }
        let s = self.string()?;
        if s.start == s.end {
            return Ok(Err(Fault { at, reason: "\"series\" is an empty string".into() }));
        }
        let id = if s.escaped {
            match self.decode(&s) {
                Ok(id) => Cow::Owned(id.into_owned().into_bytes()),
                Err(fault) => return Ok(Err(fault)),
            }
        } else {
            let buf: &'a [u8] = self.buf;
            Cow::Borrowed(&buf[s.start..s.end])
        };
        if id.len() > MAX_SERIES_BYTES {
            return Ok(Err(Fault { at, reason: format!("\"series\" {}", series_too_long(id.len())) }));
        }
        Ok(Ok(id))
    }

    /// The value of `ts`: a number or an ISO-8601 string.
    fn ts(&mut self) -> Result<Result<Ts, Fault>, Fault> {
        let at = self.i;
        match self.peek() {
            b'-' | b'0'..=b'9' => {
                let t = self.ts_number()?;
                Ok(match t {
                    Ts::Float(v) => self.finite(v, at, "ts").map(Ts::Float),
                    t => Ok(t),
                })
            }
            b'"' => {
                let s = self.string()?;
                let decoded;
                let text = if s.escaped {
                    decoded = match self.decode(&s) {
                        Ok(text) => text,
                        Err(fault) => return Ok(Err(fault)),
                    };
                    decoded.as_bytes()
                } else {
                    &self.buf[s.start..s.end]
                };
                Ok(iso8601::to_epoch_ms(text).map(Ts::of_f64).map_err(|why| Fault {
                    at,
                    reason: format!(
                        "\"ts\" is not a valid ISO-8601 timestamp (found {}): {why}",
                        snippet(&self.buf[at..self.i])
                    ),
                }))
            }
            _ => {
                self.skip_value()?;
                Ok(Err(self.wrong_kind(at, "ts", "a number or an ISO-8601 string")))
            }
        }
    }

    /// The value of `value`: a number, or `null` (missing, `NaN`).
    fn value(&mut self) -> Result<Result<f64, Fault>, Fault> {
        let at = self.i;
        match self.peek() {
            b'-' | b'0'..=b'9' => {
                let v = self.number()?;
                Ok(self.finite(v, at, "value"))
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(Ok(f64::NAN))
            }
            _ => {
                self.skip_value()?;
                Ok(Err(self.wrong_kind(at, "value", "a number or null")))
            }
        }
    }

    /// `v`, parsed from the token at `at..self.i`, unless it is infinite.
    #[inline]
    fn finite(&self, v: f64, at: usize, field: &str) -> Result<f64, Fault> {
        if v.is_finite() {
            Ok(v)
        } else {
            let token = snippet(&self.buf[at..self.i]);
            Err(Fault { at, reason: format!("\"{field}\" is out of range: {token} is not a finite number") })
        }
    }

    #[cold]
    fn wrong_kind(&self, at: usize, field: &str, expected: &str) -> Fault {
        let found = snippet(&self.buf[at..self.i]);
        Fault { at, reason: format!("\"{field}\" is not {expected} (found {found})") }
    }

    /// A JSON number, parsed exactly: plain decimals from the digits gathered while
    /// validating, others with `str::parse::<f64>` on the exact text (correctly rounded).
    #[inline]
    fn number(&mut self) -> Result<f64, Fault> {
        let n = self.scan_number()?;
        self.double(&n)
    }

    /// A JSON number as a timestamp: an integer literal within `i64` exactly, any other number
    /// as its double ([`Ts::of_f64`]).
    #[inline]
    fn ts_number(&mut self) -> Result<Ts, Fault> {
        let n = self.scan_number()?;
        if n.plain && n.frac_digits == 0 {
            if let Some(t) = exact_integer(n.negative, n.m, n.int_digits) {
                return Ok(Ts::Int(t));
            }
        }
        self.double(&n).map(Ts::of_f64)
    }

    /// The double of a scanned number.
    #[inline]
    fn double(&self, n: &Scanned) -> Result<f64, Fault> {
        if n.plain {
            if let Some(v) = exact_decimal(n.negative, n.m, n.int_digits + n.frac_digits, n.frac_digits) {
                return Ok(v);
            }
        }
        let text = &self.buf[n.start..self.i];
        // The grammar above is a subset of Rust's float syntax: this cannot fail.
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .ok_or_else(|| Fault { at: n.start, reason: format!("invalid number {}", snippet(text)) })
    }

    /// Validates a JSON number (at its first byte), gathering its digits; `self.i` ends after it.
    #[inline(always)]
    fn scan_number(&mut self) -> Result<Scanned, Fault> {
        let buf = self.buf;
        let start = self.i;
        let negative = buf.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        let mut m: u64 = 0;
        let mut i = accumulate_digits(buf, int_start, &mut m);
        let int_digits = i - int_start;
        if int_digits == 0 {
            self.i = i;
            return Err(self.unexpected("expected a digit"));
        }
        if int_digits > 1 && buf[int_start] == b'0' {
            self.i = int_start + 1;
            return Err(self.unexpected("numbers have no leading zeros"));
        }
        let mut frac_digits = 0;
        if buf.get(i) == Some(&b'.') {
            let frac_start = i + 1;
            i = accumulate_digits(buf, frac_start, &mut m);
            frac_digits = i - frac_start;
            if frac_digits == 0 {
                self.i = i;
                return Err(self.unexpected("expected a digit after the decimal point"));
            }
        }
        let plain = !matches!(buf.get(i), Some(b'e' | b'E'));
        if !plain {
            i += 1;
            if matches!(buf.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp_start = i;
            while buf.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == exp_start {
                self.i = i;
                return Err(self.unexpected("expected a digit in the exponent"));
            }
        }
        self.i = i;
        Ok(Scanned { start, negative, m, int_digits, frac_digits, plain })
    }

    /// The exact word `true`, `false` or `null`.
    fn literal(&mut self, word: &[u8]) -> Result<(), Fault> {
        for &w in word {
            if self.peek() != w {
                let expected = format!("expected `{}`", String::from_utf8_lossy(word));
                return Err(self.unexpected(&expected));
            }
            self.i += 1;
        }
        Ok(())
    }

    /// A string (at its opening quote), validated: escapes, no raw control characters, UTF-8.
    fn string(&mut self) -> Result<RawStr, Fault> {
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        let mut ascii = true;
        loop {
            while let Some(&b) = self.buf.get(i) {
                if STRING_STOP[usize::from(b)] {
                    break;
                }
                i += 1;
            }
            match self.at(i) {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match self.at(i + 1) {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' if hex4(self.buf.get(i + 2..i + 6)).is_some() => i += 6,
                        b'u' => {
                            self.i = i;
                            return Err(self.fault("invalid \\u escape: expected 4 hex digits"));
                        }
                        b'\n' => {
                            self.i = i + 1;
                            return Err(self.unexpected("inside a string"));
                        }
                        _ => {
                            self.i = i;
                            let esc = snippet(&self.buf[i..(i + 2).min(self.buf.len())]);
                            return Err(self.fault(format!("invalid escape '{esc}' in a string")));
                        }
                    }
                }
                b'\n' => {
                    self.i = i;
                    return Err(self.unexpected("inside a string"));
                }
                0..=0x1F => {
                    self.i = i;
                    return Err(self.fault("control character in a string (it must be escaped)"));
                }
                0x80.. => {
                    ascii = false;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        if !ascii {
            if let Err(e) = std::str::from_utf8(&self.buf[start..i]) {
                self.i = start + e.valid_up_to();
                return Err(self.fault("invalid UTF-8 in a string"));
            }
        }
        self.i = i + 1;
        Ok(RawStr { start, end: i, escaped })
    }

    /// The text of a validated string: borrowed from the input unless it has escapes.
    fn decode(&self, s: &RawStr) -> Result<Cow<'a, str>, Fault> {
        let buf: &'a [u8] = self.buf;
        let raw = &buf[s.start..s.end];
        let utf8_fault = |at: usize| Fault { at, reason: "invalid UTF-8 in a string".into() };
        if !s.escaped {
            return std::str::from_utf8(raw).map(Cow::Borrowed).map_err(|e| utf8_fault(s.start + e.valid_up_to()));
        }
        let mut out = String::with_capacity(raw.len());
        let mut j = 0;
        while j < raw.len() {
            // A run without escapes (it ends before a `\`, so on a character boundary).
            let run_end = raw[j..].iter().position(|&b| b == b'\\').map_or(raw.len(), |p| j + p);
            let run = std::str::from_utf8(&raw[j..run_end]).map_err(|e| utf8_fault(s.start + j + e.valid_up_to()))?;
            out.push_str(run);
            j = run_end;
            if j == raw.len() {
                break;
            }
            let escape_at = s.start + j;
            let bad_escape = || Fault { at: escape_at, reason: "invalid escape in a string".into() };
            let ch = match raw.get(j + 1).copied() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let unit = hex4(raw.get(j + 2..j + 6)).ok_or_else(bad_escape)?;
                    let ch = if (0xD800..0xDC00).contains(&unit) {
                        let low = match raw.get(j + 6..j + 8) {
                            Some(b"\\u") => hex4(raw.get(j + 8..j + 12)),
                            _ => None,
                        };
                        match low {
                            Some(low) if (0xDC00..0xE000).contains(&low) => {
                                j += 6;
                                char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            }
                            _ => None,
                        }
                    } else {
                        char::from_u32(unit) // `None` for a lone low surrogate
                    };
                    j += 4;
                    ch.ok_or_else(|| Fault {
                        at: escape_at,
                        reason: "invalid \\u escape: unpaired UTF-16 surrogate".into(),
                    })?
                }
                _ => return Err(bad_escape()),
            };
            out.push(ch);
            j += 2;
        }
        Ok(Cow::Owned(out))
    }

    /// Validates and skips any JSON value (at its first byte).
    fn skip_value(&mut self) -> Result<(), Fault> {
        self.stack.clear();
        loop {
            // A value starts here.
            match self.peek() {
                b'"' => {
                    self.string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'{' => {
                    self.i += 1;
                    self.skip_ws();
                    if self.peek() == b'}' {
                        self.i += 1;
                    } else {
                        self.stack.push(true);
                        self.member_name()?;
                        continue;
                    }
                }
                b'[' => {
                    self.i += 1;
                    self.skip_ws();
                    if self.peek() == b']' {
                        self.i += 1;
                    } else {
                        self.stack.push(false);
                        continue;
                    }
                }
                _ => return Err(self.unexpected("expected a JSON value")),
            }
            // A value is complete: close containers, or go on to the next element.
            loop {
                let Some(&in_object) = self.stack.last() else { return Ok(()) };
                self.skip_ws();
                match self.peek() {
                    b',' => {
                        self.i += 1;
                        self.skip_ws();
                        if in_object {
                            self.member_name()?;
                        }
                        break;
                    }
                    b'}' if in_object => {
                        self.i += 1;
                        self.stack.pop();
                    }
                    b']' if !in_object => {
                        self.i += 1;
                        self.stack.pop();
                    }
                    _ if in_object => return Err(self.unexpected("expected ',' or '}' in an object")),
                    _ => return Err(self.unexpected("expected ',' or ']' in an array")),
                }
            }
        }
    }

    /// Inside a skipped object: `"name"`, `:` and the whitespace before the value.
    fn member_name(&mut self) -> Result<(), Fault> {
        if self.peek() != b'"' {
            return Err(self.unexpected("expected a field name in double quotes"));
        }
        self.string()?;
        self.skip_ws();
        if self.peek() != b':' {
            return Err(self.unexpected("expected ':' after the field name"));
        }
        self.i += 1;
        self.skip_ws();
        Ok(())
    }
}

/// The bytes that interrupt a plain run inside a string: `"`, `\\`, controls and non-ASCII.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b >= 0x80 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    table
};

/// Whether `s` starts with `prefix` (a fixed-size compare, no `memcmp` call).
#[inline(always)]
fn has_prefix<const N: usize>(s: &[u8], prefix: &[u8; N]) -> bool {
    s.first_chunk::<N>() == Some(prefix)
}

/// Four hex digits as a UTF-16 code unit.
fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    let digits = digits?;
    if digits.len() != 4 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
}

/// A byte for an error message: `character 'x'` when printable ASCII, else `byte 0xNN`.
fn describe(b: u8) -> String {
    match b {
        0x20..=0x7E => format!("character '{}'", b as char),
        _ => format!("byte 0x{b:02X}"),
    }
}
