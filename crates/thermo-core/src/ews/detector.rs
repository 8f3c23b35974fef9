//! Phase-transition detection on metric histories, driven by significance and effect size.
//!
//! For every metric with at least `min_points` samples the detector computes four rolling
//! indicators (see [`super::Indicator`]) and tests the Kendall τ of each against surrogate
//! nulls ([`super::significance`]):
//!
//! | signal | indicator | alternative |
//! |---|---|---|
//! | `increasing_variance` | variance | τ > 0 (one-sided) |
//! | `critical_slowing_down` | ac1 (its latest level is reported in the description) | τ > 0 |
//! | `flickering` | Sarle bimodality coefficient | τ > 0 |
//! | `distribution_skew` | skewness | τ ≠ 0 (two-sided) |
//!
//! A signal's severity is `critical` when p ≤ `p_critical` and |τ| ≥ `tau_critical`, `high`
//! when p ≤ `p_high` and |τ| ≥ `tau_high`, `elevated` when p ≤ `p_elevated`; otherwise no
//! signal. The overall severity is the worst signal, raised to `imminent` when critical
//! signals come from at least `imminent_metrics` different metrics.
//!
//! Time to transition: the recovery rate 1 − ac1 is regressed on time (hours) and
//! extrapolated to 0, with a band from the slope's standard error inflated for overlapping
//! windows; `None` unless the critical-slowing trend is significant (p ≤ `p_high`).

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Detrend, EwsConfig, EwsError, Indicator, NullDistribution, NullSampler, SignificanceConfig,
    compute, significance, window_points,
};
use crate::entropy::CriticalSlowingRule;
use crate::model::Schedule;
use crate::stats::surrogate::SurrogateMethod;

/// Severity of a signal or of the whole assessment, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionSeverity {
    /// No significant early-warning signal.
    Normal,
    /// Weak evidence (p ≤ p_elevated).
    Elevated,
    /// Significant trend of moderate size.
    High,
    /// Strongly significant, large trend.
    Critical,
    /// Critical signals on several metrics at once.
    Imminent,
}

/// Kind of early-warning signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    /// Rising variance of the metric's fluctuations.
    IncreasingVariance,
    /// Rising lag-1 autocorrelation: slower recovery from perturbations.
    CriticalSlowingDown,
    /// Rising bimodality: the metric switches between two states.
    Flickering,
    /// Changing skewness of the fluctuations.
    DistributionSkew,
}

impl SignalType {
    const ALL: [Self; 4] = [
        Self::IncreasingVariance,
        Self::CriticalSlowingDown,
        Self::Flickering,
        Self::DistributionSkew,
    ];

    fn indicator(self) -> Indicator {
        match self {
            Self::IncreasingVariance => Indicator::Variance,
            Self::CriticalSlowingDown => Indicator::Ac(1),
            Self::Flickering => Indicator::Flicker,
            Self::DistributionSkew => Indicator::Skew,
        }
    }
}

/// One early-warning signal on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriticalSignal {
    /// What kind of signal.
    pub signal_type: SignalType,
    /// The metric's name.
    pub metric: String,
    /// Severity of this signal.
    pub severity: TransitionSeverity,
    /// Kendall τ-b of the indicator against time (dimensionless, [−1, 1]).
    pub value: f64,
    /// The |τ| the reached severity requires (`tau_critical`, `tau_high`, or 0 for elevated).
    pub threshold: f64,
    /// Surrogate p-value of the trend, (1 + #{null ≥ observed})/(1 + B).
    pub p_value: f64,
    /// One sentence for people.
    pub description: String,
}

/// Extrapolated time until the recovery rate 1 − ac1 reaches 0, in hours from the last sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeToTransition {
    /// Point estimate, hours.
    pub hours: f64,
    /// Lower end of the ~95 % band, hours.
    pub lower_hours: f64,
    /// Upper end of the band, hours; `None` when the band includes "no decline at all".
    pub upper_hours: Option<f64>,
}

/// The phase-transition assessment (`phase_transition` section of the report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTransitionRisk {
    /// Worst severity (see the module docs).
    pub overall_severity: TransitionSeverity,
    /// Signals, metric by metric in first-seen order, signal types in table order.
    pub signals: Vec<CriticalSignal>,
    /// Time to transition; `None` without a significant critical-slowing trend.
    pub time_to_transition_hours: Option<TimeToTransition>,
    /// 1 − min(1, m·p_min): Bonferroni-adjusted confidence that at least one of the m
    /// trends tested is real (0 with no signal), in [0, 1].
    pub confidence: f64,
    /// Actions, most urgent first, without duplicates.
    pub recommendations: Vec<String>,
}

impl PhaseTransitionRisk {
    fn quiet() -> Self {
        Self {
            overall_severity: TransitionSeverity::Normal,
            signals: Vec::new(),
            time_to_transition_hours: None,
            confidence: 0.0,
            recommendations: Vec::new(),
        }
    }
}

