//! The health composition on small schedules whose answers are known.

use chrono::{Duration, NaiveDate};
use thermo_core::health::{AlertLevel, HealthStatus, Layer};
use thermo_core::model::{AssignmentRole, Person, Rotation, Schedule, ScheduleBuilder, Session};
use thermo_core::report::{AnalysisConfig, analyze};

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

/// A ward needing two skilled people every morning for 28 days. `skilled` people have the
/// skill; the first two of them work every morning, so every slot has zero slack. With
/// exactly two skilled people nobody can replace a loss (N-1 fails).
fn ward(skilled: usize, unskilled: usize) -> Schedule {
    let mut b = ScheduleBuilder::new();
    for i in 0..skilled {
        let mut p = Person::new(format!("s{i}"));
        p.skills = vec!["icu".to_owned()];
        b.add_person(p).unwrap();
    }
    for i in 0..unskilled {
        b.add_person(Person::new(format!("u{i}"))).unwrap();
    }
    let mut ward = Rotation::new("ward");
    ward.min_coverage = 2;
    ward.required_skill = Some("icu".to_owned());
    b.add_rotation(ward).unwrap();
    for d in 0..28 {
        let date = start() + Duration::days(d);
        for who in ["s0", "s1"] {
            b.assign(
                who,
                date,
                Session::Am,
                Some("ward"),
                AssignmentRole::Primary,
            )
            .unwrap();
        }
    }
    b.build()
}

#[test]
fn a_single_point_of_failure_is_an_n1_alert_and_degrades_the_status() {
    let s = ward(2, 3);
    let report = analyze(&s, start(), &AnalysisConfig::default());
    let h = &report.health;
    assert!(!report.contingency.n1_pass);
    assert_eq!(h.coverage, 1.0);
    let n1 = h
        .alerts
        .iter()
        .find(|a| a.code == "N1_FAIL")
        .expect("N1_FAIL alert");
    assert_eq!(n1.level, AlertLevel::Critical);
    assert_eq!(n1.layer, Layer::Contingency);
    assert!(
        n1.evidence
            .iter()
            .any(|e| e.starts_with("s0:") || e.starts_with("s1:")),
        "{:?}",
        n1.evidence
    );
    assert!(
        h.overall_status >= HealthStatus::Critical,
        "{:?}",
        h.overall_status
    );
    // Every alert has a recommendation, and the list is worst first.
    assert!(h.alerts.iter().all(|a| !a.recommendation.is_empty()));
    assert!(h.alerts.windows(2).all(|w| w[0].level >= w[1].level));
    let mut unique = h.recommendations.clone();
    unique.dedup();
    assert_eq!(unique.len(), h.recommendations.len());
}

#[test]
fn a_spare_skilled_person_repairs_every_single_loss() {
    let s = ward(3, 0);
    let report = analyze(&s, start(), &AnalysisConfig::default());
    assert!(report.contingency.n1_pass);
    assert!(report.health.alerts.iter().all(|a| a.code != "N1_FAIL"));
}

#[test]
fn an_unfilled_slot_lowers_coverage_and_raises_the_defense_level() {
    let mut s = ward(2, 0);
    // Drop s1 from the first week: seven slots have one of two people.
    let week_end = start() + Duration::days(7);
    let s1 = s.person_index("s1").unwrap();
    s.assignments
        .retain(|a| !(a.person == s1 && s.blocks[a.block.index()].date < week_end));
    s.rebuild_lookups();
    let report = analyze(&s, start(), &AnalysisConfig::default());
    let h = &report.health;
    assert!(
        (h.coverage - (56.0 - 7.0) / 56.0).abs() < 1e-12,
        "{}",
        h.coverage
    );
    assert!(h.alerts.iter().any(|a| a.code == "COVERAGE_SHORTFALL"));
    assert!(h.defense.level > thermo_core::resilience::defense::DefenseLevel::Prevention);
    assert!(!h.defense.reasons.is_empty());
}

