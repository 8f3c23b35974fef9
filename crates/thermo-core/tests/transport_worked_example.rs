//! The worked example of thermo-spec §3.3 built as a real schedule, checked against the
//! proposal reference values in thermo-golden.json, plus invariants of the transport check.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;
use thermo_core::model::{
    Assignment, AssignmentRole, Block, Person, Rotation, Schedule, ScheduleBuilder, Session, Swap,
    SwapKind, SwapStatus,
};
use thermo_core::transport::stigmergy::{TrailKey, TrailStore, TrailType, evaporate};
use thermo_core::transport::{
    PecletBand, TransportAlertCode, TransportConfig, TransportLevel, UnitGrouping, check_transport,
};

fn golden(file: &str) -> Value {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path = ["/../../../shared/golden/", "/../../../../shared/golden/"]
        .iter()
        .map(|p| format!("{dir}{p}{file}"))
        .find(|p| std::path::Path::new(p).exists())
        .expect("golden file in ../../../shared/golden");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn instant(days_before: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at().and_hms_opt(12, 0, 0).unwrap()) - Duration::days(days_before)
}

/// 8 people with capacity 14 over a 7-day horizon and loads 13, 12, 9, 8, 6, 10, 11, 7.
/// In the 7-day window: 6 + 4 new sessions for U1 + U2 (λ = 10/7), 3 for U3; absorbs move
/// 4 blocks U1 → U5, 2 blocks U2 → pool (D_eff = 6/7) and 1 block U3 → U4.
fn worked_example() -> Schedule {
    let mut b = ScheduleBuilder::new();
    let loads = [13, 12, 9, 8, 6, 10, 11, 7];
    let new_in_window = [6, 4, 3, 0, 0, 0, 0, 0];
    for i in 1..=8 {
        b.add_person(Person::new(format!("U{i}"))).unwrap();
    }
    for (i, (&load, &fresh)) in loads.iter().zip(&new_in_window).enumerate() {
        for k in 0..load {
            let block = b.intern_block(Block {
                date: at() + Duration::days(k / 2),
                session: if k % 2 == 0 { Session::Am } else { Session::Pm },
            });
            b.add_assignment(Assignment {
                person: thermo_core::model::PersonIdx(i as u32),
                block,
                rotation: None,
                role: AssignmentRole::Primary,
                score: None,
                violation: false,
                // Older work was created long before the window.
                created_at: Some(if k < fresh { instant(2) } else { instant(400) }),
            })
            .unwrap();
        }
    }
    for (source, target, blocks) in [
        ("U1", Some("U5"), 4),
        ("U2", None, 2),
        ("U3", Some("U4"), 1),
    ] {
        let source = b.person_index(source).unwrap();
        let target = target.map(|t| b.person_index(t).unwrap());
        b.add_swap(Swap {
            id: None,
            source,
            target,
            date: at() + Duration::days(3),
            session: None,
            blocks,
            kind: SwapKind::Absorb,
            status: SwapStatus::Executed,
            requested_at: Some(instant(4)),
            executed_at: Some(instant(3)),
        })
        .unwrap();
    }
    b.build()
}

#[test]
fn worked_example_matches_the_reference_values() {
    let g = &golden("thermo-golden.json")["proposal_reference"]["transport_example"];
    let config = TransportConfig {
        horizon_days: 7,
        ..Default::default()
    };
    let r = check_transport(&worked_example(), at(), &config);
    for u in &r.units {
        let want = g["rho"][&u.unit].as_f64().unwrap();
        assert!((u.utilization - want).abs() < 1e-12, "{}", u.unit);
        assert_eq!(u.capacity, 14.0);
    }
    assert!((r.system_utilization - g["system_rho"].as_f64().unwrap()).abs() < 1e-12);
    assert_eq!(r.stressed_units.len() as u64, g["top_k"].as_u64().unwrap());
    assert_eq!(r.stressed_units, ["U1", "U2"]);
    assert!((r.saturation_gradient - g["gradient"].as_f64().unwrap()).abs() < 1e-12);
    assert_eq!(r.boundary_layer_thickness, g["thickness"].as_f64().unwrap());
    assert!((r.arrival_rate - 10.0 / 7.0).abs() < 1e-12);
    assert!((r.effective_diffusion - 6.0 / 7.0).abs() < 1e-12);
    assert!((r.peclet_number - g["Pe"].as_f64().unwrap()).abs() < 1e-12);
    assert!(!r.peclet_unbounded);
    assert_eq!(r.band, PecletBand::Unstable);
    let u3 = r.units.iter().find(|u| u.unit == "U3").unwrap();
    assert!((u3.arrival_rate - 3.0 / 7.0).abs() < 1e-12);
    assert!((u3.outflow_rate - 1.0 / 7.0).abs() < 1e-12);
    let tts = u3.time_to_saturation_minutes.unwrap();
    assert!((tts - g["tts_U3_minutes"].as_f64().unwrap()).abs() < 1e-6);
    assert!((tts / 1440.0 - g["tts_U3_days"].as_f64().unwrap()).abs() < 1e-9);
    let codes: Vec<_> = r.alerts.iter().map(|a| a.code).collect();
    use TransportAlertCode::*;
    assert_eq!(
        codes,
        [
            PeWarning,
            PeCritical,
            PeUnstable,
            GradientWarning,
            GradientMixing
        ]
    );
    assert_eq!(r.level, TransportLevel::Emergency);
    insta::assert_json_snapshot!("worked_example_transport", r);
    // Swap affinity U1–U5 bridges S and the rest (U3–U4 does not): one trail created
    // 2.5 days before the analysis instant at 0.4.
    assert!((r.permeability - 0.4 * (-0.25_f64).exp()).abs() < 1e-12);
}

