//! Homeostasis: golden volatility metrics, the fixed jitter defect and entropy evidence.

use serde_json::Value;
use thermo_core::resilience::homeostasis::{
    DeviationSeverity, EntropyEvidence, HomeostasisConfig, HomeostasisMonitor, Setpoint,
    VolatilityLevel, VolatilityReading, volatility_metrics,
};

fn golden() -> Value {
    let candidates = [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/golden/framework-golden.json"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../../shared/golden/framework-golden.json"
        ),
    ];
    let text = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .expect("shared/golden/framework-golden.json beside the repository");
    serde_json::from_str(&text).unwrap()
}

fn coverage() -> Setpoint {
    Setpoint::defaults().remove(0)
}

#[test]
fn golden_volatility_example_is_reproduced() {
    let g = &golden()["volatility_example"];
    let series: Vec<f64> = g["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let m = volatility_metrics(&series, &coverage(), &HomeostasisConfig::default()).unwrap();
    let close = |a: f64, key: &str| (a - g[key].as_f64().unwrap()).abs() < 1e-9;
    assert!(close(m.volatility, "volatility"), "{m:?}");
    // Every reversal here is larger than a quarter band, so amplitude weighting keeps 1.0.
    assert!(close(m.jitter, "jitter"), "{m:?}");
    assert!(close(m.momentum, "momentum"), "{m:?}");
    assert!(
        close(m.distance_to_critical, "distance_to_critical"),
        "{m:?}"
    );
    assert_eq!(m.level, VolatilityLevel::Critical);
    let flat = volatility_metrics(&[0.95; 10], &coverage(), &HomeostasisConfig::default()).unwrap();
    assert_eq!(
        (
            flat.volatility,
            flat.jitter,
            flat.momentum,
            flat.distance_to_critical
        ),
        (0.0, 0.0, 0.0, 1.0)
    );
    assert_eq!(flat.level, VolatilityLevel::Stable);
}

#[test]
fn tiny_oscillations_are_not_jitter() {
    // The original rated ±0.0001 alternation CRITICAL.
    let series: Vec<f64> = (0..12)
        .map(|i| if i % 2 == 0 { 0.95 } else { 0.9501 })
        .collect();
    let m = volatility_metrics(&series, &coverage(), &HomeostasisConfig::default()).unwrap();
    assert_eq!(m.jitter, 0.0);
    assert_eq!(m.level, VolatilityLevel::Stable);
    // Too few points: no metrics.
    assert!(volatility_metrics(&series[..9], &coverage(), &HomeostasisConfig::default()).is_none());
}

fn volatile_monitor() -> HomeostasisMonitor {
    let mut m = HomeostasisMonitor::new(HomeostasisConfig::default()).unwrap();
    for i in 0..12 {
        let x = if i % 2 == 0 { 0.95 } else { 0.55 };
        m.check_all(&[("coverage_rate", x), ("acgme_compliance", 1.0)])
            .unwrap();
    }
    m
}

#[test]
fn entropy_reads_high_volatility() {
    let m = volatile_monitor();
    let high = m
        .detect_volatility_risks(&EntropyEvidence {
            person_entropy_bits: 4.2,
            critical_slowing: false,
        })
        .unwrap();
    assert_eq!(high.len(), 1);
    assert_eq!(high[0].source, "coverage_rate");
    assert_eq!(high[0].reading, Some(VolatilityReading::DisorderIncreasing));
    assert!(high[0].evidence[0].contains("disorder increasing"));
    let low = m
        .detect_volatility_risks(&EntropyEvidence {
            person_entropy_bits: 2.0,
            critical_slowing: false,
        })
        .unwrap();
    assert_eq!(
        low[0].reading,
        Some(VolatilityReading::ConcentratedInstability)
    );
    assert!(low[0].evidence[0].contains("hub overload risk"));
}

#[test]
fn critical_slowing_makes_alerts_critical() {
    let evidence = EntropyEvidence {
        person_entropy_bits: 4.2,
        critical_slowing: true,
    };
    let alerts = volatile_monitor()
        .detect_volatility_risks(&evidence)
        .unwrap();
    assert!(
        alerts
            .iter()
            .all(|a| a.severity == DeviationSeverity::Critical)
    );
    // A calm monitor still raises one system alert.
    let calm = HomeostasisMonitor::new(HomeostasisConfig::default()).unwrap();
    let alerts = calm.detect_volatility_risks(&evidence).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].source, "entropy");
    assert_eq!(alerts[0].severity, DeviationSeverity::Critical);
    let none = calm
        .detect_volatility_risks(&EntropyEvidence {
            critical_slowing: false,
            ..evidence
        })
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn bad_input_is_an_error() {
    let mut m = HomeostasisMonitor::new(HomeostasisConfig::default()).unwrap();
    assert!(m.check_all(&[("no_such_loop", 1.0)]).is_err());
    assert!(m.check_all(&[("coverage_rate", f64::INFINITY)]).is_err());
    let bad = HomeostasisConfig {
        min_points: 1,
        ..HomeostasisConfig::default()
    };
    assert!(HomeostasisMonitor::new(bad).is_err());
    assert!(
        m.detect_volatility_risks(&EntropyEvidence {
            person_entropy_bits: f64::NAN,
            critical_slowing: false
        })
        .is_err()
    );
}
