//! The health report: every layer for one program at one instant, one overall status,
//! and unified alerts with their evidence and a recommendation each.
//!
//! [`assess`] reads the sections the other layers computed (utilization, transport,
//! phase-transition risk, contingency, entropy) and adds what only makes sense in
//! composition: the coverage ratio, the defense level decided from the whole state
//! vector, homeostasis replayed from the bundle's metric series, the entropy history with
//! its critical-slowing check, zones, and the baseline detectors (SPC, STA/LTA, fire
//! index) on the schedule itself. The overall status is the worst status any layer
//! demands; alerts are sorted by level (worst first), then layer, then code, so the order
//! is deterministic.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::baselines::fire_index::{DangerClass, FireIndexInput, fire_danger};
use crate::baselines::spc::WesternElectricChart;
use crate::baselines::sta_lta::{Trigger, detect};
use crate::entropy::{EntropyMonitor, EntropyReport, shannon_from_counts};
use crate::ews::detector::{PhaseTransitionRisk, TransitionSeverity};
use crate::model::{Schedule, Session, day_number};
use crate::queueing::utilization::{UtilizationLevel, UtilizationReport};
use crate::report::{AnalysisConfig, AnalysisReport};
use crate::resilience::ResilienceError;
use crate::resilience::contingency::{ContingencyReport, SlotIndex};
use crate::resilience::defense::{
    DefenseConfig, DefenseController, DefenseLevel, DefenseMemory, DefenseState, EscalationReason,
    PhaseSeverity, TransportAlertLevel, actions, recommended_level,
};
use crate::resilience::homeostasis::{
    DeviationSeverity, EntropyEvidence, HomeostasisMonitor, LoopCheck, VolatilityAlert,
};
use crate::resilience::zones::{ZoneStatus, ZonesReport, analyze_zones_on, zone_boundary_layers};
use crate::transport::{TransportLevel, TransportReport};

/// Health settings (`[health]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Feedback loop ← metric series fed into it, e.g. `coverage_rate = "coverage"`
    /// (default: `coverage_rate` ← `coverage`, `faculty_utilization` ← `utilization`).
    pub homeostasis_metrics: BTreeMap<String, String>,
    /// Hours of work in one AM or PM session (default 5 h; a DAY session counts twice).
    pub hours_per_session: f64,
    /// Weeks of weekly hours charted per person by SPC, ending at the analysis date (default 12).
    pub spc_weeks: u32,
    /// Yearly satisfaction in [0, 1] used by the fire index when no survey is available
    /// (default 0.7).
    pub assumed_satisfaction: f64,
    /// Days of daily absence starts fed to STA/LTA, ending at the analysis date (default 120).
    pub sta_lta_days: u32,
    /// A trigger that opened within this many days before the analysis date alerts (default 7).
    pub recent_trigger_days: u32,
    /// Program buffer (1 − utilization) below which an alert is critical (default 0.10).
    pub buffer_critical: f64,
    /// Days of person-entropy history reconstructed for the entropy monitor (default 60).
    pub entropy_history_days: u32,
    /// People named in an alert's evidence at most (default 5).
    pub max_listed: usize,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            homeostasis_metrics: [
                ("coverage_rate", "coverage"),
                ("faculty_utilization", "utilization"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
            hours_per_session: 5.0,
            spc_weeks: 12,
            assumed_satisfaction: 0.7,
            sta_lta_days: 120,
            recent_trigger_days: 7,
            buffer_critical: 0.10,
            entropy_history_days: 60,
            max_listed: 5,
        }
    }
}

/// Overall status, in increasing order of gravity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Nothing needs attention.
    Healthy,
    /// Watch: a margin is thin.
    Warning,
    /// Act soon: a protection is failing.
    Degraded,
    /// Act now.
    Critical,
    /// Crisis response.
    Emergency,
}

/// Level of one alert, in increasing order of gravity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    /// For information.
    Info,
    /// Watch.
    Warning,
    /// Act now.
    Critical,
    /// Crisis response.
    Emergency,
}

impl AlertLevel {
    fn status(self) -> HealthStatus {
        match self {
            AlertLevel::Info => HealthStatus::Healthy,
            AlertLevel::Warning => HealthStatus::Warning,
            AlertLevel::Critical => HealthStatus::Critical,
            AlertLevel::Emergency => HealthStatus::Emergency,
        }
    }
}

/// The layer an alert comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Utilization and queueing.
    Utilization,
    /// Defense in depth.
    Defense,
    /// Contingency (N-1/N-2).
    Contingency,
    /// Early warning of a phase transition.
    PhaseTransition,
    /// Transport dynamics.
    Transport,
    /// Homeostasis (feedback-loop volatility).
    Homeostasis,
    /// Entropy.
    Entropy,
    /// Blast-radius zones.
    Zones,
    /// Baseline detectors.
    Baselines,
}

