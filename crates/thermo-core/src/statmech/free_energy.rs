//! Helmholtz free energy of a schedule, F = U − T·S, its energy model, cooling schedules
//! and the Metropolis acceptance probability.
//!
//! Units: energies are dimensionless "energy units" (the weights of [`EnergyModel`] fix
//! their scale); the configuration entropy S is in **nats** (natural log, k_B = 1), the one
//! entropy unit of the whole statistical-mechanics layer, so that F = U − T·S agrees with
//! the Boltzmann weights exp(−E/T) of [`super::boltzmann`]. The temperature T is in the
//! same energy units per nat.
//!
//! The internal energy U is a weighted sum of six terms (see [`EnergyModel`]); the first
//! three are the reference system's, with its default weights:
//! - workload imbalance: population variance of the per-person work load (sessions²) over
//!   the active roster (everyone on the roster who was not removed, idle people included);
//! - preference: Σ (1 − score) over assignments that carry a score;
//! - hard violations: the number of assignments flagged as violating a hard rule;
//! - coverage shortfall: Σ over scheduled slots (block, rotation) of
//!   max(0, `min_coverage` − people covering the slot), in person-sessions;
//! - vacancies: assignments left without a person after a loss (person-sessions);
//! - hub concentration: the work-weighted mean Herfindahl index of each rotation's
//!   assignments over people, Σ_r (n_r/N)·Σ_p (c_pr/n_r)², in (0, 1].
//!
//! The configuration entropy is S = −Σ p ln p over the (person, rotation) pairs of the
//! assigned assignments (an assignment without rotation forms its own pair with the person).

use serde::{Deserialize, Serialize};

use super::StatmechError;
use super::state::{MoveState, Scope};
use crate::model::Schedule;

/// Weights of the internal energy U. Every weight is a finite, non-negative number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyModel {
    /// Energy per session² of workload variance (default 0.1, the reference weight).
    pub imbalance_weight: f64,
    /// Energy per unit of (1 − score) summed over scored assignments (default 0.5, reference).
    pub preference_weight: f64,
    /// Energy per assignment flagged as a hard violation (default 1.0, reference).
    pub violation_weight: f64,
    /// Energy per missing person-session against a rotation's `min_coverage` (default 10.0:
    /// a gap costs far more than any plausible imbalance move, ≈ e^−5 per gap at T = 2).
    pub coverage_weight: f64,
    /// Energy per assignment left without a person after a loss (default 5.0).
    pub vacancy_weight: f64,
    /// Energy per unit of hub concentration, an index in (0, 1] (default 1.0).
    pub hub_weight: f64,
}

impl Default for EnergyModel {
    fn default() -> Self {
        Self {
            imbalance_weight: 0.1,
            preference_weight: 0.5,
            violation_weight: 1.0,
            coverage_weight: 10.0,
            vacancy_weight: 5.0,
            hub_weight: 1.0,
        }
    }
}

impl EnergyModel {
    /// The reference system's energy: imbalance, preference and violations only
    /// (coverage, vacancy and hub weights 0). Used to reproduce its golden values.
    pub fn reference() -> Self {
        Self {
            coverage_weight: 0.0,
            vacancy_weight: 0.0,
            hub_weight: 0.0,
            ..Self::default()
        }
    }

    /// Checks that every weight is finite and non-negative.
    pub fn validate(&self) -> Result<(), StatmechError> {
        for (name, value) in [
            ("imbalance_weight", self.imbalance_weight),
            ("preference_weight", self.preference_weight),
            ("violation_weight", self.violation_weight),
            ("coverage_weight", self.coverage_weight),
            ("vacancy_weight", self.vacancy_weight),
            ("hub_weight", self.hub_weight),
        ] {
            check_non_negative(name, value)?;
        }
        Ok(())
    }
}

pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<(), StatmechError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(StatmechError::InvalidParameter { name, value })
    }
}

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<(), StatmechError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(StatmechError::InvalidParameter { name, value })
    }
}

