//! Contingency: hand-checked cases and a brute-force cross-check of the sparse N-1/N-2.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, CalendarDay, Person, PersonIdx, Rotation, Schedule,
    ScheduleBuilder, Session,
};
use thermo_core::resilience::contingency::{
    ContingencyConfig, ContingencyReport, SlotRule, analyze_contingency,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn no_barrier(_: &[PersonIdx]) -> Option<f64> {
    None
}

/// Every block × every rotation with a requirement (the literal slot definition).
fn quick() -> ContingencyConfig {
    ContingencyConfig {
        centrality: false,
        slots: SlotRule::AllBlocks,
        ..ContingencyConfig::default()
    }
}

fn operating() -> ContingencyConfig {
    ContingencyConfig {
        slots: SlotRule::Operating,
        ..quick()
    }
}

/// Two wards; `ward` needs 2 with skill `md`, `clinic` needs 1.
fn small() -> Schedule {
    let mut b = ScheduleBuilder::new();
    for (id, skills) in [
        ("a", vec!["md"]),
        ("b", vec!["md"]),
        ("c", vec!["md"]),
        ("d", vec![]),
        ("e", vec!["md"]),
    ] {
        let mut p = Person::new(id);
        p.skills = skills.into_iter().map(String::from).collect();
        b.add_person(p).unwrap();
    }
    let mut ward = Rotation::new("ward");
    ward.min_coverage = 2;
    ward.required_skill = Some("md".into());
    b.add_rotation(ward).unwrap();
    let mut clinic = Rotation::new("clinic");
    clinic.min_coverage = 1;
    b.add_rotation(clinic).unwrap();
    let day = d("2026-03-02");
    // AM: ward a, b, c (slack 1); clinic d (slack 0); e free.
    for p in ["a", "b", "c"] {
        b.assign(p, day, Session::Am, Some("ward"), AssignmentRole::Primary)
            .unwrap();
    }
    b.assign(
        "d",
        day,
        Session::Am,
        Some("clinic"),
        AssignmentRole::Primary,
    )
    .unwrap();
    // PM: ward a, b (slack 0); clinic empty (shortfall); c on backup (free).
    for p in ["a", "b"] {
        b.assign(
            p,
            day,
            Session::Pm,
            Some("ward"),
            AssignmentRole::Supervising,
        )
        .unwrap();
    }
    b.assign("c", day, Session::Pm, Some("ward"), AssignmentRole::Backup)
        .unwrap();
    b.assign("e", day, Session::Pm, None, AssignmentRole::Primary)
        .unwrap();
    b.build()
}

#[test]
fn small_program_counts_by_hand() {
    let r = analyze_contingency(&small(), &quick(), None, &no_barrier);
    assert_eq!(r.pre_contingency.len(), 1);
    assert_eq!(r.pre_contingency[0].rotation, "clinic");
    assert_eq!(r.pre_contingency[0].session, Session::Pm);
    let by_id: BTreeMap<&str, (u32, u32)> =
        r.n1.iter()
            .map(|p| (p.person.as_str(), (p.uncovered_slots, p.unrepairable_slots)))
            .collect();
    // PM ward (slack 0): a and b break it; c is free (backup) and has md: repairable.
    // AM clinic (slack 0): d breaks it; e is free in AM and clinic needs no skill.
    assert_eq!(by_id["a"], (1, 0));
    assert_eq!(by_id["b"], (1, 0));
    assert_eq!(by_id["d"], (1, 0));
    assert_eq!(by_id["c"], (0, 0));
    assert_eq!(by_id["e"], (0, 0));
    // Pairs among a, b, c share the slack-1 AM ward slot.
    let pairs: Vec<([&str; 2], u32, u32)> =
        r.n2.iter()
            .map(|p| {
                (
                    [p.persons[0].as_str(), p.persons[1].as_str()],
                    p.uncovered_slots,
                    p.joint_only_slots,
                )
            })
            .collect();
    assert_eq!(
        pairs,
        vec![(["a", "b"], 2, 1), (["a", "c"], 2, 1), (["b", "c"], 2, 1)]
    );
    assert!(r.n1_pass);
    // Losing a and b leaves the PM ward two short with one free md (c): not absorbable.
    assert!(!r.n2_pass);
}

#[test]
fn operating_slots_drop_patterns_a_rotation_never_runs() {
    // The clinic only ever runs in the morning: its empty afternoon is not a shortfall.
    let r = analyze_contingency(&small(), &operating(), None, &no_barrier);
    assert!(r.pre_contingency.is_empty());
    let all = analyze_contingency(&small(), &quick(), None, &no_barrier);
    assert_eq!((r.n1.clone(), r.n2.clone()), (all.n1, all.n2));
    // A week later the clinic runs again on Monday morning; nobody is there: a shortfall.
    let mut s = small();
    let next = d("2026-03-09");
    s.blocks.push(thermo_core::model::Block {
        date: next,
        session: Session::Am,
    });
    s.rebuild_lookups();
    let block = s.block_index(thermo_core::model::Block {
        date: next,
        session: Session::Am,
    });
    s.assignments.push(thermo_core::model::Assignment {
        person: PersonIdx(4),
        block: block.unwrap(),
        rotation: None,
        role: AssignmentRole::Primary,
        score: None,
        violation: false,
        created_at: None,
    });
    let r = analyze_contingency(&s, &operating(), None, &no_barrier);
    let short: Vec<(&str, NaiveDate)> = r
        .pre_contingency
        .iter()
        .map(|x| (x.rotation.as_str(), x.date))
        .collect();
    assert_eq!(short, vec![("ward", next), ("clinic", next)]);
    // A window that ends before that Monday leaves it out.
    let window = Some((d("2026-03-01"), d("2026-03-09")));
    let r = analyze_contingency(&s, &operating(), window, &no_barrier);
    assert!(r.pre_contingency.is_empty());
}

#[test]
fn absences_and_closed_days_are_excluded() {
    let mut s = small();
    // d is absent: the AM clinic becomes a shortfall and d breaks nothing.
    s.absences.push(Absence {
        person: PersonIdx(3),
        start_date: d("2026-03-02"),
        end_date: d("2026-03-02"),
        kind: None,
        status: AbsenceStatus::Approved,
    });
    let r = analyze_contingency(&s, &quick(), None, &no_barrier);
    assert_eq!(r.pre_contingency.len(), 2);
    assert_eq!(
        r.n1.iter()
            .find(|p| p.person == "d")
            .unwrap()
            .uncovered_slots,
        0
    );
    s.calendar.push(CalendarDay {
        date: d("2026-03-02"),
        session: None,
        weekend: false,
        holiday: true,
        capacity_factor: 0.0,
    });
    let r = analyze_contingency(&s, &quick(), None, &no_barrier);
    assert!(r.pre_contingency.is_empty() && r.n2.is_empty() && r.n1_pass && r.n2_pass);
}

#[test]
fn energy_barrier_and_centrality_are_reported() {
    let s = small();
    let barrier = |p: &[PersonIdx]| Some(f64::from(p[0].0) * 2.0);
    let r = analyze_contingency(&s, &ContingencyConfig::default(), None, &barrier);
    let a = r.n1.iter().find(|p| p.person == "a").unwrap();
    assert_eq!(a.energy_barrier, Some(0.0));
    let c = a.centrality.unwrap();
    assert!(c.degree > 0.0 && c.betweenness > 0.0 && c.eigenvector > 0.0);
    let e = r.n1.iter().find(|p| p.person == "e").unwrap();
    assert_eq!(e.centrality.unwrap().degree, 0.0);
    // Barriers 0 (a), 2 (b), 4 (c) are below 5; 6 (d) and 8 (e) are not.
    let mut critical = r.thermodynamically_critical(5.0);
    critical.sort_unstable();
    assert_eq!(critical, vec!["a", "b", "c"]);
}

#[test]
fn json_shape_is_exactly_the_documented_one() {
    let r = analyze_contingency(&small(), &quick(), None, &no_barrier);
    let v = serde_json::to_value(&r).unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["pre_contingency", "n1", "n2", "n1_pass", "n2_pass"])
    );
    let n1: BTreeSet<&str> = v["n1"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        n1,
        BTreeSet::from([
            "person",
            "uncovered_slots",
            "unrepairable_slots",
            "energy_barrier",
            "centrality"
        ])
    );
    let n2: BTreeSet<&str> = v["n2"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        n2,
        BTreeSet::from(["persons", "uncovered_slots", "joint_only_slots"])
    );
}

