//! The live stream of a scenario run: what the simulator emits each hour and what every
//! detector of the module comparison consumes.
//!
//! A run is a [`RunLayout`] (units and people, fixed for the run) followed by one
//! [`HourObservation`] per simulated hour, in order. Detectors see the observations one at
//! a time, as a live service would, so nothing they compute can look ahead. The
//! [`GroundTruth`] of a run is decided by the simulator from its own state, independently
//! of every detector, and is only revealed to the scorer after the run.

use serde::{Deserialize, Serialize};

/// Dense index of a unit within a run (position in [`RunLayout::units`]).
pub type UnitIdx = usize;

/// Units and people of a run; fixed for the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunLayout {
    /// Unit ids (ward, clinic, …), in index order.
    pub units: Vec<String>,
    /// People, in index order; `PersonHour` entries follow the same order.
    pub people: Vec<PersonInfo>,
    /// Simulated hours in the run.
    pub hours: u32,
    /// Wall-clock instant of hour 0 (UTC), used when a run is written as a bundle.
    pub start: chrono::DateTime<chrono::Utc>,
}

/// One person of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonInfo {
    /// Person id.
    pub id: String,
    /// Home unit.
    pub unit: UnitIdx,
    /// Tasks per hour this person completes when on duty.
    pub service_rate: f64,
}

/// Everything observable about one simulated hour.
///
/// The simulator reuses one value between hours (the vectors keep their capacity), so a
/// detector must copy what it wants to keep.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HourObservation {
    /// Hours since the start of the run (0-based).
    pub hour: u32,
    /// One entry per unit, in [`RunLayout::units`] order.
    pub units: Vec<UnitHour>,
    /// One entry per person, in [`RunLayout::people`] order.
    pub people: Vec<PersonHour>,
    /// Rebalancing moves completed during the hour.
    pub transfers: Vec<TransferEvent>,
    /// Swap or cover requests raised during the hour (behavioural precursors).
    pub swap_requests: u32,
    /// Absences that started during the hour.
    pub absences_started: u32,
}

/// One unit during one hour.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct UnitHour {
    /// Tasks that arrived (new work), count.
    pub arrivals: f64,
    /// Tasks completed, count.
    pub served: f64,
    /// Tasks waiting at the end of the hour, count.
    pub backlog: f64,
    /// Tasks the unit's present staff can complete per hour.
    pub capacity: f64,
    /// People of the unit on duty (present and rostered).
    pub staff_on_duty: u32,
    /// People of the unit absent.
    pub staff_absent: u32,
    /// Minimum number of people on duty the unit requires this hour.
    pub required_staff: u32,
}

/// One person during one hour.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PersonHour {
    /// Hours worked in this hour (0 or 1; fractional for partial shifts).
    pub hours_worked: f64,
    /// Whether the person is absent.
    pub absent: bool,
    /// Unit the person worked in this hour (home unit unless redeployed).
    pub unit: UnitIdx,
}

/// Tasks moved from one unit to another.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TransferEvent {
    /// Source unit.
    pub from: UnitIdx,
    /// Destination unit.
    pub to: UnitIdx,
    /// Tasks moved.
    pub tasks: f64,
}

/// What actually happened in a run, decided by the simulator alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Hour of the critical transition: the first hour of the first sustained utilization
    /// breach or coverage failure; `None` when the run never crosses it.
    pub transition_hour: Option<u32>,
    /// Unit where the transition starts; `None` when there is no transition.
    pub root_unit: Option<UnitIdx>,
    /// What crossed first.
    pub cause: Option<TransitionCause>,
}

/// The kind of critical transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionCause {
    /// A unit's utilization stayed at or above the breach level for the sustain period.
    UtilizationBreach,
    /// A unit had fewer people on duty than required for the sustain period.
    CoverageFailure,
}
