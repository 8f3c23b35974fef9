//! Backtest of the detectors over many seeded scenario runs: alerts, scoring, threshold
//! calibration on training runs and the metrics on held-out runs.
//!
//! Every definition here is documented in `docs/compare.md` ("Harness", "Metrics"):
//! - **Alert**: at hour `t` a detector alerts when its score is ≥ the threshold and no
//!   alert of the same detector fell in the previous `refractory_hours` hours.
//! - **Scored span**: a forced run (one with a transition at hour `T`) is scored on hours
//!   `[0, T)` — the run is truncated at the transition, as in Bury et al. 2021; a run
//!   without a transition is scored on all its hours.
//! - **Warning window**: `[T − H, T)` with `H = horizon_hours`. The first alert in it is the
//!   detection; its lead time is `T − t_alert` hours. Alerts before `T − H` (and every alert
//!   of a run without a transition) are false alarms.
//! - **NAB score** (reward_low_FP_rate profile, anchors §2.3): the first alert in a window
//!   earns `A_tp·σ_s(−(T − 1 − t)/(len − 1))` with `σ_s(y) = 2/(1 + e^{5y}) − 1`, a missed
//!   window costs `A_fn`, each false alarm costs `A_fp`; normalised as
//!   `100·(raw − null)/(perfect − null)` where "null" never alerts and "perfect" alerts at
//!   every window's left edge.
//! - **Calibration**: the lowest threshold whose share of calibration runs with any alert
//!   is ≤ the target (default 0.10), from each run's maximum score over its scored span.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thermo_core::stats::quantile;

use crate::detectors::{ChannelSpec, Check, DetectorsConfig, build_detectors, channel_specs};
use crate::roc::{RocPoint, roc_auc, roc_curve};
use crate::stream::{GroundTruth, HourObservation, UnitIdx};

/// Harness settings (`[harness]` in the comparison config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HarnessConfig {
    /// Runs per scenario (default 1,000).
    pub runs: usize,
    /// Master seed; every run's seed derives from it (default 42).
    pub seed: u64,
    /// Share of each scenario's runs used for calibration (default 0.5).
    pub train_fraction: f64,
    /// Warning horizon H in hours (default 72).
    pub horizon_hours: u32,
    /// Refractory period R in hours between two alerts of one detector (default 24).
    pub refractory_hours: u32,
    /// AND combinations: the second alert must come within this many hours of the first
    /// (default 24).
    pub coincidence_hours: u32,
    /// Calibration target: highest share of calibration runs with any alert (default 0.10).
    pub false_alarm_target: f64,
    /// Scores per run sampled for the ROC AUC (default 10, Bury et al.).
    pub auc_points: usize,
    /// Time one update in this many hours for the cost per check (default 8).
    pub timing_stride: u32,
}

impl Default for HarnessConfig {
    fn default() -> Self {
        Self {
            runs: 1000,
            seed: 42,
            train_fraction: 0.5,
            horizon_hours: 72,
            refractory_hours: 24,
            coincidence_hours: 24,
            false_alarm_target: 0.10,
            auc_points: 10,
            timing_stride: 8,
        }
    }
}

/// The roadmap's success-criteria limits.
pub mod criteria {
    /// Minimum median lead time before the transition, hours.
    pub const MIN_LEAD_HOURS: f64 = 2.0;
    /// False-positive rate must be below this share of null runs.
    pub const MAX_FALSE_POSITIVE_RATE: f64 = 0.15;
    /// A scenario counts as caught at this detection rate or above.
    pub const CATCH_RATE: f64 = 0.5;
    /// Compute budget per health check, µs (50 ms).
    pub const MAX_COST_US: f64 = 50_000.0;
}

/// An invalid harness setting or a failed run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacktestError {
    /// A setting out of range.
    #[error("harness.{field}: {message}")]
    Setting {
        /// The key.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A detector setting.
    #[error(transparent)]
    Detector(#[from] crate::detectors::DetectorConfigError),
    /// The simulator failed.
    #[error("scenario {scenario}, run {run} (seed {seed}): {message}")]
    Run {
        /// Scenario name.
        scenario: String,
        /// Run index within the scenario.
        run: usize,
        /// The run's seed.
        seed: u64,
        /// What failed.
        message: String,
    },
}

impl HarnessConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), BacktestError> {
        let err = |field, message: &str| BacktestError::Setting {
            field,
            message: message.to_owned(),
        };
        if self.runs < 2 {
            return Err(err("runs", "must be at least 2 (training and held-out)"));
        }
        if !(self.train_fraction > 0.0 && self.train_fraction < 1.0) {
            return Err(err("train_fraction", "must be in (0, 1)"));
        }
        if self.horizon_hours == 0 {
            return Err(err("horizon_hours", "must be at least 1"));
        }
        if !(0.0..1.0).contains(&self.false_alarm_target) {
            return Err(err("false_alarm_target", "must be in [0, 1)"));
        }
        if self.auc_points == 0 {
            return Err(err("auc_points", "must be at least 1"));
        }
        if self.timing_stride == 0 {
            return Err(err("timing_stride", "must be at least 1"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Scoring functions

/// NAB cost weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NabProfile {
    /// Reward weight of a true positive.
    pub tp: f64,
    /// Cost of a false positive.
    pub fp: f64,
    /// Cost of a missed window.
    pub fn_: f64,
}

/// NAB's reward_low_FP_rate profile: tp 1, fp 0.22, fn 1.
pub const NAB_LOW_FP: NabProfile = NabProfile {
    tp: 1.0,
    fp: 0.22,
    fn_: 1.0,
};

/// NAB's scaled sigmoid `2/(1 + e^{5y}) − 1` (−1 for y > 3).
pub fn nab_scaled_sigmoid(y: f64) -> f64 {
    if y > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * y).exp()) - 1.0
    }
}

/// The warning window `[start, end)` of a transition at `transition` with horizon `h`.
pub fn warning_window(transition: u32, horizon: u32) -> (u32, u32) {
    (transition.saturating_sub(horizon), transition)
}

/// NAB reward (before the tp weight) of a first detection at hour `t` in window
/// `[start, end)`: `σ_s(−(end − 1 − t)/(len − 1))`; 0.98661 at the left edge, 0 at the
/// right edge (a one-hour window counts as its right edge).
pub fn nab_detection_reward(t: u32, window: (u32, u32)) -> f64 {
    let (start, end) = window;
    let len = end.saturating_sub(start);
    if len <= 1 {
        return nab_scaled_sigmoid(0.0);
    }
    let y = -(f64::from(end - 1 - t)) / f64::from(len - 1);
    nab_scaled_sigmoid(y)
}