/// One alert: what, how bad, from which layer, the evidence, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthAlert {
    /// Stable code (`UTILIZATION_RED`, `N1_FAIL`, …; listed in `docs/health.md`).
    pub code: String,
    /// Level.
    pub level: AlertLevel,
    /// Layer.
    pub layer: Layer,
    /// What it means.
    pub message: String,
    /// The measurements behind it.
    pub evidence: Vec<String>,
    /// What to do.
    pub recommendation: String,
}

/// The defense level decided for this check.
///
/// `thermo analyze` decides it from this check alone; the service resumes the controller's
/// memory between periodic checks ([`apply_defense_memory`]), so a level is only released
/// after `step_down_checks` calm checks, and `hysteresis` says how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefenseSummary {
    /// The level.
    pub level: DefenseLevel,
    /// Every signal that demanded a level above PREVENTION, with its evidence.
    pub reasons: Vec<EscalationReason>,
    /// Names of the level's actions.
    pub actions: Vec<String>,
    /// The controller's memory across checks; absent for a one-shot analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hysteresis: Option<DefenseHysteresis>,
}

/// How the defense controller's memory shaped this check's level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefenseHysteresis {
    /// Level in force before this check.
    pub previous_level: DefenseLevel,
    /// Level this check's state alone demands.
    pub raw_level: DefenseLevel,
    /// Whether the level is held above `raw_level` until enough calm checks pass.
    pub held: bool,
    /// Consecutive calm checks counted toward stepping down.
    pub calm_checks: u32,
    /// Calm checks needed to step down (`[defense] step_down_checks`).
    pub step_down_checks: u32,
}

/// One feedback loop's latest check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoopSummary {
    /// Loop (setpoint) name.
    pub name: String,
    /// Metric series fed into it.
    pub metric: String,
    /// Samples fed.
    pub samples: usize,
    /// Latest value.
    pub value: f64,
    /// Latest check.
    pub check: LoopCheck,
}

/// Homeostasis replayed from the metric series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomeostasisSummary {
    /// Loops that had samples.
    pub loops: Vec<LoopSummary>,
    /// Volatility alerts with their entropy reading.
    pub volatility_alerts: Vec<VolatilityAlert>,
}

/// Entropy history reconstructed from the schedule and its monitor's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntropyTrend {
    /// Daily measurements (person entropy in bits over the entropy window starting that day).
    pub measurements: usize,
    /// Least-squares slope of the history, bits per hour (`null` with < 2 measurements).
    pub slope_bits_per_hour: Option<f64>,
    /// Whether the monitor's critical-slowing rule fires.
    pub critical_slowing: bool,
}

/// A person flagged by a baseline detector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedPerson {
    /// Person id.
    pub person: String,
    /// The measured value (weekly hours for SPC, FWI for the fire index).
    pub value: f64,
    /// What fired (SPC rule numbers, or the danger class).
    pub detail: String,
}

/// The baseline detectors run on the schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselinesSummary {
    /// People with a week charted.
    pub spc_people: usize,
    /// People whose latest week fires a Western Electric rule 1–3 (most hours first, capped).
    pub spc_out_of_control: Vec<FlaggedPerson>,
    /// Count of people out of control (uncapped).
    pub spc_out_of_control_count: usize,
    /// STA/LTA on daily absence starts: triggers opening in the recent window.
    pub sta_lta_recent_triggers: Vec<Trigger>,
    /// People by fire-danger class (`low` … `extreme`).
    pub fire_danger_counts: BTreeMap<String, usize>,
    /// People in an alerting danger class (highest FWI first, capped).
    pub fire_danger_high: Vec<FlaggedPerson>,
}

/// The `health` section of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthSection {
    /// Worst status any layer demands.
    pub overall_status: HealthStatus,
    /// Filled / required positions over the coverage slots of the contingency window (0–1;
    /// 1 when no slot has a requirement).
    pub coverage: f64,
    /// Defense level.
    pub defense: DefenseSummary,
    /// Homeostasis.
    pub homeostasis: HomeostasisSummary,
    /// Entropy trend.
    pub entropy_trend: EntropyTrend,
    /// Zones.
    pub zones: Option<ZonesReport>,
    /// Baselines.
    pub baselines: BaselinesSummary,
    /// Alerts, worst first, then by layer and code.
    pub alerts: Vec<HealthAlert>,
    /// Recommendations of the alerts, in alert order, without duplicates.
    pub recommendations: Vec<String>,
}

/// The sections the other layers computed, by reference.
#[derive(Debug, Clone, Copy)]
pub struct LayerOutputs<'a> {
    /// Entropy of the analysis window.
    pub entropy: &'a EntropyReport,
    /// Utilization.
    pub utilization: &'a UtilizationReport,
    /// Transport.
    pub transport: &'a TransportReport,
    /// Early warning.
    pub phase_transition: &'a PhaseTransitionRisk,
    /// Contingency.
    pub contingency: &'a ContingencyReport,
    /// The coverage slots contingency was computed on (contingency window, slot rule).
    pub slots: &'a SlotIndex,
}

