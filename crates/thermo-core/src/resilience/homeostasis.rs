//! Homeostasis: feedback loops around setpoints, volatility metrics and entropy evidence.
//!
//! **Deviation** of a value `x` from a setpoint with target `T` and relative tolerance `τ`:
//! `dev = max(0, T − x)` for higher-is-better setpoints, `max(0, x − T)` for lower-is-better,
//! `|x − T|` for two-sided (same unit as `x`); `rel = dev / T` (or `dev` when `T = 0`).
//! Severity: none if `rel ≤ τ`, minor ≤ 2τ, moderate ≤ 3τ, major ≤ 5τ, else critical. The
//! original treated every setpoint as two-sided, so perfect balance (workload std 0) was
//! CRITICAL and 100 % coverage a MINOR deviation.
//!
//! **Volatility metrics** of a loop's history (needs `min_points`, default 10):
//! - `volatility`: coefficient of variation (sample std / |mean|, 0 when the mean is 0) of
//!   the last `volatility_window` values (dimensionless);
//! - `jitter`: share of the last `volatility_window` values where the direction reverses
//!   **and** both steps exceed `jitter_amplitude_fraction · τ · |T|` (0–1); the original
//!   counted reversals of any size, so ±0.0001 noise was CRITICAL;
//! - `momentum`: OLS slope of the last `momentum_window` values per check, divided by `τ·T`
//!   (tolerance bands per check; sign = direction);
//! - `distance_to_critical`: `max(0, 1 − dev(last) / (5·τ·T))` (1 = on target, 0 = at the
//!   critical band);
//! - `level` from `risk = 2·volatility + 1.5·jitter + (1 − distance)`: < 0.2 stable, < 0.5
//!   normal, < 1.0 elevated, < 1.5 high, else critical.
//!
//! **Entropy evidence** (integration guide): an alert with volatility above
//! `high_volatility` (0.15) reads "disorder increasing" when the person entropy exceeds
//! `high_entropy_bits` (3 bits), else "concentrated instability (hub overload risk)";
//! critical slowing in the entropy monitor raises every alert to severity CRITICAL (and
//! raises one system alert if no loop is volatile).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{ResilienceError, finite, non_negative, positive};

/// Which side of the target is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetpointDirection {
    /// Only values below the target deviate (coverage, stability, compliance).
    HigherIsBetter,
    /// Only values above the target deviate (utilization, workload imbalance).
    LowerIsBetter,
    /// Both sides deviate.
    TwoSided,
}

/// A setpoint of a feedback loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setpoint {
    /// Name (e.g. `coverage_rate`).
    pub name: String,
    /// Target value (unit of the metric).
    pub target: f64,
    /// Relative tolerance τ (fraction of the target).
    pub tolerance: f64,
    /// Which side is bad.
    pub direction: SetpointDirection,
}

impl Setpoint {
    /// A validated setpoint (finite target, finite tolerance > 0).
    pub fn new(
        name: &str,
        target: f64,
        tolerance: f64,
        direction: SetpointDirection,
    ) -> Result<Self, ResilienceError> {
        finite("setpoint.target", target)?;
        positive("setpoint.tolerance", tolerance)?;
        Ok(Self {
            name: name.to_owned(),
            target,
            tolerance,
            direction,
        })
    }

    /// The five default setpoints (framework-spec §3.6.2) with their directions.
    pub fn defaults() -> Vec<Setpoint> {
        use SetpointDirection::{HigherIsBetter as Hi, LowerIsBetter as Lo};
        [
            ("coverage_rate", 0.95, 0.05, Hi),
            ("faculty_utilization", 0.75, 0.10, Lo),
            ("workload_balance", 0.15, 0.05, Lo),
            ("schedule_stability", 0.95, 0.05, Hi),
            ("acgme_compliance", 1.0, 0.02, Hi),
        ]
        .into_iter()
        .map(|(n, t, tol, d)| Setpoint {
            name: n.to_owned(),
            target: t,
            tolerance: tol,
            direction: d,
        })
        .collect()
    }

    /// Deviation of `x` on the bad side (unit of the metric, ≥ 0).
    pub fn deviation(&self, x: f64) -> f64 {
        match self.direction {
            SetpointDirection::HigherIsBetter => (self.target - x).max(0.0),
            SetpointDirection::LowerIsBetter => (x - self.target).max(0.0),
            SetpointDirection::TwoSided => (x - self.target).abs(),
        }
    }