/// The raw quantities behind U, before weighting.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EnergyTerms {
    /// Population variance of per-person work load over the active roster (sessions²).
    pub load_variance: f64,
    /// Σ (1 − score) over scored assignments (dimensionless).
    pub preference_deficit: f64,
    /// Assignments flagged as hard violations (count).
    pub violations: u64,
    /// Missing person-sessions against `min_coverage` over scheduled slots.
    pub coverage_shortfall: u64,
    /// Assignments without a person (count).
    pub vacancies: u64,
    /// Work-weighted mean Herfindahl index of rotations over people, in [0, 1].
    pub hub_concentration: f64,
}

/// The weighted contributions to U (energy units); they add up to U.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EnergyComponents {
    /// `imbalance_weight` × load variance.
    pub imbalance: f64,
    /// `preference_weight` × preference deficit.
    pub preference: f64,
    /// `violation_weight` × violations.
    pub violations: f64,
    /// `coverage_weight` × coverage shortfall.
    pub coverage: f64,
    /// `vacancy_weight` × vacancies.
    pub vacancies: f64,
    /// `hub_weight` × hub concentration.
    pub hub: f64,
}

impl EnergyComponents {
    /// Weights the raw terms.
    pub fn of(terms: &EnergyTerms, model: &EnergyModel) -> Self {
        Self {
            imbalance: model.imbalance_weight * terms.load_variance,
            preference: model.preference_weight * terms.preference_deficit,
            violations: model.violation_weight * terms.violations as f64,
            coverage: model.coverage_weight * terms.coverage_shortfall as f64,
            vacancies: model.vacancy_weight * terms.vacancies as f64,
            hub: model.hub_weight * terms.hub_concentration,
        }
    }

    /// U, the sum of the components.
    pub fn total(&self) -> f64 {
        self.imbalance
            + self.preference
            + self.violations
            + self.coverage
            + self.vacancies
            + self.hub
    }
}

/// Free energy of one schedule state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FreeEnergy {
    /// F = U − T·S (energy units).
    pub free_energy: f64,
    /// U (energy units).
    pub internal_energy: f64,
    /// T·S (energy units).
    pub entropy_term: f64,
    /// T (energy units per nat).
    pub temperature: f64,
    /// S, configuration entropy of the (person, rotation) pairs (nats).
    pub configuration_entropy: f64,
    /// Assignments flagged as hard violations (count).
    pub constraint_violations: u64,
    /// The weighted parts of U.
    pub components: EnergyComponents,
    /// The raw terms behind the components.
    pub terms: EnergyTerms,
    /// Assignments counted (in the window).
    pub assignments_counted: usize,
}

/// Free energy of the assignments of `schedule` dated in `[from, to)` at temperature T > 0.
pub fn free_energy_between(
    schedule: &Schedule,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    model: &EnergyModel,
    temperature: f64,
) -> Result<FreeEnergy, StatmechError> {
    check_positive("temperature", temperature)?;
    let state = MoveState::new(schedule, Scope { from, to }, &[], model)?;
    Ok(state.free_energy(temperature))
}

/// Free energy of every assignment of `schedule` at temperature T > 0.
pub fn free_energy(
    schedule: &Schedule,
    model: &EnergyModel,
    temperature: f64,
) -> Result<FreeEnergy, StatmechError> {
    free_energy_between(schedule, None, None, model, temperature)
}

/// Cooling schedule of a simulated anneal (`T(t)` for iteration t ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoolingSchedule {
    /// T₀·rate^t.
    Exponential,
    /// T₀ − rate·t.
    Linear,
    /// T₀ / ln(t + 2).
    Logarithmic,
    /// T₀ / (1 + t).
    Cauchy,
    /// T₀ / (1 + ln(1 + t)).
    Boltzmann,
    /// Exponential cooling whose rate adapts to the acceptance ratio (see [`AdaptiveCooling`]).
    Adaptive,
}

