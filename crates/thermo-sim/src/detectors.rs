//! The detectors of the module comparison, each fed a scenario run one hour at a time.
//!
//! Every detector is causal: the score it reports for hour `t` is computed from the
//! observations of hours `0..=t` only (a live service sees nothing else). A score is a
//! continuous number where higher means more alarming; `None` means the detector is still
//! warming up and cannot alert. Where the detector can tell which unit is in trouble it
//! names it with the score. The harness turns scores into alerts (score ≥ threshold, with a
//! refractory period), so one score stream serves both the default and the calibrated
//! threshold, and the ROC curve.
//!
//! A [`Detector`] module may score several *channels* (detectors of the comparison) from one
//! shared computation — the transport check scores the Péclet number, the saturation
//! gradient, the boundary layer and their combination from one evaluation. The maths lives
//! in `thermo_core`; this module only feeds it from the stream. Every statistic, unit and
//! default threshold is listed in [`channel_specs`] and documented in `docs/compare.md`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use thermo_core::baselines::fire_index::{FireIndexConfig, FireIndexInput, fire_danger};
use thermo_core::baselines::spc::WesternElectricChart;
use thermo_core::baselines::sta_lta::{RecursiveStaLta, StaLtaConfig};
use thermo_core::entropy::shannon_from_counts;
use thermo_core::ews::{Convention, EwsStream, Indicator};
use thermo_core::queueing::erlang_c;
use thermo_core::resilience::homeostasis::{HomeostasisConfig, Setpoint, volatility_metrics};
use thermo_core::stats::autocorr::RollingAutocorr;
use thermo_core::stats::{ExpandingMoments, RollingKendall, RollingMoments, ols_slope};
use thermo_core::transport::{Transfer, TransportConfig, TransportInput, UnitState, evaluate};

use crate::stream::{HourObservation, UnitIdx};

/// What a detector says about one hour.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Check {
    /// Higher = more alarming; `None` while warming up (no alert possible).
    pub score: Option<f64>,
    /// The unit the detector blames, when it can tell.
    pub unit: Option<UnitIdx>,
}

/// A detector module: resets per run, then sees each hour once, in order.
pub trait Detector: Send {
    /// Channels this module scores, in output order (names from [`channel_specs`]).
    fn channels(&self) -> &'static [&'static str];
    /// Forgets the previous run.
    fn reset(&mut self);
    /// Consumes one hour and writes one [`Check`] per channel into `out`.
    fn update(&mut self, obs: &HourObservation, out: &mut [Check]);
}

/// Settings of every detector (`[detectors]` in the comparison config). Each default is
/// documented in `docs/compare.md`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorsConfig {
    /// Utilization threshold (baseline A).
    pub utilization: UtilizationSettings,
    /// Erlang C wait probability.
    pub erlang: ErlangSettings,
    /// SPC Western Electric chart (baseline B).
    pub spc: SpcSettings,
    /// STA/LTA on swap requests and absences (baseline C).
    pub sta_lta: StaLtaSettings,
    /// Burnout fire index (baseline D).
    pub fire_index: FireSettings,
    /// Homeostasis volatility (baseline E).
    pub homeostasis: HomeostasisSettings,
    /// Phase-transition early warning (Kendall τ) and the expanding-window z-score.
    pub ews: EwsSettings,
    /// Entropy critical slowing.
    pub entropy: EntropySettings,
    /// Fluctuation gain.
    pub fluctuation: FluctuationSettings,
    /// Transport (Péclet, gradient, boundary layer).
    pub transport: TransportSettings,
}

/// Utilization detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UtilizationSettings {
    /// Rolling window in hours (default 12).
    pub window_hours: usize,
    /// Default alert threshold on offered load / capacity (default 0.80).
    pub threshold: f64,
}

impl Default for UtilizationSettings {
    fn default() -> Self {
        Self {
            window_hours: 12,
            threshold: 0.80,
        }
    }
}

/// Erlang detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErlangSettings {
    /// Rolling window in hours for the arrival rate, the service rate and the mean staff
    /// on duty (default 12).
    pub window_hours: usize,
    /// Default alert threshold on the Erlang C wait probability (default 0.5).
    pub threshold: f64,
}

impl Default for ErlangSettings {
    fn default() -> Self {
        Self {
            window_hours: 12,
            threshold: 0.5,
        }
    }
}

/// SPC detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpcSettings {
    /// Hours per chart sample: each sample is a unit's utilization over one block of this
    /// many hours (default 8, a shift).
    pub sample_hours: usize,
    /// Samples of the baseline period the limits are estimated from (default 21 = one
    /// week of 8-hour blocks; at least 20 as the baseline requires).
    pub baseline_samples: usize,
    /// Default alert threshold on the Western Electric score (default 3.0: rules 1–3 on
    /// the upper side fire exactly when the score exceeds 3).
    pub threshold: f64,
}

impl Default for SpcSettings {
    fn default() -> Self {
        Self {
            sample_hours: 8,
            baseline_samples: 21,
            threshold: 3.0,
        }
    }
}

/// STA/LTA detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaLtaSettings {
    /// Short window in hourly samples (default 24).
    pub short_window: usize,
    /// Long window in hourly samples, also the priming length (default 168).
    pub long_window: usize,
    /// Default alert threshold on the STA/LTA ratio (default 2.5, the trigger-on level).
    pub threshold: f64,
}

impl Default for StaLtaSettings {
    fn default() -> Self {
        Self {
            short_window: 24,
            long_window: 168,
            threshold: 2.5,
        }
    }
}

/// Fire-index detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FireSettings {
    /// Hours in 14 days above which fine-fuel dryness starts; absent = 2 × the mean
    /// weekly hours per person measured over the first 168 hours of the run (default absent).
    pub two_week_target_hours: Option<f64>,
    /// Average monthly hours above which duff dryness starts; absent = the two-week target
    /// × 30/14 (default absent).
    pub monthly_target_hours: Option<f64>,
    /// Yearly satisfaction in [0, 1] used for every person (no survey data; default 0.7).
    pub satisfaction: f64,
    /// Default alert threshold on the FWI (default 40, class HIGH).
    pub threshold: f64,
}

impl Default for FireSettings {
    fn default() -> Self {
        Self {
            two_week_target_hours: None,
            monthly_target_hours: None,
            satisfaction: 0.7,
            threshold: 40.0,
        }
    }
}

/// Homeostasis detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeostasisSettings {
    /// Rolling window in hours for the utilization setpoints (default 12).
    pub window_hours: usize,
    /// Weekly hours cap for the compliance setpoint (default 80 h over the last 168 h).
    pub weekly_hours_cap: f64,
    /// Default alert threshold on the risk score (default 0.5, level ELEVATED).
    pub threshold: f64,
}

impl Default for HomeostasisSettings {
    fn default() -> Self {
        Self {
            window_hours: 12,
            weekly_hours_cap: 80.0,
            threshold: 0.5,
        }
    }
}

/// Early-warning detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EwsSettings {
    /// Seasonal lag removed from the backlog before the indicators (default 24 h: the
    /// residual is `x_t − x_{t−24}`).
    pub seasonal_lag: usize,
    /// Rolling window of the variance and lag-1 autocorrelation (default 48 h).
    pub window: usize,
    /// Indicator history over which Kendall τ is computed (default 72 values).
    pub trend_window: usize,
    /// Indicator values needed before τ is reported (default 24).
    pub trend_min_points: usize,
    /// Indicator values before the z-scores are reported (burn-in, default 24).
    pub burn_in: usize,
    /// Default threshold of the Kendall τ detector (default 0.6; calibrated in the harness).
    pub threshold_kendall: f64,
    /// Default threshold of the z-score detector (default 2.0 σ, held 2 consecutive hours).
    pub threshold_zscore: f64,
}

impl Default for EwsSettings {
    fn default() -> Self {
        Self {
            seasonal_lag: 24,
            window: 48,
            trend_window: 72,
            trend_min_points: 24,
            burn_in: 24,
            threshold_kendall: 0.6,
            threshold_zscore: 2.0,
        }
    }
}

