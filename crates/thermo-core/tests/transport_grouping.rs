//! Diffusion units other than people: organisational units and rotations.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use thermo_core::model::{
    AssignmentRole, Person, Rotation, Schedule, ScheduleBuilder, Session, Swap, SwapKind,
    SwapStatus,
};
use thermo_core::transport::{TransportConfig, UnitGrouping, check_transport};

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

/// a (icu) works 3 sessions on `ward` and 1 on `clinic`; b (icu) is idle; c (er) works
/// 2 on `ward`. Absorbs in the window: a → b (inside icu) 2 blocks, a → c (icu → er) 1 block.
fn schedule() -> Schedule {
    let mut b = ScheduleBuilder::new();
    for (id, unit) in [("a", "icu"), ("b", "icu"), ("c", "er")] {
        let mut p = Person::new(id);
        p.unit = Some(unit.into());
        b.add_person(p).unwrap();
    }
    b.add_rotation(Rotation::new("ward")).unwrap();
    b.add_rotation(Rotation::new("clinic")).unwrap();
    let day = |d| at() + Duration::days(d);
    for (who, d, rot) in [
        ("a", 0, "ward"),
        ("a", 1, "ward"),
        ("a", 2, "ward"),
        ("a", 3, "clinic"),
        ("c", 0, "ward"),
        ("c", 1, "ward"),
    ] {
        b.assign(who, day(d), Session::Am, Some(rot), AssignmentRole::Primary)
            .unwrap();
    }
    let executed = Utc.from_utc_datetime(&(at() - Duration::days(1)).and_hms_opt(9, 0, 0).unwrap());
    for (target, blocks) in [("b", 2), ("c", 1)] {
        let source = b.person_index("a").unwrap();
        let target = b.person_index(target);
        b.add_swap(Swap {
            id: None,
            source,
            target,
            date: day(5),
            session: None,
            blocks,
            kind: SwapKind::Absorb,
            status: SwapStatus::Executed,
            requested_at: None,
            executed_at: Some(executed),
        })
        .unwrap();
    }
    b.build()
}

fn config(unit: UnitGrouping) -> TransportConfig {
    TransportConfig {
        horizon_days: 4,
        unit,
        ..Default::default()
    }
}

#[test]
fn organisational_units_sum_their_people_and_ignore_internal_moves() {
    let r = check_transport(&schedule(), at(), &config(UnitGrouping::Unit));
    let ids: Vec<_> = r.units.iter().map(|u| u.unit.as_str()).collect();
    assert_eq!(ids, ["er", "icu"]);
    let icu = &r.units[1];
    assert_eq!((icu.load, icu.capacity), (4.0, 16.0));
    // Only the icu → er block crosses a unit boundary.
    assert!((icu.outflow_rate - 1.0 / 7.0).abs() < 1e-12);
    assert!((r.units[0].arrival_rate - 1.0 / 7.0).abs() < 1e-12);
    // er has ρ = 2/8 = icu's 4/16; the tie goes to the smaller id.
    assert_eq!(r.stressed_units, ["er"]);
}

#[test]
fn rotations_share_each_persons_capacity_by_load() {
    let r = check_transport(&schedule(), at(), &config(UnitGrouping::Rotation));
    let get = |id: &str| r.units.iter().find(|u| u.unit == id).unwrap();
    // a: capacity 8 split 3:1 between ward and clinic; c: all 8 to ward; b: idle.
    assert_eq!((get("ward").load, get("ward").capacity), (5.0, 6.0 + 8.0));
    assert_eq!((get("clinic").load, get("clinic").capacity), (1.0, 2.0));
    assert_eq!(
        (get("(unassigned)").load, get("(unassigned)").capacity),
        (0.0, 8.0)
    );
    assert!(
        r.units.iter().all(|u| u.unit != "(no rotation)"),
        "no load, no capacity: left out"
    );
    // a's swaps belong to ward (where a works most): ward → (unassigned) for b, ward → ward for c.
    assert!((get("ward").outflow_rate - 2.0 / 7.0).abs() < 1e-12);
    assert!((get("(unassigned)").arrival_rate - 2.0 / 7.0).abs() < 1e-12);
    let person = check_transport(&schedule(), at(), &config(UnitGrouping::Person));
    assert!((r.system_utilization - person.system_utilization).abs() < 1e-15);
}
