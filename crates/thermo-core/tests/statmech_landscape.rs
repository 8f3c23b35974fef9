//! The move state, the landscape and the loss barrier on generated programs.

mod common;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use thermo_core::model::{PersonIdx, Schedule};
use thermo_core::statmech::free_energy::{EnergyModel, free_energy};
use thermo_core::statmech::landscape::{
    LandscapeConfig, RepairParams, analyze_landscape, loss_energy_barrier,
};
use thermo_core::statmech::state::{MoveState, Scope, VACANT};

/// Checks the hard rules on a written-back schedule: nobody twice in a block, nobody on a
/// day of approved absence (except `leave` rows), skills respected, removed persons absent.
fn assert_valid(s: &Schedule, removed: &[PersonIdx]) {
    let mut seen = std::collections::HashSet::new();
    for a in &s.assignments {
        assert!(!removed.contains(&a.person), "removed person assigned");
        assert!(seen.insert((a.person, a.block, a.role)), "double booking");
        let rot = a.rotation.map(|r| s.rotation(r));
        if let Some(r) = rot {
            if let Some(skill) = &r.required_skill {
                assert!(s.person(a.person).has_skill(skill), "skill missing");
            }
            if r.counts_as_work {
                let date = s.assignment_date(a);
                assert!(
                    !s.absences
                        .iter()
                        .any(|x| x.person == a.person && x.removes_capacity_on(date)),
                    "absent person working"
                );
            }
        }
    }
}

