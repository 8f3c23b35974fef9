//! The committed `examples/residency-aapm` bundle is exactly what a fresh conversion of
//! its committed source files (`examples/residency-aapm/source/`) writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/residency-aapm")
}

fn csv_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("UTF-8 CSV");
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect()
}

#[test]
fn committed_example_equals_a_fresh_conversion() {
    let example = example_dir();
    let (schedule, warnings) =
        thermo_io::import::aapm::import_dir(&example.join("source")).expect("the source converts");
    assert!(
        !warnings
            .iter()
            .any(|w| w.message.contains("not reproduced")),
        "the published faculty totals are reproduced exactly"
    );
    let out = tempfile::tempdir().expect("temp dir");
    thermo_io::write_csv_dir(&schedule, out.path()).expect("write");
    let fresh = csv_files(out.path());
    let committed = csv_files(&example);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>()
    );
    for (name, text) in &fresh {
        assert!(
            committed[name] == *text,
            "{name} differs: run `thermo import aapm examples/residency-aapm/source --out examples/residency-aapm`"
        );
    }
    // And the committed bundle reads back to the same schedule.
    let (read, _) = thermo_io::read_bundle(&example).expect("the example is a valid bundle");
    assert_eq!(read.people, schedule.people);
    assert_eq!(read.assignments.len(), schedule.assignments.len());
}

#[test]
fn real_residency_shape() {
    let (s, _) = thermo_io::import::aapm::import_dir(&example_dir().join("source")).unwrap();
    let count = |role| s.people.iter().filter(|p| p.role == role).count();
    assert_eq!(count(thermo_core::model::PersonRole::Resident), 17);
    assert_eq!(count(thermo_core::model::PersonRole::Faculty), 12);
    let call = s.rotation_index("faculty-call").unwrap();
    assert_eq!(
        s.assignments
            .iter()
            .filter(|a| a.rotation == Some(call))
            .count(),
        364
    );
    let attending = s.rotation_index("inpatient-attending").unwrap();
    assert_eq!(
        s.assignments
            .iter()
            .filter(|a| a.rotation == Some(attending))
            .count(),
        52 * 7
    );
    // 173 rows: 13 exact repeats dropped, 2 without a person skipped.
    assert_eq!(s.absences.len(), 158);
}
