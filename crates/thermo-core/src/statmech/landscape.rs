//! The free-energy landscape around a schedule, greedy descent to a local minimum, and the
//! energy barrier of losing a set of persons.
//!
//! The landscape is explored with content-changing moves ([`Move`]): swapping the persons
//! of two assignments in different blocks, reassigning an assignment to another eligible
//! person, and putting an assignment on another rotation scheduled in its block. A person
//! is eligible for an assignment when they have the rotation's `required_skill` (if any),
//! are not absent that day (approved or confirmed absence), are still on the roster, and
//! hold no other assignment in that block. Every move's ΔF is O(1) ([`MoveState`]).
//!
//! Sampling follows the reference analyzer with its defect fixed: each of `sample_size`
//! samples applies `max(1, ⌊n/10⌋)` random feasible moves (n = movable assignments) to the
//! current schedule, measures g = F(sample) − F(now) and restores the schedule.
//! - `is_local_minimum`: every g ≥ −`minimum_tolerance` (default 0.01 energy units);
//! - `estimated_basin_size`: number of samples with g ≥ 0;
//! - `mean_barrier_height`: mean of the positive g (energy units), 0 if none;
//! - `mean_gradient`: mean |g| (energy units);
//! - `landscape_ruggedness`: population standard deviation of [F(now), F(sample₁), …].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::StatmechError;
use super::free_energy::{EnergyModel, FreeEnergyConfig, check_non_negative, check_positive};
use super::state::{Move, MoveState, Scope};
use crate::model::{PersonIdx, Schedule};

/// Draws allowed to find one feasible move before giving up.
const MAX_DRAWS_PER_MOVE: usize = 10_000;

/// Draws a feasible move, or `None` when `MAX_DRAWS_PER_MOVE` draws found none.
pub fn draw_feasible<R: rand::Rng>(
    state: &MoveState,
    rng: &mut R,
    fill_vacancies: bool,
) -> Option<Move> {
    (0..MAX_DRAWS_PER_MOVE).find_map(|_| state.propose(rng, fill_vacancies))
}

/// `[landscape]` settings of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LandscapeConfig {
    /// Perturbed samples (default 100, the reference default).
    pub sample_size: usize,
    /// Moves per sample; 0 means max(1, ⌊n/10⌋), the reference's perturbation size.
    pub moves_per_sample: usize,
    /// Energy drop tolerated before a schedule stops counting as a local minimum
    /// (default 0.01 energy units, the reference tolerance).
    pub minimum_tolerance: f64,
    /// Proposals of the greedy descent to the nearest local minimum (default 20 000).
    pub descent_steps: usize,
    /// Seed of the move generator (default 42).
    pub seed: u64,
}

impl Default for LandscapeConfig {
    fn default() -> Self {
        Self {
            sample_size: 100,
            moves_per_sample: 0,
            minimum_tolerance: 0.01,
            descent_steps: 20_000,
            seed: 42,
        }
    }
}

/// The `landscape` section: the shape of F around the current schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeReport {
    /// F of the current schedule (energy units).
    pub current_energy: f64,
    /// No sample lowers F by more than the tolerance.
    pub is_local_minimum: bool,
    /// Samples with g ≥ 0 (count).
    pub estimated_basin_size: usize,
    /// Mean positive g (energy units); 0 when no sample rises.
    pub mean_barrier_height: f64,
    /// Largest g (energy units); 0 when no sample was drawn.
    pub max_barrier_height: f64,
    /// Mean |g| (energy units).
    pub mean_gradient: f64,
    /// Population standard deviation of the sampled energies, the current one included.
    pub landscape_ruggedness: f64,
    /// 1 when the schedule is a local minimum, else 0 (the reference's count).
    pub num_local_minima: usize,
    /// Samples drawn.
    pub samples: usize,
    /// Moves applied per sample.
    pub moves_per_sample: usize,
    /// F after greedy descent from the current schedule (energy units).
    pub local_minimum_energy: f64,
    /// F(now) − F(local minimum) ≥ 0: how far downhill the nearest minimum lies.
    pub depth_to_local_minimum: f64,
    /// Moves accepted by the descent.
    pub descent_moves_accepted: usize,
}

