//! Reading a bundle whose `assignments.csv` has 1,000,000 rows.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 1_000_000;
const PEOPLE: usize = 2_000;
const ROTATIONS: [&str; 8] = [
    "ward",
    "clinic",
    "call",
    "icu",
    "ed",
    "education",
    "research",
    "off",
];

/// Writes a bundle of 2,000 people and 1,000,000 assignments (250 days × AM/PM, each
/// person once per block) into `dir`.
fn write_bundle(dir: &std::path::Path) {
    let mut people = String::from("id,name,role,unit,capacity_per_day,skills\n");
    for p in 0..PEOPLE {
        let role = if p % 3 == 0 { "faculty" } else { "resident" };
        let _ = writeln!(
            people,
            "p{p:04},Person {p},{role},unit{},2,pgy{}",
            p % 12,
            p % 3 + 1
        );
    }
    let mut rotations = String::from("id,kind,min_coverage\n");
    for r in ROTATIONS {
        let _ = writeln!(rotations, "{r},{r},1");
    }
    let mut assignments = String::with_capacity(ROWS * 40);
    assignments.push_str("person_id,date,session,rotation,role\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid date");
    let mut written = 0;
    'outer: for day in 0..ROWS.div_ceil(PEOPLE * 2) {
        let date = start + chrono::Duration::days(day as i64);
        for session in ["AM", "PM"] {
            for p in 0..PEOPLE {
                let rotation = ROTATIONS[(p + day) % ROTATIONS.len()];
                let _ = writeln!(assignments, "p{p:04},{date},{session},{rotation},primary");
                written += 1;
                if written == ROWS {
                    break 'outer;
                }
            }
        }
    }
    std::fs::write(dir.join("people.csv"), people).expect("write people");
    std::fs::write(dir.join("rotations.csv"), rotations).expect("write rotations");
    std::fs::write(dir.join("assignments.csv"), assignments).expect("write assignments");
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_bundle(dir.path());
    let bytes = std::fs::metadata(dir.path().join("assignments.csv"))
        .expect("metadata")
        .len();
    let mut group = c.benchmark_group("read");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("csv_dir_1m_assignments", |b| {
        b.iter(|| {
            let (schedule, warnings) =
                thermo_io::read_csv_dir(black_box(dir.path())).expect("valid bundle");
            assert_eq!(schedule.assignments.len(), ROWS);
            assert!(warnings.is_empty());
            schedule
        });
    });
    group.finish();
    eprintln!("assignments.csv: {:.1} MB", bytes as f64 / 1e6);
}

criterion_group!(benches, bench);
criterion_main!(benches);