#[test]
fn stigmergy_golden() {
    let g = golden("framework-golden.json");
    let want: Vec<f64> = g["trail_evaporation_0.8_rate0.1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut s = 0.8;
    for (days, w) in [1.0, 1.0, 5.0, 30.0].iter().zip(&want) {
        s = evaporate(s, 0.1, *days);
        assert!((s - w).abs() < 1e-9, "{s} vs {w}");
    }
    let mut store = TrailStore::new(0.1);
    let key = TrailKey::Person(thermo_core::model::PersonIdx(0));
    store.record(TrailType::Preference, key, instant(0));
    let first = g["implicit_signal_new_trail_strength"][0].as_f64().unwrap();
    assert!((store.get(TrailType::Preference, key).unwrap().strength - first).abs() < 1e-12);
}

fn random_schedule(people: usize, units: usize, work: &[(usize, i64, bool, usize)]) -> Schedule {
    let mut b = ScheduleBuilder::new();
    for r in 0..3 {
        b.add_rotation(Rotation::new(format!("r{r}"))).unwrap();
    }
    for i in 0..people {
        let mut p = Person::new(format!("p{i:02}"));
        p.unit = Some(format!("u{}", i % units));
        b.add_person(p).unwrap();
    }
    for &(p, day, am, rot) in work {
        let rotation = (rot < 3).then(|| format!("r{rot}"));
        b.assign(
            &format!("p{:02}", p % people),
            at() + Duration::days(day),
            if am { Session::Am } else { Session::Pm },
            rotation.as_deref(),
            AssignmentRole::Primary,
        )
        .unwrap();
    }
    b.build()
}

proptest! {
    #[test]
    fn transport_invariants(
        people in 1usize..12,
        units in 1usize..4,
        work in proptest::collection::vec((0usize..12, 0i64..40, any::<bool>(), 0usize..4), 0..120),
    ) {
        let s = random_schedule(people, units, &work);
        let mut means = Vec::new();
        for unit in [UnitGrouping::Person, UnitGrouping::Unit, UnitGrouping::Rotation] {
            let config = TransportConfig { unit, ..Default::default() };
            let r = check_transport(&s, at(), &config);
            prop_assert!(r.saturation_gradient >= 0.0);
            prop_assert!((0.0..=1.0).contains(&r.boundary_layer_thickness));
            prop_assert!(r.peclet_number >= 0.0);
            prop_assert!(r.stressed_units.len() <= r.unit_count);
            for u in &r.units {
                if u.utilization >= 1.0 {
                    prop_assert_eq!(u.time_to_saturation_minutes, Some(0.0));
                }
            }
            means.push(r.system_utilization);
        }
        // The program's utilization does not depend on how units are drawn.
        prop_assert!((means[0] - means[1]).abs() < 1e-9);
        prop_assert!((means[0] - means[2]).abs() < 1e-9);
    }
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        -2.0f64..3.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
    ]
}

proptest! {
    /// Configurations built in code skip validation; the check must still not panic.
    #[test]
    fn any_config_is_safe(
        horizon in 0u32..40,
        window in 0u32..10,
        numbers in proptest::collection::vec(any_number(), 11),
        grouping in 0usize..3,
    ) {
        let s = worked_example();
        let config = TransportConfig {
            horizon_days: horizon,
            window_days: window,
            capacity_per_day: numbers[0],
            saturation_threshold: numbers[1],
            stressed_fraction: numbers[2],
            characteristic_length: numbers[3],
            decay_per_day: numbers[4],
            peclet_warning: numbers[5],
            peclet_critical: numbers[6],
            peclet_unstable: numbers[7],
            gradient_warning: numbers[8],
            gradient_mixing: numbers[9],
            boundary_layer_warning: numbers[10],
            unit: [UnitGrouping::Person, UnitGrouping::Unit, UnitGrouping::Rotation][grouping],
        };
        let r = check_transport(&s, at(), &config);
        prop_assert!(r.stressed_units.len() <= r.unit_count);
        let _ = serde_json::to_string(&r).unwrap();
    }
}
