//! Defense in depth: five levels decided by one function of a state vector, with hysteresis.
//!
//! Each signal of the [`DefenseState`] demands a minimum level; the **raw level** is the
//! highest demand (thresholds in [`DefenseConfig`]):
//! - coverage (fraction of required slot positions filled, 0–1): ≥ 0.95 PREVENTION, ≥ 0.90
//!   CONTROL, ≥ 0.80 SAFETY_SYSTEMS, ≥ 0.70 CONTAINMENT, below EMERGENCY;
//! - utilization (demand / capacity, ratio): < 0.70 PREVENTION, ≥ 0.70 CONTROL, ≥ 0.80
//!   SAFETY_SYSTEMS, ≥ 0.90 CONTAINMENT, ≥ 0.95 EMERGENCY (the 80 % rule's bands);
//! - N-2 failing demands CONTROL, N-1 failing SAFETY_SYSTEMS;
//! - phase-transition severity: elevated CONTROL, high SAFETY_SYSTEMS, critical CONTAINMENT,
//!   imminent EMERGENCY (even when utilization is low);
//! - worst transport alert: watch CONTROL, warning SAFETY_SYSTEMS, critical CONTAINMENT.
//!
//! **Hysteresis** ([`DefenseController`]): escalation to a higher raw level is immediate and
//! records the signals that demanded it. Stepping down uses the **release level**: the same
//! function with the numeric thresholds moved by δ toward safety (coverage thresholds + δ,
//! utilization thresholds − δ). The level steps down only after `k` consecutive checks whose
//! release level is below the current level, to the highest release level of those checks.

use serde::{Deserialize, Serialize};

use super::{ResilienceError, finite, non_negative};

/// The five defense levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DefenseLevel {
    /// 1: normal operation with buffers.
    Prevention,
    /// 2: monitoring and early warning.
    Control,
    /// 3: automatic reassignment and backups.
    SafetySystems,
    /// 4: service reduction and zone isolation.
    Containment,
    /// 5: crisis response.
    Emergency,
}

/// Phase-transition severity, mirroring the early-warning layer's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseSeverity {
    /// No indicator.
    Normal,
    /// Some indicators moving.
    Elevated,
    /// Several indicators agree.
    High,
    /// Transition likely.
    Critical,
    /// Transition under way.
    Imminent,
}

/// Alert level of the transport layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportAlertLevel {
    /// No alert.
    Normal,
    /// Watch.
    Watch,
    /// Warning.
    Warning,
    /// Critical.
    Critical,
}

/// Everything the level depends on, measured at one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefenseState {
    /// Filled / required slot positions (0–1).
    pub coverage: f64,
    /// Demand / capacity (ratio, ≥ 0; may exceed 1).
    pub utilization: f64,
    /// Whether every single loss is absorbable.
    pub n1_pass: bool,
    /// Whether every loss of two people is absorbable.
    pub n2_pass: bool,
    /// Phase-transition severity from the early-warning layer.
    pub phase_transition: PhaseSeverity,
    /// Transport alert levels (any number; the worst counts).
    pub transport_alerts: Vec<TransportAlertLevel>,
}

/// Defense settings (`[defense]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefenseConfig {
    /// Coverage lower bounds for PREVENTION, CONTROL, SAFETY_SYSTEMS, CONTAINMENT
    /// (default [0.95, 0.90, 0.80, 0.70]; descending).
    pub coverage_thresholds: [f64; 4],
    /// Utilization lower bounds for CONTROL, SAFETY_SYSTEMS, CONTAINMENT, EMERGENCY
    /// (default [0.70, 0.80, 0.90, 0.95]; ascending).
    pub utilization_thresholds: [f64; 4],
    /// Hysteresis margin δ on coverage (default 0.02).
    pub coverage_margin: f64,
    /// Hysteresis margin δ on utilization (default 0.05).
    pub utilization_margin: f64,
    /// Consecutive calm checks before stepping down, `k` (default 3).
    pub step_down_checks: u32,
}

impl Default for DefenseConfig {
    fn default() -> Self {
        Self {
            coverage_thresholds: [0.95, 0.90, 0.80, 0.70],
            utilization_thresholds: [0.70, 0.80, 0.90, 0.95],
            coverage_margin: 0.02,
            utilization_margin: 0.05,
            step_down_checks: 3,
        }
    }
}