/// Entropy detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntropySettings {
    /// Rolling window of the entropy's lag-1 autocorrelation (default 48 h).
    pub window: usize,
    /// Autocorrelation history over which Kendall τ is computed (default 72 values).
    pub trend_window: usize,
    /// Autocorrelation values needed before τ is reported (default 24).
    pub trend_min_points: usize,
    /// Default alert threshold on τ (default 0.6).
    pub threshold: f64,
}

impl Default for EntropySettings {
    fn default() -> Self {
        Self {
            window: 48,
            trend_window: 72,
            trend_min_points: 24,
            threshold: 0.6,
        }
    }
}

/// Fluctuation-gain detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FluctuationSettings {
    /// Rolling window of both variances (default 48 h).
    pub window: usize,
    /// Hours whose gains form each unit's reference (default 168: the first week).
    pub baseline_hours: usize,
    /// Default alert threshold on gain / reference gain (default 2.0).
    pub threshold: f64,
}

impl Default for FluctuationSettings {
    fn default() -> Self {
        Self {
            window: 48,
            baseline_hours: 168,
            threshold: 2.0,
        }
    }
}

/// Transport detector settings. The Péclet, gradient and boundary-layer thresholds are the
/// warning levels of `[transport]` (0.8, 0.15, 0.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransportSettings {
    /// Rate window in hours: arrivals, capacity and transfers are summed over it
    /// (default 24; must be a whole number of days).
    pub window_hours: usize,
    /// Score given to an unbounded Péclet number or gradient (default 10).
    pub unbounded_cap: f64,
    /// Core transport settings (ρ_sat, stressed fraction, warning thresholds).
    pub core: TransportConfig,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            window_hours: 24,
            unbounded_cap: 10.0,
            core: TransportConfig::default(),
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("detectors.{field}: {message}")]
pub struct DetectorConfigError {
    /// Dotted key.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn bad(field: &str, message: &str) -> DetectorConfigError {
    DetectorConfigError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

impl DetectorsConfig {
    /// Checks every window and threshold.
    pub fn validate(&self) -> Result<(), DetectorConfigError> {
        let windows = [
            ("utilization.window_hours", self.utilization.window_hours, 1),
            ("erlang.window_hours", self.erlang.window_hours, 1),
            ("spc.sample_hours", self.spc.sample_hours, 1),
            ("spc.baseline_samples", self.spc.baseline_samples, 20),
            ("homeostasis.window_hours", self.homeostasis.window_hours, 1),
            ("ews.window", self.ews.window, 4),
            ("ews.trend_window", self.ews.trend_window, 3),
            ("ews.trend_min_points", self.ews.trend_min_points, 3),
            ("ews.burn_in", self.ews.burn_in, 2),
            ("ews.seasonal_lag", self.ews.seasonal_lag, 0),
            ("entropy.window", self.entropy.window, 4),
            ("entropy.trend_window", self.entropy.trend_window, 3),
            ("entropy.trend_min_points", self.entropy.trend_min_points, 3),
            ("fluctuation.window", self.fluctuation.window, 4),
            ("transport.window_hours", self.transport.window_hours, 24),
        ];
        for (field, v, min) in windows {
            if v < min {
                return Err(bad(field, &format!("must be at least {min}, got {v}")));
            }
        }
        if self.ews.trend_min_points > self.ews.trend_window {
            return Err(bad(
                "ews.trend_min_points",
                "must not exceed ews.trend_window",
            ));
        }
        if self.entropy.trend_min_points > self.entropy.trend_window {
            return Err(bad(
                "entropy.trend_min_points",
                "must not exceed entropy.trend_window",
            ));
        }
        if self.fluctuation.baseline_hours <= self.fluctuation.window {
            return Err(bad(
                "fluctuation.baseline_hours",
                "must exceed fluctuation.window",
            ));
        }
        if !self.transport.window_hours.is_multiple_of(24) {
            return Err(bad("transport.window_hours", "must be a multiple of 24"));
        }
        StaLtaConfig {
            short_window: self.sta_lta.short_window,
            long_window: self.sta_lta.long_window,
            ..StaLtaConfig::default()
        }
        .validate()
        .map_err(|e| bad("sta_lta", &e.to_string()))?;
        self.transport
            .core
            .validate()
            .map_err(|e| bad("transport.core", &e.to_string()))?;
        let finite_thresholds = [
            ("utilization.threshold", self.utilization.threshold),
            ("erlang.threshold", self.erlang.threshold),
            ("spc.threshold", self.spc.threshold),
            ("sta_lta.threshold", self.sta_lta.threshold),
            ("fire_index.threshold", self.fire_index.threshold),
            ("homeostasis.threshold", self.homeostasis.threshold),
            ("ews.threshold_kendall", self.ews.threshold_kendall),
            ("ews.threshold_zscore", self.ews.threshold_zscore),
            ("entropy.threshold", self.entropy.threshold),
            ("fluctuation.threshold", self.fluctuation.threshold),
        ];
        for (field, v) in finite_thresholds {
            if !v.is_finite() {
                return Err(bad(field, "must be a finite number"));
            }
        }
        let positive = [
            (
                "homeostasis.weekly_hours_cap",
                self.homeostasis.weekly_hours_cap,
            ),
            ("transport.unbounded_cap", self.transport.unbounded_cap),
        ];
        for (field, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(field, "must be a finite number > 0"));
            }
        }
        if !(0.0..=1.0).contains(&self.fire_index.satisfaction) {
            return Err(bad("fire_index.satisfaction", "must be in [0, 1]"));
        }
        for (field, v) in [
            (
                "fire_index.two_week_target_hours",
                self.fire_index.two_week_target_hours,
            ),
            (
                "fire_index.monthly_target_hours",
                self.fire_index.monthly_target_hours,
            ),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err(bad(field, "must be a finite number > 0"));
            }
        }
        Ok(())
    }
}

/// What a channel measures; one entry per detector of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelSpec {
    /// Detector name (`utilization`, `transport_peclet`, …).
    pub name: &'static str,
    /// Input it reads from the stream.
    pub input: &'static str,
    /// The statistic scored (higher = more alarming) and its unit.
    pub statistic: &'static str,
    /// Documented default threshold (alert when score ≥ threshold).
    pub default_threshold: f64,
    /// Whether its alerts name a unit.
    pub names_unit: bool,
}

