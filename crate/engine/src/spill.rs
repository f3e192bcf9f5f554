//! Inputs of any size in bounded memory: points hash-partitioned by series into a spill file.
//!
//! [`spill`] reads an input in chunks of whole lines (CSV: whole records, quotes followed; later
//! chunks get the header prepended), parses each with [`crate::parse`] on the pool, so
//! validation, the bad-line policy and the line and column of errors are exactly those of
//! parsing the whole input, and appends every series' points to one of `P` partitions chosen by
//! a hash of its id. The spill file holds, chunk after chunk, the chunk's partitions back to
//! back; [`SpillReport::offsets`] says where each begins. A partition of a chunk is a run of
//! segments, one per series (little-endian):
//!
//! ```text
//! u32 id length | id (UTF-8) | u32 rank | u32 n | u8 ts form | ts | n x f64 value
//! ```
//!
//! where the ts form says how the timestamps are held ([`crate::batch::Timestamps`]): 0, `n x
//! i64`; 1, `n x f64`; 2, `n x (u8 tag | 8 bytes)`, tag 0 an i64, 1 an f64.
//!
//! `rank` is the series' place in the chunk's first-appearance order; its points are the
//! chunk's, stably sorted by ts. [`read_unit`] reads whole partitions back (one byte range per
//! chunk, [`SpillReport::pieces`]) into a [`Batch`]: the segments of a series are concatenated
//! in input order and stably sorted by ts again (a stable sort of stably sorted runs in input
//! order is the stable sort of the whole), series ordered by first appearance. So a unit of
//! partitions analyses exactly as those series of the whole input do.
//!
//! `P` is fixed before the first chunk is written: the input's size times the points per byte
//! of the first chunk, over [`SpillOptions::partition_points`]. Memory: at most two chunks per
//! pool thread read and not yet written, whatever the input size; a single line longer than a
//! chunk makes its chunk grow to hold it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::batch::{Batch, Points, Series, Timestamps, Ts};
use crate::error::{Error, ErrorKind};
use crate::options::{BadLinePolicy, Format};
use crate::parse::{csv_header_end, detect_format, parse, strip_bom, whole_lines_len};

/// The most partitions [`spill`] makes.
pub const MAX_PARTITIONS: usize = 4096;

/// How [`spill`] cuts and partitions an input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpillOptions {
    /// `None`: detected from the first non-blank byte, as [`parse`] does.
    pub format: Option<Format>,
    pub policy: BadLinePolicy,
    /// Bytes read per chunk (a chunk ends at the last whole line within).
    pub chunk_bytes: usize,
    /// Target points per partition.
    pub partition_points: usize,
    /// The input's size in bytes, if known (sizes the partition count); `None` (a pipe): as many
    /// partitions as may be, [`MAX_PARTITIONS`], since the input may be of any size.
    pub input_bytes: Option<u64>,
    /// The most bytes the spill file may take (a spill in memory, within its quota): past it the
    /// spill stops with an I/O error saying so, as a full file system would.
    pub max_bytes: Option<u64>,
}

/// What [`spill`] wrote and what parsing found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpillReport {
    pub partitions: usize,
    pub chunks: usize,
    /// `offsets[c * (partitions + 1) + p]`: where partition `p` of chunk `c` begins in the spill
    /// file; `p = partitions` is where the chunk ends.
    pub offsets: Vec<u64>,
    /// Points per partition, all chunks.
    pub partition_points: Vec<u64>,
    pub points: usize,
    /// Distinct series.
    pub series: usize,
    /// Lines read (the last one possibly without a line break).
    pub lines: usize,
    pub bad_lines: usize,
    /// The first [`Batch::MAX_BAD_LINE_NUMBERS`] skipped line numbers (1-based).
    pub bad_line_numbers: Vec<usize>,
    /// Bytes written to the spill file.
    pub bytes: u64,
}

impl SpillReport {
    /// The byte ranges holding partitions `from..to`: one per chunk that has any, in input order.
    pub fn pieces(&self, from: usize, to: usize) -> Vec<(u64, u64)> {
        let stride = self.partitions + 1;
        (0..self.chunks)
            .map(|c| (self.offsets[c * stride + from], self.offsets[c * stride + to]))
            .filter(|(start, end)| end > start)
            .collect()
    }
}

