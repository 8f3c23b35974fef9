//! Dissipative structures: the schedule's entropy balance with its environment, health
//! states, emergent patterns (clustering, periodicity, load inequality, hubs) and the
//! minimum-production choice among candidate schedules.
//!
//! Entropy balance over an interval of `hours` hours:
//! - dS_system = S_person(now) − S_person(before) in nats (signed);
//! - dS_environment = w_r·rejected swaps + w_d·deferred activities + w_e·coordinator hours
//!   (default weights 0.1, 0.2, 0.05; these "nats" are a convention, not a measurement);
//! - dS_total = dS_system + dS_environment; per-hour rates divide by the interval.
//!
//! Health (first match): `excessive` if dS_total > `max_total` (default 10); `disordering` if
//! dS_system > ε; `steady` if |dS_system| ≤ ε (default ε = 1e−9) or the ordering has no
//! recorded export; `healthy` if dS_system < −ε with dS_environment > 0 and dS_total > 0:
//! order maintained by exporting disorder.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::StatmechError;
use crate::entropy::schedule_entropy_between;
use crate::model::{Schedule, SwapStatus, day_number};

/// Weights turning environment events into entropy flux (nats per event or hour).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FluxWeights {
    /// Per rejected or cancelled swap (default 0.1).
    pub rejected_swap: f64,
    /// Per deferred activity (load shedding; default 0.2).
    pub deferred_activity: f64,
    /// Per coordinator hour (default 0.05).
    pub coordinator_hour: f64,
}

impl Default for FluxWeights {
    fn default() -> Self {
        Self {
            rejected_swap: 0.1,
            deferred_activity: 0.2,
            coordinator_hour: 0.05,
        }
    }
}

/// Entropy exported to the environment during an interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EnvironmentFlux {
    /// Swaps rejected or cancelled (count).
    pub rejected_swaps: u64,
    /// Deferred activities (count).
    pub deferred_activities: u64,
    /// Coordinator effort (hours).
    pub coordinator_effort_hours: f64,
}

/// The entropy balance of one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntropyBalance {
    /// dS_system (nats).
    pub system_change: f64,
    /// dS_environment (nats).
    pub environment_flux: f64,
    /// dS_total (nats).
    pub total_production: f64,
    /// Interval length (hours).
    pub hours: f64,
    /// dS_system per hour (nats/hour); 0 when hours ≤ 0. Negative = propulsion zone.
    pub energy_flow_direction: f64,
    /// dS_total per hour (nats/hour); 0 when hours ≤ 0.
    pub total_rate_per_hour: f64,
    /// energy_flow_direction < 0: the schedule is getting more ordered.
    pub in_propulsion_zone: bool,
}

/// Computes the balance from the person entropies (nats) before and now.
pub fn entropy_balance(
    before_nats: f64,
    now_nats: f64,
    flux: &EnvironmentFlux,
    weights: &FluxWeights,
    hours: f64,
) -> Result<EntropyBalance, StatmechError> {
    for (field, value) in [
        ("entropy before", before_nats),
        ("entropy now", now_nats),
        ("coordinator effort", flux.coordinator_effort_hours),
        ("hours", hours),
        ("rejected_swap weight", weights.rejected_swap),
        ("deferred_activity weight", weights.deferred_activity),
        ("coordinator_hour weight", weights.coordinator_hour),
    ] {
        if !value.is_finite() {
            return Err(StatmechError::NonFinite { field, value });
        }
    }
    let system = now_nats - before_nats;
    let env = weights.rejected_swap * flux.rejected_swaps as f64
        + weights.deferred_activity * flux.deferred_activities as f64
        + weights.coordinator_hour * flux.coordinator_effort_hours;
    let total = system + env;
    let per_hour = |x: f64| if hours > 0.0 { x / hours } else { 0.0 };
    Ok(EntropyBalance {
        system_change: system,
        environment_flux: env,
        total_production: total,
        hours,
        energy_flow_direction: per_hour(system),
        total_rate_per_hour: per_hour(total),
        in_propulsion_zone: per_hour(system) < 0.0,
    })
}

/// Health of the entropy balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DissipativeHealth {
    /// Order maintained by exporting disorder.
    Healthy,
    /// No change in order.
    Steady,
    /// Disorder growing inside the schedule.
    Disordering,
    /// Total production above the limit: the system is inefficient.
    Excessive,
}

