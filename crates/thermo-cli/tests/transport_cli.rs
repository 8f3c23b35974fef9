//! `thermo analyze` with the utilization and transport sections and their configuration.

use std::path::PathBuf;
use std::process::{Command, Output};

fn thermo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .output()
        .expect("the thermo binary runs")
}

fn clinic() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clinic")
        .display()
        .to_string()
}

fn with_config(toml: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("thermo.toml");
    std::fs::write(&config, toml).unwrap();
    let mut args = vec!["analyze".to_owned(), clinic()];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.push("--config".into());
    args.push(config.display().to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    thermo(&refs)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_transport_key_is_an_error_naming_it() {
    let out = with_config("[transport]\nhorizon_dayz = 14\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("thermo.toml") && err.contains("horizon_dayz"),
        "{err}"
    );
}

#[test]
fn unknown_utilization_key_is_an_error_naming_it() {
    let out = with_config("[utilization]\nmax_util = 0.8\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("max_util"), "{}", stderr(&out));
}

#[test]
fn out_of_range_values_are_errors_naming_the_key() {
    let out = with_config("[transport]\npeclet_critical = 2.0\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("transport.peclet_critical"),
        "{}",
        stderr(&out)
    );
    let out = with_config("[transport]\nunit = \"ward\"\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unit"), "{}", stderr(&out));
}

#[test]
fn json_report_has_the_issue_field_names_and_follows_the_config() {
    let out = with_config(
        "[transport]\nunit = \"unit\"\nhorizon_days = 14\n",
        &["--at", "2026-03-02", "--format", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = report["transport"].as_object().expect("transport section");
    for field in [
        "saturation_gradient",
        "boundary_layer_thickness",
        "arrival_rate",
        "effective_diffusion",
        "potential_diffusion",
        "peclet_number",
        "peclet_unbounded",
        "band",
        "time_to_saturation_minutes",
        "units",
        "alerts",
    ] {
        assert!(t.contains_key(field), "transport.{field} missing");
    }
    assert_eq!(t["unit_grouping"], "unit");
    for unit in t["units"].as_array().unwrap() {
        for field in [
            "unit",
            "utilization",
            "arrival_rate",
            "outflow_rate",
            "time_to_saturation_minutes",
        ] {
            assert!(unit.get(field).is_some(), "units[].{field} missing");
        }
    }
    let u = report["utilization"]
        .as_object()
        .expect("utilization section");
    assert_eq!(u["horizon_days"], 14);
    for field in ["program", "units", "erlang", "people_by_level"] {
        assert!(u.contains_key(field), "utilization.{field} missing");
    }
    assert!(u["program"]["level"].is_string());
    assert!(u["program"]["buffer"].is_number());
}

#[test]
fn table_report_shows_both_sections() {
    let out = thermo(&["analyze", &clinic(), "--at", "2026-03-02"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Utilization (2026-03-02 .. +28 days; sessions)"),
        "{text}"
    );
    assert!(text.contains("Transport (person units"), "{text}");
    assert!(text.contains("Péclet number"), "{text}");
}