/// One alert: the hour and the unit named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Hour of the alert.
    pub hour: u32,
    /// Unit named, if any.
    pub unit: Option<UnitIdx>,
}

/// Alerts from a score trace: score ≥ `threshold` at least `refractory` hours after the
/// previous alert (hour `i` of the trace is hour `i` of the run).
pub fn alerts_from_scores(trace: &[Check], threshold: f64, refractory: u32) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut last: Option<u32> = None;
    for (h, c) in trace.iter().enumerate() {
        let h = h as u32;
        if c.score.is_some_and(|s| s >= threshold)
            && last.is_none_or(|l| h - l >= refractory.max(1))
        {
            out.push(Alert {
                hour: h,
                unit: c.unit,
            });
            last = Some(h);
        }
    }
    out
}

/// OR of two alert streams: every alert of either, thinned by the refractory period.
pub fn combine_or(a: &[Alert], b: &[Alert], refractory: u32) -> Vec<Alert> {
    let mut all: Vec<Alert> = a.iter().chain(b).copied().collect();
    all.sort_by_key(|x| x.hour);
    thin(all, refractory)
}

/// AND of two alert streams: an alert of one at hour `t` when the other alerted in
/// `[t − coincidence, t]`; it names the completing alert's unit, else the other's.
pub fn combine_and(a: &[Alert], b: &[Alert], coincidence: u32, refractory: u32) -> Vec<Alert> {
    let mut out = Vec::new();
    for (x, y) in [(a, b), (b, a)] {
        for al in x {
            let partner = y
                .iter()
                .rev()
                .find(|o| o.hour <= al.hour && al.hour - o.hour <= coincidence);
            if let Some(p) = partner {
                out.push(Alert {
                    hour: al.hour,
                    unit: al.unit.or(p.unit),
                });
            }
        }
    }
    out.sort_by_key(|x| x.hour);
    thin(out, refractory)
}

fn thin(sorted: Vec<Alert>, refractory: u32) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::with_capacity(sorted.len());
    for al in sorted {
        if out
            .last()
            .is_none_or(|l| al.hour - l.hour >= refractory.max(1))
        {
            out.push(al);
        }
    }
    out
}

/// What one detector did in one run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RunOutcome {
    /// Lead time of the detection, hours (`None` = missed, or no transition).
    pub lead_hours: Option<u32>,
    /// Whether the detection named the root unit (`None` when it named no unit or the
    /// run has no root unit).
    pub named_root: Option<bool>,
    /// Alerts in the scored span outside the warning window.
    pub false_alarms: u32,
    /// NAB raw score of the run (profile weights applied).
    pub nab_raw: f64,
}

/// Scores one run's alerts against its ground truth (`hours` = run length).
pub fn score_run(
    alerts: &[Alert],
    truth: &GroundTruth,
    hours: u32,
    horizon: u32,
    profile: &NabProfile,
) -> RunOutcome {
    match truth.transition_hour {
        Some(t) => {
            let window = warning_window(t, horizon);
            let mut out = RunOutcome::default();
            for al in alerts.iter().filter(|a| a.hour < t) {
                if al.hour >= window.0 {
                    if out.lead_hours.is_none() {
                        out.lead_hours = Some(t - al.hour);
                        out.named_root = match (al.unit, truth.root_unit) {
                            (Some(u), Some(r)) => Some(u == r),
                            _ => None,
                        };
                        out.nab_raw += profile.tp * nab_detection_reward(al.hour, window);
                    }
                } else {
                    out.false_alarms += 1;
                }
            }
            if out.lead_hours.is_none() {
                out.nab_raw -= profile.fn_;
            }
            out.nab_raw -= profile.fp * f64::from(out.false_alarms);
            out
        }
        None => {
            let false_alarms = alerts.iter().filter(|a| a.hour < hours).count() as u32;
            RunOutcome {
                lead_hours: None,
                named_root: None,
                false_alarms,
                nab_raw: -profile.fp * f64::from(false_alarms),
            }
        }
    }
}

/// NAB normalisation `100·(raw − null)/(perfect − null)` over `windows` transitions;
/// `None` without windows (nothing to normalise against).
pub fn nab_normalised(raw_total: f64, windows: usize, profile: &NabProfile) -> Option<f64> {
    if windows == 0 {
        return None;
    }
    let null = -profile.fn_ * windows as f64;
    let perfect = profile.tp * nab_scaled_sigmoid(-1.0) * windows as f64;
    Some(100.0 * (raw_total - null) / (perfect - null))
}

/// The lowest threshold at which at most `target` of the runs alert, from each run's
/// maximum score over its scored span (`None` = the run never produced a score): the next
/// float above the `(k+1)`-th largest maximum, `k = ⌊target·n⌋`. `None` without runs or
/// when no run produced any score.
pub fn calibrate_threshold(maxima: &[Option<f64>], target: f64) -> Option<f64> {
    let mut finite: Vec<f64> = maxima
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(|a, b| b.total_cmp(a));
    let k = (target * maxima.len() as f64 + 1e-9).floor() as usize;
    match finite.get(k) {
        Some(&m) => Some(m.next_up()),
        // At most k runs can alert at all: every threshold meets the target; take the
        // lowest that still lets each of them alert.
        None => finite.last().copied(),
    }
}

/// Median and interquartile range (type-7 quantiles) of lead times; `None` when empty.
pub fn median_iqr(values: &[f64]) -> Option<(f64, f64)> {
    let median = quantile(values, 0.5)?;
    let iqr = quantile(values, 0.75)? - quantile(values, 0.25)?;
    Some((median, iqr))
}

/// The hours at which a run is sampled for the ROC AUC: `points` evenly spaced hours in
/// the window `[end − horizon, end)`; `end` is the transition hour of a forced run and the
/// run length of a null run.
pub fn auc_sample_hours(end: u32, horizon: u32, points: usize) -> Vec<u32> {
    let (start, end) = warning_window(end, horizon);
    let len = u64::from(end - start);
    if len == 0 {
        return Vec::new();
    }
    (0..points as u64)
        .map(|i| start + (i * len / points as u64) as u32)
        .collect()
}

// ---------------------------------------------------------------------------------------
// The harness

/// Where runs come from: the scenario simulator, or a test double.
pub trait RunSource: Sync {
    /// Scenario names, in report order.
    fn scenarios(&self) -> Vec<String>;
    /// Whether a scenario is a null scenario (designed to have no transition).
    fn is_null(&self, scenario: usize) -> bool;
    /// Runs scenario `scenario` with `seed`, feeding every hour to `sink` in order, and
    /// returns the ground truth.
    fn run(
        &self,
        scenario: usize,
        seed: u64,
        sink: &mut dyn FnMut(&HourObservation),
    ) -> Result<GroundTruth, String>;
}

