//! Boltzmann probabilities, the Metropolis sampler against exact enumeration, and ensembles.

mod common;

use std::collections::HashMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use thermo_core::model::{AssignmentRole, Person, PersonIdx, Rotation, ScheduleBuilder, Session};
use thermo_core::statmech::boltzmann::{
    EnsembleConfig, SamplerParams, ScheduleEnsemble, ensemble_probabilities,
    log_partition_estimate, metropolis_sample,
};
use thermo_core::statmech::free_energy::EnergyModel;
use thermo_core::statmech::state::{Move, MoveState, Scope};

proptest! {
    #[test]
    fn probabilities_sum_to_one_and_follow_energy(
        energies in prop::collection::vec(-1e4f64..1e4, 1..40),
        t in 0.01f64..100.0,
    ) {
        let p = ensemble_probabilities(&energies, t).unwrap();
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        for i in 0..energies.len() {
            for j in 0..energies.len() {
                if energies[i] < energies[j] {
                    prop_assert!(p[i] >= p[j]);
                }
            }
        }
        // F_ens ≤ min E (free energy of a set of states lies below its lowest energy).
        let lz = log_partition_estimate(&energies, t).unwrap();
        let e_min = energies.iter().copied().fold(f64::INFINITY, f64::min);
        prop_assert!(lz.free_energy <= e_min + 1e-9);
    }
}

