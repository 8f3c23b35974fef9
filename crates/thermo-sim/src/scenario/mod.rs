//! The scenario simulator: a staffed service evolving hour by hour, with a ground truth.
//!
//! A run simulates units (default six: ward, icu, ed, clinic, procedures, night) staffed by
//! people who each have a home unit and a service rate, on a duty roster of three 8-hour
//! shifts a day. Work arrives per unit (Poisson with a time-varying rate, or from a real
//! hourly series, [`HourlyArrivals`]); each unit serves `min(work present, capacity)` per
//! hour and carries the rest as backlog. Rebalancing works at a finite speed and with a
//! reaction delay: backlog moves from the most loaded units to units with spare capacity
//! (a limited number of tasks per hour) and people are redeployed between units (a limited
//! number per day). People fall absent (a daily hazard, raised by contagion and by an
//! absence season), which opens shifts that colleagues may or may not cover; swap requests
//! rise with overload. Near saturation the queue recovers more and more slowly from every
//! fluctuation, so the indicators of critical slowing down arise from the dynamics, not from
//! a script.
//!
//! Each hour the simulator hands one [`HourObservation`] to a caller-supplied sink (one
//! buffer, reused); after the run it returns the [`RunLayout`], the [`GroundTruth`] it
//! decided from its own state (the first sustained utilization breach or coverage failure,
//! and the unit where it started), and the [`StressPlan`] it applied. The model, the
//! scenarios and the definitions are documented in `docs/compare.md` ("Scenario simulator").
//!
//! Runs are deterministic per (configuration, scenario, seed): one `ChaCha8Rng` seeded with
//! the seed, on a stream chosen by the scenario, consumed in a fixed order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::stream::{GroundTruth, HourObservation, RunLayout, UnitIdx};

mod arrivals;
mod bundle;
mod config;
mod engine;

pub use arrivals::HourlyArrivals;
pub use bundle::{RecordedRun, RunEvent, record_run, record_run_with, to_schedule};
pub use config::{
    AbsenceConfig, ArrivalConfig, CommonKeys, DEFAULT_UNITS, GradualPreset, GroundTruthConfig,
    MassAbsencePreset, NullSeasonalPreset, NullStationaryPreset, RebalancingConfig, RecoveryPreset,
    ScenarioConfig, ScenarioPresets, SimulatorConfig, SpikePreset, StaffingConfig, SwapConfig,
    UnevenPreset,
};
pub use engine::Simulator;

/// The named scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// The stressed unit's load rises linearly until it saturates.
    GradualLoadIncrease,
    /// The stressed unit's load jumps for one to three days.
    SuddenSpike,
    /// A constant total load shifts towards the stressed unit.
    UnevenDistribution,
    /// Repeated load pulses while the base load rises: recovery slows, then fails.
    RecoveryDynamics,
    /// An absence season empties the stressed unit's roster.
    MassAbsence,
    /// No stress; arrivals follow the planned capacity of each shift only.
    NullStationary,
    /// No stress; arrivals with daily and weekly cycles.
    NullSeasonal,
}

impl ScenarioKind {
    /// Every scenario, in documentation order.
    pub const ALL: [Self; 7] = [
        Self::GradualLoadIncrease,
        Self::SuddenSpike,
        Self::UnevenDistribution,
        Self::RecoveryDynamics,
        Self::MassAbsence,
        Self::NullStationary,
        Self::NullSeasonal,
    ];

    /// The scenarios that force a transition.
    pub const FORCED: [Self; 5] = [
        Self::GradualLoadIncrease,
        Self::SuddenSpike,
        Self::UnevenDistribution,
        Self::RecoveryDynamics,
        Self::MassAbsence,
    ];

    /// The null scenarios (no stress).
    pub const NULL: [Self; 2] = [Self::NullStationary, Self::NullSeasonal];

    /// The scenario's name (`gradual_load_increase`, …), as in the TOML file.
    pub fn name(self) -> &'static str {
        match self {
            Self::GradualLoadIncrease => "gradual_load_increase",
            Self::SuddenSpike => "sudden_spike",
            Self::UnevenDistribution => "uneven_distribution",
            Self::RecoveryDynamics => "recovery_dynamics",
            Self::MassAbsence => "mass_absence",
            Self::NullStationary => "null_stationary",
            Self::NullSeasonal => "null_seasonal",
        }
    }

    /// Whether this is a null scenario (no stress applied).
    pub fn is_null(self) -> bool {
        matches!(self, Self::NullStationary | Self::NullSeasonal)
    }

    /// Position in [`ScenarioKind::ALL`]; also the random stream a run uses.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScenarioKind {
    type Err = ScenarioError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ScenarioError::Invalid {
                key: "scenario".to_owned(),
                value: format!("{s:?}"),
                expected: format!("one of {}", Self::ALL.map(|k| k.name()).join(", ")),
            })
    }
}

/// What the scenario did to a run (for the scorer and for tests; a detector must not read
/// it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StressPlan {
    /// The scenario.
    pub scenario: ScenarioKind,
    /// The unit the stress targets (configured or drawn per seed); `None` for null
    /// scenarios.
    pub stressed_unit: Option<UnitIdx>,
    /// Hour at which the stress starts; `None` for null scenarios. `recovery_dynamics`
    /// pulses start at hour 0; this is the start of the rise of its base load.
    pub onset_hour: Option<u32>,
}

/// The result of one run, returned after the last hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// Units and people of the run.
    pub layout: RunLayout,
    /// The critical transition, decided by the simulator from its own state.
    pub truth: GroundTruth,
    /// What the scenario applied.
    pub plan: StressPlan,
}

/// Receives a run as it unfolds: the layout first, then every hour in order.
///
/// Any `FnMut(&HourObservation)` closure is a sink that ignores the layout.
pub trait RunSink {
    /// Called once, before the first hour.
    fn start(&mut self, layout: &RunLayout) {
        let _ = layout;
    }

    /// Called once per simulated hour, in order. The observation is a reused buffer: copy
    /// what must be kept.
    fn observe(&mut self, hour: &HourObservation);
}

impl<F: FnMut(&HourObservation)> RunSink for F {
    fn observe(&mut self, hour: &HourObservation) {
        self(hour)
    }
}

/// Why a scenario could not be configured or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The TOML file is not valid TOML, or has an unknown key or a value of the wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message (with line, column and key).
        message: String,
    },
    /// A value is out of range.
    #[error("`{key}` = {value}: expected {expected}")]
    Invalid {
        /// Dotted key path (`simulator.staffing.planned_day`).
        key: String,
        /// The offending value.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// The arrival CSV has problems; every one is listed.
    #[error("{} problem(s) in the arrival series:\n{}", .0.len(), join_diagnostics(.0))]
    Csv(Vec<thermo_io::Diagnostic>),
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
}

fn join_diagnostics(d: &[thermo_io::Diagnostic]) -> String {
    d.iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one scenario with a fresh [`Simulator`], streaming every hour to `sink`.
pub fn simulate(
    config: &ScenarioConfig,
    scenario: ScenarioKind,
    seed: u64,
    mut sink: impl FnMut(&HourObservation),
) -> Result<RunOutput, ScenarioError> {
    let mut sim = Simulator::new(config)?;
    Ok(sim.run(scenario, seed, &mut sink))
}

#[cfg(test)]
mod tests;