/// Classifies a balance; returns the state and its warnings.
pub fn check_health(
    balance: &EntropyBalance,
    max_total: f64,
    epsilon: f64,
) -> (DissipativeHealth, Vec<String>) {
    let mut warnings = Vec::new();
    if balance.system_change > epsilon {
        warnings.push("Schedule entropy increasing (disorder growing)".to_owned());
    }
    if balance.total_production > max_total {
        warnings.push("Excessive entropy production (system inefficient)".to_owned());
        return (DissipativeHealth::Excessive, warnings);
    }
    if balance.system_change > epsilon {
        return (DissipativeHealth::Disordering, warnings);
    }
    if balance.system_change < -epsilon {
        if balance.environment_flux > 0.0 && balance.total_production > 0.0 {
            return (DissipativeHealth::Healthy, warnings);
        }
        warnings.push("Order increasing without recorded entropy export".to_owned());
    }
    (DissipativeHealth::Steady, warnings)
}

/// Index of the candidate with the least total entropy production (Prigogine's minimum
/// production), given each candidate's person entropy (nats) and flux; ties: first.
pub fn select_min_production(
    before_nats: f64,
    candidates: &[(f64, EnvironmentFlux)],
    weights: &FluxWeights,
) -> Result<Option<usize>, StatmechError> {
    let mut best: Option<(usize, f64)> = None;
    for (i, (now, flux)) in candidates.iter().enumerate() {
        let total = entropy_balance(before_nats, *now, flux, weights, 1.0)?.total_production;
        if best.is_none_or(|(_, b)| total < b) {
            best = Some((i, total));
        }
    }
    Ok(best.map(|(i, _)| i))
}

/// Gini coefficient of non-negative loads (see [`crate::stats::describe::gini`]); 0 for
/// no loads or a zero total.
pub fn gini(loads: &[f64]) -> f64 {
    crate::stats::describe::gini(loads).unwrap_or(0.0)
}

/// An undirected simple graph on `n` nodes stored as adjacency bitsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitGraph {
    n: usize,
    words: usize,
    rows: Vec<u64>,
}

impl BitGraph {
    /// A graph with `n` nodes and no edges.
    pub fn new(n: usize) -> Self {
        let words = n.div_ceil(64).max(1);
        Self {
            n,
            words,
            rows: vec![0; n * words],
        }
    }

    /// Adds the edge {a, b} (self-loops are ignored).
    pub fn add_edge(&mut self, a: usize, b: usize) {
        if a != b {
            self.rows[a * self.words + b / 64] |= 1 << (b % 64);
            self.rows[b * self.words + a / 64] |= 1 << (a % 64);
        }
    }

    fn row(&self, a: usize) -> &[u64] {
        &self.rows[a * self.words..(a + 1) * self.words]
    }

    /// Degree of node `a`.
    pub fn degree(&self, a: usize) -> usize {
        self.row(a).iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Mean local clustering coefficient over all nodes (nodes of degree < 2 count 0).
    pub fn average_clustering(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let mut sum = 0.0;
        for v in 0..self.n {
            let d = self.degree(v);
            if d < 2 {
                continue;
            }
            let rv = self.row(v);
            let mut links = 0usize;
            for (wi, &word) in rv.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let u = wi * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    links += self
                        .row(u)
                        .iter()
                        .zip(rv)
                        .map(|(a, b)| (a & b).count_ones() as usize)
                        .sum::<usize>();
                }
            }
            // Each neighbour pair is counted twice.
            sum += links as f64 / (d * (d - 1)) as f64;
        }
        sum / self.n as f64
    }

    /// Freeman degree centralisation Σ(d_max − d_i) / ((n − 1)(n − 2)), 0 for n < 3.
    pub fn degree_centralization(&self) -> f64 {
        if self.n < 3 {
            return 0.0;
        }
        let d: Vec<usize> = (0..self.n).map(|v| self.degree(v)).collect();
        let max = *d.iter().max().unwrap_or(&0);
        let s: usize = d.iter().map(|x| max - x).sum();
        s as f64 / ((self.n - 1) * (self.n - 2)) as f64
    }
}

/// Emergent patterns of the assignments in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergentPatterns {
    /// Mean local clustering of the co-assignment graph (people sharing a (block,
    /// rotation) slot), over the whole roster, in [0, 1].
    pub clustering: f64,
    /// `healthy` (0.3 < c < 0.7), `elevated` ([0.7, 0.8]), `excessive` (> 0.8) or `fragmented`.
    pub clustering_label: String,
    /// Mean over people with varying load of max(0, max_L r_L), L ∈ {7, 14, 28} days ≤ n/2.
    pub periodicity: f64,
    /// `stable` (> 0.6) or `chaotic`.
    pub periodicity_label: String,
    /// Gini of per-person work assignments over the roster (0 = equal, → 1 = one person).
    pub load_gini: f64,
    /// Freeman degree centralisation of the co-assignment graph (0 = ring, 1 = star).
    pub hub_centralization: f64,
}

