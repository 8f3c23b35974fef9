//! `thermo contingency`: the JSON shape, the table and bad input.

use std::process::Command;

fn thermo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .output()
        .expect("running thermo")
}

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/contingency_small.json"
);

#[test]
fn json_output_is_stable() {
    let out = thermo(&["contingency", FIXTURE, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!("contingency_small", v);
}

#[test]
fn table_names_the_verdicts_and_the_exposed_people() {
    let out = thermo(&["contingency", FIXTURE]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("N-1 pass   N-2 FAIL"), "{text}");
    // The clinic runs on Monday mornings only, so its empty afternoon is no shortfall.
    assert!(text.contains("2026-03-09  AM       ward"), "{text}");
    assert!(text.contains("2026-03-09  AM       clinic"), "{text}");
    assert!(!text.contains("PM       clinic"), "{text}");
    assert!(text.contains("(3 of 5)"), "{text}");
}

#[test]
fn bad_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[contingency]\neigenvector_max_iter = 0\n").unwrap();
    let out = thermo(&["contingency", FIXTURE, "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = thermo(&["contingency", "/nonexistent/bundle.json"]);
    assert_eq!(out.status.code(), Some(2));
}
