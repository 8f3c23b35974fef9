//! A generated program for the statistical-mechanics tests and benches: `people` people
//! (a quarter faculty), `days` days of AM/PM blocks, six rotations with coverage minima and
//! skills, one approved absence per person (shown as a `leave` assignment).

#![allow(dead_code)]

use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, Person, PersonRole, Rotation, Schedule,
    ScheduleBuilder, Session,
};

/// First day of every generated program.
pub fn day0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

/// The generated program (deterministic per seed).
pub fn generated(people: usize, days: usize, seed: u64) -> Schedule {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = ScheduleBuilder::new();
    let mut skills: Vec<Vec<String>> = Vec::with_capacity(people);
    for i in 0..people {
        let mut p = Person::new(format!("p{i:03}"));
        p.role = if i < people / 4 {
            PersonRole::Faculty
        } else {
            PersonRole::Resident
        };
        if rng.random_bool(0.6) {
            p.skills.push("ward".into());
        }
        if i < people / 4 || rng.random_bool(0.2) {
            p.skills.push("call".into());
        }
        skills.push(p.skills.clone());
        b.add_person(p).unwrap();
    }
    let rot = |id: &str, kind: &str, min: u32, skill: Option<&str>| {
        let mut r = Rotation::new(id);
        r.kind = Some(kind.into());
        r.min_coverage = min;
        r.required_skill = skill.map(str::to_owned);
        r.counts_as_work = Rotation::default_counts_as_work(Some(kind));
        r
    };
    for r in [
        rot("ward", "inpatient", 4, Some("ward")),
        rot("clinic", "outpatient", 6, None),
        rot("call", "call", 1, Some("call")),
        rot("proc", "outpatient", 2, None),
        rot("edu", "education", 0, None),
        rot("leave", "leave", 0, None),
    ] {
        b.add_rotation(r).unwrap();
    }
    let mut away = vec![usize::MAX; people];
    for (p, start) in away.iter_mut().enumerate() {
        if days > 5 {
            *start = rng.random_range(0..days - 5);
            b.add_absence(Absence {
                person: thermo_core::model::PersonIdx(p as u32),
                start_date: day0() + Duration::days(*start as i64),
                end_date: day0() + Duration::days(*start as i64 + 4),
                kind: Some("vacation".into()),
                status: AbsenceStatus::Approved,
            })
            .unwrap();
        }
    }
    let plan: [(&str, usize, Option<&str>); 5] = [
        ("ward", 5, Some("ward")),
        ("clinic", 7, None),
        ("call", 1, Some("call")),
        ("proc", 3, None),
        ("edu", usize::MAX, None),
    ];
    let mut order: Vec<usize> = (0..people).collect();
    for d in 0..days {
        let date = day0() + Duration::days(d as i64);
        for session in [Session::Am, Session::Pm] {
            order.shuffle(&mut rng);
            let mut working: Vec<usize> = Vec::new();
            for &p in &order {
                let absent = away[p] != usize::MAX && d >= away[p] && d < away[p] + 5;
                if absent {
                    if session == Session::Am {
                        b.assign(
                            &format!("p{p:03}"),
                            date,
                            session,
                            Some("leave"),
                            AssignmentRole::Primary,
                        )
                        .unwrap();
                    }
                } else if rng.random_bool(0.7) {
                    working.push(p);
                }
            }
            for (rotation, want, skill) in plan {
                let mut taken = 0;
                working.retain(|&p| {
                    if taken >= want || skill.is_some_and(|s| !skills[p].iter().any(|x| x == s)) {
                        return true;
                    }
                    taken += 1;
                    b.assign(
                        &format!("p{p:03}"),
                        date,
                        session,
                        Some(rotation),
                        AssignmentRole::Primary,
                    )
                    .unwrap();
                    false
                });
            }
        }
    }
    b.build()
}
