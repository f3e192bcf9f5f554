//! Columnar input: series already in memory as arrays of timestamps and values, turned into
//! the same [`Batch`] the parser builds, without a round trip through NDJSON text.
//!
//! The rules are the parser's: series in order of first appearance (entries with the same id
//! are one series, their points in entry order), each series' points stably sorted by the
//! exact values of `ts` ([`crate::batch`]), `NaN` a missing value. Arrays cannot be malformed,
//! only inconsistent; the first inconsistency, in entry order, is an [`ErrorKind::Columns`](crate::ErrorKind) error
//! naming the entry (position and id) and the field:
//!
//! * an empty id;
//! * `ts` and `values` of different lengths;
//! * a timestamp that is not finite (`NaN`, `±Infinity`), which text cannot express either;
//! * an infinite value (the parser rejects `1e400`); `NaN` is a missing value.

use std::collections::HashMap;

use rayon::prelude::*;

pub use crate::batch::Timestamps;
use crate::batch::{Batch, Points, Series};
use crate::error::Error;

/// One entry of a columnar input: `ts[i]` and `values[i]` are one point. Timestamps are
/// `Float` (a `Float64Array` or a `number[]`) or `Integer` (a `BigInt64Array`, e.g. epoch
/// nanoseconds, held exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesColumns {
    pub id: String,
    pub ts: Timestamps,
    /// `NaN` for a missing value.
    pub values: Vec<f64>,
}

/// Checks the entries and groups them into a batch (see the [module documentation](self)).
/// Inside a rayon pool the per-series sort runs on it; outside, on the calling thread.
pub fn into_batch(entries: Vec<SeriesColumns>) -> Result<Batch, Error> {
    let mut series: Vec<(String, Points)> = Vec::with_capacity(entries.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut points = 0;
    for (position, entry) in entries.into_iter().enumerate() {
        check(position, &entry)?;
        let SeriesColumns { id, ts, values } = entry;
        points += values.len();
        let k = match index.get(&id) {
            Some(&k) => k,
            None => {
                index.insert(id.clone(), series.len());
                series.push((id, Points::default()));
                series.len() - 1
            }
        };
        let p = &mut series[k].1;
        for (i, &v) in values.iter().enumerate() {
            p.push(ts.at(i), v);
        }
    }
    let finish = |(id, p): (String, Points)| {
        let (ts, values) = p.into_sorted();
        Series { id, ts, values }
    };
    let series = if rayon::current_thread_index().is_some() {
        series.into_par_iter().map(finish).collect()
    } else {
        series.into_iter().map(finish).collect()
    };
    Ok(Batch { series, points, bad_lines: 0, bad_line_numbers: Vec::new() })
}

/// Checks that the entry is consistent.
fn check(position: usize, entry: &SeriesColumns) -> Result<(), Error> {
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
    if let Some(i) = ts.iter().position(|t| !t.is_finite()) {
        let t = ts.at(i).as_f64();
        return Err(Error::columns(position, "ts", format!("{}: ts[{i}] is {t}, not a finite number", name())));
    }
    if let Some(i) = values.iter().position(|v| v.is_infinite()) {
        return Err(Error::columns(
            position,
            "values",
            format!("{}: values[{i}] is {}: a value is a finite number, or NaN when missing", name(), values[i]),
        ));
    }
    Ok(())
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
    fn integer_timestamps_are_exact() {
        let b = into_batch(vec![SeriesColumns {
            id: "n".into(),
            ts: Timestamps::Integer(vec![9_007_199_254_740_993, -5, 9_007_199_254_740_992]),
            values: vec![1.0, 2.0, 3.0],
        }])
        .unwrap();
        assert!(
            matches!(&b.series[0].ts, Timestamps::Integer(t) if *t == [-5, 9_007_199_254_740_992, 9_007_199_254_740_993])
        );
        assert_eq!(b.series[0].values, [2.0, 3.0, 1.0]);
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
