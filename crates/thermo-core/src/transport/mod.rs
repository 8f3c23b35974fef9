//! Transport dynamics: how fast work leaves the stressed units compared with how fast it
//! arrives (saturation gradient, boundary layer, effective diffusion, Péclet number, time to
//! saturation) — thermo-spec §3.3 and Decisions 4–5.
//!
//! All rates are in blocks (work sessions) per day; utilizations are dimensionless; the
//! Péclet number is `λ·L/D_eff` with the characteristic length `L` dimensionless (1 by
//! default), so it is an arrival/out-flow ratio. Every definition, unit and default is in
//! `docs/transport.md`.
//!
//! [`check_transport`] runs one check on a schedule in O(A + E + n log n) for A
//! assignments, E swaps and n units; [`evaluate`] is the same computation on prepared unit
//! states and flows (used by tests and callers with their own event source).

pub mod stigmergy;
pub mod unbounded;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Schedule, SwapKind, SwapStatus};
use crate::queueing::utilization::{HorizonLoads, work_sessions};

/// Minutes per day, for the time-to-saturation gauge.
pub const MINUTES_PER_DAY: f64 = 1440.0;

/// What a diffusion unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UnitGrouping {
    /// Each person is a unit (default).
    #[default]
    Person,
    /// Each rotation is a unit; a person's capacity is shared among their rotations in
    /// proportion to their load there.
    Rotation,
    /// Each organisational unit (`person.unit`) is a unit.
    Unit,
}

/// Transport settings (`[transport]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransportConfig {
    /// Load horizon H in days, forward from the analysis date (default 28).
    pub horizon_days: u32,
    /// Rate window W in days, back from the analysis date (default 7).
    pub window_days: u32,
    /// Sessions per open day of a full-time person, b (default 2.0); a person's own
    /// `capacity_per_day` scales it (`b × capacity_per_day / 2`).
    pub capacity_per_day: f64,
    /// Utilization at or above which a unit is in the saturation zone, ρ_sat (default 0.8).
    pub saturation_threshold: f64,
    /// Share of units in the stressed set, q (default 0.25: the top quartile).
    pub stressed_fraction: f64,
    /// Characteristic length L (dimensionless, default 1.0).
    pub characteristic_length: f64,
    /// Decay constant k per day shared by trail evaporation and the EWMA arrival rate
    /// (default 0.1).
    pub decay_per_day: f64,
    /// Péclet number above which PE_WARNING fires and the band becomes
    /// `approaching_critical` (default 0.8).
    pub peclet_warning: f64,
    /// Péclet number above which PE_CRITICAL fires (default 1.0).
    pub peclet_critical: f64,
    /// Péclet number at or above which PE_UNSTABLE fires and the band is `unstable`
    /// (default 1.2).
    pub peclet_unstable: f64,
    /// Saturation gradient above which GRADIENT_WARNING fires (default 0.15).
    pub gradient_warning: f64,
    /// Saturation gradient above which, with Pe above the warning, GRADIENT_MIXING fires
    /// (default 0.20).
    pub gradient_mixing: f64,
    /// Boundary-layer thickness above which BOUNDARY_LAYER fires (default 0.4).
    pub boundary_layer_warning: f64,
    /// The diffusion unit (default `person`).
    pub unit: UnitGrouping,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            horizon_days: 28,
            window_days: 7,
            capacity_per_day: 2.0,
            saturation_threshold: 0.8,
            stressed_fraction: 0.25,
            characteristic_length: 1.0,
            decay_per_day: 0.1,
            peclet_warning: 0.8,
            peclet_critical: 1.0,
            peclet_unstable: 1.2,
            gradient_warning: 0.15,
            gradient_mixing: 0.20,
            boundary_layer_warning: 0.4,
            unit: UnitGrouping::Person,
        }
    }
}

/// An invalid `[transport]` setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("transport.{key}: {message}")]
pub struct TransportConfigError {
    /// The key.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl TransportConfig {
    /// Checks every number is finite and in range, and the Péclet thresholds are ordered.
    pub fn validate(&self) -> Result<(), TransportConfigError> {
        let err = |key, message: &str| TransportConfigError {
            key,
            message: message.to_owned(),
        };
        if self.horizon_days == 0 {
            return Err(err("horizon_days", "must be at least 1"));
        }
        if self.window_days == 0 {
            return Err(err("window_days", "must be at least 1"));
        }
        let positive = [
            ("capacity_per_day", self.capacity_per_day),
            ("saturation_threshold", self.saturation_threshold),
            ("characteristic_length", self.characteristic_length),
        ];
        for (key, v) in positive {
            if !v.is_finite() || v <= 0.0 {
                return Err(err(key, "must be a finite number > 0"));
            }
        }
        let non_negative = [
            ("decay_per_day", self.decay_per_day),
            ("peclet_warning", self.peclet_warning),
            ("peclet_critical", self.peclet_critical),
            ("peclet_unstable", self.peclet_unstable),
            ("gradient_warning", self.gradient_warning),
            ("gradient_mixing", self.gradient_mixing),
            ("boundary_layer_warning", self.boundary_layer_warning),
        ];
        for (key, v) in non_negative {
            if !v.is_finite() || v < 0.0 {
                return Err(err(key, "must be a finite number ≥ 0"));
            }
        }
        if !(self.stressed_fraction.is_finite()
            && self.stressed_fraction > 0.0
            && self.stressed_fraction <= 1.0)
        {
            return Err(err("stressed_fraction", "must be in (0, 1]"));
        }
        if !(self.peclet_warning <= self.peclet_critical
            && self.peclet_critical <= self.peclet_unstable)
        {
            return Err(err(
                "peclet_critical",
                "Péclet thresholds must satisfy warning ≤ critical ≤ unstable",
            ));
        }
        Ok(())
    }
}