/// Settings of the detector and of the report's `[phase_transition]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseTransitionConfig {
    /// Samples kept per metric (most recent; default 100).
    pub history: usize,
    /// Metrics with fewer samples are not assessed (default 20).
    pub min_points: usize,
    /// Rolling window of the indicators: fraction ≤ 1 of the history or points (default 0.5).
    pub window: f64,
    /// Detrending before the indicators (default linear: removes a steady drift of the level).
    pub detrend: Detrend,
    /// Gaussian bandwidth when `detrend = "gaussian"` (default 0.2).
    pub bandwidth: f64,
    /// LOWESS span when `detrend = "lowess"` (default 0.2).
    pub span: f64,
    /// Surrogates per metric (default 499).
    pub surrogates: usize,
    /// Seed of the surrogate generator (default 42).
    pub seed: u64,
    /// Null model (default ar1).
    pub method: SurrogateMethod,
    /// p-value at or below which a large trend is critical (default 0.01).
    pub p_critical: f64,
    /// p-value at or below which a moderate trend is high (default 0.05).
    pub p_high: f64,
    /// p-value at or below which a trend is elevated (default 0.10).
    pub p_elevated: f64,
    /// |τ| a critical signal needs (default 0.5).
    pub tau_critical: f64,
    /// |τ| a high signal needs (default 0.3).
    pub tau_high: f64,
    /// Distinct metrics with critical signals that make the assessment imminent (default 2).
    pub imminent_metrics: usize,
}

impl Default for PhaseTransitionConfig {
    fn default() -> Self {
        Self {
            history: 100,
            min_points: 20,
            window: 0.5,
            detrend: Detrend::Linear,
            bandwidth: 0.2,
            span: 0.2,
            surrogates: 499,
            seed: 42,
            method: SurrogateMethod::Ar1,
            p_critical: 0.01,
            p_high: 0.05,
            p_elevated: 0.10,
            tau_critical: 0.5,
            tau_high: 0.3,
            imminent_metrics: 2,
        }
    }
}

impl PhaseTransitionConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), EwsError> {
        let bad = |name, value: f64, reason| {
            Err(EwsError::InvalidSetting {
                name,
                value,
                reason,
            })
        };
        window_points(self.window, self.history.max(1))?;
        if self.min_points < 4 {
            return bad("min_points", self.min_points as f64, "must be at least 4");
        }
        if self.history < self.min_points {
            return bad(
                "history",
                self.history as f64,
                "must be at least min_points",
            );
        }
        if self.surrogates == 0 {
            return bad("surrogates", 0.0, "must be at least 1");
        }
        for (name, p) in [
            ("p_critical", self.p_critical),
            ("p_high", self.p_high),
            ("p_elevated", self.p_elevated),
        ] {
            if !(p > 0.0 && p <= 1.0) {
                return bad(name, p, "must be in (0, 1]");
            }
        }
        if !(self.p_critical <= self.p_high && self.p_high <= self.p_elevated) {
            return bad(
                "p_high",
                self.p_high,
                "needs p_critical ≤ p_high ≤ p_elevated",
            );
        }
        for (name, t) in [
            ("tau_critical", self.tau_critical),
            ("tau_high", self.tau_high),
        ] {
            if !(0.0..=1.0).contains(&t) {
                return bad(name, t, "must be in [0, 1]");
            }
        }
        Ok(())
    }

    fn ews_config(&self) -> EwsConfig {
        EwsConfig {
            window: self.window,
            detrend: self.detrend,
            bandwidth: self.bandwidth,
            span: self.span,
            indicators: SignalType::ALL.iter().map(|s| s.indicator()).collect(),
            convention: super::Convention::Native,
        }
    }

    fn severity(&self, p: f64, tau: f64) -> Option<(TransitionSeverity, f64)> {
        let effect = tau.abs();
        if p <= self.p_critical && effect >= self.tau_critical {
            Some((TransitionSeverity::Critical, self.tau_critical))
        } else if p <= self.p_high && effect >= self.tau_high {
            Some((TransitionSeverity::High, self.tau_high))
        } else if p <= self.p_elevated {
            Some((TransitionSeverity::Elevated, 0.0))
        } else {
            None
        }
    }
}

/// Result of assessing one metric.
struct MetricAssessment {
    signals: Vec<CriticalSignal>,
    tests: usize,
    time_to_transition: Option<TimeToTransition>,
}

