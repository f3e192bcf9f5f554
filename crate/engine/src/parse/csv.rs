//! CSV (RFC 4180): a header row, then one record per line.
//!
//! * Fields are separated by `,`; records end at LF or CRLF (a `\r` right before the line break
//!   is not part of the last field). Blank lines (only spaces, tabs, `\r`) are ignored.
//! * A field starting with `"` is quoted: it may hold `,`, line breaks and `""` (a literal
//!   quote). A quote inside an unquoted field, anything but a separator after a closing quote,
//!   or a quoted field left open at the end of the input make the record bad.
//! * Where a record with broken quotes ends: a quoted field left open to the end of the input,
//!   or closed on a later line by a quote followed by anything but a separator, is reported at
//!   its opening quote, and the next record starts on the line after that quote (under `skip`
//!   the rest of the input is parsed, not swallowed). A quoted field that closes properly may
//!   span lines: its record is one record, skipped whole if bad, and counted at its first line.
//! * The header names at least `series`, `ts` and `value` (case-sensitive, any order; the first
//!   of repeated names is used; other columns are ignored). Every record must have as many
//!   fields as the header, and be valid UTF-8 throughout.
//! * `series`: non-empty, at most [`MAX_SERIES_BYTES`] bytes, taken as is (no trimming). `ts`:
//!   a number (an integer within `i64` held exactly), or an ISO-8601 timestamp (epoch
//!   milliseconds). `value`: a number; an empty cell, `NaN` or `nan` is missing. Numbers
//!   (`ts`, `value`) may be surrounded by spaces, and use the usual decimal forms (`-1.5e3`,
//!   `+2`, `.5`, `5.`); `inf` and the like are not numbers, and overflowing ones are rejected.
//!
//! Error lines and columns are those of the start of the offending field (a record may span
//! lines); the reason names the column. Skipped records are counted by their first line.

use std::borrow::Cow;
use std::ops::Range;

use super::group::Groups;
use super::{
    find_any, find_byte, iso8601, plain_decimal, plain_integer, quote, run_chunks, series_too_long, split_at_newlines,
    BadLines, Chunk, LineError, Plan, HIGH_BITS, MAX_SERIES_BYTES,
};
use crate::batch::Ts;
use crate::error::Error;
use crate::options::BadLinePolicy;

/// Parses a whole CSV buffer (BOM already removed).
pub(super) fn parse(input: &[u8], policy: BadLinePolicy, plan: Plan) -> Result<(Groups<'_>, BadLines), Error> {
    let mut tok = Tokenizer::new(input);
    tok.skip_blank_lines();
    if tok.at_end() {
        return Ok((Groups::default(), BadLines::default()));
    }
    let header = tok.record();
    let layout = Layout::from_header(&tok, &header)?;
    let first_line = tok.line;
    let body = &input[tok.i..];
    let n = plan.chunk_count(body.len());
    let ranges =
        if n <= 1 || find_byte(body, 0, b'"').is_none() { split_at_newlines(body, n) } else { split_records(body, n) };
    run_chunks(body, first_line, ranges, |chunk| parse_chunk(chunk, &layout, policy))
}

/// Parses whole records; line numbers in the result are relative to the chunk.
fn parse_chunk<'a>(buf: &'a [u8], layout: &Layout, policy: BadLinePolicy) -> Chunk<'a> {
    let mut chunk = Chunk::default();
    let mut tok = Tokenizer::new(buf);
    loop {
        tok.skip_blank_lines();
        if tok.at_end() {
            break;
        }
        let record = tok.record();
        match layout.point(&tok, &record) {
            Ok((id, ts, value)) => chunk.groups.push(id, ts, value),
            Err(e) if policy == BadLinePolicy::Fail => {
                chunk.error = Some(e);
                return chunk;
            }
            Err(_) => chunk.bad.record(record.line),
        }
    }
    // The line breaks read, plus a last line without one.
    chunk.lines = tok.line - 1 + usize::from(buf.last().is_some_and(|&b| b != b'\n'));
    chunk
}