#[test]
fn incremental_energy_matches_recomputation_after_many_moves() {
    let s = common::generated(20, 21, 3);
    let model = EnergyModel::default();
    let mut state = MoveState::new(&s, Scope::all(), &[], &model).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut accepted = 0;
    for step in 0..20_000 {
        if let Some(mv) = state.propose(&mut rng, false) {
            let (delta, undo) = state.try_move(mv, 1.0);
            if step % 3 == 0 {
                state.reject(undo);
            } else {
                accepted += 1;
                assert!(delta.is_finite());
            }
        }
    }
    assert!(accepted > 100, "only {accepted} moves accepted");
    let fresh = state.internal_energy_from_scratch();
    assert!((state.internal_energy() - fresh).abs() < 1e-9);
    assert_valid(&state.to_schedule(&s), &[]);
    // Writing the state back and recomputing gives the same free energy.
    let back = free_energy(&state.to_schedule(&s), &model, 1.0).unwrap();
    assert!((back.free_energy - state.energy(1.0)).abs() < 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn rejected_moves_restore_the_state_exactly(seed in 0u64..1000) {
        let s = common::generated(12, 10, seed);
        let mut state = MoveState::new(&s, Scope::all(), &[], &EnergyModel::default()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let e0 = state.energy(1.0);
        let persons = state.persons().to_vec();
        for _ in 0..200 {
            if let Some(mv) = state.propose(&mut rng, false) {
                let (delta, undo) = state.try_move(mv, 1.0);
                let e1 = state.energy(1.0);
                prop_assert!((e1 - e0 - delta).abs() < 1e-9);
                state.reject(undo);
                prop_assert_eq!(state.energy(1.0).to_bits(), e0.to_bits());
            }
        }
        prop_assert_eq!(state.persons(), &persons[..]);
    }
}

#[test]
fn landscape_samples_are_reproducible_and_restore_the_schedule() {
    let s = common::generated(24, 28, 5);
    let mut state = MoveState::new(&s, Scope::all(), &[], &EnergyModel::default()).unwrap();
    let e0 = state.energy(1.0);
    let cfg = LandscapeConfig::default();
    let a = analyze_landscape(&mut state, 1.0, &cfg).unwrap();
    let b = analyze_landscape(&mut state, 1.0, &cfg).unwrap();
    assert_eq!(a, b);
    assert_eq!(state.energy(1.0).to_bits(), e0.to_bits());
    assert_eq!(a.samples, 100);
    assert!(a.landscape_ruggedness > 0.0);
    assert!(a.local_minimum_energy <= e0);
    assert_eq!(a.is_local_minimum, a.num_local_minima == 1);
}

#[test]
fn loss_barrier_repairs_without_the_removed_person() {
    let s = common::generated(24, 28, 11);
    let removed = [PersonIdx(0), PersonIdx(7)];
    let model = EnergyModel::default();
    let params = RepairParams::default();
    let barrier = loss_energy_barrier(&s, &removed, &model, &params, 1).unwrap();
    assert_eq!(
        barrier.removed,
        vec!["p000".to_string(), "p007".to_string()]
    );
    assert!(barrier.vacancies_created > 0);
    assert!(barrier.free_energy_repaired < barrier.free_energy_after_loss);
    assert!(
        (barrier.barrier - (barrier.free_energy_repaired - barrier.free_energy_before)).abs()
            < 1e-12
    );
    // Deterministic per seed.
    assert_eq!(
        barrier,
        loss_energy_barrier(&s, &removed, &model, &params, 1).unwrap()
    );
    // Losing nobody costs nothing but can only improve by descent.
    let none = loss_energy_barrier(&s, &[], &model, &params, 1).unwrap();
    assert!(none.barrier <= 0.0);
    assert_eq!(none.vacancies_created, 0);
    // Unknown persons are a typed error.
    assert!(loss_energy_barrier(&s, &[PersonIdx(999)], &model, &params, 1).is_err());
}

#[test]
fn removed_persons_leave_vacancies_that_repair_fills_with_eligible_people() {
    let s = common::generated(16, 14, 2);
    let removed = [PersonIdx(3)];
    let mut state = MoveState::new(&s, Scope::all(), &removed, &EnergyModel::default()).unwrap();
    let vacant = state.persons().iter().filter(|&&p| p == VACANT).count();
    assert!(vacant > 0);
    let filled = thermo_core::statmech::landscape::fill_vacancies(&mut state, 1.0);
    assert_eq!(filled as u64 + state.vacancies(), vacant as u64);
    assert_valid(&state.to_schedule(&s), &removed);
}

#[test]
fn idle_people_count_in_the_imbalance() {
    use chrono::NaiveDate;
    use thermo_core::model::{AssignmentRole, Person, ScheduleBuilder, Session};
    let mut b = ScheduleBuilder::new();
    for id in ["busy", "idle"] {
        b.add_person(Person::new(id)).unwrap();
    }
    for day in 1..=4 {
        b.assign(
            "busy",
            NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
    }
    let f = free_energy(&b.build(), &EnergyModel::reference(), 1.0).unwrap();
    // Loads 4 and 0: population variance 4.
    assert!((f.terms.load_variance - 4.0).abs() < 1e-12);
    assert!((f.internal_energy - 0.4).abs() < 1e-12);
}

/// Taking persons out in place gives the state a rebuild without them gives: the same
/// integers (terms, counts, movable order), F equal up to rounding of the float sums.
#[test]
fn removing_persons_in_place_matches_a_rebuild_and_restores_bit_for_bit() {
    let s = common::generated(24, 28, 5);
    let model = EnergyModel::default();
    let now = MoveState::new(&s, Scope::all(), &[], &model).unwrap();
    for removed in [
        vec![PersonIdx(0)],
        vec![PersonIdx(5), PersonIdx(17)],
        vec![PersonIdx(3), PersonIdx(3)],
        vec![],
    ] {
        let rebuilt = MoveState::new(&s, Scope::all(), &removed, &model).unwrap();
        let mut state = now.clone();
        state.remove_persons(&removed).unwrap();
        let (a, b) = (state.terms(), rebuilt.terms());
        assert_eq!(
            (a.violations, a.coverage_shortfall, a.vacancies),
            (b.violations, b.coverage_shortfall, b.vacancies)
        );
        assert!((a.load_variance - b.load_variance).abs() < 1e-12);
        assert!((a.preference_deficit - b.preference_deficit).abs() < 1e-9);
        assert!((a.hub_concentration - b.hub_concentration).abs() < 1e-9);
        assert!((state.energy(1.0) - rebuilt.energy(1.0)).abs() < 1e-9);
        assert_eq!(state.len(), rebuilt.len());
        assert_eq!(state.movable_count(), rebuilt.movable_count());
        let m = state.movable_count();
        assert_eq!(state.persons()[..m], rebuilt.persons()[..m]);
        assert_eq!(state.vacant_assignments(), rebuilt.vacant_assignments());
        assert_eq!(
            state.free_energy(1.0).assignments_counted,
            rebuilt.free_energy(1.0).assignments_counted
        );
        for a in state.vacant_assignments() {
            assert_eq!(
                state.candidates(a).collect::<Vec<_>>(),
                rebuilt.candidates(a).collect::<Vec<_>>()
            );
        }
        state.reset_to(&now);
        assert_eq!(state, now);
    }
    let mut state = now.clone();
    assert!(state.remove_persons(&[PersonIdx(999)]).is_err());
    assert_eq!(state, now);
}

/// The barrier path measures a loss on the F(now) state and undoes it: the state comes
/// back bit for bit, and the repaired F is the one `loss_energy_barrier` reports.
#[test]
fn repaired_free_energy_undoes_the_loss_and_agrees_with_the_loss_barrier() {
    let s = common::generated(20, 21, 9);
    let model = EnergyModel::default();
    let params = RepairParams {
        descent_steps: 3000,
        ..RepairParams::default()
    };
    let mut state = MoveState::new(&s, Scope::all(), &[], &model).unwrap();
    let now = state.clone();
    for p in [0u32, 4, 11, 19] {
        let removed = [PersonIdx(p)];
        let repaired = thermo_core::statmech::landscape::repaired_free_energy(
            &mut state,
            &now,
            &removed,
            1.0,
            params.descent_steps,
            7,
        )
        .unwrap();
        assert_eq!(state, now, "state restored after losing {p}");
        let barrier = loss_energy_barrier(&s, &removed, &model, &params, 7).unwrap();
        assert_eq!(repaired.to_bits(), barrier.free_energy_repaired.to_bits());
        assert!(barrier.repair_moves > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The energy of a fill computed without applying it is the energy after applying it,
    /// bit for bit.
    #[test]
    fn energy_if_filled_is_the_energy_after_the_fill(seed in 0u64..1000, who in 0u32..12) {
        let s = common::generated(12, 10, seed);
        let mut state =
            MoveState::new(&s, Scope::all(), &[PersonIdx(who)], &EnergyModel::default()).unwrap();
        for a in state.vacant_assignments() {
            let candidates: Vec<u32> = state.candidates(a).collect();
            for p in candidates {
                for t in [0.0, 1.0, 2.5] {
                    let predicted = state.energy_if_filled(a, p, t);
                    let (_, undo) = state.try_move(
                        thermo_core::statmech::state::Move::Reassign { a, from: VACANT, to: p },
                        t,
                    );
                    let actual = state.energy(t);
                    state.reject(undo);
                    prop_assert_eq!(predicted.to_bits(), actual.to_bits());
                }
            }
        }
    }

    /// The energy after a move evaluated without applying it is the energy after applying
    /// it, bit for bit, along a chain of applied moves (vacancies included).
    #[test]
    fn energy_after_is_the_energy_after_the_move(seed in 0u64..1000, who in 0u32..12) {
        let s = common::generated(12, 10, seed);
        let mut state =
            MoveState::new(&s, Scope::all(), &[PersonIdx(who)], &EnergyModel::default()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut evaluated = 0;
        for step in 0..400 {
            let Some(mv) = state.propose(&mut rng, step % 2 == 0) else { continue };
            for t in [0.0, 1.0, 2.5] {
                let Some(predicted) = state.energy_after(mv, t) else { continue };
                evaluated += 1;
                let (_, undo) = state.try_move(mv, t);
                let actual = state.energy(t);
                state.reject(undo);
                prop_assert_eq!(predicted.to_bits(), actual.to_bits());
            }
            state.apply(mv);
        }
        prop_assert!(evaluated > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A state that lost people and moved (repairs included) comes back to its origin bit
    /// for bit by `reset_to`; a state of another shape becomes a copy of the origin.
    #[test]
    fn reset_to_restores_the_origin_after_losses_and_moves(
        seed in 0u64..1000,
        who in 0u32..12,
        steps in 0usize..400,
    ) {
        let s = common::generated(12, 10, seed);
        let model = EnergyModel::default();
        let origin = MoveState::new(&s, Scope::all(), &[], &model).unwrap();
        let mut state = origin.clone();
        state.remove_persons(&[PersonIdx(who)]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..steps {
            if let Some(mv) = state.propose(&mut rng, true) {
                state.apply(mv);
            }
        }
        state.reset_to(&origin);
        prop_assert_eq!(&state, &origin);
        let mut other = MoveState::new(&s, Scope::all(), &[PersonIdx(who)], &model).unwrap();
        other.reset_to(&origin);
        prop_assert_eq!(&other, &origin);
    }
}