/// Composes the health section of `schedule` at `at`.
pub fn assess(
    schedule: &Schedule,
    at: NaiveDate,
    layers: LayerOutputs<'_>,
    config: &AnalysisConfig,
) -> HealthSection {
    let h = &config.health;
    let coverage = coverage_ratio(layers.slots);
    let mut alerts = Vec::new();

    // Defense in depth from the whole state vector.
    let state = defense_state(
        coverage,
        layers.utilization,
        layers.contingency,
        layers.phase_transition,
        layers.transport,
    );
    let (level, reasons) = recommended_level(&state, &config.defense).unwrap_or_else(|e| {
        // Only reachable with an invalid config; the CLI validates it first.
        (
            DefenseLevel::Prevention,
            vec![EscalationReason {
                signal: crate::resilience::defense::DefenseSignal::Coverage,
                demands: DefenseLevel::Prevention,
                evidence: format!("defense not evaluated: {e}"),
            }],
        )
    });
    let reasons: Vec<EscalationReason> = reasons
        .into_iter()
        .filter(|r| r.demands > DefenseLevel::Prevention)
        .collect();
    let level_actions = actions(level);
    let defense = DefenseSummary {
        level,
        reasons: reasons.clone(),
        actions: level_actions.iter().map(|a| a.name.to_owned()).collect(),
        hysteresis: None,
    };
    if let Some(alert) = defense_alert(level, &reasons, None) {
        alerts.push(alert);
    }

    utilization_alerts(layers.utilization, h, &mut alerts);
    contingency_alerts(layers.contingency, config, h, &mut alerts);
    phase_alerts(layers.phase_transition, &mut alerts);
    for a in &layers.transport.alerts {
        let level = match a.level {
            TransportLevel::Ok => continue,
            TransportLevel::Warning => AlertLevel::Warning,
            TransportLevel::Critical => AlertLevel::Critical,
            TransportLevel::Emergency => AlertLevel::Emergency,
        };
        let code = a.code.as_str();
        alerts.push(HealthAlert {
            code: format!("TRANSPORT_{code}"),
            level,
            layer: Layer::Transport,
            message: a.message.clone(),
            evidence: vec![format!("value {} against threshold {}", fmt_value(a.value), a.threshold)],
            recommendation: "rebalance work out of the stressed units: open swaps and reassignments toward people \
                             with spare capacity"
                .to_owned(),
        });
    }

    // The entropy trend and the zones read only the schedule and the layers' outputs:
    // computed concurrently, their alerts added below in the usual order.
    let (entropy_trend, zones) = rayon::join(
        || entropy_trend(schedule, at, config),
        || {
            // The zones' shortfall window equals the contingency window when both settings
            // agree (and are not 0, which means different things for the two): share its
            // slots.
            let shared_slots = (config.zones.window_days == config.contingency.window_days
                && config.zones.window_days > 0)
                .then_some(layers.slots);
            let boundary_layers = zone_boundary_layers(
                schedule,
                &config.zones,
                layers.transport,
                config.transport.saturation_threshold,
            );
            analyze_zones_on(
                schedule,
                at,
                &config.zones,
                config.contingency.slots,
                shared_slots,
                &|zone| boundary_layers.get(zone).copied(),
            )
            .ok()
        },
    );
    if entropy_trend.critical_slowing {
        alerts.push(HealthAlert {
            code: "ENTROPY_CRITICAL_SLOWING".to_owned(),
            level: AlertLevel::Critical,
            layer: Layer::Entropy,
            message: "the schedule's entropy recovers slowly (critical slowing down)".to_owned(),
            evidence: vec![format!(
                "{} daily measurements, slope {} bits/h",
                entropy_trend.measurements,
                entropy_trend.slope_bits_per_hour.map_or("n/a".to_owned(), |s| format!("{s:.2e}"))
            )],
            recommendation: "freeze non-essential schedule changes and restore buffers before the next disturbance"
                .to_owned(),
        });
    }

    let homeostasis = homeostasis(
        schedule,
        at,
        layers.entropy,
        entropy_trend.critical_slowing,
        config,
    );
    for v in &homeostasis.volatility_alerts {
        let level = match v.severity {
            DeviationSeverity::None | DeviationSeverity::Minor => AlertLevel::Info,
            DeviationSeverity::Moderate => AlertLevel::Warning,
            DeviationSeverity::Major | DeviationSeverity::Critical => AlertLevel::Critical,
        };
        if level == AlertLevel::Info {
            continue;
        }
        alerts.push(HealthAlert {
            code: "HOMEOSTASIS_VOLATILITY".to_owned(),
            level,
            layer: Layer::Homeostasis,
            message: format!("feedback loop {} is volatile", v.source),
            evidence: v.evidence.clone(),
            recommendation:
                "stabilise the loop: fewer ad-hoc changes, and correct its drift at the source"
                    .to_owned(),
        });
    }

    if let Some(z) = &zones {
        for zone in &z.zones {
            let level = match zone.status {
                ZoneStatus::Red => AlertLevel::Critical,
                ZoneStatus::Black => AlertLevel::Emergency,
                _ => continue,
            };
            alerts.push(HealthAlert {
                code: format!("ZONE_{}", if zone.status == ZoneStatus::Black { "BLACK" } else { "RED" }),
                level,
                layer: Layer::Zones,
                message: format!("zone {} is below its minimum staffing", zone.zone),
                evidence: vec![format!(
                    "{} available of minimum {} (optimal {}), {} slots short",
                    zone.available, zone.minimum, zone.optimal, zone.shortfall_slots
                )],
                recommendation: format!("contain zone {}: borrow staff from healthy zones only under the containment rules", zone.zone),
            });
        }
    }

    let baselines = baselines(schedule, at, config, &mut alerts);

    let recommendations = order_alerts(&mut alerts);
    let overall_status = [
        alerts
            .iter()
            .map(|a| a.level.status())
            .max()
            .unwrap_or(HealthStatus::Healthy),
        utilization_status(layers.utilization.program.level),
        defense_status(level),
        if layers.contingency.n1_pass {
            HealthStatus::Healthy
        } else {
            HealthStatus::Degraded
        },
        if layers.contingency.n2_pass {
            HealthStatus::Healthy
        } else {
            HealthStatus::Warning
        },
    ]
    .into_iter()
    .max()
    .unwrap_or(HealthStatus::Healthy);
    HealthSection {
        overall_status,
        coverage,
        defense,
        homeostasis,
        entropy_trend,
        zones,
        baselines,
        alerts,
        recommendations,
    }
}

