//! The engine against the golden fixtures made by the reference libraries
//! (numpy, pymannkendall, ruptures; `scripts/make-fixtures.sh`), field by
//! field with the tolerances of SPEC section 3, for every case as NDJSON and CSV.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use conclude_engine::options::{AnomalyMethod, BadLinePolicy, Category, ChangepointMethod, Format, TrendMethod};
use conclude_engine::{engine, output, Options};
use serde_json::Value;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures/golden")
}

fn read_json(name: &str) -> Value {
    let path = golden_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The fixture's camelCase options, as the JS binding would read them, with the exact
/// reference method of each category (ruptures l2, plain Hampel, `original_test`) unless
/// the case names its own.
fn options(v: &Value) -> Options {
    let mut o = Options::default().reference();
    let method = |v: &Value| v.get("method").and_then(Value::as_str).map(str::to_owned);
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    if let Some(f) = v.get("format").and_then(Value::as_str) {
        o.format = Some(if f == "csv" { Format::Csv } else { Format::Ndjson });
    }
    if v.get("onBadLine").and_then(Value::as_str) == Some("skip") {
        o.on_bad_line = BadLinePolicy::Skip;
    }
    if let Some(cats) = v.get("categories").and_then(Value::as_array) {
        let mut c: Vec<Category> = cats.iter().map(|c| Category::from_name(c.as_str().unwrap()).unwrap()).collect();
        c.sort();
        c.dedup();
        o.categories = c;
    }
    if let Some(a) = v.get("anomaly") {
        if let Some(m) = method(a) {
            o.anomaly.method = AnomalyMethod::from_name(&m).expect("anomaly.method");
        }
        if let Some(k) = num(a, "halfWindow") {
            o.anomaly.half_window = k as usize;
        }
        if let Some(t) = num(a, "threshold") {
            o.anomaly.threshold = t;
        }
    }
    if let Some(c) = v.get("changepoint") {
        if let Some(m) = method(c) {
            o.changepoint.method = ChangepointMethod::from_name(&m).expect("changepoint.method");
        }
        if let Some(m) = num(c, "minSize") {
            o.changepoint.min_size = m as usize;
        }
        if let Some(j) = num(c, "jump") {
            o.changepoint.jump = j as usize;
        }
        o.changepoint.penalty = num(c, "penalty");
        if let Some(b) = c.get("clean").and_then(Value::as_bool) {
            o.changepoint.clean = b;
        }
    }
    if let Some(t) = v.get("trend") {
        if let Some(m) = method(t) {
            o.trend.method = TrendMethod::from_name(&m).expect("trend.method");
        }
        if let Some(a) = num(t, "alpha") {
            o.trend.alpha = a;
        }
        o.trend.lag = num(t, "lag").map(|l| l as usize);
    }
    o
}

enum Rule {
    Exact,
    Rel(f64),
    Abs(f64),
}

fn rule(category: &str, field: &str) -> Rule {
    use Rule::*;
    match (category, field) {
        ("summary", "mean" | "std") => Rel(1e-12),
        ("anomaly", "score") => Rel(1e-12),
        ("changepoint", "meanBefore" | "meanAfter" | "delta") => Rel(1e-9),
        ("changepoint", "penalty") => Rel(1e-12),
        ("trend", "p") => Abs(1e-12),
        ("trend", "varS") => Rel(1e-12),
        ("trend", "z" | "tau" | "slope" | "intercept") => Rel(1e-9),
        _ => Exact,
    }
}

fn close(got: &Value, want: &Value, rule: Rule) -> bool {
    match (got.as_f64(), want.as_f64(), rule) {
        (Some(g), Some(w), Rule::Exact) => g == w,
        (Some(g), Some(w), Rule::Rel(r)) => (g - w).abs() <= r * w.abs(),
        (Some(g), Some(w), Rule::Abs(a)) => (g - w).abs() <= a,
        _ => got == want,
    }
}

fn mismatches(got: &Value, want: &Value, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    for category in ["summary", "anomaly", "changepoint", "trend"] {
        let g = got[category].as_array().unwrap();
        let w = want[category].as_array().unwrap();
        if g.len() != w.len() {
            out.push(format!("{label} {category}: {} conclusions, expected {}", g.len(), w.len()));
        }
        for (i, (g, w)) in g.iter().zip(w).enumerate() {
            for (field, wv) in w.as_object().unwrap() {
                let gv = &g[field.as_str()];
                if !close(gv, wv, rule(category, field)) {
                    out.push(format!("{label} {category}[{i}] ({}) {field}: got {gv}, expected {wv}", w["series"]));
                }
            }
        }
    }
    for key in ["points", "series", "badLines", "changepointSkipped", "changepointSkippedSeries"] {
        if want["stats"].get(key).is_some() && got["stats"][key] != want["stats"][key] {
            out.push(format!("{label} stats.{key}: got {}, expected {}", got["stats"][key], want["stats"][key]));
        }
    }
    out
}

#[test]
fn every_case_matches_the_references_as_ndjson_and_csv() {
    let index = read_json("cases.json");
    let cases = index["cases"].as_array().expect("cases.json lists cases");
    assert!(cases.len() >= 5, "too few golden cases");
    let never = AtomicBool::new(false);
    let mut problems = Vec::new();
    let mut compared = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let opts = options(&case["options"]);
        let want = read_json(case["expected"].as_str().unwrap());
        for key in ["ndjson", "csv"] {
            let file = case[key].as_str().unwrap();
            let input = std::fs::read(golden_dir().join(file)).unwrap();
            match engine::analyze(&input, &opts, &never) {
                Ok(a) => {
                    let got: Value =
                        serde_json::from_slice(&output::analysis_json(&a, output::WideTs::Digits)).unwrap();
                    problems.extend(mismatches(&got, &want, &format!("{name}.{key}")));
                    compared += 1;
                }
                Err(e) => problems.push(format!("{name}.{key}: {e}")),
            }
        }
    }
    assert_eq!(compared, 2 * cases.len());
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}
