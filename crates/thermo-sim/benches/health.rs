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
    let at = mid_year;
    group.bench_function("section_phase_transition", |b| {
        b.iter(|| {
            thermo_core::ews::detector::phase_transition_section(
                black_box(&schedule),
                at,
                &config.phase_transition,
            )
        })
    });
    group.bench_function("section_transport", |b| {
        b.iter(|| {
            thermo_core::transport::check_transport(black_box(&schedule), at, &config.transport)
        })
    });
    group.bench_function("section_utilization", |b| {
        b.iter(|| {
            thermo_core::queueing::utilization::schedule_utilization(
                black_box(&schedule),
                at,
                config.transport.horizon_days,
                config.transport.capacity_per_day,
                &config.utilization,
            )
        })
    });
    group.bench_function("section_contingency", |b| {
        let window = Some((
            at,
            at + chrono::Duration::days(i64::from(config.contingency.window_days)),
        ));
        b.iter(|| {
            thermo_core::resilience::contingency::analyze_contingency(
                black_box(&schedule),
                &config.contingency,
                window,
                &|_| None,
            )
        })
    });
    let report = analyze(&schedule, at, &config);
    let slots = thermo_core::resilience::contingency::SlotIndex::build(
        &schedule,
        config.contingency.slots,
        Some((
            at,
            at + chrono::Duration::days(i64::from(config.contingency.window_days)),
        )),
    );
    group.bench_function("section_health_composition", |b| {
        b.iter(|| {
            thermo_core::health::assess(
                black_box(&schedule),
                at,
                thermo_core::health::LayerOutputs {
                    entropy: &report.entropy,
                    utilization: &report.utilization,
                    transport: &report.transport,
                    phase_transition: &report.phase_transition,
                    contingency: &report.contingency,
                    slots: &slots,
                },
                &config,
            )
        })
    });
    group.bench_function("section_energy_barriers", |b| {
        let window = Some((at, at + chrono::Duration::days(28)));
        b.iter(|| thermo_core::report::energy_barriers(black_box(&schedule), window, &config))
    });
    group.bench_function("section_statmech", |b| {
        b.iter(|| {
            (
                thermo_core::statmech::free_energy::free_energy_report(
                    &schedule,
                    at,
                    &config.free_energy,
                )
                .ok(),
                thermo_core::statmech::landscape::landscape_report(
                    &schedule,
                    at,
                    &config.free_energy,
                    &config.landscape,
                )
                .ok(),
                thermo_core::statmech::fluctuation::fluctuation_report(
                    &schedule,
                    &config.fluctuation,
                )
                .ok(),
                thermo_core::statmech::dissipative::dissipative_report(
                    &schedule,
                    at,
                    &config.dissipative,
                )
                .ok(),
                thermo_core::statmech::maxwell::maxwell_report(&schedule, &config.maxwell).ok(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