#[test]
fn probabilities_survive_huge_energies_and_reject_bad_input() {
    let p = ensemble_probabilities(&[1e6, 1e6 + 1.0], 1.0).unwrap();
    assert!((p[0] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-12);
    let lz = log_partition_estimate(&[5000.0, 5000.0], 2.0).unwrap();
    assert!((lz.ln_z - (-2500.0 + 2f64.ln())).abs() < 1e-9);
    assert!(ensemble_probabilities(&[1.0], 0.0).is_err());
    assert!(ensemble_probabilities(&[f64::NAN], 1.0).is_err());
    assert!(log_partition_estimate(&[], 1.0).is_err());
}

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

/// Four people, rotations `x` (minimum 2) and `y` (minimum 1), two blocks: block 1 holds
/// `x`, `x`, `y`, block 2 one `x`. Rotation changes may not empty a scheduled slot, so block
/// 1 always keeps at least one `x` and one `y` (6 of the 8 rotation patterns) and block 2
/// stays `x`. With 24 ordered triples of people in block 1 and 4 people in block 2 there are
/// 24 × 6 × 4 = 576 configurations, all connected by the three kinds of move.
fn tiny() -> thermo_core::model::Schedule {
    let mut b = ScheduleBuilder::new();
    for id in ["a", "b", "c", "d"] {
        b.add_person(Person::new(id)).unwrap();
    }
    for (id, min) in [("x", 2), ("y", 1)] {
        let mut r = Rotation::new(id);
        r.min_coverage = min;
        b.add_rotation(r).unwrap();
    }
    for (p, day, rot) in [("a", 2, "x"), ("b", 2, "x"), ("c", 2, "y"), ("d", 3, "x")] {
        b.assign(p, d(day), Session::Am, Some(rot), AssignmentRole::Primary)
            .unwrap();
    }
    b.build()
}

type Config = ([u32; 4], [u32; 4]);

#[test]
fn sampled_frequencies_match_exact_boltzmann_probabilities() {
    let s = tiny();
    // A soft coverage weight keeps every configuration's expected count large enough for χ².
    let model = EnergyModel {
        coverage_weight: 1.0,
        ..EnergyModel::default()
    };
    let base = MoveState::new(&s, Scope::all(), &[], &model).unwrap();
    // Enumerate every configuration by setting persons and rotations directly.
    let mut states: Vec<Config> = Vec::new();
    for p0 in 0..4 {
        for p1 in 0..4 {
            for p2 in 0..4 {
                if p0 == p1 || p0 == p2 || p1 == p2 {
                    continue;
                }
                for p3 in 0..4 {
                    for pattern in 0..8u32 {
                        let cols = [pattern & 1, (pattern >> 1) & 1, (pattern >> 2) & 1, 0];
                        if cols[..3].iter().all(|&c| c == cols[0]) {
                            continue;
                        }
                        states.push(([p0, p1, p2, p3], cols));
                    }
                }
            }
        }
    }
    assert_eq!(states.len(), 576);
    let energy_of = |(persons, cols): &Config| {
        let mut st = base.clone();
        for a in 0..4u32 {
            let (from_p, from_c) = (st.persons()[a as usize], st.columns()[a as usize]);
            st.apply(Move::ChangeRotation {
                a,
                from: from_c,
                to: cols[a as usize],
            });
            st.apply(Move::Reassign {
                a,
                from: from_p,
                to: persons[a as usize],
            });
        }
        st.internal_energy()
    };
    let energies: Vec<f64> = states.iter().map(energy_of).collect();
    let t = 2.0;
    let exact = ensemble_probabilities(&energies, t).unwrap();
    let index: HashMap<Config, usize> = states.iter().enumerate().map(|(i, s)| (*s, i)).collect();

    let mut state = base.clone();
    let params = SamplerParams {
        temperature: t,
        steps: 3_000_000,
        burn_in: 1000,
        thinning: 30,
        entropy_temperature: 0.0,
    };
    let mut counts = vec![0u64; states.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let stats = metropolis_sample(&mut state, &params, &mut rng, |st, e| {
        let p = st.persons();
        let c = st.columns();
        let key = ([p[0], p[1], p[2], p[3]], [c[0], c[1], c[2], c[3]]);
        // Every visited state is one of the enumerated ones, with the same energy.
        let i = index[&key];
        assert!((e - energies[i]).abs() < 1e-9);
        counts[i] += 1;
        true
    })
    .unwrap();
    assert!(stats.acceptance_rate > 0.05);
    let n: u64 = counts.iter().sum();
    let chi2: f64 = counts
        .iter()
        .zip(&exact)
        .map(|(&o, &p)| {
            let e = p * n as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    let critical = ChiSquared::new((states.len() - 1) as f64)
        .unwrap()
        .inverse_cdf(0.999);
    assert!(
        chi2 < critical,
        "chi2 {chi2} >= critical {critical} (n = {n})"
    );
}

#[test]
fn ensemble_members_are_distinct_valid_and_never_use_removed_people() {
    let s = common::generated(30, 28, 4);
    let removed = [PersonIdx(2), PersonIdx(9)];
    let config = EnsembleConfig {
        size: 20,
        ..EnsembleConfig::default()
    };
    let e = ScheduleEnsemble::generate(
        &s,
        &removed,
        common::day0(),
        &EnergyModel::default(),
        &config,
    )
    .unwrap();
    assert_eq!(e.members.len(), 20);
    let total: f64 = e.members.iter().map(|m| m.probability).sum();
    assert!((total - 1.0).abs() < 1e-9);
    for w in e.members.windows(2) {
        assert!(w[0].energy <= w[1].energy);
    }
    assert!(e.stats.diversity > 0.0 && e.stats.diversity <= 1.0);
    assert!(
        e.members
            .iter()
            .all(|m| m.energy < config.quality_threshold)
    );
    let gap = e.ensemble_average(|m| f64::from(u8::from(m.coverage_shortfall > 0)));
    assert!((gap - e.stats.coverage_gap_probability).abs() < 1e-12);
    for i in 0..e.members.len() {
        let member = e.member_schedule(&s, i).unwrap();
        assert!(
            member
                .assignments
                .iter()
                .all(|a| !removed.contains(&a.person))
        );
    }
    // Reproducible per seed.
    let again = ScheduleEnsemble::generate(
        &s,
        &removed,
        common::day0(),
        &EnergyModel::default(),
        &config,
    )
    .unwrap();
    assert_eq!(again.members, e.members);
    // A threshold no member can meet gives an empty ensemble, not an error.
    let strict = EnsembleConfig {
        quality_threshold: -1.0,
        ..config
    };
    let none = ScheduleEnsemble::generate(
        &s,
        &removed,
        common::day0(),
        &EnergyModel::default(),
        &strict,
    )
    .unwrap();
    assert!(none.members.is_empty());
    assert!(none.stats.samples_rejected > 0);
}
