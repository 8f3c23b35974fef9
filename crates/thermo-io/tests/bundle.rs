//! Reading, validating and writing bundles: round trips and one test per validation error.

use std::path::Path;

use proptest::prelude::*;
use thermo_core::model::Schedule;
use thermo_io::{
    BundleError, Diagnostic, parse_json_bundle, read_bundle, to_json_value, write_csv_dir,
    write_json,
};

const PEOPLE: &str = "id,name,role,unit,capacity_per_day,skills\n\
r1,\"Rivera, Ana\",resident,medicine,2,pgy1;acls\n\
r2,Ben Okafor,resident,medicine,1.5,pgy2\n\
f1,Dr. Chen,faculty,surgery,2,attending;acls\n\
x1,,other,,,\n";
const ROTATIONS: &str = "id,name,kind,min_coverage,required_skill,counts_as_work,unit\n\
ward,Inpatient ward,inpatient,1,,true,medicine\n\
clinic,Clinic,outpatient,1,acls,,medicine\n\
off,Off,off,0,,,\n";
const CALENDAR: &str = "date,session,weekend,holiday,capacity_factor\n\
2026-07-04,,true,true,0\n\
2026-07-06,AM,false,false,0.25\n";
const ASSIGNMENTS: &str = "person_id,date,session,rotation,role,score,violation,created_at\n\
r1,2026-07-06,AM,ward,primary,0.75,false,2026-06-01T08:00:00Z\n\
r1,2026-07-06,AM,ward,backup,,,\n\
r2,2026-07-06,PM,clinic,primary,-1.25e-3,true,2026-06-01T08:00:00.123456789+02:00\n\
f1,2026-07-06,PM,clinic,supervising,,,\n\
x1,2026-07-07,DAY,,primary,,,\n";
const ABSENCES: &str = "person_id,start_date,end_date,kind,status\n\
r2,2026-07-08,2026-07-10,vacation,approved\n\
f1,2026-07-09,2026-07-09,sick,requested\n";
const SWAPS: &str = "source_person,date,id,target_person,session,blocks,kind,status,requested_at,executed_at\n\
r1,2026-07-06,s1,r2,AM,1,one_to_one,executed,2026-06-20T10:00:00Z,2026-06-21T09:30:00Z\n\
r2,2026-07-07,,,,2,absorb,rejected,,\n";
const METRICS: &str = "timestamp,metric,value\n\
2026-07-06T00:00:00Z,utilization,0.82\n\
2026-07-06T00:00:00Z,coverage,0.97\n\
2026-07-07T00:00:00Z,utilization,0.85\n";

fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn full_bundle(dir: &Path) {
    write_files(
        dir,
        &[
            ("people.csv", PEOPLE.as_bytes()),
            ("rotations.csv", ROTATIONS.as_bytes()),
            ("calendar.csv", CALENDAR.as_bytes()),
            ("assignments.csv", ASSIGNMENTS.as_bytes()),
            ("absences.csv", ABSENCES.as_bytes()),
            ("swaps.csv", SWAPS.as_bytes()),
            ("metrics.csv", METRICS.as_bytes()),
        ],
    );
}

fn read_ok(path: &Path) -> Schedule {
    match read_bundle(path) {
        Ok((schedule, warnings)) => {
            assert!(warnings.is_empty(), "unexpected warnings: {warnings:?}");
            schedule
        }
        Err(BundleError::Invalid(d)) => panic!("invalid bundle: {d:#?}"),
        Err(e) => panic!("{e}"),
    }
}

/// Reads a bundle made of `files`, expecting it to be invalid; returns the diagnostics.
fn problems(files: &[(&str, &[u8])]) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    full_bundle(dir.path());
    write_files(dir.path(), files);
    match read_bundle(dir.path()) {
        Err(BundleError::Invalid(d)) => d,
        Err(e) => panic!("expected validation problems, got {e}"),
        Ok(_) => panic!("expected validation problems, the bundle was accepted"),
    }
}