/// Σ min(assigned, required) / Σ required over the slots; 1 without requirements.
pub fn coverage_ratio(index: &SlotIndex) -> f64 {
    let (mut filled, mut required) = (0u64, 0u64);
    for s in 0..index.len() {
        let r = u64::from(index.required_of(s));
        filled += (index.members_of(s).len() as u64).min(r);
        required += r;
    }
    if required == 0 {
        1.0
    } else {
        filled as f64 / required as f64
    }
}

fn phase_severity(s: TransitionSeverity) -> PhaseSeverity {
    match s {
        TransitionSeverity::Normal => PhaseSeverity::Normal,
        TransitionSeverity::Elevated => PhaseSeverity::Elevated,
        TransitionSeverity::High => PhaseSeverity::High,
        TransitionSeverity::Critical => PhaseSeverity::Critical,
        TransitionSeverity::Imminent => PhaseSeverity::Imminent,
    }
}

/// Transport levels one step down the defense scale: a transport *warning* (Pe above
/// 0.8) asks for watching, *critical* for backups, *emergency* for containment.
fn transport_alert_level(l: TransportLevel) -> TransportAlertLevel {
    match l {
        TransportLevel::Ok => TransportAlertLevel::Normal,
        TransportLevel::Warning => TransportAlertLevel::Watch,
        TransportLevel::Critical => TransportAlertLevel::Warning,
        TransportLevel::Emergency => TransportAlertLevel::Critical,
    }
}

fn defense_name(l: DefenseLevel) -> &'static str {
    match l {
        DefenseLevel::Prevention => "PREVENTION",
        DefenseLevel::Control => "CONTROL",
        DefenseLevel::SafetySystems => "SAFETY_SYSTEMS",
        DefenseLevel::Containment => "CONTAINMENT",
        DefenseLevel::Emergency => "EMERGENCY",
    }
}

fn level_number(l: DefenseLevel) -> u8 {
    l as u8 + 1
}

/// CONTROL is heightened monitoring only, so it asks for *warning*, not *degraded*.
fn defense_status(l: DefenseLevel) -> HealthStatus {
    match l {
        DefenseLevel::Prevention => HealthStatus::Healthy,
        DefenseLevel::Control => HealthStatus::Warning,
        DefenseLevel::SafetySystems => HealthStatus::Degraded,
        DefenseLevel::Containment => HealthStatus::Critical,
        DefenseLevel::Emergency => HealthStatus::Emergency,
    }
}

fn utilization_status(l: UtilizationLevel) -> HealthStatus {
    match l {
        UtilizationLevel::Green => HealthStatus::Healthy,
        UtilizationLevel::Yellow => HealthStatus::Warning,
        UtilizationLevel::Orange => HealthStatus::Degraded,
        UtilizationLevel::Red => HealthStatus::Critical,
        UtilizationLevel::Black => HealthStatus::Emergency,
    }
}

fn fmt_value(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "unbounded".to_owned()
    }
}