/// Assesses one metric history (`hours` non-decreasing, values finite).
fn assess_metric(
    name: &str,
    hours: &[f64],
    values: &[f64],
    config: &PhaseTransitionConfig,
) -> Result<MetricAssessment, EwsError> {
    let ews = config.ews_config();
    let series = compute(hours, values, &ews)?;
    let sig = SignificanceConfig {
        surrogates: config.surrogates,
        seed: config.seed,
        method: config.method,
        block_length: None,
    };
    let quiet = |tests| MetricAssessment {
        signals: Vec::new(),
        tests,
        time_to_transition: None,
    };
    let Some(sampler) = NullSampler::new(&series, &ews, &sig)? else {
        return Ok(quiet(0));
    };
    let observed = series.kendall_tau();
    let Some(mut nulls) = null_taus_unless_settled(&sampler, &observed, config) else {
        return Ok(quiet(observed.iter().filter(|(_, t)| t.is_some()).count()));
    };
    // Indicators without a null distribution cannot give a signal (settled or falling).
    let open: Vec<bool> = nulls.iter().map(Option::is_some).collect();
    let null = NullDistribution {
        indicators: observed
            .into_iter()
            .enumerate()
            .map(|(j, (ind, tau))| (ind, tau, nulls[j].take().unwrap_or_default()))
            .collect(),
    };
    let ac1_col = &series.indicators[1].1;
    let ac1_last = ac1_col.iter().rev().find_map(|v| *v);
    let mut signals = Vec::new();
    let mut tests = 0;
    let mut csd_p = None;
    for (j, signal_type) in SignalType::ALL.iter().enumerate() {
        let Some(tau) = null.indicators[j].1 else {
            continue;
        };
        tests += 1;
        if !open[j] {
            continue;
        }
        let p = match signal_type {
            SignalType::DistributionSkew => null.p_two_sided(j),
            _ => null.p_upper(j),
        };
        let Some(p) = p else { continue };
        if *signal_type == SignalType::CriticalSlowingDown {
            csd_p = Some((p, tau));
        }
        if *signal_type != SignalType::DistributionSkew && tau <= 0.0 {
            continue;
        }
        let Some((severity, threshold)) = config.severity(p, tau) else {
            continue;
        };
        let description = match signal_type {
            SignalType::IncreasingVariance => {
                format!("Variance of {name} is rising (Kendall tau {tau:.2}, p = {p:.3})")
            }
            SignalType::CriticalSlowingDown => format!(
                "Recovery of {name} is slowing: lag-1 autocorrelation rising (tau {tau:.2}, p = {p:.3}), now {}",
                ac1_last.map_or("undefined".to_string(), |a| format!("{a:.2}"))
            ),
            SignalType::Flickering => format!(
                "{name} increasingly switches between two states (bimodality tau {tau:.2}, p = {p:.3})"
            ),
            SignalType::DistributionSkew => format!(
                "Distribution of {name} is becoming skewed (skewness tau {tau:.2}, p = {p:.3})"
            ),
        };
        signals.push(CriticalSignal {
            signal_type: *signal_type,
            metric: name.to_string(),
            severity,
            value: tau,
            threshold,
            p_value: p,
            description,
        });
    }
    let time_to_transition = match csd_p {
        Some((p, tau)) if p <= config.p_high && tau > 0.0 => {
            recovery_extrapolation(&series.times, ac1_col, series.window)
        }
        _ => None,
    };
    Ok(MetricAssessment {
        signals,
        tests,
        time_to_transition,
    })
}

/// Surrogates are drawn in blocks of this many, in index order, between checks.
const SURROGATE_BLOCK: usize = 16;

/// Per indicator, the null τ values of all `config.surrogates` surrogates (index order)
/// when its outcome depends on them, `None` when it cannot give a signal; `None` overall
/// as soon as the surrogates drawn so far settle that no indicator of the metric can.
///
/// An indicator gives no signal, and no time-to-transition estimate, unless its p ≤
/// `p_elevated` (every severity and the extrapolation need at least that; a falling trend
/// of variance, ac1 or flicker gives none at all). Its final p is
/// (1 + #{null ≥ τ}) / (1 + B_defined) ≥ (1 + #{null ≥ τ among those drawn}) / (1 + B): once
/// that bound exceeds `p_elevated` the remaining surrogates cannot change its outcome, so
/// they are drawn for the indicators still open only (an indicator's τ does not depend on
/// which others are computed). Stopping returns exactly the outcome of the full run (no
/// signal from a settled indicator, the same null values for an open one): it saves work,
/// it is not a sequential test.
fn null_taus_unless_settled(
    sampler: &NullSampler<'_>,
    observed: &[(Indicator, Option<f64>)],
    config: &PhaseTransitionConfig,
) -> Option<Vec<Option<Vec<f64>>>> {
    let total = config.surrogates;
    let k = observed.len();
    // Indicators whose outcome still depends on the surrogates, with their exceedances.
    let mut open: Vec<(usize, f64, bool, usize)> = SignalType::ALL
        .iter()
        .enumerate()
        .filter_map(|(j, signal)| {
            let tau = observed.get(j)?.1?;
            let two_sided = *signal == SignalType::DistributionSkew;
            (two_sided || tau > 0.0).then_some((j, tau, two_sided, 0))
        })
        .collect();
    let mut nulls: Vec<Vec<f64>> = vec![Vec::with_capacity(total); k];
    let mut drawn = 0;
    while drawn < total {
        if open.is_empty() {
            return None;
        }
        let mut active = vec![false; k];
        open.iter().for_each(|&(j, ..)| active[j] = true);
        let end = (drawn + SURROGATE_BLOCK).min(total);
        let block = sampler.taus_of(drawn..end, &active);
        for (j, tau, two_sided, exceed) in &mut open {
            let null = &mut nulls[*j];
            null.extend(block.iter().filter_map(|row| row[*j]));
            *exceed = null
                .iter()
                .filter(|&&t| {
                    if *two_sided {
                        t.abs() >= tau.abs()
                    } else {
                        t >= *tau
                    }
                })
                .count();
        }
        drawn = end;
        open.retain(|&(_, _, _, exceed)| {
            (1 + exceed) as f64 / (1 + total) as f64 <= config.p_elevated
        });
    }
    let mut out: Vec<Option<Vec<f64>>> = vec![None; k];
    for (j, ..) in open {
        out[j] = Some(std::mem::take(&mut nulls[j]));
    }
    Some(out)
}