/// Péclet band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PecletBand {
    /// Pe < warning (0.8): rebalancing keeps up with arrivals.
    Stable,
    /// warning ≤ Pe < unstable (0.8–1.2).
    ApproachingCritical,
    /// Pe ≥ unstable (1.2): the boundary layer thickens.
    Unstable,
}

/// Severity of a transport alert, and the highest one of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportLevel {
    /// No alert.
    Ok,
    /// Watch.
    Warning,
    /// Act.
    Critical,
    /// Act now.
    Emergency,
}

/// Alert codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransportAlertCode {
    /// Pe > peclet_warning.
    PeWarning,
    /// Pe > peclet_critical.
    PeCritical,
    /// Pe ≥ peclet_unstable.
    PeUnstable,
    /// G > gradient_warning.
    GradientWarning,
    /// G > gradient_mixing and Pe > peclet_warning.
    GradientMixing,
    /// δ > boundary_layer_warning.
    BoundaryLayer,
}

impl PecletBand {
    /// The name used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::ApproachingCritical => "approaching_critical",
            Self::Unstable => "unstable",
        }
    }
}

impl TransportLevel {
    /// The name used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Emergency => "emergency",
        }
    }
}

impl TransportAlertCode {
    /// The code used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PeWarning => "PE_WARNING",
            Self::PeCritical => "PE_CRITICAL",
            Self::PeUnstable => "PE_UNSTABLE",
            Self::GradientWarning => "GRADIENT_WARNING",
            Self::GradientMixing => "GRADIENT_MIXING",
            Self::BoundaryLayer => "BOUNDARY_LAYER",
        }
    }
}

impl UnitGrouping {
    /// The name used in configuration and the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Rotation => "rotation",
            Self::Unit => "unit",
        }
    }
}

/// One alert of a transport check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportAlert {
    /// Alert code.
    pub code: TransportAlertCode,
    /// Severity.
    pub level: TransportLevel,
    /// What it means.
    pub message: String,
    /// The measured value (`null` when unbounded).
    #[serde(with = "unbounded")]
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
}

/// One unit in a transport check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitTransport {
    /// Unit id (person id, rotation id or organisational unit).
    pub unit: String,
    /// Load in the horizon, sessions.
    pub load: f64,
    /// Capacity in the horizon, sessions.
    pub capacity: f64,
    /// ρ_u = load / capacity (`null` = unbounded: load without capacity).
    #[serde(with = "unbounded")]
    pub utilization: f64,
    /// Whether the unit is in the stressed set S.
    pub stressed: bool,
    /// λ_u: blocks arriving per day in the window (new work and transfers in).
    pub arrival_rate: f64,
    /// r_u: blocks leaving per day in the window (transfers out).
    pub outflow_rate: f64,
    /// Minutes until ρ_u reaches 1 at the current net rate; `null` when it is not rising.
    pub time_to_saturation_minutes: Option<f64>,
}

/// The `transport` section of the analysis report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportReport {
    /// The diffusion unit.
    pub unit_grouping: UnitGrouping,
    /// Units with capacity or load in the horizon (n).
    pub unit_count: usize,
    /// Capacity-weighted mean utilization ρ̄ = Σ load / Σ capacity (0 when n = 0; `null` =
    /// unbounded: load without any capacity).
    #[serde(with = "unbounded")]
    pub system_utilization: f64,
    /// Ids of the stressed set S (top ⌈q·n⌉ by ρ, ties by ascending id), in that order.
    pub stressed_units: Vec<String>,
    /// G = max(0, mean ρ over S − ρ̄) (`null` = unbounded).
    #[serde(with = "unbounded")]
    pub saturation_gradient: f64,
    /// δ = share of units with ρ ≥ ρ_sat.
    pub boundary_layer_thickness: f64,
    /// λ: blocks per day entering S from outside S (new work or transfers) in the window.
    pub arrival_rate: f64,
    /// λ as an EWMA over the whole history, k·Σ w·e^{−k·age}, blocks per day.
    pub arrival_rate_ewma: f64,
    /// D_eff: blocks per day leaving S for units outside S (or the pool) in the window.
    pub effective_diffusion: f64,
    /// D_cap: min(spare capacity outside S per day, swap throughput) × permeability, blocks
    /// per day.
    pub potential_diffusion: f64,
    /// Mean current strength of swap-affinity trails between S and the rest (0 when none).
    pub permeability: f64,
    /// Pe = λ·L/D_eff; `null` when unbounded (arrivals without any out-flow).
    #[serde(with = "unbounded")]
    pub peclet_number: f64,
    /// Whether Pe is `+∞`.
    pub peclet_unbounded: bool,
    /// Péclet band.
    pub band: PecletBand,
    /// Minimum over units of the time to saturation, in minutes; `null` when no unit is
    /// heading to saturation.
    pub time_to_saturation_minutes: Option<f64>,
    /// Highest alert level.
    pub level: TransportLevel,
    /// Units in ascending id order.
    pub units: Vec<UnitTransport>,
    /// Alerts in table order.
    pub alerts: Vec<TransportAlert>,
}

