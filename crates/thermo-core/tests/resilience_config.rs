//! The resilience and baseline config sections: defaults, partial documents, unknown keys.

use thermo_core::report::AnalysisConfig;
use thermo_core::resilience::contingency::SlotRule;
use thermo_core::resilience::zones::ZoneGrouping;

#[test]
fn partial_sections_keep_the_other_defaults() {
    let c: AnalysisConfig = serde_json::from_str(
        r#"{"contingency": {"slots": "all_blocks", "window_days": 0},
            "defense": {"step_down_checks": 5},
            "homeostasis": {"high_entropy_bits": 2.5},
            "zones": {"grouping": "rotations"},
            "baselines": {"spc": {"sigma": 4.0}, "fire_index": {"two_week_target_hours": 100.0}}}"#,
    )
    .unwrap();
    assert_eq!(c.contingency.slots, SlotRule::AllBlocks);
    assert_eq!(c.contingency.window_days, 0);
    assert_eq!(c.contingency.barrier_threshold, 5.0);
    assert_eq!(c.defense.step_down_checks, 5);
    assert_eq!(c.defense.coverage_thresholds, [0.95, 0.90, 0.80, 0.70]);
    assert_eq!(c.homeostasis.high_entropy_bits, 2.5);
    assert_eq!(c.homeostasis.min_points, 10);
    assert_eq!(c.zones.grouping, ZoneGrouping::Rotations);
    assert_eq!(c.baselines.spc.sigma, 4.0);
    assert_eq!(c.baselines.spc.target, 60.0);
    assert_eq!(c.baselines.sta_lta.long_window, 30);
    assert_eq!(c.baselines.fire_index.two_week_target_hours, 100.0);
    assert_eq!(c.baselines.fire_index.monthly_target_hours, 240.0);
}

#[test]
fn unknown_keys_are_rejected() {
    for doc in [
        r#"{"contingency": {"barrier": 3}}"#,
        r#"{"defense": {"k": 3}}"#,
        r#"{"baselines": {"spc": {"ucl": 3}}}"#,
        r#"{"contingency": {"slots": "some"}}"#,
    ] {
        assert!(
            serde_json::from_str::<AnalysisConfig>(doc).is_err(),
            "{doc}"
        );
    }
}