/// Fits 1 − ac1 = a + b·t and extrapolates to 0 from the last defined time.
fn recovery_extrapolation(
    hours: &[f64],
    ac1: &[Option<f64>],
    window: usize,
) -> Option<TimeToTransition> {
    let (t, rr): (Vec<f64>, Vec<f64>) = hours
        .iter()
        .zip(ac1)
        .filter_map(|(&t, a)| a.map(|a| (t, 1.0 - a)))
        .unzip();
    let m = t.len();
    if m < 3 {
        return None;
    }
    let (a, b) = crate::stats::describe::ols_fit(&t, &rr)?;
    if b >= 0.0 {
        return None;
    }
    let t_last = *t.last()?;
    let rr_last = (a + b * t_last).max(0.0);
    let mt = t.iter().sum::<f64>() / m as f64;
    let sxx: f64 = t.iter().map(|x| (x - mt) * (x - mt)).sum();
    let sse: f64 = t
        .iter()
        .zip(&rr)
        .map(|(x, y)| (y - a - b * x).powi(2))
        .sum();
    // Overlapping windows share points: about m / window of the m values are independent.
    let se = (sse / (m - 2) as f64 / sxx).sqrt() * (window.max(1) as f64).sqrt();
    let steep = b - 1.96 * se;
    let shallow = b + 1.96 * se;
    Some(TimeToTransition {
        hours: rr_last / -b,
        lower_hours: rr_last / -steep,
        upper_hours: (shallow < 0.0).then(|| rr_last / -shallow),
    })
}

/// Combines per-metric assessments into the overall risk.
fn combine(
    assessments: Vec<MetricAssessment>,
    config: &PhaseTransitionConfig,
) -> PhaseTransitionRisk {
    let tests: usize = assessments.iter().map(|a| a.tests).sum();
    let time_to_transition = assessments
        .iter()
        .filter_map(|a| a.time_to_transition)
        .min_by(|x, y| x.hours.total_cmp(&y.hours));
    let signals: Vec<CriticalSignal> = assessments.into_iter().flat_map(|a| a.signals).collect();
    let mut critical_metrics: Vec<&str> = signals
        .iter()
        .filter(|s| s.severity >= TransitionSeverity::Critical)
        .map(|s| s.metric.as_str())
        .collect();
    critical_metrics.dedup();
    let worst = signals
        .iter()
        .map(|s| s.severity)
        .max()
        .unwrap_or(TransitionSeverity::Normal);
    let overall_severity = if critical_metrics.len() >= config.imminent_metrics.max(1)
        && config.imminent_metrics > 0
    {
        TransitionSeverity::Imminent
    } else {
        worst
    };
    let confidence = signals
        .iter()
        .map(|s| s.p_value)
        .min_by(f64::total_cmp)
        .map_or(0.0, |p| 1.0 - (tests as f64 * p).min(1.0));
    let recommendations = recommendations(overall_severity, &signals);
    PhaseTransitionRisk {
        overall_severity,
        signals,
        time_to_transition_hours: time_to_transition,
        confidence,
        recommendations,
    }
}

/// Recommendations: the severity's actions, then one per signal, first occurrence kept.
fn recommendations(overall: TransitionSeverity, signals: &[CriticalSignal]) -> Vec<String> {
    let mut out: Vec<String> = match overall {
        TransitionSeverity::Imminent => vec![
            "URGENT: Activate fallback schedules immediately",
            "Escalate to RED defense level",
            "Initiate load shedding protocols",
            "Alert all stakeholders of imminent transition",
        ],
        TransitionSeverity::Critical => vec![
            "Activate contingency plans",
            "Increase monitoring frequency",
            "Prepare fallback schedules",
            "Escalate to ORANGE defense level",
        ],
        TransitionSeverity::High => vec![
            "Review N-1/N-2 contingency status",
            "Increase buffer capacity",
            "Defer non-critical activities",
            "Escalate to YELLOW defense level",
        ],
        TransitionSeverity::Elevated | TransitionSeverity::Normal => vec![],
    }
    .into_iter()
    .map(String::from)
    .collect();
    for s in signals {
        let extra = match s.signal_type {
            SignalType::IncreasingVariance => {
                Some(format!("Stabilize {} (high variance detected)", s.metric))
            }
            SignalType::Flickering => Some(format!(
                "System unstable for {} - reduce perturbations",
                s.metric
            )),
            SignalType::CriticalSlowingDown => Some(format!(
                "Add recovery capacity for {} (recovery is slowing)",
                s.metric
            )),
            SignalType::DistributionSkew => None,
        };
        if let Some(e) = extra
            && !out.contains(&e)
        {
            out.push(e);
        }
    }
    out
}

