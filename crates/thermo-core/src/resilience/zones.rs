//! Zones (blast radius): groups of rotations that fail and are contained together.
//!
//! A zone is the set of rotations with a coverage requirement that share a `unit`
//! (grouping `units`; a rotation without a unit forms its own zone) or each single rotation
//! (grouping `rotations`). Per zone, at the analysis date:
//! - `members`: people with a covering (primary/supervising) assignment on the zone's
//!   rotations anywhere in the schedule, plus (grouping `units`) people whose `unit` is the
//!   zone (people);
//! - `available`: members without an approved or confirmed absence that day (people);
//! - `minimum`: Σ `min_coverage` of the zone's rotations, the people one block needs;
//!   `optimal = minimum + optimal_margin` (people);
//! - status: BLACK if `available < 0.5·minimum`, RED if `< minimum`, ORANGE if
//!   `< minimum + 1`, YELLOW if `≤ optimal`, else GREEN (framework-spec §3.7);
//! - containment: GREEN/YELLOW none, ORANGE soft, RED moderate, BLACK strict; the global level
//!   is the worst zone's, or lockdown when at least `lockdown_black_share` of zones are BLACK;
//! - `shortfall_slots`: slots (under the given [`SlotRule`]) of the zone short before any loss in
//!   `[at, at + window_days)` (slots);
//! - `boundary_layer`: the transport layer's boundary layer of the zone, the continuous
//!   measure beside the discrete status: the share of the zone's transport units whose
//!   utilization ρ_u (over the transport horizon) is at or above ρ_sat
//!   (`[transport] saturation_threshold`), see [`zone_boundary_layers`]; `null` when not
//!   supplied or when none of the zone's units is in the transport report.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::contingency::{SlotIndex, SlotRule};
use super::{ResilienceError, finite};
use crate::model::Schedule;
use crate::transport::{TransportReport, UnitGrouping};

/// How rotations are grouped into zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneGrouping {
    /// By the rotations' `unit`.
    Units,
    /// One zone per rotation.
    Rotations,
}

/// Zone settings (`[zones]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZonesConfig {
    /// Grouping (default `units`).
    pub grouping: ZoneGrouping,
    /// People above the minimum that make a zone's optimum (default 1).
    pub optimal_margin: u32,
    /// Share of BLACK zones that triggers global lockdown (default 0.5).
    pub lockdown_black_share: f64,
    /// Days from the analysis date counted for shortfalls (default 28).
    pub window_days: u32,
}

impl Default for ZonesConfig {
    fn default() -> Self {
        Self {
            grouping: ZoneGrouping::Units,
            optimal_margin: 1,
            lockdown_black_share: 0.5,
            window_days: 28,
        }
    }
}

/// Zone status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneStatus {
    /// Above optimal.
    Green,
    /// At most optimal.
    Yellow,
    /// Exactly at the minimum.
    Orange,
    /// Below the minimum.
    Red,
    /// Below half the minimum.
    Black,
}

/// Containment level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainmentLevel {
    /// Free borrowing.
    None,
    /// Borrowing needs approval.
    Soft,
    /// Only high-priority borrowing.
    Moderate,
    /// Only critical borrowing.
    Strict,
    /// No borrowing.
    Lockdown,
}

/// The status of a zone with `available` people, `minimum` and `optimal` (people).
pub fn zone_status(available: u32, minimum: u32, optimal: u32) -> ZoneStatus {
    let a = f64::from(available);
    let m = f64::from(minimum);
    if a < 0.5 * m {
        ZoneStatus::Black
    } else if available < minimum {
        ZoneStatus::Red
    } else if available < minimum + 1 {
        ZoneStatus::Orange
    } else if available <= optimal {
        ZoneStatus::Yellow
    } else {
        ZoneStatus::Green
    }
}

/// The containment a zone status calls for.
pub fn containment_for(status: ZoneStatus) -> ContainmentLevel {
    match status {
        ZoneStatus::Green | ZoneStatus::Yellow => ContainmentLevel::None,
        ZoneStatus::Orange => ContainmentLevel::Soft,
        ZoneStatus::Red => ContainmentLevel::Moderate,
        ZoneStatus::Black => ContainmentLevel::Strict,
    }
}

/// One zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneReport {
    /// Zone name (unit or rotation id).
    pub zone: String,
    /// Rotation ids of the zone.
    pub rotations: Vec<String>,
    /// Members (people).
    pub members: u32,
    /// Members available at the analysis date (people).
    pub available: u32,
    /// People one block needs.
    pub minimum: u32,
    /// Minimum + margin.
    pub optimal: u32,
    /// Status.
    pub status: ZoneStatus,
    /// Containment.
    pub containment: ContainmentLevel,
    /// Slots short before any loss in the window (slots).
    pub shortfall_slots: u32,
    /// Transport boundary-layer thickness, if supplied.
    pub boundary_layer: Option<f64>,
}