/// Every channel, in comparison order, with its default threshold from `config`.
pub fn channel_specs(config: &DetectorsConfig) -> Vec<ChannelSpec> {
    let t = &config.transport.core;
    vec![
        ChannelSpec {
            name: "utilization",
            input: "arrivals and capacity per unit",
            statistic: "max over units of Σ arrivals / Σ capacity over the rolling window (ratio)",
            default_threshold: config.utilization.threshold,
            names_unit: true,
        },
        ChannelSpec {
            name: "erlang",
            input: "arrivals, capacity and staff on duty per unit",
            statistic: "max over units of the Erlang C wait probability (0–1); 1 + (A − c)/c once the offered load A reaches the c servers",
            default_threshold: config.erlang.threshold,
            names_unit: true,
        },
        ChannelSpec {
            name: "spc",
            input: "per-unit utilization of each sample block",
            statistic: "max over units of the upper Western Electric score max(z, 1.5·z₂₍₃₎, 3·z₄₍₅₎) (σ)",
            default_threshold: config.spc.threshold,
            names_unit: true,
        },
        ChannelSpec {
            name: "sta_lta",
            input: "swap requests + absences started per hour",
            statistic: "recursive STA/LTA energy ratio (dimensionless)",
            default_threshold: config.sta_lta.threshold,
            names_unit: false,
        },
        ChannelSpec {
            name: "fire_index",
            input: "hours worked per person",
            statistic: "max over people of the fire weather index FWI (0–~100)",
            default_threshold: config.fire_index.threshold,
            names_unit: true,
        },
        ChannelSpec {
            name: "homeostasis",
            input: "coverage, utilization, balance, stability and compliance setpoints",
            statistic: "max over the five loops of the volatility risk score (dimensionless)",
            default_threshold: config.homeostasis.threshold,
            names_unit: false,
        },
        ChannelSpec {
            name: "ews_kendall",
            input: "total backlog, seasonally differenced",
            statistic: "mean Kendall τ of rolling variance and lag-1 autocorrelation (−1–1)",
            default_threshold: config.ews.threshold_kendall,
            names_unit: false,
        },
        ChannelSpec {
            name: "ews_zscore",
            input: "total backlog, seasonally differenced",
            statistic: "max over indicators of min(z_t, z_{t−1}) against the expanding window (σ)",
            default_threshold: config.ews.threshold_zscore,
            names_unit: false,
        },
        ChannelSpec {
            name: "entropy",
            input: "work present (backlog + served) per unit",
            statistic: "Kendall τ of the rolling lag-1 autocorrelation of the Shannon entropy (−1–1)",
            default_threshold: config.entropy.threshold,
            names_unit: false,
        },
        ChannelSpec {
            name: "fluctuation_gain",
            input: "backlog and arrivals per unit",
            statistic: "max over units of var(backlog)/var(arrivals) over its baseline value (ratio)",
            default_threshold: config.fluctuation.threshold,
            names_unit: true,
        },
        ChannelSpec {
            name: "transport_peclet",
            input: "load, capacity, arrivals and transfers per unit",
            statistic: "Péclet number λ·L/D_eff into and out of the stressed set (capped)",
            default_threshold: t.peclet_warning,
            names_unit: true,
        },
        ChannelSpec {
            name: "transport_gradient",
            input: "load and capacity per unit",
            statistic: "saturation gradient G = mean ρ of the stressed set − ρ̄ (ratio)",
            default_threshold: t.gradient_warning,
            names_unit: true,
        },
        ChannelSpec {
            name: "transport_boundary",
            input: "load and capacity per unit",
            statistic: "boundary-layer thickness δ = share of units with ρ ≥ ρ_sat (0–1)",
            default_threshold: t.boundary_layer_warning,
            names_unit: true,
        },
        ChannelSpec {
            name: "transport",
            input: "load, capacity, arrivals and transfers per unit",
            statistic: "max(Pe/Pe_warning, G/G_warning, δ/δ_warning) (multiples of the warning level)",
            default_threshold: 1.0,
            names_unit: true,
        },
    ]
}

/// Builds one instance of every detector module; their channels, concatenated, follow
/// [`channel_specs`] order.
pub fn build_detectors(
    config: &DetectorsConfig,
) -> Result<Vec<Box<dyn Detector>>, DetectorConfigError> {
    config.validate()?;
    Ok(vec![
        Box::new(UtilizationDetector::new(&config.utilization)),
        Box::new(ErlangDetector::new(&config.erlang)),
        Box::new(SpcDetector::new(&config.spc)),
        Box::new(StaLtaDetector::new(&config.sta_lta)?),
        Box::new(FireIndexDetector::new(&config.fire_index)),
        Box::new(HomeostasisDetector::new(&config.homeostasis)),
        Box::new(EwsDetector::new(&config.ews)?),
        Box::new(EntropyDetector::new(&config.entropy)),
        Box::new(FluctuationDetector::new(&config.fluctuation)),
        Box::new(TransportDetector::new(&config.transport)),
    ])
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/// Sum of the last `capacity` values, O(1) per push; re-summed from the buffer once per
/// `capacity` pushes so rounding cannot drift.
#[derive(Debug, Clone)]
struct RollingSum {
    buf: VecDeque<f64>,
    capacity: usize,
    sum: f64,
    since_resum: usize,
}

impl RollingSum {
    fn new(capacity: usize) -> Self {
        Self {
            buf: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
            sum: 0.0,
            since_resum: 0,
        }
    }

    fn push(&mut self, x: f64) {
        self.buf.push_back(x);
        self.sum += x;
        if self.buf.len() > self.capacity
            && let Some(old) = self.buf.pop_front()
        {
            self.sum -= old;
        }
        self.since_resum += 1;
        if self.since_resum >= self.capacity {
            self.sum = self.buf.iter().sum();
            self.since_resum = 0;
        }
    }

    fn is_full(&self) -> bool {
        self.buf.len() == self.capacity
    }

    fn sum(&self) -> f64 {
        self.sum
    }
}

/// `(argmax, max)` over finite values, ties to the lowest index.
fn arg_max(values: impl Iterator<Item = Option<f64>>) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if let Some(v) = v
            && v.is_finite()
            && best.is_none_or(|(_, b)| v > b)
        {
            best = Some((i, v));
        }
    }
    best
}

/// Utilization of Σ load over Σ capacity: capacity 0 with load → 1.0 (BLACK, as the 80 %
/// rule does), nothing at all → 0.
fn ratio(load: f64, capacity: f64) -> f64 {
    if capacity > 0.0 {
        load / capacity
    } else if load > 0.0 {
        1.0
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------------------
// Utilization threshold (baseline A, fixed)

/// Offered load / capacity per unit over a rolling window; names the busiest unit.
#[derive(Debug, Clone)]
pub struct UtilizationDetector {
    window: usize,
    arrivals: Vec<RollingSum>,
    capacity: Vec<RollingSum>,
}

impl UtilizationDetector {
    /// A detector with the given settings.
    pub fn new(s: &UtilizationSettings) -> Self {
        Self {
            window: s.window_hours,
            arrivals: Vec::new(),
            capacity: Vec::new(),
        }
    }
}

impl Detector for UtilizationDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["utilization"]
    }

    fn reset(&mut self) {
        self.arrivals.clear();
        self.capacity.clear();
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        if self.arrivals.len() != obs.units.len() {
            self.arrivals = vec![RollingSum::new(self.window); obs.units.len()];
            self.capacity = vec![RollingSum::new(self.window); obs.units.len()];
        }
        for (u, uh) in obs.units.iter().enumerate() {
            self.arrivals[u].push(uh.arrivals);
            self.capacity[u].push(uh.capacity);
        }
        out[0] = if self.arrivals.first().is_some_and(RollingSum::is_full) {
            let best = arg_max(
                (0..obs.units.len())
                    .map(|u| Some(ratio(self.arrivals[u].sum(), self.capacity[u].sum()))),
            );
            Check {
                score: best.map(|b| b.1),
                unit: best.map(|b| b.0),
            }
        } else {
            Check::default()
        };
    }
}

// ---------------------------------------------------------------------------------------
// Erlang C

/// Erlang C wait probability per unit: offered load from the rolling arrival rate and
/// handling time, servers = mean staff on duty; names the worst unit.
#[derive(Debug, Clone)]
pub struct ErlangDetector {
    window: usize,
    arrivals: Vec<RollingSum>,
    capacity: Vec<RollingSum>,
    staff: Vec<RollingSum>,
}

impl ErlangDetector {
    /// A detector with the given settings.
    pub fn new(s: &ErlangSettings) -> Self {
        Self {
            window: s.window_hours,
            arrivals: Vec::new(),
            capacity: Vec::new(),
            staff: Vec::new(),
        }
    }

    /// Wait probability of one unit from window sums (tasks, tasks of capacity,
    /// staff-hours) over `hours`; `1 + (A − c)/c` when the offered load A reaches the `c`
    /// servers (the queue is unstable and Erlang C is 1 for any excess).
    fn wait_probability(arrivals: f64, capacity: f64, staff_hours: f64, hours: f64) -> f64 {
        let servers = (staff_hours / hours).round() as u64;
        if servers == 0 || capacity <= 0.0 {
            return if arrivals > 0.0 { 1.0 } else { 0.0 };
        }
        // Handling time in hours per task per person: staff-hours / tasks of capacity.
        let handling = staff_hours / capacity;
        let offered = arrivals / hours * handling;
        let c = servers as f64;
        if offered >= c {
            // Unstable queue: Erlang C is 1 for any excess, so continue with the excess
            // load per server to keep ranking overloads.
            return 1.0 + (offered - c) / c;
        }
        erlang_c(servers, offered).unwrap_or(1.0)
    }
}

