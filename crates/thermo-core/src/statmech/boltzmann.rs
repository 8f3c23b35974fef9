//! Boltzmann distribution over schedules: stable probabilities and partition estimates,
//! a Metropolis sampler, and ensembles of distinct fallback schedules for a loss scenario.
//!
//! Energies are in energy units, temperatures in energy units per nat (k_B = 1):
//! p_i = exp(−(E_i − E_min)/T) / Σ_j exp(−(E_j − E_min)/T) (log-sum-exp stable), and
//! ln Z_ens = −E_min/T + ln Σ_i exp(−(E_i − E_min)/T) over **distinct** states, a lower bound
//! on ln Z; F_ens = −T·ln Z_ens.
//!
//! The sampler draws moves from [`MoveState::propose`] (swap persons 0.5, reassign 0.25,
//! change rotation 0.25; a symmetric proposal) and accepts with probability
//! [`metropolis_acceptance`]`(ΔE, T)`: u < p with u uniform in [0, 1). An infeasible draw is
//! a rejected step. The sampled energy is E = U − t·S with `entropy_temperature` t (default
//! 0: the internal energy U, since the Boltzmann weights already count configurations).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::StatmechError;
use super::free_energy::{EnergyModel, check_non_negative, check_positive, metropolis_acceptance};
use super::landscape::repair;
use super::state::{MoveState, Scope};
use crate::model::{PersonIdx, Schedule};

fn check_energies(energies: &[f64]) -> Result<(), StatmechError> {
    match energies.iter().find(|e| !e.is_finite()) {
        Some(&value) => Err(StatmechError::NonFinite {
            field: "energy",
            value,
        }),
        None => Ok(()),
    }
}

/// Boltzmann probabilities of distinct states with energies `energies` at temperature T > 0;
/// they sum to 1 (empty input → empty output).
pub fn ensemble_probabilities(
    energies: &[f64],
    temperature: f64,
) -> Result<Vec<f64>, StatmechError> {
    check_positive("temperature", temperature)?;
    check_energies(energies)?;
    let Some(e_min) = energies.iter().copied().reduce(f64::min) else {
        return Ok(Vec::new());
    };
    let w: Vec<f64> = energies
        .iter()
        .map(|e| (-(e - e_min) / temperature).exp())
        .collect();
    let z: f64 = w.iter().sum();
    Ok(w.into_iter().map(|x| x / z).collect())
}

/// Log partition estimate over distinct states and the matching ensemble free energy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogPartition {
    /// ln Z_ens (dimensionless), a lower bound on ln Z.
    pub ln_z: f64,
    /// F_ens = −T·ln Z_ens (energy units).
    pub free_energy: f64,
}

/// ln Z over distinct states: −E_min/T + ln Σ exp(−(E_i − E_min)/T). Needs ≥ 1 energy.
pub fn log_partition_estimate(
    energies: &[f64],
    temperature: f64,
) -> Result<LogPartition, StatmechError> {
    check_positive("temperature", temperature)?;
    check_energies(energies)?;
    let e_min = energies
        .iter()
        .copied()
        .reduce(f64::min)
        .ok_or_else(|| StatmechError::NotEnoughData("no energies".into()))?;
    let sum: f64 = energies
        .iter()
        .map(|e| (-(e - e_min) / temperature).exp())
        .sum();
    let ln_z = -e_min / temperature + sum.ln();
    Ok(LogPartition {
        ln_z,
        free_energy: -temperature * ln_z,
    })
}

/// Settings of one Metropolis run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplerParams {
    /// Sampling temperature T > 0 (energy units per nat).
    pub temperature: f64,
    /// Steps (proposals) to run.
    pub steps: usize,
    /// Steps discarded before recording.
    pub burn_in: usize,
    /// Record the state after step s when s > burn_in and (s − burn_in) % thinning == 0.
    pub thinning: usize,
    /// t of the sampled energy E = U − t·S (0 = internal energy).
    pub entropy_temperature: f64,
}