impl DefenseConfig {
    /// Checks ranges and ordering.
    pub fn validate(&self) -> Result<(), ResilienceError> {
        for &c in &self.coverage_thresholds {
            finite("defense.coverage_thresholds", c)?;
        }
        for &u in &self.utilization_thresholds {
            finite("defense.utilization_thresholds", u)?;
        }
        let bad = |field, value| Err(ResilienceError::InvalidNumber { field, value });
        if self.coverage_thresholds.windows(2).any(|w| w[0] < w[1]) {
            return bad("defense.coverage_thresholds", self.coverage_thresholds[0]);
        }
        if self.utilization_thresholds.windows(2).any(|w| w[0] > w[1]) {
            return bad(
                "defense.utilization_thresholds",
                self.utilization_thresholds[0],
            );
        }
        non_negative("defense.coverage_margin", self.coverage_margin)?;
        non_negative("defense.utilization_margin", self.utilization_margin)?;
        if self.step_down_checks == 0 {
            return Err(ResilienceError::ZeroCount {
                field: "defense.step_down_checks",
            });
        }
        Ok(())
    }
}

/// Which part of the state vector demanded a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefenseSignal {
    /// Coverage.
    Coverage,
    /// Utilization.
    Utilization,
    /// N-1 failing.
    N1,
    /// N-2 failing.
    N2,
    /// Phase-transition severity.
    PhaseTransition,
    /// Transport alerts.
    Transport,
}

/// One signal's demand, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationReason {
    /// The signal.
    pub signal: DefenseSignal,
    /// The level it demands.
    pub demands: DefenseLevel,
    /// Human-readable evidence (value and threshold).
    pub evidence: String,
}

fn level_from_index(i: usize) -> DefenseLevel {
    [
        DefenseLevel::Prevention,
        DefenseLevel::Control,
        DefenseLevel::SafetySystems,
        DefenseLevel::Containment,
        DefenseLevel::Emergency,
    ][i.min(4)]
}

/// Each signal's demand; `margin` 0 gives the raw demands, 1 the release demands.
fn demands(state: &DefenseState, config: &DefenseConfig, release: bool) -> Vec<EscalationReason> {
    let (dc, du) = if release {
        (config.coverage_margin, config.utilization_margin)
    } else {
        (0.0, 0.0)
    };
    let mut out = Vec::new();
    let cov_idx = config
        .coverage_thresholds
        .iter()
        .position(|&t| state.coverage >= t + dc)
        .unwrap_or(4);
    out.push(EscalationReason {
        signal: DefenseSignal::Coverage,
        demands: level_from_index(cov_idx),
        evidence: format!("coverage {:.3}", state.coverage),
    });
    let util_idx = config
        .utilization_thresholds
        .iter()
        .filter(|&&t| state.utilization >= t - du)
        .count();
    out.push(EscalationReason {
        signal: DefenseSignal::Utilization,
        demands: level_from_index(util_idx),
        evidence: format!("utilization {:.3}", state.utilization),
    });
    if !state.n2_pass {
        out.push(EscalationReason {
            signal: DefenseSignal::N2,
            demands: DefenseLevel::Control,
            evidence: "a loss of two people is not absorbable".into(),
        });
    }
    if !state.n1_pass {
        out.push(EscalationReason {
            signal: DefenseSignal::N1,
            demands: DefenseLevel::SafetySystems,
            evidence: "a single loss leaves an unrepairable slot".into(),
        });
    }
    let phase = match state.phase_transition {
        PhaseSeverity::Normal => DefenseLevel::Prevention,
        PhaseSeverity::Elevated => DefenseLevel::Control,
        PhaseSeverity::High => DefenseLevel::SafetySystems,
        PhaseSeverity::Critical => DefenseLevel::Containment,
        PhaseSeverity::Imminent => DefenseLevel::Emergency,
    };
    out.push(EscalationReason {
        signal: DefenseSignal::PhaseTransition,
        demands: phase,
        evidence: format!("phase-transition risk {:?}", state.phase_transition).to_lowercase(),
    });
    let worst = state
        .transport_alerts
        .iter()
        .copied()
        .max()
        .unwrap_or(TransportAlertLevel::Normal);
    let transport = match worst {
        TransportAlertLevel::Normal => DefenseLevel::Prevention,
        TransportAlertLevel::Watch => DefenseLevel::Control,
        TransportAlertLevel::Warning => DefenseLevel::SafetySystems,
        TransportAlertLevel::Critical => DefenseLevel::Containment,
    };
    out.push(EscalationReason {
        signal: DefenseSignal::Transport,
        demands: transport,
        evidence: format!("worst transport alert {worst:?}").to_lowercase(),
    });
    out
}

fn validate_state(state: &DefenseState) -> Result<(), ResilienceError> {
    non_negative("coverage", state.coverage)?;
    non_negative("utilization", state.utilization)?;
    Ok(())
}

/// The raw level of a state (no hysteresis) and the signals that demand it.
pub fn recommended_level(
    state: &DefenseState,
    config: &DefenseConfig,
) -> Result<(DefenseLevel, Vec<EscalationReason>), ResilienceError> {
    validate_state(state)?;
    let all = demands(state, config, false);
    let level = all
        .iter()
        .map(|r| r.demands)
        .max()
        .unwrap_or(DefenseLevel::Prevention);
    Ok((
        level,
        all.into_iter().filter(|r| r.demands == level).collect(),
    ))
}

