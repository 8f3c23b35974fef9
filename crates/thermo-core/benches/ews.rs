//! Early-warning engine: the batch pipeline on 100,000 points and 1,000 surrogates.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use thermo_core::ews::{
    Convention, Detrend, EwsConfig, EwsStream, Indicator, SignificanceConfig, compute, significance,
};

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

fn batch(c: &mut Criterion) {
    let (t, x) = ar1_rising(100_000, 1);
    let config = EwsConfig {
        window: 0.25,
        detrend: Detrend::Gaussian,
        bandwidth: 0.2,
        ..EwsConfig::default()
    };
    let mut g = c.benchmark_group("ews_batch");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.sample_size(10);
    g.bench_function("gaussian_detrend_only_100k_bw02", |b| {
        b.iter(|| {
            black_box(
                thermo_core::stats::detrend::gaussian_smooth(
                    black_box(&x),
                    thermo_core::stats::detrend::ksmooth_sigma(20_000.0),
                )
                .unwrap(),
            )
        })
    });
    g.bench_function("kendall_tau_only_75k", |b| {
        b.iter(|| {
            black_box(thermo_core::stats::kendall_tau_b(
                &t[..75_000],
                &x[..75_000],
            ))
        })
    });
    g.bench_function("all_indicators_gaussian_100k_w025", |b| {
        b.iter(|| {
            let s = compute(black_box(&t), black_box(&x), &config).unwrap();
            black_box(s.kendall_tau())
        })
    });
    g.finish();
}

fn stream(c: &mut Criterion) {
    let (_, x) = ar1_rising(100_000, 2);
    let mut g = c.benchmark_group("ews_stream");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.sample_size(10);
    g.bench_function("push_all_indicators_100k_w25000", |b| {
        b.iter(|| {
            let mut s = EwsStream::new(25_000, &Indicator::all(1), Convention::Native).unwrap();
            let mut out = Vec::new();
            for &v in &x {
                s.push_into(v, v, &mut out);
            }
            black_box(out)
        })
    });
    g.finish();
}

fn surrogates(c: &mut Criterion) {
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
    let mut g = c.benchmark_group("ews_significance");
    g.sample_size(10);
    g.bench_function("ar1_1000_surrogates_n1000_var_ac1", |b| {
        b.iter(|| black_box(significance(&series, &config, &sig).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, batch, stream, surrogates);
criterion_main!(benches);