// ---------------------------------------------------------------------------------------
// Brute force: recompute coverage from scratch for every single loss and every pair.

struct Brute {
    shortfalls: usize,
    n1: Vec<(u32, u32)>,
    n2: BTreeMap<(usize, usize), (u32, u32)>,
    n1_pass: bool,
    n2_pass: bool,
}

fn overlaps(a: Session, b: Session) -> bool {
    a == b || a == Session::Day || b == Session::Day
}

fn brute(s: &Schedule, rule: SlotRule) -> Brute {
    let n = s.people.len();
    let away = |p: usize, date: NaiveDate| {
        s.absences
            .iter()
            .any(|a| a.person.index() == p && a.removes_capacity_on(date))
    };
    let closed = |date: NaiveDate, session: Session| {
        s.calendar
            .iter()
            .any(|c| c.date == date && c.is_closed() && c.session.is_none_or(|cs| cs == session))
    };
    // (date, session, rotation, members, required, eligible-but-not-busy people)
    let operates = |ri: usize, blk: &thermo_core::model::Block| {
        rule == SlotRule::AllBlocks
            || s.assignments.iter().any(|a| {
                let b = s.block(a.block);
                a.rotation.map(|r| r.index()) == Some(ri)
                    && a.role.covers()
                    && b.session == blk.session
                    && b.date.weekday() == blk.date.weekday()
            })
    };
    let mut slots = Vec::new();
    for blk in &s.blocks {
        if closed(blk.date, blk.session) {
            continue;
        }
        for (ri, rot) in s.rotations.iter().enumerate() {
            if rot.min_coverage == 0 || !operates(ri, blk) {
                continue;
            }
            let members: BTreeSet<usize> = s
                .assignments
                .iter()
                .filter(|a| {
                    s.block(a.block) == *blk
                        && a.rotation.map(|r| r.index()) == Some(ri)
                        && a.role.covers()
                        && !away(a.person.index(), blk.date)
                })
                .map(|a| a.person.index())
                .collect();
            let free: BTreeSet<usize> = (0..n)
                .filter(|&q| {
                    rot.required_skill
                        .as_deref()
                        .is_none_or(|k| s.people[q].has_skill(k))
                        && !away(q, blk.date)
                        && !s.assignments.iter().any(|a| {
                            a.person.index() == q
                                && a.role.covers()
                                && s.block(a.block).date == blk.date
                                && overlaps(s.block(a.block).session, blk.session)
                        })
                })
                .collect();
            slots.push((members, rot.min_coverage as usize, free));
        }
    }
    let broken = |lost: &[usize]| -> (BTreeSet<usize>, bool) {
        let mut out = BTreeSet::new();
        let mut absorbable = true;
        for (i, (members, req, free)) in slots.iter().enumerate() {
            if members.len() < *req {
                continue;
            }
            let left = members.iter().filter(|p| !lost.contains(p)).count();
            if left < *req {
                out.insert(i);
                let spare = free.iter().filter(|q| !lost.contains(q)).count();
                absorbable &= spare >= req - left;
            }
        }
        (out, absorbable)
    };
    let singles: Vec<(BTreeSet<usize>, bool)> = (0..n).map(|p| broken(&[p])).collect();
    let n1 = singles
        .iter()
        .enumerate()
        .map(|(p, (set, _))| {
            let unrep = set
                .iter()
                .filter(|&&i| {
                    let (_, _, free) = &slots[i];
                    !free.iter().any(|&q| q != p)
                })
                .count() as u32;
            (set.len() as u32, unrep)
        })
        .collect();
    let mut n2 = BTreeMap::new();
    let mut n2_pass = singles.iter().all(|(_, ok)| *ok);
    for p in 0..n {
        for q in p + 1..n {
            let (both, ok) = broken(&[p, q]);
            n2_pass &= ok;
            let joint = both
                .iter()
                .filter(|i| !singles[p].0.contains(i) && !singles[q].0.contains(i))
                .count() as u32;
            if joint > 0 {
                n2.insert((p, q), (both.len() as u32, joint));
            }
        }
    }
    Brute {
        shortfalls: slots.iter().filter(|(m, req, _)| m.len() < *req).count(),
        n1,
        n2,
        n1_pass: singles.iter().all(|(_, ok)| *ok),
        n2_pass,
    }
}