fn utilization_alerts(u: &UtilizationReport, h: &HealthConfig, alerts: &mut Vec<HealthAlert>) {
    let p = &u.program;
    let level = match p.level {
        UtilizationLevel::Green => None,
        UtilizationLevel::Yellow => Some(AlertLevel::Warning),
        UtilizationLevel::Orange => Some(AlertLevel::Warning),
        UtilizationLevel::Red => Some(AlertLevel::Critical),
        UtilizationLevel::Black => Some(AlertLevel::Emergency),
    };
    if let Some(level) = level {
        alerts.push(HealthAlert {
            code: format!("UTILIZATION_{}", p.level.as_str()),
            level,
            layer: Layer::Utilization,
            message: format!("program utilization {:.0} % is in the {} band", p.utilization * 100.0, p.level.as_str()),
            evidence: vec![format!(
                "load {:.1} of capacity {:.1} sessions over {} days from {}; M/M/1 wait multiplier {}",
                p.load,
                p.capacity,
                u.horizon_days,
                u.horizon_start,
                fmt_value(p.wait_time_multiplier)
            )],
            recommendation: "bring utilization back under 80 %: defer non-urgent commitments and add cover".to_owned(),
        });
    }
    if p.buffer < h.buffer_critical {
        alerts.push(HealthAlert {
            code: "BUFFER_LOW".to_owned(),
            level: AlertLevel::Critical,
            layer: Layer::Utilization,
            message: format!("buffer critically low ({:.0} %)", p.buffer.max(0.0) * 100.0),
            evidence: vec![format!("buffer {:.3} < {:.3}", p.buffer, h.buffer_critical)],
            recommendation: "restore a buffer: cancel non-essential activities until capacity exceeds demand by 10 %"
                .to_owned(),
        });
    }
}

fn contingency_alerts(
    c: &ContingencyReport,
    config: &AnalysisConfig,
    h: &HealthConfig,
    alerts: &mut Vec<HealthAlert>,
) {
    if !c.pre_contingency.is_empty() {
        alerts.push(HealthAlert {
            code: "COVERAGE_SHORTFALL".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Contingency,
            message: format!(
                "{} coverage slots are short before any loss",
                c.pre_contingency.len()
            ),
            evidence: c
                .pre_contingency
                .iter()
                .take(h.max_listed)
                .map(|s| {
                    format!(
                        "{} {} {}: {} of {} assigned",
                        s.date, s.session, s.rotation, s.assigned, s.required
                    )
                })
                .collect(),
            recommendation: "fill the short slots first: they fail today, not after a loss"
                .to_owned(),
        });
    }
    if !c.n1_pass {
        let mut worst: Vec<_> = c.n1.iter().filter(|p| p.unrepairable_slots > 0).collect();
        worst.sort_by(|a, b| {
            b.unrepairable_slots
                .cmp(&a.unrepairable_slots)
                .then(a.person.cmp(&b.person))
        });
        alerts.push(HealthAlert {
            code: "N1_FAIL".to_owned(),
            level: AlertLevel::Critical,
            layer: Layer::Contingency,
            message: format!("{} people are single points of failure", worst.len()),
            evidence: worst
                .iter()
                .take(h.max_listed)
                .map(|p| {
                    format!(
                        "{}: {} slots unrepairable if lost",
                        p.person, p.unrepairable_slots
                    )
                })
                .collect(),
            recommendation: "cross-train or pre-assign a backup for each single point of failure"
                .to_owned(),
        });
    }
    if !c.n2_pass {
        alerts.push(HealthAlert {
            code: "N2_FAIL".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Contingency,
            message: "the loss of some pair of people leaves slots that cannot be repaired"
                .to_owned(),
            evidence: c
                .n2
                .iter()
                .take(h.max_listed)
                .map(|p| {
                    format!(
                        "{}: {} joint-only slots",
                        p.persons.join(" + "),
                        p.joint_only_slots
                    )
                })
                .collect(),
            recommendation:
                "avoid scheduling the listed pairs' absences together; add a second backup"
                    .to_owned(),
        });
    }
    let critical = c.thermodynamically_critical(config.contingency.barrier_threshold);
    if !critical.is_empty() {
        alerts.push(HealthAlert {
            code: "LOW_ENERGY_BARRIER".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Contingency,
            message: format!("{} people sit on a low energy barrier: their loss is absorbed only at a large cost", critical.len()),
            evidence: critical.iter().take(h.max_listed).map(|p| (*p).to_owned()).collect(),
            recommendation: "spread these people's unique assignments so that their loss can be repaired cheaply".to_owned(),
        });
    }
}

fn phase_alerts(r: &PhaseTransitionRisk, alerts: &mut Vec<HealthAlert>) {
    let level = match r.overall_severity {
        TransitionSeverity::Normal => return,
        TransitionSeverity::Elevated => AlertLevel::Info,
        TransitionSeverity::High => AlertLevel::Warning,
        TransitionSeverity::Critical => AlertLevel::Critical,
        TransitionSeverity::Imminent => AlertLevel::Emergency,
    };
    let name = severity_name(r.overall_severity).to_uppercase();
    let mut evidence: Vec<String> = r
        .signals
        .iter()
        .map(|s| format!("{}: {} (p = {:.4})", s.metric, s.description, s.p_value))
        .collect();
    if let Some(t) = &r.time_to_transition_hours {
        evidence.push(format!(
            "time to transition ≈ {:.0} h (from {:.0} h)",
            t.hours, t.lower_hours
        ));
    }
    alerts.push(HealthAlert {
        code: format!("PHASE_TRANSITION_{name}"),
        level,
        layer: Layer::PhaseTransition,
        message: format!(
            "early-warning signals of a phase transition ({}; confidence {:.2})",
            name.to_lowercase(),
            r.confidence
        ),
        evidence,
        recommendation: r
            .recommendations
            .first()
            .cloned()
            .unwrap_or_else(|| "reduce load before the transition".to_owned()),
    });
}