fn clustering_label(c: f64) -> &'static str {
    if c > 0.8 {
        "excessive"
    } else if c >= 0.7 {
        "elevated"
    } else if c > 0.3 {
        "healthy"
    } else {
        "fragmented"
    }
}

/// Emergent patterns of the assignments of `schedule` dated in `[from, to)`.
pub fn emergent_patterns(schedule: &Schedule, from: NaiveDate, to: NaiveDate) -> EmergentPatterns {
    let n = schedule.people.len();
    let days = (to - from).num_days().max(0) as usize;
    // (block, rotation + 1 or 0 for none, person) of every counted assignment; a stable
    // sort on the slot groups members in assignment order.
    let mut slot_members: Vec<(u32, u32, usize)> = Vec::new();
    let mut daily = vec![0.0; n * days];
    let mut load = vec![0.0; n];
    let from_day = day_number(from);
    let block_day = schedule.block_day_numbers();
    for a in &schedule.assignments {
        let day = block_day[a.block.index()] - from_day;
        if day < 0 || day as usize >= days {
            continue;
        }
        let works = a
            .rotation
            .is_none_or(|r| schedule.rotation(r).counts_as_work);
        if !works {
            continue;
        }
        let p = a.person.index();
        slot_members.push((a.block.0, a.rotation.map_or(0, |r| r.0 + 1), p));
        daily[p * days + day as usize] += 1.0;
        load[p] += 1.0;
    }
    let mut graph = BitGraph::new(n);
    slot_members.sort_by_key(|&(block, rotation, _)| (block, rotation));
    for slot in slot_members.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        for (i, &(_, _, a)) in slot.iter().enumerate() {
            for &(_, _, b) in &slot[i + 1..] {
                graph.add_edge(a, b);
            }
        }
    }
    let mut per = Vec::new();
    for p in 0..n {
        let series = &daily[p * days..(p + 1) * days];
        if series.len() < 2 || series.iter().all(|&v| v == series[0]) {
            continue;
        }
        let best = [7usize, 14, 28]
            .iter()
            .filter(|&&l| l <= days / 2)
            .map(|&l| lag_autocorrelation(series, l))
            .fold(f64::NEG_INFINITY, f64::max);
        per.push(if best.is_finite() { best.max(0.0) } else { 0.0 });
    }
    let periodicity = if per.is_empty() {
        0.0
    } else {
        per.iter().sum::<f64>() / per.len() as f64
    };
    let clustering = graph.average_clustering();
    EmergentPatterns {
        clustering,
        clustering_label: clustering_label(clustering).to_owned(),
        periodicity,
        periodicity_label: if periodicity > 0.6 {
            "stable"
        } else {
            "chaotic"
        }
        .to_owned(),
        load_gini: gini(&load),
        hub_centralization: graph.degree_centralization(),
    }
}

fn lag_autocorrelation(x: &[f64], k: usize) -> f64 {
    let n = x.len();
    if n < k + 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / n as f64;
    let den: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    if den == 0.0 {
        return 0.0;
    }
    (0..n - k).map(|i| (x[i] - m) * (x[i + k] - m)).sum::<f64>() / den
}

/// `[dissipative]` settings of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DissipativeConfig {
    /// Window length in days (default 28): "before" is `[at − W, at)`, "now" `[at, at + W)`.
    pub window_days: u32,
    /// Flux weights.
    pub weights: FluxWeights,
    /// Total production above which the state is `excessive` (default 10 nats).
    pub max_total_production: f64,
    /// |dS_system| at or below which the schedule is `steady` (default 1e−9 nats).
    pub steady_epsilon: f64,
    /// Deferred activities in the window (external input; default 0).
    pub deferred_activities: u64,
    /// Coordinator effort in the window (external input, hours; default 0).
    pub coordinator_effort_hours: f64,
}

impl Default for DissipativeConfig {
    fn default() -> Self {
        Self {
            window_days: 28,
            weights: FluxWeights::default(),
            max_total_production: 10.0,
            steady_epsilon: 1e-9,
            deferred_activities: 0,
            coordinator_effort_hours: 0.0,
        }
    }
}

/// The `dissipative` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DissipativeReport {
    /// Person entropy of `[at − W, at)` (nats).
    pub entropy_before: f64,
    /// Person entropy of `[at, at + W)` (nats).
    pub entropy_now: f64,
    /// Environment events counted.
    pub flux: EnvironmentFlux,
    /// The balance.
    pub balance: EntropyBalance,
    /// Health state.
    pub state: DissipativeHealth,
    /// Warnings of the state.
    pub warnings: Vec<String>,
    /// Patterns of `[at, at + W)`.
    pub patterns: EmergentPatterns,
}

