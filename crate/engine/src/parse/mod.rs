//! Parsing NDJSON and CSV batches into a [`Batch`].
//!
//! # Input
//!
//! * **Format**: given by the caller, or detected from the first non-blank byte (`{` is
//!   NDJSON, anything else CSV). A UTF-8 byte order mark at the very start is skipped and
//!   does not count towards columns. An empty or all-blank buffer is an empty batch.
//! * **NDJSON** ([`ndjson`]): one JSON object per line, LF or CRLF; blank lines are ignored.
//!   `series` must be a non-empty string, `ts` a number or an ISO-8601 string, `value` a number
//!   or `null` (missing, stored as `NaN`). In both formats a series id has at most
//!   [`MAX_SERIES_BYTES`] bytes. Other fields are validated as JSON and ignored.
//!   Duplicate keys: the last one wins, as with `JSON.parse`.
//! * **CSV** ([`csv`]): RFC 4180 with a header row naming at least `series`, `ts` and `value`
//!   (any order, case-sensitive; extra columns are ignored; if a name repeats, its first column
//!   is used). An empty cell, `NaN` or `nan` in `value` is missing. Blank lines are ignored.
//! * **Timestamps**: numbers are kept as given, an integer literal within `i64` exactly (see
//!   [`crate::batch`]), any other number as its double; ISO-8601 strings ([`iso8601`]) become
//!   epoch milliseconds (no offset means UTC). Non-finite numbers (e.g. `1e400`) are rejected.
//!
//! # Grouping
//!
//! Points are grouped by series in order of first appearance; within a series they are sorted by
//! `ts` with a stable sort (equal timestamps keep input order). Series ids are borrowed from the
//! input while scanning; one `String` is allocated per distinct series at the end.
//!
//! # Bad lines
//!
//! A line (CSV: a record) is bad when it is not valid in its format or lacks a valid field.
//! Under [`BadLinePolicy::Fail`] the first bad line is an [`Error::parse`] with its 1-based
//! line and column: for NDJSON the byte column of the offending token within the line, for CSV
//! the byte column where the offending field starts. Under [`BadLinePolicy::Skip`] bad lines are
//! skipped and counted in [`Batch::bad_lines`], the first [`Batch::MAX_BAD_LINE_NUMBERS`] line
//! numbers kept. A CSV header lacking a required column is an error under both policies.
//!
//! # Parallelism
//!
//! When called from inside a rayon pool (the engine calls it within `install`) and the input is
//! large, it is split at line (record) boundaries into chunks parsed on the pool and merged in
//! order, so grouping, ordering, line numbers and error precedence are exactly those of a
//! sequential parse. Outside a pool it never touches rayon's global pool.
//!
//! # Performance
//!
//! One pass over the bytes, without a tree or a per-line allocation: ids stay borrowed from the
//! input (keyed as bytes, already UTF-8-checked by the scanner), consecutive points of a series
//! and series recurring in the same order (time-major input) skip the hash lookup, plain
//! decimals are converted exactly without `str::parse`, runs of bytes are scanned eight at a
//! time, and NDJSON lines of the usual machine-written shape take a fast path. The per-series
//! sort is skipped when timestamps already ascend.

mod csv;
mod group;
pub mod iso8601;
mod ndjson;
#[cfg(test)]
mod tests;

use std::ops::Range;

use rayon::prelude::*;

use crate::batch::Batch;
use crate::error::Error;
use crate::options::{BadLinePolicy, Format};
use group::Groups;

/// The longest series id accepted, in bytes of UTF-8 (after unescaping); a longer one makes its
/// line bad. Ids are Kafka message keys and are repeated in every message value: metric names
/// are far shorter (Prometheus, OpenTelemetry and Graphite ids are rarely over 200 bytes), while
/// kafkajs's cost grows superlinearly with the key (50 KB keys 0.1 s, 200 KB 5.1 s per message),
/// so 4 KiB leaves a wide margin for real ids and stops a runaway cell or a missing quote early.
pub const MAX_SERIES_BYTES: usize = 4096;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Inputs smaller than this are parsed on the calling thread.
const PARALLEL_MIN_BYTES: usize = 4 << 20;
/// The smallest chunk worth a task of its own.
const MIN_CHUNK_BYTES: usize = 1 << 20;

/// Parses `input`; `format: None` detects it from the first non-blank byte.
///
/// See the [module documentation](self) for the accepted input and the error rules.
pub fn parse(input: &[u8], format: Option<Format>, policy: BadLinePolicy) -> Result<Batch, Error> {
    parse_with(input, format, policy, None)
}