impl Detector for ErlangDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["erlang"]
    }

    fn reset(&mut self) {
        self.arrivals.clear();
        self.capacity.clear();
        self.staff.clear();
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let n = obs.units.len();
        if self.arrivals.len() != n {
            self.arrivals = vec![RollingSum::new(self.window); n];
            self.capacity = vec![RollingSum::new(self.window); n];
            self.staff = vec![RollingSum::new(self.window); n];
        }
        for (u, uh) in obs.units.iter().enumerate() {
            self.arrivals[u].push(uh.arrivals);
            self.capacity[u].push(uh.capacity);
            self.staff[u].push(f64::from(uh.staff_on_duty));
        }
        out[0] = if self.arrivals.first().is_some_and(RollingSum::is_full) {
            let hours = self.window as f64;
            let best = arg_max((0..n).map(|u| {
                Some(Self::wait_probability(
                    self.arrivals[u].sum(),
                    self.capacity[u].sum(),
                    self.staff[u].sum(),
                    hours,
                ))
            }));
            Check {
                score: best.map(|b| b.1),
                unit: best.map(|b| b.0),
            }
        } else {
            Check::default()
        };
    }
}

// ---------------------------------------------------------------------------------------
// SPC Western Electric (baseline B, fixed)

/// The upper-side Western Electric score of the latest sample given the z-scores of the
/// last five samples, newest first (`recent[0]`): `max(z₀, 1.5·(2nd largest of the last
/// 3), 3·(4th largest of the last 5))`, the windows used only once full. Rules 1–3 fire on
/// the upper side exactly when this exceeds 3.
pub fn western_electric_score(recent: &[f64]) -> f64 {
    let Some(&z0) = recent.first() else {
        return f64::NEG_INFINITY;
    };
    let mut score = z0;
    let kth_largest = |n: usize, k: usize| {
        let mut w: Vec<f64> = recent[..n].to_vec();
        w.sort_by(|a, b| b.total_cmp(a));
        w[k - 1]
    };
    if recent.len() >= 3 {
        score = score.max(1.5 * kth_largest(3, 2));
    }
    if recent.len() >= 5 {
        score = score.max(3.0 * kth_largest(5, 4));
    }
    score
}

#[derive(Debug, Clone)]
struct UnitChart {
    baseline: Vec<f64>,
    chart: Option<WesternElectricChart>,
    recent: VecDeque<f64>,
    score: Option<f64>,
}

/// Western Electric chart per unit on block utilization; limits from the baseline blocks.
#[derive(Debug, Clone)]
pub struct SpcDetector {
    sample_hours: usize,
    baseline_samples: usize,
    block_arrivals: Vec<f64>,
    block_capacity: Vec<f64>,
    hours_in_block: usize,
    units: Vec<UnitChart>,
}

impl SpcDetector {
    /// A detector with the given settings.
    pub fn new(s: &SpcSettings) -> Self {
        Self {
            sample_hours: s.sample_hours,
            baseline_samples: s.baseline_samples,
            block_arrivals: Vec::new(),
            block_capacity: Vec::new(),
            hours_in_block: 0,
            units: Vec::new(),
        }
    }
}

impl Detector for SpcDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["spc"]
    }

    fn reset(&mut self) {
        self.units.clear();
        self.hours_in_block = 0;
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let n = obs.units.len();
        if self.units.len() != n {
            self.units = vec![
                UnitChart {
                    baseline: Vec::with_capacity(self.baseline_samples),
                    chart: None,
                    recent: VecDeque::with_capacity(6),
                    score: None,
                };
                n
            ];
            self.block_arrivals = vec![0.0; n];
            self.block_capacity = vec![0.0; n];
            self.hours_in_block = 0;
        }
        for (u, uh) in obs.units.iter().enumerate() {
            self.block_arrivals[u] += uh.arrivals;
            self.block_capacity[u] += uh.capacity;
        }
        self.hours_in_block += 1;
        if self.hours_in_block == self.sample_hours {
            for u in 0..n {
                let x = ratio(self.block_arrivals[u], self.block_capacity[u]);
                let uc = &mut self.units[u];
                match &uc.chart {
                    None => {
                        uc.baseline.push(x);
                        if uc.baseline.len() == self.baseline_samples {
                            // A flat baseline has no sigma; keep a tiny one so the chart
                            // still reacts to any rise (every later change is many σ).
                            let chart = WesternElectricChart::from_baseline(&uc.baseline, 2)
                                .or_else(|_| WesternElectricChart::new(uc.baseline[0], 1e-6));
                            uc.chart = chart.ok();
                        }
                    }
                    Some(chart) => {
                        let z = (x - chart.center()) / chart.sigma();
                        uc.recent.push_front(z);
                        uc.recent.truncate(5);
                        uc.score = Some(western_electric_score(uc.recent.make_contiguous()));
                    }
                }
                self.block_arrivals[u] = 0.0;
                self.block_capacity[u] = 0.0;
            }
            self.hours_in_block = 0;
        }
        let best = arg_max(self.units.iter().map(|u| u.score));
        out[0] = Check {
            score: best.map(|b| b.1),
            unit: best.map(|b| b.0),
        };
    }
}

// ---------------------------------------------------------------------------------------
// STA/LTA (baseline C, fixed)

/// Recursive STA/LTA on hourly swap requests + absences started.
#[derive(Debug, Clone)]
pub struct StaLtaDetector {
    config: StaLtaConfig,
    inner: RecursiveStaLta,
}

impl StaLtaDetector {
    /// A detector with the given settings.
    pub fn new(s: &StaLtaSettings) -> Result<Self, DetectorConfigError> {
        let config = StaLtaConfig {
            short_window: s.short_window,
            long_window: s.long_window,
            ..StaLtaConfig::default()
        };
        let inner = RecursiveStaLta::new(&config).map_err(|e| bad("sta_lta", &e.to_string()))?;
        Ok(Self { config, inner })
    }
}

impl Detector for StaLtaDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["sta_lta"]
    }

    fn reset(&mut self) {
        if let Ok(fresh) = RecursiveStaLta::new(&self.config) {
            self.inner = fresh;
        }
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let x = f64::from(obs.swap_requests) + f64::from(obs.absences_started);
        out[0] = Check {
            score: self.inner.update(x).ok().flatten(),
            unit: None,
        };
    }
}

// ---------------------------------------------------------------------------------------
// Burnout fire index (baseline D, fixed)

#[derive(Debug, Clone, Default)]
struct PersonDays {
    /// Completed days, newest last, at most 90.
    days: VecDeque<f64>,
    today: f64,
    last_unit: UnitIdx,
    fwi: f64,
}

/// Fire weather index per person from their hours; names the unit of the person in most
/// danger.
#[derive(Debug, Clone)]
pub struct FireIndexDetector {
    settings: FireSettings,
    people: Vec<PersonDays>,
    hour_of_day: usize,
    baseline_hours: f64,
    seen_hours: usize,
    targets: Option<FireIndexConfig>,
    /// Per person: (sum of the last 13 completed days, sum of the last 89, days covered,
    /// velocity), refreshed at each day boundary.
    day_stats: Vec<(f64, f64, usize, f64)>,
}

const BASELINE_WEEK: usize = 168;

impl FireIndexDetector {
    /// A detector with the given settings.
    pub fn new(s: &FireSettings) -> Self {
        Self {
            settings: s.clone(),
            people: Vec::new(),
            hour_of_day: 0,
            baseline_hours: 0.0,
            seen_hours: 0,
            targets: None,
            day_stats: Vec::new(),
        }
    }

    fn refresh_day_stats(&mut self) {
        for (p, st) in self.people.iter().zip(self.day_stats.iter_mut()) {
            let n = p.days.len();
            let last = |k: usize| p.days.iter().skip(n.saturating_sub(k)).sum::<f64>();
            // Weekly totals of the last (up to) 4 complete weeks, oldest first.
            let weeks = (n / 7).min(4);
            let totals: Vec<f64> = (0..weeks)
                .rev()
                .map(|w| {
                    let end = n - 7 * w;
                    p.days.range(end - 7..end).sum::<f64>()
                })
                .collect();
            let xs: Vec<f64> = (0..weeks).map(|i| i as f64).collect();
            let velocity = ols_slope(&xs, &totals).unwrap_or(0.0);
            *st = (last(13), last(89), n.min(89), velocity);
        }
    }

