//! Fluctuation–dissipation against the proposal's reference values and a simulated AR(1).

use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::Value;
use thermo_core::statmech::fluctuation::{Detrend, NoiseColor, fit_ar1, noise_spectrum};

fn golden() -> Value {
    // `THERMO_SHARED` points at `shared/` when the crate is built outside the usual layout.
    let shared = std::env::var_os("THERMO_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(shared.join("golden/thermo-golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The reference LCG: x0 = 42, x_{k+1} = (1103515245·x_k + 12345) mod 2^31,
/// sample_k = x_k/2^31 − 0.5 for k ≥ 1.
fn lcg(n: usize) -> Vec<f64> {
    let mut x: u64 = 42;
    (0..n)
        .map(|_| {
            x = (1_103_515_245 * x + 12_345) % (1 << 31);
            x as f64 / f64::from(1u32 << 31) - 0.5
        })
        .collect()
}

fn cumsum(x: &[f64]) -> Vec<f64> {
    x.iter()
        .scan(0.0, |s, v| {
            *s += v;
            Some(*s)
        })
        .collect()
}

fn ar09_300() -> Vec<f64> {
    let e = lcg(300);
    let mut x = vec![0.0; 300];
    for k in 1..300 {
        x[k] = 0.9 * x[k - 1] + e[k];
    }
    x
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn lcg_matches_reference() {
    let g = golden();
    for (a, b) in lcg(5)
        .iter()
        .zip(g["proposal_reference"]["lcg_first5"].as_array().unwrap())
    {
        close(*a, b.as_f64().unwrap(), 1e-15, "lcg");
    }
}

#[test]
fn ar1_fits_match_reference() {
    let g = golden();
    let p = &g["proposal_reference"];
    for (name, series) in [
        ("fdt_white256", lcg(256)),
        ("fdt_ar09_300", ar09_300()),
        ("fdt_rw200", cumsum(&lcg(200))),
    ] {
        let fit = fit_ar1(&series, 1.0).unwrap().unwrap();
        let r = &p[name];
        close(fit.phi, r["phi"].as_f64().unwrap(), 1e-12, name);
        close(fit.variance, r["var"].as_f64().unwrap(), 1e-12, name);
        close(fit.gain, r["gain"].as_f64().unwrap(), 1e-12, name);
        close(
            fit.relaxation_time_hours,
            r["tau_steps"].as_f64().unwrap(),
            1e-12,
            name,
        );
        close(
            fit.predicted_response(0.05),
            r["pred_change_for_forcing_0.05"].as_f64().unwrap(),
            1e-12,
            name,
        );
    }
}

#[test]
fn noise_exponents_match_reference() {
    let g = golden();
    let p = &g["proposal_reference"];
    let rw = cumsum(&lcg(200));
    for (name, series, color) in [
        ("beta_white_lcg256", lcg(256), NoiseColor::White),
        ("beta_white_lcg200", lcg(200), NoiseColor::White),
        ("beta_randomwalk_lcg200", rw.clone(), NoiseColor::Red),
        ("beta_integrated_rw_lcg200", cumsum(&rw), NoiseColor::Red),
        ("beta_ar09_lcg300", ar09_300(), NoiseColor::Red),
    ] {
        let s = noise_spectrum(&series, Detrend::Constant).unwrap().unwrap();
        let r = p[name].as_array().unwrap();
        close(s.exponent, r[0].as_f64().unwrap(), 1e-9, name);
        assert_eq!(s.bins as u64, r[1].as_u64().unwrap(), "{name}");
        assert_eq!(s.color, color, "{name}");
    }
}

#[test]
fn simulated_ar1_recovers_phi_and_gain() {
    let mut rng = ChaCha8Rng::seed_from_u64(20_260_101);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let mut x = vec![0.0; 2000];
    for k in 1..2000 {
        x[k] = 0.9 * x[k - 1] + noise.sample(&mut rng);
    }
    let fit = fit_ar1(&x, 1.0).unwrap().unwrap();
    assert!((fit.phi - 0.9).abs() <= 0.03, "phi {}", fit.phi);
    assert!((fit.gain - 10.0).abs() <= 1.5, "gain {}", fit.gain);
    // Relaxation time −1/ln φ ≈ 9.5 steps.
    assert!((fit.relaxation_time_hours - 9.49).abs() < 2.5);
}

#[test]
fn mobility_is_scale_free() {
    use thermo_core::statmech::fluctuation::system_mobility;
    let x = ar09_300();
    let big: Vec<f64> = x.iter().map(|v| 1000.0 * v).collect();
    let a = fit_ar1(&x, 1.0).unwrap().unwrap();
    let b = fit_ar1(&big, 1.0).unwrap().unwrap();
    assert!((system_mobility(&[a]) - system_mobility(&[b])).abs() < 1e-12);
    assert!((system_mobility(&[a]) - (1.0 - a.phi)).abs() < 1e-15);
}

#[test]
fn perturbation_response_is_forcing_times_gain() {
    use thermo_core::statmech::fluctuation::{faculty_loss_forcing, predict_perturbation_response};
    let fit = fit_ar1(&ar09_300(), 1.0).unwrap().unwrap();
    let r = predict_perturbation_response(&fit, 0.8, 0.05);
    assert!((r.predicted_change - 0.5842677297242392).abs() < 1e-12);
    assert!((r.predicted_final - (0.8 + r.predicted_change)).abs() < 1e-15);
    // Losing 1 of 10 faculty at 80 % utilisation forces 0.8·(10/9 − 1) per step.
    let f = faculty_loss_forcing(0.8, 10, 1);
    assert!(
        (predict_perturbation_response(&fit, 0.8, f).predicted_change - f * fit.gain).abs() < 1e-12
    );
}