/// The scenario simulator ([`crate::scenario`]) as a run source, for the scenarios
/// selected.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    config: crate::scenario::ScenarioConfig,
    kinds: Vec<crate::scenario::ScenarioKind>,
}

impl ScenarioSource {
    /// A source running `kinds` with `config` (validated here).
    pub fn new(
        config: &crate::scenario::ScenarioConfig,
        kinds: Vec<crate::scenario::ScenarioKind>,
    ) -> Result<Self, crate::scenario::ScenarioError> {
        config.validate()?;
        Ok(Self {
            config: config.clone(),
            kinds,
        })
    }

    /// Scenarios selected.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether no scenario is selected.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

impl RunSource for ScenarioSource {
    fn scenarios(&self) -> Vec<String> {
        self.kinds.iter().map(|k| k.name().to_owned()).collect()
    }

    fn is_null(&self, scenario: usize) -> bool {
        self.kinds.get(scenario).is_some_and(|k| k.is_null())
    }

    fn run(
        &self,
        scenario: usize,
        seed: u64,
        sink: &mut dyn FnMut(&HourObservation),
    ) -> Result<GroundTruth, String> {
        let kind = *self
            .kinds
            .get(scenario)
            .ok_or_else(|| format!("no scenario number {scenario}"))?;
        crate::scenario::simulate(&self.config, kind, seed, |o| sink(o))
            .map(|out| out.truth)
            .map_err(|e| e.to_string())
    }
}

/// How a result's threshold was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMode {
    /// Fitted on the training runs.
    Calibrated,
    /// The documented default.
    Default,
}

/// What a detector of the comparison is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectorInfo {
    /// Name (`utilization`, `and(spc,transport)`, …).
    pub detector: String,
    /// `base`, `and` or `or`.
    pub kind: &'static str,
    /// Components (the base detectors of a combination; itself for a base detector).
    pub components: Vec<String>,
    /// Whether it names a unit.
    pub names_unit: bool,
    /// Default threshold (base detectors).
    pub default_threshold: Option<f64>,
    /// Calibrated threshold (base detectors; `None` when calibration had no data).
    pub calibrated_threshold: Option<f64>,
    /// Mean compute cost per check, µs (combinations: the sum of their modules).
    pub cost_us_per_check: f64,
}

/// Pass/fail of the roadmap criteria.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criteria {
    /// Median lead time ≥ 2 h.
    pub lead_time: bool,
    /// False-positive rate on null runs < 15 %.
    pub false_positive_rate: bool,
    /// Catches a scenario every other base detector misses.
    pub unique_detection: bool,
    /// Compute < 50 ms per check.
    pub cost: bool,
    /// All four.
    pub pass: bool,
}

/// One detector × scenario × threshold mode, on the held-out runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// Detector name.
    pub detector: String,
    /// Scenario name.
    pub scenario: String,
    /// Threshold mode.
    pub threshold_mode: ThresholdMode,
    /// Threshold used (base detectors).
    pub threshold: Option<f64>,
    /// Held-out runs of the scenario.
    pub runs: usize,
    /// Held-out runs with a transition.
    pub transitions: usize,
    /// Median lead time of the detections, hours.
    pub lead_time_hours_median: Option<f64>,
    /// Interquartile range of the lead times, hours.
    pub lead_time_hours_iqr: Option<f64>,
    /// Share of runs with at least one false alarm.
    pub false_positive_rate: f64,
    /// False alarms per run.
    pub false_alarms_per_run: f64,
    /// Detections / transitions (`None` without transitions).
    pub detection_rate: Option<f64>,
    /// Share of detections naming the root unit (`None` for detectors that name none).
    pub root_cause_specificity: Option<f64>,
    /// ROC AUC of the scores before the transition against null runs (`None` for
    /// combinations, null scenarios, or without null runs).
    pub auc: Option<f64>,
    /// NAB score, reward_low_FP_rate profile (`None` without transitions).
    pub nab_score: Option<f64>,
    /// Mean compute cost per check, µs (not deterministic).
    pub cost_us_per_check: f64,
    /// Roadmap criteria (lead time from this row, the rest from the detector overall).
    pub criteria: Criteria,
}

/// Detector-level criteria per threshold mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectorCriteria {
    /// Detector name.
    pub detector: String,
    /// Threshold mode.
    pub threshold_mode: ThresholdMode,
    /// Median lead time over every detection in every forced scenario, hours.
    pub lead_time_hours_median: Option<f64>,
    /// Share of held-out null runs with any alert (forced runs' false-alarm share when no
    /// null scenario was run).
    pub false_positive_rate: Option<f64>,
    /// Forced scenarios this detector catches and every other base detector misses.
    pub unique_scenarios: Vec<String>,
    /// Pass/fail.
    pub criteria: Criteria,
}

/// One sample run's alerts, for the timeline plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Scenario name.
    pub scenario: String,
    /// Run length, hours.
    pub hours: u32,
    /// Transition hour.
    pub transition_hour: Option<u32>,
    /// Per base detector, the alert hours at the calibrated threshold.
    pub alerts: Vec<(String, Vec<u32>)>,
}

/// ROC curve of one base detector on one forced scenario (at most 101 points).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RocSeries {
    /// Scenario name.
    pub scenario: String,
    /// Detector name.
    pub detector: String,
    /// Curve points.
    pub points: Vec<RocPoint>,
}

/// Everything the comparison produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Harness settings used.
    pub harness: HarnessConfig,
    /// Scenario names.
    pub scenarios: Vec<String>,
    /// The null scenarios among them (designed without a transition).
    pub null_scenarios: Vec<String>,
    /// Detectors, base then AND then OR combinations.
    pub detectors: Vec<DetectorInfo>,
    /// Base channel specifications.
    pub channels: Vec<ChannelSpec>,
    /// Detector × scenario × mode results.
    pub results: Vec<ResultRow>,
    /// Detector-level criteria.
    pub criteria: Vec<DetectorCriteria>,
    /// Lead times (hours) per (scenario, base detector) at the calibrated threshold.
    pub lead_times: Vec<(String, String, Vec<u32>)>,
    /// ROC curves per forced scenario and base detector.
    pub roc: Vec<RocSeries>,
    /// One held-out run per scenario.
    pub timelines: Vec<Timeline>,
    /// Runs simulated.
    pub runs_simulated: usize,
}

