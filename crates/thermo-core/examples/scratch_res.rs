use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, Person, PersonIdx, Rotation, Schedule, ScheduleBuilder,
    Session,
};
use thermo_core::resilience::contingency::{
    ContingencyConfig, SlotIndex, SlotRule, analyze_contingency,
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

fn main() {
    let s = program();
    let idx = SlotIndex::build(&s, SlotRule::Operating, None);
    let people = s.people.len();
    let n = people + idx.len();
    let mut x = vec![1.0f64; n];
    let mut done = None;
    for it in 0..20000 {
        let last = x.clone();
        for sl in 0..idx.len() {
            for &p in idx.members_of(sl) {
                let (a, b) = (p as usize, people + sl);
                x[b] += last[a];
                x[a] += last[b];
            }
        }
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        x.iter_mut().for_each(|v| *v /= norm);
        let d: f64 = x.iter().zip(&last).map(|(a, b)| (a - b).abs()).sum();
        if d < n as f64 * 1e-6 {
            done = Some(it + 1);
            break;
        }
    }
    println!("nodes {n} eigenvector iterations {done:?}");
    for (name, cfg) in [
        (
            "off",
            ContingencyConfig {
                centrality: false,
                ..Default::default()
            },
        ),
        ("on", ContingencyConfig::default()),
    ] {
        let t = std::time::Instant::now();
        let r = analyze_contingency(&s, &cfg, None, &|_| None);
        println!("{name}: {:?} eig0 {:?}", t.elapsed(), r.n1[0].centrality);
    }
}