/// Bounded per-metric histories with a significance-based assessment.
#[derive(Debug, Clone)]
pub struct PhaseTransitionDetector {
    config: PhaseTransitionConfig,
    origin: Option<DateTime<Utc>>,
    metrics: Vec<(String, VecDeque<(f64, f64)>)>,
}

impl PhaseTransitionDetector {
    /// A detector with validated settings.
    pub fn new(config: PhaseTransitionConfig) -> Result<Self, EwsError> {
        config.validate()?;
        Ok(Self {
            config,
            origin: None,
            metrics: Vec::new(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &PhaseTransitionConfig {
        &self.config
    }

    /// Records the metric values observed at `at`. Values must be finite and a metric's
    /// times must not go back; metrics absent from a call are not padded. O(1) per value.
    pub fn update_at(
        &mut self,
        at: DateTime<Utc>,
        metrics: &[(&str, f64)],
    ) -> Result<(), EwsError> {
        if let Some(&(_, v)) = metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(crate::stats::StatsError::NonFinite {
                what: "metric value",
                index: 0,
                value: v,
            }
            .into());
        }
        let origin = *self.origin.get_or_insert(at);
        let hours = (at - origin).num_milliseconds() as f64 / 3_600_000.0;
        for &(name, value) in metrics {
            let idx = match self.metrics.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    self.metrics.push((name.to_string(), VecDeque::new()));
                    self.metrics.len() - 1
                }
            };
            let history = &mut self.metrics[idx].1;
            if history.back().is_some_and(|&(t, _)| hours < t) {
                return Err(EwsError::UnsortedTimes {
                    index: history.len(),
                });
            }
            if history.len() == self.config.history {
                history.pop_front();
            }
            history.push_back((hours, value));
        }
        Ok(())
    }

    /// The history of one metric: (hours since the first update, value), oldest first.
    pub fn history(&self, metric: &str) -> Option<Vec<(f64, f64)>> {
        self.metrics
            .iter()
            .find(|(n, _)| n == metric)
            .map(|(_, h)| h.iter().copied().collect())
    }

    /// Assesses every metric with at least `min_points` samples.
    pub fn detect(&self) -> Result<PhaseTransitionRisk, EwsError> {
        let mut assessments = Vec::new();
        for (name, history) in &self.metrics {
            if history.len() < self.config.min_points {
                continue;
            }
            let (hours, values): (Vec<f64>, Vec<f64>) = history.iter().copied().unzip();
            assessments.push(assess_metric(name, &hours, &values, &self.config)?);
        }
        Ok(combine(assessments, &self.config))
    }
}

/// Callback run when the assessment enters `critical` or `imminent`.
pub type AlertCallback = Box<dyn FnMut(&PhaseTransitionRisk) + Send>;

/// A detector with a bounded risk history and alert callbacks.
///
/// Callbacks fire when the overall severity *enters* critical-or-worse (or worsens from
/// critical to imminent), not on every update while it stays there.
pub struct CriticalPhenomenaMonitor {
    detector: PhaseTransitionDetector,
    risks: VecDeque<PhaseTransitionRisk>,
    callbacks: Vec<AlertCallback>,
}

impl std::fmt::Debug for CriticalPhenomenaMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CriticalPhenomenaMonitor")
            .field("detector", &self.detector)
            .field("risks", &self.risks.len())
            .field("callbacks", &self.callbacks.len())
            .finish()
    }
}

impl CriticalPhenomenaMonitor {
    /// Risk assessments kept.
    pub const RISK_HISTORY: usize = 100;

    /// A monitor around a new detector.
    pub fn new(config: PhaseTransitionConfig) -> Result<Self, EwsError> {
        Ok(Self {
            detector: PhaseTransitionDetector::new(config)?,
            risks: VecDeque::with_capacity(Self::RISK_HISTORY),
            callbacks: Vec::new(),
        })
    }

    /// Registers an alert callback (run in registration order).
    pub fn on_alert(&mut self, callback: AlertCallback) {
        self.callbacks.push(callback);
    }