/// Seed of run `run` of scenario `scenario`: a SplitMix64 mix of the master seed and
/// both indices, so seeds never depend on which scenarios are selected together.
pub fn run_seed(master: u64, scenario_name: &str, run: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scenario_name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = master ^ h ^ (run as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The training runs of a scenario: a seeded shuffle of `0..runs`, the first
/// `round(runs·fraction)` (at least one, leaving at least one held out).
pub fn training_split(master: u64, scenario_name: &str, runs: usize, fraction: f64) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..runs).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(run_seed(master, scenario_name, usize::MAX));
    idx.shuffle(&mut rng);
    let n_train = ((runs as f64 * fraction).round() as usize).clamp(1, runs.saturating_sub(1));
    let mut train = vec![false; runs];
    for &i in &idx[..n_train] {
        train[i] = true;
    }
    train
}

struct Job {
    scenario: usize,
    run: usize,
    seed: u64,
}

/// Per-thread state: the detector modules, their channel offsets and the run's traces.
struct Worker {
    modules: Vec<Box<dyn crate::detectors::Detector>>,
    offsets: Vec<usize>,
    traces: Vec<Vec<Check>>,
    scratch: Vec<Check>,
    cost_ns: Vec<u128>,
    cost_n: Vec<u64>,
}

impl Worker {
    fn new(config: &DetectorsConfig) -> Option<Self> {
        let modules = build_detectors(config).ok()?;
        let mut offsets = Vec::with_capacity(modules.len() + 1);
        let mut k = 0;
        for m in &modules {
            offsets.push(k);
            k += m.channels().len();
        }
        offsets.push(k);
        let n_mod = modules.len();
        Some(Self {
            modules,
            offsets,
            traces: vec![Vec::new(); k],
            scratch: vec![Check::default(); 8],
            cost_ns: vec![0; n_mod],
            cost_n: vec![0; n_mod],
        })
    }

    /// Simulates one run, filling one score trace per channel.
    fn simulate(
        &mut self,
        source: &dyn RunSource,
        job: &Job,
        stride: u32,
        timed: bool,
    ) -> Result<(GroundTruth, u32), String> {
        for m in &mut self.modules {
            m.reset();
        }
        for t in &mut self.traces {
            t.clear();
        }
        let Worker {
            modules,
            offsets,
            traces,
            scratch,
            cost_ns,
            cost_n,
        } = self;
        let mut hours = 0u32;
        let truth = source.run(job.scenario, job.seed, &mut |obs| {
            let time_it = timed && hours.is_multiple_of(stride);
            for (i, m) in modules.iter_mut().enumerate() {
                let k = offsets[i + 1] - offsets[i];
                let out = &mut scratch[..k];
                if time_it {
                    let t0 = std::time::Instant::now();
                    m.update(obs, out);
                    cost_ns[i] += t0.elapsed().as_nanos();
                    cost_n[i] += 1;
                } else {
                    m.update(obs, out);
                }
                for (j, c) in out.iter().enumerate() {
                    traces[offsets[i] + j].push(*c);
                }
            }
            hours += 1;
        })?;
        Ok((truth, hours))
    }

    fn module_of(&self, channel: usize) -> usize {
        self.offsets.partition_point(|&o| o <= channel) - 1
    }
}

/// End of the scored span of a run.
fn scored_end(truth: &GroundTruth, hours: u32) -> u32 {
    truth.transition_hour.unwrap_or(hours).min(hours)
}

struct TrainRecord {
    scenario: usize,
    /// Per channel, the maximum score over the quiet span.
    maxima: Vec<Option<f64>>,
}

struct HeldOutRecord {
    scenario: usize,
    truth: GroundTruth,
    hours: u32,
    /// `[mode][detector]` outcomes (base channels, then AND pairs, then OR pairs).
    outcomes: [Vec<RunOutcome>; 2],
    /// Per base channel, the scores at the AUC sample hours.
    auc: Vec<Vec<f64>>,
    /// Per base channel, calibrated alert hours (kept for the timeline sample only).
    alerts: Option<Vec<Vec<u32>>>,
}

