//! Decoding the options objects of the API from a JSON-like [`Value`], without any napi type:
//! the binding converts the JS object to a [`Value`], this decides what it means, so the rules
//! are tested (and fuzzed) in Rust.
//!
//! * Each object has ONE table of its keys ([`TOP`], [`ANOMALY`], [`CHANGEPOINT`], [`TREND`],
//!   [`SPILL`], [`MESSAGE`]): a key and the function storing its value. A new option is one
//!   line in its table (and its field in [`crate::options`]).
//! * `undefined` and `null` mean "absent": the default is used.
//! * An unknown key is an error naming it with its path and the closest valid key, so that a
//!   typo (`{anomaly: {halfwindow: 3}}`) never silently runs with the defaults.
//! * A value of the wrong JS type or out of range is an error naming the option, what it must
//!   be and what it was, in JS terms (`threads must be an integer in 1..=1024, got a string ("x")`).
//!   The ranges are here and nowhere else: [`Options`] built in Rust are the caller's to get right.
//!
//! Every error is [`Error::options`] (`ERR_CONCLUDE_OPTIONS`).

use std::fmt::Write as _;

use crate::error::Error;
use crate::options::{
    AnomalyMethod, AnomalyOptions, BadLinePolicy, Category, ChangepointMethod, ChangepointOptions, Format, Options,
    TrendMethod, TrendOptions, MAX_THREADS, MAX_TREND_LAG,
};

/// A JS value, as far as options care.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `undefined` or `null`: the option is absent.
    Absent,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// A plain object's own enumerable string keys, in order.
    Object(Vec<(String, Value)>),
    /// Any other JS value, described for an error message (`a function`, `a bigint`, ...).
    Other(&'static str),
}

/// One key of an options object: its name and how to store its (present) value in `T`; `path`
/// is the key's full name for messages (`anomaly.halfWindow`).
pub struct Key<T> {
    pub name: &'static str,
    pub set: fn(&mut T, &Value, &str) -> Result<(), Error>,
}

const fn key<T>(name: &'static str, set: fn(&mut T, &Value, &str) -> Result<(), Error>) -> Key<T> {
    Key { name, set }
}

/// The options of every analysis entry point.
pub const TOP: &[Key<Options>] = &[
    key("format", |o, v, p| {
        o.format = Some(one_of(v, p, &[("ndjson", Format::Ndjson), ("csv", Format::Csv)])?);
        Ok(())
    }),
    key("onBadLine", |o, v, p| {
        o.on_bad_line = one_of(v, p, &[("fail", BadLinePolicy::Fail), ("skip", BadLinePolicy::Skip)])?;
        Ok(())
    }),
    key("categories", |o, v, p| {
        o.categories = categories(v, p)?;
        Ok(())
    }),
    key("anomaly", |o, v, p| object(v, p, ANOMALY, &mut o.anomaly)),
    key("changepoint", |o, v, p| object(v, p, CHANGEPOINT, &mut o.changepoint)),
    key("trend", |o, v, p| {
        object(v, p, TREND, &mut o.trend)?;
        lag_fits_method(&o.trend, p)
    }),
    key("threads", |o, v, p| {
        o.threads = Some(integer(v, p, 1, MAX_THREADS)?);
        Ok(())
    }),
    // An AbortSignal, which the binding reads itself.
    key("signal", |_, v, p| match v {
        Value::Object(_) => Ok(()),
        other => Err(expected(p, "an AbortSignal", other)),
    }),
];

pub const ANOMALY: &[Key<AnomalyOptions>] = &[
    key("method", |o, v, p| {
        o.method = method(v, p, AnomalyMethod::NAMES, AnomalyMethod::from_name)?;
        Ok(())
    }),
    key("halfWindow", |o, v, p| {
        o.half_window = integer(v, p, 1, 1 << 24)?;
        Ok(())
    }),
    key("threshold", |o, v, p| {
        o.threshold = non_negative(v, p)?;
        Ok(())
    }),
];

