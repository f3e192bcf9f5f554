//! Columnar input: series already in memory as arrays of timestamps and values, turned into
//! the same [`Batch`] the parser builds, without a round trip through NDJSON text.
//!
//! The rules are the parser's: series in order of first appearance (entries with the same id
//! are one series, their points in entry order), each series' points stably sorted by `ts`
//! ([`sort_by_ts`]), `NaN` a missing value. Arrays cannot be malformed, only inconsistent; the
//! first inconsistency, in entry order, is an [`ErrorKind::Columns`](crate::ErrorKind) error
//! naming the entry (position and id) and the field:
//!
//! * an empty id;
//! * `ts` and `values` of different lengths;
//! * a timestamp that is not finite (`NaN`, `±Infinity`), which text cannot express either;
//! * an infinite value (the parser rejects `1e400`); `NaN` is a missing value.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::batch::{sort_by_ts, Batch, Series};
use crate::error::Error;

/// The timestamps of one entry, as the caller holds them.
#[derive(Debug, Clone, PartialEq)]
pub enum Timestamps {
    /// Numbers (a `Float64Array` or a `number[]`).
    Float(Vec<f64>),
    /// Integers (a `BigInt64Array`), e.g. epoch nanoseconds.
    Integer(Vec<i64>),
}

impl Timestamps {
    pub fn len(&self) -> usize {
        match self {
            Timestamps::Float(ts) => ts.len(),
            Timestamps::Integer(ts) => ts.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One entry of a columnar input: `ts[i]` and `values[i]` are one point.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesColumns {
    pub id: String,
    pub ts: Timestamps,
    /// `NaN` for a missing value.
    pub values: Vec<f64>,
}

/// The [`Batch`] timestamp of an integer timestamp: the nearest double, as the parser reads an
/// integer literal (exact up to 2^53). The one place to change when `Batch` keeps integer
/// timestamps exact.
#[inline]
pub fn integer_ts(t: i64) -> f64 {
    t as f64
}

/// Checks the entries and groups them into a batch (see the [module documentation](self)).
/// Inside a rayon pool the per-series sort runs on it; outside, on the calling thread.
pub fn into_batch(entries: Vec<SeriesColumns>) -> Result<Batch, Error> {
    let mut series: Vec<Series> = Vec::with_capacity(entries.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut points = 0;
    for (position, entry) in entries.into_iter().enumerate() {
        let (id, ts, values) = checked(position, entry)?;
        points += ts.len();
        match index.get(&id) {
            Some(&k) => {
                series[k].ts.extend_from_slice(&ts);
                series[k].values.extend_from_slice(&values);
            }
            None => {
                index.insert(id.clone(), series.len());
                series.push(Series { id, ts, values });
            }
        }
    }
    if rayon::current_thread_index().is_some() {
        series.par_iter_mut().for_each(sort_series);
    } else {
        series.iter_mut().for_each(sort_series);
    }
    Ok(Batch { series, points, bad_lines: 0, bad_line_numbers: Vec::new() })
}

/// The entry's id, timestamps and values once they are consistent.
fn checked(position: usize, entry: SeriesColumns) -> Result<(String, Vec<f64>, Vec<f64>), Error> {
    let SeriesColumns { id, ts, values } = entry;
    let name = || format!("series[{position}] ({id:?})");
    if id.is_empty() {
        return Err(Error::columns(position, "id", format!("series[{position}]: id must be a non-empty string")));
    }
    if ts.len() != values.len() {
        return Err(Error::columns(
            position,
            "values",
            format!("{}: values has {} elements but ts has {}", name(), values.len(), ts.len()),
        ));
    }
    let ts = match ts {
        Timestamps::Float(ts) => ts,
        Timestamps::Integer(ts) => ts.into_iter().map(integer_ts).collect(),
    };
    if let Some(i) = ts.iter().position(|t| !t.is_finite()) {
        return Err(Error::columns(position, "ts", format!("{}: ts[{i}] is {}, not a finite number", name(), ts[i])));
    }
    if let Some(i) = values.iter().position(|v| v.is_infinite()) {
        return Err(Error::columns(
            position,
            "values",
            format!("{}: values[{i}] is {}: a value is a finite number, or NaN when missing", name(), values[i]),
        ));
    }
    Ok((id, ts, values))
}

/// Sorts one series' points by `ts` with the parser's rule; no work when they already ascend.
fn sort_series(s: &mut Series) {
    if s.ts.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    let mut points: Vec<(f64, f64)> = s.ts.iter().copied().zip(s.values.iter().copied()).collect();
    sort_by_ts(&mut points);
    (s.ts, s.values) = points.into_iter().unzip();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn entry(id: &str, ts: Vec<f64>, values: Vec<f64>) -> SeriesColumns {
        SeriesColumns { id: id.into(), ts: Timestamps::Float(ts), values }
    }

    #[test]
    fn entries_with_one_id_are_one_series_sorted_stably() {
        let b = into_batch(vec![
            entry("a", vec![3.0, 1.0], vec![30.0, 10.0]),
            entry("b", vec![1.0], vec![f64::NAN]),
            entry("a", vec![1.0, 2.0], vec![11.0, 20.0]),
        ])
        .unwrap();
        assert_eq!(b.points, 5);
        assert_eq!(b.series.len(), 2);
        assert_eq!(b.series[0].id, "a");
        assert_eq!(b.series[0].ts, vec![1.0, 1.0, 2.0, 3.0]);
        // Equal timestamps keep entry order: 10 (first entry) before 11.
        assert_eq!(b.series[0].values, vec![10.0, 11.0, 20.0, 30.0]);
        assert!(b.series[1].values[0].is_nan());
    }

    #[test]
    fn integer_timestamps_become_the_nearest_double() {
        let b = into_batch(vec![SeriesColumns {
            id: "n".into(),
            ts: Timestamps::Integer(vec![9_007_199_254_740_993, -5]),
            values: vec![1.0, 2.0],
        }])
        .unwrap();
        assert_eq!(b.series[0].ts, vec![-5.0, 9_007_199_254_740_992.0]);
    }

    #[test]
    fn inconsistencies_name_the_entry_and_field() {
        let err = |e: Vec<SeriesColumns>| into_batch(e).unwrap_err();
        let e = err(vec![entry("a", vec![1.0], vec![1.0]), entry("b", vec![1.0, 2.0], vec![1.0])]);
        assert_eq!(e.kind, ErrorKind::Columns);
        assert_eq!(e.code(), "ERR_CONCLUDE_COLUMNS");
        assert_eq!(e.place.map(|p| (p.series, p.field)), Some((1, "values")));
        assert_eq!(e.message, "series[1] (\"b\"): values has 1 elements but ts has 2");

        let e = err(vec![entry("a", vec![1.0, f64::INFINITY], vec![1.0, 2.0])]);
        assert_eq!(e.place.map(|p| p.field), Some("ts"));
        assert!(e.message.contains("ts[1] is inf"), "{}", e.message);
        let e = err(vec![entry("a", vec![f64::NAN], vec![1.0])]);
        assert!(e.message.contains("ts[0] is NaN"), "{}", e.message);

        let e = err(vec![entry("a", vec![1.0], vec![f64::NEG_INFINITY])]);
        assert_eq!(e.place.map(|p| p.field), Some("values"));
        assert!(e.message.contains("values[0] is -inf"), "{}", e.message);

        let e = err(vec![entry("", vec![], vec![])]);
        assert_eq!(e.place.map(|p| (p.series, p.field)), Some((0, "id")));
    }

    #[test]
    fn no_entries_is_an_empty_batch() {
        assert_eq!(into_batch(Vec::new()).unwrap(), Batch::default());
    }
}