/// Counters of a Metropolis run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SamplerStats {
    /// Steps run.
    pub proposed: usize,
    /// Steps whose draw was a feasible move.
    pub feasible: usize,
    /// Moves accepted.
    pub accepted: usize,
    /// accepted / proposed (0 when nothing was proposed).
    pub acceptance_rate: f64,
}

/// Runs the Metropolis chain on `state` and calls `record` with the state and its energy at
/// every recorded step (see [`SamplerParams::thinning`]); `record` returns `false` to stop.
pub fn metropolis_sample<R: Rng>(
    state: &mut MoveState,
    params: &SamplerParams,
    rng: &mut R,
    mut record: impl FnMut(&MoveState, f64) -> bool,
) -> Result<SamplerStats, StatmechError> {
    check_positive("temperature", params.temperature)?;
    check_non_negative("entropy_temperature", params.entropy_temperature)?;
    if params.thinning == 0 {
        return Err(StatmechError::InvalidParameter {
            name: "thinning",
            value: 0.0,
        });
    }
    let t = params.temperature;
    let et = params.entropy_temperature;
    let mut stats = SamplerStats::default();
    for step in 1..=params.steps {
        stats.proposed += 1;
        if let Some(mv) = state.propose(rng, false) {
            stats.feasible += 1;
            let (delta, undo) = state.try_move(mv, et);
            let p = metropolis_acceptance(delta, t);
            let u: f64 = rng.random();
            if u < p {
                stats.accepted += 1;
            } else {
                state.reject(undo);
            }
        }
        if step > params.burn_in
            && (step - params.burn_in).is_multiple_of(params.thinning)
            && !record(state, state.energy(et))
        {
            break;
        }
    }
    stats.acceptance_rate = if stats.proposed == 0 {
        0.0
    } else {
        stats.accepted as f64 / stats.proposed as f64
    };
    Ok(stats)
}

/// `[ensemble]` settings (`thermo ensemble`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Members wanted (default 50).
    pub size: usize,
    /// Sampling temperature (default 2.0 energy units per nat).
    pub temperature: f64,
    /// Steps between recorded samples (default 10).
    pub thinning: usize,
    /// Steps discarded first (default 0: the chain starts from the repaired schedule).
    pub burn_in: usize,
    /// Step budget; 0 means max(1000, 100 × size, 2 × thinning × size).
    pub max_steps: usize,
    /// A member is valid when its internal energy U is below this (default 100).
    pub quality_threshold: f64,
    /// Days from the scenario date whose assignments are re-planned (default 28); 0 = all.
    pub horizon_days: u32,
    /// Greedy-descent proposals of the repair that starts the chain (default 20 000).
    pub repair_steps: usize,
    /// T of F = U − T·S used by the repair (default 1.0).
    pub repair_temperature: f64,
    /// Seed (default 42).
    pub seed: u64,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self {
            size: 50,
            temperature: 2.0,
            thinning: 10,
            burn_in: 0,
            max_steps: 0,
            quality_threshold: 100.0,
            horizon_days: 28,
            repair_steps: 20_000,
            repair_temperature: 1.0,
            seed: 42,
        }
    }
}

/// One fallback schedule of an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleMember {
    /// 1-based rank by energy (ties: sampling order).
    pub rank: usize,
    /// Internal energy U (energy units).
    pub energy: f64,
    /// Boltzmann probability within the ensemble at the sampling temperature.
    pub probability: f64,
    /// Coverage shortfall (person-sessions).
    pub coverage_shortfall: u64,
    /// Work left unassigned (count).
    pub vacancies: u64,
    /// Fraction of assignments whose person differs from the repaired start.
    pub distance_from_start: f64,
    /// Mean normalised Hamming distance to the other members, in [0, 1].
    pub diversity: f64,
    /// Chain step at which it was recorded.
    pub step: usize,
    #[serde(skip)]
    persons: Vec<u32>,
    #[serde(skip)]
    columns: Vec<u32>,
}

