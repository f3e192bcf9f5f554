//! Trend at scale against the references, without a big fixture file: the
//! series comes from a generator both the fixture script (Python) and this
//! test implement with integer arithmetic (`large_trend.json` describes it).
//! At n = 1,000,000: S equals scipy.stats.kendalltau's concordant minus
//! discordant, varS pymannkendall's variance; at n = 3,000 every field equals
//! pymannkendall.original_test, Sen's slope included.

use std::path::PathBuf;
use std::time::Instant;

use conclude_engine::trend::mann_kendall;
use serde_json::Value;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures/golden/large_trend.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// splitmix64, value_i = ((z >> 11) % 1000) + floor(3 i / 1000).
fn series(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|i| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (((z >> 11) % 1000) + (i as u64 * 3) / 1000) as f64
        })
        .collect()
}

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

#[test]
fn the_generator_matches_the_fixture_script() {
    let f = fixture();
    let g = &f["generator"];
    let seed = g["seed"].as_u64().unwrap();
    let x = series(seed, 1_000_000);
    let first: Vec<f64> = g["firstValues"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(&x[..first.len()], &first[..]);
    assert_eq!(x.iter().sum::<f64>(), g["sumValues1e6"].as_f64().unwrap());
    assert_eq!(x[..3000].iter().sum::<f64>(), g["sumValues3000"].as_f64().unwrap());
}

#[test]
fn one_million_points_s_and_var_s_equal_the_references() {
    let f = fixture();
    let n = f["n"].as_u64().unwrap() as usize;
    let x = series(f["generator"]["seed"].as_u64().unwrap(), n);
    let start = Instant::now();
    let t = mann_kendall(&x, 0.05).expect("n >= 3");
    eprintln!("trend at n = {n}: {:?} (S, varS, z, p, Sen's slope)", start.elapsed());
    assert_eq!(t.n, n);
    assert_eq!(t.s, f["s"].as_i64().unwrap(), "S must equal scipy's concordant - discordant");
    assert!(rel(t.var_s, f["varS"].as_f64().unwrap()) <= 1e-12, "varS {} vs {}", t.var_s, f["varS"]);
    assert!(rel(t.z, f["z"].as_f64().unwrap()) <= 1e-9);
    assert!(rel(t.tau, f["tau"].as_f64().unwrap()) <= 1e-9);
    assert!((t.p - f["p"].as_f64().unwrap()).abs() <= 1e-12);
    assert_eq!(t.h, f["h"].as_bool().unwrap());
    assert_eq!(t.trend.as_str(), f["trend"].as_str().unwrap());
    assert!(t.slope > 0.0 && t.slope.is_finite());
}

#[test]
fn three_thousand_points_equal_pymannkendall_in_every_field() {
    let f = fixture();
    let want = &f["prefix3000"];
    let x = series(f["generator"]["seed"].as_u64().unwrap(), 3000);
    let t = mann_kendall(&x, 0.05).unwrap();
    assert_eq!(t.n, 3000);
    assert_eq!(t.s, want["s"].as_i64().unwrap());
    assert_eq!(t.trend.as_str(), want["trend"].as_str().unwrap());
    assert_eq!(t.h, want["h"].as_bool().unwrap());
    assert!(rel(t.var_s, want["varS"].as_f64().unwrap()) <= 1e-12);
    for (got, key) in [(t.z, "z"), (t.tau, "tau"), (t.slope, "slope"), (t.intercept, "intercept")] {
        assert!(rel(got, want[key].as_f64().unwrap()) <= 1e-9, "{key}: {got} vs {}", want[key]);
    }
    assert!((t.p - want["p"].as_f64().unwrap()).abs() <= 1e-12);
}