pub const CHANGEPOINT: &[Key<ChangepointOptions>] = &[
    key("method", |o, v, p| {
        o.method = method(v, p, ChangepointMethod::NAMES, ChangepointMethod::from_name)?;
        Ok(())
    }),
    key("minSize", |o, v, p| {
        o.min_size = integer(v, p, 1, 1 << 30)?;
        Ok(())
    }),
    key("jump", |o, v, p| {
        o.jump = integer(v, p, 1, 1 << 30)?;
        Ok(())
    }),
    key("penalty", |o, v, p| {
        o.penalty = Some(non_negative(v, p)?);
        Ok(())
    }),
    key("clean", |o, v, p| {
        o.clean = boolean(v, p)?;
        Ok(())
    }),
];

pub const TREND: &[Key<TrendOptions>] = &[
    key("method", |o, v, p| {
        o.method = method(v, p, TrendMethod::NAMES, TrendMethod::from_name)?;
        Ok(())
    }),
    key("alpha", |o, v, p| {
        o.alpha = probability(v, p)?;
        Ok(())
    }),
    // Absent (or null): all lags. Whether the method takes one is checked by `lag_fits_method`
    // once the whole object is read (the keys come in any order).
    key("lag", |o, v, p| {
        o.lag = Some(integer(v, p, 0, MAX_TREND_LAG)?);
        Ok(())
    }),
];

/// The one check across keys: a `trend.lag` only for the methods that take one.
fn lag_fits_method(trend: &TrendOptions, path: &str) -> Result<(), Error> {
    if trend.lag.is_some() && !trend.method.takes_lag() {
        return Err(Error::options(format!(
            "{path}.lag applies to {path}.method 'hamedRao' or 'yueWang' only, not {:?}",
            trend.method.name()
        )));
    }
    Ok(())
}

/// `spillInput`'s third argument: the first two required.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpillSizes {
    /// Bytes read per chunk.
    pub chunk_bytes: Option<usize>,
    /// Target points per partition.
    pub partition_points: Option<usize>,
    /// The most bytes the spill file may take.
    pub max_bytes: Option<u64>,
}

pub const SPILL: &[Key<SpillSizes>] = &[
    key("chunkBytes", |o, v, p| {
        o.chunk_bytes = Some(integer(v, p, 1, 1 << 40)?);
        Ok(())
    }),
    key("partitionPoints", |o, v, p| {
        o.partition_points = Some(integer(v, p, 1, 1 << 40)?);
        Ok(())
    }),
    key("maxBytes", |o, v, p| {
        o.max_bytes = Some(integer(v, p, 1, 1 << 50)? as u64);
        Ok(())
    }),
];

/// `analyzeToMessages`' second argument.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageOptions {
    /// Required.
    pub batch: Option<String>,
}

pub const MESSAGE: &[Key<MessageOptions>] = &[key("batch", |o, v, p| {
    o.batch = Some(string(v, p)?.to_owned());
    Ok(())
})];

/// The analysis options, validated; absent means all defaults.
pub fn decode_options(v: &Value) -> Result<Options, Error> {
    let mut out = Options::default();
    argument(v, "options", TOP, &mut out)?;
    Ok(out)
}

/// `spillInput`'s `{ chunkBytes, partitionPoints, maxBytes? }`.
pub fn decode_spill_options(v: &Value) -> Result<(usize, usize, Option<u64>), Error> {
    let mut out = SpillSizes::default();
    argument(v, "spill options", SPILL, &mut out)?;
    let chunk = out.chunk_bytes.ok_or_else(|| Error::options("chunkBytes is required: a positive integer (bytes)"))?;
    let points = out
        .partition_points
        .ok_or_else(|| Error::options("partitionPoints is required: a positive integer (points per partition)"))?;
    Ok((chunk, points, out.max_bytes))
}

/// `analyzeToMessages`' `{ batch }`: the batch name.
pub fn decode_message_options(v: &Value) -> Result<String, Error> {
    let mut out = MessageOptions::default();
    argument(v, "message options", MESSAGE, &mut out)?;
    out.batch.ok_or_else(|| Error::options("batch is required: a string naming the batch in every message"))
}