/// Parses `input` chunk by chunk on the current pool and writes its points to `out`, partitioned
/// by series (see the [module documentation](self)). Errors name the input's own line and
/// column; `cancel` is read between chunks.
///
/// A pipeline, not waves: this thread reads chunk after chunk and spawns each one's parsing and
/// encoding, keeping at most two per pool thread read and not yet written; it writes them in
/// input order as they are done and, while the next to write is not, parses others itself. (Waves
/// of one chunk per thread, each parsed, then encoded, then written before the next, left a
/// thread idle at every step: two threads partitioned only 1.1x faster than one.)
pub fn spill(
    input: &mut (dyn Read + Send),
    out: &mut dyn Write,
    options: &SpillOptions,
    cancel: &AtomicBool,
) -> Result<SpillReport, Error> {
    if options.chunk_bytes == 0 || options.partition_points == 0 {
        return Err(Error::options("chunkBytes and partitionPoints must be positive integers"));
    }
    // A read that gave up because the spill was cancelled (PollRead) is the abort, not an I/O error.
    let read_error = |e: Error| if cancel.load(Ordering::Relaxed) { Error::aborted() } else { e };
    let mut chunker = Chunker::new(input, options);
    let mut merge = Merge::default();
    let Some(first) = chunker.next().map_err(read_error)? else {
        out.flush().map_err(|e| Error::io("writing the spill file", &e))?;
        return Ok(merge.finish(1));
    };
    let (format, policy) = (chunker.format, options.policy);
    // The first chunk sizes the partition count; the second is read meanwhile.
    let (parsed, second) = rayon::join(|| parse(&first.buf, format, policy), || chunker.next());
    let partitions = partition_count(first.data_bytes, &parsed, options);
    let most_unwritten = 2 * rayon::current_num_threads().max(1);
    let (tx, rx) = mpsc::channel::<(usize, EncodedChunk)>();
    let mut read_failed = None;
    rayon::in_place_scope(|scope| -> Result<(), Error> {
        let start = |seq: usize, raw: Raw, parsed: Option<Result<Batch, Error>>| {
            let tx = tx.clone();
            scope.spawn(move |_| {
                // A panic is sent on too, and raised again by the writer: the chunk it is waiting
                // for would otherwise never come.
                let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let batch = parsed.unwrap_or_else(|| parse(&raw.buf, format, policy))?;
                    Ok(Encoded::new(&batch, partitions))
                }));
                let _ = tx.send((seq, EncodedChunk { prefix_lines: raw.prefix_lines, lines: raw.lines, encoded }));
            });
        };
        start(0, first, Some(parsed));
        let (mut started, mut written) = (1, 0);
        let mut next = Some(second);
        let mut done = BTreeMap::new();
        loop {
            while started - written < most_unwritten {
                let Some(read) = next.take() else { break };
                if cancel.load(Ordering::Relaxed) {
                    return Err(Error::aborted());
                }
                match read {
                    Ok(Some(raw)) => {
                        start(started, raw, None);
                        started += 1;
                        next = Some(chunker.next());
                    }
                    Ok(None) => {}
                    // Written after the chunks before it, whose errors come first.
                    Err(e) => read_failed = Some(read_error(e)),
                }
            }
            if written == started {
                return Ok(());
            }
            match rx.try_recv() {
                Ok((seq, chunk)) => {
                    done.insert(seq, chunk);
                }
                Err(_) => match rayon::yield_now() {
                    Some(rayon::Yield::Executed) => continue,
                    _ => {
                        let (seq, chunk) = rx.recv().expect("every started chunk is sent");
                        done.insert(seq, chunk);
                    }
                },
            }
            while let Some(chunk) = done.remove(&written) {
                let encoded = chunk.encoded.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                merge.absorb(chunk.prefix_lines, chunk.lines, encoded, partitions, options.max_bytes, out)?;
                written += 1;
            }
        }
    })?;
    if let Some(e) = read_failed {
        return Err(e);
    }
    out.flush().map_err(|e| Error::io("writing the spill file", &e))?;
    Ok(merge.finish(partitions))
}

/// A chunk parsed and encoded (or the panic of doing so), with what merging it needs of its [`Raw`].
struct EncodedChunk {
    prefix_lines: usize,
    lines: usize,
    encoded: std::thread::Result<Result<Encoded, Error>>,
}

