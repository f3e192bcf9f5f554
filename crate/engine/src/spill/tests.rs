use std::io::{Seek, SeekFrom, Write};

use super::*;

/// Spills `input` with `chunk_bytes` and `partition_points`, into a temporary file.
fn spilled(
    input: &[u8],
    format: Option<Format>,
    policy: BadLinePolicy,
    chunk_bytes: usize,
    partition_points: usize,
) -> Result<(File, SpillReport), Error> {
    let mut file = tempfile();
    let options = SpillOptions { format, policy, chunk_bytes, partition_points, input_bytes: Some(input.len() as u64), max_bytes: None };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let report = pool.install(|| spill(&mut &input[..], &mut file, &options, &AtomicBool::new(false)))?;
    file.seek(SeekFrom::Start(0)).unwrap();
    Ok((file, report))
}

/// Options detecting the format, failing on a bad line, with no byte limit.
fn fail_options(chunk_bytes: usize, partition_points: usize, input_bytes: Option<u64>) -> SpillOptions {
    SpillOptions { format: None, policy: BadLinePolicy::Fail, chunk_bytes, partition_points, input_bytes, max_bytes: None }
}

fn tempfile() -> File {
    let path = std::env::temp_dir().join(format!(
        "conclude-spill-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

/// Interleaved series, unsorted and equal timestamps, missing values, ids of several lengths.
fn interleaved_ndjson() -> Vec<u8> {
    let mut out = Vec::new();
    for t in 0..120 {
        for s in 0..7 {
            let ts = if s == 3 {
                200 - t
            } else if s == 5 {
                t / 4
            } else {
                t
            };
            let value = if (t + s) % 17 == 0 { "null".to_string() } else { format!("{}.{}", t * s % 13, s) };
            writeln!(out, "{{\"series\":\"s{}{}\",\"ts\":{ts},\"value\":{value}}}", s, "x".repeat(s)).unwrap();
        }
    }
    out
}

fn interleaved_csv() -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF\r\n  \nvalue,series,ts\r\n".to_vec();
    for t in 0..90 {
        for s in 0..5 {
            let id = if s == 2 { "\"multi\nline, \"\"quoted\"\"\"".to_string() } else { format!("c{s}") };
            let ts = if s == 1 { 100 - t } else { t };
            write!(out, "{}.5,{id},{ts}\r\n", (t * 7 + s) % 11).unwrap();
        }
        if t % 10 == 0 {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn check_whole(input: &[u8], format: Option<Format>) {
    let whole = parse(input, format, BadLinePolicy::Fail).unwrap();
    for chunk_bytes in [1, 7, 64, 333, 4096, 1 << 20] {
        for partition_points in [1, 50, 1_000_000] {
            let (file, report) = spilled(input, format, BadLinePolicy::Fail, chunk_bytes, partition_points).unwrap();
            let all = read_unit(&file, &report.pieces(0, report.partitions)).unwrap();
            let want = Batch { bad_lines: 0, bad_line_numbers: vec![], ..whole.clone() };
            assert!(all.same_bits(&want), "chunk {chunk_bytes}, partition points {partition_points}");
            assert_eq!(report.points, whole.points);
            assert_eq!(report.series, whole.series.len());
            assert_eq!(report.partition_points.iter().sum::<u64>() as usize, whole.points);
            // Each partition alone holds whole series: together they are the batch's series.
            let mut parts: Vec<Series> = (0..report.partitions)
                .flat_map(|p| read_unit(&file, &report.pieces(p, p + 1)).unwrap().series)
                .collect();
            assert_eq!(parts.len(), whole.series.len());
            parts.sort_by(|a, b| a.id.cmp(&b.id));
            let mut expected = whole.series.clone();
            expected.sort_by(|a, b| a.id.cmp(&b.id));
            let same = parts.iter().zip(&expected).all(|(a, b)| {
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                a.id == b.id && a.ts.same_bits(&b.ts) && bits(&a.values) == bits(&b.values)
            });
            assert!(same);
        }
    }
}

/// Epoch-ns series (exact integers), one that mixes them with fractional timestamps (each held
/// tagged), one of doubles and small integers: each form written and read back bit for bit,
/// sorted by the exact values whatever the chunking.
fn timestamp_forms_ndjson() -> Vec<u8> {
    let t0 = 1_732_600_000_000_000_123i64;
    let mut out = Vec::new();
    for k in 0..150i64 {
        let shuffled = (k * 37) % 150;
        writeln!(out, r#"{{"series":"ns","ts":{},"value":{k}}}"#, t0 + 100 * shuffled).unwrap();
        let mixed = if k % 3 == 0 { format!("{}.5", 1000 - k) } else { (t0 - 7 * shuffled).to_string() };
        writeln!(out, r#"{{"series":"mixed","ts":{mixed},"value":{k}}}"#).unwrap();
        let float = if k % 2 == 0 { format!("{}.25", 300 - k) } else { (k / 2).to_string() };
        writeln!(out, r#"{{"series":"float","ts":{float},"value":{k}}}"#).unwrap();
    }
    out
}

#[test]
fn every_timestamp_form_reads_back_exactly() {
    let input = timestamp_forms_ndjson();
    let whole = parse(&input, None, BadLinePolicy::Fail).unwrap();
    let form = |i: usize| std::mem::discriminant(&whole.series[i].ts);
    assert_eq!(form(0), std::mem::discriminant(&Timestamps::Integer(vec![])));
    assert_eq!(form(1), std::mem::discriminant(&Timestamps::Mixed(vec![])));
    assert_eq!(form(2), std::mem::discriminant(&Timestamps::Float(vec![])));
    assert!(whole.series.iter().all(|s| s.ts.ascending()));
    check_whole(&input, None);
}

#[test]
fn interleaved_ndjson_reads_back_as_the_whole_input_parses() {
    check_whole(&interleaved_ndjson(), None);
}

#[test]
fn csv_with_quoted_line_breaks_bom_crlf_and_blank_lines_reads_back_as_the_whole() {
    check_whole(&interleaved_csv(), None);
    check_whole(&interleaved_csv(), Some(Format::Csv));
}

#[test]
fn partitions_split_the_series_and_their_count_follows_the_target() {
    let input = interleaved_ndjson();
    let (_, report) = spilled(&input, None, BadLinePolicy::Fail, 1 << 20, 200).unwrap();
    assert_eq!(report.partitions, (120 * 7usize).div_ceil(200));
    let (_, report) = spilled(&input, None, BadLinePolicy::Fail, 1 << 20, 1).unwrap();
    assert_eq!(report.partitions, 840);
    assert!(report.partition_points.iter().filter(|&&n| n > 0).count() == 7);
}

fn errors_match(input: &[u8], format: Option<Format>) {
    let want = parse(input, format, BadLinePolicy::Fail).unwrap_err();
    let skip = parse(input, format, BadLinePolicy::Skip).unwrap();
    for chunk_bytes in [1, 40, 500, 1 << 20] {
        let got = spilled(input, format, BadLinePolicy::Fail, chunk_bytes, 10).unwrap_err();
        assert_eq!(got, want, "chunk {chunk_bytes}");
        let (_, report) = spilled(input, format, BadLinePolicy::Skip, chunk_bytes, 10).unwrap();
        assert_eq!((report.bad_lines, &report.bad_line_numbers), (skip.bad_lines, &skip.bad_line_numbers));
        assert_eq!(report.points, skip.points);
    }
}

#[test]
fn bad_lines_are_named_and_counted_by_the_inputs_own_line_numbers() {
    let mut ndjson = interleaved_ndjson();
    for k in 0..30 {
        ndjson.extend_from_slice(format!("{{\"series\":\"late\",\"ts\":{k},\"value\":\"x{k}\"}}\n").as_bytes());
        ndjson.extend_from_slice(b"{\"series\":\"ok\",\"ts\":1,\"value\":2}\n");
    }
    errors_match(&ndjson, None);
    let mut csv = interleaved_csv();
    csv.extend_from_slice(b"1,a,2\r\nnot-a-number,b,3\r\n4,c,5\r\n");
    errors_match(&csv, None);
    // A byte order mark is skipped only at the very start: elsewhere its line is bad, as in a whole parse.
    let mut bom = b"{\"series\":\"a\",\"ts\":1,\"value\":2}\n".repeat(50);
    bom.extend_from_slice(b"\xEF\xBB\xBF{\"series\":\"a\",\"ts\":1,\"value\":2}\n");
    errors_match(&bom, None);
}

#[test]
fn a_csv_header_error_is_the_whole_inputs_and_empty_inputs_spill_nothing() {
    let input = b"series,time,value\na,1,2\n".repeat(40);
    let want = parse(&input, None, BadLinePolicy::Fail).unwrap_err();
    assert_eq!(spilled(&input, None, BadLinePolicy::Fail, 8, 10).unwrap_err(), want);
    for empty in [&b""[..], b"\n\n  \r\n", b"\xEF\xBB\xBF", b"series,ts,value\n"] {
        let (_, report) = spilled(empty, None, BadLinePolicy::Fail, 4, 10).unwrap();
        assert_eq!((report.points, report.series, report.bytes), (0, 0, 0));
    }
}

#[test]
fn a_cancelled_spill_stops_with_an_abort_error() {
    let input = interleaved_ndjson();
    let mut out = Vec::new();
    let o = fail_options(64, 10, Some(0));
    let e = spill(&mut &input[..], &mut out, &o, &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Aborted);
}

#[test]
fn line_breaks_are_counted_as_a_plain_count_does() {
    // Lengths around the vector widths and their tails, breaks anywhere, CR and other bytes too.
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for len in (0..200).chain([255, 256, 257, 4095, 4096, 65_537]) {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                [b'\n', b'\r', b'a', b'{', 0xFF][(x % 5) as usize]
            })
            .collect();
        assert_eq!(count_lines(&bytes), bytes.iter().filter(|&&b| b == b'\n').count(), "length {len}");
    }
}

#[test]
fn an_input_of_unknown_size_gets_every_partition_and_reads_back_as_the_whole() {
    let input = interleaved_ndjson();
    let options = fail_options(256, 10, None);
    let mut file = tempfile();
    let report = spill(&mut &input[..], &mut file, &options, &AtomicBool::new(false)).unwrap();
    assert_eq!(report.partitions, MAX_PARTITIONS);
    let whole = parse(&input, None, BadLinePolicy::Fail).unwrap();
    let unit = read_unit(&file, &report.pieces(0, report.partitions)).unwrap();
    let mut got: Vec<_> = unit.series.iter().map(|s| (s.id.clone(), s.values.len())).collect();
    let mut want: Vec<_> = whole.series.iter().map(|s| (s.id.clone(), s.values.len())).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(unit.points, whole.points);
}

#[test]
fn a_pipe_left_open_with_nothing_in_it_stops_the_spill_once_cancelled() {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: two ints for pipe(2) to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fresh descriptors, each owned by one File.
    let (reader, mut writer) = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
    writer.write_all(b"{\"series\":\"a\",\"ts\":1,\"value\":1}\n").unwrap();
    let cancel = AtomicBool::new(false);
    let options = fail_options(1 << 16, 10, None);
    let result = std::thread::scope(|scope| {
        let spilled = scope.spawn(|| {
            let mut input = PollRead::new(reader, &cancel);
            spill(&mut input, &mut Vec::new(), &options, &cancel)
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!spilled.is_finished(), "the writer is still open: the spill waits for more");
        cancel.store(true, Ordering::Relaxed);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !spilled.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let stopped = spilled.is_finished();
        // Closing the pipe unblocks a read that ignored the cancel, so a failure fails, not hangs.
        drop(writer);
        let result = spilled.join().unwrap();
        assert!(stopped, "the spill went on waiting for the pipe after it was cancelled");
        result
    });
    assert_eq!(result.unwrap_err().kind, ErrorKind::Aborted);
}

#[test]
fn a_spill_over_its_byte_limit_stops_before_writing_past_it() {
    let input = interleaved_ndjson();
    let whole = spilled(&input, None, BadLinePolicy::Fail, 256, 10).unwrap().1.bytes;
    let options = SpillOptions { max_bytes: Some(whole / 2), ..fail_options(256, 10, Some(input.len() as u64)) };
    let mut out = Vec::new();
    let e = spill(&mut &input[..], &mut out, &options, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert_eq!(e.message, format!("writing the spill file: over its limit of {} bytes", whole / 2));
    assert!(out.len() as u64 <= whole / 2, "{} bytes written", out.len());
    let exact = SpillOptions { max_bytes: Some(whole), ..options };
    assert_eq!(spill(&mut &input[..], &mut Vec::new(), &exact, &AtomicBool::new(false)).unwrap().bytes, whole);
}

/// Chunks are parsed in any order on any thread, written in input order: the spill file is the
/// same bytes on a pool of one thread (which parses every chunk itself, between reads), of several,
/// and from outside any pool.
#[test]
fn the_spill_is_the_same_bytes_whatever_the_threads() {
    let input = interleaved_ndjson().repeat(20);
    let options = fail_options(97, 40, Some(input.len() as u64));
    let run = |out: &mut Vec<u8>| spill(&mut &input[..], out, &options, &AtomicBool::new(false)).unwrap();
    let mut want = Vec::new();
    let report = run(&mut want);
    assert!(report.chunks > 100, "{} chunks", report.chunks);
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut got = Vec::new();
        assert_eq!(pool.install(|| run(&mut got)), report, "{threads} threads");
        assert!(got == want, "{threads} threads");
    }
}

/// Gives `data`, then fails as a lost disk would.
struct FailsAfter<'a>(&'a [u8]);

impl Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("device gone"));
        }
        self.0.read(buf)
    }
}

/// A read that fails comes after the chunks read before it: their errors are the input's first.
#[test]
fn a_failed_read_is_reported_after_the_chunks_before_it() {
    let good = interleaved_ndjson().repeat(5);
    let mut bad = good.clone();
    bad.splice(0..0, b"{\"series\":\"a\",\"ts\":1,\"value\":\"x\"}\n".iter().copied());
    let options = fail_options(64, 10, None);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let spill_of = |input: &[u8]| pool.install(|| spill(&mut FailsAfter(input), &mut Vec::new(), &options, &AtomicBool::new(false)));
    let e = spill_of(&good).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Io, "reading the input: device gone"));
    let want = parse(&bad, None, BadLinePolicy::Fail).unwrap_err();
    assert_eq!(spill_of(&bad).unwrap_err(), want);
}
