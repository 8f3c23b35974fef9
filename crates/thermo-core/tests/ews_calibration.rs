//! Calibration of the surrogate significance test on stationary AR(1) series.
//!
//! φ ∈ {0, 0.5, 0.8}, n = 400 (after 200 burn-in), 200 series each, rolling window 50 %,
//! rising-trend p-values of variance and lag-1 autocorrelation from B = 199 AR(1)
//! surrogates: the share with p < 0.05 must stay ≤ 7 %. The naive Kendall p-value on the
//! same indicators fires far more often (the invalid practice this test guards against).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};
use thermo_core::ews::{EwsConfig, Indicator, SignificanceConfig, compute, significance};
use thermo_core::stats::surrogate::SurrogateMethod;

const SERIES: usize = 200;
const N: usize = 400;
const BURN_IN: usize = 200;

fn ar1(phi: f64, seed: u64, stream: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut x = 0.0;
    let mut out = Vec::with_capacity(N);
    for t in 0..N + BURN_IN {
        let z: f64 = StandardNormal.sample(&mut rng);
        x = phi * x + z;
        if t >= BURN_IN {
            out.push(x);
        }
    }
    out
}

/// One-sided asymptotic Kendall p-value for τ > 0 (what `cor.test` and scipy report).
fn naive_p(tau: f64, n: usize) -> f64 {
    let n = n as f64;
    let z = 3.0 * tau * (n * (n - 1.0)).sqrt() / (2.0 * (2.0 * n + 5.0)).sqrt();
    1.0 - Normal::standard().cdf(z)
}

struct Rates {
    surrogate: [f64; 2],
    naive: [f64; 2],
}

fn rejection_rates(phi: f64, method: SurrogateMethod, seed: u64) -> Rates {
    let config = EwsConfig {
        window: 0.5,
        indicators: vec![Indicator::Variance, Indicator::Ac(1)],
        ..EwsConfig::default()
    };
    let t: Vec<f64> = (0..N).map(|i| i as f64).collect();
    let mut surrogate = [0usize; 2];
    let mut naive = [0usize; 2];
    for s in 0..SERIES {
        let x = ar1(phi, seed, s as u64);
        let series = compute(&t, &x, &config).unwrap();
        let sig = SignificanceConfig {
            surrogates: 199,
            seed: seed ^ (s as u64 + 1),
            method,
            block_length: None,
        };
        let null = significance(&series, &config, &sig).unwrap().unwrap();
        let defined = N - series.window + 1;
        for j in 0..2 {
            if null.p_upper(j).unwrap() < 0.05 {
                surrogate[j] += 1;
            }
            if naive_p(null.indicators[j].1.unwrap(), defined) < 0.05 {
                naive[j] += 1;
            }
        }
    }
    let rate = |c: usize| c as f64 / SERIES as f64;
    Rates {
        surrogate: [rate(surrogate[0]), rate(surrogate[1])],
        naive: [rate(naive[0]), rate(naive[1])],
    }
}

fn check(phi: f64, method: SurrogateMethod, seed: u64) {
    let r = rejection_rates(phi, method, seed);
    eprintln!(
        "phi {phi} {method:?}: surrogate p<0.05 var {:.3} ac1 {:.3}; naive var {:.3} ac1 {:.3}",
        r.surrogate[0], r.surrogate[1], r.naive[0], r.naive[1]
    );
    for (name, rate) in ["variance", "ac1"].iter().zip(r.surrogate) {
        assert!(
            rate <= 0.07,
            "phi {phi}: {name} false-alarm rate {rate} above 7 %"
        );
    }
    assert!(
        r.naive[0].max(r.naive[1]) >= 0.25,
        "phi {phi}: the naive Kendall p-value should be badly inflated, got {:?}",
        r.naive
    );
}

#[test]
fn ar1_surrogates_are_calibrated_white_noise() {
    check(0.0, SurrogateMethod::Ar1, 11);
}

#[test]
fn ar1_surrogates_are_calibrated_phi_05() {
    check(0.5, SurrogateMethod::Ar1, 12);
}

#[test]
fn ar1_surrogates_are_calibrated_phi_08() {
    check(0.8, SurrogateMethod::Ar1, 13);
}

#[test]
fn fourier_surrogates_are_calibrated_phi_08() {
    check(0.8, SurrogateMethod::Fourier, 14);
}