    fn fwi(&self, p: usize, targets: &FireIndexConfig) -> f64 {
        let person = &self.people[p];
        let (sum13, sum89, days, velocity) = self.day_stats[p];
        let covered = days as f64 + (self.hour_of_day as f64 + 1.0) / 24.0;
        let input = FireIndexInput {
            recent_two_week_hours: sum13 + person.today,
            monthly_average_hours: (sum89 + person.today) * 30.0 / covered,
            yearly_satisfaction: self.settings.satisfaction,
            workload_velocity: velocity,
        };
        fire_danger(&input, targets).map(|d| d.fwi).unwrap_or(0.0)
    }
}

impl Detector for FireIndexDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["fire_index"]
    }

    fn reset(&mut self) {
        self.people.clear();
        self.day_stats.clear();
        self.hour_of_day = 0;
        self.baseline_hours = 0.0;
        self.seen_hours = 0;
        self.targets = None;
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        if self.people.len() != obs.people.len() {
            self.people = vec![PersonDays::default(); obs.people.len()];
            self.day_stats = vec![(0.0, 0.0, 0, 0.0); obs.people.len()];
        }
        for (p, ph) in obs.people.iter().enumerate() {
            let person = &mut self.people[p];
            person.today += ph.hours_worked;
            if ph.hours_worked > 0.0 {
                person.last_unit = ph.unit;
            }
            if self.seen_hours < BASELINE_WEEK {
                self.baseline_hours += ph.hours_worked;
            }
        }
        self.seen_hours += 1;
        if self.targets.is_none() && self.seen_hours >= BASELINE_WEEK {
            let people = self.people.len().max(1) as f64;
            let weekly = self.baseline_hours / people;
            let two_week = self
                .settings
                .two_week_target_hours
                .unwrap_or((2.0 * weekly).max(1.0));
            let monthly = self
                .settings
                .monthly_target_hours
                .unwrap_or(two_week * 30.0 / 14.0);
            self.targets = Some(FireIndexConfig {
                two_week_target_hours: two_week,
                monthly_target_hours: monthly,
            });
        }
        let day_ended = self.hour_of_day == 23;
        let mut best: Option<(usize, f64)> = None;
        if let Some(targets) = self.targets.clone() {
            let all = self.hour_of_day == 0 || self.seen_hours == BASELINE_WEEK;
            for p in 0..self.people.len() {
                // Inputs change only when the person worked this hour or the day rolls over.
                if all || obs.people[p].hours_worked > 0.0 {
                    let v = self.fwi(p, &targets);
                    self.people[p].fwi = v;
                }
                let v = self.people[p].fwi;
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((p, v));
                }
            }
        }
        out[0] = Check {
            score: best.map(|b| b.1),
            unit: best.map(|b| self.people[b.0].last_unit),
        };
        if day_ended {
            for person in &mut self.people {
                person.days.push_back(person.today);
                if person.days.len() > 90 {
                    person.days.pop_front();
                }
                person.today = 0.0;
            }
            self.refresh_day_stats();
            self.hour_of_day = 0;
        } else {
            self.hour_of_day += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Homeostasis volatility (baseline E, fixed)

/// The five setpoint loops of framework-spec §8.6 fed hourly; the score is the highest
/// volatility risk.
#[derive(Debug, Clone)]
pub struct HomeostasisDetector {
    settings: HomeostasisSettings,
    config: HomeostasisConfig,
    setpoints: Vec<Setpoint>,
    history: Vec<VecDeque<f64>>,
    keep: usize,
    arrivals: Vec<RollingSum>,
    capacity: Vec<RollingSum>,
    person_week: Vec<RollingSum>,
    last_unit: Vec<Option<UnitIdx>>,
}

impl HomeostasisDetector {
    /// A detector with the given settings and the default loops.
    pub fn new(s: &HomeostasisSettings) -> Self {
        let config = HomeostasisConfig::default();
        let keep = config
            .volatility_window
            .max(config.momentum_window)
            .max(config.min_points);
        let setpoints = Setpoint::defaults();
        Self {
            settings: s.clone(),
            history: vec![VecDeque::with_capacity(keep + 1); setpoints.len()],
            setpoints,
            config,
            keep,
            arrivals: Vec::new(),
            capacity: Vec::new(),
            person_week: Vec::new(),
            last_unit: Vec::new(),
        }
    }

    /// The five setpoint values of one hour, in [`Setpoint::defaults`] order.
    fn values(&mut self, obs: &HourObservation) -> [f64; 5] {
        let n = obs.units.len();
        if self.arrivals.len() != n {
            self.arrivals = vec![RollingSum::new(self.settings.window_hours); n];
            self.capacity = vec![RollingSum::new(self.settings.window_hours); n];
        }
        if self.person_week.len() != obs.people.len() {
            self.person_week = vec![RollingSum::new(168); obs.people.len()];
            self.last_unit = vec![None; obs.people.len()];
        }
        let (mut filled, mut required) = (0.0, 0.0);
        for (u, uh) in obs.units.iter().enumerate() {
            self.arrivals[u].push(uh.arrivals);
            self.capacity[u].push(uh.capacity);
            filled += f64::from(uh.staff_on_duty.min(uh.required_staff));
            required += f64::from(uh.required_staff);
        }
        let coverage = if required > 0.0 {
            filled / required
        } else {
            1.0
        };
        let (sum_a, sum_c) = (0..n).fold((0.0, 0.0), |(a, c), u| {
            (a + self.arrivals[u].sum(), c + self.capacity[u].sum())
        });
        let utilization = ratio(sum_a, sum_c);
        let per_unit: Vec<f64> = (0..n)
            .map(|u| ratio(self.arrivals[u].sum(), self.capacity[u].sum()))
            .collect();
        let balance = if n > 0 {
            let m = per_unit.iter().sum::<f64>() / n as f64;
            (per_unit.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64).sqrt()
        } else {
            0.0
        };
        let (mut present, mut moved, mut compliant) = (0usize, 0usize, 0usize);
        for (p, ph) in obs.people.iter().enumerate() {
            self.person_week[p].push(ph.hours_worked);
            if self.person_week[p].sum() <= self.settings.weekly_hours_cap {
                compliant += 1;
            }
            if !ph.absent {
                present += 1;
                if self.last_unit[p].is_some_and(|u| u != ph.unit) {
                    moved += 1;
                }
                self.last_unit[p] = Some(ph.unit);
            }
        }
        let stability = if present > 0 {
            1.0 - moved as f64 / present as f64
        } else {
            1.0
        };
        let compliance = if obs.people.is_empty() {
            1.0
        } else {
            compliant as f64 / obs.people.len() as f64
        };
        [coverage, utilization, balance, stability, compliance]
    }
}

impl Detector for HomeostasisDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["homeostasis"]
    }

    fn reset(&mut self) {
        for h in &mut self.history {
            h.clear();
        }
        self.arrivals.clear();
        self.capacity.clear();
        self.person_week.clear();
        self.last_unit.clear();
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let values = self.values(obs);
        let mut best: Option<f64> = None;
        for (k, &x) in values.iter().enumerate() {
            let h = &mut self.history[k];
            h.push_back(x);
            if h.len() > self.keep {
                h.pop_front();
            }
            if let Some(m) =
                volatility_metrics(h.make_contiguous(), &self.setpoints[k], &self.config)
            {
                let r = m.risk();
                if best.is_none_or(|b| r > b) {
                    best = Some(r);
                }
            }
        }
        out[0] = Check {
            score: best,
            unit: None,
        };
    }
}

// ---------------------------------------------------------------------------------------
// Phase-transition early warning (Kendall τ) and expanding-window z-score

/// Rolling variance and lag-1 autocorrelation of the seasonally differenced total backlog;
/// channel `ews_kendall` scores the mean Kendall τ of both over their recent history,
/// channel `ews_zscore` the EWSmethods-style expanding-window z-score.
#[derive(Debug, Clone)]
pub struct EwsDetector {
    settings: EwsSettings,
    lagged: VecDeque<f64>,
    stream: EwsStream,
    indicators: Vec<Option<f64>>,
    trends: [RollingKendall; 2],
    expanding: [ExpandingMoments; 2],
    last_z: [Option<f64>; 2],
}