/// [`parse`] split into `chunks` chunks as inside a pool, for the fuzz targets (which check it
/// equals the sequential parse).
#[doc(hidden)]
pub fn parse_chunked_for_fuzzing(
    input: &[u8],
    format: Option<Format>,
    policy: BadLinePolicy,
    chunks: usize,
) -> Result<Batch, Error> {
    parse_with(input, format, policy, Some(chunks))
}

/// [`parse`] with the number of chunks forced (`None`: decided from the input size and pool).
pub(crate) fn parse_with(
    input: &[u8],
    format: Option<Format>,
    policy: BadLinePolicy,
    chunks: Option<usize>,
) -> Result<Batch, Error> {
    let input = input.strip_prefix(BOM).unwrap_or(input);
    let Some(first) = input.iter().position(|&b| !is_blank(b)) else {
        return Ok(Batch::default());
    };
    let format = format.unwrap_or(if input[first] == b'{' { Format::Ndjson } else { Format::Csv });
    let plan = Plan { chunks };
    let (groups, bad) = match format {
        Format::Ndjson => ndjson::parse(input, policy, plan)?,
        Format::Csv => csv::parse(input, policy, plan)?,
    };
    Ok(groups.into_batch(bad, plan.parallel(input.len())))
}

/// The length of the longest prefix of `buf` made of whole lines (CSV: whole records, quotes
/// followed), so that a stream cut there parses like the whole ([`crate::spill`]): 0 when no
/// line ends inside `buf`. A CSV record reaching the very end of `buf` counts as unfinished even
/// when `buf` ends with a line break (it may be a quoted field still open).
pub(crate) fn whole_lines_len(buf: &[u8], format: Format) -> usize {
    let last_line_end = || buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    if format == Format::Ndjson || find_byte(buf, 0, b'"').is_none() {
        return last_line_end();
    }
    let (mut i, mut end) = (0, 0);
    while i < buf.len() {
        let next = csv::skip_record(buf, i, false);
        if next >= buf.len() {
            break;
        }
        end = next;
        i = next;
    }
    end
}

/// The end of the CSV header record of `body` (after any blank lines before it; `body` starts
/// at the input's start, BOM removed), or `None` if it does not end inside `body`.
pub(crate) fn csv_header_end(body: &[u8]) -> Option<usize> {
    let first = body.iter().position(|&b| !is_blank(b))?;
    let line_start = body[..first].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let end = csv::skip_record(body, line_start, false);
    (end < body.len()).then_some(end)
}

/// Strips the UTF-8 byte order mark, if `input` starts with one.
pub(crate) fn strip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(BOM).unwrap_or(input)
}

/// The format of an input from its first non-blank byte (BOM removed): `None` if all blank.
pub(crate) fn detect_format(body: &[u8]) -> Option<Format> {
    let first = body.iter().position(|&b| !is_blank(b))?;
    Some(if body[first] == b'{' { Format::Ndjson } else { Format::Csv })
}

/// Whitespace a blank line may consist of (and that may surround a buffer).
#[inline]
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// How many chunks to split an input into.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Forced chunk count (tests); `None`: automatic.
    chunks: Option<usize>,
}

impl Plan {
    /// Whether to use the current rayon pool at all for an input of `len` bytes.
    fn parallel(self, len: usize) -> bool {
        self.chunk_count(len) > 1
    }

    /// The number of chunks for a body of `len` bytes.
    fn chunk_count(self, len: usize) -> usize {
        if let Some(n) = self.chunks {
            return n.max(1);
        }
        // Only inside a pool: never build rayon's global pool behind the engine's back.
        if rayon::current_thread_index().is_none() || len < PARALLEL_MIN_BYTES {
            return 1;
        }
        let threads = rayon::current_num_threads();
        if threads < 2 {
            return 1;
        }
        (threads * 4).min(len / MIN_CHUNK_BYTES).max(1)
    }
}

