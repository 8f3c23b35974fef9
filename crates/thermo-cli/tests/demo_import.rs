//! `thermo demo` and `thermo import aapm` end to end, and the committed examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn thermo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args(args)
        .output()
        .expect("the thermo binary runs")
}

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

fn read_dir_csv(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("utf-8"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn demo_small_example_is_reproduced_by_its_documented_command() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let o = thermo(&[
        "demo",
        "--out",
        dir,
        "--residents",
        "12",
        "--faculty",
        "6",
        "--days",
        "56",
        "--seed",
        "7",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fresh = read_dir_csv(out.path());
    let committed = read_dir_csv(Path::new(&repo("examples/demo-small")));
    assert_eq!(
        fresh.iter().map(|f| &f.0).collect::<Vec<_>>(),
        [
            "absences.csv",
            "assignments.csv",
            "calendar.csv",
            "metrics.csv",
            "people.csv",
            "rotations.csv",
            "swaps.csv"
        ]
    );
    assert!(fresh == committed, "examples/demo-small is stale");
}

#[test]
fn examples_analyze_cleanly() {
    for example in ["examples/demo-small", "examples/residency-aapm"] {
        let o = thermo(&["analyze", &repo(example), "--format", "json"]);
        assert!(
            o.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stderr.is_empty(),
            "{example} reads without warnings: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let counted = report["entropy"]["assignments_counted"].as_u64().unwrap();
        assert!(counted > 0, "{example}");
    }
}

#[test]
fn demo_rejects_an_empty_program_with_status_2() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    assert_eq!(
        thermo(&["demo", "--out", dir, "--days", "0"]).status.code(),
        Some(2)
    );
    let o = thermo(&["demo", "--out", dir, "--residents", "0", "--faculty", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn import_aapm_reports_every_problem_and_exits_2() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("residency_block_rotations.csv"),
        "resident,pgy,block,block_start,block_end,rotation\nPGY1-01,1,1,2025-07-01,2025-06-01,Hilo\nPGY1-02,x,1,2025-07-01,2025-07-28,Hilo\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = thermo(&[
        "import",
        "aapm",
        src.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("residency_block_rotations.csv:2: column \"block_end\""),
        "{err}"
    );
    assert!(
        err.contains("residency_block_rotations.csv:3: column \"pgy\""),
        "{err}"
    );
    let missing = thermo(&[
        "import",
        "aapm",
        "/nonexistent/aapm",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn import_aapm_converts_the_committed_source() {
    let out = tempfile::tempdir().unwrap();
    let o = thermo(&[
        "import",
        "aapm",
        &repo("examples/residency-aapm/source"),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        read_dir_csv(out.path()),
        read_dir_csv(Path::new(&repo("examples/residency-aapm")))
    );
}
