//! The full analysis (every layer and the health composition) of the default demo program.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use thermo_core::report::{AnalysisConfig, analyze};
use thermo_sim::demo::{DemoConfig, generate};

fn bench(c: &mut Criterion) {
    let schedule = generate(&DemoConfig::default());
    let config = AnalysisConfig::default();
    let mid_year = DemoConfig::default().start + chrono::Duration::days(200);
    let mut group = c.benchmark_group("health");
    group.sample_size(20);
    group.bench_function("analyze_default_demo", |b| {
        b.iter(|| analyze(black_box(&schedule), mid_year, &config))
    });
    let mut no_centrality = config.clone();
    no_centrality.contingency.centrality = false;
    group.bench_function("analyze_default_demo_without_centrality", |b| {
        b.iter(|| analyze(black_box(&schedule), mid_year, &no_centrality))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