fn check_against_brute(
    s: &Schedule,
    r: &ContingencyReport,
    rule: SlotRule,
) -> Result<(), TestCaseError> {
    let b = brute(s, rule);
    prop_assert_eq!(r.pre_contingency.len(), b.shortfalls);
    for p in &r.n1 {
        let i = s.person_index(&p.person).unwrap().index();
        prop_assert_eq!(
            (p.uncovered_slots, p.unrepairable_slots),
            b.n1[i],
            "n1 {}",
            p.person
        );
    }
    let fast: BTreeMap<(usize, usize), (u32, u32)> =
        r.n2.iter()
            .map(|p| {
                let a = s.person_index(&p.persons[0]).unwrap().index();
                let c = s.person_index(&p.persons[1]).unwrap().index();
                ((a, c), (p.uncovered_slots, p.joint_only_slots))
            })
            .collect();
    prop_assert_eq!(fast, b.n2);
    prop_assert_eq!(r.n1_pass, b.n1_pass);
    prop_assert_eq!(r.n2_pass, b.n2_pass);
    Ok(())
}

#[derive(Debug, Clone)]
struct Spec {
    skills: Vec<u8>,
    rotations: Vec<(u32, Option<u8>)>,
    assignments: Vec<(usize, i64, u8, Option<usize>, u8)>,
    absences: Vec<(usize, i64)>,
    closed: Option<(i64, Option<u8>)>,
}

