//! The benchmark program shared by the transport bench and the CPU-time probe example:
//! 2,000 people, 1,000,000 assignments and 100,000 swap events (seeded, deterministic).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{
    Assignment, AssignmentRole, Block, Person, PersonIdx, Rotation, RotationIdx, Schedule,
    ScheduleBuilder, Session, Swap, SwapKind, SwapStatus,
};

const PEOPLE: u32 = 2_000;
const ASSIGNMENTS: usize = 1_000_000;
const EVENTS: usize = 100_000;
const ROTATIONS: u32 = 20;
const DAYS: i64 = 365;

/// The analysis date of the benchmark program.
pub fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
}

/// Assignments over a year centred on the analysis date, each created 1–60 days before its
/// block; swaps over the 180 days before the analysis date.
pub fn program() -> Schedule {
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