    /// Deviation and its severity.
    pub fn check(&self, x: f64) -> (f64, DeviationSeverity) {
        let dev = self.deviation(x);
        let rel = if self.target > 0.0 {
            dev / self.target
        } else {
            dev
        };
        let t = self.tolerance;
        let sev = if rel <= t {
            DeviationSeverity::None
        } else if rel <= 2.0 * t {
            DeviationSeverity::Minor
        } else if rel <= 3.0 * t {
            DeviationSeverity::Moderate
        } else if rel <= 5.0 * t {
            DeviationSeverity::Major
        } else {
            DeviationSeverity::Critical
        };
        (dev, sev)
    }

    fn band(&self) -> f64 {
        self.tolerance * self.target.abs()
    }
}

/// Deviation severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationSeverity {
    /// Within tolerance.
    None,
    /// Within 2τ.
    Minor,
    /// Within 3τ.
    Moderate,
    /// Within 5τ.
    Major,
    /// Beyond 5τ.
    Critical,
}

/// Corrective action type (framework-spec §3.6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectiveAction {
    /// Rebalance work.
    Redistribute,
    /// Bring in backups.
    RecruitBackup,
    /// Defer activities.
    DeferActivity,
    /// Protect a resource.
    ProtectResource,
    /// Reduce scope.
    ReduceScope,
    /// Alert only.
    AlertOnly,
}

/// Volatility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolatilityLevel {
    /// risk < 0.2.
    Stable,
    /// risk < 0.5.
    Normal,
    /// risk < 1.0 (warning).
    Elevated,
    /// risk < 1.5 (warning).
    High,
    /// risk ≥ 1.5 (warning, critical).
    Critical,
}

impl VolatilityLevel {
    /// The level of a risk score.
    pub fn of(risk: f64) -> Self {
        if risk < 0.2 {
            Self::Stable
        } else if risk < 0.5 {
            Self::Normal
        } else if risk < 1.0 {
            Self::Elevated
        } else if risk < 1.5 {
            Self::High
        } else {
            Self::Critical
        }
    }

    /// Whether the level is a warning (elevated or worse).
    pub fn is_warning(self) -> bool {
        self >= Self::Elevated
    }
}

/// Volatility metrics of one loop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VolatilityMetrics {
    /// Coefficient of variation.
    pub volatility: f64,
    /// Amplitude-aware reversal share (0–1).
    pub jitter: f64,
    /// Slope in tolerance bands per check.
    pub momentum: f64,
    /// 1 on target, 0 at the critical band.
    pub distance_to_critical: f64,
    /// Level from the risk score.
    pub level: VolatilityLevel,
}

impl VolatilityMetrics {
    /// The risk score `2·volatility + 1.5·jitter + (1 − distance_to_critical)` the level is
    /// read from (dimensionless, ≥ 0).
    pub fn risk(&self) -> f64 {
        risk_score(self.volatility, self.jitter, self.distance_to_critical)
    }
}

fn risk_score(volatility: f64, jitter: f64, distance_to_critical: f64) -> f64 {
    2.0 * volatility + 1.5 * jitter + (1.0 - distance_to_critical)
}

/// Homeostasis settings (`[homeostasis]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeostasisConfig {
    /// Values kept per loop (default 100).
    pub history_capacity: usize,
    /// Values before volatility is computed (default 10).
    pub min_points: usize,
    /// Window of volatility and jitter (default 20 values).
    pub volatility_window: usize,
    /// Window of momentum (default 10 values).
    pub momentum_window: usize,
    /// A reversal counts for jitter only when both steps exceed this share of `τ·|T|`
    /// (default 0.25).
    pub jitter_amplitude_fraction: f64,
    /// Volatility above which entropy evidence is attached (default 0.15).
    pub high_volatility: f64,
    /// Person entropy (bits) above which high volatility reads as disorder (default 3.0).
    pub high_entropy_bits: f64,
    /// Consecutive minor/moderate deviations before a correction (default 3).
    pub escalation_checks: u32,
}