/// A whole argument: absent (all defaults) or an object of `table`'s keys.
fn argument<T>(v: &Value, what: &str, table: &[Key<T>], out: &mut T) -> Result<(), Error> {
    match v {
        Value::Absent => Ok(()),
        Value::Object(members) => members_into(members, "", table, out),
        other => Err(Error::options(format!("{what} must be an object, got {}", describe(other)))),
    }
}

/// The nested object at `path`, into `out`.
fn object<T>(v: &Value, path: &str, table: &[Key<T>], out: &mut T) -> Result<(), Error> {
    match v {
        Value::Object(members) => members_into(members, path, table, out),
        other => Err(expected(path, "an object", other)),
    }
}

fn members_into<T>(members: &[(String, Value)], path: &str, table: &[Key<T>], out: &mut T) -> Result<(), Error> {
    for (name, value) in members {
        let full = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
        let Some(k) = table.iter().find(|k| k.name == name) else {
            return Err(unknown_key(&full, name, path, table));
        };
        if *value != Value::Absent {
            (k.set)(out, value, &full)?;
        }
    }
    Ok(())
}

#[cold]
fn unknown_key<T>(full: &str, name: &str, path: &str, table: &[Key<T>]) -> Error {
    let prefix = if path.is_empty() { String::new() } else { format!("{path}.") };
    let mut message = format!("unknown option {full:?}");
    if let Some(best) = table.iter().min_by_key(|k| edit_distance(name, k.name)) {
        let _ = write!(message, ": did you mean {:?}?", format!("{prefix}{}", best.name));
    }
    let names: Vec<&str> = table.iter().map(|k| k.name).collect();
    let owner = if path.is_empty() { "the options are".to_string() } else { format!("{path} takes") };
    let _ = write!(message, " ({owner} {})", names.join(", "));
    Error::options(message)
}

/// Levenshtein distance, ignoring ASCII case (a case slip is the closest of all mistakes).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// What a value is, in JS terms, for messages.
fn describe(v: &Value) -> String {
    const SHOWN: usize = 40;
    match v {
        Value::Absent => "undefined".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(x) => format!("{x}"),
        Value::String(s) if s.chars().count() > SHOWN => {
            format!("a string ({:?}…)", s.chars().take(SHOWN).collect::<String>())
        }
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".into(),
        Value::Other(what) => (*what).into(),
    }
}

#[cold]
fn expected(path: &str, what: &str, got: &Value) -> Error {
    Error::options(format!("{path} must be {what}, got {}", describe(got)))
}

/// A number that `within` accepts (`range` says which, for the message).
fn number(v: &Value, path: &str, within: fn(f64) -> bool, range: &str) -> Result<f64, Error> {
    match v {
        Value::Number(x) if within(*x) => Ok(*x),
        Value::Number(_) => Err(expected(path, range, v)),
        other => Err(expected(path, "a number", other)),
    }
}

/// A finite number >= 0 (a threshold, a penalty).
fn non_negative(v: &Value, path: &str) -> Result<f64, Error> {
    number(v, path, |x| x.is_finite() && x >= 0.0, "a finite number >= 0")
}

/// A number in the open interval (0, 1) (a significance level).
fn probability(v: &Value, path: &str) -> Result<f64, Error> {
    number(v, path, |x| x > 0.0 && x < 1.0, "in (0, 1)")
}

/// A whole number in `min..=max`.
fn integer(v: &Value, path: &str, min: usize, max: usize) -> Result<usize, Error> {
    let what = format!("an integer in {min}..={max}");
    match v {
        Value::Number(x) if x.fract() == 0.0 && *x >= min as f64 && *x <= max as f64 => Ok(*x as usize),
        other => Err(expected(path, &what, other)),
    }
}

fn boolean(v: &Value, path: &str) -> Result<bool, Error> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(expected(path, "a boolean", other)),
    }
}

fn string<'v>(v: &'v Value, path: &str) -> Result<&'v str, Error> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(expected(path, "a string", other)),
    }
}

