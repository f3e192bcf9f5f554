//! Summary and Hampel against numpy 2.x (fixtures written by `data/gen_numpy_fixtures.py`).
//!
//! Everything is compared bit for bit (mean and std included: the engine
//! reproduces numpy's pairwise summation), except the sign of a zero min, max
//! or quantile (see [`same_value`]). Set `CONCLUDE_SUMMARY_FIXTURE` to a
//! file generated with `--summary N --out FILE` to check N more random series;
//! the test prints how many match bit-exactly.

use conclude_engine::anomaly::{hampel, hampel_sequential, Anomaly};
use conclude_engine::batch::Timestamps;
use conclude_engine::summary::{summarize, Summary};

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("bad float {s:?}"))
}

fn opt(s: &str) -> Option<f64> {
    (s != "-").then(|| num(s))
}

fn floats(s: &str) -> Vec<f64> {
    s.split_whitespace().map(num).collect()
}

/// Equal as numpy values, bit for bit (NaN equals NaN).
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

/// Equal as values (`-0.0 == 0.0`). For min, max and quantiles the sign of a
/// zero is whichever of `0.0` / `-0.0` numpy's SIMD reduction or partition
/// (introselect / x86-simd-sort, CPU-dependent) leaves in place: not reproducible.
fn same_value(a: Option<f64>, b: Option<f64>) -> bool {
    same(a, b) || matches!((a, b), (Some(a), Some(b)) if a == b)
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(Some(a), Some(b)) || (a - b).abs() <= 1e-12 * b.abs(),
        _ => same(a, b),
    }
}

struct Tally {
    cases: usize,
    mean_exact: usize,
    std_exact: usize,
    /// Cases where a zero min, max or quantile has the other sign than numpy's.
    zero_sign: usize,
}

fn check_summaries(text: &str) -> Tally {
    let mut t = Tally { cases: 0, mean_exact: 0, std_exact: 0, zero_sign: 0 };
    for (line_no, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let (values, expect) = line.split_once(';').expect("';'");
        let values = floats(values);
        let e: Vec<&str> = expect.split_whitespace().collect();
        let ts = Timestamps::Float((0..values.len()).map(|i| 1000.5 + i as f64).collect());
        let s: Summary = summarize(&ts, &values);
        let ctx = format!("line {} (n={}): {s:?} vs {e:?}", line_no + 1, values.len());
        assert_eq!(s.count, e[0].parse::<usize>().unwrap(), "{ctx}");
        assert_eq!(s.missing, e[1].parse::<usize>().unwrap(), "{ctx}");
        assert!(same_value(s.min, opt(e[2])) && same_value(s.max, opt(e[3])), "{ctx}");
        for (got, want) in [s.p50, s.p90, s.p95, s.p99].into_iter().zip(&e[6..10]) {
            assert!(same_value(got, opt(want)), "quantile {ctx}");
        }
        assert!(close(s.mean, opt(e[4])) && close(s.std, opt(e[5])), "{ctx}");
        assert_eq!((s.first_ts, s.last_ts), (ts.first(), ts.last()));
        t.cases += 1;
        t.mean_exact += same(s.mean, opt(e[4])) as usize;
        t.std_exact += same(s.std, opt(e[5])) as usize;
        let got = [s.min, s.max, s.p50, s.p90, s.p95, s.p99];
        let want = [e[2], e[3], e[6], e[7], e[8], e[9]];
        t.zero_sign += got.iter().zip(want).any(|(g, w)| !same(*g, opt(w))) as usize;
    }
    t
}

#[test]
fn summary_matches_numpy_bit_for_bit() {
    let t = check_summaries(include_str!("data/summary_numpy.txt"));
    assert!(t.cases > 150);
    assert_eq!((t.mean_exact, t.std_exact), (t.cases, t.cases), "mean/std bit-exact");
}

#[test]
fn summary_extra_fixture_from_env() {
    let Ok(path) = std::env::var("CONCLUDE_SUMMARY_FIXTURE") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("fixture file");
    let t = check_summaries(&text);
    eprintln!(
        "{path}: {} series, mean bit-exact {}, std bit-exact {}, zero of another sign {}",
        t.cases, t.mean_exact, t.std_exact, t.zero_sign
    );
}

fn parse_anomaly(s: &str) -> Anomaly {
    let f: Vec<&str> = s.split(',').collect();
    Anomaly { index: f[0].parse().unwrap(), value: num(f[1]), median: num(f[2]), mad: num(f[3]), score: opt(f[4]) }
}

fn bits(a: &Anomaly) -> (usize, u64, u64, u64, Option<u64>) {
    (a.index, a.value.to_bits(), a.median.to_bits(), a.mad.to_bits(), a.score.map(f64::to_bits))
}

#[test]
fn hampel_matches_numpy_bit_for_bit() {
    let mut cases = 0;
    for (line_no, line) in include_str!("data/hampel_numpy.txt").lines().enumerate() {
        let mut parts = line.split(';');
        let head: Vec<&str> = parts.next().unwrap().split_whitespace().collect();
        let (k, t) = (head[0].parse::<usize>().unwrap(), num(head[1]));
        let x = floats(parts.next().unwrap());
        let want: Vec<Anomaly> = parts.next().unwrap().split_whitespace().map(parse_anomaly).collect();
        let got = hampel(&x, k, t);
        let ctx = format!("line {} (n={}, k={k}, t={t})", line_no + 1, x.len());
        assert_eq!(
            got.iter().map(|a| a.index).collect::<Vec<_>>(),
            want.iter().map(|a| a.index).collect::<Vec<_>>(),
            "indices, {ctx}"
        );
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(bits(g), bits(w), "{ctx}: {g:?} vs {w:?}");
        }
        assert_eq!(got, hampel_sequential(&x, k, t));
        cases += 1;
    }
    assert!(cases > 90);
}