/// Temperature at iteration `iteration` (clamped at 0) of a cooling schedule, floored at
/// `min_temp`. [`CoolingSchedule::Adaptive`] evaluates as exponential with the given
/// rate (its rate changes between calls through [`AdaptiveCooling`]).
pub fn cooling_temperature(
    iteration: i64,
    initial_temp: f64,
    cooling_rate: f64,
    schedule: CoolingSchedule,
    min_temp: f64,
) -> f64 {
    let t = iteration.max(0) as f64;
    let temp = match schedule {
        CoolingSchedule::Exponential | CoolingSchedule::Adaptive => {
            initial_temp * cooling_rate.powf(t)
        }
        CoolingSchedule::Linear => initial_temp - cooling_rate * t,
        CoolingSchedule::Logarithmic => initial_temp / (t + 2.0).ln(),
        CoolingSchedule::Cauchy => initial_temp / (1.0 + t),
        CoolingSchedule::Boltzmann => initial_temp / (1.0 + (1.0 + t).ln()),
    };
    temp.max(min_temp)
}

/// Adaptive exponential cooling: the rate moves toward a target acceptance ratio.
///
/// After each temperature step, an acceptance ratio below `target × 0.8` slows cooling
/// (rate ↑ by `adaptation`, i.e. rate^(1/1.05) toward 1), one above `target × 1.2` speeds it
/// up (rate ↓); the rate stays in `[min_rate, max_rate]`. Defaults: target 0.3, rate 0.95,
/// band [0.90, 0.99], adaptation factor 1.05 (the solver specification's values).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveCooling {
    /// Current temperature.
    pub temperature: f64,
    /// Current cooling rate (multiplier per step).
    pub rate: f64,
    /// Target acceptance ratio.
    pub target_acceptance: f64,
    /// Lowest rate (fastest cooling).
    pub min_rate: f64,
    /// Highest rate (slowest cooling).
    pub max_rate: f64,
    /// Factor applied to the rate's distance from 1.
    pub adaptation: f64,
    /// Temperature floor.
    pub min_temp: f64,
}

impl AdaptiveCooling {
    /// Starts at `initial_temp` with the documented defaults.
    pub fn new(initial_temp: f64) -> Self {
        Self {
            temperature: initial_temp,
            rate: 0.95,
            target_acceptance: 0.3,
            min_rate: 0.90,
            max_rate: 0.99,
            adaptation: 1.05,
            min_temp: 0.01,
        }
    }

    /// Cools one step given the acceptance ratio observed at the current temperature and
    /// returns the new temperature.
    pub fn step(&mut self, acceptance: f64) -> f64 {
        let gap = 1.0 - self.rate;
        if acceptance < self.target_acceptance * 0.8 {
            self.rate = 1.0 - gap / self.adaptation;
        } else if acceptance > self.target_acceptance * 1.2 {
            self.rate = 1.0 - gap * self.adaptation;
        }
        self.rate = self.rate.clamp(self.min_rate, self.max_rate);
        self.temperature = (self.temperature * self.rate).max(self.min_temp);
        self.temperature
    }
}

/// Metropolis acceptance probability of an energy change ΔE at temperature T:
/// 1 if ΔE ≤ 0; 0 if T ≤ 0; 0 if −ΔE/T < −700 (below f64's useful range); else exp(−ΔE/T).
pub fn metropolis_acceptance(delta_e: f64, temperature: f64) -> f64 {
    if delta_e <= 0.0 {
        return 1.0;
    }
    if temperature <= 0.0 {
        return 0.0;
    }
    let x = -delta_e / temperature;
    if x < -700.0 { 0.0 } else { x.exp() }
}

/// Temperature for a defense level (GREEN 0.5, YELLOW 1.0, ORANGE 2.0, RED 5.0,
/// BLACK 10.0, anything else 1.0): the more stressed the service, the wider the search.
pub fn temperature_for_defense_level(level: &str) -> f64 {
    match level.to_ascii_uppercase().as_str() {
        "GREEN" => 0.5,
        "YELLOW" => 1.0,
        "ORANGE" => 2.0,
        "RED" => 5.0,
        "BLACK" => 10.0,
        _ => 1.0,
    }
}

/// `[free_energy]` settings of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreeEnergyConfig {
    /// T of F = U − T·S (energy units per nat; default 1.0, the reference default).
    pub temperature: f64,
    /// Days of schedule from the analysis date in scope (default 28); 0 = whole schedule.
    pub window_days: u32,
    /// Energy weights.
    pub model: EnergyModel,
}

