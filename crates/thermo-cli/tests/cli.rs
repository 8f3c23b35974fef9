//! The `thermo` binary end to end: reports, exit codes and error messages.

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

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

#[test]
fn analyze_json_report_is_stable() {
    let out = thermo(&[
        "analyze",
        &fixture("clinic"),
        "--at",
        "2026-03-02",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let entropy = report["entropy"].as_object().expect("entropy object");
    let fields: Vec<&str> = entropy.keys().map(String::as_str).collect();
    for field in [
        "person_entropy",
        "rotation_entropy",
        "time_entropy",
        "joint_entropy",
        "mutual_information",
        "person_given_rotation",
        "rotation_given_person",
        "normalized_entropy",
        "assignments_counted",
    ] {
        assert!(
            fields.contains(&field),
            "entropy.{field} missing from {fields:?}"
        );
    }
    assert_eq!(report["at"], "2026-03-02");
    assert_eq!(report["program"]["people"], 5);
    insta::assert_snapshot!("analyze_clinic_json", stdout(&out));
}

#[test]
fn analyze_table_report_names_every_section() {
    let out = thermo(&["analyze", &fixture("clinic"), "--at", "2026-03-02"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Thermo Resilience report at 2026-03-02"),
        "{text}"
    );
    assert!(
        text.contains("Entropy (bits; 16 assignments counted)"),
        "{text}"
    );
}

#[test]
fn analyze_writes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = thermo(&[
        "analyze",
        &fixture("clinic"),
        "--at",
        "2026-03-02",
        "--format",
        "json",
        "--out",
        &path.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written["program"]["assignments"], 16);
}

#[test]
fn at_defaults_to_the_first_date_outside_the_schedule() {
    // The fixture lies in the past, so "today" is outside it.
    let out = thermo(&["analyze", &fixture("clinic"), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["at"], "2026-03-02");
}

#[test]
fn invalid_bundle_exits_2_and_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("people.csv"), "id\na\n").unwrap();
    std::fs::write(
        dir.path().join("assignments.csv"),
        "person_id,date,session\na,2026-02-30,AM\nb,2026-03-01,XX\n",
    )
    .unwrap();
    let out = thermo(&["analyze", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(
        err.contains("assignments.csv:2: column \"date\": value \"2026-02-30\" is not a date"),
        "{err}"
    );
    assert!(
        err.contains("assignments.csv:3: column \"person_id\": value \"b\" names no person"),
        "{err}"
    );
    assert!(
        err.contains(
            "assignments.csv:3: column \"session\": value \"XX\" is not one of AM, PM, DAY"
        ),
        "{err}"
    );
}

#[test]
fn usage_and_path_errors_exit_2() {
    let out = thermo(&["analyze", &fixture("clinic"), "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = thermo(&["analyze", "/nonexistent/bundle"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent/bundle"));
    let out = thermo(&["analyze", &fixture("clinic"), "--at", "2026-13-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn config_with_unknown_key_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("thermo.toml");
    std::fs::write(&config, "[entropy]\nwindow_dayz = 7\n").unwrap();
    let out = thermo(&[
        "analyze",
        &fixture("clinic"),
        "--config",
        &config.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("thermo.toml") && err.contains("window_dayz"),
        "{err}"
    );
}

#[test]
fn config_changes_the_entropy_window() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("thermo.toml");
    std::fs::write(&config, "[entropy]\nwindow_days = 1\n").unwrap();
    let out = thermo(&[
        "analyze",
        &fixture("clinic"),
        "--at",
        "2026-03-02",
        "--format",
        "json",
        "--config",
        &config.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["entropy"]["assignments_counted"], 8);
}

#[test]
fn config_with_an_out_of_range_defense_setting_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("thermo.toml");
    std::fs::write(&config, "[defense]\nstep_down_checks = 0\n").unwrap();
    let out = thermo(&[
        "analyze",
        &fixture("clinic"),
        "--config",
        &config.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("thermo.toml") && err.contains("defense.step_down_checks"),
        "{err}"
    );
}