/// Statistics of an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleStats {
    /// Chain counters.
    pub sampler: SamplerStats,
    /// Recorded samples kept.
    pub samples_collected: usize,
    /// Recorded samples dropped (invalid or duplicate).
    pub samples_rejected: usize,
    /// Mean member energy (energy units).
    pub energy_mean: f64,
    /// Population standard deviation of member energies.
    pub energy_std: f64,
    /// Lowest member energy.
    pub energy_min: f64,
    /// Highest member energy.
    pub energy_max: f64,
    /// Mean pairwise normalised Hamming distance between members, in [0, 1].
    pub diversity: f64,
    /// ln Z over the distinct members and F_ens = −T ln Z.
    pub partition: Option<LogPartition>,
    /// Σ p_i [member i has a coverage gap]: probability of a coverage gap.
    pub coverage_gap_probability: f64,
    /// U of the schedule before the loss (energy units).
    pub energy_before_loss: f64,
    /// U of the repaired start (energy units).
    pub energy_repaired: f64,
}

/// A ranked ensemble of distinct valid fallback schedules.
#[derive(Debug, Clone)]
pub struct ScheduleEnsemble {
    /// Members by rank.
    pub members: Vec<EnsembleMember>,
    /// Statistics.
    pub stats: EnsembleStats,
    /// Sampling temperature.
    pub temperature: f64,
    template: MoveState,
}