impl Default for HomeostasisConfig {
    fn default() -> Self {
        Self {
            history_capacity: 100,
            min_points: 10,
            volatility_window: 20,
            momentum_window: 10,
            jitter_amplitude_fraction: 0.25,
            high_volatility: 0.15,
            high_entropy_bits: 3.0,
            escalation_checks: 3,
        }
    }
}

impl HomeostasisConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ResilienceError> {
        for (field, v) in [
            ("homeostasis.history_capacity", self.history_capacity),
            ("homeostasis.min_points", self.min_points),
            ("homeostasis.volatility_window", self.volatility_window),
            ("homeostasis.momentum_window", self.momentum_window),
        ] {
            if v < 3 {
                return Err(ResilienceError::InvalidNumber {
                    field,
                    value: v as f64,
                });
            }
        }
        for (field, v) in [
            (
                "homeostasis.jitter_amplitude_fraction",
                self.jitter_amplitude_fraction,
            ),
            ("homeostasis.high_volatility", self.high_volatility),
            ("homeostasis.high_entropy_bits", self.high_entropy_bits),
        ] {
            non_negative(field, v)?;
        }
        if self.escalation_checks == 0 {
            return Err(ResilienceError::ZeroCount {
                field: "homeostasis.escalation_checks",
            });
        }
        Ok(())
    }
}

/// Volatility metrics of a series against a setpoint; `None` with fewer than `min_points`.
pub fn volatility_metrics(
    values: &[f64],
    setpoint: &Setpoint,
    config: &HomeostasisConfig,
) -> Option<VolatilityMetrics> {
    if values.len() < config.min_points.max(3) {
        return None;
    }
    let tail = |n: usize| &values[values.len().saturating_sub(n)..];
    let w = tail(config.volatility_window);
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let std = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let volatility = if mean == 0.0 { 0.0 } else { std / mean.abs() };
    let amplitude = config.jitter_amplitude_fraction * setpoint.band();
    let reversals = w
        .windows(3)
        .filter(|t| {
            let (d1, d2) = (t[1] - t[0], t[2] - t[1]);
            d1 * d2 < 0.0 && d1.abs() > amplitude && d2.abs() > amplitude
        })
        .count();
    let jitter = reversals as f64 / (n - 2.0);
    let m = tail(config.momentum_window);
    let k = m.len() as f64;
    let xm = (k - 1.0) / 2.0;
    let ym = m.iter().sum::<f64>() / k;
    let (sxy, sxx) = m.iter().enumerate().fold((0.0, 0.0), |(sxy, sxx), (i, y)| {
        let dx = i as f64 - xm;
        (sxy + dx * (y - ym), sxx + dx * dx)
    });
    let slope = sxy / sxx;
    let band = setpoint.band();
    let momentum = if band > 0.0 { slope / band } else { slope };
    let last = values[values.len() - 1];
    let distance_to_critical = if band > 0.0 {
        (1.0 - setpoint.deviation(last) / (5.0 * band)).max(0.0)
    } else {
        1.0
    };
    let risk = risk_score(volatility, jitter, distance_to_critical);
    Some(VolatilityMetrics {
        volatility,
        jitter,
        momentum,
        distance_to_critical,
        level: VolatilityLevel::of(risk),
    })
}

/// Result of feeding one value to a loop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoopCheck {
    /// Deviation on the bad side.
    pub deviation: f64,
    /// Its severity.
    pub severity: DeviationSeverity,
    /// Consecutive checks with a deviation.
    pub consecutive_deviations: u32,
    /// The correction due now, if any.
    pub correction: Option<CorrectiveAction>,
}

/// A negative feedback loop with its bounded history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackLoop {
    /// The setpoint.
    pub setpoint: Setpoint,
    /// Recorded values, oldest first.
    pub history: VecDeque<f64>,
    /// Consecutive checks with a deviation.
    pub consecutive_deviations: u32,
}

impl FeedbackLoop {
    /// An empty loop.
    pub fn new(setpoint: Setpoint) -> Self {
        Self {
            setpoint,
            history: VecDeque::new(),
            consecutive_deviations: 0,
        }
    }

