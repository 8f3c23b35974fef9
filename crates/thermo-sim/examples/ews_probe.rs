//! CPU probe of the early-warning engine, to run under `valgrind --tool=callgrind` or
//! `perf stat` when other processes share the cores: `ews_probe JOB N` runs JOB N times
//! (the difference between N and 0 runs, divided by N, is the cost of one run).
//!
//! Jobs: `batch` (all 9 indicators, Gaussian detrending bw 0.2, τ of each, 100,000 points,
//! window 0.25), `detrend` (Gaussian smoothing of the same series), `tau` (one Kendall τ
//! over 75,000 points), `stream` (all indicators streamed over 100,000 samples, window
//! 25,000), `section` (the `phase_transition` section of the default demo program at day
//! 200), `surrogates` (1,000 AR(1) surrogates of 1,000 points, τ of variance and ac1), and
//! `dump` (prints results of many settings bit for bit, to compare two builds).

use std::hint::black_box;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use thermo_core::ews::{
    Convention, Detrend, EwsConfig, EwsStream, Indicator, SignificanceConfig, compute, significance,
};
use thermo_core::stats::surrogate::SurrogateMethod;
use thermo_sim::demo::{DemoConfig, generate};

fn ar1_rising(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = 0.0;
    let values = (0..n)
        .map(|i| {
            let phi = 0.2 + 0.7 * i as f64 / n as f64;
            let z: f64 = StandardNormal.sample(&mut rng);
            x = phi * x + z;
            10.0 + 0.001 * i as f64 + x
        })
        .collect();
    ((0..n).map(|i| i as f64).collect(), values)
}

fn bits(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{:016x}", x.to_bits()))
}

fn dump() {
    for (n, seed) in [(100usize, 1u64), (1_000, 2), (20_000, 3)] {
        let (t, x) = ar1_rising(n, seed);
        // A series with ties and plateaus exercises the Kendall tie handling.
        let rounded: Vec<f64> = x.iter().map(|v| (v * 2.0).round() / 2.0).collect();
        for (label, values) in [("raw", &x), ("rounded", &rounded)] {
            for detrend in [
                Detrend::None,
                Detrend::Gaussian,
                Detrend::Linear,
                Detrend::Diff,
                Detrend::Lowess,
            ] {
                if detrend == Detrend::Lowess && n > 1_000 {
                    continue;
                }
                for convention in [Convention::Native, Convention::Ewstools] {
                    for bandwidth in [0.2, 10.0] {
                        let mut indicators = Indicator::all(1);
                        indicators.extend([Indicator::Ac(3), Indicator::Acf(2)]);
                        let config = EwsConfig {
                            window: 0.25,
                            detrend,
                            bandwidth,
                            indicators,
                            convention,
                            ..EwsConfig::default()
                        };
                        let s = compute(&t, values, &config).unwrap();
                        let mut h = 0u64;
                        for (_, col) in &s.indicators {
                            for v in col {
                                h = h.rotate_left(5) ^ v.map_or(1, f64::to_bits);
                            }
                        }
                        for v in s.detrended.smoothing.iter().chain(&s.detrended.residuals) {
                            h = h.rotate_left(5) ^ v.map_or(1, f64::to_bits);
                        }
                        let taus: Vec<String> =
                            s.kendall_tau().into_iter().map(|(_, t)| bits(t)).collect();
                        println!(
                            "{n} {label} {detrend:?} {convention:?} {bandwidth} cols {h:016x} tau {}",
                            taus.join(",")
                        );
                        if n <= 1_000 && bandwidth == 0.2 {
                            for method in [
                                SurrogateMethod::Ar1,
                                SurrogateMethod::Fourier,
                                SurrogateMethod::BlockBootstrap,
                            ] {
                                let sig = SignificanceConfig {
                                    surrogates: 49,
                                    method,
                                    ..SignificanceConfig::default()
                                };
                                let null = significance(&s, &config, &sig).unwrap().unwrap();
                                let mut h = 0u64;
                                for (_, obs, null) in &null.indicators {
                                    h = h.rotate_left(7) ^ obs.map_or(3, f64::to_bits);
                                    for v in null {
                                        h = h.rotate_left(5) ^ v.to_bits();
                                    }
                                }
                                println!("  {method:?} null {h:016x}");
                            }
                        }
                    }
                }
            }
        }
    }
    let schedule = generate(&DemoConfig::default());
    let config = thermo_core::report::AnalysisConfig::default();
    for day in [60, 200, 364] {
        let at = DemoConfig::default().start + chrono::Duration::days(day);
        let risk = thermo_core::ews::detector::phase_transition_section(
            &schedule,
            at,
            &config.phase_transition,
        );
        println!("section day {day}: {risk:?}");
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let job = args.next().unwrap_or_else(|| "batch".into());
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut sink = 0.0f64;
    match job.as_str() {
        "dump" => dump(),
        "batch" | "detrend" | "tau" => {
            let (t, x) = ar1_rising(100_000, 1);
            let config = EwsConfig {
                window: 0.25,
                detrend: Detrend::Gaussian,
                bandwidth: 0.2,
                ..EwsConfig::default()
            };
            for _ in 0..reps {
                sink += match job.as_str() {
                    "batch" => {
                        let s = compute(black_box(&t), black_box(&x), &config).unwrap();
                        s.kendall_tau().iter().filter_map(|p| p.1).sum::<f64>()
                    }
                    "detrend" => thermo_core::stats::detrend::gaussian_smooth(
                        black_box(&x),
                        thermo_core::stats::detrend::ksmooth_sigma(20_000.0),
                    )
                    .unwrap()[500],
                    _ => thermo_core::stats::kendall_tau_b(&t[..75_000], &x[..75_000]).unwrap(),
                };
            }
        }
        "stream" => {
            let (_, x) = ar1_rising(100_000, 2);
            for _ in 0..reps {
                let mut s = EwsStream::new(25_000, &Indicator::all(1), Convention::Native).unwrap();
                let mut out = Vec::new();
                for &v in &x {
                    s.push_into(v, v, &mut out);
                }
                sink += out[0].unwrap_or(0.0);
            }
        }
        "section" => {
            let schedule = generate(&DemoConfig::default());
            let config = thermo_core::report::AnalysisConfig::default();
            let at = DemoConfig::default().start + chrono::Duration::days(200);
            for _ in 0..reps {
                let r = thermo_core::ews::detector::phase_transition_section(
                    black_box(&schedule),
                    at,
                    &config.phase_transition,
                );
                sink += r.confidence;
            }
        }
        "surrogates" => {
            let (t, x) = ar1_rising(1_000, 3);
            let config = EwsConfig {
                window: 0.5,
                indicators: vec![Indicator::Variance, Indicator::Ac(1)],
                ..EwsConfig::default()
            };
            let series = compute(&t, &x, &config).unwrap();
            let sig = SignificanceConfig {
                surrogates: 1_000,
                ..SignificanceConfig::default()
            };
            for _ in 0..reps {
                let n = significance(&series, &config, &sig).unwrap().unwrap();
                sink += n.p_upper(0).unwrap_or(0.0);
            }
        }
        other => {
            eprintln!("unknown job {other}");
            std::process::exit(2);
        }
    }
    println!("{sink}");
}
