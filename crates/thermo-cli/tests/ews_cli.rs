//! `thermo ews` end to end: CSV and JSON output, p-values, errors and exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn thermo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .output()
        .expect("the thermo binary runs")
}

/// `shared/data/<name>` beside the repository (or beside the worktree directory).
fn shared_data(name: &str) -> String {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    ["../../../shared/data", "../../../../shared/data"]
        .iter()
        .map(|d| crate_dir.join(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("shared/data/{name} not found beside the repository"))
        .display()
        .to_string()
}

#[test]
fn foldbif_csv_has_one_row_per_input_row() {
    let file = shared_data("ews_earlywarnings_foldbif.csv");
    let out = thermo(&["ews", &file, "--detrend", "gaussian", "--bandwidth", "0.2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "time,state,smoothing,residuals,variance,std,cv,ac1,acf1,skew,kurtosis,return_rate,flicker"
    );
    assert_eq!(lines.len(), 201);
    // Window 0.25 of 200 points = 50: the first 49 rows have no indicator.
    assert!(lines[49].ends_with(",,,,,,,,,"), "{}", lines[49]);
    let row50: Vec<&str> = lines[50].split(',').collect();
    assert_eq!(row50[0], "50");
    // ewstools 2.1 gives ac1 = 0.41766923965295455 here (tests/parity in thermo-core).
    let ac1: f64 = row50[7].parse().unwrap();
    assert!((ac1 - 0.41766923965295455).abs() < 1e-9, "{ac1}");
}

#[test]
fn json_output_carries_taus_and_p_values() {
    let file = shared_data("ews_earlywarnings_foldbif.csv");
    let out = thermo(&[
        "ews",
        &file,
        "--detrend",
        "gaussian",
        "--format",
        "json",
        "--surrogates",
        "99",
        "--indicators",
        "variance,ac",
        "--seed",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rows"].as_array().unwrap().len(), 200);
    assert!(doc["rows"][0]["variance"].is_null());
    let tau = doc["kendall_tau"]["variance"].as_f64().unwrap();
    assert!((tau - 0.7290949227373068).abs() < 1e-12);
    let p = doc["p_values"]["ac1"].as_f64().unwrap();
    assert!(p > 0.0 && p <= 1.0);
    let again = thermo(&[
        "ews",
        &file,
        "--detrend",
        "gaussian",
        "--format",
        "json",
        "--surrogates",
        "99",
        "--indicators",
        "variance,ac",
        "--seed",
        "3",
    ]);
    assert_eq!(again.stdout, out.stdout, "seeded output is reproducible");
}

#[test]
fn bad_cells_name_line_and_column_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    std::fs::write(&path, "time,value\n1,2\n2,oops\n").unwrap();
    let out = thermo(&["ews", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column 2 (value)"), "{err}");
    let out = thermo(&["ews", path.to_str().unwrap(), "--indicators", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let out = thermo(&["ews", path.to_str().unwrap(), "--window", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn datetime_times_and_row_index_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    let mut text = String::from("when,load\n");
    for i in 0..40 {
        text.push_str(&format!(
            "2026-01-{:02}T0{}:00:00Z,{}\n",
            1 + i / 2,
            (i % 2) * 6,
            (i * 7 % 11) as f64
        ));
    }
    std::fs::write(&path, text).unwrap();
    let out = thermo(&[
        "ews",
        path.to_str().unwrap(),
        "--time-col",
        "when",
        "--value-col",
        "load",
        "--window",
        "10",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("2026-01-01T00:00:00Z,")
    );
    let out = thermo(&[
        "ews",
        path.to_str().unwrap(),
        "--value-col",
        "load",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rows"][3]["time"].as_f64(), Some(3.0));
}