/// Explores the landscape around `state` (restored afterwards) at temperature T.
pub fn analyze_landscape(
    state: &mut MoveState,
    temperature: f64,
    config: &LandscapeConfig,
) -> Result<LandscapeReport, StatmechError> {
    check_positive("temperature", temperature)?;
    check_non_negative("minimum_tolerance", config.minimum_tolerance)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let e0 = state.energy(temperature);
    let moves_per_sample = if config.moves_per_sample == 0 {
        (state.movable_count() / 10).max(1)
    } else {
        config.moves_per_sample
    };
    let mut gaps = Vec::with_capacity(config.sample_size);
    // Each sample starts from the schedule as it is: copying it back into the state's
    // buffers is exact and much cheaper than undoing the sample's moves one by one.
    let origin = state.clone();
    if state.movable_count() > 0 {
        for _ in 0..config.sample_size {
            let mut applied = 0;
            for _ in 0..moves_per_sample {
                match draw_feasible(state, &mut rng, false) {
                    Some(mv) => {
                        state.apply(mv);
                        applied += 1;
                    }
                    None => break,
                }
            }
            if applied == 0 {
                break;
            }
            gaps.push(state.energy(temperature) - e0);
            state.reset_to(&origin);
        }
    }
    let samples = gaps.len();
    let is_min = gaps.iter().all(|&g| g >= -config.minimum_tolerance);
    let barriers: Vec<f64> = gaps.iter().copied().filter(|&g| g > 0.0).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let energies: Vec<f64> = std::iter::once(e0)
        .chain(gaps.iter().map(|g| e0 + g))
        .collect();
    let mu = mean(&energies);
    let rugged =
        (energies.iter().map(|e| (e - mu) * (e - mu)).sum::<f64>() / energies.len() as f64).sqrt();
    let abs: Vec<f64> = gaps.iter().map(|g| g.abs()).collect();

    let mut descended = origin;
    let descent = descend(
        &mut descended,
        temperature,
        config.descent_steps,
        false,
        &mut rng,
    );
    Ok(LandscapeReport {
        current_energy: e0,
        is_local_minimum: is_min,
        estimated_basin_size: gaps.iter().filter(|&&g| g >= 0.0).count(),
        mean_barrier_height: mean(&barriers),
        max_barrier_height: gaps.iter().copied().fold(0.0, f64::max),
        mean_gradient: mean(&abs),
        landscape_ruggedness: rugged,
        num_local_minima: usize::from(is_min),
        samples,
        moves_per_sample,
        local_minimum_energy: descent.energy,
        depth_to_local_minimum: (e0 - descent.energy).max(0.0),
        descent_moves_accepted: descent.accepted,
    })
}

/// The `landscape` section for `schedule` at `at`, using the free-energy window, weights
/// and temperature.
pub fn landscape_report(
    schedule: &Schedule,
    at: chrono::NaiveDate,
    free_energy: &FreeEnergyConfig,
    config: &LandscapeConfig,
) -> Result<LandscapeReport, StatmechError> {
    let scope = Scope::window(at, free_energy.window_days);
    let mut state = MoveState::new(schedule, scope, &[], &free_energy.model)?;
    analyze_landscape(&mut state, free_energy.temperature, config)
}

/// Outcome of a greedy descent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Descent {
    /// Proposals drawn.
    pub steps: usize,
    /// Moves accepted (each strictly lowered F).
    pub accepted: usize,
    /// F at the end (energy units).
    pub energy: f64,
}

/// Greedy descent: `steps` proposals, each kept only if it lowers F = U − T·S strictly.
pub fn descend<R: rand::Rng>(
    state: &mut MoveState,
    temperature: f64,
    steps: usize,
    fill_vacancies: bool,
    rng: &mut R,
) -> Descent {
    let mut accepted = 0;
    // F of the current state, carried along: the state's F is a function of its sums,
    // which a rejected move restores exactly, so this equals a fresh evaluation bit for bit.
    let mut energy = state.energy(temperature);
    for _ in 0..steps {
        let Some(mv) = state.propose(rng, fill_vacancies) else {
            continue;
        };
        // Most proposals are rejected: evaluate them without applying and undoing when
        // the move allows it (bit-identical to the applied value).
        if let Some(after) = state.energy_after(mv, temperature) {
            if after - energy < 0.0 {
                state.apply(mv);
                accepted += 1;
                energy = after;
            }
            continue;
        }
        let (after, undo) = state.try_move_from(mv, temperature);
        if after - energy < 0.0 {
            accepted += 1;
            energy = after;
        } else {
            state.reject(undo);
        }
    }
    Descent {
        steps,
        accepted,
        energy,
    }
}

/// Fills every vacancy that has an eligible person, each with the person whose arrival
/// lowers F = U − T·S the most (ties: lowest person index), in assignment order. Returns
/// the number filled.
pub fn fill_vacancies(state: &mut MoveState, temperature: f64) -> usize {
    let mut filled = 0;
    for a in state.vacant_assignments() {
        // ΔF of each filler, computed without applying the move (bit-identical to applying
        // it and measuring, see `MoveState::energy_if_filled`).
        let before = state.energy(temperature);
        let mut best: Option<(f64, u32)> = None;
        for p in state.candidates(a) {
            let delta = state.energy_if_filled(a, p, temperature) - before;
            if best.is_none_or(|(d, _)| delta < d) {
                best = Some((delta, p));
            }
        }
        if let Some((_, p)) = best {
            let mv = Move::Reassign {
                a,
                from: super::state::VACANT,
                to: p,
            };
            state.apply(mv);
            filled += 1;
        }
    }
    filled
}

/// Settings of the repair after a loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepairParams {
    /// T of F = U − T·S (energy units per nat; default 1.0).
    pub temperature: f64,
    /// Greedy-descent proposals after the vacancies are filled (default 20 000).
    pub descent_steps: usize,
    /// First date in scope (`None` = the schedule's start).
    pub from: Option<chrono::NaiveDate>,
    /// First date after the scope (`None` = the schedule's end).
    pub to: Option<chrono::NaiveDate>,
}

