//! The utilization and transport sections of the analysis report and their configuration.

use chrono::{Duration, NaiveDate};
use thermo_core::model::{AssignmentRole, Person, ScheduleBuilder, Session};
use thermo_core::report::{AnalysisConfig, analyze};
use thermo_core::transport::{TransportConfig, UnitGrouping};

#[test]
fn documented_defaults() {
    let c = AnalysisConfig::default();
    let t = c.transport;
    assert_eq!((t.horizon_days, t.window_days), (28, 7));
    assert_eq!(
        [
            t.capacity_per_day,
            t.saturation_threshold,
            t.stressed_fraction,
            t.characteristic_length,
            t.decay_per_day,
            t.peclet_warning,
            t.peclet_critical,
            t.peclet_unstable,
            t.gradient_warning,
            t.gradient_mixing,
            t.boundary_layer_warning,
        ],
        [2.0, 0.8, 0.25, 1.0, 0.1, 0.8, 1.0, 1.2, 0.15, 0.20, 0.4]
    );
    assert_eq!(t.unit, UnitGrouping::Person);
    let u = c.utilization;
    assert_eq!(
        [
            u.warning_threshold,
            u.max_utilization,
            u.critical_threshold,
            u.emergency_threshold,
            u.wait_probability_target,
            u.service_level_target,
            u.answer_time_fraction,
            u.max_occupancy,
            u.shrinkage,
        ],
        [0.70, 0.80, 0.90, 0.95, 0.20, 0.80, 0.10, 0.80, 0.0]
    );
}

#[test]
fn sections_read_partially_and_reject_unknown_keys() {
    let c: AnalysisConfig =
        serde_json::from_str(r#"{"transport": {"unit": "rotation", "window_days": 14}}"#).unwrap();
    assert_eq!(c.transport.unit, UnitGrouping::Rotation);
    assert_eq!(c.transport.window_days, 14);
    assert_eq!(c.transport.horizon_days, 28);
    for (json, key) in [
        (r#"{"transport": {"peclet": 1.0}}"#, "peclet"),
        (r#"{"utilization": {"threshold": 0.8}}"#, "threshold"),
    ] {
        let err = serde_json::from_str::<AnalysisConfig>(json).unwrap_err();
        assert!(
            err.to_string().contains(&format!("unknown field `{key}`")),
            "{err}"
        );
    }
    assert!(serde_json::from_str::<TransportConfig>(r#"{"unit": "team"}"#).is_err());
}

#[test]
fn utilization_and_transport_agree_on_the_program() {
    let at = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut b = ScheduleBuilder::new();
    for i in 0..6 {
        b.add_person(Person::new(format!("p{i}"))).unwrap();
    }
    for d in 0..28 {
        for i in 0..(d % 6 + 1) {
            b.assign(
                &format!("p{i}"),
                at + Duration::days(d as i64),
                Session::Am,
                None,
                AssignmentRole::Primary,
            )
            .unwrap();
        }
    }
    let r = analyze(&b.build(), at, &AnalysisConfig::default());
    assert!((r.utilization.program.utilization - r.transport.system_utilization).abs() < 1e-15);
    assert_eq!(r.utilization.horizon_days, 28);
    assert_eq!(r.transport.unit_count, 6);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["transport"]["peclet_unbounded"].is_boolean());
    assert!(json["utilization"]["erlang"]["safe_utilization"].is_number());
}
