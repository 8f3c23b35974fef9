//! Time to simulate one default run (6 units, ~63 people, 672 hours) with a no-op sink,
//! per scenario, reusing one simulator as the comparison does.

use criterion::{Criterion, criterion_group, criterion_main};
use thermo_sim::scenario::{ScenarioConfig, ScenarioKind, Simulator};
use thermo_sim::stream::HourObservation;

fn bench_scenario(c: &mut Criterion) {
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).expect("the default configuration is valid");
    for kind in [
        ScenarioKind::GradualLoadIncrease,
        ScenarioKind::MassAbsence,
        ScenarioKind::NullSeasonal,
    ] {
        let mut seed = 0u64;
        c.bench_function(&format!("scenario run {kind} (672 h)"), |b| {
            b.iter(|| {
                seed += 1;
                let mut served = 0.0;
                let out = sim.run(kind, seed, &mut |h: &HourObservation| {
                    served += h.units[0].served;
                });
                std::hint::black_box((out, served))
            })
        });
    }
}

criterion_group!(benches, bench_scenario);
criterion_main!(benches);