/// Reads partitions back from a spill file: `pieces` are byte ranges of `file` in input order
/// ([`SpillReport::pieces`]). The batch holds whole series, first-appearance order, ts-sorted.
pub fn read_unit(file: &File, pieces: &[(u64, u64)]) -> Result<Batch, Error> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut series: Vec<Gathered> = Vec::new();
    let mut buf = Vec::new();
    let mut points = 0;
    for (k, &(start, end)) in pieces.iter().enumerate() {
        let len = end.checked_sub(start).ok_or_else(|| corrupt(start, "piece ends before it starts"))?;
        buf.resize(len as usize, 0);
        file.read_exact_at(&mut buf, start).map_err(|e| Error::io("reading the spill file", &e))?;
        let mut at = 0;
        while at < buf.len() {
            let here = start + at as u64;
            let id_len = take_u32(&buf, &mut at).ok_or_else(|| corrupt(here, "truncated segment"))? as usize;
            let id = buf.get(at..at + id_len).ok_or_else(|| corrupt(here, "truncated id"))?;
            let id = std::str::from_utf8(id).map_err(|_| corrupt(here, "id is not UTF-8"))?;
            at += id_len;
            let rank = take_u32(&buf, &mut at).ok_or_else(|| corrupt(here, "truncated segment"))?;
            let n = take_u32(&buf, &mut at).ok_or_else(|| corrupt(here, "truncated segment"))? as usize;
            let form = *buf.get(at).ok_or_else(|| corrupt(here, "truncated segment"))?;
            at += 1;
            let ts_bytes = match form {
                0 | 1 => 8 * n,
                2 => 9 * n,
                _ => return Err(corrupt(here, "unknown timestamp form")),
            };
            let body = buf.get(at..at + ts_bytes + 8 * n).ok_or_else(|| corrupt(here, "truncated points"))?;
            at += ts_bytes + 8 * n;
            let k_series = match index.get(id) {
                Some(&s) => s,
                None => {
                    index.insert(id.to_owned(), series.len());
                    series.push(Gathered { id: id.to_owned(), first: (k, rank), points: Points::default() });
                    series.len() - 1
                }
            };
            let (ts, values) = body.split_at(ts_bytes);
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap());
            let stamp = |i: usize| match form {
                0 => Ts::Int(word(&ts[8 * i..8 * i + 8]) as i64),
                1 => Ts::of_f64(f64::from_bits(word(&ts[8 * i..8 * i + 8]))),
                _ => {
                    let bits = word(&ts[9 * i + 1..9 * i + 9]);
                    if ts[9 * i] == 0 {
                        Ts::Int(bits as i64)
                    } else {
                        Ts::Float(f64::from_bits(bits))
                    }
                }
            };
            let p = &mut series[k_series].points;
            for (i, v) in values.chunks_exact(8).enumerate() {
                p.push(stamp(i), f64::from_bits(word(v)));
            }
            points += n;
        }
    }
    series.sort_unstable_by_key(|s| s.first);
    let series = series.into_iter().map(Gathered::finish).collect();
    Ok(Batch { series, points, bad_lines: 0, bad_line_numbers: Vec::new() })
}

/// One series read back: its first segment's place (piece, rank) orders the series.
struct Gathered {
    id: String,
    first: (usize, u32),
    points: Points,
}

impl Gathered {
    /// The series, stably sorted by ts, as parsing sorts it.
    fn finish(self) -> Series {
        let (ts, values) = self.points.into_sorted();
        Series { id: self.id, ts, values }
    }
}

/// Appends a series' ts form and timestamps in spill form (see the [module documentation](self)).
fn encode_ts(bytes: &mut Vec<u8>, ts: &Timestamps) {
    match ts {
        Timestamps::Integer(ts) => {
            bytes.push(0);
            ts.iter().for_each(|t| bytes.extend_from_slice(&t.to_le_bytes()));
        }
        Timestamps::Float(ts) => {
            bytes.push(1);
            ts.iter().for_each(|t| bytes.extend_from_slice(&t.to_le_bytes()));
        }
        Timestamps::Mixed(ts) => {
            bytes.push(2);
            for t in ts {
                let (tag, bits) = match *t {
                    Ts::Int(t) => (0, t as u64),
                    Ts::Float(v) => (1, v.to_bits()),
                };
                bytes.push(tag);
                bytes.extend_from_slice(&bits.to_le_bytes());
            }
        }
    }
}