impl EwsDetector {
    /// A detector with the given settings; the window needs at least 2 points.
    pub fn new(s: &EwsSettings) -> Result<Self, DetectorConfigError> {
        Ok(Self {
            settings: s.clone(),
            lagged: VecDeque::with_capacity(s.seasonal_lag + 1),
            stream: Self::stream(s)?,
            indicators: Vec::with_capacity(2),
            trends: [
                RollingKendall::new(s.trend_window),
                RollingKendall::new(s.trend_window),
            ],
            expanding: [ExpandingMoments::new(); 2],
            last_z: [None; 2],
        })
    }

    fn stream(s: &EwsSettings) -> Result<EwsStream, DetectorConfigError> {
        EwsStream::new(
            s.window,
            &[Indicator::Variance, Indicator::Ac(1)],
            Convention::Native,
        )
        .map_err(|e| bad("ews.window", &e.to_string()))
    }
}

impl Detector for EwsDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["ews_kendall", "ews_zscore"]
    }

    fn reset(&mut self) {
        self.lagged.clear();
        if let Ok(fresh) = Self::stream(&self.settings) {
            self.stream = fresh;
        }
        for t in &mut self.trends {
            t.clear();
        }
        self.expanding = [ExpandingMoments::new(); 2];
        self.last_z = [None; 2];
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let x: f64 = obs.units.iter().map(|u| u.backlog).sum();
        self.lagged.push_back(x);
        let lag = self.settings.seasonal_lag;
        if self.lagged.len() <= lag {
            out[0] = Check::default();
            out[1] = Check::default();
            return;
        }
        let residual = x - self.lagged.pop_front().unwrap_or(x);
        self.stream.push_into(x, residual, &mut self.indicators);
        let mut taus = [None; 2];
        let mut zs = [None; 2];
        for k in 0..2 {
            // An undefined indicator (constant window) reads as no variability at all.
            let v = self.indicators.get(k).copied().flatten();
            if v.is_none() && !self.trends[k].is_empty() {
                self.trends[k].clear();
            }
            if let Some(v) = v {
                self.trends[k].push(v);
                if self.trends[k].len() >= self.settings.trend_min_points {
                    taus[k] = self.trends[k].tau().or(Some(0.0));
                }
                self.expanding[k].push(v);
                if self.expanding[k].len() >= self.settings.burn_in as u64 {
                    let m = self.expanding[k].mean().unwrap_or(v);
                    let sd = self.expanding[k].variance(1).unwrap_or(0.0).sqrt();
                    zs[k] = Some(if sd > 0.0 { (v - m) / sd } else { 0.0 });
                }
            }
        }
        out[0] = Check {
            score: match taus {
                [Some(a), Some(b)] => Some((a + b) / 2.0),
                _ => None,
            },
            unit: None,
        };
        let mut best: Option<f64> = None;
        for (z, prev) in zs.iter().zip(self.last_z) {
            if let (Some(z), Some(prev)) = (*z, prev) {
                let held = z.min(prev);
                if best.is_none_or(|b| held > b) {
                    best = Some(held);
                }
            }
        }
        self.last_z = zs;
        out[1] = Check {
            score: best,
            unit: None,
        };
    }
}

// ---------------------------------------------------------------------------------------
// Entropy critical slowing

/// Shannon entropy of the work present across units each hour, its rolling lag-1
/// autocorrelation, and the Kendall τ of that autocorrelation.
#[derive(Debug, Clone)]
pub struct EntropyDetector {
    settings: EntropySettings,
    autocorr: RollingAutocorr,
    trend: RollingKendall,
    counts: Vec<u64>,
}

impl EntropyDetector {
    /// A detector with the given settings.
    pub fn new(s: &EntropySettings) -> Self {
        Self {
            settings: s.clone(),
            autocorr: RollingAutocorr::new(s.window, 1),
            trend: RollingKendall::new(s.trend_window),
            counts: Vec::new(),
        }
    }
}

impl Detector for EntropyDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["entropy"]
    }

    fn reset(&mut self) {
        self.autocorr = RollingAutocorr::new(self.settings.window, 1);
        self.trend.clear();
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        self.counts.clear();
        self.counts.extend(
            obs.units
                .iter()
                .map(|u| (u.backlog + u.served).max(0.0).round() as u64),
        );
        let h = shannon_from_counts(self.counts.iter().copied());
        self.autocorr.push(h);
        let mut score = None;
        if self.autocorr.len() >= self.settings.window {
            match self.autocorr.pearson() {
                Some(ac) => {
                    self.trend.push(ac);
                    if self.trend.len() >= self.settings.trend_min_points {
                        score = Some(self.trend.tau().unwrap_or(0.0));
                    }
                }
                None => self.trend.clear(),
            }
        }
        out[0] = Check { score, unit: None };
    }
}

// ---------------------------------------------------------------------------------------
// Fluctuation gain

#[derive(Debug, Clone)]
struct UnitGain {
    backlog: RollingMoments,
    arrivals: RollingMoments,
    reference: ExpandingMoments,
}

/// Per unit, the response variance (backlog) over the forcing variance (arrivals) over a
/// rolling window, divided by the unit's mean gain over the baseline hours.
#[derive(Debug, Clone)]
pub struct FluctuationDetector {
    settings: FluctuationSettings,
    units: Vec<UnitGain>,
    seen: usize,
}

impl FluctuationDetector {
    /// A detector with the given settings.
    pub fn new(s: &FluctuationSettings) -> Self {
        Self {
            settings: s.clone(),
            units: Vec::new(),
            seen: 0,
        }
    }
}

impl Detector for FluctuationDetector {
    fn channels(&self) -> &'static [&'static str] {
        &["fluctuation_gain"]
    }

    fn reset(&mut self) {
        self.units.clear();
        self.seen = 0;
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let w = self.settings.window;
        if self.units.len() != obs.units.len() {
            self.units = (0..obs.units.len())
                .map(|_| UnitGain {
                    backlog: RollingMoments::new(w),
                    arrivals: RollingMoments::new(w),
                    reference: ExpandingMoments::new(),
                })
                .collect();
        }
        self.seen += 1;
        let in_baseline = self.seen <= self.settings.baseline_hours;
        let mut best: Option<(usize, f64)> = None;
        for (u, uh) in obs.units.iter().enumerate() {
            let g = &mut self.units[u];
            g.backlog.push(uh.backlog);
            g.arrivals.push(uh.arrivals);
            if !g.backlog.is_full() {
                continue;
            }
            let gain = match (g.backlog.variance(1), g.arrivals.variance(1)) {
                (Some(vb), Some(va)) if va > 0.0 => Some(vb / va),
                _ => None,
            };
            let Some(gain) = gain else { continue };
            if in_baseline {
                g.reference.push(gain);
                continue;
            }
            if let Some(r) = g.reference.mean()
                && r > 0.0
            {
                let s = gain / r;
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((u, s));
                }
            }
        }
        out[0] = Check {
            score: best.map(|b| b.1),
            unit: best.map(|b| b.0),
        };
    }
}

// ---------------------------------------------------------------------------------------
// Transport

/// The transport check (thermo_core::transport::evaluate) on rolling unit loads and the
/// transfers of the rate window; four channels: Péclet, gradient, boundary layer and
/// their combination. Each names the unit of highest utilization in the stressed set.
#[derive(Debug, Clone)]
pub struct TransportDetector {
    settings: TransportSettings,
    config: TransportConfig,
    arrivals: Vec<RollingSum>,
    capacity: Vec<RollingSum>,
    flows: VecDeque<(u32, usize, usize, f64)>,
    input: TransportInput,
}

impl TransportDetector {
    /// A detector with the given settings.
    pub fn new(s: &TransportSettings) -> Self {
        let config = TransportConfig {
            window_days: (s.window_hours / 24) as u32,
            ..s.core
        };
        Self {
            settings: s.clone(),
            config,
            arrivals: Vec::new(),
            capacity: Vec::new(),
            flows: VecDeque::new(),
            input: TransportInput::default(),
        }
    }
}