/// The `dissipative` section for `schedule` at `at`. Rejected flux: swaps rejected or
/// cancelled whose swap date falls in `[at, at + W)`.
pub fn dissipative_report(
    schedule: &Schedule,
    at: NaiveDate,
    config: &DissipativeConfig,
) -> Result<DissipativeReport, StatmechError> {
    let w = Duration::days(i64::from(config.window_days.max(1)));
    let ln2 = std::f64::consts::LN_2;
    let before = schedule_entropy_between(schedule, Some(at - w), Some(at)).person_entropy * ln2;
    let now = schedule_entropy_between(schedule, Some(at), Some(at + w)).person_entropy * ln2;
    let rejected = schedule
        .swaps
        .iter()
        .filter(|s| matches!(s.status, SwapStatus::Rejected | SwapStatus::Cancelled))
        .filter(|s| s.date >= at && s.date < at + w)
        .count() as u64;
    let flux = EnvironmentFlux {
        rejected_swaps: rejected,
        deferred_activities: config.deferred_activities,
        coordinator_effort_hours: config.coordinator_effort_hours,
    };
    let hours = f64::from(config.window_days.max(1)) * 24.0;
    let balance = entropy_balance(before, now, &flux, &config.weights, hours)?;
    let (state, warnings) =
        check_health(&balance, config.max_total_production, config.steady_epsilon);
    Ok(DissipativeReport {
        entropy_before: before,
        entropy_now: now,
        flux,
        balance,
        state,
        warnings,
        patterns: emergent_patterns(schedule, at, at + w),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        assert_eq!(gini(&[5.0, 5.0, 5.0, 5.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 12.0]) - 0.75).abs() < 1e-12);
        assert!((gini(&[3.0, 2.0, 1.0]) - 0.22222222222222232).abs() < 1e-12);
        let mut star = BitGraph::new(5);
        for leaf in 1..5 {
            star.add_edge(0, leaf);
        }
        assert!((star.degree_centralization() - 1.0).abs() < 1e-12);
        assert_eq!(star.average_clustering(), 0.0);
        let mut ring = BitGraph::new(5);
        for i in 0..5 {
            ring.add_edge(i, (i + 1) % 5);
        }
        assert_eq!(ring.degree_centralization(), 0.0);
        let mut tri = BitGraph::new(4);
        tri.add_edge(0, 1);
        tri.add_edge(1, 2);
        tri.add_edge(0, 2);
        assert!((tri.average_clustering() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn health_states() {
        let w = FluxWeights::default();
        let flux = EnvironmentFlux {
            rejected_swaps: 5,
            ..EnvironmentFlux::default()
        };
        let b = entropy_balance(2.0, 1.9, &flux, &w, 24.0).unwrap();
        assert_eq!(check_health(&b, 10.0, 1e-9).0, DissipativeHealth::Healthy);
        assert!(b.in_propulsion_zone);
        let b = entropy_balance(2.0, 2.0, &EnvironmentFlux::default(), &w, 24.0).unwrap();
        assert_eq!(check_health(&b, 10.0, 1e-9).0, DissipativeHealth::Steady);
        let b = entropy_balance(1.0, 2.0, &flux, &w, 24.0).unwrap();
        let (s, warn) = check_health(&b, 10.0, 1e-9);
        assert_eq!(s, DissipativeHealth::Disordering);
        assert_eq!(warn, vec!["Schedule entropy increasing (disorder growing)"]);
        let many = EnvironmentFlux {
            rejected_swaps: 200,
            ..EnvironmentFlux::default()
        };
        let b = entropy_balance(2.0, 1.9, &many, &w, 24.0).unwrap();
        assert_eq!(check_health(&b, 10.0, 1e-9).0, DissipativeHealth::Excessive);
        assert!(entropy_balance(f64::NAN, 1.0, &flux, &w, 1.0).is_err());
    }

    #[test]
    fn minimum_production_picks_the_least_total() {
        let w = FluxWeights::default();
        let c = [
            (2.0, EnvironmentFlux::default()),
            (
                1.5,
                EnvironmentFlux {
                    rejected_swaps: 1,
                    ..EnvironmentFlux::default()
                },
            ),
            (1.5, EnvironmentFlux::default()),
        ];
        assert_eq!(select_min_production(1.8, &c, &w).unwrap(), Some(2));
        assert_eq!(select_min_production(1.8, &[], &w).unwrap(), None);
    }

    #[test]
    fn clustering_labels_cover_the_gap() {
        assert_eq!(clustering_label(0.75), "elevated");
        assert_eq!(clustering_label(0.5), "healthy");
        assert_eq!(clustering_label(0.85), "excessive");
        assert_eq!(clustering_label(0.1), "fragmented");
    }
}