fn take_u32(buf: &[u8], at: &mut usize) -> Option<u32> {
    let bytes = buf.get(*at..*at + 4)?;
    *at += 4;
    Some(u32::from_le_bytes(bytes.try_into().unwrap()))
}

fn corrupt(offset: u64, what: &str) -> Error {
    Error::internal(format!("spill file corrupt at byte {offset}: {what}"))
}

/// This process's stdin as a file of its own (a `dup` of descriptor 0: a pipe, a socket, a file or
/// a terminal; `/dev/stdin` cannot be opened when it is a socket, as Node's child processes have).
#[cfg(unix)]
pub fn stdin_file() -> std::io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup(2) returns a new descriptor (or -1), which the File then owns alone.
    let fd = unsafe { libc::dup(0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is open and owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// A pipe (stdin) read so that a cancelled spill stops: read(2) on a pipe left open with nothing
/// in it would block its pool thread, and the spill, until the writer closes it. Each read first
/// waits for data with poll(2), 100 ms at a time, and gives up once `cancel` is set. A descriptor
/// left non-blocking by its owner (Node makes stdin so) is waited for the same way.
#[cfg(unix)]
pub struct PollRead<'a, R> {
    inner: R,
    cancel: &'a AtomicBool,
}

#[cfg(unix)]
impl<'a, R: Read + std::os::fd::AsRawFd> PollRead<'a, R> {
    pub fn new(inner: R, cancel: &'a AtomicBool) -> Self {
        PollRead { inner, cancel }
    }
}

#[cfg(unix)]
impl<R: Read + std::os::fd::AsRawFd> Read for PollRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut fd = libc::pollfd { fd: self.inner.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(std::io::Error::other("the spill was cancelled"));
            }
            // SAFETY: one valid pollfd, for the duration of the call.
            match unsafe { libc::poll(&mut fd, 1, 100) } {
                0 => continue,
                n if n > 0 => match self.inner.read(buf) {
                    Err(e) if e.kind() == IoErrorKind::WouldBlock => continue,
                    read => return read,
                },
                _ => {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != IoErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
    }
}

/// A chunk of whole lines as parsed: `buf` is `prefix` (none for the first chunk) and then the
/// input's bytes.
struct Raw {
    buf: Vec<u8>,
    /// Lines of the prefix: the CSV header (with any blank lines before it) or, for NDJSON, one
    /// blank line (so that a byte order mark is only ever skipped at the input's start).
    prefix_lines: usize,
    /// Lines of the input's bytes in the chunk.
    lines: usize,
    /// The input's bytes in the chunk.
    data_bytes: usize,
}

/// Cuts an input into chunks of whole lines.
struct Chunker<'a> {
    input: &'a mut (dyn Read + Send),
    format: Option<Format>,
    chunk_bytes: usize,
    /// What later chunks start with; set once the format is known.
    prefix: Option<Vec<u8>>,
    /// Bytes read past the last cut.
    carry: Vec<u8>,
    first: bool,
    eof: bool,
    /// Input lines in the chunks returned so far.
    lines_before: usize,
}

/// The longest line (CSV: record) a chunk grows to hold. A metric point is a few hundred bytes
/// (a series id is at most [`crate::parse::MAX_SERIES_BYTES`]); without a bound, an input
/// with no line break (a binary file, a lost quote in a stream) would be read whole.
pub const MAX_LINE_BYTES: usize = 64 << 20;

impl<'a> Chunker<'a> {
    fn new(input: &'a mut (dyn Read + Send), o: &SpillOptions) -> Self {
        Chunker {
            input,
            format: o.format,
            chunk_bytes: o.chunk_bytes,
            prefix: None,
            carry: Vec::new(),
            first: true,
            eof: false,
            lines_before: 0,
        }
    }

    fn next(&mut self) -> Result<Option<Raw>, Error> {
        let prefix = if self.first { Vec::new() } else { self.prefix.clone().unwrap_or_default() };
        let start = prefix.len();
        let mut buf = Vec::with_capacity(start + self.carry.len() + self.chunk_bytes);
        buf.extend_from_slice(&prefix);
        buf.append(&mut self.carry);
        let mut want = self.chunk_bytes;
        loop {
            self.fill(&mut buf, start + want)?;
            let data = &buf[start..];
            if data.is_empty() {
                return Ok(None);
            }
            let cut = match self.cut(data) {
                Some(cut) => cut,
                None if self.eof => data.len(),
                None if data.len() > MAX_LINE_BYTES => {
                    return Err(Error::parse(
                        self.lines_before + 1,
                        1,
                        format!("no line end within {} MiB: not a line of metric points", MAX_LINE_BYTES >> 20),
                    ));
                }
                None => {
                    // No whole line (or no header yet) within: read on.
                    want = want.saturating_mul(2);
                    continue;
                }
            };
            let cut = if self.eof { data.len() } else { cut };
            self.carry = buf.split_off(start + cut);
            let prefix_lines = count_lines(&prefix);
            self.first = false;
            let lines = count_lines(&buf[start..]);
            self.lines_before += lines;
            return Ok(Some(Raw { buf, prefix_lines, lines, data_bytes: cut }));
        }
    }