/// A fixed action of a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DefenseAction {
    /// Name.
    pub name: &'static str,
    /// Whether it runs without a person deciding.
    pub automated: bool,
    /// What it does.
    pub description: &'static str,
}

/// The actions of a level (framework-spec §3.2).
pub fn actions(level: DefenseLevel) -> &'static [DefenseAction] {
    const fn a(name: &'static str, automated: bool, description: &'static str) -> DefenseAction {
        DefenseAction {
            name,
            automated,
            description,
        }
    }
    const PREVENTION: &[DefenseAction] = &[
        a(
            "capacity_buffer",
            true,
            "keep utilization under the 80 % line",
        ),
        a("cross_training", false, "train backups for sole providers"),
        a(
            "absence_forecasting",
            true,
            "project known absences onto coverage",
        ),
    ];
    const CONTROL: &[DefenseAction] = &[
        a("coverage_monitoring", true, "check coverage every cycle"),
        a("early_warning", true, "watch early-warning indicators"),
        a(
            "burnout_tracking",
            true,
            "track workload and fire-danger indices",
        ),
    ];
    const SAFETY: &[DefenseAction] = &[
        a(
            "auto_reassignment",
            true,
            "fill gaps from free eligible people",
        ),
        a("backup_activation", true, "call in people on backup duty"),
        a(
            "overtime_authorization",
            false,
            "authorise overtime to cover gaps",
        ),
    ];
    const CONTAINMENT: &[DefenseAction] = &[
        a(
            "service_reduction",
            false,
            "shed load by the sacrifice hierarchy",
        ),
        a(
            "minimum_service_protection",
            true,
            "protect patient-safety activities",
        ),
        a(
            "zone_isolation",
            false,
            "stop borrowing across failing zones",
        ),
    ];
    const EMERGENCY: &[DefenseAction] = &[
        a("crisis_communication", false, "inform staff and leadership"),
        a("external_escalation", false, "request outside staffing"),
        a(
            "incident_documentation",
            true,
            "record the incident and decisions",
        ),
    ];
    match level {
        DefenseLevel::Prevention => PREVENTION,
        DefenseLevel::Control => CONTROL,
        DefenseLevel::SafetySystems => SAFETY,
        DefenseLevel::Containment => CONTAINMENT,
        DefenseLevel::Emergency => EMERGENCY,
    }
}

/// Persistable state of the controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefenseMemory {
    /// Current level.
    pub level: DefenseLevel,
    /// Consecutive checks whose release level was below `level`.
    pub calm_checks: u32,
    /// Highest release level over those checks.
    pub calm_max: DefenseLevel,
}

impl Default for DefenseMemory {
    fn default() -> Self {
        Self {
            level: DefenseLevel::Prevention,
            calm_checks: 0,
            calm_max: DefenseLevel::Prevention,
        }
    }
}

/// What one check decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefenseDecision {
    /// Level after this check.
    pub level: DefenseLevel,
    /// Level before this check.
    pub previous: DefenseLevel,
    /// Raw level of this check's state (no hysteresis).
    pub raw_level: DefenseLevel,
    /// On escalation, the signals that demanded the new level; otherwise empty.
    pub escalation_reasons: Vec<EscalationReason>,
    /// Consecutive calm checks counted toward stepping down.
    pub calm_checks: u32,
    /// The actions of the decided level.
    pub actions: &'static [DefenseAction],
}

/// Level state machine with immediate escalation and delayed, margin-guarded step-down.
#[derive(Debug, Clone)]
pub struct DefenseController {
    config: DefenseConfig,
    memory: DefenseMemory,
}

impl DefenseController {
    /// A controller starting at PREVENTION.
    pub fn new(config: DefenseConfig) -> Result<Self, ResilienceError> {
        Self::resume(config, DefenseMemory::default())
    }

    /// A controller resuming from persisted memory.
    pub fn resume(config: DefenseConfig, memory: DefenseMemory) -> Result<Self, ResilienceError> {
        config.validate()?;
        Ok(Self { config, memory })
    }

    /// The persistable state.
    pub fn memory(&self) -> &DefenseMemory {
        &self.memory
    }

