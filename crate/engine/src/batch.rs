//! The parsed form of a batch: points grouped by series, sorted by timestamp.
//!
//! # Timestamps
//!
//! A timestamp is held as given ([`Ts`]): an integer (an integer literal within `i64`, a
//! `BigInt64Array` element) exactly, anything else as a double. A double whose value is an
//! integer within ±2^53 (`1e3`, `1000.0`, epoch ms from an ISO-8601 string) is that integer, not
//! `-0.0`. A series stores its timestamps in the narrowest exact form ([`Timestamps`]): all
//! integers as `i64`; integers within ±2^53 and doubles as `f64` (every such integer is an exact
//! double); only a series mixing integers beyond ±2^53 with fractional (or huge) doubles keeps
//! each timestamp tagged. Whatever the form, points are ordered by the exact numeric value of
//! their timestamps, stably (equal values keep input order, `-0.0 == 0`), so the order does not
//! depend on the input path or on how the input was cut into chunks.

use std::cmp::Ordering;

/// One timestamp: an integer held exactly, or a (finite) double.
#[derive(Debug, Clone, Copy)]
pub enum Ts {
    Int(i64),
    Float(f64),
}

/// 2^53: integers of at most this magnitude are exact doubles.
const EXACT_F64: u64 = 1 << 53;
/// 2^63 as a double: the first double above every `i64`.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

impl Ts {
    /// The timestamp a double means: an integral value within ±2^53 (not `-0.0`) is that integer.
    #[inline]
    pub fn of_f64(v: f64) -> Ts {
        if v.fract() == 0.0 && v.abs() <= EXACT_F64 as f64 && !(v == 0.0 && v.is_sign_negative()) {
            Ts::Int(v as i64)
        } else {
            Ts::Float(v)
        }
    }

    /// The nearest double (exact for doubles and for integers within ±2^53).
    #[inline]
    pub fn as_f64(self) -> f64 {
        match self {
            Ts::Int(t) => t as f64,
            Ts::Float(v) => v,
        }
    }

    pub fn is_finite(self) -> bool {
        match self {
            Ts::Int(_) => true,
            Ts::Float(v) => v.is_finite(),
        }
    }

    /// An integer beyond ±(2^53 − 1), which a JS `number` cannot hold exactly.
    pub fn is_wide_int(self) -> bool {
        matches!(self, Ts::Int(t) if t.unsigned_abs() >= EXACT_F64)
    }

