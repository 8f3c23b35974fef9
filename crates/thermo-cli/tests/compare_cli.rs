//! `thermo compare` end to end: every file written, the summary's schema, determinism
//! across two runs with the same seed, and bad input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn thermo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .env("CI", "1")
        .output()
        .expect("the thermo binary runs")
}

fn summary(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The shape of a JSON value: objects keep their keys, arrays their first element,
/// scalars become their type name.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::Number(_) => Value::String("number".into()),
        Value::String(_) => Value::String("string".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::String("null".into()),
    }
}

/// Removes the timing-dependent fields.
fn without_cost(mut v: Value) -> Value {
    for key in ["results", "detectors", "criteria"] {
        for item in v[key].as_array_mut().unwrap() {
            let obj = item.as_object_mut().unwrap();
            obj.remove("cost_us_per_check");
            if let Some(c) = obj.get_mut("criteria").and_then(Value::as_object_mut) {
                c.remove("cost");
                c.remove("pass");
            }
        }
    }
    v
}

#[test]
fn quick_writes_every_file_with_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = thermo(&["compare", "--quick", "--out", dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("detector"), "{stdout}");
    assert!(stdout.contains("transport_peclet"));
    for f in [
        "summary.json",
        "results.csv",
        "literature.csv",
        "report.md",
        "report.html",
    ] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let s = summary(dir.path());
    let scenarios = s["scenarios"].as_array().unwrap().len();
    let detectors = s["detectors"].as_array().unwrap().len();
    assert_eq!(scenarios, 7);
    assert_eq!(
        s["results"].as_array().unwrap().len(),
        2 * scenarios * detectors
    );
    assert_eq!(s["literature"].as_array().unwrap().len(), 8);
    // Every result row carries every documented field.
    for r in s["results"].as_array().unwrap() {
        for key in [
            "detector",
            "scenario",
            "lead_time_hours_median",
            "lead_time_hours_iqr",
            "false_positive_rate",
            "detection_rate",
            "root_cause_specificity",
            "auc",
            "nab_score",
            "cost_us_per_check",
            "criteria",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script"));
    // Key structure of the first row of each section, numbers redacted.
    let mut first = serde_json::Map::new();
    for key in ["harness", "detectors", "results", "criteria", "literature"] {
        first.insert(key.into(), shape(&s[key]));
    }
    insta::assert_json_snapshot!("compare_summary_shape", Value::Object(first));
}

#[test]
fn the_same_seed_gives_the_same_summary() {
    let run = |dir: &Path| {
        let out = thermo(&[
            "compare",
            "--quick",
            "--runs",
            "8",
            "--seed",
            "11",
            "--scenarios",
            "sudden_spike,null_stationary",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        without_cost(summary(dir))
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = run(a.path());
    assert_eq!(first["scenarios"].as_array().unwrap().len(), 2);
    assert_eq!(first, run(b.path()));
    let csv_a = std::fs::read_to_string(a.path().join("literature.csv")).unwrap();
    let csv_b = std::fs::read_to_string(b.path().join("literature.csv")).unwrap();
    assert_eq!(csv_a, csv_b);
}

#[test]
fn bad_input_exits_with_status_two() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["compare", "--scenarios", "no_such_scenario", "--out", d],
        vec!["compare", "--runs", "1", "--out", d],
    ] {
        let out = thermo(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[harness]\nhorizon_hours = 0\n").unwrap();
    let out = thermo(&[
        "compare",
        "--quick",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        d,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("horizon_hours"));
    std::fs::write(&cfg, "[detectors.spc]\nsigma = 3\n").unwrap();
    let out = thermo(&[
        "compare",
        "--quick",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        d,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sigma"));
}