/// Asserts that exactly one diagnostic was reported, at this place.
fn only(
    d: &[Diagnostic],
    file: &str,
    line: Option<usize>,
    column: Option<&str>,
    value: Option<&str>,
    says: &str,
) {
    assert_eq!(d.len(), 1, "expected one problem, got {d:#?}");
    let d = &d[0];
    assert_eq!(d.file, file, "{d}");
    assert_eq!(d.line, line, "{d}");
    assert_eq!(d.column.as_deref(), column, "{d}");
    assert_eq!(d.value.as_deref(), value, "{d}");
    assert!(d.message.contains(says), "{d} should say {says:?}");
}

#[test]
fn a_complete_bundle_reads_with_every_field() {
    let dir = tempfile::tempdir().unwrap();
    full_bundle(dir.path());
    let s = read_ok(dir.path());
    assert_eq!(s.people.len(), 4);
    assert_eq!(s.people[0].name.as_deref(), Some("Rivera, Ana"));
    assert_eq!(s.people[0].skills, vec!["pgy1", "acls"]);
    assert_eq!(s.people[1].capacity_per_day, 1.5);
    assert_eq!(s.people[3].capacity_per_day, 2.0);
    assert_eq!(s.rotations.len(), 3);
    assert!(
        !s.rotations[2].counts_as_work,
        "off does not count as work by default"
    );
    assert_eq!(s.rotations[1].required_skill.as_deref(), Some("acls"));
    assert_eq!(s.calendar.len(), 2);
    assert!(s.calendar[0].is_closed());
    assert_eq!(s.assignments.len(), 5);
    assert_eq!(s.blocks.len(), 3);
    assert_eq!(s.assignments[2].score, Some(-1.25e-3));
    assert!(s.assignments[2].violation);
    assert_eq!(
        s.assignments[2].created_at.unwrap().to_rfc3339(),
        "2026-06-01T06:00:00.123456789+00:00"
    );
    assert_eq!(s.absences.len(), 2);
    assert_eq!(s.swaps.len(), 2);
    assert_eq!(s.swaps[1].target, None);
    assert_eq!(s.metrics.len(), 3);
}

#[test]
fn csv_and_json_round_trips_are_lossless() {
    let dir = tempfile::tempdir().unwrap();
    full_bundle(dir.path());
    let original = read_ok(dir.path());

    let csv_dir = dir.path().join("copy");
    write_csv_dir(&original, &csv_dir).unwrap();
    assert_eq!(read_ok(&csv_dir), original);

    let json = dir.path().join("schedule.json");
    write_json(&original, &json).unwrap();
    assert_eq!(read_ok(&json), original);

    // Writing again over an existing directory with fewer tables leaves no stale file.
    let mut lean = original.clone();
    lean.metrics.clear();
    write_csv_dir(&lean, &csv_dir).unwrap();
    assert!(!csv_dir.join("metrics.csv").exists());
    assert_eq!(read_ok(&csv_dir), lean);
}

#[test]
fn json_documents_accept_native_types_and_skill_arrays() {
    let text = r#"{
  "people": [
    {"id": "a", "role": "faculty", "capacity_per_day": 1, "skills": ["x", "y"]},
    {"id": 7}
  ],
  "assignments": [
    {"person_id": "a", "date": "2026-01-01", "score": 2.5, "violation": true},
    {"person_id": "7", "date": "2026-01-01", "session": "AM", "rotation": null}
  ]
}"#;
    let (s, warnings) = parse_json_bundle(text, "doc.json").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.people[0].skills, vec!["x", "y"]);
    assert_eq!(s.people[1].id, "7");
    assert_eq!(s.assignments[0].score, Some(2.5));
    assert_eq!(s.assignments[1].rotation, None);
    let again = parse_json_bundle(&to_json_value(&s).to_string(), "doc.json")
        .unwrap()
        .0;
    assert_eq!(again, s);
}