    /// Reads until `buf` holds `len` bytes or the input ends. The room is zeroed once: a pipe
    /// gives 64 KiB a read, and zeroing the rest of a 16 MiB chunk before each of them made
    /// reading stdin cost 4 s more than the file of fleet x10.
    fn fill(&mut self, buf: &mut Vec<u8>, len: usize) -> Result<(), Error> {
        let mut filled = buf.len();
        if self.eof || filled >= len {
            return Ok(());
        }
        buf.resize(len, 0);
        while !self.eof && filled < len {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == IoErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(filled);
                    return Err(Error::io("reading the input", &e));
                }
            }
        }
        buf.truncate(filled);
        Ok(())
    }

    /// Where to cut `data` (the chunk's input bytes): after its last whole line, and for the
    /// first chunk after the CSV header at least. `None`: not yet possible (the format, the
    /// header or a line break are still to come).
    fn cut(&mut self, data: &[u8]) -> Option<usize> {
        let format = match self.format {
            Some(f) => f,
            None => *self.format.insert(detect_format(strip_bom(data))?),
        };
        let mut at_least = 1;
        if self.prefix.is_none() {
            let prefix = match format {
                Format::Ndjson => b"\n".to_vec(),
                Format::Csv => {
                    let body = strip_bom(data);
                    let end = csv_header_end(body)?;
                    at_least = data.len() - body.len() + end;
                    body[..end].to_vec()
                }
            };
            self.prefix = Some(prefix);
        } else if self.first && format == Format::Csv {
            // The header was found on an earlier try of this same chunk.
            at_least = data.len() - strip_bom(data).len() + self.prefix.as_ref().map_or(0, Vec::len);
        }
        let cut = whole_lines_len(data, format);
        (cut >= at_least).then_some(cut)
    }
}

/// Line breaks in `bytes`, with memchr's vectorised count: a plain `filter().count()` widened
/// every byte to a `usize` and was a fifth of the whole partitioning pass's CPU, serial.
fn count_lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// The partition count: the input's estimated points (its size times the first chunk's points
/// per byte) over the target points per partition.
fn partition_count(first_bytes: usize, parsed: &Result<Batch, Error>, o: &SpillOptions) -> usize {
    let Some(input_bytes) = o.input_bytes else { return MAX_PARTITIONS };
    let (bytes, points) = match parsed {
        Ok(batch) if batch.points > 0 => (first_bytes as f64, batch.points as f64),
        _ => (16.0, 1.0),
    };
    let input = (input_bytes as f64).max(bytes);
    let estimated = input * points / bytes.max(1.0);
    ((estimated / o.partition_points as f64).ceil() as usize).clamp(1, MAX_PARTITIONS)
}

/// One parsed chunk in spill form.
struct Encoded {
    bytes: Vec<u8>,
    /// Where each partition begins in `bytes`, and (last) the end.
    offsets: Vec<u64>,
    partition_points: Vec<u64>,
    points: usize,
    series: Vec<u128>,
    bad_lines: usize,
    bad_line_numbers: Vec<usize>,
}