/// Load and capacity of one unit over the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitState {
    /// Unit id.
    pub id: String,
    /// Load, sessions.
    pub load: f64,
    /// Capacity, sessions.
    pub capacity: f64,
}

/// Blocks moved from one unit to another (or from / to outside every unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    /// Source unit index; `None` for new work.
    pub from: Option<usize>,
    /// Destination unit index; `None` for the pool (absorbed outside every unit).
    pub to: Option<usize>,
    /// Blocks moved.
    pub blocks: f64,
    /// Age at the analysis instant in days (> 0).
    pub age_days: f64,
}

/// Everything [`evaluate`] needs: units and the flows between them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransportInput {
    /// Units (indices are positions here).
    pub units: Vec<UnitState>,
    /// New work per unit created in the window, blocks (empty = none); like transfers
    /// from outside every unit.
    pub new_work: Vec<f64>,
    /// New work per unit weighted by recency, Σ blocks·e^{−k·age} over everything created
    /// before the analysis instant (empty = none).
    pub new_work_decayed: Vec<f64>,
    /// Flows before the analysis instant (any age; those within the window drive λ and D).
    pub transfers: Vec<Transfer>,
    /// Executed-swap throughput over the last 4·W, blocks per day.
    pub swap_throughput: f64,
    /// Swap-affinity trails as (unit of one end, unit of the other end, strength now).
    pub affinities: Vec<(Option<usize>, Option<usize>, f64)>,
}

