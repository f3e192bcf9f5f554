//! The option decoder on any JSON value (as the binding hands over any JS value): no panic,
//! every error `ERR_CONCLUDE_OPTIONS`, anything accepted is within the documented ranges, and the accepted
//! options written back as a value decode to the same options (nothing read is lost).
#![no_main]

use conclude_engine::option_decoder::{decode_message_options, decode_options, decode_spill_options, Value};
use conclude_engine::options::{BadLinePolicy, Format, Options, MAX_TREND_LAG};
use libfuzzer_sys::fuzz_target;

fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Absent,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

fn num(x: f64) -> Value {
    Value::Number(x)
}

fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// `o` as the JS object a caller would pass for it.
fn to_value(o: &Options) -> Value {
    let mut members = vec![
        ("onBadLine", Value::String(if o.on_bad_line == BadLinePolicy::Skip { "skip" } else { "fail" }.into())),
        ("categories", Value::Array(o.categories.iter().map(|c| Value::String(c.name().into())).collect())),
        (
            "anomaly",
            obj(vec![
                ("method", Value::String(o.anomaly.method.name().into())),
                ("halfWindow", num(o.anomaly.half_window as f64)),
                ("threshold", num(o.anomaly.threshold)),
            ]),
        ),
        (
            "changepoint",
            obj(vec![
                ("method", Value::String(o.changepoint.method.name().into())),
                ("minSize", num(o.changepoint.min_size as f64)),
                ("jump", num(o.changepoint.jump as f64)),
                ("penalty", o.changepoint.penalty.map_or(Value::Absent, num)),
                ("clean", Value::Bool(o.changepoint.clean)),
            ]),
        ),
        (
            "trend",
            obj(vec![
                ("method", Value::String(o.trend.method.name().into())),
                ("alpha", num(o.trend.alpha)),
                ("lag", o.trend.lag.map_or(Value::Absent, |l| num(l as f64))),
            ]),
        ),
        ("threads", o.threads.map_or(Value::Absent, |t| num(t as f64))),
    ];
    if let Some(f) = o.format {
        members.push(("format", Value::String(if f == Format::Csv { "csv" } else { "ndjson" }.into())));
    }
    obj(members)
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let v = from_json(&json);
    match decode_options(&v) {
        Ok(o) => {
            let (a, c) = (&o.anomaly, &o.changepoint);
            assert!(a.half_window >= 1 && a.threshold.is_finite() && a.threshold >= 0.0, "{a:?}");
            assert!(c.min_size >= 1 && c.jump >= 1 && c.penalty.is_none_or(|p| p.is_finite() && p >= 0.0), "{c:?}");
            assert!(o.trend.alpha > 0.0 && o.trend.alpha < 1.0 && o.threads.is_none_or(|t| (1..=1024).contains(&t)));
            let t = &o.trend;
            assert!(t.lag.is_none_or(|l| l <= MAX_TREND_LAG && t.method.takes_lag()), "{t:?}");
            assert_eq!(decode_options(&to_value(&o)).expect("round trip"), o);
        }
        Err(e) => assert_eq!(e.code(), "ERR_CONCLUDE_OPTIONS", "{}", e.message),
    }
    if let Err(e) = decode_spill_options(&v) {
        assert_eq!(e.code(), "ERR_CONCLUDE_OPTIONS");
    }
    if let Err(e) = decode_message_options(&v) {
        assert_eq!(e.code(), "ERR_CONCLUDE_OPTIONS");
    }
});
