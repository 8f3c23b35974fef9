//! `thermo ensemble` end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

fn thermo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .output()
        .expect("the thermo binary runs")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn ensemble_writes_ranked_bundles_without_the_removed_person() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fallbacks");
    let o = thermo(&[
        "ensemble",
        &fixture("clinic"),
        "--remove",
        "r1",
        "--size",
        "4",
        "--horizon-days",
        "0",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let members = summary["members"].as_array().unwrap();
    assert!(!members.is_empty());
    assert_eq!(summary["scenario"]["removed"][0], "r1");
    let mut total = 0.0;
    for (i, m) in members.iter().enumerate() {
        assert_eq!(m["rank"], i + 1);
        assert_eq!(m["bundle"], format!("rank-{:03}", i + 1));
        for key in ["energy", "probability", "coverage_shortfall", "diversity"] {
            assert!(m.get(key).is_some(), "missing {key}");
        }
        total += m["probability"].as_f64().unwrap();
        let assignments = std::fs::read_to_string(
            out.join(format!("rank-{:03}", i + 1))
                .join("assignments.csv"),
        )
        .unwrap();
        assert!(
            assignments.lines().skip(1).all(|l| !l.starts_with("r1,")),
            "removed person assigned"
        );
        // Every member bundle reads back.
        let back = thermo(&[
            "analyze",
            out.join(format!("rank-{:03}", i + 1)).to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(back.status.success());
    }
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn ensemble_rejects_unknown_people_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = thermo(&[
        "ensemble",
        &fixture("clinic"),
        "--remove",
        "nobody",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nobody"));
}