/// Splits `body` into about `n` ranges, each ending just after a `\n` (the last at the end).
/// Only valid where every `\n` ends a line (NDJSON, or CSV without quotes).
fn split_at_newlines(body: &[u8], n: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = body.len() * k / n;
        if target < start {
            continue;
        }
        let end = find_byte(body, target, b'\n').map_or(body.len(), |p| p + 1);
        if end >= body.len() {
            break;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges.push(start..body.len());
    ranges
}

/// The index of the first `needle` in `hay[from..]` (as an index into `hay`); `memchr` (SIMD).
fn find_byte(hay: &[u8], from: usize, needle: u8) -> Option<usize> {
    memchr::memchr(needle, hay.get(from..)?).map(|p| from + p)
}

/// A bad line found inside a chunk; `line` is 1-based within the chunk.
#[derive(Debug)]
struct LineError {
    line: usize,
    column: usize,
    reason: String,
}

/// Bad lines skipped under [`BadLinePolicy::Skip`].
#[derive(Debug, Default)]
struct BadLines {
    count: usize,
    /// The first [`Batch::MAX_BAD_LINE_NUMBERS`] line numbers.
    first: Vec<usize>,
}

impl BadLines {
    fn record(&mut self, line: usize) {
        self.count += 1;
        if self.first.len() < Batch::MAX_BAD_LINE_NUMBERS {
            self.first.push(line);
        }
    }

    /// Appends the bad lines of a later chunk whose lines are numbered from `offset + 1`.
    fn absorb(&mut self, later: BadLines, offset: usize) {
        self.count += later.count;
        let room = Batch::MAX_BAD_LINE_NUMBERS - self.first.len();
        self.first.extend(later.first.into_iter().take(room).map(|l| l + offset));
    }
}

/// What parsing one chunk of whole lines produced.
#[derive(Debug, Default)]
struct Chunk<'a> {
    groups: Groups<'a>,
    /// Lines in the chunk (the last one possibly without a line break).
    lines: usize,
    bad: BadLines,
    /// The first bad line under [`BadLinePolicy::Fail`] (parsing of the chunk stopped there).
    error: Option<LineError>,
}

/// Parses `ranges` of `body` with `parse_chunk` (on the current pool when there are several)
/// and merges the chunks in order. `first_line` is the line number of `body`'s first line.
fn run_chunks<'a, F>(
    body: &'a [u8],
    first_line: usize,
    ranges: Vec<Range<usize>>,
    parse_chunk: F,
) -> Result<(Groups<'a>, BadLines), Error>
where
    F: Fn(&'a [u8]) -> Chunk<'a> + Sync,
{
    let chunks: Vec<Chunk<'a>> = if ranges.len() > 1 {
        ranges.into_par_iter().map(|r| parse_chunk(&body[r])).collect()
    } else {
        vec![parse_chunk(body)]
    };
    let mut offset = first_line - 1;
    let mut groups: Option<Groups<'a>> = None;
    let mut bad = BadLines::default();
    for chunk in chunks {
        if let Some(e) = chunk.error {
            return Err(Error::parse(offset + e.line, e.column, e.reason));
        }
        bad.absorb(chunk.bad, offset);
        match &mut groups {
            None => groups = Some(chunk.groups),
            Some(g) => g.merge(chunk.groups),
        }
        offset += chunk.lines;
    }
    Ok((groups.unwrap_or_default(), bad))
}

/// Parses a plain decimal `-?digits[.digits]` exactly, without allocation or UTF-8 checks:
/// `None` for anything else, which callers hand to `str::parse::<f64>`.
#[inline]
fn plain_decimal(text: &[u8]) -> Option<f64> {
    let (negative, m, int_digits, frac_digits) = plain_parts(text)?;
    exact_decimal(negative, m, int_digits + frac_digits, frac_digits)
}

/// Parses a plain integer `-?digits` within `i64` exactly (not `-0`, which is the double
/// `-0.0`): `None` for anything else.
#[inline]
fn plain_integer(text: &[u8]) -> Option<i64> {
    match plain_parts(text)? {
        (negative, m, digits, 0) => exact_integer(negative, m, digits),
        _ => None,
    }
}

/// The parts of a plain decimal `-?digits[.digits]`: its sign, its digits accumulated in a
/// `u64` (wrapping: callers check the count), the numbers of integer and fraction digits.
#[inline]
fn plain_parts(text: &[u8]) -> Option<(bool, u64, usize, usize)> {
    let (negative, rest) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut m: u64 = 0;
    let mut i = accumulate_digits(rest, 0, &mut m);
    let int_digits = i;
    let mut frac_digits = 0;
    if rest.get(i) == Some(&b'.') {
        let end = accumulate_digits(rest, i + 1, &mut m);
        frac_digits = end - (i + 1);
        i = end;
        if frac_digits == 0 {
            return None;
        }
    }
    if int_digits == 0 || i != rest.len() {
        return None;
    }
    Some((negative, m, int_digits, frac_digits))
}

/// `±m` for an integer literal of `digits` digits (accumulated in `m` with wrapping arithmetic)
/// when it is an `i64`: `None` for no digits, more than 19 digits, a magnitude beyond `i64`, or
/// `-0` (the double `-0.0`, as `JSON.parse` reads it).
#[inline]
fn exact_integer(negative: bool, m: u64, digits: usize) -> Option<i64> {
    // 19 digits cannot wrap a u64 (10^19 < 2^64).
    if digits == 0 || digits > 19 {
        return None;
    }
    if negative {
        (m != 0 && m <= 1 << 63).then(|| (m as i64).wrapping_neg())
    } else {
        i64::try_from(m).ok()
    }
}

/// `±m / 10^frac_digits` for a decimal of `digits` digits (accumulated in `m` with wrapping
/// arithmetic), when it can be computed exactly: `None` for more than 19 digits, `m > 2^53` or
/// more than 22 fraction digits.
///
/// Exact by Clinger's fast path: `m` and `10^f` (`f <= 22`) are both exact doubles, so the one
/// IEEE division is the correctly rounded value of the decimal, the same as `str::parse` gives.
#[inline]
fn exact_decimal(negative: bool, m: u64, digits: usize, frac_digits: usize) -> Option<f64> {
    static POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];
    if digits > 19 || m > 1 << 53 || frac_digits >= POW10.len() {
        return None;
    }
    let v = if frac_digits == 0 { m as f64 } else { m as f64 / POW10[frac_digits] };
    Some(if negative { -v } else { v })
}