/// All zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZonesReport {
    /// Zones by name.
    pub zones: Vec<ZoneReport>,
    /// GREEN zones.
    pub healthy: u32,
    /// YELLOW and ORANGE zones.
    pub degraded: u32,
    /// RED and BLACK zones.
    pub critical: u32,
    /// Global containment.
    pub global_containment: ContainmentLevel,
}

/// Zone → (rotation indices, member flags per person), and the zone of each rotation.
type Membership = (
    BTreeMap<String, (Vec<usize>, Vec<bool>)>,
    Vec<Option<String>>,
);

/// The zones of `schedule` under `config.grouping` with their rotations and members.
fn zone_members(schedule: &Schedule, config: &ZonesConfig) -> Membership {
    let zone_of = |r: usize| -> String {
        let rot = &schedule.rotations[r];
        match config.grouping {
            ZoneGrouping::Units => rot.unit.clone().unwrap_or_else(|| rot.id.clone()),
            ZoneGrouping::Rotations => rot.id.clone(),
        }
    };
    let mut zones: BTreeMap<String, (Vec<usize>, Vec<bool>)> = BTreeMap::new();
    let mut rot_zone: Vec<Option<String>> = vec![None; schedule.rotations.len()];
    for (r, rot) in schedule.rotations.iter().enumerate() {
        if rot.min_coverage == 0 {
            continue;
        }
        let z = zone_of(r);
        zones
            .entry(z.clone())
            .or_insert_with(|| (Vec::new(), Vec::new()))
            .0
            .push(r);
        rot_zone[r] = Some(z);
    }
    // Zone ordinal (in name order) of every rotation, so the per-assignment pass indexes
    // vectors instead of looking zone names up.
    let ordinal: BTreeMap<&str, usize> = zones
        .keys()
        .enumerate()
        .map(|(k, z)| (z.as_str(), k))
        .collect();
    let rot_ordinal: Vec<Option<usize>> = rot_zone
        .iter()
        .map(|z| z.as_deref().map(|z| ordinal[z]))
        .collect();
    let mut members: Vec<Vec<bool>> = vec![vec![false; schedule.people.len()]; zones.len()];
    for a in schedule.assignments.iter().filter(|a| a.role.covers()) {
        if let Some(k) = a.rotation.and_then(|r| rot_ordinal[r.index()]) {
            members[k][a.person.index()] = true;
        }
    }
    for ((_, flags), zone_members) in zones.values_mut().zip(members) {
        *flags = zone_members;
    }
    if config.grouping == ZoneGrouping::Units {
        for (p, person) in schedule.people.iter().enumerate() {
            if let Some(entry) = person.unit.as_ref().and_then(|u| zones.get_mut(u)) {
                entry.1[p] = true;
            }
        }
    }
    (zones, rot_zone)
}

/// The boundary layer of every zone: the share of the zone's transport units with
/// ρ_u ≥ `saturation_threshold` (an unbounded ρ — load without capacity — counts as
/// saturated), among the zone's units present in `transport.units`.
///
/// A zone's transport units depend on the transport grouping: its members (person units,
/// the default), its rotations (rotation units), or the organisational units of its members
/// (`(none)` for a member without one; unit grouping). Zones none of whose units appear in
/// the report are left out (their `boundary_layer` is `null`).
pub fn zone_boundary_layers(
    schedule: &Schedule,
    config: &ZonesConfig,
    transport: &TransportReport,
    saturation_threshold: f64,
) -> BTreeMap<String, f64> {
    let rho: std::collections::HashMap<&str, f64> = transport
        .units
        .iter()
        .map(|u| (u.unit.as_str(), u.utilization))
        .collect();
    let (zones, _) = zone_members(schedule, config);
    let mut out = BTreeMap::new();
    for (name, (rots, members)) in &zones {
        let mut units: Vec<&str> = match transport.unit_grouping {
            UnitGrouping::Person => members
                .iter()
                .enumerate()
                .filter(|&(_, &m)| m)
                .map(|(p, _)| schedule.people[p].id.as_str())
                .collect(),
            UnitGrouping::Rotation => rots
                .iter()
                .map(|&r| schedule.rotations[r].id.as_str())
                .collect(),
            UnitGrouping::Unit => members
                .iter()
                .enumerate()
                .filter(|&(_, &m)| m)
                .map(|(p, _)| schedule.people[p].unit.as_deref().unwrap_or("(none)"))
                .collect(),
        };
        units.sort_unstable();
        units.dedup();
        let (mut present, mut saturated) = (0u32, 0u32);
        for u in units {
            if let Some(&r) = rho.get(u) {
                present += 1;
                if r >= saturation_threshold {
                    saturated += 1;
                }
            }
        }
        if present > 0 {
            out.insert(name.clone(), f64::from(saturated) / f64::from(present));
        }
    }
    out
}