fn canonical_hash(state: &MoveState) -> u64 {
    let mut key: Vec<(u32, u32, u32)> = state
        .blocks()
        .iter()
        .zip(state.persons())
        .zip(state.columns())
        .map(|((&b, &p), &c)| (b, p, c))
        .collect();
    key.sort_unstable();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

fn hamming(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / a.len() as f64
}

impl ScheduleEnsemble {
    /// Generates the ensemble for losing `removed`, re-planning the assignments of `schedule`
    /// in `[at, at + horizon_days)`: the removed persons' work becomes vacancies, the repair
    /// fills them and descends ([`super::landscape::loss_energy_barrier`]'s repair), then the
    /// Metropolis chain at `temperature` records every `thinning` steps and keeps a sample if
    /// it is valid (U < `quality_threshold`) and its canonical configuration (the sorted
    /// multiset of (block, person, rotation)) is new, until `size` members or the step budget.
    pub fn generate(
        schedule: &Schedule,
        removed: &[PersonIdx],
        at: chrono::NaiveDate,
        model: &EnergyModel,
        config: &EnsembleConfig,
    ) -> Result<Self, StatmechError> {
        check_positive("temperature", config.temperature)?;
        check_positive("repair_temperature", config.repair_temperature)?;
        if !config.quality_threshold.is_finite() {
            return Err(StatmechError::InvalidParameter {
                name: "quality_threshold",
                value: config.quality_threshold,
            });
        }
        if config.size == 0 {
            return Err(StatmechError::InvalidParameter {
                name: "size",
                value: 0.0,
            });
        }
        let scope = Scope::window(at, config.horizon_days);
        let before = MoveState::new(schedule, scope, &[], model)?;
        let mut state = MoveState::new(schedule, scope, removed, model)?;
        repair(
            &mut state,
            config.repair_temperature,
            config.repair_steps,
            config.seed,
        );
        let template = state.clone();
        let start = state.persons().to_vec();
        let max_steps = if config.max_steps == 0 {
            (100 * config.size)
                .max(1000)
                .max(2 * config.thinning.max(1) * config.size)
        } else {
            config.max_steps
        };
        let params = SamplerParams {
            temperature: config.temperature,
            steps: max_steps,
            burn_in: config.burn_in,
            thinning: config.thinning,
            entropy_temperature: 0.0,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(1));
        let mut seen: HashSet<u64> = HashSet::new();
        let mut members: Vec<EnsembleMember> = Vec::new();
        let mut rejected = 0;
        let mut step = 0;
        let sampler = metropolis_sample(&mut state, &params, &mut rng, |s, energy| {
            step += params.thinning;
            if energy < config.quality_threshold && seen.insert(canonical_hash(s)) {
                members.push(EnsembleMember {
                    rank: 0,
                    energy,
                    probability: 0.0,
                    coverage_shortfall: s.coverage_shortfall(),
                    vacancies: s.vacancies(),
                    distance_from_start: hamming(s.persons(), &start),
                    diversity: 0.0,
                    step: step + params.burn_in,
                    persons: s.persons().to_vec(),
                    columns: s.columns().to_vec(),
                });
            } else {
                rejected += 1;
            }
            members.len() < config.size
        })?;
        members.sort_by(|a, b| a.energy.total_cmp(&b.energy).then(a.step.cmp(&b.step)));
        let energies: Vec<f64> = members.iter().map(|m| m.energy).collect();
        let probs = ensemble_probabilities(&energies, config.temperature)?;
        for (i, (m, p)) in members.iter_mut().zip(probs).enumerate() {
            m.rank = i + 1;
            m.probability = p;
        }
        let n = members.len();
        let mean = if n == 0 {
            0.0
        } else {
            energies.iter().sum::<f64>() / n as f64
        };
        let std = if n == 0 {
            0.0
        } else {
            (energies
                .iter()
                .map(|e| (e - mean) * (e - mean))
                .sum::<f64>()
                / n as f64)
                .sqrt()
        };
        let mut pair_sum = 0.0;
        let mut member_sum = vec![0.0; n];
        for i in 0..n {
            for j in i + 1..n {
                let h = hamming(&members[i].persons, &members[j].persons);
                pair_sum += h;
                member_sum[i] += h;
                member_sum[j] += h;
            }
        }
        if n > 1 {
            for (m, sum) in members.iter_mut().zip(member_sum) {
                m.diversity = sum / (n - 1) as f64;
            }
        }
        let pairs = n * n.saturating_sub(1) / 2;
        let stats = EnsembleStats {
            sampler,
            samples_collected: n,
            samples_rejected: rejected,
            energy_mean: mean,
            energy_std: std,
            energy_min: energies.first().copied().unwrap_or(0.0),
            energy_max: energies.last().copied().unwrap_or(0.0),
            diversity: if pairs == 0 {
                0.0
            } else {
                pair_sum / pairs as f64
            },
            partition: log_partition_estimate(&energies, config.temperature).ok(),
            coverage_gap_probability: members
                .iter()
                .filter(|m| m.coverage_shortfall > 0)
                .map(|m| m.probability)
                .sum::<f64>()
                + 0.0,
            energy_before_loss: before.internal_energy(),
            energy_repaired: template.internal_energy(),
        };
        Ok(Self {
            members,
            stats,
            temperature: config.temperature,
            template,
        })
    }

    /// Σ p_i f(member i): the Boltzmann-weighted ensemble average of a member property.
    pub fn ensemble_average(&self, f: impl Fn(&EnsembleMember) -> f64) -> f64 {
        // `+ 0.0` turns the empty sum's −0.0 into 0.0.
        self.members
            .iter()
            .map(|m| m.probability * f(m))
            .sum::<f64>()
            + 0.0
    }

    /// The `n` lowest-energy members (already in rank order).
    pub fn low_energy(&self, n: usize) -> &[EnsembleMember] {
        &self.members[..n.min(self.members.len())]
    }

    /// Member `index` (0-based rank order) written into a copy of `schedule`: its
    /// re-planned assignments replace the originals; removed persons appear in no assignment.
    pub fn member_schedule(&self, schedule: &Schedule, index: usize) -> Option<Schedule> {
        let m = self.members.get(index)?;
        Some(self.template.write_back(schedule, &m.persons, &m.columns))
    }
}