    /// Records a value and decides the correction: major and critical deviations at once,
    /// minor and moderate after `escalation_checks` consecutive deviations.
    pub fn record(
        &mut self,
        x: f64,
        config: &HomeostasisConfig,
    ) -> Result<LoopCheck, ResilienceError> {
        finite("feedback value", x)?;
        if self.history.len() == config.history_capacity {
            self.history.pop_front();
        }
        self.history.push_back(x);
        let (deviation, severity) = self.setpoint.check(x);
        if severity == DeviationSeverity::None {
            self.consecutive_deviations = 0;
        } else {
            self.consecutive_deviations += 1;
        }
        let due = severity >= DeviationSeverity::Major
            || (severity > DeviationSeverity::None
                && self.consecutive_deviations >= config.escalation_checks);
        let name = self.setpoint.name.as_str();
        let correction = due.then(|| match severity {
            DeviationSeverity::Critical
                if name == "coverage_rate" || name == "acgme_compliance" =>
            {
                CorrectiveAction::RecruitBackup
            }
            DeviationSeverity::Critical => CorrectiveAction::ReduceScope,
            DeviationSeverity::Major if name == "workload_balance" => {
                CorrectiveAction::Redistribute
            }
            DeviationSeverity::Major if name == "faculty_utilization" => {
                CorrectiveAction::DeferActivity
            }
            DeviationSeverity::Major => CorrectiveAction::ProtectResource,
            _ => CorrectiveAction::AlertOnly,
        });
        Ok(LoopCheck {
            deviation,
            severity,
            consecutive_deviations: self.consecutive_deviations,
            correction,
        })
    }

    /// Volatility metrics of the history.
    pub fn volatility(&self, config: &HomeostasisConfig) -> Option<VolatilityMetrics> {
        let values: Vec<f64> = self.history.iter().copied().collect();
        volatility_metrics(&values, &self.setpoint, config)
    }
}

/// Evidence from the entropy layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntropyEvidence {
    /// Person entropy H(P) of the current schedule (bits).
    pub person_entropy_bits: f64,
    /// Whether the entropy monitor detects critical slowing.
    pub critical_slowing: bool,
}

/// How high volatility reads against the entropy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolatilityReading {
    /// High variance with high entropy: disorder increasing.
    DisorderIncreasing,
    /// High variance with low entropy: concentrated instability (hub overload risk).
    ConcentratedInstability,
}

/// A volatility alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolatilityAlert {
    /// Loop name, or `entropy` for the system alert from critical slowing alone.
    pub source: String,
    /// The loop's metrics (absent for the system alert).
    pub metrics: Option<VolatilityMetrics>,
    /// Severity: CRITICAL under critical slowing, else by level (critical → critical,
    /// high → major, elevated → moderate).
    pub severity: DeviationSeverity,
    /// Entropy reading of high volatility.
    pub reading: Option<VolatilityReading>,
    /// Evidence lines.
    pub evidence: Vec<String>,
}

/// The five default loops plus an entropy-aware volatility check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeostasisMonitor {
    /// Settings.
    pub config: HomeostasisConfig,
    /// Loops, in setpoint order.
    pub loops: Vec<FeedbackLoop>,
}

impl HomeostasisMonitor {
    /// A monitor with the default setpoints.
    pub fn new(config: HomeostasisConfig) -> Result<Self, ResilienceError> {
        config.validate()?;
        Ok(Self {
            config,
            loops: Setpoint::defaults()
                .into_iter()
                .map(FeedbackLoop::new)
                .collect(),
        })
    }

    /// Feeds named values to their loops; unknown names are an error (not ignored).
    pub fn check_all(
        &mut self,
        values: &[(&str, f64)],
    ) -> Result<Vec<(String, LoopCheck)>, ResilienceError> {
        let mut out = Vec::with_capacity(values.len());
        for &(name, x) in values {
            let lp = self
                .loops
                .iter_mut()
                .find(|l| l.setpoint.name == name)
                .ok_or(ResilienceError::UnknownLoop(name.to_owned()))?;
            out.push((name.to_owned(), lp.record(x, &self.config)?));
        }
        Ok(out)
    }