fn session(i: u8) -> Session {
    [Session::Am, Session::Pm, Session::Day][usize::from(i % 3)]
}

fn build(spec: &Spec) -> Schedule {
    let mut b = ScheduleBuilder::new();
    for (i, &mask) in spec.skills.iter().enumerate() {
        let mut p = Person::new(format!("p{i}"));
        for (bit, name) in ["x", "y"].iter().enumerate() {
            if mask & (1 << bit) != 0 {
                p.skills.push((*name).to_owned());
            }
        }
        b.add_person(p).unwrap();
    }
    for (i, &(min, skill)) in spec.rotations.iter().enumerate() {
        let mut r = Rotation::new(format!("r{i}"));
        r.min_coverage = min;
        r.required_skill = skill.map(|k| ["x", "y"][usize::from(k % 2)].to_owned());
        b.add_rotation(r).unwrap();
    }
    let day0 = d("2026-01-05");
    let n = spec.skills.len();
    for &(p, day, sess, rot, role) in &spec.assignments {
        let role = [
            AssignmentRole::Primary,
            AssignmentRole::Supervising,
            AssignmentRole::Backup,
        ][usize::from(role % 3)];
        let rot = rot.map(|r| format!("r{}", r % spec.rotations.len()));
        b.assign(
            &format!("p{}", p % n),
            day0 + Duration::days(day),
            session(sess),
            rot.as_deref(),
            role,
        )
        .unwrap();
    }
    for &(p, day) in &spec.absences {
        b.add_absence(Absence {
            person: PersonIdx((p % n) as u32),
            start_date: day0 + Duration::days(day),
            end_date: day0 + Duration::days(day),
            kind: None,
            status: AbsenceStatus::Confirmed,
        })
        .unwrap();
    }
    if let Some((day, sess)) = spec.closed {
        b.add_calendar_day(CalendarDay {
            date: day0 + Duration::days(day),
            session: sess.map(session),
            weekend: false,
            holiday: true,
            capacity_factor: 0.0,
        })
        .unwrap();
    }
    b.build()
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(0u8..4, 2..8),
        prop::collection::vec((0u32..4, prop::option::of(0u8..2)), 1..4),
        prop::collection::vec(
            (
                0usize..8,
                0i64..3,
                0u8..3,
                prop::option::weighted(0.9, 0usize..4),
                0u8..3,
            ),
            1..40,
        ),
        prop::collection::vec((0usize..8, 0i64..3), 0..3),
        prop::option::of((0i64..3, prop::option::of(0u8..3))),
    )
        .prop_map(|(skills, rotations, assignments, absences, closed)| Spec {
            skills,
            rotations,
            assignments,
            absences,
            closed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn sparse_analysis_matches_brute_force(spec in spec()) {
        let s = build(&spec);
        let r = analyze_contingency(&s, &quick(), None, &no_barrier);
        check_against_brute(&s, &r, SlotRule::AllBlocks)?;
        let r = analyze_contingency(&s, &operating(), None, &no_barrier);
        check_against_brute(&s, &r, SlotRule::Operating)?;
    }
}
