//! The statistical-mechanics sections of the analysis report and their configuration.

mod common;

use chrono::{Duration, TimeZone, Utc};
use thermo_core::model::{MetricSample, Schedule};
use thermo_core::report::{AnalysisConfig, analyze};
use thermo_core::statmech::fluctuation::NoiseColor;

/// The generated program plus hourly `utilization` (AR(1) around 0.85) and `coverage`
/// (tracking utilization one hour ahead) and `noise` (independent) series.
fn with_metrics() -> Schedule {
    let mut s = common::generated(30, 56, 8);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let mut u = 0.85;
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut util = Vec::new();
    for _ in 0..300 {
        u = 0.85 + 0.8 * (u - 0.85) + 0.04 * next();
        util.push(u);
    }
    for (i, &v) in util.iter().enumerate() {
        let t = t0 + Duration::hours(i as i64);
        s.metrics.push(MetricSample {
            timestamp: t,
            metric: "utilization".into(),
            value: v,
        });
        s.metrics.push(MetricSample {
            timestamp: t,
            metric: "coverage".into(),
            value: 1.0 - util.get(i + 1).copied().unwrap_or(v),
        });
        s.metrics.push(MetricSample {
            timestamp: t,
            metric: "noise".into(),
            value: next(),
        });
    }
    s
}

#[test]
fn analyze_fills_every_statmech_section() {
    let s = with_metrics();
    let at = common::day0() + Duration::days(28);
    let r = analyze(&s, at, &AnalysisConfig::default());

    let f = r.free_energy.expect("free energy");
    assert!((f.free_energy - (f.internal_energy - f.entropy_term)).abs() < 1e-9);
    let c = &f.components;
    let sum = c.imbalance + c.preference + c.violations + c.coverage + c.vacancies + c.hub;
    assert!((sum - f.internal_energy).abs() < 1e-9);

    let l = r.landscape.expect("landscape");
    assert_eq!(l.samples, 100);
    assert!(l.local_minimum_energy <= l.current_energy);

    let fl = r.fluctuation.expect("fluctuation");
    let names: Vec<&str> = fl.metrics.iter().map(|m| m.metric.as_str()).collect();
    assert_eq!(names, ["utilization", "coverage", "noise"]);
    let util = &fl.metrics[0];
    assert_eq!(util.samples, 200);
    assert_eq!(util.step_hours, 1.0);
    assert!(util.phi > 0.6 && util.gain > 2.5);
    let noise = &fl.metrics[2];
    assert!(noise.phi.abs() < 0.2);
    assert_eq!(noise.noise_color, Some(NoiseColor::White));

    let d = r.dissipative.expect("dissipative");
    assert!((d.balance.system_change - (d.entropy_now - d.entropy_before)).abs() < 1e-12);
    assert!(d.patterns.load_gini >= 0.0 && d.patterns.load_gini < 1.0);

    let m = r.maxwell.expect("maxwell");
    assert_eq!(m.health_metric.as_deref(), Some("utilization"));
    let cov = m.metrics.iter().find(|x| x.metric == "coverage").unwrap();
    let noise = m.metrics.iter().find(|x| x.metric == "noise").unwrap();
    // Coverage foretells the next hour's utilization level; noise does not.
    assert!(cov.information_bits > noise.information_bits);
    assert!(cov.selected);
}

#[test]
fn statmech_config_sections_parse_and_reject_unknown_keys() {
    let cfg: AnalysisConfig = serde_json::from_str(
        r#"{"free_energy": {"temperature": 2.0, "model": {"hub_weight": 0.0}},
            "landscape": {"sample_size": 10},
            "fluctuation": {"window": 50, "detrend": "linear"},
            "dissipative": {"window_days": 14},
            "maxwell": {"lead": 0}}"#,
    )
    .unwrap();
    assert_eq!(cfg.free_energy.temperature, 2.0);
    assert_eq!(cfg.free_energy.model.imbalance_weight, 0.1);
    assert_eq!(cfg.landscape.sample_size, 10);
    for bad in [
        r#"{"landscape": {"samples": 3}}"#,
        r#"{"free_energy": {"model": {"weight": 1}}}"#,
        r#"{"maxwell": {"budget": 1}}"#,
    ] {
        assert!(
            serde_json::from_str::<AnalysisConfig>(bad).is_err(),
            "{bad}"
        );
    }
    // Invalid settings blank the section instead of failing the whole report.
    let mut cfg = AnalysisConfig::default();
    cfg.free_energy.temperature = -1.0;
    let r = analyze(&with_metrics(), common::day0(), &cfg);
    assert!(r.free_energy.is_none() && r.landscape.is_none());
    assert!(r.fluctuation.is_some());
}