#[test]
fn the_report_is_deterministic() {
    let s = ward(2, 3);
    let config = AnalysisConfig::default();
    let a = serde_json::to_string(&analyze(&s, start(), &config)).unwrap();
    let b = serde_json::to_string(&analyze(&s, start(), &config)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn health_settings_are_read_from_the_config() {
    let config: AnalysisConfig =
        toml::from_str("[health]\nmax_listed = 1\nbuffer_critical = 0.0\n").unwrap();
    assert_eq!(config.health.max_listed, 1);
    let s = ward(2, 3);
    let report = analyze(&s, start(), &config);
    let n1 = report
        .health
        .alerts
        .iter()
        .find(|a| a.code == "N1_FAIL")
        .unwrap();
    assert_eq!(n1.evidence.len(), 1);
    assert!(toml::from_str::<AnalysisConfig>("[health]\nmax_listd = 1\n").is_err());
}

#[test]
fn the_defense_memory_holds_a_level_until_enough_calm_checks_pass() {
    use thermo_core::health::apply_defense_memory;
    use thermo_core::resilience::defense::{DefenseLevel, DefenseMemory};
    let config = AnalysisConfig::default();
    let k = config.defense.step_down_checks;
    assert!(k >= 2);
    let fragile = analyze(&ward(2, 3), start(), &config);
    let sound = analyze(&ward(3, 3), start(), &config);
    let raw_fragile = fragile.health.defense.level;
    let raw_sound = sound.health.defense.level;
    assert!(
        raw_fragile >= DefenseLevel::SafetySystems,
        "{raw_fragile:?}"
    );
    assert!(raw_sound < raw_fragile, "{raw_sound:?}");

    // A fresh memory reproduces the one-shot level.
    let mut first = fragile.clone();
    let mut memory =
        apply_defense_memory(&mut first, DefenseMemory::default(), &config.defense).unwrap();
    assert_eq!(first.health.defense.level, raw_fragile);
    let h = first.health.defense.hysteresis.as_ref().unwrap();
    assert_eq!(
        (h.previous_level, h.raw_level, h.held),
        (DefenseLevel::Prevention, raw_fragile, false)
    );
    assert_eq!(memory.level, raw_fragile);

    // Calm checks hold the level (with its alert and status) until the k-th one.
    for calm in 1..=k {
        let mut report = sound.clone();
        memory = apply_defense_memory(&mut report, memory, &config.defense).unwrap();
        let defense = &report.health.defense;
        let h = defense.hysteresis.as_ref().unwrap();
        assert_eq!(h.raw_level, raw_sound);
        if calm < k {
            assert_eq!(defense.level, raw_fragile, "check {calm}");
            assert!(h.held);
            assert_eq!(h.calm_checks, calm);
            let alert = report
                .health
                .alerts
                .iter()
                .find(|a| a.layer == Layer::Defense)
                .expect("the held level keeps its alert");
            assert!(
                alert.evidence.iter().any(|e| e.starts_with("held above")),
                "{:?}",
                alert.evidence
            );
            assert!(report.health.overall_status >= sound.health.overall_status);
            assert!(
                report
                    .health
                    .alerts
                    .windows(2)
                    .all(|w| w[0].level >= w[1].level)
            );
        } else {
            assert_eq!(defense.level, raw_sound, "released after {k} calm checks");
            assert!(!h.held);
            assert_eq!(report.health.overall_status, sound.health.overall_status);
        }
    }

    // A relapse escalates at once and resets the count.
    let mut relapse = fragile.clone();
    let memory = apply_defense_memory(&mut relapse, memory, &config.defense).unwrap();
    assert_eq!(relapse.health.defense.level, raw_fragile);
    assert_eq!(memory.calm_checks, 0);
}

/// The sections run concurrently and the barriers on every worker: the report must not
/// depend on the number of threads.
#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    let s = ward(3, 4);
    let config = AnalysisConfig::default();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&analyze(&s, start(), &config)).unwrap())
    };
    let report = analyze(&s, start(), &config);
    assert!(
        report
            .contingency
            .n1
            .iter()
            .all(|p| p.energy_barrier.is_some())
    );
    assert!(report.landscape.is_some() && report.free_energy.is_some());
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(5));
}
