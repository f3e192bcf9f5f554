//! The trend module against pymannkendall 1.4.3 and scipy 1.17 themselves:
//! `tests/data/trend_oracle.json`, written by `scripts/fixtures/trend_oracle.py`.
//!
//! S, n, h and the trend must be equal; the float fields are expected to be
//! bit-identical (the engine mirrors pymannkendall's float expressions, numpy's
//! pairwise sums and scipy's Cephes functions) and are checked against SPEC's
//! tolerances, with any inexact field reported.

use std::collections::BTreeMap;

use conclude_engine::trend::{mann_kendall, mk_score, normal};

/// Just enough JSON for the fixture (no string escapes beyond `\"`).
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(self.s[self.i], c, "at byte {}", self.i);
        self.i += 1;
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    let Json::Str(k) = self.value() else { panic!("key") };
                    self.eat(b':');
                    let v = self.value();
                    m.insert(k, v);
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b'}' {
                        return Json::Obj(m);
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(v);
                }
                loop {
                    v.push(self.value());
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b']' {
                        return Json::Arr(v);
                    }
                }
            }
            b'"' => {
                self.i += 1;
                let start = self.i;
                while self.s[self.i] != b'"' {
                    self.i += 1 + (self.s[self.i] == b'\\') as usize;
                }
                self.i += 1;
                Json::Str(String::from_utf8(self.s[start..self.i - 1].to_vec()).unwrap())
            }
            b'n' => {
                self.i += 4;
                Json::Null
            }
            b't' => {
                self.i += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.i += 5;
                Json::Bool(false)
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                Json::Num(std::str::from_utf8(&self.s[start..self.i]).unwrap().parse().unwrap())
            }
        }
    }
}

impl Json {
    fn get(&self, k: &str) -> &Json {
        match self {
            Json::Obj(m) => m.get(k).unwrap_or_else(|| panic!("missing {k}")),
            _ => panic!("not an object"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            _ => panic!("not an array"),
        }
    }
    /// A number; null is NaN, "inf" / "-inf" the infinities.
    fn f(&self) -> f64 {
        match self {
            Json::Num(v) => *v,
            Json::Null => f64::NAN,
            Json::Str(s) if s == "inf" => f64::INFINITY,
            Json::Str(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => panic!("not a number: {self:?}"),
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("not a string"),
        }
    }
    fn bool(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            _ => panic!("not a bool"),
        }
    }
}

fn fixture() -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/trend_oracle.json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Parser { s: &text, i: 0 }.value()
}

fn rel_close(got: f64, want: f64, tol: f64) -> bool {
    got == want || (got.is_nan() && want.is_nan()) || (got - want).abs() <= tol * want.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn matches_pymannkendall() {
    let doc = fixture();
    let mut inexact = Vec::new();
    for case in doc.get("cases").arr() {
        let name = case.get("name").str();
        let x: Vec<f64> = case.get("x").arr().iter().map(Json::f).collect();
        let alpha = case.get("alpha").f();
        let r = mann_kendall(&x, alpha).unwrap_or_else(|| panic!("{name}: None"));
        assert_eq!(r.s as f64, case.get("s").f(), "{name}: s");
        assert_eq!(r.n as f64, case.get("n").f(), "{name}: n");
        assert_eq!(r.h, case.get("h").bool(), "{name}: h");
        assert_eq!(r.trend.as_str(), case.get("trend").str(), "{name}: trend");
        let fields = [
            ("varS", r.var_s, 1e-12),
            ("z", r.z, 1e-9),
            ("tau", r.tau, 1e-9),
            ("slope", r.slope, 1e-9),
            ("intercept", r.intercept, 1e-9),
        ];
        for (field, got, tol) in fields {
            let want = case.get(field).f();
            assert!(rel_close(got, want, tol), "{name}: {field} = {got:e}, want {want:e}");
            if !(got == want || (got.is_nan() && want.is_nan())) {
                inexact.push(format!("{name}.{field}: {got:e} vs {want:e}"));
            }
        }
        let (p, want_p) = (r.p, case.get("p").f());
        assert!((p - want_p).abs() <= 1e-12, "{name}: p = {p:e}, want {want_p:e}");
        if p != want_p {
            inexact.push(format!("{name}.p: {p:e} vs {want_p:e}"));
        }
    }
    // Everything is computed the way the references compute it: bit-identical.
    assert!(inexact.is_empty(), "not bit-identical: {inexact:#?}");
}

#[test]
fn normal_cdf_and_ppf_match_scipy_bit_for_bit() {
    let doc = fixture();
    for pair in doc.get("ndtr").arr() {
        let (z, want) = (pair.arr()[0].f(), pair.arr()[1].f());
        assert_eq!(normal::ndtr(z), want, "ndtr({z})");
    }
    for pair in doc.get("ndtri").arr() {
        let (p, want) = (pair.arr()[0].f(), pair.arr()[1].f());
        assert_eq!(normal::ndtri(p), want, "ndtri({p})");
    }
}

#[test]
fn variance_of_large_tied_series_matches_pymannkendall() {
    // Beyond 2^53 the order and precision of pymannkendall's float64 tie
    // formula (numpy pairwise sum, Python int to float64) show in the result.
    let doc = fixture();
    for row in doc.get("variance").arr() {
        let (n, k, want) = (row.arr()[0].f() as u64, row.arr()[1].f() as u64, row.arr()[2].f());
        let x: Vec<f64> =
            (0..n).map(|i| if k == 0 { i as f64 } else { ((i * 2654435761) % (1 << 32) % k) as f64 }).collect();
        let got = mk_score(&x).unwrap().var_s;
        assert_eq!(got, want, "n = {n}, k = {k}");
    }
}