/// Person entropy over the entropy window, measured at each of the last
/// `entropy_history_days` days up to `at`, fed to an entropy monitor with the configured
/// critical-slowing rule. The window slides by one day: counts are updated in O(1) per
/// assignment entering or leaving.
fn entropy_trend(schedule: &Schedule, at: NaiveDate, config: &AnalysisConfig) -> EntropyTrend {
    let days = config.health.entropy_history_days as i64;
    let window = i64::from(config.entropy.window_days.max(1));
    let first = at - Duration::days(days - 1);
    let span = (days + window) as usize;
    let mut by_day: Vec<Vec<u32>> = vec![Vec::new(); span];
    let first_day = i64::from(day_number(first));
    let block_day = schedule.block_day_numbers();
    for a in &schedule.assignments {
        let d = i64::from(block_day[a.block.index()]) - first_day;
        if (0..span as i64).contains(&d) {
            by_day[d as usize].push(a.person.0);
        }
    }
    let mut counts = vec![0u64; schedule.people.len()];
    for day in by_day.iter().take(window as usize) {
        for &p in day {
            counts[p as usize] += 1;
        }
    }
    let mut monitor = EntropyMonitor::with_rule(
        config.entropy.monitor_capacity.max(2),
        Box::new(config.entropy.critical_slowing),
    );
    let mut measured = 0;
    for d in 0..days {
        if d > 0 {
            for &p in &by_day[(d - 1) as usize] {
                counts[p as usize] -= 1;
            }
            for &p in &by_day[(d - 1 + window) as usize] {
                counts[p as usize] += 1;
            }
        }
        if counts.iter().all(|&c| c == 0) {
            continue;
        }
        let date = first + Duration::days(d);
        let Some(t) = date.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)) else {
            continue;
        };
        if monitor
            .update(t, shannon_from_counts(counts.iter().copied()))
            .is_ok()
        {
            measured += 1;
        }
    }
    let state = monitor.state();
    EntropyTrend {
        measurements: measured,
        slope_bits_per_hour: (measured >= 2).then_some(state.slope_bits_per_hour),
        critical_slowing: monitor.detect_critical_slowing(),
    }
}

fn homeostasis(
    schedule: &Schedule,
    at: NaiveDate,
    entropy: &EntropyReport,
    critical_slowing: bool,
    config: &AnalysisConfig,
) -> HomeostasisSummary {
    let Ok(mut monitor) = HomeostasisMonitor::new(config.homeostasis.clone()) else {
        return HomeostasisSummary {
            loops: Vec::new(),
            volatility_alerts: Vec::new(),
        };
    };
    let end = (at + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t));
    let series = schedule.metric_series();
    let mut loops = Vec::new();
    for (loop_name, metric) in &config.health.homeostasis_metrics {
        let Some(s) = series.iter().find(|s| &s.metric == metric) else {
            continue;
        };
        let mut last = None;
        let mut samples = 0;
        for (t, &v) in s.timestamps.iter().zip(&s.values) {
            if end.is_some_and(|e| *t >= e) {
                break;
            }
            match monitor.check_all(&[(loop_name.as_str(), v)]) {
                Ok(mut checks) => {
                    last = checks.pop().map(|(_, c)| (v, c));
                    samples += 1;
                }
                Err(_) => break,
            }
        }
        if let Some((value, check)) = last {
            loops.push(LoopSummary {
                name: loop_name.clone(),
                metric: metric.clone(),
                samples,
                value,
                check,
            });
        }
    }
    let evidence = EntropyEvidence {
        person_entropy_bits: entropy.person_entropy,
        critical_slowing,
    };
    let volatility_alerts = monitor
        .detect_volatility_risks(&evidence)
        .unwrap_or_default();
    HomeostasisSummary {
        loops,
        volatility_alerts,
    }
}

/// Hours of one assignment: covering roles on work rotations (or none) only.
fn assignment_hours(schedule: &Schedule, a: &crate::model::Assignment, per_session: f64) -> f64 {
    if !a.role.covers()
        || a.rotation
            .is_some_and(|r| !schedule.rotation(r).counts_as_work)
    {
        return 0.0;
    }
    match schedule.block(a.block).session {
        Session::Day => 2.0 * per_session,
        Session::Am | Session::Pm => per_session,
    }
}

fn danger_name(c: DangerClass) -> String {
    match c {
        DangerClass::Low => "low",
        DangerClass::Moderate => "moderate",
        DangerClass::High => "high",
        DangerClass::VeryHigh => "very_high",
        DangerClass::Extreme => "extreme",
    }
    .to_owned()
}

fn severity_name(s: TransitionSeverity) -> &'static str {
    match s {
        TransitionSeverity::Normal => "normal",
        TransitionSeverity::Elevated => "elevated",
        TransitionSeverity::High => "high",
        TransitionSeverity::Critical => "critical",
        TransitionSeverity::Imminent => "imminent",
    }
}