#[test]
fn json_problems_name_the_table_and_the_line() {
    let text = "{\n \"people\": [\n  {\"id\": \"a\"}\n ],\n \"assignments\": [\n  {\"person_id\": \"a\", \"date\": \"2026-01-01\"},\n  {\"person_id\": \"zz\", \"date\": \"2026-01-01\", \"extra\": 1}\n ]\n}\n";
    let Err(BundleError::Invalid(d)) = parse_json_bundle(text, "s.json") else {
        panic!("expected problems")
    };
    only(
        &d,
        "s.json#assignments",
        Some(7),
        Some("person_id"),
        Some("zz"),
        "names no person",
    );

    let Err(BundleError::Invalid(d)) = parse_json_bundle("{\"people\": [", "s.json") else {
        panic!("expected a syntax error")
    };
    assert!(d[0].message.contains("not valid JSON"), "{}", d[0]);

    let Err(BundleError::Invalid(d)) = parse_json_bundle(r#"{"people": {"id": "a"}}"#, "s.json")
    else {
        panic!("expected problems")
    };
    assert!(
        d.iter()
            .any(|d| d.file == "s.json#people" && d.message.contains("array of objects")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| d.file == "s.json#assignments"
                && d.message.contains("required table is missing")),
        "{d:?}"
    );
}

#[test]
fn unknown_columns_files_and_implicit_rotations_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("people.csv", b"id,shoe_size\na,42\n"),
            (
                "assignments.csv",
                b"person_id,date,rotation\na,2026-01-01,ward\na,2026-01-02,ward\n",
            ),
            ("notes.csv", b"x\n1\n"),
        ],
    );
    let (s, w) = read_bundle(dir.path()).unwrap();
    assert_eq!(s.rotations.len(), 1);
    let text: Vec<String> = w.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 3, "{text:#?}");
    assert!(
        text.iter()
            .any(|t| t.contains("shoe_size") && t.contains("unknown column"))
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("notes.csv") && t.contains("unknown file"))
    );
    assert!(
        text.iter()
            .any(|t| t.contains("\"ward\"") && t.contains("default settings"))
    );
}

#[test]
fn unknown_person() {
    let d = problems(&[(
        "absences.csv",
        b"person_id,start_date,end_date\nnobody,2026-07-01,2026-07-02\n",
    )]);
    only(
        &d,
        "absences.csv",
        Some(2),
        Some("person_id"),
        Some("nobody"),
        "names no person in people",
    );
}

#[test]
fn unknown_rotation() {
    let d = problems(&[(
        "assignments.csv",
        b"person_id,date,rotation\nr1,2026-07-06,icu\n",
    )]);
    only(
        &d,
        "assignments.csv",
        Some(2),
        Some("rotation"),
        Some("icu"),
        "names no rotation in rotations",
    );
}

#[test]
fn bad_date() {
    let d = problems(&[("assignments.csv", b"person_id,date\nr1,06/07/2026\n")]);
    only(
        &d,
        "assignments.csv",
        Some(2),
        Some("date"),
        Some("06/07/2026"),
        "expected YYYY-MM-DD",
    );
}

#[test]
fn bad_timestamp() {
    let d = problems(&[(
        "metrics.csv",
        b"timestamp,metric,value\n2026-07-06 08:00,utilization,0.5\n",
    )]);
    only(
        &d,
        "metrics.csv",
        Some(2),
        Some("timestamp"),
        Some("2026-07-06 08:00"),
        "RFC 3339",
    );
}

#[test]
fn unknown_session() {
    let d = problems(&[(
        "assignments.csv",
        b"person_id,date,session\nr1,2026-07-06,NIGHT\n",
    )]);
    only(
        &d,
        "assignments.csv",
        Some(2),
        Some("session"),
        Some("NIGHT"),
        "AM, PM, DAY",
    );
}

#[test]
fn unknown_role() {
    let d = problems(&[(
        "assignments.csv",
        b"person_id,date,role\nr1,2026-07-06,observer\n",
    )]);
    only(
        &d,
        "assignments.csv",
        Some(2),
        Some("role"),
        Some("observer"),
        "primary, supervising, backup",
    );
    let d = problems(&[("people.csv", b"id,role\nr1,nurse\nr2,\nf1,\nx1,\n")]);
    only(
        &d,
        "people.csv",
        Some(2),
        Some("role"),
        Some("nurse"),
        "resident, faculty, other",
    );
}