/// Splits `body` into about `n` ranges at record boundaries, following quotes (a sequential
/// scan, used only when the body contains quotes).
pub(super) fn split_records(body: &[u8], n: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::with_capacity(n);
    let mut start = 0;
    let mut i = 0;
    for k in 1..n {
        let target = body.len() * k / n;
        while i < target {
            i = skip_record(body, i, true);
        }
        if i >= body.len() {
            break;
        }
        if i == start {
            continue;
        }
        ranges.push(start..i);
        start = i;
    }
    ranges.push(start..body.len());
    ranges
}

/// The end of the record starting at `i` (after its line break): the record boundaries of
/// [`Tokenizer::record`], without the bookkeeping. `whole`: `buf` is the whole input, so a
/// quote never closed is broken; otherwise `buf` is a prefix of a stream ([`crate::spill`]) and
/// such a record is unfinished (its end is `buf.len()`): the quote may close further on.
pub(super) fn skip_record(buf: &[u8], mut i: usize, whole: bool) -> usize {
    // After a broken quoted field the next record starts on the line after its opening quote.
    let resync = |open: usize| find_byte(buf, open, b'\n').map_or(buf.len(), |p| p + 1);
    loop {
        if buf.get(i) == Some(&b'"') {
            let open = i;
            i += 1;
            loop {
                match find_byte(buf, i, b'"') {
                    None if whole => return resync(open),
                    None => return buf.len(),
                    Some(q) if buf.get(q + 1) == Some(&b'"') => i = q + 2,
                    Some(q) => {
                        i = q + 1;
                        break;
                    }
                }
            }
            let mut k = i;
            if buf.get(k) == Some(&b'\r') && matches!(buf.get(k + 1), None | Some(b'\n')) {
                k += 1;
            }
            if !matches!(buf.get(k), None | Some(b',' | b'\n')) && buf[open..i].contains(&b'\n') {
                return resync(open);
            }
        }
        loop {
            match buf.get(i) {
                None => return buf.len(),
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(b'\n') => return i + 1,
                Some(_) => i += 1,
            }
        }
    }
}

/// Where the required columns are.
#[derive(Debug)]
struct Layout {
    /// Header names, one per column.
    names: Vec<String>,
    /// The required columns' indices, left to right (the leftmost bad one is reported).
    required: [(usize, Column); 3],
}

/// A required column.
#[derive(Debug, Clone, Copy)]
enum Column {
    Series,
    Ts,
    Value,
}

impl Layout {
    fn from_header(tok: &Tokenizer<'_>, header: &Record) -> Result<Layout, Error> {
        if let Some((at, reason)) = header.syntax {
            let (line, column) = tok.locate(header, at);
            return Err(Error::parse(line, column, format!("in the CSV header: {reason}")));
        }
        let mut names = Vec::with_capacity(tok.fields.len());
        for f in &tok.fields {
            match std::str::from_utf8(&tok.unescaped(f)) {
                Ok(name) => names.push(name.to_owned()),
                Err(_) => {
                    let (line, column) = tok.locate(header, f.raw_start);
                    return Err(Error::parse(line, column, "invalid UTF-8 in the CSV header"));
                }
            }
        }
        let find = |name: &str| names.iter().position(|n| n == name);
        if let (Some(series), Some(ts), Some(value)) = (find("series"), find("ts"), find("value")) {
            let mut required = [(series, Column::Series), (ts, Column::Ts), (value, Column::Value)];
            required.sort_unstable_by_key(|(k, _)| *k);
            return Ok(Layout { names, required });
        }
        const SHOWN: usize = 12;
        let list =
            |names: &mut dyn Iterator<Item = &str>| names.map(|n| quote(n.as_bytes())).collect::<Vec<_>>().join(", ");
        let missing: Vec<&str> = ["series", "ts", "value"].into_iter().filter(|n| find(n).is_none()).collect();
        let mut found = list(&mut names.iter().map(String::as_str).take(SHOWN));
        if names.len() > SHOWN {
            found.push_str(&format!(", … ({} columns)", names.len()));
        }
        let plural = if missing.len() > 1 { "s" } else { "" };
        let reason = format!(
            "the CSV header lacks the required column{plural} {} (found {found})",
            list(&mut missing.iter().copied())
        );
        Err(Error::parse(header.line, 1, reason))
    }