    /// The order of the exact numeric values (finite doubles; `-0.0 == 0`).
    pub fn cmp_exact(self, other: Ts) -> Ordering {
        match (self, other) {
            (Ts::Int(a), Ts::Int(b)) => a.cmp(&b),
            (Ts::Float(a), Ts::Float(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            (Ts::Int(a), Ts::Float(b)) => int_cmp_float(a, b),
            (Ts::Float(a), Ts::Int(b)) => int_cmp_float(b, a).reverse(),
        }
    }
}

/// Exact numeric equality (`Int(5) == Float(5.0)`, `-0.0 == 0`).
impl PartialEq for Ts {
    fn eq(&self, other: &Ts) -> bool {
        self.cmp_exact(*other) == Ordering::Equal
    }
}

/// `a` against the finite double `b`, exactly.
fn int_cmp_float(a: i64, b: f64) -> Ordering {
    if b >= TWO_63 {
        return Ordering::Less;
    }
    if b < -TWO_63 {
        return Ordering::Greater;
    }
    let floor = b.floor(); // within [-2^63, 2^63): an exact i64
    match a.cmp(&(floor as i64)) {
        Ordering::Equal if b > floor => Ordering::Less,
        o => o,
    }
}

/// One series' timestamps in the narrowest exact form (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub enum Timestamps {
    /// Doubles (and integers within ±2^53, as exact doubles).
    Float(Vec<f64>),
    /// Integers, e.g. epoch nanoseconds.
    Integer(Vec<i64>),
    /// Integers beyond ±2^53 together with doubles that are not integers within ±2^53.
    Mixed(Vec<Ts>),
}

impl Default for Timestamps {
    fn default() -> Self {
        Timestamps::Integer(Vec::new())
    }
}

impl Timestamps {
    pub fn len(&self) -> usize {
        match self {
            Timestamps::Float(ts) => ts.len(),
            Timestamps::Integer(ts) => ts.len(),
            Timestamps::Mixed(ts) => ts.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th timestamp (a double's meaning as [`Ts::of_f64`] gives it).
    #[inline]
    pub fn at(&self, i: usize) -> Ts {
        match self {
            Timestamps::Float(ts) => Ts::of_f64(ts[i]),
            Timestamps::Integer(ts) => Ts::Int(ts[i]),
            Timestamps::Mixed(ts) => ts[i],
        }
    }

    pub fn first(&self) -> Option<Ts> {
        (!self.is_empty()).then(|| self.at(0))
    }

    pub fn last(&self) -> Option<Ts> {
        (!self.is_empty()).then(|| self.at(self.len() - 1))
    }

    pub fn iter(&self) -> impl Iterator<Item = Ts> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// The nearest doubles, e.g. for tests and plots.
    pub fn to_f64(&self) -> Vec<f64> {
        self.iter().map(Ts::as_f64).collect()
    }

    /// Whether the timestamps ascend (equal neighbours allowed).
    pub fn ascending(&self) -> bool {
        match self {
            Timestamps::Float(ts) => ts.windows(2).all(|w| w[0] <= w[1]),
            Timestamps::Integer(ts) => ts.windows(2).all(|w| w[0] <= w[1]),
            Timestamps::Mixed(ts) => ts.windows(2).all(|w| w[0].cmp_exact(w[1]) != Ordering::Greater),
        }
    }

    /// Equality bit for bit (doubles by their bits: `-0.0` differs from `0`).
    pub fn same_bits(&self, other: &Timestamps) -> bool {
        let bits = |t: Ts| match t {
            Ts::Int(t) => (0, t as u64),
            Ts::Float(v) => (1, v.to_bits()),
        };
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| bits(a) == bits(b))
    }
}

/// Exact numeric equality, element by element, whatever the forms.
impl PartialEq for Timestamps {
    fn eq(&self, other: &Timestamps) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl PartialEq<[f64]> for Timestamps {
    fn eq(&self, other: &[f64]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, &b)| a == Ts::Float(b))
    }
}

impl<const N: usize> PartialEq<[f64; N]> for Timestamps {
    fn eq(&self, other: &[f64; N]) -> bool {
        *self == other[..]
    }
}

impl PartialEq<Vec<f64>> for Timestamps {
    fn eq(&self, other: &Vec<f64>) -> bool {
        *self == other[..]
    }
}

/// One series: its id and its points, sorted by `ts` (stable: equal
/// timestamps keep input order). `values[i]` is `NaN` when the value is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    /// Timestamps as given (epoch s, ms, ns or any monotonic unit), or epoch ms for ISO-8601
    /// strings.
    pub ts: Timestamps,
    /// Values, `NaN` for missing.
    pub values: Vec<f64>,
}

/// A timestamp form that sorts: the exact numeric order of its values.
trait SortKey: Copy {
    fn le(self, other: Self) -> bool;
    fn cmp_key(self, other: Self) -> Ordering;
}

impl SortKey for i64 {
    #[inline]
    fn le(self, other: i64) -> bool {
        self <= other
    }
    fn cmp_key(self, other: i64) -> Ordering {
        self.cmp(&other)
    }
}

/// Timestamps are finite, so `<=` is a total order here (`-0.0 == 0.0`, kept in input order).
impl SortKey for f64 {
    #[inline]
    fn le(self, other: f64) -> bool {
        self <= other
    }
    fn cmp_key(self, other: f64) -> Ordering {
        self.partial_cmp(&other).unwrap_or(Ordering::Equal)
    }
}

impl SortKey for Ts {
    fn le(self, other: Ts) -> bool {
        self.cmp_exact(other) != Ordering::Greater
    }
    fn cmp_key(self, other: Ts) -> Ordering {
        self.cmp_exact(other)
    }
}

/// Sorts points `(ts, value)` by `ts`, stably (equal timestamps keep input order); skipped when
/// they already ascend, the usual case. The one ordering rule of every input path (parsed text,
/// columns, spill files).
fn sort_by_ts<T: SortKey>(points: &mut [(T, f64)]) {
    if !points.windows(2).all(|w| w[0].0.le(w[1].0)) {
        points.sort_by(|a, b| a.0.cmp_key(b.0));
    }
}

/// The points of one series as they arrive, `(ts, value)` in input order, in the narrowest exact
/// form of the timestamps so far: every input path builds its series with it, so that a series
/// is the same whatever the path or the chunking.
#[derive(Debug, Clone)]
pub enum Points {
    Integer(Vec<(i64, f64)>),
    Float(Vec<(f64, f64)>),
    Mixed(Vec<(Ts, f64)>),
}

impl Default for Points {
    fn default() -> Self {
        Points::Integer(Vec::new())
    }
}

impl Points {
    pub fn len(&self) -> usize {
        match self {
            Points::Integer(p) => p.len(),
            Points::Float(p) => p.len(),
            Points::Mixed(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a point (`ts` finite, as [`Ts::of_f64`] normalises doubles).
    #[inline(always)]
    pub fn push(&mut self, ts: Ts, value: f64) {
        match (&mut *self, ts) {
            (Points::Integer(p), Ts::Int(t)) => p.push((t, value)),
            (Points::Float(p), Ts::Float(t)) => p.push((t, value)),
            (Points::Float(p), Ts::Int(t)) if t.unsigned_abs() <= EXACT_F64 => p.push((t as f64, value)),
            (Points::Mixed(p), t) => p.push((t, value)),
            _ => self.widen(ts, value),
        }
    }

    /// Appends a point that the current form cannot hold: the form widens first.
    #[cold]
    fn widen(&mut self, ts: Ts, value: f64) {
        let to_float = match (&*self, ts) {
            (Points::Integer(p), Ts::Float(_)) => p.iter().all(|&(t, _)| t.unsigned_abs() <= EXACT_F64),
            _ => false,
        };
        *self = match std::mem::take(self) {
            Points::Integer(p) if to_float => Points::Float(p.into_iter().map(|(t, v)| (t as f64, v)).collect()),
            Points::Integer(p) => Points::Mixed(p.into_iter().map(|(t, v)| (Ts::Int(t), v)).collect()),
            Points::Float(p) => Points::Mixed(p.into_iter().map(|(t, v)| (Ts::of_f64(t), v)).collect()),
            mixed => mixed,
        };
        self.push(ts, value);
    }

    /// Appends the points of `later` (the same series, later in the input).
    pub fn append(&mut self, later: Points) {
        match (&mut *self, later) {
            (Points::Integer(p), Points::Integer(q)) => p.extend_from_slice(&q),
            (Points::Float(p), Points::Float(q)) => p.extend_from_slice(&q),
            (Points::Mixed(p), Points::Mixed(q)) => p.extend_from_slice(&q),
            (_, later) => later.for_each(|t, v| self.push(t, v)),
        }
    }

    fn for_each(self, mut f: impl FnMut(Ts, f64)) {
        match self {
            Points::Integer(p) => p.into_iter().for_each(|(t, v)| f(Ts::Int(t), v)),
            Points::Float(p) => p.into_iter().for_each(|(t, v)| f(Ts::of_f64(t), v)),
            Points::Mixed(p) => p.into_iter().for_each(|(t, v)| f(t, v)),
        }
    }

    /// The series' timestamps and values, stably sorted by the timestamps' exact values.
    pub fn into_sorted(self) -> (Timestamps, Vec<f64>) {
        fn sorted<T: SortKey>(mut p: Vec<(T, f64)>) -> (Vec<T>, Vec<f64>) {
            sort_by_ts(&mut p);
            p.into_iter().unzip()
        }
        match self {
            Points::Integer(p) => {
                let (ts, values) = sorted(p);
                (Timestamps::Integer(ts), values)
            }
            Points::Float(p) => {
                let (ts, values) = sorted(p);
                (Timestamps::Float(ts), values)
            }
            Points::Mixed(p) => {
                let (ts, values) = sorted(p);
                (Timestamps::Mixed(ts), values)
            }
        }
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

    /// Equality bit for bit: NaN equals NaN and -0 differs from 0 (unlike `==`), in values and
    /// timestamps.
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
                .all(|(x, y)| x.id == y.id && x.ts.same_bits(&y.ts) && bits(&x.values) == bits(&y.values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_that_are_small_integers_are_integers() {
        assert!(matches!(Ts::of_f64(1e3), Ts::Int(1000)));
        assert!(matches!(Ts::of_f64(-9_007_199_254_740_992.0), Ts::Int(-9_007_199_254_740_992)));
        assert!(matches!(Ts::of_f64(1.5), Ts::Float(_)));
        assert!(matches!(Ts::of_f64(-0.0), Ts::Float(_)));
        // Beyond 2^53 a double is approximate: kept a double.
        assert!(matches!(Ts::of_f64(1.7e18), Ts::Float(_)));
    }

    #[test]
    fn integers_and_doubles_compare_exactly() {
        let big = 1_700_000_000_000_000_001i64;
        assert_eq!(Ts::Int(big).cmp_exact(Ts::Float(1.7e18)), Ordering::Greater);
        assert_eq!(Ts::Int(big - 2).cmp_exact(Ts::Float(1.7e18)), Ordering::Less);
        assert_eq!(Ts::Int(3).cmp_exact(Ts::Float(3.5)), Ordering::Less);
        assert_eq!(Ts::Int(-4).cmp_exact(Ts::Float(-3.5)), Ordering::Less);
        assert_eq!(Ts::Int(i64::MAX).cmp_exact(Ts::Float(TWO_63)), Ordering::Less);
        assert_eq!(Ts::Int(i64::MIN).cmp_exact(Ts::Float(-TWO_63)), Ordering::Equal);
        assert_eq!(Ts::Int(0), Ts::Float(-0.0));
    }

    fn sorted(points: &[(Ts, f64)]) -> (Timestamps, Vec<f64>) {
        let mut p = Points::default();
        points.iter().for_each(|&(t, v)| p.push(t, v));
        p.into_sorted()
    }

    #[test]
    fn nanosecond_epochs_sort_exactly_and_stably() {
        let t0 = 1_732_600_000_000_000_000i64;
        let (ts, values) = sorted(&[(Ts::Int(t0 + 300), 3.0), (Ts::Int(t0 + 100), 1.0), (Ts::Int(t0 + 300), 4.0)]);
        assert!(matches!(&ts, Timestamps::Integer(t) if *t == [t0 + 100, t0 + 300, t0 + 300]));
        assert_eq!(values, [1.0, 3.0, 4.0]);
    }

    #[test]
    fn forms_widen_only_as_far_as_needed() {
        let (ts, _) = sorted(&[(Ts::Int(2), 0.0), (Ts::Float(1.5), 0.0)]);
        assert!(matches!(&ts, Timestamps::Float(t) if *t == [1.5, 2.0]));
        let big = 1 << 60;
        let (ts, values) = sorted(&[(Ts::Float(0.5), 1.0), (Ts::Int(big + 1), 2.0), (Ts::Int(big), 3.0)]);
        assert!(matches!(ts, Timestamps::Mixed(_)));
        assert_eq!(ts.iter().collect::<Vec<_>>(), [Ts::Float(0.5), Ts::Int(big), Ts::Int(big + 1)]);
        assert_eq!(values, [1.0, 3.0, 2.0]);
        // Appending in pieces gives what pushing one by one gives, bit for bit.
        let mut a = Points::default();
        a.push(Ts::Int(big), 1.0);
        let mut b = Points::default();
        b.push(Ts::Int(5), 2.0);
        b.push(Ts::Float(0.25), 3.0);
        a.append(b);
        let (whole, _) = sorted(&[(Ts::Int(big), 1.0), (Ts::Int(5), 2.0), (Ts::Float(0.25), 3.0)]);
        assert!(a.into_sorted().0.same_bits(&whole));
    }
}