    /// Volatility alerts with entropy evidence, in loop order.
    pub fn detect_volatility_risks(
        &self,
        entropy: &EntropyEvidence,
    ) -> Result<Vec<VolatilityAlert>, ResilienceError> {
        finite("person_entropy_bits", entropy.person_entropy_bits)?;
        let c = &self.config;
        let mut alerts = Vec::new();
        for lp in &self.loops {
            let Some(m) = lp.volatility(c) else { continue };
            if !m.level.is_warning() {
                continue;
            }
            let mut evidence = Vec::new();
            let mut reading = None;
            if m.volatility > c.high_volatility {
                if entropy.person_entropy_bits > c.high_entropy_bits {
                    reading = Some(VolatilityReading::DisorderIncreasing);
                    evidence.push(format!(
                        "high variance (volatility {:.3}) with high disorder (person entropy \
                         {:.2} bits): disorder increasing",
                        m.volatility, entropy.person_entropy_bits
                    ));
                } else {
                    reading = Some(VolatilityReading::ConcentratedInstability);
                    evidence.push(format!(
                        "high variance (volatility {:.3}) with low entropy ({:.2} bits): \
                         concentrated instability (hub overload risk)",
                        m.volatility, entropy.person_entropy_bits
                    ));
                }
            }
            if m.jitter > 0.5 {
                evidence.push(format!("high oscillation (jitter {:.2})", m.jitter));
            }
            if m.distance_to_critical < 0.3 {
                evidence.push(format!(
                    "near the critical band (distance {:.2})",
                    m.distance_to_critical
                ));
            }
            if m.momentum.abs() > 1.0 {
                evidence.push(format!(
                    "rapid {} ({:.2} tolerance bands per check)",
                    if m.momentum > 0.0 {
                        "increase"
                    } else {
                        "decrease"
                    },
                    m.momentum
                ));
            }
            let mut severity = match m.level {
                VolatilityLevel::Critical => DeviationSeverity::Critical,
                VolatilityLevel::High => DeviationSeverity::Major,
                _ => DeviationSeverity::Moderate,
            };
            if entropy.critical_slowing {
                severity = DeviationSeverity::Critical;
                evidence.push(CRITICAL_SLOWING.to_owned());
            }
            alerts.push(VolatilityAlert {
                source: lp.setpoint.name.clone(),
                metrics: Some(m),
                severity,
                reading,
                evidence,
            });
        }
        if entropy.critical_slowing && alerts.is_empty() {
            alerts.push(VolatilityAlert {
                source: "entropy".to_owned(),
                metrics: None,
                severity: DeviationSeverity::Critical,
                reading: None,
                evidence: vec![CRITICAL_SLOWING.to_owned()],
            });
        }
        Ok(alerts)
    }
}

const CRITICAL_SLOWING: &str =
    "critical slowing in the entropy monitor: phase transition may be imminent";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sided_setpoints_do_not_punish_doing_well() {
        let sp = Setpoint::defaults();
        assert_eq!(sp[0].check(1.0).1, DeviationSeverity::None, "full coverage");
        assert_eq!(
            sp[2].check(0.0).1,
            DeviationSeverity::None,
            "perfect balance"
        );
        assert_eq!(
            sp[1].check(0.5).1,
            DeviationSeverity::None,
            "spare capacity"
        );
        // Golden edges of the coverage setpoint below target are unchanged.
        for (x, sev) in [
            (0.9, DeviationSeverity::Minor),
            (0.85, DeviationSeverity::Moderate),
            (0.8, DeviationSeverity::Major),
            (0.75, DeviationSeverity::Major),
            (0.7, DeviationSeverity::Critical),
        ] {
            assert_eq!(sp[0].check(x).1, sev, "{x}");
        }
    }

    #[test]
    fn minor_deviations_correct_after_three_checks() {
        let cfg = HomeostasisConfig::default();
        let mut lp = FeedbackLoop::new(Setpoint::defaults().remove(0));
        assert_eq!(lp.record(0.9, &cfg).unwrap().correction, None);
        assert_eq!(lp.record(0.9, &cfg).unwrap().correction, None);
        assert_eq!(
            lp.record(0.9, &cfg).unwrap().correction,
            Some(CorrectiveAction::AlertOnly)
        );
        assert_eq!(
            lp.record(0.5, &cfg).unwrap().correction,
            Some(CorrectiveAction::RecruitBackup)
        );
        assert!(lp.record(f64::NAN, &cfg).is_err());
    }
}