    /// Records the metrics, assesses, stores and returns the risk; fires callbacks on entry
    /// into critical-or-worse.
    pub fn update_and_assess(
        &mut self,
        at: DateTime<Utc>,
        metrics: &[(&str, f64)],
    ) -> Result<PhaseTransitionRisk, EwsError> {
        self.detector.update_at(at, metrics)?;
        let risk = self.detector.detect()?;
        let previous = self
            .risks
            .back()
            .map_or(TransitionSeverity::Normal, |r| r.overall_severity);
        if risk.overall_severity >= TransitionSeverity::Critical && risk.overall_severity > previous
        {
            for cb in &mut self.callbacks {
                cb(&risk);
            }
        }
        if self.risks.len() == Self::RISK_HISTORY {
            self.risks.pop_front();
        }
        self.risks.push_back(risk.clone());
        Ok(risk)
    }

    /// The latest assessment.
    pub fn current_risk(&self) -> Option<&PhaseTransitionRisk> {
        self.risks.back()
    }

    /// Assessments held, oldest first.
    pub fn risk_history(&self) -> impl ExactSizeIterator<Item = &PhaseTransitionRisk> {
        self.risks.iter()
    }
}

/// The report's `phase_transition` section: every metric series of the bundle, samples up
/// to the end of day `at` (UTC), the last `history` samples each.
pub fn phase_transition_section(
    schedule: &Schedule,
    at: NaiveDate,
    config: &PhaseTransitionConfig,
) -> PhaseTransitionRisk {
    if let Err(e) = config.validate() {
        let mut risk = PhaseTransitionRisk::quiet();
        risk.recommendations
            .push(format!("Fix the [phase_transition] settings: {e}"));
        return risk;
    }
    let end = at
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let mut assessments = Vec::new();
    for series in schedule.metric_series() {
        let upto = match end {
            Some(end) => series.timestamps.partition_point(|t| *t < end),
            None => series.timestamps.len(),
        };
        let from = upto.saturating_sub(config.history);
        if upto - from < config.min_points {
            continue;
        }
        let origin = series.timestamps[from];
        let hours: Vec<f64> = series.timestamps[from..upto]
            .iter()
            .map(|t| (*t - origin).num_milliseconds() as f64 / 3_600_000.0)
            .collect();
        // Validated settings and finite, time-ordered model data cannot fail here.
        if let Ok(a) = assess_metric(&series.metric, &hours, &series.values[from..upto], config) {
            assessments.push(a);
        }
    }
    combine(assessments, config)
}

/// Critical-slowing rule for the [`crate::entropy::EntropyMonitor`]: the lag-1
/// autocorrelation of the entropy history has a rising trend with surrogate p ≤ `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignificanceSlowingRule {
    /// Fewer measurements never fire (default 20).
    pub min_points: usize,
    /// Rolling window, fraction ≤ 1 or points (default 0.5).
    pub window: f64,
    /// Surrogates (default 199).
    pub surrogates: usize,
    /// Seed (default 42).
    pub seed: u64,
    /// Significance level (default 0.05).
    pub alpha: f64,
}

impl Default for SignificanceSlowingRule {
    fn default() -> Self {
        Self {
            min_points: 20,
            window: 0.5,
            surrogates: 199,
            seed: 42,
            alpha: 0.05,
        }
    }
}

impl SignificanceSlowingRule {
    /// The p-value of a rising lag-1 autocorrelation trend in `values` observed at `hours`;
    /// `None` when too short or undefined.
    pub fn p_value(&self, values: &[f64], hours: &[f64]) -> Option<f64> {
        if values.len() < self.min_points.max(4) || values.len() != hours.len() {
            return None;
        }
        let config = EwsConfig {
            window: self.window,
            indicators: vec![Indicator::Ac(1)],
            ..EwsConfig::default()
        };
        let series = compute(hours, values, &config).ok()?;
        let sig = SignificanceConfig {
            surrogates: self.surrogates.max(1),
            seed: self.seed,
            ..SignificanceConfig::default()
        };
        let null = significance(&series, &config, &sig).ok()??;
        (null.indicators[0].1? > 0.0).then(|| null.p_upper(0))?
    }
}

impl CriticalSlowingRule for SignificanceSlowingRule {
    fn detect(&self, values: &[f64], hours: &[f64]) -> bool {
        self.p_value(values, hours).is_some_and(|p| p <= self.alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::EntropyMonitor;
    use chrono::Duration;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};
    use std::sync::{Arc, Mutex};

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// AR(1) whose coefficient climbs from 0.1 to 0.97: textbook critical slowing down.
    fn approaching(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|i| {
                let phi = 0.1 + 0.87 * i as f64 / n as f64;
                let z: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + z;
                50.0 + x
            })
            .collect()
    }

