//! Parity with ewstools 2.1: the fixtures in `tests/parity/` hold inputs and the outputs the
//! real package produced (see `tests/parity/README.md`); our engine must agree to 1e-9 relative.

use std::path::PathBuf;

use serde_json::Value;
use thermo_core::ews::{Convention, Detrend, EwsConfig, Indicator, compute};

const RELATIVE: f64 = 1e-9;

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/parity");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("parity directory")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "versions.json")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "parity fixtures missing");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

fn numbers(v: &Value) -> Vec<Option<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(Value::as_f64)
        .collect()
}

/// |ours − theirs| ≤ 1e-9·|theirs|, with a floor of 1e-9 × 1e-6 × the column's largest
/// magnitude for values that are themselves near zero (a sign change of an autocorrelation).
fn compare(case: &str, what: &str, ours: &[Option<f64>], theirs: &[Option<f64>]) {
    assert_eq!(ours.len(), theirs.len(), "{case} {what}: length");
    let scale = theirs.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        match (a, b) {
            (Some(a), Some(b)) => {
                let tol = RELATIVE * b.abs().max(1e-6 * scale);
                assert!(
                    (a - b).abs() <= tol,
                    "{case} {what}[{i}]: ours {a} vs ewstools {b} (diff {:e})",
                    (a - b).abs()
                );
            }
            (None, None) => {}
            _ => panic!("{case} {what}[{i}]: ours {a:?} vs ewstools {b:?}"),
        }
    }
}

#[test]
fn indicators_and_trends_match_ewstools() {
    for (case, fx) in fixtures() {
        let s = &fx["settings"];
        let detrend: Detrend = s["detrend"].as_str().unwrap().parse().unwrap();
        let lag = s["lag"].as_u64().unwrap() as usize;
        let mut indicators = vec![
            Indicator::Variance,
            Indicator::Std,
            Indicator::Cv,
            Indicator::Ac(1),
        ];
        if lag != 1 {
            indicators.push(Indicator::Ac(lag));
        }
        indicators.extend([Indicator::Skew, Indicator::Kurtosis]);
        let config = EwsConfig {
            window: s["window"].as_f64().unwrap(),
            detrend,
            bandwidth: s["bandwidth"].as_f64().unwrap(),
            span: s["span"].as_f64().unwrap(),
            indicators,
            convention: Convention::Ewstools,
        };
        let time: Vec<f64> = numbers(&fx["time"])
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let state: Vec<f64> = numbers(&fx["state"])
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let out = compute(&time, &state, &config).unwrap();
        if detrend != Detrend::None {
            compare(
                &case,
                "smoothing",
                &out.detrended.smoothing,
                &numbers(&fx["smoothing"]),
            );
            compare(
                &case,
                "residuals",
                &out.detrended.residuals,
                &numbers(&fx["residuals"]),
            );
        }
        let ewstools_name = |ind: &Indicator| match ind {
            Indicator::Kurtosis => "kurtosis".to_string(),
            other => other.name(),
        };
        for (ind, col) in &out.indicators {
            compare(
                &case,
                &ind.name(),
                col,
                &numbers(&fx["ews"][ewstools_name(ind)]),
            );
        }
        for (ind, tau) in out.kendall_tau() {
            let theirs = fx["ktau"][ewstools_name(&ind)].as_f64();
            compare(&case, &format!("ktau {}", ind.name()), &[tau], &[theirs]);
        }
    }
}