impl Default for FreeEnergyConfig {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            window_days: 28,
            model: EnergyModel::default(),
        }
    }
}

/// Stability reading of F (the reference thresholds): F < −1 very stable, < 0 stable,
/// < 1 marginal, otherwise unstable.
pub fn stability_label(free_energy: f64) -> &'static str {
    if free_energy < -1.0 {
        "very_stable"
    } else if free_energy < 0.0 {
        "stable"
    } else if free_energy < 1.0 {
        "marginal"
    } else {
        "unstable"
    }
}

/// The `free_energy` section of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeEnergyReport {
    /// F = U − T·S (energy units).
    pub free_energy: f64,
    /// U (energy units).
    pub internal_energy: f64,
    /// T·S (energy units).
    pub entropy_term: f64,
    /// T (energy units per nat).
    pub temperature: f64,
    /// S (nats).
    pub configuration_entropy: f64,
    /// Hard violations (count).
    pub constraint_violations: u64,
    /// Weighted parts of U.
    pub components: EnergyComponents,
    /// Raw terms behind the components.
    pub terms: EnergyTerms,
    /// Assignments in the window.
    pub assignments_counted: usize,
    /// `very_stable`, `stable`, `marginal` or `unstable`.
    pub stability: String,
}

impl FreeEnergyReport {
    /// The report of one free-energy computation.
    pub fn of(f: &FreeEnergy) -> Self {
        Self {
            free_energy: f.free_energy,
            internal_energy: f.internal_energy,
            entropy_term: f.entropy_term,
            temperature: f.temperature,
            configuration_entropy: f.configuration_entropy,
            constraint_violations: f.constraint_violations,
            components: f.components,
            terms: f.terms,
            assignments_counted: f.assignments_counted,
            stability: stability_label(f.free_energy).to_owned(),
        }
    }
}

/// The `[free_energy]` section for `schedule` at `at` (window `[at, at + window_days)`).
pub fn free_energy_report(
    schedule: &Schedule,
    at: chrono::NaiveDate,
    config: &FreeEnergyConfig,
) -> Result<FreeEnergyReport, StatmechError> {
    let scope = Scope::window(at, config.window_days);
    config.model.validate()?;
    check_positive("temperature", config.temperature)?;
    let state = MoveState::new(schedule, scope, &[], &config.model)?;
    free_energy_report_on(&state, config.temperature)
}

/// [`free_energy_report`] from the move state of its window, for callers that already hold
/// it (the analysis shares one state between this section, the landscape and the barriers).
pub fn free_energy_report_on(
    state: &MoveState,
    temperature: f64,
) -> Result<FreeEnergyReport, StatmechError> {
    check_positive("temperature", temperature)?;
    Ok(FreeEnergyReport::of(&state.free_energy(temperature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metropolis_edges() {
        assert_eq!(metropolis_acceptance(-5.0, 1.0), 1.0);
        assert_eq!(metropolis_acceptance(0.0, 0.0), 1.0);
        assert_eq!(metropolis_acceptance(5.0, 0.0), 0.0);
        assert_eq!(metropolis_acceptance(1.0, 0.001), 0.0);
        assert!((metropolis_acceptance(2.0, 3.0) - (-2.0f64 / 3.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn adaptive_cooling_slows_when_acceptance_is_low_and_stays_in_band() {
        let mut c = AdaptiveCooling::new(10.0);
        c.step(0.05);
        assert!(c.rate > 0.95 && c.temperature < 10.0);
        for _ in 0..200 {
            c.step(0.9);
        }
        assert!((c.rate - 0.90).abs() < 1e-12);
        assert!(c.temperature >= 0.01);
    }

    #[test]
    fn model_rejects_negative_or_nan_weights() {
        let mut m = EnergyModel::default();
        assert!(m.validate().is_ok());
        m.hub_weight = f64::NAN;
        assert!(m.validate().is_err());
        m.hub_weight = -1.0;
        assert!(m.validate().is_err());
    }

    #[test]
    fn defense_levels() {
        assert_eq!(temperature_for_defense_level("red"), 5.0);
        assert_eq!(temperature_for_defense_level("purple"), 1.0);
    }
}