/// One of the strings of `choices`.
fn one_of<T: Copy>(v: &Value, path: &str, choices: &[(&str, T)]) -> Result<T, Error> {
    let list = choices.iter().map(|(name, _)| format!("'{name}'")).collect::<Vec<_>>().join(" or ");
    match v {
        Value::String(s) => choices
            .iter()
            .find(|(name, _)| name == s)
            .map(|&(_, c)| c)
            .ok_or_else(|| Error::options(format!("{path} must be {list}, got {s:?}"))),
        other => Err(expected(path, &list, other)),
    }
}

/// A method of a category: one of its `names`, read by `from_name`.
fn method<T>(v: &Value, path: &str, names: &[&str], from_name: fn(&str) -> Option<T>) -> Result<T, Error> {
    let list = format!("one of {}", names.join(", "));
    match v {
        Value::String(s) => from_name(s).ok_or_else(|| Error::options(format!("{path} must be {list}, got {s:?}"))),
        other => Err(expected(path, &list, other)),
    }
}

/// A non-empty array of category names: de-duplicated, in canonical order.
fn categories(v: &Value, path: &str) -> Result<Vec<Category>, Error> {
    const NAMES: &str = "summary, anomaly, changepoint or trend";
    let Value::Array(items) = v else {
        return Err(expected(path, &format!("an array of category names ({NAMES})"), v));
    };
    let mut cats = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let c = match item {
            Value::String(name) => Category::from_name(name)
                .ok_or_else(|| Error::options(format!("{path}: unknown category {name:?} (expected {NAMES})")))?,
            other => return Err(expected(&format!("{path}[{k}]"), &format!("a category name ({NAMES})"), other)),
        };
        if !cats.contains(&c) {
            cats.push(c);
        }
    }
    if cats.is_empty() {
        return Err(Error::options(format!("{path} must name at least one of {NAMES}")));
    }
    cats.sort();
    Ok(cats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(members.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn message(v: &Value) -> String {
        let e = decode_options(v).expect_err("an error");
        assert_eq!(e.code(), "ERR_CONCLUDE_OPTIONS");
        e.message
    }

    #[test]
    fn absent_and_empty_mean_the_defaults() {
        assert_eq!(decode_options(&Value::Absent).unwrap(), Options::default());
        assert_eq!(decode_options(&obj(&[])).unwrap(), Options::default());
        assert_eq!(decode_options(&obj(&[("threads", Value::Absent)])).unwrap(), Options::default());
    }

    #[test]
    fn every_option_is_read() {
        let v = obj(&[
            ("format", Value::String("csv".into())),
            ("onBadLine", Value::String("skip".into())),
            ("categories", Value::Array(vec![Value::String("trend".into()), Value::String("summary".into())])),
            ("anomaly", obj(&[("halfWindow", Value::Number(3.0)), ("threshold", Value::Number(2.5))])),
            (
                "changepoint",
                obj(&[
                    ("minSize", Value::Number(4.0)),
                    ("jump", Value::Number(5.0)),
                    ("penalty", Value::Number(7.0)),
                    ("clean", Value::Bool(false)),
                ]),
            ),
            (
                "trend",
                obj(&[
                    ("method", Value::String("hamedRao".into())),
                    ("alpha", Value::Number(0.1)),
                    ("lag", Value::Number(3.0)),
                ]),
            ),
            ("threads", Value::Number(2.0)),
            ("signal", obj(&[])),
        ]);
        let o = decode_options(&v).unwrap();
        assert_eq!(o.format, Some(Format::Csv));
        assert_eq!(o.on_bad_line, BadLinePolicy::Skip);
        assert_eq!(o.categories, [Category::Summary, Category::Trend]);
        assert_eq!(o.anomaly, AnomalyOptions { half_window: 3, threshold: 2.5, ..AnomalyOptions::default() });
        assert_eq!(
            o.changepoint,
            ChangepointOptions {
                min_size: 4,
                jump: 5,
                penalty: Some(7.0),
                clean: false,
                ..ChangepointOptions::default()
            }
        );
        assert_eq!(o.trend, TrendOptions { method: TrendMethod::HamedRao, alpha: 0.1, lag: Some(3) });
        assert_eq!(o.threads, Some(2));
    }

    #[test]
    fn trend_methods_and_lags_are_named_with_what_is_allowed() {
        for (name, method) in [
            ("withinSegments", TrendMethod::WithinSegments),
            ("original", TrendMethod::Original),
            ("hamedRao", TrendMethod::HamedRao),
            ("yueWang", TrendMethod::YueWang),
            ("preWhitening", TrendMethod::PreWhitening),
            ("trendFreePreWhitening", TrendMethod::TrendFreePreWhitening),
        ] {
            let o = decode_options(&obj(&[("trend", obj(&[("method", Value::String(name.into()))]))])).unwrap();
            assert_eq!(o.trend.method, method);
        }
        let trend = |members: &[(&str, Value)]| message(&obj(&[("trend", obj(members))]));
        assert_eq!(
            trend(&[("method", Value::String("sen".into()))]),
            "trend.method must be one of withinSegments, original, hamedRao, yueWang, preWhitening, \
             trendFreePreWhitening, got \"sen\""
        );
        let yue_wang = ("method", Value::String("yueWang".into()));
        for lag in [1001.0, 1.5, -1.0] {
            assert_eq!(
                trend(&[yue_wang.clone(), ("lag", Value::Number(lag))]),
                format!("trend.lag must be an integer in 0..=1000, got {lag}")
            );
        }
        for method in ["hamedRao", "yueWang"] {
            let most = obj(&[("method", Value::String(method.into())), ("lag", Value::Number(MAX_TREND_LAG as f64))]);
            assert_eq!(decode_options(&obj(&[("trend", most)])).unwrap().trend.lag, Some(MAX_TREND_LAG));
        }
        // The lag before the method it applies to: the check waits for the whole object.
        let lag_first = obj(&[("lag", Value::Number(2.0)), ("method", Value::String("hamedRao".into()))]);
        assert_eq!(decode_options(&obj(&[("trend", lag_first)])).unwrap().trend.lag, Some(2));
        let all_lags = decode_options(&obj(&[("trend", obj(&[yue_wang, ("lag", Value::Absent)]))])).unwrap();
        assert_eq!(all_lags.trend.lag, None);
        assert_eq!(
            trend(&[("method", Value::String("preWhitening".into())), ("lag", Value::Number(1.0))]),
            "trend.lag applies to trend.method 'hamedRao' or 'yueWang' only, not \"preWhitening\""
        );
        assert!(trend(&[("lag", Value::Number(1.0))]).contains("not \"withinSegments\""));
    }

    #[test]
    fn unknown_keys_are_named_with_their_path_and_the_closest_valid_key() {
        let m = message(&obj(&[("anomaly", obj(&[("halfwindow", Value::Number(3.0))]))]));
        assert_eq!(
            m,
            "unknown option \"anomaly.halfwindow\": did you mean \"anomaly.halfWindow\"? (anomaly takes method, halfWindow, threshold)"
        );
        let m = message(&obj(&[("formatt", Value::String("csv".into()))]));
        assert!(
            m.starts_with("unknown option \"formatt\": did you mean \"format\"? (the options are format, onBadLine,"),
            "{m}"
        );
        assert!(message(&obj(&[("trend", obj(&[("alhpa", Value::Number(0.1))]))]))
            .contains("did you mean \"trend.alpha\"?"));
        assert!(message(&obj(&[("changepoint", obj(&[("minsize", Value::Number(1.0))]))]))
            .contains("did you mean \"changepoint.minSize\"?"));
    }

    #[test]
    fn wrong_types_say_what_was_expected_in_js_terms() {
        let m = message(&obj(&[("threads", Value::String("x".into()))]));
        assert_eq!(m, "threads must be an integer in 1..=1024, got a string (\"x\")");
        assert_eq!(message(&Value::String("csv".into())), "options must be an object, got a string (\"csv\")");
        assert_eq!(message(&Value::Number(3.0)), "options must be an object, got 3");
        assert_eq!(message(&Value::Array(vec![])), "options must be an object, got an array of 0 items");
        assert_eq!(message(&obj(&[("anomaly", Value::Number(3.0))])), "anomaly must be an object, got 3");
        assert_eq!(
            message(&obj(&[("changepoint", obj(&[("clean", Value::String("no".into()))]))])),
            "changepoint.clean must be a boolean, got a string (\"no\")"
        );
        assert_eq!(message(&obj(&[("format", Value::Number(5.0))])), "format must be 'ndjson' or 'csv', got 5");
        assert_eq!(
            message(&obj(&[("categories", Value::Array(vec![Value::Bool(true)]))])),
            "categories[0] must be a category name (summary, anomaly, changepoint or trend), got a boolean (true)"
        );
        assert_eq!(
            message(&obj(&[("trend", obj(&[("alpha", Value::Other("a bigint"))]))])),
            "trend.alpha must be a number, got a bigint"
        );
    }

    #[test]
    fn out_of_range_numbers_name_the_range() {
        let at = |path: &str, key: &str, x: f64| obj(&[(path, obj(&[(key, Value::Number(x))]))]);
        assert_eq!(message(&at("anomaly", "threshold", -1.0)), "anomaly.threshold must be a finite number >= 0, got -1");
        assert_eq!(message(&at("anomaly", "threshold", f64::NAN)), "anomaly.threshold must be a finite number >= 0, got NaN");
        assert_eq!(
            message(&at("changepoint", "penalty", f64::INFINITY)),
            "changepoint.penalty must be a finite number >= 0, got inf"
        );
        assert_eq!(message(&at("trend", "alpha", 1.0)), "trend.alpha must be in (0, 1), got 1");
        assert_eq!(message(&at("trend", "alpha", 0.0)), "trend.alpha must be in (0, 1), got 0");
        assert_eq!(message(&at("anomaly", "halfWindow", 0.0)), "anomaly.halfWindow must be an integer in 1..=16777216, got 0");
        assert_eq!(message(&obj(&[("threads", Value::Number(1025.0))])), "threads must be an integer in 1..=1024, got 1025");
        let ok = decode_options(&obj(&[("anomaly", obj(&[("threshold", Value::Number(0.0))]))])).unwrap();
        assert_eq!(ok.anomaly.threshold, 0.0);
    }

    #[test]
    fn spill_and_message_options_are_required_objects() {
        let sizes = obj(&[("chunkBytes", Value::Number(4096.0)), ("partitionPoints", Value::Number(10.0))]);
        assert_eq!(decode_spill_options(&sizes).unwrap(), (4096, 10, None));
        let capped = obj(&[("chunkBytes", Value::Number(4096.0)), ("partitionPoints", Value::Number(10.0)), ("maxBytes", Value::Number(1e6))]);
        assert_eq!(decode_spill_options(&capped).unwrap(), (4096, 10, Some(1_000_000)));
        for bad in [Value::Absent, obj(&[]), obj(&[("partitionPoints", Value::Number(10.0))])] {
            let e = decode_spill_options(&bad).unwrap_err();
            assert_eq!(
                (e.code(), e.message.as_str()),
                ("ERR_CONCLUDE_OPTIONS", "chunkBytes is required: a positive integer (bytes)")
            );
        }
        let e = decode_spill_options(&obj(&[("chunkBytes", Value::Number(1.0))])).unwrap_err();
        assert_eq!(e.message, "partitionPoints is required: a positive integer (points per partition)");
        let e = decode_spill_options(&obj(&[("partitionpoints", Value::Number(1.0))])).unwrap_err();
        assert!(e.message.contains("did you mean \"partitionPoints\"?"), "{}", e.message);
        let e = decode_spill_options(&obj(&[("chunkBytes", Value::Number(0.5))])).unwrap_err();
        assert_eq!(e.message, "chunkBytes must be an integer in 1..=1099511627776, got 0.5");
        assert_eq!(decode_message_options(&obj(&[("batch", Value::String("b#1".into()))])).unwrap(), "b#1");
        let e = decode_message_options(&Value::String("b".into())).unwrap_err();
        assert_eq!(e.message, "message options must be an object, got a string (\"b\")");
    }
}