    /// The point of a record (its series id valid UTF-8), or why the record is bad.
    fn point<'a>(&self, tok: &Tokenizer<'a>, record: &Record) -> Result<(Cow<'a, [u8]>, Ts, f64), LineError> {
        let bad = |at: usize, reason: String| {
            let (line, column) = tok.locate(record, at);
            LineError { line, column, reason }
        };
        if let Some((at, reason)) = record.syntax {
            return Err(bad(at, reason.into()));
        }
        let fields = &tok.fields;
        let n = self.names.len();
        if fields.len() != n {
            // At the first extra field, or where the missing ones should have started.
            let at = fields.get(n).map_or(record.end, |f| f.raw_start);
            return Err(bad(at, format!("expected {n} fields, found {}", fields.len())));
        }
        if !record.ascii {
            if let Err(e) = std::str::from_utf8(&tok.buf[record.start..record.end]) {
                let at = record.start + e.valid_up_to();
                let k = fields.iter().rposition(|f| f.raw_start <= at).unwrap_or(0);
                let reason = format!("invalid UTF-8 in column {}", quote(self.names[k].as_bytes()));
                return Err(bad(fields[k].raw_start, reason));
            }
        }
        let (mut series, mut ts, mut value) = (Cow::Borrowed(&b""[..]), Ts::Int(0), f64::NAN);
        for (k, column) in self.required {
            let f = &fields[k];
            match column {
                Column::Series => {
                    // The record is valid UTF-8 (checked above), hence so is the field.
                    series = tok.unescaped(f);
                    if series.is_empty() {
                        return Err(bad(f.raw_start, "column \"series\" is empty".into()));
                    }
                    if series.len() > MAX_SERIES_BYTES {
                        return Err(bad(f.raw_start, format!("column \"series\" {}", series_too_long(series.len()))));
                    }
                }
                Column::Ts => ts = parse_ts(tok.content(f)).map_err(|why| bad(f.raw_start, why))?,
                Column::Value => value = parse_value(tok.content(f)).map_err(|why| bad(f.raw_start, why))?,
            }
        }
        Ok((series, ts, value))
    }
}

/// A `ts` cell: a number (an integer within `i64` exactly) or an ISO-8601 timestamp.
fn parse_ts(cell: &[u8]) -> Result<Ts, String> {
    let text = cell.trim_ascii();
    if text.is_empty() {
        return Err("column \"ts\" is empty".into());
    }
    let unsigned = text.strip_prefix(b"+").filter(|rest| rest.first().is_some_and(u8::is_ascii_digit));
    if let Some(t) = plain_integer(unsigned.unwrap_or(text)) {
        return Ok(Ts::Int(t));
    }
    if let Some(v) = number(text) {
        return finite(v, text, "ts").map(Ts::of_f64);
    }
    let looks_like_date = text.len() > 4 && text[..4].iter().all(u8::is_ascii_digit) && text[4] == b'-';
    match iso8601::to_epoch_ms(text) {
        Ok(ms) => Ok(Ts::of_f64(ms)),
        Err(why) if looks_like_date => {
            Err(format!("column \"ts\" is not a valid ISO-8601 timestamp (found {}): {why}", quote(cell)))
        }
        Err(_) => Err(format!("column \"ts\" is not a number or an ISO-8601 timestamp (found {})", quote(cell))),
    }
}

/// A `value` cell: a number; empty, `NaN` or `nan` is missing.
fn parse_value(cell: &[u8]) -> Result<f64, String> {
    let text = cell.trim_ascii();
    if matches!(text, b"" | b"NaN" | b"nan") {
        return Ok(f64::NAN);
    }
    match number(text) {
        Some(v) => finite(v, text, "value"),
        None => Err(format!("column \"value\" is not a number (found {})", quote(cell))),
    }
}