/// Computes the zones of `schedule` at `at`; `boundary_layer(zone)` supplies each zone's
/// boundary layer (see [`zone_boundary_layers`]).
pub fn analyze_zones(
    schedule: &Schedule,
    at: NaiveDate,
    config: &ZonesConfig,
    slot_rule: SlotRule,
    boundary_layer: &dyn Fn(&str) -> Option<f64>,
) -> Result<ZonesReport, ResilienceError> {
    analyze_zones_on(schedule, at, config, slot_rule, None, boundary_layer)
}

/// [`analyze_zones`] with the shortfalls read from `slots` when given: slots built with
/// [`SlotIndex::build`] under `slot_rule` for `[at, at + config.window_days)` (the caller
/// guarantees it; the health report shares the contingency slots when the windows agree).
pub fn analyze_zones_on(
    schedule: &Schedule,
    at: NaiveDate,
    config: &ZonesConfig,
    slot_rule: SlotRule,
    slots: Option<&SlotIndex>,
    boundary_layer: &dyn Fn(&str) -> Option<f64>,
) -> Result<ZonesReport, ResilienceError> {
    let share = finite("zones.lockdown_black_share", config.lockdown_black_share)?;
    if !(0.0..=1.0).contains(&share) {
        return Err(ResilienceError::InvalidNumber {
            field: "zones.lockdown_black_share",
            value: share,
        });
    }
    let (zones, rot_zone) = zone_members(schedule, config);
    let mut away = vec![false; schedule.people.len()];
    for a in schedule
        .absences
        .iter()
        .filter(|a| a.removes_capacity_on(at))
    {
        away[a.person.index()] = true;
    }

    let end = at + Duration::days(i64::from(config.window_days));
    let built;
    let slots = match slots {
        Some(s) => s,
        None => {
            built = SlotIndex::build(schedule, slot_rule, Some((at, end)));
            &built
        }
    };
    let mut shortfalls: BTreeMap<&str, u32> = BTreeMap::new();
    for s in 0..slots.len() {
        if slots.slack_of(s) >= 0 {
            continue;
        }
        if let Some(z) = &rot_zone[slots.rotation_of(s).index()] {
            *shortfalls.entry(z.as_str()).or_default() += 1;
        }
    }

    let mut out = Vec::with_capacity(zones.len());
    for (name, (rots, members)) in &zones {
        let count = members.iter().filter(|&&m| m).count() as u32;
        let available = members
            .iter()
            .zip(&away)
            .filter(|&(&m, &a)| m && !a)
            .count() as u32;
        let minimum: u32 = rots
            .iter()
            .map(|&r| schedule.rotations[r].min_coverage)
            .sum();
        let optimal = minimum + config.optimal_margin;
        let status = zone_status(available, minimum, optimal);
        out.push(ZoneReport {
            zone: name.clone(),
            rotations: rots
                .iter()
                .map(|&r| schedule.rotations[r].id.clone())
                .collect(),
            members: count,
            available,
            minimum,
            optimal,
            status,
            containment: containment_for(status),
            shortfall_slots: shortfalls.get(name.as_str()).copied().unwrap_or(0),
            boundary_layer: boundary_layer(name).filter(|v| v.is_finite()),
        });
    }
    let count = |f: &dyn Fn(ZoneStatus) -> bool| out.iter().filter(|z| f(z.status)).count() as u32;
    let black = count(&|s| s == ZoneStatus::Black);
    let global_containment = if !out.is_empty() && f64::from(black) >= share * out.len() as f64 {
        ContainmentLevel::Lockdown
    } else {
        out.iter()
            .map(|z| z.containment)
            .max()
            .unwrap_or(ContainmentLevel::None)
    };
    Ok(ZonesReport {
        healthy: count(&|s| s == ZoneStatus::Green),
        degraded: count(&|s| matches!(s, ZoneStatus::Yellow | ZoneStatus::Orange)),
        critical: count(&|s| matches!(s, ZoneStatus::Red | ZoneStatus::Black)),
        zones: out,
        global_containment,
    })
}