impl Encoded {
    fn new(batch: &Batch, partitions: usize) -> Encoded {
        let mut order: Vec<(usize, usize)> =
            batch.series.iter().enumerate().map(|(i, s)| (partition_of(&s.id, partitions), i)).collect();
        order.sort_unstable();
        let size: usize = batch.series.iter().map(|s| 13 + s.id.len() + 16 * s.values.len()).sum();
        let mut bytes = Vec::with_capacity(size);
        let mut offsets = Vec::with_capacity(partitions + 1);
        let mut partition_points = vec![0; partitions];
        for &(p, i) in &order {
            while offsets.len() <= p {
                offsets.push(bytes.len() as u64);
            }
            let s = &batch.series[i];
            bytes.extend_from_slice(&(s.id.len() as u32).to_le_bytes());
            bytes.extend_from_slice(s.id.as_bytes());
            bytes.extend_from_slice(&(i as u32).to_le_bytes());
            bytes.extend_from_slice(&(s.values.len() as u32).to_le_bytes());
            encode_ts(&mut bytes, &s.ts);
            s.values.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
            partition_points[p] += s.values.len() as u64;
        }
        offsets.resize(partitions + 1, bytes.len() as u64);
        Encoded {
            bytes,
            offsets,
            partition_points,
            points: batch.points,
            series: batch.series.iter().map(|s| id_hash128(s.id.as_bytes())).collect(),
            bad_lines: batch.bad_lines,
            bad_line_numbers: batch.bad_line_numbers.clone(),
        }
    }
}

/// Chunks merged in input order: line numbers made the input's, the spill file written.
#[derive(Default)]
struct Merge {
    lines: usize,
    points: usize,
    series: HashSet<u128>,
    bad_lines: usize,
    bad_line_numbers: Vec<usize>,
    offsets: Vec<u64>,
    partition_points: Vec<u64>,
    written: u64,
    chunks: usize,
}

impl Merge {
    fn absorb(
        &mut self,
        prefix_lines: usize,
        lines: usize,
        chunk: Result<Encoded, Error>,
        partitions: usize,
        max_bytes: Option<u64>,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        // A line of the chunk's buffer as a line of the input.
        let line = |l: usize| self.lines + l - prefix_lines;
        let chunk = chunk.map_err(|e| relocate(e, line))?;
        self.bad_lines += chunk.bad_lines;
        let room = Batch::MAX_BAD_LINE_NUMBERS - self.bad_line_numbers.len();
        let relocated: Vec<usize> = chunk.bad_line_numbers.iter().take(room).map(|&l| line(l)).collect();
        self.bad_line_numbers.extend(relocated);
        if let Some(max) = max_bytes.filter(|&max| self.written + chunk.bytes.len() as u64 > max) {
            return Err(Error::io_limit(format!("writing the spill file: over its limit of {max} bytes")));
        }
        out.write_all(&chunk.bytes).map_err(|e| Error::io("writing the spill file", &e))?;
        self.offsets.extend(chunk.offsets.iter().map(|o| self.written + o));
        self.written += chunk.bytes.len() as u64;
        self.partition_points.resize(partitions, 0);
        for (total, n) in self.partition_points.iter_mut().zip(&chunk.partition_points) {
            *total += n;
        }
        self.points += chunk.points;
        self.series.extend(chunk.series);
        self.lines += lines;
        self.chunks += 1;
        Ok(())
    }

    fn finish(self, partitions: usize) -> SpillReport {
        let mut partition_points = self.partition_points;
        partition_points.resize(partitions, 0);
        SpillReport {
            partitions,
            chunks: self.chunks,
            offsets: self.offsets,
            partition_points,
            points: self.points,
            series: self.series.len(),
            lines: self.lines,
            bad_lines: self.bad_lines,
            bad_line_numbers: self.bad_line_numbers,
            bytes: self.written,
        }
    }
}

/// A parse error of a chunk with its line made the input's.
fn relocate(e: Error, line: impl Fn(usize) -> usize) -> Error {
    match (e.kind, e.line, e.column) {
        (ErrorKind::Parse, Some(l), Some(c)) => {
            let reason = e.message.strip_prefix(&format!("line {l}, column {c}: ")).unwrap_or(&e.message);
            Error::parse(line(l), c, reason)
        }
        _ => e,
    }
}

/// The partition of a series: a hash of its id, the same in every chunk and process.
fn partition_of(id: &str, partitions: usize) -> usize {
    (id_hash(id.as_bytes(), 0x243F_6A88_85A3_08D3) % partitions as u64) as usize
}

/// 128 bits of hash, to count distinct series without keeping their ids.
fn id_hash128(id: &[u8]) -> u128 {
    (u128::from(id_hash(id, 0x1319_8A2E_0370_7344)) << 64) | u128::from(id_hash(id, 0xA409_3822_299F_31D0))
}

/// FNV-1a from `seed`, then the splitmix64 finaliser (so every bit, the low ones included, mixes).
fn id_hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ 0xCBF2_9CE4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests;
