//! Exact N-1 + N-2 on a generated program of 1,000 people over 28 days (AM and PM), with and
//! without centrality; defense and homeostasis checks.

use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, Person, PersonIdx, Rotation, Schedule, ScheduleBuilder,
    Session,
};
use thermo_core::resilience::contingency::{ContingencyConfig, analyze_contingency};
use thermo_core::resilience::defense::{
    DefenseConfig, DefenseController, DefenseState, PhaseSeverity, TransportAlertLevel,
};
use thermo_core::resilience::homeostasis::{
    EntropyEvidence, HomeostasisConfig, HomeostasisMonitor,
};

const PEOPLE: usize = 1_000;
const DAYS: i64 = 28;
const ROTATIONS: usize = 40;

/// 1,000 people, 40 rotations (half needing a skill 70 % have), every person on one rotation
/// per half-day 85 % of the time, requirements set so slots have slack −1…3, 5 % of people
/// away for a week.
fn program() -> Schedule {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut b = ScheduleBuilder::new();
    for i in 0..PEOPLE {
        let mut p = Person::new(format!("p{i:04}"));
        if rng.random_bool(0.7) {
            p.skills.push("md".into());
        }
        b.add_person(p).unwrap();
    }
    let per_rotation = PEOPLE * 85 / 100 / ROTATIONS;
    for r in 0..ROTATIONS {
        let mut rot = Rotation::new(format!("r{r:02}"));
        rot.min_coverage = (per_rotation - r % 4) as u32;
        if r % 2 == 0 {
            rot.required_skill = Some("md".into());
        }
        b.add_rotation(rot).unwrap();
    }
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut order: Vec<usize> = (0..PEOPLE).collect();
    for day in 0..DAYS {
        for session in [Session::Am, Session::Pm] {
            order.shuffle(&mut rng);
            for (k, &p) in order.iter().take(per_rotation * ROTATIONS).enumerate() {
                let role = if rng.random_bool(0.1) {
                    AssignmentRole::Supervising
                } else {
                    AssignmentRole::Primary
                };
                b.assign(
                    &format!("p{p:04}"),
                    start + Duration::days(day),
                    session,
                    Some(&format!("r{:02}", k % ROTATIONS)),
                    role,
                )
                .unwrap();
            }
        }
    }
    for p in 0..PEOPLE {
        if rng.random_bool(0.05) {
            let first = start + Duration::days(rng.random_range(0..DAYS - 7));
            b.add_absence(Absence {
                person: PersonIdx(p as u32),
                start_date: first,
                end_date: first + Duration::days(6),
                kind: Some("vacation".into()),
                status: AbsenceStatus::Approved,
            })
            .unwrap();
        }
    }
    b.build()
}

fn bench(c: &mut Criterion) {
    let s = program();
    let quick = ContingencyConfig {
        centrality: false,
        ..ContingencyConfig::default()
    };
    let report = analyze_contingency(&s, &quick, None, &|_| None);
    eprintln!(
        "program: {} assignments, {} shortfalls, {} people exposed, {} N-2 pairs",
        s.assignments.len(),
        report.pre_contingency.len(),
        report.n1.iter().filter(|p| p.uncovered_slots > 0).count(),
        report.n2.len()
    );
    let mut group = c.benchmark_group("contingency");
    group.sample_size(10);
    group.bench_function("n1_n2_1000_people_28_days", |bench| {
        bench.iter(|| analyze_contingency(black_box(&s), &quick, None, &|_| None))
    });
    group.bench_function("n1_n2_centrality_1000_people_28_days", |bench| {
        bench.iter(|| {
            analyze_contingency(black_box(&s), &ContingencyConfig::default(), None, &|_| {
                None
            })
        })
    });
    let exact = ContingencyConfig {
        betweenness_exact_max_nodes: usize::MAX,
        ..ContingencyConfig::default()
    };
    group.bench_function("n1_n2_exact_centrality_1000_people_28_days", |bench| {
        bench.iter(|| analyze_contingency(black_box(&s), &exact, None, &|_| None))
    });
    group.finish();
    // Error of the default (sampled) betweenness against the exact one on this program.
    let betweenness = |config: &ContingencyConfig| {
        let mut r = analyze_contingency(&s, config, None, &|_| None);
        r.n1.sort_by(|a, b| a.person.cmp(&b.person));
        r.n1.iter()
            .map(|p| p.centrality.unwrap().betweenness)
            .collect::<Vec<f64>>()
    };
    let (truth, est) = (
        betweenness(&exact),
        betweenness(&ContingencyConfig::default()),
    );
    let max = truth.iter().copied().fold(0.0, f64::max);
    let worst = truth
        .iter()
        .zip(&est)
        .map(|(x, y)| ((x - y) / x).abs())
        .fold(0.0, f64::max);
    let l1 = truth
        .iter()
        .zip(&est)
        .map(|(x, y)| (x - y).abs())
        .sum::<f64>()
        / truth.iter().sum::<f64>();
    eprintln!(
        "sampled betweenness ({} sources): largest relative error {worst:.4}, relative L1 \
         error {l1:.4}, largest exact value {max:.3e}",
        ContingencyConfig::default().betweenness_samples
    );

    let state = DefenseState {
        coverage: 0.93,
        utilization: 0.82,
        n1_pass: false,
        n2_pass: false,
        phase_transition: PhaseSeverity::Elevated,
        transport_alerts: vec![TransportAlertLevel::Watch; 8],
    };
    let mut ctl = DefenseController::new(DefenseConfig::default()).unwrap();
    c.bench_function("defense_check", |bench| {
        bench.iter(|| ctl.check(black_box(&state)).unwrap())
    });
    let mut monitor = HomeostasisMonitor::new(HomeostasisConfig::default()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..100 {
        let x = 0.9 + rng.random_range(0.0..0.1);
        monitor
            .check_all(&[("coverage_rate", x), ("faculty_utilization", x - 0.2)])
            .unwrap();
    }
    let evidence = EntropyEvidence {
        person_entropy_bits: 3.5,
        critical_slowing: false,
    };
    c.bench_function("homeostasis_volatility_risks", |bench| {
        bench.iter(|| {
            monitor
                .detect_volatility_risks(black_box(&evidence))
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