impl Default for RepairParams {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            descent_steps: 20_000,
            from: None,
            to: None,
        }
    }
}

/// The energy barrier of losing a set of persons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossBarrier {
    /// Ids of the persons removed.
    pub removed: Vec<String>,
    /// F of the schedule now (energy units).
    pub free_energy_before: f64,
    /// F right after the loss, their work left vacant (energy units).
    pub free_energy_after_loss: f64,
    /// F after repair by moves (energy units).
    pub free_energy_repaired: f64,
    /// F(repaired) − F(now) (energy units): the cost of absorbing the loss. Low or negative
    /// means the schedule absorbs the loss easily; high means the loss hurts.
    pub barrier: f64,
    /// Work assignments of the removed persons (count).
    pub vacancies_created: u64,
    /// Vacancies no eligible person could take (count).
    pub vacancies_unfilled: u64,
    /// Coverage shortfall now (person-sessions).
    pub coverage_shortfall_before: u64,
    /// Coverage shortfall after repair (person-sessions).
    pub coverage_shortfall_repaired: u64,
    /// Moves accepted during repair (fills plus descent moves).
    pub repair_moves: usize,
}

/// Removes `removed` from the roster, repairs the schedule by moves and returns
/// `barrier = F(after loss, repaired) − F(now)`.
///
/// Repair: every vacancy (a work assignment of a removed person) is filled with the
/// eligible person who lowers F the most ([`fill_vacancies`]); then a greedy descent of
/// `params.descent_steps` proposals (swap, reassign, change rotation; reassign may also fill
/// a vacancy that became fillable) keeps only moves that lower F. Deterministic per `seed`.
/// The roster for the workload variance shrinks with the loss (removed persons carry no
/// load and are not counted).
pub fn loss_energy_barrier(
    schedule: &Schedule,
    removed: &[PersonIdx],
    model: &EnergyModel,
    params: &RepairParams,
    seed: u64,
) -> Result<LossBarrier, StatmechError> {
    check_positive("temperature", params.temperature)?;
    let scope = Scope {
        from: params.from,
        to: params.to,
    };
    let now = MoveState::new(schedule, scope, &[], model)?;
    let mut state = now.clone();
    // The same in-place derivation as `repaired_free_energy`, so both give the same barrier.
    state.remove_persons(removed)?;
    let (repaired, after_loss, created, moves) =
        repair(&mut state, params.temperature, params.descent_steps, seed);
    Ok(LossBarrier {
        removed: removed
            .iter()
            .map(|p| schedule.person(*p).id.clone())
            .collect(),
        free_energy_before: now.energy(params.temperature),
        free_energy_after_loss: after_loss,
        free_energy_repaired: repaired,
        barrier: repaired - now.energy(params.temperature),
        vacancies_created: created,
        vacancies_unfilled: state.vacancies(),
        coverage_shortfall_before: now.coverage_shortfall(),
        coverage_shortfall_repaired: state.coverage_shortfall(),
        repair_moves: moves,
    })
}

/// F = U − T·S (energy units) after losing `removed` and repairing exactly as
/// [`loss_energy_barrier`] does, measured on `state`, which must equal `origin`, the state
/// of the repair's scope with nobody removed. On return `state` equals `origin` again, bit
/// for bit, whatever the outcome. The barrier is this minus `origin.energy(temperature)`.
///
/// For callers that measure many losses of one schedule: the schedule is scanned once; each
/// loss takes the persons out in place ([`MoveState::remove_persons`]), repairs, and copies
/// `origin` back into the working state's buffers ([`MoveState::reset_to`]). Each result
/// depends only on the state, the loss and the seed, never on which losses were measured
/// before.
pub fn repaired_free_energy(
    state: &mut MoveState,
    origin: &MoveState,
    removed: &[PersonIdx],
    temperature: f64,
    descent_steps: usize,
    seed: u64,
) -> Result<f64, StatmechError> {
    check_positive("temperature", temperature)?;
    debug_assert!(
        state == origin,
        "the working state must start as a copy of origin"
    );
    state.remove_persons(removed)?;
    fill_vacancies(state, temperature);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let repaired = descend(state, temperature, descent_steps, true, &mut rng).energy;
    state.reset_to(origin);
    Ok(repaired)
}

/// Repairs a state that has vacancies: fill, then descend. Returns
/// (F repaired, F before repair, vacancies before repair, moves accepted).
pub(crate) fn repair(
    state: &mut MoveState,
    temperature: f64,
    descent_steps: usize,
    seed: u64,
) -> (f64, f64, u64, usize) {
    let after_loss = state.energy(temperature);
    let created = state.vacancies();
    let filled = fill_vacancies(state, temperature);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = descend(state, temperature, descent_steps, true, &mut rng);
    (d.energy, after_loss, created, filled + d.accepted)
}
