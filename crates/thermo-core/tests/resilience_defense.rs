//! Defense in depth: invariants of the level function and the hysteresis controller.

use proptest::prelude::*;
use thermo_core::resilience::defense::{
    DefenseConfig, DefenseController, DefenseLevel, DefenseState, PhaseSeverity,
    TransportAlertLevel, recommended_level,
};
use thermo_core::resilience::shedding::{
    Activity, ActivityCategory, LoadSheddingLevel, required_level, shed_load,
};

fn phase(i: u8) -> PhaseSeverity {
    [
        PhaseSeverity::Normal,
        PhaseSeverity::Elevated,
        PhaseSeverity::High,
        PhaseSeverity::Critical,
        PhaseSeverity::Imminent,
    ][usize::from(i % 5)]
}

fn transport(i: u8) -> TransportAlertLevel {
    [
        TransportAlertLevel::Normal,
        TransportAlertLevel::Watch,
        TransportAlertLevel::Warning,
        TransportAlertLevel::Critical,
    ][usize::from(i % 4)]
}

fn state() -> impl Strategy<Value = DefenseState> {
    (
        0.0f64..1.0,
        0.0f64..1.3,
        any::<bool>(),
        any::<bool>(),
        0u8..5,
        prop::collection::vec(0u8..4, 0..4),
    )
        .prop_map(|(coverage, utilization, n1, n2, p, t)| DefenseState {
            coverage,
            utilization,
            n1_pass: n1,
            n2_pass: n2,
            phase_transition: phase(p),
            transport_alerts: t.into_iter().map(transport).collect(),
        })
}

proptest! {
    #[test]
    fn worse_signals_never_lower_the_level(s in state(), dc in 0.0f64..0.5, du in 0.0f64..0.5) {
        let c = DefenseConfig::default();
        let (base, reasons) = recommended_level(&s, &c).unwrap();
        prop_assert!(!reasons.is_empty());
        prop_assert!(reasons.iter().all(|r| r.demands == base));
        let worse = DefenseState {
            coverage: (s.coverage - dc).max(0.0),
            utilization: s.utilization + du,
            n1_pass: false,
            phase_transition: s.phase_transition.max(PhaseSeverity::Elevated),
            ..s.clone()
        };
        prop_assert!(recommended_level(&worse, &c).unwrap().0 >= base);
        if s.phase_transition == PhaseSeverity::Imminent {
            prop_assert_eq!(base, DefenseLevel::Emergency);
        }
        if s.phase_transition == PhaseSeverity::Critical {
            prop_assert!(base >= DefenseLevel::Containment);
        }
    }

    #[test]
    fn controller_never_sits_below_the_raw_level(states in prop::collection::vec(state(), 1..40)) {
        let c = DefenseConfig::default();
        let mut ctl = DefenseController::new(c.clone()).unwrap();
        for s in &states {
            let d = ctl.check(s).unwrap();
            prop_assert!(d.level >= d.raw_level);
            prop_assert_eq!(d.raw_level, recommended_level(s, &c).unwrap().0);
            if d.level > d.previous {
                prop_assert!(!d.escalation_reasons.is_empty());
                prop_assert_eq!(d.level, d.raw_level);
            } else {
                prop_assert!(d.escalation_reasons.is_empty());
            }
        }
    }

    #[test]
    fn shedding_keeps_a_protected_prefix(hours in prop::collection::vec((0u8..7, 0.0f64..40.0), 1..12), capacity in 0.0f64..200.0) {
        let cats = [
            ActivityCategory::PatientSafety,
            ActivityCategory::AcgmeRequirements,
            ActivityCategory::ContinuityOfCare,
            ActivityCategory::EducationCore,
            ActivityCategory::Research,
            ActivityCategory::Administration,
            ActivityCategory::EducationOptional,
        ];
        let acts: Vec<Activity> = hours
            .iter()
            .enumerate()
            .map(|(i, &(c, h))| Activity {
                id: format!("a{i}"),
                category: cats[usize::from(c)],
                hours: h,
                required: i % 2 == 0,
            })
            .collect();
        let plan = shed_load(&acts, capacity).unwrap();
        let cat = |id: &str| acts.iter().find(|a| a.id == id).unwrap().category;
        // Nothing kept is less protected than something shed, patient safety aside.
        let worst_kept = plan
            .kept
            .iter()
            .map(|id| cat(id))
            .filter(|c| *c != ActivityCategory::PatientSafety)
            .max();
        let best_shed = plan.sacrificed.iter().map(|id| cat(id)).min();
        if let (Some(k), Some(s)) = (worst_kept, best_shed) {
            prop_assert!(k <= s);
        }
        prop_assert!(plan.sacrificed.iter().all(|id| cat(id) != ActivityCategory::PatientSafety));
        let safety: f64 = acts
            .iter()
            .filter(|a| a.category == ActivityCategory::PatientSafety)
            .map(|a| a.hours)
            .sum();
        prop_assert!(plan.kept_hours <= capacity.max(safety) + 1e-9);
        let level = required_level(&acts, capacity).unwrap();
        prop_assert!(level <= LoadSheddingLevel::Critical);
    }
}
