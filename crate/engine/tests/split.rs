//! Units for worker processes keep every series whole, and analysing the
//! units gives exactly the analysis of the whole batch.

mod common;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use common::Rng;
use conclude_engine::options::{BadLinePolicy, Format};
use conclude_engine::parse::parse;
use conclude_engine::split::split_units;
use conclude_engine::{engine, Options};

/// Interleaved series of different lengths, some values missing, ISO and numeric ts mixed per series.
fn batch(rng: &mut Rng) -> Vec<u8> {
    let mut lines = Vec::new();
    for i in 0..400 {
        for s in 0..7 {
            if s * 37 > i && s > 3 {
                continue; // later series start late
            }
            let v = if rng.chance(3) { "null".to_string() } else { format!("{:.3}", rng.normal() + (i / 150) as f64) };
            let ts = if s == 2 {
                format!("\"2024-02-29T00:{:02}:{:02}Z\"", i / 60, i % 60)
            } else {
                (1_000 + i).to_string()
            };
            lines.push(format!("{{\"series\":\"s\\\"{s}\",\"ts\":{ts},\"value\":{v}}}"));
        }
    }
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn units_hold_whole_series_and_analyse_to_the_same_result() {
    let mut rng = Rng(11);
    let input = batch(&mut rng);
    let whole = parse(&input, None, BadLinePolicy::Fail).unwrap();
    for target in [1, 250, 700, 1_000_000] {
        let split = split_units(&input, None, BadLinePolicy::Fail, target).unwrap();
        assert_eq!(split.points, whole.points);
        assert_eq!(split.series, whole.series.len());
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        let mut conclusions = Vec::new();
        let never = AtomicBool::new(false);
        for unit in &split.units {
            let b = parse(unit, Some(Format::Ndjson), BadLinePolicy::Fail).unwrap();
            for s in &b.series {
                assert!(seen.insert(s.id.clone()), "series {} is in two units (target {target})", s.id);
                let original = whole.series.iter().find(|w| w.id == s.id).unwrap();
                assert_eq!(s.ts, original.ts);
                assert_eq!(
                    s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    original.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
            let a = engine::analyze(unit, &Options::default(), &never).unwrap();
            ids.extend(a.ids);
            conclusions.extend(a.conclusions);
        }
        let direct = engine::analyze(&input, &Options::default(), &never).unwrap();
        assert_eq!(ids, direct.ids, "series order is kept");
        assert_eq!(conclusions, direct.conclusions);
        if target == 1 {
            assert_eq!(split.units.len(), whole.series.len(), "target 1: one series per unit");
        }
    }
}

#[test]
fn split_validates_like_parse_and_skips_like_parse() {
    let input = b"{\"series\":\"a\",\"ts\":1,\"value\":1}\n{\"series\":\"a\",\"ts\":2,\"value\":\"x\"}\n";
    let e = split_units(input, None, BadLinePolicy::Fail, 10).unwrap_err();
    assert_eq!((e.line, e.code()), (Some(2), "ERR_CONCLUDE_PARSE"));
    let s = split_units(input, None, BadLinePolicy::Skip, 10).unwrap();
    assert_eq!((s.points, s.bad_lines, s.bad_line_numbers.clone()), (1, 1, vec![2]));
    assert!(split_units(input, None, BadLinePolicy::Skip, 0).is_err());
}
