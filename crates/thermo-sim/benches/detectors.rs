//! Per-check cost of every detector module of the comparison: one 672-hour run of a
//! synthetic six-unit, 48-person stream, reported per hour (one health check).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_sim::detectors::{Check, DetectorsConfig, build_detectors};
use thermo_sim::stream::{HourObservation, PersonHour, TransferEvent, UnitHour};

const HOURS: u32 = 672;
const UNITS: usize = 6;
const PEOPLE: usize = 48;

fn stream() -> Vec<HourObservation> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..HOURS)
        .map(|h| HourObservation {
            hour: h,
            units: (0..UNITS)
                .map(|_| {
                    let arrivals = rng.random_range(2.0..10.0);
                    UnitHour {
                        arrivals,
                        served: arrivals.min(8.0),
                        backlog: rng.random_range(0.0..15.0),
                        capacity: 10.0,
                        staff_on_duty: rng.random_range(1..5),
                        staff_absent: 0,
                        required_staff: 2,
                    }
                })
                .collect(),
            people: (0..PEOPLE)
                .map(|p| PersonHour {
                    hours_worked: if (h as usize + p) % 24 < 8 { 1.0 } else { 0.0 },
                    absent: false,
                    unit: p % UNITS,
                })
                .collect(),
            transfers: (0..rng.random_range(0..3))
                .map(|_| TransferEvent {
                    from: rng.random_range(0..UNITS),
                    to: rng.random_range(0..UNITS),
                    tasks: 2.0,
                })
                .collect(),
            swap_requests: rng.random_range(0..2),
            absences_started: 0,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let obs = stream();
    let mut group = c.benchmark_group("detector_check");
    group.sample_size(20);
    group.throughput(Throughput::Elements(u64::from(HOURS)));
    let modules = build_detectors(&DetectorsConfig::default()).unwrap_or_default();
    for mut m in modules {
        let name = m.channels()[0].to_owned();
        let mut out = vec![Check::default(); m.channels().len()];
        group.bench_function(name, |b| {
            b.iter(|| {
                m.reset();
                for o in &obs {
                    m.update(black_box(o), &mut out);
                }
                black_box(out[0])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
