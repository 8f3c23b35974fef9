//! One transport check on a program of 2,000 people, 1,000,000 assignments and 100,000
//! swap events; schedule utilization; Erlang C for large pools.

use std::hint::black_box;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{
    Assignment, AssignmentRole, Block, Person, PersonIdx, Rotation, RotationIdx, Schedule,
    ScheduleBuilder, Session, Swap, SwapKind, SwapStatus,
};
use thermo_core::queueing::utilization::{HorizonLoads, UtilizationConfig, schedule_utilization};
use thermo_core::queueing::{erlang_c, safe_utilization};
use thermo_core::transport::stigmergy::swap_affinities;
use thermo_core::transport::{
    TransportConfig, UnitGrouping, analysis_instant, check_transport, evaluate, transport_input,
};

const PEOPLE: u32 = 2_000;
const ASSIGNMENTS: usize = 1_000_000;
const EVENTS: usize = 100_000;
const ROTATIONS: u32 = 20;
const DAYS: i64 = 365;

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
}

/// Assignments over a year centred on the analysis date, each created 1–60 days before its
/// block; swaps over the 180 days before the analysis date.
fn program() -> Schedule {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut b = ScheduleBuilder::new();
    for i in 0..PEOPLE {
        let mut p = Person::new(format!("p{i:05}"));
        p.unit = Some(format!("unit{}", i % 40));
        b.add_person(p).unwrap();
    }
    for r in 0..ROTATIONS {
        b.add_rotation(Rotation::new(format!("rot{r}"))).unwrap();
    }
    let first = at() - Duration::days(DAYS / 2);
    let blocks: Vec<_> = (0..DAYS * 2)
        .map(|k| {
            b.intern_block(Block {
                date: first + Duration::days(k / 2),
                session: if k % 2 == 0 { Session::Am } else { Session::Pm },
            })
        })
        .collect();
    for _ in 0..ASSIGNMENTS {
        let k = rng.random_range(0..blocks.len());
        let date = first + Duration::days(k as i64 / 2);
        let created = Utc.from_utc_datetime(&date.and_hms_opt(8, 0, 0).unwrap())
            - Duration::minutes(rng.random_range(1_440..86_400));
        b.add_assignment(Assignment {
            person: PersonIdx(rng.random_range(0..PEOPLE)),
            block: blocks[k],
            rotation: Some(RotationIdx(rng.random_range(0..ROTATIONS))),
            role: AssignmentRole::Primary,
            score: None,
            violation: false,
            created_at: Some(created),
        })
        .unwrap();
    }
    let t0 = Utc.from_utc_datetime(&at().and_hms_opt(0, 0, 0).unwrap());
    for _ in 0..EVENTS {
        let executed = t0 - Duration::minutes(rng.random_range(1..180 * 1_440));
        let absorb = rng.random_bool(0.3);
        b.add_swap(Swap {
            id: None,
            source: PersonIdx(rng.random_range(0..PEOPLE)),
            target: Some(PersonIdx(rng.random_range(0..PEOPLE))),
            date: executed.date_naive() + Duration::days(7),
            session: Some(Session::Am),
            blocks: rng.random_range(1..4),
            kind: if absorb {
                SwapKind::Absorb
            } else {
                SwapKind::OneToOne
            },
            status: if rng.random_bool(0.8) {
                SwapStatus::Executed
            } else {
                SwapStatus::Rejected
            },
            requested_at: Some(executed - Duration::hours(30)),
            executed_at: Some(executed),
        })
        .unwrap();
    }
    b.build()
}

fn bench(c: &mut Criterion) {
    let s = program();
    let mut group = c.benchmark_group("transport");
    group.sample_size(20);
    group.bench_function("check_2000p_1m_assignments_100k_events", |bench| {
        bench.iter(|| check_transport(black_box(&s), at(), &TransportConfig::default()))
    });
    let by_rotation = TransportConfig {
        unit: UnitGrouping::Rotation,
        ..Default::default()
    };
    group.bench_function("check_by_rotation_2000p_1m_100k", |bench| {
        bench.iter(|| check_transport(black_box(&s), at(), &by_rotation))
    });
    let no_decay = TransportConfig {
        decay_per_day: 0.0,
        ..Default::default()
    };
    group.bench_function("parts/check_without_decay", |bench| {
        bench.iter(|| check_transport(black_box(&s), at(), &no_decay))
    });
    group.bench_function("parts/transport_input", |bench| {
        bench.iter(|| transport_input(black_box(&s), at(), &TransportConfig::default()))
    });
    let input = transport_input(&s, at(), &TransportConfig::default());
    group.bench_function("parts/evaluate", |bench| {
        bench.iter(|| evaluate(black_box(&input), &TransportConfig::default()))
    });
    group.bench_function("parts/horizon_loads_1m", |bench| {
        bench.iter(|| HorizonLoads::measure(black_box(&s), at(), 28, 2.0))
    });
    group.bench_function("parts/swap_affinities_100k", |bench| {
        bench.iter(|| swap_affinities(black_box(&s), analysis_instant(at()), 0.1))
    });
    // The floor any one-pass check pays: reading every assignment once.
    group.bench_function("scan_floor_1m_assignments", |bench| {
        bench.iter(|| {
            black_box(&s)
                .assignments
                .iter()
                .map(|a| {
                    u64::from(a.person.0) + a.created_at.map_or(0, |c| c.timestamp_millis() as u64)
                })
                .fold(0_u64, u64::wrapping_add)
        })
    });
    group.bench_function("utilization_2000p_1m_assignments", |bench| {
        bench.iter(|| {
            schedule_utilization(black_box(&s), at(), 28, 2.0, &UtilizationConfig::default())
        })
    });
    group.finish();
    let mut q = c.benchmark_group("queueing");
    q.bench_function("erlang_c_10000_servers", |bench| {
        bench.iter(|| erlang_c(black_box(10_000), black_box(9_500.0)))
    });
    q.bench_function("safe_utilization_1000_servers", |bench| {
        bench.iter(|| safe_utilization(black_box(1_000), black_box(0.2)))
    });
    q.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