/// Accumulates the ASCII digits at `text[i..]` into `m` (wrapping: callers check the count),
/// eight at a time where possible; returns the index after the last digit.
#[inline(always)]
fn accumulate_digits(text: &[u8], mut i: usize, m: &mut u64) -> usize {
    let mut acc = *m;
    while let Some(word) = text.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let Some(v) = eight_digits(u64::from_le_bytes(*word)) else { break };
        acc = acc.wrapping_mul(100_000_000).wrapping_add(v);
        i += 8;
    }
    while let Some(&b) = text.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    *m = acc;
    i
}

/// The value of eight ASCII digits read little-endian (first digit in the low byte), or `None`
/// if any byte is not a digit (the SWAR method of simdjson and fast_float).
#[inline(always)]
fn eight_digits(w: u64) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let all_digits = (w & 0xF0F0_F0F0_F0F0_F0F0)
        | ((w.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
        == 0x3333_3333_3333_3333;
    if !all_digits {
        return None;
    }
    let v = w.wrapping_sub(ZEROS); // no borrow: every byte is a digit
    let v = v.wrapping_mul(10).wrapping_add(v >> 8); // pairs of digits
    let v = ((v & 0x0000_00FF_0000_00FF)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32;
    Some(v)
}

/// The first of the bytes `stops` at or after `from` (or `hay.len()`), eight bytes at a time.
/// `seen` accumulates (at least) every byte passed, so that `seen & 0x80..80 != 0` reveals a
/// non-ASCII one.
#[inline(always)]
fn find_any(hay: &[u8], from: usize, stops: [u8; 3], seen: &mut u64) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let [a, b, c] = stops.map(|s| LO * u64::from(s));
    let mut j = from;
    while let Some(word) = hay.get(j..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        *seen |= w;
        // The lowest set bit of each mask marks exactly the first such byte.
        let hits = zero(w ^ a) | zero(w ^ b) | zero(w ^ c);
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while let Some(&x) = hay.get(j) {
        *seen |= u64::from(x);
        if stops.contains(&x) {
            return j;
        }
        j += 1;
    }
    hay.len().max(from)
}

/// The high bit of every byte of a word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The end of the reason for a series id of `len` bytes, over [`MAX_SERIES_BYTES`].
#[cold]
fn series_too_long(len: usize) -> String {
    format!("is too long: {len} bytes, the limit is {MAX_SERIES_BYTES} bytes")
}

/// Quotes `text` for an error message (`"..."`, escaped), cut to a readable length.
fn quote(text: &[u8]) -> String {
    let (short, cut) = shorten(text);
    format!("{short:?}{cut}")
}

/// A raw token for an error message (already source text, e.g. JSON), cut to a readable length.
fn snippet(text: &[u8]) -> String {
    let (short, cut) = shorten(text);
    format!("{short}{cut}")
}

/// The first 40 characters of `text` and `…` if that cut something off.
fn shorten(text: &[u8]) -> (String, &'static str) {
    const MAX_CHARS: usize = 40;
    let text = String::from_utf8_lossy(text);
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(MAX_CHARS).collect();
    (short, if chars.next().is_some() { "…" } else { "" })
}
