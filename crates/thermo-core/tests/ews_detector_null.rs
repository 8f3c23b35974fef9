//! False alarms of the phase-transition detector on stationary AR(1) series: φ ∈ {0, 0.5,
//! 0.8}, n = 400, 200 series each, default thresholds with B = 199 surrogates. The share of
//! assessments at `critical` or worse must stay ≤ 5 %.

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use thermo_core::ews::detector::{
    PhaseTransitionConfig, PhaseTransitionDetector, TransitionSeverity,
};

const SERIES: usize = 200;
const N: usize = 400;

fn ar1(phi: f64, stream: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    rng.set_stream(stream);
    let mut x = 0.0;
    let mut out = Vec::with_capacity(N);
    for t in 0..N + 200 {
        let z: f64 = StandardNormal.sample(&mut rng);
        x = phi * x + z;
        if t >= 200 {
            out.push(20.0 + x);
        }
    }
    out
}

fn critical_rate(phi: f64, offset: u64) -> f64 {
    let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let config = PhaseTransitionConfig {
        history: N,
        surrogates: 199,
        ..PhaseTransitionConfig::default()
    };
    let mut critical = 0;
    for s in 0..SERIES {
        let mut d = PhaseTransitionDetector::new(config).unwrap();
        for (i, x) in ar1(phi, offset + s as u64).into_iter().enumerate() {
            d.update_at(t0 + Duration::hours(i as i64), &[("m", x)])
                .unwrap();
        }
        let risk = d.detect().unwrap();
        if risk.overall_severity >= TransitionSeverity::Critical {
            critical += 1;
        }
    }
    critical as f64 / SERIES as f64
}

#[test]
fn critical_false_alarms_stay_below_five_percent() {
    for (phi, offset) in [(0.0, 0), (0.5, 1000), (0.8, 2000)] {
        let rate = critical_rate(phi, offset);
        eprintln!("phi {phi}: critical-or-worse rate {rate:.3}");
        assert!(rate <= 0.05, "phi {phi}: rate {rate}");
    }
}
