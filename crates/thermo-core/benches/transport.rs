//! One transport check on a program of 2,000 people, 1,000,000 assignments and 100,000
//! swap events; schedule utilization; Erlang C for large pools.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use thermo_core::queueing::utilization::{HorizonLoads, UtilizationConfig, schedule_utilization};
use thermo_core::queueing::{erlang_c, safe_utilization};
use thermo_core::transport::stigmergy::swap_affinities;
use thermo_core::transport::{
    TransportConfig, UnitGrouping, analysis_instant, check_transport, evaluate, transport_input,
};

#[path = "support/transport_program.rs"]
mod transport_program;
use transport_program::{at, program};

fn bench(c: &mut Criterion) {
    let s = program();
    let mut group = c.benchmark_group("transport");
    group.sample_size(20);
    group.bench_function("check_2000p_1m_assignments_100k_events", |bench| {
        bench.iter(|| check_transport(black_box(&s), at(), &TransportConfig::default()))
    });
    let by_rotation = TransportConfig {
        unit: UnitGrouping::Rotation,
        ..Default::default()
    };
    group.bench_function("check_by_rotation_2000p_1m_100k", |bench| {
        bench.iter(|| check_transport(black_box(&s), at(), &by_rotation))
    });
    group.bench_function("parts/transport_input", |bench| {
        bench.iter(|| transport_input(black_box(&s), at(), &TransportConfig::default()))
    });
    let input = transport_input(&s, at(), &TransportConfig::default());
    group.bench_function("parts/evaluate", |bench| {
        bench.iter(|| evaluate(black_box(&input), &TransportConfig::default()))
    });
    group.bench_function("parts/horizon_loads_1m", |bench| {
        bench.iter(|| HorizonLoads::measure(black_box(&s), at(), 28, 2.0))
    });
    group.bench_function("parts/swap_affinities_100k", |bench| {
        bench.iter(|| swap_affinities(black_box(&s), analysis_instant(at()), 0.1))
    });
    // The floor any one-pass check pays: reading every assignment once.
    group.bench_function("scan_floor_1m_assignments", |bench| {
        bench.iter(|| {
            black_box(&s)
                .assignments
                .iter()
                .map(|a| {
                    u64::from(a.person.0) + a.created_at.map_or(0, |c| c.timestamp_millis() as u64)
                })
                .fold(0_u64, u64::wrapping_add)
        })
    });
    group.bench_function("utilization_2000p_1m_assignments", |bench| {
        bench.iter(|| {
            schedule_utilization(black_box(&s), at(), 28, 2.0, &UtilizationConfig::default())
        })
    });
    group.finish();
    let mut q = c.benchmark_group("queueing");
    q.bench_function("erlang_c_10000_servers", |bench| {
        bench.iter(|| erlang_c(black_box(10_000), black_box(9_500.0)))
    });
    q.bench_function("safe_utilization_1000_servers", |bench| {
        bench.iter(|| safe_utilization(black_box(1_000), black_box(0.2)))
    });
    q.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