    /// Evaluates one check.
    pub fn check(&mut self, state: &DefenseState) -> Result<DefenseDecision, ResilienceError> {
        let (raw, reasons) = recommended_level(state, &self.config)?;
        let previous = self.memory.level;
        let mut escalation_reasons = Vec::new();
        if raw > previous {
            self.memory = DefenseMemory {
                level: raw,
                calm_checks: 0,
                calm_max: DefenseLevel::Prevention,
            };
            escalation_reasons = reasons;
        } else {
            let release = demands(state, &self.config, true)
                .iter()
                .map(|r| r.demands)
                .max()
                .unwrap_or(DefenseLevel::Prevention);
            if release < previous {
                self.memory.calm_max = if self.memory.calm_checks == 0 {
                    release
                } else {
                    self.memory.calm_max.max(release)
                };
                self.memory.calm_checks += 1;
                if self.memory.calm_checks >= self.config.step_down_checks {
                    self.memory.level = self.memory.calm_max;
                    self.memory.calm_checks = 0;
                    self.memory.calm_max = DefenseLevel::Prevention;
                }
            } else {
                self.memory.calm_checks = 0;
                self.memory.calm_max = DefenseLevel::Prevention;
            }
        }
        Ok(DefenseDecision {
            level: self.memory.level,
            previous,
            raw_level: raw,
            escalation_reasons,
            calm_checks: self.memory.calm_checks,
            actions: actions(self.memory.level),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calm() -> DefenseState {
        DefenseState {
            coverage: 1.0,
            utilization: 0.5,
            n1_pass: true,
            n2_pass: true,
            phase_transition: PhaseSeverity::Normal,
            transport_alerts: vec![],
        }
    }

    #[test]
    fn coverage_bands_match_the_reference_edges() {
        let c = DefenseConfig::default();
        for (cov, level) in [
            (1.0, DefenseLevel::Prevention),
            (0.95, DefenseLevel::Prevention),
            (0.9499, DefenseLevel::Control),
            (0.9, DefenseLevel::Control),
            (0.8, DefenseLevel::SafetySystems),
            (0.7, DefenseLevel::Containment),
            (0.6999, DefenseLevel::Emergency),
        ] {
            let s = DefenseState {
                coverage: cov,
                ..calm()
            };
            assert_eq!(recommended_level(&s, &c).unwrap().0, level, "{cov}");
        }
    }

    #[test]
    fn imminent_phase_transition_means_emergency_at_low_utilization() {
        let c = DefenseConfig::default();
        let s = DefenseState {
            phase_transition: PhaseSeverity::Imminent,
            utilization: 0.1,
            ..calm()
        };
        let (level, why) = recommended_level(&s, &c).unwrap();
        assert_eq!(level, DefenseLevel::Emergency);
        assert_eq!(why[0].signal, DefenseSignal::PhaseTransition);
        let s = DefenseState {
            phase_transition: PhaseSeverity::Critical,
            ..calm()
        };
        assert_eq!(
            recommended_level(&s, &c).unwrap().0,
            DefenseLevel::Containment
        );
    }

    #[test]
    fn escalates_at_once_and_steps_down_after_k_calm_checks_below_the_margin() {
        let mut ctl = DefenseController::new(DefenseConfig::default()).unwrap();
        let hot = DefenseState {
            utilization: 0.91,
            n1_pass: false,
            ..calm()
        };
        let d = ctl.check(&hot).unwrap();
        assert_eq!(d.level, DefenseLevel::Containment);
        let signals: Vec<_> = d.escalation_reasons.iter().map(|r| r.signal).collect();
        assert_eq!(signals, vec![DefenseSignal::Utilization]);
        // Just below the threshold but inside the margin: no step-down, however often.
        let near = DefenseState {
            utilization: 0.88,
            ..calm()
        };
        for _ in 0..5 {
            assert_eq!(ctl.check(&near).unwrap().level, DefenseLevel::Containment);
        }
        // Clearly calm: steps down on the third consecutive check, to the calm level.
        let cool = DefenseState {
            utilization: 0.5,
            ..calm()
        };
        assert_eq!(ctl.check(&cool).unwrap().level, DefenseLevel::Containment);
        assert_eq!(ctl.check(&cool).unwrap().level, DefenseLevel::Containment);
        let d = ctl.check(&cool).unwrap();
        assert_eq!(d.level, DefenseLevel::Prevention);
        assert!(d.escalation_reasons.is_empty());
        // An interruption resets the count.
        ctl.check(&hot).unwrap();
        ctl.check(&cool).unwrap();
        ctl.check(&near).unwrap();
        ctl.check(&cool).unwrap();
        assert_eq!(ctl.memory().level, DefenseLevel::Containment);
    }

    #[test]
    fn bad_input_is_rejected() {
        let c = DefenseConfig::default();
        let s = DefenseState {
            coverage: f64::NAN,
            ..calm()
        };
        assert!(recommended_level(&s, &c).is_err());
        let bad = DefenseConfig {
            step_down_checks: 0,
            ..DefenseConfig::default()
        };
        assert!(DefenseController::new(bad).is_err());
    }
}
