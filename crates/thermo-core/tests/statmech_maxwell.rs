//! Maxwell's demon against the proposal's reference values.

use std::path::PathBuf;

use serde_json::Value;
use thermo_core::statmech::maxwell::{
    AlertDirection, discretize, information_value, optimal_alert_threshold,
};

fn golden() -> Value {
    // `THERMO_SHARED` points at `shared/` when the crate is built outside the usual layout.
    let shared = std::env::var_os("THERMO_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(shared.join("golden/thermo-golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn information_value_matches_reference() {
    let g = golden();
    let ex = &g["proposal_reference"]["mi_example"];
    let metric = floats(&ex["metric"]);
    let health = strings(&ex["health"]);
    let k = ex["k_bins"].as_u64().unwrap() as usize;
    let bins: Vec<usize> = ex["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(discretize(&metric, k).unwrap(), bins);
    let iv = information_value(&metric, &health, k, 0).unwrap();
    assert!((iv.bits - ex["MI_bits"].as_f64().unwrap()).abs() < 1e-12);
    assert!((iv.health_entropy_bits - ex["H_health"].as_f64().unwrap()).abs() < 1e-12);
    assert!(iv.normalized > 0.0 && iv.normalized <= 1.0);
    // A lead shortens the pairing.
    assert_eq!(information_value(&metric, &health, k, 3).unwrap().pairs, 13);
    assert!(information_value(&metric, &health[1..], k, 0).is_err());
}

#[test]
fn alert_threshold_matches_reference() {
    let g = golden();
    let ex = &g["proposal_reference"]["alert_threshold_example"];
    let metric = floats(&ex["metric"]);
    let event: Vec<bool> = strings(&ex["health"]).iter().map(|h| h == "crit").collect();
    for r in ex["results"].as_array().unwrap() {
        let t = optimal_alert_threshold(
            &metric,
            &event,
            r["c_fp"].as_f64().unwrap(),
            r["c_fn"].as_f64().unwrap(),
            100,
            AlertDirection::Above,
        )
        .unwrap()
        .unwrap();
        assert!(
            (t.threshold - r["theta"].as_f64().unwrap()).abs() < 1e-12,
            "{r}"
        );
        assert!((t.cost - r["cost"].as_f64().unwrap()).abs() < 1e-12, "{r}");
        assert_eq!(t.false_positives as u64, r["fp"].as_u64().unwrap());
        assert_eq!(t.false_negatives as u64, r["fn"].as_u64().unwrap());
    }
    assert_eq!(
        optimal_alert_threshold(&metric, &[false; 16], 1.0, 10.0, 100, AlertDirection::Above)
            .unwrap(),
        None
    );
}