/// A decimal number (`-1.5e3`, `+2`, `.5`, `5.`), correctly rounded (as `str::parse::<f64>`);
/// not `inf`, `nan` or other words Rust would accept.
#[inline]
fn number(text: &[u8]) -> Option<f64> {
    if let Some(v) = plain_decimal(text) {
        return Some(v);
    }
    if !text.iter().all(|b| matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E')) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn finite(v: f64, text: &[u8], column: &str) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("column \"{column}\" is out of range: {} is not a finite number", quote(text)))
    }
}

/// One field of the current record (positions in the tokenizer's buffer).
#[derive(Debug, Clone, Copy)]
struct Field {
    /// Where the field starts (its opening quote if quoted).
    raw_start: usize,
    /// The content: between the quotes for a quoted field.
    start: usize,
    end: usize,
    /// Quoted and containing `""`.
    escaped: bool,
}

/// One record: where it is, and its first syntax error (position and reason).
#[derive(Debug)]
struct Record {
    /// From its first byte to its line break (excluded) or the end of the buffer.
    start: usize,
    end: usize,
    /// The line it starts on.
    line: usize,
    /// Only ASCII bytes (no UTF-8 validation needed).
    ascii: bool,
    syntax: Option<(usize, &'static str)>,
}

/// Splits a buffer into records and fields, counting lines.
struct Tokenizer<'a> {
    buf: &'a [u8],
    i: usize,
    /// The 1-based line of `i`.
    line: usize,
    /// The fields of the last record read.
    fields: Vec<Field>,
}