fn baselines(
    schedule: &Schedule,
    at: NaiveDate,
    config: &AnalysisConfig,
    alerts: &mut Vec<HealthAlert>,
) -> BaselinesSummary {
    let h = &config.health;
    let n = schedule.people.len();
    // Weekly hours per person over the SPC horizon (or 13 weeks for the fire index, whichever is longer).
    let weeks = (h.spc_weeks as usize).max(13);
    let start = at - Duration::days(7 * weeks as i64);
    let mut weekly = vec![0.0f64; n * weeks];
    let start_day = i64::from(day_number(start));
    let block_day = schedule.block_day_numbers();
    for a in &schedule.assignments {
        let d = i64::from(block_day[a.block.index()]) - start_day;
        if (0..7 * weeks as i64).contains(&d) {
            weekly[a.person.index() * weeks + (d / 7) as usize] +=
                assignment_hours(schedule, a, h.hours_per_session);
        }
    }
    let mut spc_people = 0;
    let mut out_of_control = Vec::new();
    let mut fire_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut fire_high = Vec::new();
    for (p, person) in schedule.people.iter().enumerate() {
        let hours = &weekly[p * weeks..(p + 1) * weeks];
        if hours.iter().all(|&x| x == 0.0) {
            continue;
        }
        let charted = &hours[weeks - h.spc_weeks as usize..];
        if let Ok(mut chart) = WesternElectricChart::from_config(&config.baselines.spc)
            && let Ok(points) = chart.run(charted)
        {
            spc_people += 1;
            if let Some(last) = points.last().filter(|pt| pt.alerts()) {
                let rules: Vec<String> = (0..4)
                    .filter(|&k| last.fired[k].is_some())
                    .map(|k| (k + 1).to_string())
                    .collect();
                out_of_control.push(FlaggedPerson {
                    person: person.id.clone(),
                    value: charted[charted.len() - 1],
                    detail: format!("rule {}", rules.join(", ")),
                });
            }
        }
        // Fire index: 2-week hours, 3-month monthly average, slope of the last 4 weeks.
        let two_week: f64 = hours[weeks - 2..].iter().sum();
        let monthly = hours[weeks - 13..].iter().sum::<f64>() / 3.0;
        let last4 = &hours[weeks - 4..];
        let velocity = (0..4).map(|i| (i as f64 - 1.5) * last4[i]).sum::<f64>() / 5.0;
        let input = FireIndexInput {
            recent_two_week_hours: two_week,
            monthly_average_hours: monthly,
            yearly_satisfaction: h.assumed_satisfaction,
            workload_velocity: velocity,
        };
        if let Ok(danger) = fire_danger(&input, &config.baselines.fire_index) {
            *fire_counts.entry(danger_name(danger.class)).or_default() += 1;
            if danger.class.alerts() {
                fire_high.push(FlaggedPerson {
                    person: person.id.clone(),
                    value: danger.fwi,
                    detail: danger_name(danger.class),
                });
            }
        }
    }
    out_of_control.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.person.cmp(&b.person)));
    fire_high.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.person.cmp(&b.person)));
    let spc_count = out_of_control.len();
    let fire_count = fire_high.len();
    out_of_control.truncate(h.max_listed);
    fire_high.truncate(h.max_listed);
    if spc_count > 0 {
        alerts.push(HealthAlert {
            code: "SPC_OUT_OF_CONTROL".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Baselines,
            message: format!("{spc_count} people's weekly hours are out of statistical control"),
            evidence: out_of_control
                .iter()
                .map(|f| format!("{}: {:.0} h ({})", f.person, f.value, f.detail))
                .collect(),
            recommendation: "review these people's hours this week".to_owned(),
        });
    }
    if fire_count > 0 {
        alerts.push(HealthAlert {
            code: "BURNOUT_FIRE_DANGER".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Baselines,
            message: format!("{fire_count} people are in a high burnout fire-danger class"),
            evidence: fire_high
                .iter()
                .map(|f| format!("{}: FWI {:.1} ({})", f.person, f.value, f.detail))
                .collect(),
            recommendation: "give these people recovery time before adding work".to_owned(),
        });
    }
    // STA/LTA on daily absence starts (approved or confirmed).
    let days = h.sta_lta_days as i64;
    let first = at - Duration::days(days - 1);
    let mut starts = vec![0.0f64; days as usize];
    for a in schedule
        .absences
        .iter()
        .filter(|a| a.status.removes_capacity())
    {
        let d = (a.start_date - first).num_days();
        if (0..days).contains(&d) {
            starts[d as usize] += 1.0;
        }
    }
    let recent_from = (days - i64::from(h.recent_trigger_days)).max(0) as usize;
    let recent: Vec<Trigger> = detect(&starts, &config.baselines.sta_lta)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.start >= recent_from)
        .collect();
    if let Some(t) = recent
        .iter()
        .max_by(|a, b| a.max_ratio.total_cmp(&b.max_ratio))
    {
        alerts.push(HealthAlert {
            code: "ABSENCE_SURGE".to_owned(),
            level: AlertLevel::Warning,
            layer: Layer::Baselines,
            message: "absences are starting faster than the long-term rate (STA/LTA trigger)"
                .to_owned(),
            evidence: vec![format!(
                "peak STA/LTA ratio {:.1} from {}",
                t.max_ratio,
                first + Duration::days(t.start as i64)
            )],
            recommendation: "check for a sickness cluster and line up cover for the coming week"
                .to_owned(),
        });
    }
    BaselinesSummary {
        spc_people,
        spc_out_of_control: out_of_control,
        spc_out_of_control_count: spc_count,
        sta_lta_recent_triggers: recent,
        fire_danger_counts: fire_counts,
        fire_danger_high: fire_high,
    }
}

