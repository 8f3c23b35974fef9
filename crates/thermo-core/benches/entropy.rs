//! Entropy counting pass and whole-schedule entropy over 1,000,000 assignments.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thermo_core::entropy::{EntropyCounter, NO_ROTATION, schedule_entropy};
use thermo_core::model::{
    Assignment, AssignmentRole, Block, BlockIdx, Person, PersonIdx, Rotation, RotationIdx,
    ScheduleBuilder, Session,
};

const N: usize = 1_000_000;
const PEOPLE: u32 = 2_000;
const ROTATIONS: u32 = 20;
const DAYS: u32 = 365;

fn columns() -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut p = Vec::with_capacity(N);
    let mut r = Vec::with_capacity(N);
    let mut b = Vec::with_capacity(N);
    for _ in 0..N {
        p.push(rng.random_range(0..PEOPLE));
        r.push(if rng.random_bool(0.05) {
            NO_ROTATION
        } else {
            rng.random_range(0..ROTATIONS)
        });
        b.push(rng.random_range(0..DAYS * 2));
    }
    (p, r, b)
}

fn bench(c: &mut Criterion) {
    let (p, r, b) = columns();
    let mut group = c.benchmark_group("entropy");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("counting_pass_1m", |bench| {
        bench.iter(|| {
            let mut counter =
                EntropyCounter::new(PEOPLE as usize, ROTATIONS as usize, (DAYS * 2) as usize);
            counter.count(black_box(&p), black_box(&r), black_box(&b));
            black_box(counter.finish(PEOPLE as usize))
        })
    });

    let mut builder = ScheduleBuilder::new();
    for i in 0..PEOPLE {
        builder.add_person(Person::new(format!("p{i}"))).unwrap();
    }
    for i in 0..ROTATIONS {
        builder
            .add_rotation(Rotation::new(format!("r{i}")))
            .unwrap();
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let blocks: Vec<BlockIdx> = (0..DAYS * 2)
        .map(|i| {
            let session = if i % 2 == 0 { Session::Am } else { Session::Pm };
            builder.intern_block(Block {
                date: start + chrono::Duration::days((i / 2) as i64),
                session,
            })
        })
        .collect();
    for i in 0..N {
        builder
            .add_assignment(Assignment {
                person: PersonIdx(p[i]),
                block: blocks[b[i] as usize],
                rotation: (r[i] != NO_ROTATION).then_some(RotationIdx(r[i])),
                role: AssignmentRole::Primary,
                score: None,
                violation: false,
                created_at: None,
            })
            .unwrap();
    }
    let schedule = builder.build();
    group.bench_function("schedule_entropy_1m", |bench| {
        bench.iter(|| black_box(schedule_entropy(black_box(&schedule))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