impl<'a> Tokenizer<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Tokenizer { buf, i: 0, line: 1, fields: Vec::new() }
    }

    fn at_end(&self) -> bool {
        self.i >= self.buf.len()
    }

    /// Skips lines holding only spaces, tabs and `\r`.
    fn skip_blank_lines(&mut self) {
        loop {
            let mut j = self.i;
            while matches!(self.buf.get(j), Some(b' ' | b'\t' | b'\r')) {
                j += 1;
            }
            match self.buf.get(j) {
                None => {
                    self.i = j;
                    return;
                }
                Some(b'\n') => {
                    self.i = j + 1;
                    self.line += 1;
                }
                Some(_) => return,
            }
        }
    }

    /// Reads the record at `i` into `fields`; `i` ends after its line break.
    fn record(&mut self) -> Record {
        const UNTERMINATED: &str = "unterminated quoted field (no closing quote followed by a separator)";
        const AFTER_QUOTE: &str = "unexpected character after the closing quote of a quoted field";
        const STRAY_QUOTE: &str = "quote inside an unquoted field (quote the whole field and double the quote)";
        let buf = self.buf;
        self.fields.clear();
        let (start, line) = (self.i, self.line);
        let mut seen = 0u64;
        let mut syntax = None;
        loop {
            let raw_start = self.i;
            let mut field = Field { raw_start, start: raw_start, end: raw_start, escaped: false };
            if buf.get(raw_start) == Some(&b'"') {
                field.start = raw_start + 1;
                let quote_line = self.line;
                let mut j = field.start;
                loop {
                    // Inside quotes only `"` and line breaks matter.
                    let q = find_any(buf, j, [b'"', b'\n', b'"'], &mut seen);
                    match buf.get(q) {
                        None => {
                            field.end = buf.len();
                            syntax.get_or_insert((raw_start, UNTERMINATED));
                            self.fields.push(field);
                            return self.resync(raw_start, quote_line, start, line, seen, syntax);
                        }
                        Some(b'\n') => {
                            self.line += 1;
                            j = q + 1;
                        }
                        Some(_) if buf.get(q + 1) == Some(&b'"') => {
                            field.escaped = true;
                            j = q + 2;
                        }
                        Some(_) => {
                            field.end = q;
                            self.i = q + 1;
                            break;
                        }
                    }
                }
                // After the closing quote: a separator (a CR before the line break is fine).
                let mut k = self.i;
                if buf.get(k) == Some(&b'\r') && matches!(buf.get(k + 1), None | Some(b'\n')) {
                    k += 1;
                }
                if !matches!(buf.get(k), None | Some(b',' | b'\n')) {
                    if self.line != quote_line {
                        // The closing quote is on a later line: most likely it opened a later
                        // field's quotes, and these were never closed (see `resync`).
                        syntax.get_or_insert((raw_start, UNTERMINATED));
                        self.fields.push(field);
                        return self.resync(raw_start, quote_line, start, line, seen, syntax);
                    }
                    syntax.get_or_insert((raw_start, AFTER_QUOTE));
                }
                self.i = self.field_end(k, &mut seen).0;
            } else {
                let (end, stray_quote) = self.field_end(raw_start, &mut seen);
                if stray_quote {
                    syntax.get_or_insert((raw_start, STRAY_QUOTE));
                }
                field.end = end;
                self.i = end;
                // A CR before the line break (or at the end) belongs to the line ending.
                if buf.get(end) != Some(&b',') && end > raw_start && buf[end - 1] == b'\r' {
                    field.end -= 1;
                }
            }
            self.fields.push(field);
            match buf.get(self.i) {
                Some(b',') => self.i += 1,
                Some(_) => {
                    // The line break: the record ends before it.
                    let record = self.finish(start, line, seen, syntax);
                    self.i += 1;
                    self.line += 1;
                    return record;
                }
                None => return self.finish(start, line, seen, syntax),
            }
        }
    }

    /// Ends a record whose quoted field opened at `quote_at` (on line `quote_line`) is broken:
    /// left open to the end of the input, or closed on a later line by a quote that a separator
    /// does not follow. Where such a record was meant to end cannot be known, so the next record
    /// starts on the line after the opening quote, and nothing after that line is swallowed.
    #[cold]
    fn resync(
        &mut self,
        quote_at: usize,
        quote_line: usize,
        start: usize,
        line: usize,
        seen: u64,
        syntax: Option<(usize, &'static str)>,
    ) -> Record {
        let (end, next) = match find_byte(self.buf, quote_at, b'\n') {
            Some(p) => (p, p + 1),
            None => (self.buf.len(), self.buf.len()),
        };
        self.i = end;
        let record = self.finish(start, line, seen, syntax);
        self.i = next;
        self.line = quote_line + usize::from(next > end);
        record
    }

    /// The first `,` or `\n` at or after `i` (or the end), and whether a `"` came before it.
    #[inline]
    fn field_end(&self, i: usize, seen: &mut u64) -> (usize, bool) {
        let mut stray_quote = false;
        let mut j = i;
        loop {
            j = find_any(self.buf, j, [b',', b'\n', b'"'], seen);
            if self.buf.get(j) != Some(&b'"') {
                return (j, stray_quote);
            }
            stray_quote = true;
            j += 1;
        }
    }

    /// The record from `start` to `i` (its line break, or the end of the buffer).
    fn finish(&self, start: usize, line: usize, seen: u64, syntax: Option<(usize, &'static str)>) -> Record {
        Record { start, end: self.i, line, ascii: seen & HIGH_BITS == 0, syntax }
    }

    /// The line and 1-based column of position `at` of `record` (for errors only).
    #[cold]
    fn locate(&self, record: &Record, at: usize) -> (usize, usize) {
        let before = &self.buf[record.start..at];
        let breaks = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(record.start, |p| record.start + p + 1);
        (record.line + breaks, at - line_start + 1)
    }

    /// The raw content of a field (escapes not undone).
    fn content(&self, f: &Field) -> &'a [u8] {
        &self.buf[f.start..f.end]
    }

    /// The bytes of a field, `""` undone: borrowed unless there was one.
    #[inline]
    fn unescaped(&self, f: &Field) -> Cow<'a, [u8]> {
        let content = self.content(f);
        if !f.escaped {
            return Cow::Borrowed(content);
        }
        let mut out = Vec::with_capacity(content.len());
        let mut quote = false;
        for &b in content {
            // In a closed quoted field every `"` is doubled: keep one of each pair.
            if b == b'"' {
                quote = !quote;
                if !quote {
                    continue;
                }
            }
            out.push(b);
        }
        Cow::Owned(out)
    }
}