/// The defense state vector of one check, from the layers' outputs.
fn defense_state(
    coverage: f64,
    utilization: &UtilizationReport,
    contingency: &ContingencyReport,
    phase_transition: &PhaseTransitionRisk,
    transport: &TransportReport,
) -> DefenseState {
    DefenseState {
        coverage,
        utilization: utilization.program.utilization,
        n1_pass: contingency.n1_pass,
        n2_pass: contingency.n2_pass,
        phase_transition: phase_severity(phase_transition.overall_severity),
        transport_alerts: transport
            .alerts
            .iter()
            .map(|a| transport_alert_level(a.level))
            .collect(),
    }
}

/// The `DEFENSE_<LEVEL>` alert of a level above PREVENTION.
fn defense_alert(
    level: DefenseLevel,
    reasons: &[EscalationReason],
    hysteresis: Option<&DefenseHysteresis>,
) -> Option<HealthAlert> {
    if level == DefenseLevel::Prevention {
        return None;
    }
    let mut evidence: Vec<String> = reasons.iter().map(|r| r.evidence.clone()).collect();
    if let Some(h) = hysteresis.filter(|h| h.held) {
        evidence.push(format!(
            "held above {} until {} consecutive calm checks ({} so far)",
            defense_name(h.raw_level),
            h.step_down_checks,
            h.calm_checks
        ));
    }
    Some(HealthAlert {
        code: format!("DEFENSE_{}", defense_name(level)),
        level: match level {
            DefenseLevel::Emergency => AlertLevel::Emergency,
            DefenseLevel::Containment => AlertLevel::Critical,
            _ => AlertLevel::Warning,
        },
        layer: Layer::Defense,
        message: format!(
            "defense level {} ({})",
            defense_name(level),
            level_number(level)
        ),
        evidence,
        recommendation: actions(level)
            .first()
            .map_or_else(String::new, |a| format!("{}: {}", a.name, a.description)),
    })
}

/// Sorts alerts worst first, then by layer and code; returns their recommendations in that
/// order without duplicates.
fn order_alerts(alerts: &mut [HealthAlert]) -> Vec<String> {
    alerts.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.layer.cmp(&b.layer))
            .then(a.code.cmp(&b.code))
    });
    let mut recommendations: Vec<String> = Vec::new();
    for a in alerts.iter() {
        if !a.recommendation.is_empty() && !recommendations.contains(&a.recommendation) {
            recommendations.push(a.recommendation.clone());
        }
    }
    recommendations
}

/// Applies the defense controller's memory from earlier checks to a one-shot report and
/// returns the memory to keep for the next check.
///
/// The level escalates at once but is released only after `step_down_checks` consecutive
/// checks below the thresholds minus their margins ([`DefenseController`]). When the memory
/// holds the level above what this check alone demands, the report's defense level, its
/// `DEFENSE_*` alert, the overall status and the recommendations follow the held level.
pub fn apply_defense_memory(
    report: &mut AnalysisReport,
    memory: DefenseMemory,
    config: &DefenseConfig,
) -> Result<DefenseMemory, ResilienceError> {
    let state = defense_state(
        report.health.coverage,
        &report.utilization,
        &report.contingency,
        &report.phase_transition,
        &report.transport,
    );
    let mut controller = DefenseController::resume(config.clone(), memory)?;
    let decision = controller.check(&state)?;
    let health = &mut report.health;
    let hysteresis = DefenseHysteresis {
        previous_level: decision.previous,
        raw_level: decision.raw_level,
        held: decision.level > decision.raw_level,
        calm_checks: decision.calm_checks,
        step_down_checks: config.step_down_checks,
    };
    health.defense.level = decision.level;
    health.defense.actions = decision.actions.iter().map(|a| a.name.to_owned()).collect();
    health.alerts.retain(|a| a.layer != Layer::Defense);
    if let Some(alert) = defense_alert(decision.level, &health.defense.reasons, Some(&hysteresis)) {
        health.alerts.push(alert);
    }
    health.defense.hysteresis = Some(hysteresis);
    health.recommendations = order_alerts(&mut health.alerts);
    health.overall_status = health.overall_status.max(defense_status(decision.level));
    Ok(controller.memory().clone())
}