#[test]
fn duplicate_assignment() {
    let d = problems(&[(
        "assignments.csv",
        b"person_id,date,session,role\nr1,2026-07-06,AM,primary\nr2,2026-07-06,AM,primary\nr1,2026-07-06,AM,\n",
    )]);
    only(
        &d,
        "assignments.csv",
        Some(4),
        None,
        None,
        "duplicate assignment",
    );
    assert!(d[0].message.contains("assignments.csv:2"), "{}", d[0]);
}

#[test]
fn end_before_start() {
    let d = problems(&[(
        "absences.csv",
        b"person_id,start_date,end_date\nr1,2026-07-10,2026-07-08\n",
    )]);
    only(
        &d,
        "absences.csv",
        Some(2),
        Some("end_date"),
        Some("2026-07-08"),
        "before start_date",
    );
}

#[test]
fn non_finite_numbers() {
    for bad in ["NaN", "inf", "-infinity"] {
        let text = format!("person_id,date,score\nr1,2026-07-06,{bad}\n");
        let d = problems(&[("assignments.csv", text.as_bytes())]);
        only(
            &d,
            "assignments.csv",
            Some(2),
            Some("score"),
            Some(bad),
            "not a finite number",
        );
    }
    let d = problems(&[(
        "metrics.csv",
        b"timestamp,metric,value\n2026-07-06T00:00:00Z,u,NaN\n",
    )]);
    only(
        &d,
        "metrics.csv",
        Some(2),
        Some("value"),
        Some("NaN"),
        "not a finite number",
    );
}

#[test]
fn negative_numbers() {
    let d = problems(&[(
        "people.csv",
        b"id,capacity_per_day\nr1,-1\nr2,2\nf1,2\nx1,2\n",
    )]);
    only(
        &d,
        "people.csv",
        Some(2),
        Some("capacity_per_day"),
        Some("-1"),
        "negative",
    );
    let d = problems(&[("calendar.csv", b"date,capacity_factor\n2026-07-04,-0.5\n")]);
    only(
        &d,
        "calendar.csv",
        Some(2),
        Some("capacity_factor"),
        Some("-0.5"),
        "negative",
    );
    let d = problems(&[(
        "rotations.csv",
        b"id,min_coverage\nward,-2\nclinic,1\noff,0\n",
    )]);
    only(
        &d,
        "rotations.csv",
        Some(2),
        Some("min_coverage"),
        Some("-2"),
        "whole number",
    );
}

#[test]
fn missing_required_column() {
    let d = problems(&[("absences.csv", b"person_id,start_date\nr1,2026-07-10\n")]);
    only(
        &d,
        "absences.csv",
        Some(1),
        Some("end_date"),
        None,
        "required column is missing",
    );
}

#[test]
fn missing_required_file() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("people.csv", PEOPLE.as_bytes())]);
    let Err(BundleError::Invalid(d)) = read_bundle(dir.path()) else {
        panic!("expected problems")
    };
    only(
        &d,
        "assignments.csv",
        None,
        None,
        None,
        "required file is missing",
    );
}

#[test]
fn empty_required_file() {
    let d = problems(&[("assignments.csv", b"")]);
    only(&d, "assignments.csv", None, None, None, "is empty");
    let d = problems(&[("assignments.csv", b"person_id,date\n")]);
    only(&d, "assignments.csv", None, None, None, "no rows");
}

#[test]
fn wrong_encoding() {
    let d = problems(&[("people.csv", b"id,name\nr1,Ren\xE9e\nr2,B\nf1,C\nx1,D\n")]);
    only(
        &d,
        "people.csv",
        Some(2),
        None,
        Some("0xE9"),
        "not valid UTF-8",
    );
}