impl Detector for TransportDetector {
    fn channels(&self) -> &'static [&'static str] {
        &[
            "transport_peclet",
            "transport_gradient",
            "transport_boundary",
            "transport",
        ]
    }

    fn reset(&mut self) {
        self.arrivals.clear();
        self.capacity.clear();
        self.flows.clear();
        self.input = TransportInput::default();
    }

    fn update(&mut self, obs: &HourObservation, out: &mut [Check]) {
        let n = obs.units.len();
        let w = self.settings.window_hours;
        if self.arrivals.len() != n {
            self.arrivals = vec![RollingSum::new(w); n];
            self.capacity = vec![RollingSum::new(w); n];
            // Zero-padded ids sort in index order, so the core's tie-break by id is the
            // tie-break by index and the stressed ids map back to indices.
            self.input.units = (0..n)
                .map(|i| UnitState {
                    id: format!("{i:06}"),
                    load: 0.0,
                    capacity: 0.0,
                })
                .collect();
            self.input.new_work = vec![0.0; n];
        }
        for (u, uh) in obs.units.iter().enumerate() {
            self.arrivals[u].push(uh.arrivals);
            self.capacity[u].push(uh.capacity);
            let state = &mut self.input.units[u];
            state.load = self.arrivals[u].sum() + uh.backlog;
            state.capacity = self.capacity[u].sum();
            self.input.new_work[u] = self.arrivals[u].sum();
        }
        for t in &obs.transfers {
            if t.from < n && t.to < n && t.tasks.is_finite() && t.tasks > 0.0 {
                self.flows.push_back((obs.hour, t.from, t.to, t.tasks));
            }
        }
        while self
            .flows
            .front()
            .is_some_and(|f| obs.hour.saturating_sub(f.0) as usize >= w)
        {
            self.flows.pop_front();
        }
        if !self.arrivals.first().is_some_and(RollingSum::is_full) {
            out[..4].fill(Check::default());
            return;
        }
        self.input.transfers.clear();
        let day = 24.0;
        self.input
            .transfers
            .extend(self.flows.iter().map(|&(h, from, to, tasks)| Transfer {
                from: Some(from),
                to: Some(to),
                blocks: tasks,
                // Mid-hour age in days, inside the window by construction.
                age_days: (f64::from(obs.hour - h) + 0.5) / day,
            }));
        let report = evaluate(&self.input, &self.config);
        let cap = self.settings.unbounded_cap;
        let bounded = |v: f64| if v.is_finite() { v.min(cap) } else { cap };
        let unit = report
            .stressed_units
            .first()
            .and_then(|id| id.parse::<usize>().ok());
        let pe = bounded(report.peclet_number);
        let g = bounded(report.saturation_gradient);
        let d = report.boundary_layer_thickness;
        let c = &self.config;
        let scaled = |v: f64, t: f64| if t > 0.0 { v / t } else { v };
        let combined = scaled(pe, c.peclet_warning)
            .max(scaled(g, c.gradient_warning))
            .max(scaled(d, c.boundary_layer_warning));
        for (k, s) in [pe, g, d, combined].into_iter().enumerate() {
            out[k] = Check {
                score: Some(s),
                unit,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{PersonHour, TransferEvent, UnitHour};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const UNITS: usize = 4;

    /// A calm unit-hour: 5 arrivals, capacity 10, 2 of 2 required staff on duty.
    fn calm() -> UnitHour {
        UnitHour {
            arrivals: 5.0,
            served: 5.0,
            backlog: 2.0,
            capacity: 10.0,
            staff_on_duty: 2,
            staff_absent: 0,
            required_staff: 2,
        }
    }

    /// Hours `0..hours`, each built by `f(hour, &mut obs)` from a calm base with two
    /// people per unit working 8 hours a day.
    fn stream(hours: u32, mut f: impl FnMut(u32, &mut HourObservation)) -> Vec<HourObservation> {
        (0..hours)
            .map(|h| {
                let mut obs = HourObservation {
                    hour: h,
                    units: vec![calm(); UNITS],
                    people: (0..2 * UNITS)
                        .map(|p| PersonHour {
                            hours_worked: if h % 24 < 8 { 1.0 } else { 0.0 },
                            absent: false,
                            unit: p / 2,
                        })
                        .collect(),
                    transfers: Vec::new(),
                    swap_requests: 1,
                    absences_started: 0,
                };
                f(h, &mut obs);
                obs
            })
            .collect()
    }

    fn scores(det: &mut dyn Detector, obs: &[HourObservation]) -> Vec<Vec<Check>> {
        det.reset();
        let mut out = vec![Check::default(); det.channels().len()];
        obs.iter()
            .map(|o| {
                det.update(o, &mut out);
                out.clone()
            })
            .collect()
    }

    /// Highest score of channel `k` over the stream, with the unit named then.
    fn peak(checks: &[Vec<Check>], k: usize) -> (f64, Option<UnitIdx>) {
        checks
            .iter()
            .filter_map(|c| c[k].score.map(|s| (s, c[k].unit)))
            .fold(
                (f64::NEG_INFINITY, None),
                |a, b| if b.0 > a.0 { b } else { a },
            )
    }

    fn detector(name: &str) -> (Box<dyn Detector>, usize) {
        let all = build_detectors(&DetectorsConfig::default()).unwrap();
        for d in all {
            if let Some(k) = d.channels().iter().position(|c| *c == name) {
                return (d, k);
            }
        }
        panic!("no channel {name}");
    }

    fn threshold(name: &str) -> f64 {
        channel_specs(&DetectorsConfig::default())
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
            .default_threshold
    }

    /// Asserts channel `name` stays below its default threshold on `flat` and reaches it
    /// on `pattern`, naming `unit` when given.
    fn fires_on_pattern_only(
        name: &str,
        flat: &[HourObservation],
        pattern: &[HourObservation],
        unit: Option<UnitIdx>,
    ) {
        let (mut d, k) = detector(name);
        let th = threshold(name);
        let (calm_peak, _) = peak(&scores(d.as_mut(), flat), k);
        assert!(
            calm_peak < th,
            "{name}: flat stream peaked at {calm_peak} ≥ {th}"
        );
        let checks = scores(d.as_mut(), pattern);
        let first = checks
            .iter()
            .position(|c| c[k].score.is_some_and(|s| s >= th))
            .unwrap_or_else(|| panic!("{name}: never reached {th}, peak {:?}", peak(&checks, k)));
        if let Some(u) = unit {
            assert_eq!(
                checks[first][k].unit,
                Some(u),
                "{name} named the wrong unit"
            );
        }
    }

    fn noisy(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    #[test]
    fn channel_specs_follow_the_detector_modules() {
        let names: Vec<&str> = build_detectors(&DetectorsConfig::default())
            .unwrap()
            .iter()
            .flat_map(|d| d.channels().iter().copied())
            .collect();
        let specs: Vec<&str> = channel_specs(&DetectorsConfig::default())
            .iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, specs);
    }

    #[test]
    fn utilization_fires_on_the_loaded_unit() {
        let flat = stream(200, |_, _| {});
        let ramp = stream(200, |h, o| {
            o.units[2].arrivals = 5.0 + f64::from(h) * 0.03;
        });
        fires_on_pattern_only("utilization", &flat, &ramp, Some(2));
    }

    #[test]
    fn erlang_fires_when_the_queue_would_wait() {
        let flat = stream(100, |_, _| {});
        let ramp = stream(100, |h, o| {
            o.units[1].arrivals = 5.0 + f64::from(h) * 0.1;
        });
        fires_on_pattern_only("erlang", &flat, &ramp, Some(1));
        // M/M/2 with A = 1 Erlang: C(2, 1) = 1/3.
        let p = ErlangDetector::wait_probability(60.0, 120.0, 24.0, 12.0);
        assert!((p - 1.0 / 3.0).abs() < 1e-12, "{p}");
        // A = 3 Erlangs on 2 servers: unstable, 1 + (3 − 2)/2.
        let p = ErlangDetector::wait_probability(180.0, 120.0, 24.0, 12.0);
        assert!((p - 1.5).abs() < 1e-12, "{p}");
    }

    #[test]
    fn western_electric_score_exceeds_three_exactly_when_rules_one_to_three_fire() {
        let mut rng = noisy(7);
        let mut chart = WesternElectricChart::new(0.0, 1.0).unwrap();
        let mut recent: VecDeque<f64> = VecDeque::new();
        for _ in 0..5000 {
            let z: f64 = rng.random_range(-1.0..3.5);
            let point = chart.update(z).unwrap();
            recent.push_front(z);
            recent.truncate(5);
            let score = western_electric_score(recent.make_contiguous());
            let upper = point.fired[..3].contains(&Some(thermo_core::baselines::spc::Side::Upper));
            assert_eq!(score > 3.0, upper, "z window {recent:?}");
        }
    }

    #[test]
    fn spc_fires_on_a_step_after_the_baseline_not_on_a_daily_cycle() {
        // Arrivals follow a daily cycle of three 8-hour blocks; the chart learns it.
        let cycle = |h: u32| [4.0, 6.0, 5.0][(h as usize / 8) % 3];
        let flat = stream(400, |h, o| {
            for u in &mut o.units {
                u.arrivals = cycle(h);
            }
        });
        let step = stream(400, |h, o| {
            for u in &mut o.units {
                u.arrivals = cycle(h);
            }
            if h >= 250 {
                o.units[3].arrivals = cycle(h) + 3.0;
            }
        });
        fires_on_pattern_only("spc", &flat, &step, Some(3));
    }

    #[test]
    fn sta_lta_fires_on_a_burst_of_swap_requests() {
        let flat = stream(400, |_, _| {});
        let burst = stream(400, |h, o| {
            if (250..262).contains(&h) {
                o.swap_requests = 4;
                o.absences_started = 1;
            }
        });
        fires_on_pattern_only("sta_lta", &flat, &burst, None);
    }

    #[test]
    fn fire_index_fires_when_one_person_doubles_their_hours() {
        let flat = stream(24 * 21, |_, _| {});
        let overwork = stream(24 * 21, |h, o| {
            if h >= 24 * 7 && h % 24 < 16 {
                o.people[5].hours_worked = 1.0;
                o.people[5].unit = 2;
            }
        });
        fires_on_pattern_only("fire_index", &flat, &overwork, Some(2));
    }

    #[test]
    fn homeostasis_fires_when_utilization_leaves_its_band() {
        let flat = stream(200, |_, _| {});
        let rising = stream(200, |h, o| {
            if h >= 60 {
                for u in &mut o.units {
                    u.arrivals = (5.0 + f64::from(h - 60) * 0.05).min(10.0);
                }
            }
        });
        fires_on_pattern_only("homeostasis", &flat, &rising, None);
    }

    /// Backlog of an AR(1) process whose coefficient and noise grow after `from`.
    fn slowing_backlog(seed: u64, from: u32) -> Vec<HourObservation> {
        let mut rng = noisy(seed);
        let mut x = 0.0_f64;
        stream(600, move |h, o| {
            let phi = if h < from {
                0.2
            } else {
                (0.2 + f64::from(h - from) * 0.004).min(0.97)
            };
            let e: f64 = rng.random_range(-1.0..1.0);
            x = phi * x + e;
            o.units[0].backlog = 20.0 + 3.0 * x;
        })
    }

    #[test]
    fn ews_kendall_fires_on_critical_slowing_not_on_a_flat_cycle() {
        let cycle = stream(600, |h, o| {
            o.units[0].backlog = 10.0 + f64::from(h % 24);
        });
        fires_on_pattern_only("ews_kendall", &cycle, &slowing_backlog(3, 250), None);
    }

    #[test]
    fn ews_zscore_fires_when_variance_jumps() {
        let cycle = stream(600, |h, o| {
            o.units[0].backlog = 10.0 + f64::from(h % 24);
        });
        let mut rng = noisy(11);
        let jump = stream(600, |h, o| {
            let amp = if h < 400 { 1.0 } else { 6.0 };
            o.units[0].backlog = 20.0 + amp * rng.random_range(-1.0..1.0);
        });
        fires_on_pattern_only("ews_zscore", &cycle, &jump, None);
    }

    #[test]
    fn entropy_fires_when_the_work_distribution_slows_down() {
        let flat = stream(600, |_, _| {});
        let mut rng = noisy(5);
        let mut x = 0.0_f64;
        let slowing = stream(600, |h, o| {
            let phi = if h < 250 {
                0.0
            } else {
                (f64::from(h - 250) * 0.004).min(0.97)
            };
            x = phi * x + rng.random_range(-1.0..1.0);
            o.units[0].backlog = 40.0 + 15.0 * x;
        });
        fires_on_pattern_only("entropy", &flat, &slowing, None);
    }

    #[test]
    fn fluctuation_gain_fires_when_one_unit_amplifies_its_arrivals() {
        let mut rng = noisy(9);
        let mut draw = move |amp: f64| -> (f64, f64) {
            let a: f64 = rng.random_range(-1.0..1.0);
            (5.0 + 2.0 * a, 10.0 + amp * a)
        };
        let flat = stream(400, |_, o| {
            for u in &mut o.units {
                (u.arrivals, u.backlog) = draw(1.0);
            }
        });
        let amplified = stream(400, |h, o| {
            for (i, u) in o.units.iter_mut().enumerate() {
                let amp = if i == 1 && h >= 250 { 4.0 } else { 1.0 };
                (u.arrivals, u.backlog) = draw(amp);
            }
        });
        fires_on_pattern_only("fluctuation_gain", &flat, &amplified, Some(1));
    }

    #[test]
    fn transport_fires_when_work_piles_up_without_leaving() {
        // Balanced: unit 0 (first by id among equals) sends out twice what arrives.
        let balanced = stream(200, |_, o| {
            o.transfers.push(TransferEvent {
                from: 0,
                to: 1,
                tasks: 10.0,
            });
        });
        let piling = stream(200, |h, o| {
            if h < 100 {
                o.transfers.push(TransferEvent {
                    from: 0,
                    to: 1,
                    tasks: 10.0,
                });
            } else {
                o.units[2].arrivals = 9.0;
                o.units[3].arrivals = 9.5;
                o.units[3].backlog = 5.0 + f64::from(h - 100);
            }
        });
        for name in [
            "transport_peclet",
            "transport_gradient",
            "transport_boundary",
            "transport",
        ] {
            fires_on_pattern_only(name, &balanced, &piling, Some(3));
        }
    }

    #[test]
    fn no_detector_looks_ahead() {
        let mut rng = noisy(21);
        let obs = stream(500, |h, o| {
            for u in &mut o.units {
                u.arrivals = rng.random_range(2.0..9.0);
                u.backlog = rng.random_range(0.0..20.0) + f64::from(h) * 0.02;
                u.staff_on_duty = rng.random_range(1..4);
            }
            o.swap_requests = rng.random_range(0..3);
            if rng.random::<f64>() < 0.1 {
                o.transfers.push(TransferEvent {
                    from: 0,
                    to: 2,
                    tasks: 3.0,
                });
            }
        });
        for mut d in build_detectors(&DetectorsConfig::default()).unwrap() {
            let full = scores(d.as_mut(), &obs);
            for cut in [1, 57, 200, 333] {
                let prefix = scores(d.as_mut(), &obs[..cut]);
                assert_eq!(
                    prefix[..],
                    full[..cut],
                    "{:?} differs at cut {cut}",
                    d.channels()
                );
            }
        }
    }

    #[test]
    fn invalid_settings_are_rejected_with_the_key() {
        let mut c = DetectorsConfig::default();
        c.transport.window_hours = 30;
        assert_eq!(c.validate().unwrap_err().field, "transport.window_hours");
        let mut c = DetectorsConfig::default();
        c.utilization.threshold = f64::NAN;
        assert_eq!(c.validate().unwrap_err().field, "utilization.threshold");
        let mut c = DetectorsConfig::default();
        c.spc.baseline_samples = 5;
        assert!(build_detectors(&c).is_err());
    }
}