/// The transport check on prepared units and flows (thermo-spec §3.3 definitions 1–10).
pub fn evaluate(input: &TransportInput, config: &TransportConfig) -> TransportReport {
    let window = f64::from(config.window_days);
    let per_window = |blocks: f64| if window > 0.0 { blocks / window } else { 0.0 };
    // 1. Per-unit ρ; units with neither load nor capacity are left out.
    let included: Vec<usize> = (0..input.units.len())
        .filter(|&i| input.units[i].capacity > 0.0 || input.units[i].load > 0.0)
        .collect();
    let rho: Vec<f64> = input
        .units
        .iter()
        .map(|u| {
            if u.capacity > 0.0 {
                u.load / u.capacity
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let n = included.len();
    // 2. Capacity-weighted mean.
    let (sum_load, sum_cap) = included.iter().fold((0.0, 0.0), |(l, c), &i| {
        (l + input.units[i].load, c + input.units[i].capacity)
    });
    let system_utilization = if sum_cap > 0.0 {
        sum_load / sum_cap
    } else if sum_load > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    // 3. Stressed set: top ⌈q·n⌉ by ρ, ties by ascending id. The small epsilon keeps
    // q·n = 3.0000000000000004 from rounding up to 4.
    let k = if n == 0 {
        0
    } else {
        (((config.stressed_fraction * n as f64) - 1e-9)
            .ceil()
            .max(1.0) as usize)
            .min(n)
    };
    let mut order = included.clone();
    order.sort_by(|&a, &b| {
        rho[b]
            .total_cmp(&rho[a])
            .then_with(|| input.units[a].id.cmp(&input.units[b].id))
    });
    let stressed_idx = &order[..k];
    let mut in_s = vec![false; input.units.len()];
    for &i in stressed_idx {
        in_s[i] = true;
    }
    // 4. Gradient.
    let saturation_gradient = if k == 0 {
        0.0
    } else {
        let mean_s = stressed_idx.iter().map(|&i| rho[i]).sum::<f64>() / k as f64;
        if mean_s.is_infinite() {
            f64::INFINITY
        } else {
            (mean_s - system_utilization).max(0.0)
        }
    };
    // 5. Boundary layer with the absolute threshold.
    let boundary_layer_thickness = if n == 0 {
        0.0
    } else {
        included
            .iter()
            .filter(|&&i| rho[i] >= config.saturation_threshold)
            .count() as f64
            / n as f64
    };
    // 6–7. Rates from the flows.
    let is_s = |u: Option<usize>| u.is_some_and(|i| in_s[i]);
    let mut unit_in = vec![0.0_f64; input.units.len()];
    let mut unit_out = vec![0.0_f64; input.units.len()];
    let (mut into_s, mut out_of_s, mut ewma_into_s) = (0.0, 0.0, 0.0);
    let k_decay = config.decay_per_day.max(0.0);
    for t in &input.transfers {
        if t.from.is_some() && t.from == t.to {
            continue;
        }
        let crossing_in = is_s(t.to) && !is_s(t.from);
        if crossing_in {
            ewma_into_s += t.blocks * (-k_decay * t.age_days).exp();
        }
        if t.age_days > window {
            continue;
        }
        if let Some(to) = t.to {
            unit_in[to] += t.blocks;
        }
        if let Some(from) = t.from {
            unit_out[from] += t.blocks;
        }
        if crossing_in {
            into_s += t.blocks;
        }
        if is_s(t.from) && !is_s(t.to) {
            out_of_s += t.blocks;
        }
    }
    for (i, &blocks) in input.new_work.iter().enumerate() {
        unit_in[i] += blocks;
        if in_s[i] {
            into_s += blocks;
        }
    }
    for (i, &decayed) in input.new_work_decayed.iter().enumerate() {
        if in_s[i] {
            ewma_into_s += decayed;
        }
    }
    let arrival_rate = per_window(into_s);
    let effective_diffusion = per_window(out_of_s);
    let arrival_rate_ewma = k_decay * ewma_into_s;
    // Potential diffusion (Option A).
    let horizon = f64::from(config.horizon_days);
    let spare: f64 = included
        .iter()
        .filter(|&&i| !in_s[i])
        .map(|&i| {
            let u = &input.units[i];
            ((config.saturation_threshold * u.capacity).floor() - u.load).max(0.0)
        })
        .sum();
    let spare_rate = if horizon > 0.0 { spare / horizon } else { 0.0 };
    let bridges: Vec<f64> = input
        .affinities
        .iter()
        .filter(|(a, b, _)| is_s(*a) != is_s(*b))
        .map(|(_, _, s)| *s)
        .collect();
    let permeability = if bridges.is_empty() {
        0.0
    } else {
        bridges.iter().sum::<f64>() / bridges.len() as f64
    };
    let potential_diffusion = spare_rate.min(input.swap_throughput.max(0.0)) * permeability;
    // 8. Péclet.
    let peclet_number = if arrival_rate == 0.0 {
        0.0
    } else if effective_diffusion == 0.0 {
        f64::INFINITY
    } else {
        arrival_rate * config.characteristic_length / effective_diffusion
    };
    let band = if peclet_number >= config.peclet_unstable {
        PecletBand::Unstable
    } else if peclet_number >= config.peclet_warning {
        PecletBand::ApproachingCritical
    } else {
        PecletBand::Stable
    };
    // 9. Time to saturation per unit.
    let mut units: Vec<UnitTransport> = included
        .iter()
        .map(|&i| {
            let u = &input.units[i];
            let (lam, out) = (per_window(unit_in[i]), per_window(unit_out[i]));
            UnitTransport {
                unit: u.id.clone(),
                load: u.load,
                capacity: u.capacity,
                utilization: rho[i],
                stressed: in_s[i],
                arrival_rate: lam,
                outflow_rate: out,
                time_to_saturation_minutes: time_to_saturation_days(rho[i], lam, out, u.capacity)
                    .map(|d| d * MINUTES_PER_DAY),
            }
        })
        .collect();
    units.sort_by(|a, b| a.unit.cmp(&b.unit));
    let time_to_saturation_minutes = units
        .iter()
        .filter_map(|u| u.time_to_saturation_minutes)
        .min_by(f64::total_cmp);
    // 10. Alerts.
    let alerts = alerts(
        peclet_number,
        saturation_gradient,
        boundary_layer_thickness,
        config,
    );
    let level = alerts
        .iter()
        .map(|a| a.level)
        .max()
        .unwrap_or(TransportLevel::Ok);
    TransportReport {
        unit_grouping: config.unit,
        unit_count: n,
        system_utilization,
        stressed_units: stressed_idx
            .iter()
            .map(|&i| input.units[i].id.clone())
            .collect(),
        saturation_gradient,
        boundary_layer_thickness,
        arrival_rate,
        arrival_rate_ewma,
        effective_diffusion,
        potential_diffusion,
        permeability,
        peclet_number,
        peclet_unbounded: peclet_number.is_infinite(),
        band,
        time_to_saturation_minutes,
        level,
        units,
        alerts,
    }
}

/// Days until a unit at utilization `rho` with arrival and out-flow rates `arrival_rate`,
/// `outflow_rate` (blocks/day) and `capacity` (blocks) reaches ρ = 1:
/// `(1 − ρ) / ((λ − r)/capacity)`. `Some(0)` when already at or above 1; `None` when the
/// net rate is not positive (never, at this rate).
pub fn time_to_saturation_days(
    rho: f64,
    arrival_rate: f64,
    outflow_rate: f64,
    capacity: f64,
) -> Option<f64> {
    if rho >= 1.0 {
        return Some(0.0);
    }
    if capacity <= 0.0 {
        return None;
    }
    time_to_saturation(rho, (arrival_rate - outflow_rate) / capacity, 0.0)
}

/// The roadmap's simple form: `(1 − util) / (arrival − rebalancing)` days, with the rates
/// in utilization per day. `Some(0)` at util ≥ 1; `None` (never) for a non-positive net rate.
pub fn time_to_saturation(
    current_util: f64,
    arrival_rate: f64,
    rebalancing_rate: f64,
) -> Option<f64> {
    if current_util >= 1.0 {
        return Some(0.0);
    }
    let net = arrival_rate - rebalancing_rate;
    (net > 0.0).then(|| (1.0 - current_util) / net)
}

fn alerts(pe: f64, gradient: f64, thickness: f64, c: &TransportConfig) -> Vec<TransportAlert> {
    use TransportAlertCode as Code;
    use TransportLevel as Level;
    let mut out = Vec::new();
    let mut push = |code, level, message: &str, value, threshold| {
        out.push(TransportAlert {
            code,
            level,
            message: message.to_owned(),
            value,
            threshold,
        })
    };
    if pe > c.peclet_warning {
        push(
            Code::PeWarning,
            Level::Warning,
            "Pe trending toward unstable",
            pe,
            c.peclet_warning,
        );
    }
    if pe > c.peclet_critical {
        push(
            Code::PeCritical,
            Level::Critical,
            "Task arrival outpacing rebalancing",
            pe,
            c.peclet_critical,
        );
    }
    if pe >= c.peclet_unstable {
        push(
            Code::PeUnstable,
            Level::Emergency,
            "Pe in the unstable band: the boundary layer is thickening",
            pe,
            c.peclet_unstable,
        );
    }
    if gradient > c.gradient_warning {
        push(
            Code::GradientWarning,
            Level::Warning,
            "Load concentrated in the stressed units",
            gradient,
            c.gradient_warning,
        );
    }
    if gradient > c.gradient_mixing && pe > c.peclet_warning {
        push(
            Code::GradientMixing,
            Level::Warning,
            "Increase inter-unit communication",
            gradient,
            c.gradient_mixing,
        );
    }
    if thickness > c.boundary_layer_warning {
        push(
            Code::BoundaryLayer,
            Level::Critical,
            "Risk of cascade failure",
            thickness,
            c.boundary_layer_warning,
        );
    }
    out
}

/// Start of day `at` in UTC: the analysis instant t.
pub fn analysis_instant(at: NaiveDate) -> DateTime<Utc> {
    at.and_time(NaiveTime::MIN).and_utc()
}

/// Units of a schedule under a grouping, with the unit each person's events belong to.
struct Grouping {
    units: Vec<UnitState>,
    /// Unit of each person's swaps and trails.
    person_unit: Vec<Option<usize>>,
    /// How an assignment's unit is found.
    assignment_unit: AssignmentUnit,
}

enum AssignmentUnit {
    ByPerson,
    ByRotation { no_rotation: usize, offset: usize },
}

impl Grouping {
    fn build(schedule: &Schedule, loads: &HorizonLoads, grouping: UnitGrouping) -> Self {
        match grouping {
            UnitGrouping::Person => Self {
                units: schedule
                    .people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| UnitState {
                        id: p.id.clone(),
                        load: loads.load[i],
                        capacity: loads.capacity[i],
                    })
                    .collect(),
                person_unit: (0..schedule.people.len()).map(Some).collect(),
                assignment_unit: AssignmentUnit::ByPerson,
            },
            UnitGrouping::Unit => {
                let mut names: Vec<&str> = schedule
                    .people
                    .iter()
                    .map(|p| p.unit.as_deref().unwrap_or("(none)"))
                    .collect();
                names.sort_unstable();
                names.dedup();
                let mut units: Vec<UnitState> = names
                    .iter()
                    .map(|n| UnitState {
                        id: (*n).to_owned(),
                        load: 0.0,
                        capacity: 0.0,
                    })
                    .collect();
                let person_unit: Vec<Option<usize>> = schedule
                    .people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let u = names
                            .binary_search(&p.unit.as_deref().unwrap_or("(none)"))
                            .unwrap_or_default();
                        units[u].load += loads.load[i];
                        units[u].capacity += loads.capacity[i];
                        Some(u)
                    })
                    .collect();
                Self {
                    units,
                    person_unit,
                    assignment_unit: AssignmentUnit::ByPerson,
                }
            }
            UnitGrouping::Rotation => {
                // Units: 0 = "(unassigned)" (capacity of people with no load), 1 = work
                // without a rotation, 2.. = rotations in index order.
                let r = schedule.rotations.len();
                let (unassigned, no_rotation, offset) = (0, 1, 2);
                let mut per = vec![0.0_f64; schedule.people.len() * (r + 1)];
                for a in &schedule.assignments {
                    let d = loads.block_day[a.block.index()];
                    if loads.contains_day(d) {
                        let col = a.rotation.map_or(r, |x| x.index());
                        per[a.person.index() * (r + 1) + col] += work_sessions(schedule, a);
                    }
                }
                let mut units: Vec<UnitState> = ["(unassigned)", "(no rotation)"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .chain(schedule.rotations.iter().map(|x| x.id.clone()))
                    .map(|id| UnitState {
                        id,
                        load: 0.0,
                        capacity: 0.0,
                    })
                    .collect();
                let mut person_unit = Vec::with_capacity(schedule.people.len());
                for p in 0..schedule.people.len() {
                    let row = &per[p * (r + 1)..(p + 1) * (r + 1)];
                    let total: f64 = row.iter().sum();
                    let col_unit = |col: usize| if col == r { no_rotation } else { offset + col };
                    if total > 0.0 {
                        let mut best = 0;
                        for (col, &l) in row.iter().enumerate() {
                            if l > 0.0 {
                                let u = col_unit(col);
                                units[u].load += l;
                                units[u].capacity += loads.capacity[p] * l / total;
                            }
                            if l > row[best] {
                                best = col;
                            }
                        }
                        person_unit.push(Some(col_unit(best)));
                    } else {
                        units[unassigned].capacity += loads.capacity[p];
                        person_unit.push(Some(unassigned));
                    }
                }
                Self {
                    units,
                    person_unit,
                    assignment_unit: AssignmentUnit::ByRotation {
                        no_rotation,
                        offset,
                    },
                }
            }
        }
    }
}

/// `e^{−k·age}` for ages in whole seconds, as the product of three table entries (bits
/// 17 and up, 8–16 and 0–7 of the age), so that a million events need no `exp` call; the
/// tables (≈ 7 KB at k = 0.1) stay in the L1 cache next to the streamed assignments. Ages
/// beyond 40/k days (weight < e^{−40}) weigh 0; k = 0 gives 0 (the EWMA is then 0 anyway).
/// Ages are rounded to the second: relative error ≤ k/86 400 (1.2e-6 at k = 0.1).
struct DecayTables {
    high: Vec<f64>,
    mid: Vec<f64>,
    low: Vec<f64>,
}

const LOW_BITS: u32 = 8;
const MID_BITS: u32 = 9;

impl DecayTables {
    fn new(k: f64) -> Self {
        if k <= 0.0 {
            return Self {
                high: Vec::new(),
                mid: Vec::new(),
                low: Vec::new(),
            };
        }
        let max_seconds = (40.0 / k * 86_400.0).min(1e12) as u64;
        let per_second = k / 86_400.0;
        let table = |len: u64, shift: u32| -> Vec<f64> {
            (0..len)
                .map(|i| (-per_second * (i << shift) as f64).exp())
                .collect()
        };
        Self {
            high: table(
                (max_seconds >> (LOW_BITS + MID_BITS)) + 1,
                LOW_BITS + MID_BITS,
            ),
            mid: table(1 << MID_BITS, LOW_BITS),
            low: table(1 << LOW_BITS, 0),
        }
    }

    fn weight(&self, age_seconds: i64) -> f64 {
        let age = age_seconds.max(0) as u64;
        match self.high.get((age >> (LOW_BITS + MID_BITS)) as usize) {
            Some(h) => {
                h * self.mid[((age >> LOW_BITS) & ((1 << MID_BITS) - 1)) as usize]
                    * self.low[(age & ((1 << LOW_BITS) - 1)) as usize]
            }
            None => 0.0,
        }
    }
}

const SECONDS_PER_DAY: f64 = 86_400.0;

/// Builds the transport input of `schedule` at the start of day `at`.
///
/// New work: assignments with `created_at` before t (the window ones drive λ, all of them
/// the EWMA), into the unit of the assignment. Transfers: executed ABSORB swaps with
/// `executed_at` before t, from the source's unit to the target's unit (or the pool).
/// ONE_TO_ONE swaps exchange blocks both ways, so they move no net load; they still count in
/// the swap throughput and build swap-affinity trails. One pass over the assignments and
/// one over the swaps.
pub fn transport_input(
    schedule: &Schedule,
    at: NaiveDate,
    config: &TransportConfig,
) -> TransportInput {
    let t = analysis_instant(at);
    let t_s = t.timestamp();
    let k = if config.decay_per_day.is_finite() {
        config.decay_per_day.max(0.0)
    } else {
        0.0
    };
    let window_s = i64::from(config.window_days) * 86_400;
    let decay = DecayTables::new(k);
    let by_rotation = config.unit == UnitGrouping::Rotation;
    let people = schedule.people.len();
    let columns = if by_rotation {
        schedule.rotations.len() + 1
    } else {
        people
    };
    // New work by person (person and unit groupings) or by rotation column (the last
    // column is work without a rotation).
    let mut fresh = vec![0.0_f64; columns];
    let mut fresh_decayed = vec![0.0_f64; columns];
    let loads = HorizonLoads::measure_visiting(
        schedule,
        at,
        config.horizon_days,
        config.capacity_per_day,
        |a, w| {
            // Work created at or after t (planned ahead) is not an arrival yet; comparing
            // dates first skips the timestamp arithmetic for it.
            let Some(created) = a.created_at else { return };
            if created >= t {
                return;
            }
            let age_s = t_s - created.timestamp();
            let col = if by_rotation {
                a.rotation.map_or(columns - 1, |r| r.index())
            } else {
                a.person.index()
            };
            if age_s <= window_s {
                fresh[col] += w;
            }
            fresh_decayed[col] += w * decay.weight(age_s);
        },
    );
    let grouping = Grouping::build(schedule, &loads, config.unit);
    let mut new_work = vec![0.0_f64; grouping.units.len()];
    let mut new_work_decayed = vec![0.0_f64; grouping.units.len()];
    for col in 0..columns {
        let unit = match grouping.assignment_unit {
            AssignmentUnit::ByRotation {
                no_rotation,
                offset,
            } => Some(if col + 1 == columns {
                no_rotation
            } else {
                offset + col
            }),
            AssignmentUnit::ByPerson => grouping.person_unit[col],
        };
        if let Some(u) = unit {
            new_work[u] += fresh[col];
            new_work_decayed[u] += fresh_decayed[col];
        }
    }
    let mut transfers = Vec::new();
    let mut throughput_blocks = 0.0;
    for s in &schedule.swaps {
        if s.status != SwapStatus::Executed {
            continue;
        }
        let Some(executed) = s.executed_at else {
            continue;
        };
        if executed >= t {
            continue;
        }
        let age_s = t_s - executed.timestamp();
        if age_s <= 4 * window_s {
            throughput_blocks += f64::from(s.blocks);
        }
        if s.kind == SwapKind::Absorb && (age_s <= window_s || decay.weight(age_s) > 0.0) {
            transfers.push(Transfer {
                from: grouping.person_unit[s.source.index()],
                to: s.target.and_then(|p| grouping.person_unit[p.index()]),
                blocks: f64::from(s.blocks),
                age_days: (t - executed).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY,
            });
        }
    }
    let swap_throughput = if window_s > 0 {
        throughput_blocks / (4.0 * f64::from(config.window_days))
    } else {
        0.0
    };
    let affinities = stigmergy::swap_affinities(schedule, t, k)
        .into_iter()
        .map(|(a, b, s)| {
            (
                grouping.person_unit[a.index()],
                grouping.person_unit[b.index()],
                s,
            )
        })
        .collect();
    TransportInput {
        units: grouping.units,
        new_work,
        new_work_decayed,
        transfers,
        swap_throughput,
        affinities,
    }
}

/// One transport check of `schedule` at the start of day `at` (the health-report entry).
pub fn check_transport(
    schedule: &Schedule,
    at: NaiveDate,
    config: &TransportConfig,
) -> TransportReport {
    evaluate(&transport_input(schedule, at, config), config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> TransportInput {
        let loads = [13.0, 12.0, 9.0, 8.0, 6.0, 10.0, 11.0, 7.0];
        let units = loads
            .iter()
            .enumerate()
            .map(|(i, l)| UnitState {
                id: format!("U{}", i + 1),
                load: *l,
                capacity: 14.0,
            })
            .collect();
        let tr = |from, to, blocks| Transfer {
            from,
            to,
            blocks,
            age_days: 2.0,
        };
        TransportInput {
            units,
            transfers: vec![
                tr(None, Some(0), 6.0),
                tr(None, Some(1), 4.0),
                tr(None, Some(2), 3.0),
                tr(Some(0), Some(4), 4.0),
                tr(Some(1), None, 2.0),
                tr(Some(2), Some(3), 1.0),
            ],
            swap_throughput: 0.0,
            affinities: vec![],
            ..Default::default()
        }
    }

    #[test]
    fn worked_example_of_the_spec() {
        let config = TransportConfig {
            horizon_days: 7,
            ..Default::default()
        };
        let r = evaluate(&example(), &config);
        assert_eq!(r.unit_count, 8);
        assert!((r.system_utilization - 0.6785714285714286).abs() < 1e-15);
        assert_eq!(r.stressed_units, vec!["U1", "U2"]);
        assert!((r.saturation_gradient - 0.2142857142857142).abs() < 1e-15);
        assert_eq!(r.boundary_layer_thickness, 0.25);
        assert!((r.arrival_rate - 10.0 / 7.0).abs() < 1e-15);
        assert!((r.effective_diffusion - 6.0 / 7.0).abs() < 1e-15);
        assert!((r.peclet_number - 1.6666666666666667).abs() < 1e-15);
        assert_eq!(r.band, PecletBand::Unstable);
        let u3 = &r.units[2];
        assert_eq!(u3.unit, "U3");
        assert!((u3.utilization - 0.6428571428571429).abs() < 1e-15);
        assert!((u3.time_to_saturation_minutes.unwrap() - 25_200.0).abs() < 1e-9);
        let codes: Vec<_> = r.alerts.iter().map(|a| a.code).collect();
        use TransportAlertCode::*;
        assert_eq!(
            codes,
            vec![
                PeWarning,
                PeCritical,
                PeUnstable,
                GradientWarning,
                GradientMixing
            ]
        );
        assert_eq!(r.level, TransportLevel::Emergency);
    }

    #[test]
    fn peclet_edges() {
        let mut input = example();
        input.transfers.retain(|t| t.from.is_none());
        let r = evaluate(&input, &TransportConfig::default());
        assert!(r.peclet_unbounded && r.peclet_number.is_infinite());
        let json = serde_json_like(&r);
        assert!(json.contains("\"peclet_number\":null"), "{json}");
        let back: TransportReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r, "unbounded values read back as +∞");
        input.transfers.clear();
        let r = evaluate(&input, &TransportConfig::default());
        assert_eq!(
            (r.peclet_number, r.band, r.level),
            (0.0, PecletBand::Stable, TransportLevel::Warning)
        );
    }

    fn serde_json_like(r: &TransportReport) -> String {
        serde_json::to_string(r).unwrap()
    }

    #[test]
    fn load_without_capacity_is_unbounded_and_saturated() {
        let input = TransportInput {
            units: vec![
                UnitState {
                    id: "a".into(),
                    load: 3.0,
                    capacity: 0.0,
                },
                UnitState {
                    id: "b".into(),
                    load: 0.0,
                    capacity: 0.0,
                },
            ],
            ..Default::default()
        };
        let r = evaluate(&input, &TransportConfig::default());
        assert_eq!(
            r.unit_count, 1,
            "a unit with neither load nor capacity is left out"
        );
        assert!(r.system_utilization.is_infinite() && r.saturation_gradient.is_infinite());
        assert_eq!(r.boundary_layer_thickness, 1.0);
        assert_eq!(r.time_to_saturation_minutes, Some(0.0));
        let codes: Vec<_> = r.alerts.iter().map(|a| a.code).collect();
        assert_eq!(
            codes,
            vec![
                TransportAlertCode::GradientWarning,
                TransportAlertCode::BoundaryLayer
            ]
        );
        let json = serde_json::to_string(&r).unwrap();
        let back: TransportReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn empty_input_is_quiet() {
        let r = evaluate(&TransportInput::default(), &TransportConfig::default());
        assert_eq!(
            (
                r.unit_count,
                r.saturation_gradient,
                r.boundary_layer_thickness
            ),
            (0, 0.0, 0.0)
        );
        assert!(r.alerts.is_empty());
        assert_eq!(r.time_to_saturation_minutes, None);
    }

    #[test]
    fn names_match_the_serialised_form() {
        use TransportAlertCode::*;
        for code in [
            PeWarning,
            PeCritical,
            PeUnstable,
            GradientWarning,
            GradientMixing,
            BoundaryLayer,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        for band in [
            PecletBand::Stable,
            PecletBand::ApproachingCritical,
            PecletBand::Unstable,
        ] {
            assert_eq!(serde_json::to_value(band).unwrap(), band.as_str());
        }
        for level in [
            TransportLevel::Ok,
            TransportLevel::Warning,
            TransportLevel::Critical,
            TransportLevel::Emergency,
        ] {
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
        }
        for g in [
            UnitGrouping::Person,
            UnitGrouping::Rotation,
            UnitGrouping::Unit,
        ] {
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        }
    }

    #[test]
    fn decay_tables_match_exp() {
        let tables = DecayTables::new(0.1);
        for age in [
            0_i64,
            1,
            255,
            256,
            131_071,
            131_072,
            86_400,
            7 * 86_400 + 123,
            399 * 86_400,
        ] {
            let want = (-0.1 * age as f64 / 86_400.0).exp();
            assert!(
                (tables.weight(age) - want).abs() <= 1e-14 * want.max(1e-300),
                "{age}"
            );
        }
        assert_eq!(tables.weight(401 * 86_400), 0.0);
        assert_eq!(DecayTables::new(0.0).weight(10), 0.0);
    }

    #[test]
    fn ewma_of_a_constant_rate_is_that_rate() {
        use crate::model::{Assignment, AssignmentRole, Block, Person, ScheduleBuilder, Session};
        let at = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut b = ScheduleBuilder::new();
        let p = b.add_person(Person::new("p")).unwrap();
        let block = b.intern_block(Block {
            date: at,
            session: Session::Am,
        });
        let noon = at.and_hms_opt(12, 0, 0).unwrap().and_utc();
        for day in 1..=400 {
            b.add_assignment(Assignment {
                person: p,
                block,
                rotation: None,
                role: AssignmentRole::Primary,
                score: None,
                violation: false,
                created_at: Some(noon - chrono::Duration::days(day)),
            })
            .unwrap();
        }
        let r = check_transport(&b.build(), at, &TransportConfig::default());
        // One session a day, each 12 h + whole days old at t.
        let want: f64 = (0..400)
            .map(|i| 0.1 * (-0.1 * (i as f64 + 0.5)).exp())
            .sum();
        assert!(
            (r.arrival_rate_ewma - want).abs() < 1e-6 * want,
            "{}",
            r.arrival_rate_ewma
        );
        assert!((r.arrival_rate_ewma - 1.0).abs() < 1e-3);
        assert!(
            (r.arrival_rate - 1.0).abs() < 1e-12,
            "7 in the 7-day window"
        );
    }

    #[test]
    fn simple_time_to_saturation() {
        assert_eq!(time_to_saturation(1.2, 0.1, 0.0), Some(0.0));
        assert_eq!(time_to_saturation(0.5, 0.1, 0.2), None);
        assert!((time_to_saturation(0.5, 0.3, 0.1).unwrap() - 2.5).abs() < 1e-12);
    }

    #[test]
    fn config_validation_names_the_key() {
        assert!(TransportConfig::default().validate().is_ok());
        let c = TransportConfig {
            peclet_critical: 2.0,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "peclet_critical");
        let c = TransportConfig {
            stressed_fraction: f64::NAN,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "stressed_fraction");
    }
}