#[test]
fn ragged_rows_and_malformed_csv() {
    let d = problems(&[(
        "assignments.csv",
        b"person_id,date,session\nr1,2026-07-06\n",
    )]);
    only(
        &d,
        "assignments.csv",
        Some(2),
        None,
        None,
        "has 2 fields but the header has 3",
    );
}

#[test]
fn every_problem_of_the_bundle_is_reported_at_once() {
    let d = problems(&[
        ("people.csv", b"id,role\nr1,boss\nr2,\nf1,\nx1,\n"),
        (
            "assignments.csv",
            b"person_id,date,session\nr1,2026-02-30,AM\nghost,2026-07-06,XX\n",
        ),
        ("metrics.csv", b"timestamp,metric,value\nyesterday,u,1\n"),
    ]);
    let places: Vec<(String, Option<usize>, Option<String>)> = d
        .iter()
        .map(|d| (d.file.clone(), d.line, d.column.clone()))
        .collect();
    let expected = [
        ("assignments.csv", 2, "date"),
        ("assignments.csv", 3, "person_id"),
        ("assignments.csv", 3, "session"),
        ("metrics.csv", 2, "timestamp"),
        ("people.csv", 2, "role"),
    ];
    assert_eq!(
        places,
        expected
            .iter()
            .map(|(f, l, c)| ((*f).to_owned(), Some(*l), Some((*c).to_owned())))
            .collect::<Vec<_>>()
    );
}

#[test]
fn not_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schedule.txt");
    std::fs::write(&file, "x").unwrap();
    assert!(matches!(
        read_bundle(&file),
        Err(BundleError::NotABundle { .. })
    ));
    assert!(matches!(
        read_bundle(&dir.path().join("missing")),
        Err(BundleError::Io { .. })
    ));
}

/// (name, role index, capacity).
type PersonRow = (String, u8, f64);
/// (person index, day, session index, score).
type AssignmentRow = (usize, u16, u8, Option<f64>);

fn arbitrary_bundle() -> impl Strategy<Value = (Vec<PersonRow>, Vec<AssignmentRow>)> {
    let people = prop::collection::vec(("[a-z][a-z0-9,\" ]{0,6}", 0u8..3, 0.0f64..4.0), 1..6);
    people.prop_flat_map(|people| {
        let n = people.len();
        let assignments = prop::collection::vec(
            (0..n, 0u16..60, 0u8..3, prop::option::of(-1e6f64..1e6)),
            1..40,
        );
        (Just(people), assignments)
    })
}

proptest! {
    #[test]
    fn any_valid_bundle_round_trips((people, assignments) in arbitrary_bundle()) {
        use thermo_core::model::{AssignmentRole, Assignment, Block, Person, PersonRole, ScheduleBuilder, Session};
        let mut b = ScheduleBuilder::new();
        let mut ids = Vec::new();
        for (i, (name, role, cap)) in people.iter().enumerate() {
            let mut p = Person::new(format!("p{i}"));
            p.name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
            p.role = [PersonRole::Resident, PersonRole::Faculty, PersonRole::Other][*role as usize];
            p.capacity_per_day = *cap;
            ids.push(b.add_person(p).unwrap());
        }
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (p, day, session, score) in assignments {
            let session = [Session::Am, Session::Pm, Session::Day][session as usize];
            if !seen.insert((p, day, session)) { continue; }
            let block = b.intern_block(Block { date: start + chrono::Duration::days(i64::from(day)), session });
            b.add_assignment(Assignment { person: ids[p], block, rotation: None, role: AssignmentRole::Primary, score, violation: false, created_at: None }).unwrap();
        }
        let schedule = b.build();
        let dir = tempfile::tempdir().unwrap();
        write_csv_dir(&schedule, dir.path()).unwrap();
        let (csv, _) = read_bundle(dir.path()).unwrap();
        prop_assert_eq!(&csv, &schedule);
        let (json, _) = parse_json_bundle(&to_json_value(&schedule).to_string(), "s.json").unwrap();
        prop_assert_eq!(&json, &schedule);
    }
}
