//! Statistical mechanics on a generated program of 72 people, 365 days, AM/PM blocks:
//! Metropolis steps (propose + O(1) ΔE + accept/undo), a 50-member fallback ensemble, one
//! loss barrier, and the free energy from scratch.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::model::PersonIdx;
use thermo_core::statmech::boltzmann::{EnsembleConfig, ScheduleEnsemble};
use thermo_core::statmech::free_energy::{EnergyModel, free_energy, metropolis_acceptance};
use thermo_core::statmech::landscape::{RepairParams, loss_energy_barrier};
use thermo_core::statmech::state::{MoveState, Scope};

#[path = "../tests/common/mod.rs"]
mod common;

const STEPS: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let schedule = common::generated(72, 365, 1);
    let model = EnergyModel::default();
    let mut group = c.benchmark_group("statmech");
    group.sample_size(10);

    let mut state = MoveState::new(&schedule, Scope::all(), &[], &model).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    group.throughput(Throughput::Elements(STEPS));
    group.bench_function("metropolis_steps_1m_72x365", |b| {
        b.iter(|| {
            let mut accepted = 0u64;
            for _ in 0..STEPS {
                if let Some(mv) = state.propose(&mut rng, false) {
                    let (delta, undo) = state.try_move(mv, 0.0);
                    let u: f64 = rng.random();
                    if u < metropolis_acceptance(delta, 2.0) {
                        accepted += 1;
                    } else {
                        state.reject(undo);
                    }
                }
            }
            black_box(accepted)
        })
    });

    group.throughput(Throughput::Elements(50));
    group.bench_function("ensemble_50_remove_2", |b| {
        b.iter(|| {
            let e = ScheduleEnsemble::generate(
                &schedule,
                &[PersonIdx(3), PersonIdx(40)],
                common::day0(),
                &model,
                &EnsembleConfig::default(),
            )
            .unwrap();
            black_box(e.members.len())
        })
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function("loss_barrier_one_person_whole_year", |b| {
        b.iter(|| {
            black_box(
                loss_energy_barrier(
                    &schedule,
                    &[PersonIdx(5)],
                    &model,
                    &RepairParams::default(),
                    1,
                )
                .unwrap()
                .barrier,
            )
        })
    });

    group.bench_function("free_energy_whole_year", |b| {
        b.iter(|| black_box(free_energy(&schedule, &model, 1.0).unwrap().free_energy))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
