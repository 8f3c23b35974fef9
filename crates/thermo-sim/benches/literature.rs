//! Cost of the literature check: one May-model trajectory, and the whole quick check
//! (10 forced + 10 null runs, paper protocol).

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use thermo_sim::literature::{Forcing, LiteratureConfig, MayModel, run};

fn bench_literature(c: &mut Criterion) {
    let model = MayModel::default();
    let until = model
        .transition_time()
        .expect("the default model has a transition");
    let mut group = c.benchmark_group("literature");
    group.sample_size(10);
    group.bench_function(
        "simulate one forced May trajectory (148,000 Euler steps)",
        |b| {
            b.iter(|| {
                let mut rng = ChaCha8Rng::seed_from_u64(1);
                model.simulate(Forcing::Ramp, std::hint::black_box(until), &mut rng)
            })
        },
    );
    let quick = LiteratureConfig::quick();
    group.bench_function("quick check (10 + 10 runs, paper protocol)", |b| {
        b.iter(|| run(std::hint::black_box(&quick)))
    });
    group.finish();
}

criterion_group!(benches, bench_literature);
criterion_main!(benches);