    fn white(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                10.0 + z
            })
            .collect()
    }

    fn config() -> PhaseTransitionConfig {
        PhaseTransitionConfig {
            history: 200,
            surrogates: 199,
            ..PhaseTransitionConfig::default()
        }
    }

    fn feed(d: &mut PhaseTransitionDetector, name: &str, xs: &[f64]) {
        for (i, &x) in xs.iter().enumerate() {
            d.update_at(t0() + Duration::hours(i as i64), &[(name, x)])
                .unwrap();
        }
    }

    #[test]
    fn rising_memory_is_flagged_with_a_finite_time_band() {
        let mut d = PhaseTransitionDetector::new(config()).unwrap();
        feed(&mut d, "coverage", &approaching(200, 5));
        let risk = d.detect().unwrap();
        let csd = risk
            .signals
            .iter()
            .find(|s| s.signal_type == SignalType::CriticalSlowingDown)
            .expect("critical slowing detected");
        assert!(csd.severity >= TransitionSeverity::High, "{risk:#?}");
        assert!(csd.p_value <= 0.05);
        let ttt = risk.time_to_transition_hours.expect("a time estimate");
        assert!(ttt.hours > 0.0 && ttt.lower_hours <= ttt.hours, "{ttt:?}");
        if let Some(u) = ttt.upper_hours {
            assert!(u >= ttt.hours);
        }
        assert!(risk.confidence > 0.0 && risk.confidence <= 1.0);
        assert!(risk.overall_severity >= TransitionSeverity::High);
        assert!(!risk.recommendations.is_empty());
    }

    #[test]
    fn settling_early_gives_what_all_surrogates_give() {
        let cfg = config();
        let ews = cfg.ews_config();
        let sig = SignificanceConfig {
            surrogates: cfg.surrogates,
            seed: cfg.seed,
            method: cfg.method,
            block_length: None,
        };
        let mut settled = 0;
        let mut indicators_left_out = 0;
        for seed in 0..8 {
            let xs = if seed % 2 == 0 {
                white(120, seed)
            } else {
                approaching(120, seed)
            };
            let hours: Vec<f64> = (0..120).map(f64::from).collect();
            let series = compute(&hours, &xs, &ews).unwrap();
            let sampler = NullSampler::new(&series, &ews, &sig).unwrap().unwrap();
            let observed = series.kendall_tau();
            let full = significance(&series, &ews, &sig).unwrap().unwrap();
            let no_signal_possible = |j: usize| {
                let Some(tau) = observed[j].1 else {
                    return true;
                };
                if SignalType::ALL[j] == SignalType::DistributionSkew {
                    full.p_two_sided(j).unwrap() > cfg.p_elevated
                } else {
                    tau <= 0.0 || full.p_upper(j).unwrap() > cfg.p_elevated
                }
            };
            match null_taus_unless_settled(&sampler, &observed, &cfg) {
                Some(nulls) => {
                    assert_eq!(nulls.len(), full.indicators.len());
                    for (j, (_, _, null)) in full.indicators.iter().enumerate() {
                        match &nulls[j] {
                            // An open indicator gets every surrogate's τ, as the full run.
                            Some(drawn) => assert_eq!(drawn, null),
                            None => {
                                indicators_left_out += 1;
                                assert!(no_signal_possible(j));
                            }
                        }
                    }
                }
                None => {
                    settled += 1;
                    assert!((0..SignalType::ALL.len()).all(no_signal_possible));
                }
            }
        }
        assert!(settled > 0, "no series settled early");
        assert!(indicators_left_out > 0, "no indicator was left out");
    }

    #[test]
    fn white_noise_is_quiet_and_has_no_time_estimate() {
        let mut d = PhaseTransitionDetector::new(config()).unwrap();
        feed(&mut d, "load", &white(200, 8));
        let risk = d.detect().unwrap();
        assert!(
            risk.overall_severity < TransitionSeverity::Critical,
            "{risk:#?}"
        );
        assert_eq!(risk.time_to_transition_hours, None);
    }

    #[test]
    fn constant_metric_gives_no_signal_and_short_metric_is_skipped() {
        let mut d = PhaseTransitionDetector::new(config()).unwrap();
        feed(&mut d, "flat", &[3.0; 60]);
        feed(&mut d, "short", &[1.0, 2.0, 3.0]);
        let risk = d.detect().unwrap();
        assert_eq!(risk.overall_severity, TransitionSeverity::Normal);
        assert!(risk.signals.is_empty());
        assert_eq!(risk.confidence, 0.0);
        assert!(risk.recommendations.is_empty());
    }

    #[test]
    fn two_critical_metrics_are_imminent_and_recommendations_are_ordered() {
        let signals = vec![
            CriticalSignal {
                signal_type: SignalType::IncreasingVariance,
                metric: "a".into(),
                severity: TransitionSeverity::Critical,
                value: 0.8,
                threshold: 0.5,
                p_value: 0.002,
                description: String::new(),
            },
            CriticalSignal {
                signal_type: SignalType::Flickering,
                metric: "b".into(),
                severity: TransitionSeverity::Critical,
                value: 0.7,
                threshold: 0.5,
                p_value: 0.004,
                description: String::new(),
            },
        ];
        let risk = combine(
            vec![MetricAssessment {
                signals,
                tests: 8,
                time_to_transition: None,
            }],
            &PhaseTransitionConfig::default(),
        );
        assert_eq!(risk.overall_severity, TransitionSeverity::Imminent);
        assert_eq!(
            risk.recommendations[0],
            "URGENT: Activate fallback schedules immediately"
        );
        assert_eq!(
            risk.recommendations[4],
            "Stabilize a (high variance detected)"
        );
        assert_eq!(
            risk.recommendations[5],
            "System unstable for b - reduce perturbations"
        );
        assert!((risk.confidence - (1.0 - 8.0 * 0.002)).abs() < 1e-12);
    }

    #[test]
    fn bad_input_and_settings_are_rejected() {
        let mut d = PhaseTransitionDetector::new(config()).unwrap();
        assert!(d.update_at(t0(), &[("x", f64::NAN)]).is_err());
        d.update_at(t0() + Duration::hours(2), &[("x", 1.0)])
            .unwrap();
        assert!(
            d.update_at(t0() + Duration::hours(1), &[("x", 1.0)])
                .is_err()
        );
        let bad = PhaseTransitionConfig {
            p_critical: 0.2,
            ..PhaseTransitionConfig::default()
        };
        assert!(PhaseTransitionDetector::new(bad).is_err());
        let bad = PhaseTransitionConfig {
            window: 0.0,
            ..PhaseTransitionConfig::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn monitor_alerts_once_on_entry_and_keeps_history_bounded() {
        let mut m = CriticalPhenomenaMonitor::new(PhaseTransitionConfig {
            history: 120,
            surrogates: 99,
            ..PhaseTransitionConfig::default()
        })
        .unwrap();
        let fired = Arc::new(Mutex::new(0usize));
        let f = Arc::clone(&fired);
        m.on_alert(Box::new(move |_| *f.lock().unwrap() += 1));
        let xs = approaching(140, 5);
        let mut severities = Vec::new();
        for (i, &x) in xs.iter().enumerate() {
            let r = m
                .update_and_assess(t0() + Duration::hours(i as i64), &[("m", x)])
                .unwrap();
            severities.push(r.overall_severity);
        }
        let entries = severities
            .windows(2)
            .filter(|w| w[1] >= TransitionSeverity::Critical && w[1] > w[0])
            .count()
            + usize::from(severities[0] >= TransitionSeverity::Critical);
        assert_eq!(*fired.lock().unwrap(), entries);
        assert_eq!(
            m.risk_history().len(),
            CriticalPhenomenaMonitor::RISK_HISTORY
        );
        assert_eq!(
            m.current_risk().unwrap().overall_severity,
            *severities.last().unwrap()
        );
    }

    #[test]
    fn entropy_monitor_uses_the_significance_rule() {
        let rule = SignificanceSlowingRule::default();
        let xs = approaching(120, 21);
        let mut monitor = EntropyMonitor::with_rule(200, Box::new(rule));
        for (i, &x) in xs.iter().enumerate() {
            monitor
                .update(t0() + Duration::hours(i as i64), x / 10.0)
                .unwrap();
        }
        let hours = monitor.hours();
        let p = rule.p_value(&monitor.values(), &hours).unwrap();
        assert_eq!(monitor.detect_critical_slowing(), p <= 0.05);
        assert!(p <= 0.05, "p = {p}");
        let quiet = white(120, 4);
        assert!(!rule.detect(&quiet, &hours) || rule.p_value(&quiet, &hours).unwrap() <= 0.05);
        assert!(!rule.detect(&quiet[..10], &hours[..10]));
    }

    #[test]
    fn report_section_reads_metric_series_up_to_the_analysis_date() {
        use crate::model::{MetricSample, ScheduleBuilder};
        let mut b = ScheduleBuilder::new();
        for (i, x) in approaching(150, 5).into_iter().enumerate() {
            b.add_metric(MetricSample {
                timestamp: t0() + Duration::hours(i as i64),
                metric: "coverage".into(),
                value: x,
            })
            .unwrap();
        }
        for i in 0..40 {
            b.add_metric(MetricSample {
                timestamp: t0() + Duration::days(30 + i),
                metric: "later".into(),
                value: (i % 7) as f64,
            })
            .unwrap();
        }
        let schedule = b.build();
        let config = PhaseTransitionConfig {
            history: 150,
            surrogates: 199,
            ..PhaseTransitionConfig::default()
        };
        let at = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let risk = phase_transition_section(&schedule, at, &config);
        assert!(
            risk.signals.iter().all(|s| s.metric == "coverage"),
            "{risk:#?}"
        );
        assert!(
            risk.signals
                .iter()
                .any(|s| s.signal_type == SignalType::CriticalSlowingDown)
        );
        let invalid = PhaseTransitionConfig {
            surrogates: 0,
            ..config
        };
        let quiet = phase_transition_section(&schedule, at, &invalid);
        assert!(quiet.signals.is_empty());
        assert!(quiet.recommendations[0].starts_with("Fix the [phase_transition] settings"));
    }
}
