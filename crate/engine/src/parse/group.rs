//! Grouping points by series: first-appearance order, then a stable sort by `ts` per series.

use std::borrow::Cow;
use std::collections::HashMap;

use rayon::prelude::*;

use super::BadLines;
use crate::batch::{Batch, Points, Series, Ts};

/// The points of one series, in input order, its id borrowed from the input when possible.
///
/// Ids are kept as bytes while scanning (no UTF-8 check per point): the scanners only hand over
/// ids they have validated, and each becomes a `String` once, at the end.
#[derive(Debug)]
struct Builder<'a> {
    id: Cow<'a, [u8]>,
    /// `(ts, value)` in input order: one store per point while scanning, and what the sort needs.
    points: Points,
    /// The series whose point came right after this one's last time: time-major batches
    /// (every series at each timestamp) repeat the same order, so this predicts the next id.
    next: usize,
}

/// Points grouped by series, in order of first appearance.
#[derive(Debug, Default)]
pub(super) struct Groups<'a> {
    index: HashMap<Cow<'a, [u8]>, usize, IdState>,
    series: Vec<Builder<'a>>,
    /// The series of the previous point: consecutive points of one series (series-major input)
    /// skip the hash lookup; so do series following each other in the same order as before
    /// (time-major input), through [`Builder::next`].
    last: usize,
    points: usize,
}

impl<'a> Groups<'a> {
    /// Appends a point to its series (created on first appearance). `id` must be valid UTF-8.
    #[inline]
    pub(super) fn push(&mut self, id: Cow<'a, [u8]>, ts: Ts, value: f64) {
        let k = match self.series.get(self.last) {
            Some(last) if same_id(&last.id, &id) => self.last,
            Some(last) => {
                let predicted = last.next;
                let k = match self.series.get(predicted) {
                    Some(p) if same_id(&p.id, &id) => predicted,
                    _ => self.find_or_insert(id),
                };
                self.series[self.last].next = k;
                k
            }
            None => self.find_or_insert(id),
        };
        self.last = k;
        self.series[k].points.push(ts, value);
        self.points += 1;
    }

    fn find_or_insert(&mut self, id: Cow<'a, [u8]>) -> usize {
        if let Some(&k) = self.index.get(id.as_ref()) {
            return k;
        }
        let k = self.series.len();
        self.index.insert(id.clone(), k);
        self.series.push(Builder { id, points: Points::default(), next: usize::MAX });
        k
    }

    /// Appends the groups of a later chunk, keeping first-appearance and input order.
    pub(super) fn merge(&mut self, later: Groups<'a>) {
        for b in later.series {
            match self.index.get(b.id.as_ref()) {
                Some(&k) => self.series[k].points.append(b.points),
                None => {
                    self.index.insert(b.id.clone(), self.series.len());
                    // `next` indexed the other chunk's series: a prediction only, but reset it.
                    self.series.push(Builder { next: usize::MAX, ..b });
                }
            }
        }
        self.points += later.points;
    }

    /// Sorts every series by `ts` (stable) and builds the batch; `parallel`: sort on the pool.
    pub(super) fn into_batch(self, bad: BadLines, parallel: bool) -> Batch {
        let series = if parallel {
            self.series.into_par_iter().map(Builder::finish).collect()
        } else {
            self.series.into_iter().map(Builder::finish).collect()
        };
        Batch { series, points: self.points, bad_lines: bad.count, bad_line_numbers: bad.first }
    }
}

impl Builder<'_> {
    /// The series, its points stably sorted by `ts` ([`Points::into_sorted`]).
    fn finish(self) -> Series {
        let (ts, values) = self.points.into_sorted();
        Series { id: into_string(self.id), ts, values }
    }
}

/// Byte equality, inline for short ids (avoiding a `memcmp` call per point).
#[inline(always)]
fn same_id(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_tail) = a.as_chunks::<8>();
    let (b_words, b_tail) = b.as_chunks::<8>();
    // Equal lengths: the tails (under 8 bytes) are equal iff their folds are.
    let fold = |tail: &[u8]| tail.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    a_words.iter().zip(b_words).all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
        && fold(a_tail) == fold(b_tail)
}

/// The id as a `String` (validated by the scanner: the lossy branch is never taken).
fn into_string(id: Cow<'_, [u8]>) -> String {
    match String::from_utf8(id.into_owned()) {
        Ok(id) => id,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The series-id map's hasher: foldhash (a folded multiply, much cheaper than SipHash for short
/// ids) seeded per map, so crafted series ids cannot force collisions.
type IdState = foldhash::fast::RandomState;
