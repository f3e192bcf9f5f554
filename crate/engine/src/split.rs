//! Splitting a batch into units for worker processes, keeping every series
//! whole: a series is never analysed in two halves.
//!
//! The batch is parsed (and so validated, with the caller's bad-line policy
//! and the input's own line numbers in errors) once, here; each unit is then
//! written back as compact NDJSON of whole, ts-sorted series, which a worker
//! parses again without any possible error. Values and timestamps are written
//! in shortest round-trip form, so a unit's analysis is bit-identical to the
//! analysis of the same series in the original batch.

use rayon::prelude::*;

use crate::batch::Series;
use crate::error::Error;
use crate::options::{BadLinePolicy, Format};
use crate::output::{write_num, write_str, write_ts, WideTs};
use crate::parse::parse;

/// The units of a batch and what parsing it found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    /// NDJSON units, each holding whole series, in series order.
    pub units: Vec<Vec<u8>>,
    pub points: usize,
    pub series: usize,
    pub bad_lines: usize,
    pub bad_line_numbers: Vec<usize>,
}

/// Groups consecutive series into units of at least `target_points` points
/// (the last may be smaller; a single series larger than the target is a unit
/// of its own).
pub fn split_units(
    input: &[u8],
    format: Option<Format>,
    policy: BadLinePolicy,
    target_points: usize,
) -> Result<Split, Error> {
    if target_points == 0 {
        return Err(Error::options("targetPoints must be a positive integer, got 0"));
    }
    let batch = parse(input, format, policy)?;
    let mut groups: Vec<&[Series]> = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, s) in batch.series.iter().enumerate() {
        size += s.values.len();
        if size >= target_points {
            groups.push(&batch.series[start..=i]);
            start = i + 1;
            size = 0;
        }
    }
    if start < batch.series.len() {
        groups.push(&batch.series[start..]);
    }
    let units = groups.par_iter().map(|g| write_unit(g)).collect();
    Ok(Split {
        units,
        points: batch.points,
        series: batch.series.len(),
        bad_lines: batch.bad_lines,
        bad_line_numbers: batch.bad_line_numbers,
    })
}

fn write_unit(series: &[Series]) -> Vec<u8> {
    let points: usize = series.iter().map(|s| s.values.len()).sum();
    let mut out = Vec::with_capacity(points * 48);
    for s in series {
        let mut key = Vec::with_capacity(s.id.len() + 16);
        key.extend_from_slice(b"{\"series\":");
        write_str(&mut key, &s.id);
        key.extend_from_slice(b",\"ts\":");
        for (ts, &v) in s.ts.iter().zip(&s.values) {
            out.extend_from_slice(&key);
            write_ts(&mut out, ts, WideTs::Digits);
            out.extend_from_slice(b",\"value\":");
            write_num(&mut out, v); // NaN (missing) is written as null
            out.extend_from_slice(b"}\n");
        }
    }
    out
}
