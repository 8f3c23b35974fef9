//! Generation time of the demo program and of its daily metrics.

use criterion::{Criterion, criterion_group, criterion_main};
use thermo_sim::demo::{DemoConfig, daily_metrics, generate};

fn bench_demo(c: &mut Criterion) {
    let config = DemoConfig::default();
    c.bench_function("generate default program (72 people, 365 days)", |b| {
        b.iter(|| generate(std::hint::black_box(&config)))
    });
    let schedule = generate(&config);
    c.bench_function("daily_metrics of the default program", |b| {
        b.iter(|| daily_metrics(std::hint::black_box(&schedule)))
    });
}

criterion_group!(benches, bench_demo);
criterion_main!(benches);
