//! The parsed form of a batch: points grouped by series, sorted by timestamp.

/// One series: its id and its points, sorted by `ts` (stable: equal
/// timestamps keep input order). `values[i]` is `NaN` when the value is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    /// Timestamps as given (epoch s, ms, or any monotonic unit), or epoch ms for ISO-8601 strings.
    pub ts: Vec<f64>,
    /// Values, `NaN` for missing.
    pub values: Vec<f64>,
}

/// Sorts points `(ts, value)` by `ts`, stably (equal timestamps keep input order); skipped when
/// they already ascend, the usual case. The one ordering rule of every input path (parsed text
/// and columns). Timestamps are finite, so `<=` is a total order here (`-0.0 == 0.0`, kept in
/// input order).
pub(crate) fn sort_by_ts(points: &mut [(f64, f64)]) {
    if !points.windows(2).all(|w| w[0].0 <= w[1].0) {
        points.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    }
}

/// A parsed batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Series in order of first appearance in the input.
    pub series: Vec<Series>,
    /// Number of accepted points (all series).
    pub points: usize,
    /// Lines rejected under the `skip` policy.
    pub bad_lines: usize,
    /// The first few (at most [`Batch::MAX_BAD_LINE_NUMBERS`]) rejected 1-based line numbers.
    pub bad_line_numbers: Vec<usize>,
}

impl Batch {
    pub const MAX_BAD_LINE_NUMBERS: usize = 20;

    /// Equality bit for bit: NaN equals NaN and -0 differs from 0 (unlike `==`).
    pub fn same_bits(&self, other: &Batch) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        self.points == other.points
            && self.bad_lines == other.bad_lines
            && self.bad_line_numbers == other.bad_line_numbers
            && self.series.len() == other.series.len()
            && self
                .series
                .iter()
                .zip(&other.series)
                .all(|(x, y)| x.id == y.id && bits(&x.ts) == bits(&y.ts) && bits(&x.values) == bits(&y.values))
    }
}
