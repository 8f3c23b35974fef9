//! Zones: the reference's default-zone statuses and zones built from a schedule.

use chrono::NaiveDate;
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, Person, PersonIdx, Rotation, ScheduleBuilder, Session,
};
use thermo_core::resilience::contingency::SlotRule;
use thermo_core::resilience::zones::{
    ContainmentLevel, ZoneGrouping, ZoneStatus, ZonesConfig, analyze_zones, zone_status,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn empty_default_zones_match_the_reference() {
    // framework-golden `blast_default`: (minimum, optimal) with nobody available.
    let expected = [
        ((3, 5), ZoneStatus::Black),
        ((2, 4), ZoneStatus::Black),
        ((2, 3), ZoneStatus::Black),
        ((1, 2), ZoneStatus::Black),
        ((0, 2), ZoneStatus::Orange),
        ((0, 1), ZoneStatus::Orange),
    ];
    for ((min, opt), status) in expected {
        assert_eq!(zone_status(0, min, opt), status, "{min}/{opt}");
    }
    assert_eq!(zone_status(3, 2, 3), ZoneStatus::Yellow);
    assert_eq!(zone_status(4, 2, 3), ZoneStatus::Green);
    assert_eq!(zone_status(1, 2, 3), ZoneStatus::Red);
}

#[test]
fn zones_from_units_with_absences_and_shortfalls() {
    let mut b = ScheduleBuilder::new();
    for id in ["a", "b", "c", "d"] {
        b.add_person(Person::new(id)).unwrap();
    }
    for (id, unit, min) in [
        ("icu_day", Some("icu"), 1),
        ("icu_night", Some("icu"), 1),
        ("clinic", None, 1),
    ] {
        let mut r = Rotation::new(id);
        r.unit = unit.map(String::from);
        r.min_coverage = min;
        b.add_rotation(r).unwrap();
    }
    let day = d("2026-02-02");
    b.assign(
        "a",
        day,
        Session::Am,
        Some("icu_day"),
        AssignmentRole::Primary,
    )
    .unwrap();
    b.assign(
        "b",
        day,
        Session::Am,
        Some("icu_night"),
        AssignmentRole::Primary,
    )
    .unwrap();
    b.assign(
        "c",
        day,
        Session::Am,
        Some("icu_night"),
        AssignmentRole::Supervising,
    )
    .unwrap();
    b.assign(
        "d",
        day,
        Session::Pm,
        Some("icu_day"),
        AssignmentRole::Backup,
    )
    .unwrap();
    b.add_absence(Absence {
        person: PersonIdx(2),
        start_date: day,
        end_date: day,
        kind: None,
        status: AbsenceStatus::Approved,
    })
    .unwrap();
    let s = b.build();
    let thickness = |z: &str| (z == "icu").then_some(0.4);
    let r = analyze_zones(
        &s,
        day,
        &ZonesConfig::default(),
        SlotRule::AllBlocks,
        &thickness,
    )
    .unwrap();
    let names: Vec<&str> = r.zones.iter().map(|z| z.zone.as_str()).collect();
    assert_eq!(names, vec!["clinic", "icu"]);
    let icu = &r.zones[1];
    // Members a, b, c (d is only backup); c is absent.
    assert_eq!(
        (icu.members, icu.available, icu.minimum, icu.optimal),
        (3, 2, 2, 3)
    );
    assert_eq!(icu.status, ZoneStatus::Orange);
    assert_eq!(icu.containment, ContainmentLevel::Soft);
    // All blocks: AM and PM × icu_day, icu_night; PM has nobody on either.
    assert_eq!(icu.shortfall_slots, 2);
    // Operating slots: neither ICU rotation ever covers an afternoon, the clinic never runs.
    let op = analyze_zones(
        &s,
        day,
        &ZonesConfig::default(),
        SlotRule::Operating,
        &|_| None,
    )
    .unwrap();
    assert!(op.zones.iter().all(|z| z.shortfall_slots == 0));
    assert_eq!(icu.boundary_layer, Some(0.4));
    let clinic = &r.zones[0];
    assert_eq!((clinic.members, clinic.status), (0, ZoneStatus::Black));
    assert_eq!(clinic.shortfall_slots, 2);
    assert_eq!((r.healthy, r.degraded, r.critical), (0, 1, 1));
    assert_eq!(r.global_containment, ContainmentLevel::Lockdown);

    let by_rotation = ZonesConfig {
        grouping: ZoneGrouping::Rotations,
        lockdown_black_share: 1.0,
        ..ZonesConfig::default()
    };
    let r = analyze_zones(&s, day, &by_rotation, SlotRule::AllBlocks, &|_| None).unwrap();
    assert_eq!(r.zones.len(), 3);
    assert_eq!(r.global_containment, ContainmentLevel::Strict);
    let bad = ZonesConfig {
        lockdown_black_share: f64::NAN,
        ..ZonesConfig::default()
    };
    assert!(analyze_zones(&s, day, &bad, SlotRule::AllBlocks, &|_| None).is_err());
}

#[test]
fn zone_boundary_layer_is_the_share_of_saturated_units() {
    use thermo_core::resilience::zones::zone_boundary_layers;
    use thermo_core::transport::{TransportConfig, UnitGrouping, UnitTransport, check_transport};
    let mut b = ScheduleBuilder::new();
    for (id, unit) in [("a", None), ("b", None), ("c", None), ("d", Some("icu"))] {
        let mut p = Person::new(id);
        p.unit = unit.map(String::from);
        b.add_person(p).unwrap();
    }
    for (id, unit) in [
        ("icu_day", Some("icu")),
        ("icu_night", Some("icu")),
        ("clinic", None),
    ] {
        let mut r = Rotation::new(id);
        r.unit = unit.map(String::from);
        r.min_coverage = 1;
        b.add_rotation(r).unwrap();
    }
    let day = d("2026-02-02");
    for (p, r) in [("a", "icu_day"), ("b", "icu_night"), ("c", "clinic")] {
        b.assign(p, day, Session::Am, Some(r), AssignmentRole::Primary)
            .unwrap();
    }
    let s = b.build();
    let mut transport = check_transport(&s, day, &TransportConfig::default());
    let unit = |id: &str, utilization: f64| UnitTransport {
        unit: id.to_owned(),
        load: 0.0,
        capacity: 0.0,
        utilization,
        stressed: false,
        arrival_rate: 0.0,
        outflow_rate: 0.0,
        time_to_saturation_minutes: None,
    };
    let config = ZonesConfig::default();

    // Person units: icu = {a, b, d} (d by unit), clinic = {c}; ρ_sat = 0.8, ∞ saturates.
    transport.unit_grouping = UnitGrouping::Person;
    transport.units = vec![
        unit("a", 0.9),
        unit("b", 0.5),
        unit("c", 0.8),
        unit("d", f64::INFINITY),
    ];
    let layers = zone_boundary_layers(&s, &config, &transport, 0.8);
    assert_eq!(layers.get("icu"), Some(&(2.0 / 3.0)));
    assert_eq!(layers.get("clinic"), Some(&1.0));
    // Only units in the report count; a zone with none has no value.
    transport.units = vec![unit("a", 0.9), unit("b", 0.5)];
    let layers = zone_boundary_layers(&s, &config, &transport, 0.8);
    assert_eq!(layers.get("icu"), Some(&0.5));
    assert_eq!(layers.get("clinic"), None);
    let r = analyze_zones(&s, day, &config, SlotRule::AllBlocks, &|z| {
        layers.get(z).copied()
    })
    .unwrap();
    let by_name = |n: &str| r.zones.iter().find(|z| z.zone == n).unwrap().boundary_layer;
    assert_eq!((by_name("icu"), by_name("clinic")), (Some(0.5), None));

    // Rotation units: the zone's rotations.
    transport.unit_grouping = UnitGrouping::Rotation;
    transport.units = vec![unit("icu_day", 0.85), unit("clinic", 0.1)];
    let layers = zone_boundary_layers(&s, &config, &transport, 0.8);
    assert_eq!(layers.get("icu"), Some(&1.0));
    assert_eq!(layers.get("clinic"), Some(&0.0));

    // Organisational units: the members' units, "(none)" for a member without one.
    transport.unit_grouping = UnitGrouping::Unit;
    transport.units = vec![unit("(none)", 0.95), unit("icu", 0.7)];
    let layers = zone_boundary_layers(&s, &config, &transport, 0.8);
    assert_eq!(layers.get("icu"), Some(&0.5));
    assert_eq!(layers.get("clinic"), Some(&1.0));
}