/// Runs the whole comparison. `progress` is called once per finished run.
pub fn run_comparison(
    source: &dyn RunSource,
    detectors: &DetectorsConfig,
    harness: &HarnessConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Comparison, BacktestError> {
    harness.validate()?;
    detectors.validate()?;
    let specs = channel_specs(detectors);
    let n_ch = specs.len();
    let scenarios = source.scenarios();
    let null_scenario: Vec<bool> = (0..scenarios.len()).map(|s| source.is_null(s)).collect();
    let mut train_jobs = Vec::new();
    let mut test_jobs = Vec::new();
    for (s, name) in scenarios.iter().enumerate() {
        let split = training_split(harness.seed, name, harness.runs, harness.train_fraction);
        for (run, &is_train) in split.iter().enumerate() {
            let job = Job {
                scenario: s,
                run,
                seed: run_seed(harness.seed, name, run),
            };
            if is_train {
                train_jobs.push(job);
            } else {
                test_jobs.push(job);
            }
        }
    }
    let run_error = |job: &Job, message: String| BacktestError::Run {
        scenario: scenarios[job.scenario].clone(),
        run: job.run,
        seed: job.seed,
        message,
    };
    let no_worker = || "detector settings could not be built".to_owned();

    // Pass 1: training runs keep only each channel's maximum over the scored span.
    let train: Vec<TrainRecord> = train_jobs
        .par_iter()
        .map_init(
            || Worker::new(detectors),
            |worker, job| {
                let w = worker.as_mut().ok_or_else(|| run_error(job, no_worker()))?;
                let (truth, hours) = w
                    .simulate(source, job, harness.timing_stride, false)
                    .map_err(|m| run_error(job, m))?;
                // The quiet span: before the warning window of a forced run, all of a null run.
                let end = match truth.transition_hour {
                    Some(t) => warning_window(t.min(hours), harness.horizon_hours).0,
                    None => hours,
                } as usize;
                let maxima = w
                    .traces
                    .iter()
                    .map(|t| {
                        t[..end.min(t.len())]
                            .iter()
                            .filter_map(|c| c.score)
                            .filter(|v| v.is_finite())
                            .reduce(f64::max)
                    })
                    .collect();
                progress();
                Ok(TrainRecord {
                    scenario: job.scenario,
                    maxima,
                })
            },
        )
        .collect::<Result<_, BacktestError>>()?;

    // Calibrate on the null training runs; without a null scenario, on the quiet span
    // (before the warning window) of every training run.
    let any_null = null_scenario.iter().any(|&n| n);
    let calib: Vec<&TrainRecord> = train
        .iter()
        .filter(|r| !any_null || null_scenario[r.scenario])
        .collect();
    let calibrated: Vec<Option<f64>> = (0..n_ch)
        .map(|c| {
            let maxima: Vec<Option<f64>> = calib.iter().map(|r| r.maxima[c]).collect();
            calibrate_threshold(&maxima, harness.false_alarm_target)
        })
        .collect();
    let thresholds: [Vec<f64>; 2] = [
        (0..n_ch)
            .map(|c| calibrated[c].unwrap_or(specs[c].default_threshold))
            .collect(),
        specs.iter().map(|s| s.default_threshold).collect(),
    ];

    // Detector list: base, then AND pairs, then OR pairs.
    let mut pairs = Vec::new();
    for a in 0..n_ch {
        for b in a + 1..n_ch {
            pairs.push((a, b));
        }
    }
    let n_det = n_ch + 2 * pairs.len();

    // Pass 2: held-out runs, scored at both threshold sets.
    let mut timeline_job = vec![None; scenarios.len()];
    for (i, j) in test_jobs.iter().enumerate() {
        timeline_job[j.scenario].get_or_insert(i);
    }
    let profile = NAB_LOW_FP;
    let held: Vec<(HeldOutRecord, Vec<u128>, Vec<u64>)> = test_jobs
        .par_iter()
        .enumerate()
        .map_init(
            || Worker::new(detectors),
            |worker, (i, job)| {
                let w = worker.as_mut().ok_or_else(|| run_error(job, no_worker()))?;
                w.cost_ns.iter_mut().for_each(|v| *v = 0);
                w.cost_n.iter_mut().for_each(|v| *v = 0);
                let (truth, hours) = w
                    .simulate(source, job, harness.timing_stride, true)
                    .map_err(|m| run_error(job, m))?;
                let end = scored_end(&truth, hours);
                let sample_hours = auc_sample_hours(end, harness.horizon_hours, harness.auc_points);
                let auc: Vec<Vec<f64>> = w
                    .traces
                    .iter()
                    .map(|t| {
                        sample_hours
                            .iter()
                            .filter_map(|&h| t.get(h as usize).and_then(|c| c.score))
                            .filter(|v| v.is_finite())
                            .collect()
                    })
                    .collect();
                let mut outcomes: [Vec<RunOutcome>; 2] =
                    [Vec::with_capacity(n_det), Vec::with_capacity(n_det)];
                let mut kept_alerts = None;
                for mode in 0..2 {
                    let base: Vec<Vec<Alert>> = w
                        .traces
                        .iter()
                        .zip(&thresholds[mode])
                        .map(|(t, &th)| alerts_from_scores(t, th, harness.refractory_hours))
                        .collect();
                    let score =
                        |a: &[Alert]| score_run(a, &truth, hours, harness.horizon_hours, &profile);
                    outcomes[mode].extend(base.iter().map(|a| score(a)));
                    for &(a, b) in &pairs {
                        let and = combine_and(
                            &base[a],
                            &base[b],
                            harness.coincidence_hours,
                            harness.refractory_hours,
                        );
                        outcomes[mode].push(score(&and));
                    }
                    for &(a, b) in &pairs {
                        let or = combine_or(&base[a], &base[b], harness.refractory_hours);
                        outcomes[mode].push(score(&or));
                    }
                    if mode == 0 && timeline_job[job.scenario] == Some(i) {
                        kept_alerts = Some(
                            base.iter()
                                .map(|a| a.iter().map(|x| x.hour).collect())
                                .collect(),
                        );
                    }
                }
                progress();
                Ok((
                    HeldOutRecord {
                        scenario: job.scenario,
                        truth,
                        hours,
                        outcomes,
                        auc,
                        alerts: kept_alerts,
                    },
                    w.cost_ns.clone(),
                    w.cost_n.clone(),
                ))
            },
        )
        .collect::<Result<_, BacktestError>>()?;

    // Cost per module, then per channel.
    let probe = Worker::new(detectors).ok_or_else(|| BacktestError::Setting {
        field: "detectors",
        message: no_worker(),
    })?;
    let n_mod = probe.modules.len();
    let (mut ns, mut cnt) = (vec![0u128; n_mod], vec![0u64; n_mod]);
    for (_, a, b) in &held {
        for m in 0..n_mod {
            ns[m] += a[m];
            cnt[m] += b[m];
        }
    }
    let module_us: Vec<f64> = (0..n_mod)
        .map(|m| {
            if cnt[m] == 0 {
                0.0
            } else {
                ns[m] as f64 / cnt[m] as f64 / 1000.0
            }
        })
        .collect();
    let channel_module: Vec<usize> = (0..n_ch).map(|c| probe.module_of(c)).collect();
    let cost_of = |chs: &[usize]| {
        let mut mods: Vec<usize> = chs.iter().map(|&c| channel_module[c]).collect();
        mods.sort_unstable();
        mods.dedup();
        mods.iter().map(|&m| module_us[m]).sum::<f64>()
    };

    let mut detectors_info = Vec::with_capacity(n_det);
    for (c, spec) in specs.iter().enumerate() {
        detectors_info.push(DetectorInfo {
            detector: spec.name.to_owned(),
            kind: "base",
            components: vec![spec.name.to_owned()],
            names_unit: spec.names_unit,
            default_threshold: Some(spec.default_threshold),
            calibrated_threshold: calibrated[c],
            cost_us_per_check: cost_of(&[c]),
        });
    }
    for kind in ["and", "or"] {
        for &(a, b) in &pairs {
            detectors_info.push(DetectorInfo {
                detector: format!("{kind}({},{})", specs[a].name, specs[b].name),
                kind,
                components: vec![specs[a].name.to_owned(), specs[b].name.to_owned()],
                names_unit: specs[a].names_unit || specs[b].names_unit,
                default_threshold: None,
                calibrated_threshold: None,
                cost_us_per_check: cost_of(&[a, b]),
            });
        }
    }

    // AUC per base channel × forced scenario against every held-out null run.
    let negatives: Vec<Vec<f64>> = (0..n_ch)
        .map(|c| {
            held.iter()
                .filter(|(r, _, _)| null_scenario[r.scenario] && r.truth.transition_hour.is_none())
                .flat_map(|(r, _, _)| r.auc[c].iter().copied())
                .collect()
        })
        .collect();
    let mut auc_table = vec![vec![None; n_ch]; scenarios.len()];
    let mut roc = Vec::new();
    for (s, name) in scenarios.iter().enumerate() {
        if null_scenario[s] {
            continue;
        }
        for c in 0..n_ch {
            let positives: Vec<f64> = held
                .iter()
                .filter(|(r, _, _)| r.scenario == s && r.truth.transition_hour.is_some())
                .flat_map(|(r, _, _)| r.auc[c].iter().copied())
                .collect();
            auc_table[s][c] = roc_auc(&positives, &negatives[c]);
            let curve = roc_curve(&positives, &negatives[c]);
            if !curve.is_empty() {
                roc.push(RocSeries {
                    scenario: name.clone(),
                    detector: specs[c].name.to_owned(),
                    points: downsample(&curve, 100),
                });
            }
        }
    }

    // Rows.
    let mut rows = Vec::new();
    let mut lead_times = Vec::new();
    let modes = [ThresholdMode::Calibrated, ThresholdMode::Default];
    // detection[mode][scenario][detector]
    let mut detection = vec![vec![vec![None; n_det]; scenarios.len()]; 2];
    let mut pooled_leads = vec![vec![Vec::new(); n_det]; 2];
    let mut null_fp = vec![vec![(0usize, 0usize); n_det]; 2];
    for (mi, mode) in modes.iter().enumerate() {
        for (s, name) in scenarios.iter().enumerate() {
            let recs: Vec<&HeldOutRecord> = held
                .iter()
                .map(|h| &h.0)
                .filter(|r| r.scenario == s)
                .collect();
            let transitions = recs
                .iter()
                .filter(|r| r.truth.transition_hour.is_some())
                .count();
            for d in 0..n_det {
                let outs: Vec<&RunOutcome> = recs.iter().map(|r| &r.outcomes[mi][d]).collect();
                let leads: Vec<f64> = outs
                    .iter()
                    .filter_map(|o| o.lead_hours.map(f64::from))
                    .collect();
                let (median, iqr) = median_iqr(&leads).unzip();
                let runs = outs.len();
                let with_fa = outs.iter().filter(|o| o.false_alarms > 0).count();
                let fa_total: u32 = outs.iter().map(|o| o.false_alarms).sum();
                let detected = leads.len();
                let detection_rate =
                    (transitions > 0).then(|| detected as f64 / transitions as f64);
                let named: Vec<bool> = outs.iter().filter_map(|o| o.named_root).collect();
                let specificity = (detectors_info[d].names_unit && !named.is_empty())
                    .then(|| named.iter().filter(|&&b| b).count() as f64 / named.len() as f64);
                let nab_raw: f64 = outs.iter().map(|o| o.nab_raw).sum();
                detection[mi][s][d] = detection_rate;
                if !null_scenario[s] {
                    pooled_leads[mi][d].extend(leads.iter().copied());
                }
                if null_scenario[s] || !any_null {
                    null_fp[mi][d].0 += with_fa;
                    null_fp[mi][d].1 += runs;
                }
                if mi == 0 && d < n_ch {
                    lead_times.push((
                        name.clone(),
                        specs[d].name.to_owned(),
                        outs.iter().filter_map(|o| o.lead_hours).collect(),
                    ));
                }
                rows.push(ResultRow {
                    detector: detectors_info[d].detector.clone(),
                    scenario: name.clone(),
                    threshold_mode: *mode,
                    threshold: (d < n_ch).then(|| thresholds[mi][d]),
                    runs,
                    transitions,
                    lead_time_hours_median: median,
                    lead_time_hours_iqr: iqr,
                    false_positive_rate: if runs > 0 {
                        with_fa as f64 / runs as f64
                    } else {
                        0.0
                    },
                    false_alarms_per_run: if runs > 0 {
                        f64::from(fa_total) / runs as f64
                    } else {
                        0.0
                    },
                    detection_rate,
                    root_cause_specificity: specificity,
                    auc: if d < n_ch { auc_table[s][d] } else { None },
                    nab_score: nab_normalised(nab_raw, transitions, &profile),
                    cost_us_per_check: detectors_info[d].cost_us_per_check,
                    criteria: Criteria {
                        lead_time: false,
                        false_positive_rate: false,
                        unique_detection: false,
                        cost: false,
                        pass: false,
                    },
                });
            }
        }
    }

    // Criteria.
    let mut criteria_out = Vec::new();
    let mut by_detector: Vec<[Option<Criteria>; 2]> = vec![[None, None]; n_det];
    for (mi, mode) in modes.iter().enumerate() {
        for d in 0..n_det {
            let lead = median_iqr(&pooled_leads[mi][d]).map(|m| m.0);
            let (fa, n) = null_fp[mi][d];
            let fpr = (n > 0).then(|| fa as f64 / n as f64);
            let unique: Vec<String> = (0..scenarios.len())
                .filter(|&s| !null_scenario[s])
                .filter(|&s| {
                    detection[mi][s][d].is_some_and(|r| r >= criteria::CATCH_RATE)
                        && (0..n_ch).all(|b| {
                            (d < n_ch && b == d)
                                || detection[mi][s][b].is_none_or(|r| r < criteria::CATCH_RATE)
                        })
                })
                .map(|s| scenarios[s].clone())
                .collect();
            let mut c = Criteria {
                lead_time: lead.is_some_and(|l| l >= criteria::MIN_LEAD_HOURS),
                false_positive_rate: fpr.is_some_and(|f| f < criteria::MAX_FALSE_POSITIVE_RATE),
                unique_detection: !unique.is_empty(),
                cost: detectors_info[d].cost_us_per_check < criteria::MAX_COST_US,
                pass: false,
            };
            c.pass = c.lead_time && c.false_positive_rate && c.unique_detection && c.cost;
            by_detector[d][mi] = Some(c);
            criteria_out.push(DetectorCriteria {
                detector: detectors_info[d].detector.clone(),
                threshold_mode: *mode,
                lead_time_hours_median: lead,
                false_positive_rate: fpr,
                unique_scenarios: unique,
                criteria: c,
            });
        }
    }
    let det_index: std::collections::HashMap<&str, usize> = detectors_info
        .iter()
        .enumerate()
        .map(|(i, d)| (d.detector.as_str(), i))
        .collect();
    for row in &mut rows {
        let d = det_index[row.detector.as_str()];
        let mi = usize::from(row.threshold_mode == ThresholdMode::Default);
        if let Some(c) = by_detector[d][mi] {
            let mut c = c;
            c.lead_time = row
                .lead_time_hours_median
                .is_some_and(|l| l >= criteria::MIN_LEAD_HOURS);
            c.pass = c.lead_time && c.false_positive_rate && c.unique_detection && c.cost;
            row.criteria = c;
        }
    }

    let timelines = held
        .iter()
        .filter_map(|(r, _, _)| {
            r.alerts.as_ref().map(|alerts| Timeline {
                scenario: scenarios[r.scenario].clone(),
                hours: r.hours,
                transition_hour: r.truth.transition_hour,
                alerts: specs
                    .iter()
                    .zip(alerts)
                    .map(|(s, a)| (s.name.to_owned(), a.clone()))
                    .collect(),
            })
        })
        .collect();
    let null_scenarios = scenarios
        .iter()
        .zip(&null_scenario)
        .filter(|(_, n)| **n)
        .map(|(s, _)| s.clone())
        .collect();
    Ok(Comparison {
        harness: harness.clone(),
        null_scenarios,
        scenarios,
        detectors: detectors_info,
        channels: specs,
        results: rows,
        criteria: criteria_out,
        lead_times,
        roc,
        timelines,
        runs_simulated: train.len() + held.len(),
    })
}

/// At most `max + 1` points of a curve, evenly spaced by index, keeping both ends.
fn downsample(curve: &[RocPoint], max: usize) -> Vec<RocPoint> {
    if curve.len() <= max + 1 {
        return curve.to_vec();
    }
    let last = curve.len() - 1;
    (0..=max).map(|i| curve[i * last / max]).collect()
}

#[cfg(test)]
mod tests {
    use super::toy::Toy;
    use super::*;

    fn al(hour: u32) -> Alert {
        Alert { hour, unit: None }
    }

    fn forced(t: u32, root: usize) -> GroundTruth {
        GroundTruth {
            transition_hour: Some(t),
            root_unit: Some(root),
            cause: Some(crate::stream::TransitionCause::UtilizationBreach),
        }
    }

    fn null_truth() -> GroundTruth {
        GroundTruth {
            transition_hour: None,
            root_unit: None,
            cause: None,
        }
    }

    #[test]
    fn nab_reward_matches_the_anchor_values() {
        // Window of 101 hours [100, 201): left edge, halfway, right edge.
        let w = (100, 201);
        assert!((nab_detection_reward(100, w) - 0.98661).abs() < 5e-6);
        assert!((nab_detection_reward(150, w) - 0.84828).abs() < 5e-6);
        assert_eq!(nab_detection_reward(200, w), 0.0);
        assert_eq!(nab_scaled_sigmoid(3.5), -1.0);
        assert!((nab_scaled_sigmoid(-1.0) - (2.0 / (1.0 + (-5.0f64).exp()) - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn a_run_is_scored_on_lead_time_false_alarms_and_nab() {
        let truth = forced(200, 3);
        let alerts = [
            al(10),
            Alert {
                hour: 150,
                unit: Some(3),
            },
            al(170),
            al(260),
        ];
        let o = score_run(&alerts, &truth, 300, 72, &NAB_LOW_FP);
        // Window [128, 200): first alert in it at 150 → lead 50 h; 10 is a false alarm;
        // 260 is after the transition and not scored.
        assert_eq!(o.lead_hours, Some(50));
        assert_eq!(o.named_root, Some(true));
        assert_eq!(o.false_alarms, 1);
        let reward = nab_detection_reward(150, (128, 200));
        assert!((o.nab_raw - (reward - 0.22)).abs() < 1e-12);
        // Missed: −fn − fp per false alarm.
        let o = score_run(&[al(5), al(40)], &truth, 300, 72, &NAB_LOW_FP);
        assert_eq!(o.lead_hours, None);
        assert_eq!(o.false_alarms, 2);
        assert!((o.nab_raw - (-1.0 - 0.44)).abs() < 1e-12);
        // Null run: every alert is false.
        let o = score_run(&[al(5), al(299)], &null_truth(), 300, 72, &NAB_LOW_FP);
        assert_eq!((o.false_alarms, o.lead_hours), (2, None));
    }

    #[test]
    fn nab_normalisation_spans_null_to_perfect() {
        let p = NAB_LOW_FP;
        assert_eq!(nab_normalised(-3.0, 3, &p), Some(0.0));
        let perfect = 3.0 * nab_scaled_sigmoid(-1.0);
        assert!((nab_normalised(perfect, 3, &p).unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(nab_normalised(0.0, 0, &p), None);
    }

    #[test]
    fn alerts_respect_the_refractory_period() {
        let trace: Vec<Check> = [0.1, 0.9, 0.95, 0.2, 0.9, 0.9, 0.9]
            .iter()
            .map(|&s| Check {
                score: Some(s),
                unit: None,
            })
            .collect();
        let hours: Vec<u32> = alerts_from_scores(&trace, 0.9, 3)
            .iter()
            .map(|a| a.hour)
            .collect();
        assert_eq!(hours, vec![1, 4]);
        let hours: Vec<u32> = alerts_from_scores(&trace, 0.9, 1)
            .iter()
            .map(|a| a.hour)
            .collect();
        assert_eq!(hours, vec![1, 2, 4, 5, 6]);
    }

    #[test]
    fn combinations_follow_the_base_alert_times() {
        let a = [al(10), al(100)];
        let b = [al(30), al(200)];
        let or: Vec<u32> = combine_or(&a, &b, 24).iter().map(|x| x.hour).collect();
        assert_eq!(or, vec![10, 100, 200]);
        let and: Vec<u32> = combine_and(&a, &b, 24, 24).iter().map(|x| x.hour).collect();
        assert_eq!(and, vec![30]);
        assert!(combine_and(&a, &b, 10, 24).is_empty());
    }

    #[test]
    fn calibration_picks_the_lowest_threshold_meeting_the_target() {
        // 20 runs with maxima 1..=20: at target 0.10 two runs may alert → threshold just
        // above 18.
        let maxima: Vec<Option<f64>> = (1..=20).map(|v| Some(f64::from(v))).collect();
        let th = calibrate_threshold(&maxima, 0.10).unwrap();
        assert!(th > 18.0 && th < 18.0 + 1e-12);
        let alerting = maxima.iter().flatten().filter(|&&m| m >= th).count();
        assert_eq!(alerting, 2);
        // Target 0: no run may alert.
        assert!(calibrate_threshold(&maxima, 0.0).unwrap() > 20.0);
        // Runs that never scored count as quiet.
        let sparse = [
            None,
            None,
            None,
            Some(0.5),
            None,
            None,
            None,
            None,
            None,
            None,
        ];
        assert_eq!(calibrate_threshold(&sparse, 0.10), Some(0.5));
        assert_eq!(calibrate_threshold(&[None, None], 0.1), None);
    }

    proptest::proptest! {
        #[test]
        fn calibration_meets_the_target_with_the_lowest_threshold(
            maxima in proptest::collection::vec(proptest::option::of(-5.0f64..5.0), 1..60),
            target in 0.0f64..0.5,
        ) {
            if let Some(th) = calibrate_threshold(&maxima, target) {
                let alerting = |t: f64| maxima.iter().flatten().filter(|&&m| m >= t).count();
                let allowed = (target * maxima.len() as f64 + 1e-9).floor() as usize;
                proptest::prop_assert!(alerting(th) <= allowed);
                // Any lower threshold lets more runs alert than allowed, unless every run
                // that can alert already does.
                let lower = th.next_down();
                let max_possible = maxima.iter().flatten().count();
                proptest::prop_assert!(alerting(lower) > allowed || alerting(th) == max_possible);
            }
        }
    }

    #[test]
    fn sample_hours_and_quantiles() {
        assert_eq!(
            auc_sample_hours(100, 20, 10),
            vec![80, 82, 84, 86, 88, 90, 92, 94, 96, 98]
        );
        assert_eq!(auc_sample_hours(5, 20, 5), vec![0, 1, 2, 3, 4]);
        assert_eq!(median_iqr(&[1.0, 2.0, 3.0, 4.0, 5.0]), Some((3.0, 2.0)));
        assert_eq!(median_iqr(&[]), None);
    }

    #[test]
    fn seeds_and_splits_are_deterministic() {
        assert_eq!(run_seed(1, "a", 3), run_seed(1, "a", 3));
        assert_ne!(run_seed(1, "a", 3), run_seed(1, "b", 3));
        let s = training_split(7, "x", 10, 0.5);
        assert_eq!(s, training_split(7, "x", 10, 0.5));
        assert_eq!(s.iter().filter(|&&b| b).count(), 5);
        assert_eq!(
            training_split(7, "x", 2, 0.99)
                .iter()
                .filter(|&&b| b)
                .count(),
            1
        );
    }

    fn toy_harness() -> HarnessConfig {
        HarnessConfig {
            runs: 16,
            seed: 5,
            ..HarnessConfig::default()
        }
    }

    #[test]
    fn the_harness_calibrates_scores_and_is_deterministic() {
        let cmp =
            run_comparison(&Toy, &DetectorsConfig::default(), &toy_harness(), &|| {}).unwrap();
        assert_eq!(cmp.runs_simulated, 32);
        let n_ch = cmp.channels.len();
        assert_eq!(cmp.detectors.len(), n_ch + n_ch * (n_ch - 1));
        assert_eq!(cmp.results.len(), 2 * 2 * cmp.detectors.len());
        let util = cmp
            .results
            .iter()
            .find(|r| {
                r.detector == "utilization"
                    && r.scenario == "ramp"
                    && r.threshold_mode == ThresholdMode::Default
            })
            .unwrap();
        // Utilization 0.8 is crossed well before 0.95 on the ramp, naming unit 1.
        assert_eq!(util.detection_rate, Some(1.0));
        assert!(util.lead_time_hours_median.unwrap() >= 2.0);
        assert_eq!(util.root_cause_specificity, Some(1.0));
        assert!(util.auc.unwrap() > 0.9);
        // Calibration keeps the null training false-alarm share at the target.
        let info = cmp
            .detectors
            .iter()
            .find(|d| d.detector == "utilization")
            .unwrap();
        assert!(info.calibrated_threshold.is_some());
        let again =
            run_comparison(&Toy, &DetectorsConfig::default(), &toy_harness(), &|| {}).unwrap();
        let strip = |c: &Comparison| {
            let mut v = serde_json::to_value(&c.results).unwrap();
            for r in v.as_array_mut().unwrap() {
                r.as_object_mut().unwrap().remove("cost_us_per_check");
                r["criteria"].as_object_mut().unwrap().remove("cost");
                r["criteria"].as_object_mut().unwrap().remove("pass");
            }
            v
        };
        assert_eq!(strip(&cmp), strip(&again));
    }

    #[test]
    fn null_rows_have_no_detection_or_auc() {
        let cmp =
            run_comparison(&Toy, &DetectorsConfig::default(), &toy_harness(), &|| {}).unwrap();
        for r in cmp.results.iter().filter(|r| r.scenario == "flat") {
            assert_eq!(r.detection_rate, None);
            assert_eq!(r.auc, None);
            assert_eq!(r.nab_score, None);
        }
    }

    #[test]
    fn bad_settings_are_rejected() {
        let h = HarnessConfig {
            runs: 1,
            ..HarnessConfig::default()
        };
        assert!(matches!(
            run_comparison(&Toy, &DetectorsConfig::default(), &h, &|| {}),
            Err(BacktestError::Setting { field: "runs", .. })
        ));
    }
}

/// A two-unit test source shared by the harness and report tests.
#[cfg(test)]
pub(crate) mod toy {
    use super::*;
    use crate::stream::UnitHour;

    /// Two units; "ramp" drives unit 1's arrivals up until its utilization stays ≥ 0.95
    /// (the transition); "flat" stays calm.
    pub(crate) struct Toy;

    impl RunSource for Toy {
        fn scenarios(&self) -> Vec<String> {
            vec!["ramp".into(), "flat".into()]
        }
        fn is_null(&self, s: usize) -> bool {
            s == 1
        }
        fn run(
            &self,
            s: usize,
            seed: u64,
            sink: &mut dyn FnMut(&HourObservation),
        ) -> Result<GroundTruth, String> {
            use rand::RngExt;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let start = 150 + rng.random_range(0..50u32);
            let mut obs = HourObservation::default();
            let mut transition = None;
            for h in 0..400u32 {
                obs.hour = h;
                obs.units.clear();
                for u in 0..2 {
                    let base = 5.0 + rng.random_range(-1.0..1.0);
                    let extra = if s == 0 && u == 1 && h > start {
                        f64::from(h - start) * 0.05
                    } else {
                        0.0
                    };
                    let arrivals = base + extra;
                    obs.units.push(UnitHour {
                        arrivals,
                        served: arrivals.min(10.0),
                        backlog: (arrivals - 10.0).max(0.0),
                        capacity: 10.0,
                        staff_on_duty: 2,
                        staff_absent: 0,
                        required_staff: 2,
                    });
                    if transition.is_none() && arrivals / 10.0 >= 0.95 {
                        transition = Some(h);
                    }
                }
                sink(&obs);
            }
            Ok(GroundTruth {
                transition_hour: transition,
                root_unit: transition.map(|_| 1),
                cause: transition.map(|_| crate::stream::TransitionCause::UtilizationBreach),
            })
        }
    }
}
