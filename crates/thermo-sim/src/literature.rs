//! Literature check: the ROC AUC of critical-slowing-down indicators on May's harvesting
//! model driven through a fold bifurcation, next to the values published by Bury et al.
//! (2021, PNAS 118, e2106140118; code `deep-early-warnings-pnas`, `test_models/may_fold_*`).
//!
//! The model is simulated exactly as the paper's `sim_may_fold.py` / `sim_may_fold_null.py`
//! do (additive noise, see [`MayModel`]); the scoring follows `compute_ews.py`,
//! `compute_ktau.py` and `compute_roc.py` (see [`Protocol::Paper`]), with a second,
//! look-ahead-free variant ([`Protocol::Prefix`]) that only ever sees the data available at
//! the prediction time. Trajectories run in parallel (rayon), each on its own ChaCha8
//! stream, so results are identical for any thread count. Measured numbers and the
//! reading of the gap to the published values: `docs/compare.md`, "Literature check".

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thermo_core::ews::{self, Detrend, EwsConfig, EwsError, Indicator};
use thermo_core::stats::kendall_tau_b;

use crate::roc::roc_auc;

/// Model name in [`LiteratureRow::model`].
pub const MODEL_NAME: &str = "may_fold";

/// Rows between two Kendall τ evaluations (the paper's `t_res`: 1500/150 and 500/50).
pub const KTAU_STRIDE: usize = 10;

/// Prediction times per trajectory and window (the paper's `n_predictions`).
pub const PREDICTIONS_PER_WINDOW: usize = 10;

/// Rolling window as a fraction of the series length (the paper's `rw`).
pub const ROLLING_WINDOW: f64 = 0.25;

/// LOWESS span as a fraction of the detrended series' length (the paper's `span`).
pub const LOWESS_SPAN: f64 = 0.2;

/// Series lengths scored, in points (the two classifier lengths of the paper).
pub const LENGTHS: [usize; 2] = [500, 1500];

/// Error of the literature check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiteratureError {
    /// A model or run setting is outside its domain.
    #[error("invalid {name} {value}: {reason}")]
    InvalidSetting {
        /// Setting name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// What is required.
        reason: &'static str,
    },
    /// The harvesting curve has no fold on (0, k): the model is not bistable.
    #[error("the May model has no fold bifurcation for these parameters (not bistable)")]
    NoFold,
    /// The forcing never crosses the fold, so there is no transition to predict.
    #[error("harvesting rate ends at {h_end}, below the fold at {h_fold}: no transition")]
    NoTransition {
        /// Final harvesting rate.
        h_end: f64,
        /// Harvesting rate of the fold.
        h_fold: f64,
    },
    /// The early-warning pipeline rejected a series.
    #[error(transparent)]
    Ews(#[from] EwsError),
    /// A (length, window, indicator) cell has no defined Kendall τ on one side.
    #[error("no defined Kendall tau for length {length}, window {window}, {indicator}")]
    UndefinedAuc {
        /// Series length, points.
        length: usize,
        /// `early` or `late`.
        window: &'static str,
        /// Indicator name.
        indicator: &'static str,
    },
}

/// Whether the harvesting rate is ramped through the fold or held fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forcing {
    /// h rises linearly from `h_start` to `h_end` over `t_max` (a forced run).
    Ramp,
    /// h stays at `h_start` (a null run: no transition).
    Null,
}

/// May's harvesting model, `dx = [r x (1 − x/k) − h x²/(s² + x²)] dt + σ dW`, integrated by
/// Euler–Maruyama with the state clamped at 0 (a population cannot be negative).
///
/// The noise is **additive** (σ dW, increments N(0, σ²·dt)), as in the paper's code
/// (`dW = normal(scale = sigma*sqrt(dt))`); a multiplicative σ x dW form would lower the
/// noise by the factor x ≈ 0.5–0.8 along the upper branch. Defaults are the paper's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MayModel {
    /// Intrinsic growth rate r, per unit time. Default 1.
    pub r: f64,
    /// Carrying capacity k, units of x. Default 1.
    pub k: f64,
    /// Half-saturation constant s of the harvesting term, units of x. Default 0.1.
    pub s: f64,
    /// Harvesting rate at t = 0 (and throughout a null run), per unit time. Default 0.15.
    pub h_start: f64,
    /// Harvesting rate at `t_max` in a forced run, per unit time. Default 0.27.
    pub h_end: f64,
    /// Noise intensity σ (additive), units of x per √time. Default 0.01.
    pub sigma: f64,
    /// Integration step, time units. Default 0.01.
    pub dt: f64,
    /// Length of a run, time units (the ramp spans it). Default 1500.
    pub t_max: f64,
    /// Burn-in at `h_start` before t = 0, time units. Default 100.
    pub t_burn: f64,
    /// Time between two recorded samples, time units (a whole number of steps). Default 1.
    pub sample_interval: f64,
}

impl Default for MayModel {
    fn default() -> Self {
        Self {
            r: 1.0,
            k: 1.0,
            s: 0.1,
            h_start: 0.15,
            h_end: 0.27,
            sigma: 0.01,
            dt: 0.01,
            t_max: 1500.0,
            t_burn: 100.0,
            sample_interval: 1.0,
        }
    }
}

/// The fold (saddle-node) point of the upper equilibrium branch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// State at the fold, units of x.
    pub x: f64,
    /// Harvesting rate at the fold, per unit time.
    pub h: f64,
}

/// One simulated run, sampled every `sample_interval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Sample times, time units (0, Δ, 2Δ, …).
    pub times: Vec<f64>,
    /// State x at each sample time.
    pub values: Vec<f64>,
}

impl MayModel {
    /// Checks every parameter (finite, in its domain, whole numbers of steps).
    pub fn validate(&self) -> Result<(), LiteratureError> {
        let positive = [
            ("r", self.r),
            ("k", self.k),
            ("s", self.s),
            ("dt", self.dt),
            ("t_max", self.t_max),
            ("sample_interval", self.sample_interval),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(invalid(name, value, "must be a finite number > 0"));
            }
        }
        let non_negative = [
            ("h_start", self.h_start),
            ("h_end", self.h_end),
            ("sigma", self.sigma),
            ("t_burn", self.t_burn),
        ];
        for (name, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(name, value, "must be a finite number ≥ 0"));
            }
        }
        whole_ratio("sample_interval", self.sample_interval, self.dt)?;
        whole_ratio("t_max", self.t_max, self.dt)?;
        whole_ratio("t_burn", self.t_burn, self.dt)?;
        if self.steps() < 2 {
            return Err(invalid("t_max", self.t_max, "needs at least 2 steps of dt"));
        }
        Ok(())
    }

    /// Drift r x (1 − x/k) − h x²/(s² + x²), units of x per unit time.
    pub fn drift(&self, x: f64, h: f64) -> f64 {
        let x2 = x * x;
        self.r * x * (1.0 - x / self.k) - h * x2 / (self.s * self.s + x2)
    }

    /// Harvesting rate that makes `x > 0` an equilibrium: H(x) = r (1 − x/k)(s² + x²)/x.
    fn equilibrium_h(&self, x: f64) -> f64 {
        self.r * (1.0 - x / self.k) * (self.s * self.s + x * x) / x
    }

    /// dH/dx.
    fn equilibrium_h_slope(&self, x: f64) -> f64 {
        let s2 = self.s * self.s;
        self.r * ((1.0 - x / self.k) * (1.0 - s2 / (x * x)) - (s2 / x + x) / self.k)
    }

    /// The fold of the upper branch: the local maximum of H(x) on (0, k), found by a grid
    /// scan from x = k downwards and bisection of H′ to machine precision.
    pub fn fold(&self) -> Result<Fold, LiteratureError> {
        self.validate()?;
        const GRID: usize = 10_000;
        let step = self.k / GRID as f64;
        // H' < 0 near k (H falls to 0 at x = k); the first sign change to H' > 0 met while
        // walking left is the local maximum, where the upper and middle equilibria merge.
        let mut hi = self.k;
        let mut lo = None;
        for i in (1..GRID).rev() {
            let x = i as f64 * step;
            if self.equilibrium_h_slope(x) > 0.0 {
                lo = Some(x);
                break;
            }
            hi = x;
        }
        let mut lo = lo.ok_or(LiteratureError::NoFold)?;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.equilibrium_h_slope(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let x = 0.5 * (lo + hi);
        Ok(Fold {
            x,
            h: self.equilibrium_h(x),
        })
    }

    /// The stable upper equilibrium at harvesting rate `h` (0 < h < fold), by bisection of
    /// H(x) = h on (x_fold, k), where H falls monotonically from h_fold to 0.
    pub fn upper_equilibrium(&self, h: f64) -> Result<f64, LiteratureError> {
        let fold = self.fold()?;
        if !(h.is_finite() && h > 0.0 && h < fold.h) {
            return Err(invalid(
                "h",
                h,
                "the upper equilibrium exists only for 0 < h < h_fold",
            ));
        }
        let (mut lo, mut hi) = (fold.x, self.k);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.equilibrium_h(mid) > h {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(0.5 * (lo + hi))
    }

    /// Integration steps in a run: t_max / dt.
    pub fn steps(&self) -> usize {
        (self.t_max / self.dt).round() as usize
    }

    /// Integration steps per recorded sample.
    fn steps_per_sample(&self) -> usize {
        (self.sample_interval / self.dt).round() as usize
    }

    /// Harvesting rate at integration step `i` (numpy `linspace(h_start, h_end, steps)`).
    pub fn h_at_step(&self, forcing: Forcing, i: usize) -> f64 {
        match forcing {
            Forcing::Null => self.h_start,
            Forcing::Ramp => {
                let n = self.steps();
                self.h_start + (self.h_end - self.h_start) * i as f64 / (n - 1) as f64
            }
        }
    }

    /// Transition time of a forced run, time units: the paper's `tcrit`, the time of the
    /// second integration step whose harvesting rate exceeds the computed fold value
    /// (`b[b > bcrit].index[1]`). 1380.46 with the defaults.
    pub fn transition_time(&self) -> Result<f64, LiteratureError> {
        let fold = self.fold()?;
        let n = self.steps();
        if self.h_at_step(Forcing::Ramp, n - 1) <= fold.h {
            return Err(LiteratureError::NoTransition {
                h_end: self.h_end,
                h_fold: fold.h,
            });
        }
        if self.h_start > fold.h {
            return Err(invalid(
                "h_start",
                self.h_start,
                "must be below the fold so that the run starts on the upper branch",
            ));
        }
        // Closed-form guess, then exact adjustment on the discrete grid.
        let frac = (fold.h - self.h_start) / (self.h_end - self.h_start);
        let mut i = ((frac * (n - 1) as f64).ceil().max(0.0) as usize).min(n - 1);
        while i > 0 && self.h_at_step(Forcing::Ramp, i - 1) > fold.h {
            i -= 1;
        }
        while self.h_at_step(Forcing::Ramp, i) <= fold.h {
            i += 1;
        }
        Ok(((i + 1).min(n - 1)) as f64 * self.dt)
    }

    /// Simulates one run from the upper equilibrium at `h_start`: `t_burn` of burn-in at
    /// `h_start`, then the run, recording x at t = 0, Δ, 2Δ, … up to `until` (inclusive,
    /// capped at the last sample before `t_max`).
    pub fn simulate(
        &self,
        forcing: Forcing,
        until: f64,
        rng: &mut ChaCha8Rng,
    ) -> Result<Trajectory, LiteratureError> {
        let mut x = self.upper_equilibrium(self.h_start)?;
        if !until.is_finite() || until < 0.0 {
            return Err(invalid("until", until, "must be a finite time ≥ 0"));
        }
        let noise = self.sigma * self.dt.sqrt();
        let step = |x: f64, h: f64, rng: &mut ChaCha8Rng| {
            let xi: f64 = StandardNormal.sample(rng);
            (x + self.drift(x, h) * self.dt + noise * xi).max(0.0)
        };
        for _ in 0..(self.t_burn / self.dt).round() as usize {
            x = step(x, self.h_start, rng);
        }
        let per = self.steps_per_sample();
        let samples_in_run = (self.steps() - 1) / per + 1;
        let samples =
            ((until / self.sample_interval + 1e-9).floor() as usize + 1).min(samples_in_run);
        let mut times = Vec::with_capacity(samples);
        let mut values = Vec::with_capacity(samples);
        times.push(0.0);
        values.push(x);
        let mut i = 0usize;
        for j in 1..samples {
            for _ in 0..per {
                x = step(x, self.h_at_step(forcing, i), rng);
                i += 1;
            }
            times.push(j as f64 * self.sample_interval);
            values.push(x);
        }
        Ok(Trajectory { times, values })
    }
}

fn invalid(name: &'static str, value: f64, reason: &'static str) -> LiteratureError {
    LiteratureError::InvalidSetting {
        name,
        value,
        reason,
    }
}

fn whole_ratio(name: &'static str, value: f64, dt: f64) -> Result<(), LiteratureError> {
    let ratio = value / dt;
    if (ratio - ratio.round()).abs() > 1e-6 * ratio.max(1.0) {
        return Err(invalid(name, value, "must be a whole number of steps dt"));
    }
    Ok(())
}

/// How the Kendall τ at a prediction time is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// The paper's pipeline. Length 1500: LOWESS (span 0.2) over the whole series up to
    /// the transition (forced) or over all 1500 points (null), rolling window ⌊0.25 × 1500⌋
    /// = 375 points, then τ of the indicator from its second defined row up to the
    /// prediction time. Length 500: the last 500 residuals of the 1500-point detrending,
    /// not detrended again, window 125. The smoothing therefore sees data after the
    /// prediction time.
    #[default]
    Paper,
    /// No look-ahead: at each prediction time the series up to that time is detrended
    /// (LOWESS span 0.2 of its length), the indicators use a window of 0.25 of its length,
    /// and τ is taken over it, as a live monitor would.
    Prefix,
}

/// Settings of the literature check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LiteratureConfig {
    /// Forced runs (positives). Default 100 (the paper: 10).
    pub forced_runs: usize,
    /// Null runs (negatives). Default 100 (the paper: 10).
    pub null_runs: usize,
    /// Seed: forced run i draws from ChaCha8 stream 2i, null run i from stream 2i + 1.
    /// Default 2021.
    pub seed: u64,
    /// Scoring protocol. Default [`Protocol::Paper`].
    pub protocol: Protocol,
    /// Model parameters. Default: the paper's.
    pub model: MayModel,
}

impl Default for LiteratureConfig {
    fn default() -> Self {
        Self {
            forced_runs: 100,
            null_runs: 100,
            seed: 2021,
            protocol: Protocol::Paper,
            model: MayModel::default(),
        }
    }
}

impl LiteratureConfig {
    /// A configuration small enough for CI: 10 forced and 10 null runs (the paper's own
    /// numbers), paper protocol.
    pub fn quick() -> Self {
        Self {
            forced_runs: 10,
            null_runs: 10,
            ..Self::default()
        }
    }
}

/// One AUC of the literature check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiteratureRow {
    /// Model name (`may_fold`).
    pub model: String,
    /// Series length, points (500 or 1500; the 1500 series end at the transition, 1381
    /// points with the defaults).
    pub length: usize,
    /// Prediction window: `early` ([0.6, 0.8] of the way to the transition) or `late`
    /// ([0.8, 1.0]).
    pub window: String,
    /// Indicator: `variance` or `ac1`.
    pub indicator: String,
    /// Our ROC AUC of the Kendall τ (forced runs positive, null runs negative), in [0, 1].
    pub auc_ours: f64,
    /// The AUC published by Bury et al. 2021 (anchors §1.4).
    pub auc_published: f64,
    /// Trajectories scored: forced + null runs (the paper: 10 + 10 = 20).
    pub simulations: usize,
}

/// Prediction windows as fractions of the way from the series start to the transition.
const WINDOWS: [(&str, f64, f64); 2] = [("early", 0.6, 0.8), ("late", 0.8, 1.0)];

/// Indicators scored, with their output names.
const INDICATORS: [(&str, Indicator); 2] =
    [("variance", Indicator::Variance), ("ac1", Indicator::Ac(1))];

/// Published AUC (Bury et al. 2021, May fold) for (length, window, indicator).
pub fn published_auc(length: usize, window: &str, indicator: &str) -> Option<f64> {
    Some(match (length, window, indicator) {
        (1500, "early", "variance") => 0.826,
        (1500, "early", "ac1") => 0.746,
        (1500, "late", "variance") => 0.980,
        (1500, "late", "ac1") => 0.927,
        (500, "early", "variance") => 0.765,
        (500, "early", "ac1") => 0.678,
        (500, "late", "variance") => 0.874,
        (500, "late", "ac1") => 0.721,
        _ => return None,
    })
}

/// Number of (length, window, indicator) cells.
const CELLS: usize = LENGTHS.len() * WINDOWS.len() * INDICATORS.len();

fn cell(length_idx: usize, window_idx: usize, indicator_idx: usize) -> usize {
    (length_idx * WINDOWS.len() + window_idx) * INDICATORS.len() + indicator_idx
}

/// τ values of one trajectory per cell (undefined τ left out).
type Scores = Vec<Vec<f64>>;

/// A scored stretch of one trajectory.
struct Segment<'a> {
    times: &'a [f64],
    /// Raw state (to detrend) or residuals (already detrended).
    values: &'a [f64],
    detrend: bool,
    /// Rolling window in points for [`Protocol::Paper`].
    window_points: usize,
}

/// Runs the literature check and returns one row per (length, window, indicator), lengths
/// ascending, `early` before `late`, `variance` before `ac1`.
pub fn run(config: &LiteratureConfig) -> Result<Vec<LiteratureRow>, LiteratureError> {
    run_with_progress(config, &|_, _| {})
}

/// As [`run`], calling `progress(done, total)` after each trajectory (from worker threads,
/// in completion order).
pub fn run_with_progress(
    config: &LiteratureConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<LiteratureRow>, LiteratureError> {
    if config.forced_runs == 0 {
        return Err(invalid("forced_runs", 0.0, "needs at least 1 run"));
    }
    if config.null_runs == 0 {
        return Err(invalid("null_runs", 0.0, "needs at least 1 run"));
    }
    let model = &config.model;
    model.validate()?;
    let t_transition = model.transition_time()?;
    let full_points = (model.steps() - 1) / model.steps_per_sample() + 1;
    let forced_points = (t_transition / model.sample_interval + 1e-9).floor() as usize + 1;
    if forced_points <= LENGTHS[0] {
        return Err(invalid(
            "t_max",
            model.t_max,
            "the forced series must hold more than 500 samples before the transition",
        ));
    }
    let total = config.forced_runs + config.null_runs;
    let done = AtomicUsize::new(0);
    let jobs: Vec<(Forcing, usize)> = (0..config.forced_runs)
        .map(|i| (Forcing::Ramp, i))
        .chain((0..config.null_runs).map(|i| (Forcing::Null, i)))
        .collect();
    let scored: Vec<Result<Scores, LiteratureError>> = jobs
        .par_iter()
        .map(|&(forcing, i)| {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(2 * i as u64 + u64::from(forcing == Forcing::Null));
            let until = match forcing {
                Forcing::Ramp => t_transition,
                Forcing::Null => model.t_max,
            };
            let trajectory = model.simulate(forcing, until, &mut rng)?;
            let scores = score_trajectory(
                &trajectory,
                forced_points,
                full_points,
                model.sample_interval,
                config.protocol,
            );
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            scores
        })
        .collect();
    let mut positives: Vec<Vec<f64>> = vec![Vec::new(); CELLS];
    let mut negatives: Vec<Vec<f64>> = vec![Vec::new(); CELLS];
    for ((forcing, _), scores) in jobs.iter().zip(scored) {
        let side = match forcing {
            Forcing::Ramp => &mut positives,
            Forcing::Null => &mut negatives,
        };
        for (dst, src) in side.iter_mut().zip(scores?) {
            dst.extend(src);
        }
    }
    let mut rows = Vec::with_capacity(CELLS);
    for (li, &length) in LENGTHS.iter().enumerate() {
        for (wi, &(window, _, _)) in WINDOWS.iter().enumerate() {
            for (ii, &(indicator, _)) in INDICATORS.iter().enumerate() {
                let c = cell(li, wi, ii);
                let auc =
                    roc_auc(&positives[c], &negatives[c]).ok_or(LiteratureError::UndefinedAuc {
                        length,
                        window,
                        indicator,
                    })?;
                rows.push(LiteratureRow {
                    model: MODEL_NAME.to_string(),
                    length,
                    window: window.to_string(),
                    indicator: indicator.to_string(),
                    auc_ours: auc,
                    auc_published: published_auc(length, window, indicator).unwrap_or(f64::NAN),
                    simulations: total,
                });
            }
        }
    }
    Ok(rows)
}

/// Kendall τ at the prediction times of every cell for one trajectory. The prediction
/// windows are placed on the forced series' time axis (start and transition), for null
/// runs too, as `compute_roc.py` does.
fn score_trajectory(
    trajectory: &Trajectory,
    forced_points: usize,
    full_points: usize,
    dt_sample: f64,
    protocol: Protocol,
) -> Result<Scores, LiteratureError> {
    let n = trajectory.values.len();
    let times = &trajectory.times;
    let long_window = (ROLLING_WINDOW * full_points as f64) as usize;
    let short_window = (ROLLING_WINDOW * LENGTHS[0] as f64) as usize;
    // Residuals of the whole series: the paper's length-500 input.
    let residuals = match protocol {
        Protocol::Paper => Some(detrend_lowess(times, &trajectory.values)?),
        Protocol::Prefix => None,
    };
    let short_start = n - LENGTHS[0];
    let (short_values, short_detrend) = match &residuals {
        Some(r) => (&r[short_start..], false),
        None => (&trajectory.values[short_start..], true),
    };
    let (long_values, long_detrend) = match &residuals {
        Some(r) => (&r[..], false),
        None => (&trajectory.values[..], true),
    };
    let segments = [
        Segment {
            times: &times[short_start..],
            values: short_values,
            detrend: short_detrend,
            window_points: short_window,
        },
        Segment {
            times,
            values: long_values,
            detrend: long_detrend,
            window_points: long_window,
        },
    ];
    let t_transition = (forced_points - 1) as f64 * dt_sample;
    let forced_start = [(forced_points - LENGTHS[0]) as f64 * dt_sample, 0.0];
    let mut scores: Scores = vec![Vec::new(); CELLS];
    for (li, segment) in segments.iter().enumerate() {
        let t_start = forced_start[li];
        let columns = match protocol {
            Protocol::Paper => indicator_columns(segment)?,
            Protocol::Prefix => Vec::new(),
        };
        for (wi, &(_, lo, hi)) in WINDOWS.iter().enumerate() {
            let from = t_start + (t_transition - t_start) * lo;
            let to = t_start + (t_transition - t_start) * hi;
            for row in prediction_rows(segment.times, from, to) {
                let taus = match protocol {
                    Protocol::Paper => columns
                        .iter()
                        .map(|c| tau_from_second(&segment.times[..=row], &c[..=row]))
                        .collect::<Vec<_>>(),
                    Protocol::Prefix => prefix_taus(segment, row)?,
                };
                for (ii, tau) in taus.into_iter().enumerate() {
                    if let Some(t) = tau {
                        scores[cell(li, wi, ii)].push(t);
                    }
                }
            }
        }
    }
    Ok(scores)
}

fn detrend_lowess(times: &[f64], values: &[f64]) -> Result<Vec<f64>, LiteratureError> {
    let d = ews::detrend(times, values, Detrend::Lowess, 0.2, LOWESS_SPAN)?;
    // LOWESS defines every residual.
    Ok(d.residuals.into_iter().map(|r| r.unwrap_or(0.0)).collect())
}

fn ews_config(window: f64, detrend: bool) -> EwsConfig {
    EwsConfig {
        window,
        detrend: if detrend {
            Detrend::Lowess
        } else {
            Detrend::None
        },
        span: LOWESS_SPAN,
        indicators: INDICATORS.iter().map(|&(_, i)| i).collect(),
        ..EwsConfig::default()
    }
}

/// Indicator columns of a whole segment, window in points (paper protocol).
fn indicator_columns(segment: &Segment<'_>) -> Result<Vec<Vec<Option<f64>>>, LiteratureError> {
    if segment.window_points < 2 {
        return Err(invalid(
            "rolling window",
            segment.window_points as f64,
            "needs at least 2 points",
        ));
    }
    let series = ews::compute(
        segment.times,
        segment.values,
        &ews_config(segment.window_points as f64, segment.detrend),
    )?;
    Ok(series.indicators.into_iter().map(|(_, c)| c).collect())
}

/// τ of every indicator on the segment cut at `row`, detrended and windowed afresh.
fn prefix_taus(segment: &Segment<'_>, row: usize) -> Result<Vec<Option<f64>>, LiteratureError> {
    let times = &segment.times[..=row];
    let values = &segment.values[..=row];
    if ews::window_points(ROLLING_WINDOW, times.len())? < 2 {
        return Ok(vec![None; INDICATORS.len()]);
    }
    let series = ews::compute(times, values, &ews_config(ROLLING_WINDOW, segment.detrend))?;
    Ok(series
        .indicators
        .iter()
        .map(|(_, c)| tau_from_second(times, c))
        .collect())
}

/// Kendall τ-b against time of the defined values, leaving out the first defined one
/// (`compute_ktau.py` starts at `series[notnull].index[1]`).
fn tau_from_second(times: &[f64], column: &[Option<f64>]) -> Option<f64> {
    let (t, v): (Vec<f64>, Vec<f64>) = times
        .iter()
        .zip(column)
        .filter_map(|(&t, v)| v.map(|v| (t, v)))
        .skip(1)
        .unzip();
    kendall_tau_b(&t, &v)
}

/// Rows where τ is evaluated (every [`KTAU_STRIDE`]th row from the first) with a time in
/// [from, to], thinned to [`PREDICTIONS_PER_WINDOW`] evenly spaced ones
/// (`np.round(np.linspace(0, len − 1, 10))`, ties to even; repeats kept as in the paper).
fn prediction_rows(times: &[f64], from: f64, to: f64) -> Vec<usize> {
    let grid: Vec<usize> = (0..times.len())
        .step_by(KTAU_STRIDE)
        .filter(|&r| times[r] >= from && times[r] <= to)
        .collect();
    if grid.is_empty() {
        return grid;
    }
    let last = (grid.len() - 1) as f64;
    (0..PREDICTIONS_PER_WINDOW)
        .map(|j| {
            let pos = last * j as f64 / (PREDICTIONS_PER_WINDOW - 1) as f64;
            grid[pos.round_ties_even() as usize]
        })
        .collect()
}

/// The rows as a Markdown table: length, window, indicator, ours, published, difference.
pub fn markdown_table(rows: &[LiteratureRow]) -> String {
    let mut out = String::from(
        "| Length | Window | Indicator | AUC ours | AUC published | Difference | Runs (forced + null) |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:+.3} | {} |\n",
            r.length,
            r.window,
            r.indicator,
            r.auc_ours,
            r.auc_published,
            r.auc_ours - r.auc_published,
            r.simulations
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> MayModel {
        MayModel::default()
    }

    #[test]
    fn drift_at_known_points() {
        let m = paper();
        assert_eq!(m.drift(0.0, 0.2), 0.0);
        // 0.5·0.5 − 0.2·0.25/0.26
        assert!((m.drift(0.5, 0.2) - (0.25 - 0.05 / 0.26)).abs() < 1e-15);
        // At the carrying capacity only harvesting remains: −h·1/(0.01 + 1).
        assert!((m.drift(1.0, 0.15) + 0.15 / 1.01).abs() < 1e-15);
    }

    #[test]
    fn fold_matches_the_papers_bifurcation_value() {
        let m = paper();
        let fold = m.fold().unwrap();
        // bcrit = 0.260437 in sim_may_fold.py (Mathematica); x solves 2x³ − x² + 0.01 = 0.
        assert!((fold.h - 0.260437).abs() < 1e-6, "h_fold = {}", fold.h);
        assert!((fold.h - 0.260_436_517).abs() < 1e-9, "h_fold = {}", fold.h);
        assert!((fold.x - 0.478_128_380).abs() < 1e-9, "x_fold = {}", fold.x);
        assert!((2.0 * fold.x.powi(3) - fold.x.powi(2) + 0.01).abs() < 1e-12);
        assert!(m.drift(fold.x, fold.h).abs() < 1e-12);
        // Saddle-node: the drift's slope vanishes too.
        let e = 1e-6;
        let slope = (m.drift(fold.x + e, fold.h) - m.drift(fold.x - e, fold.h)) / (2.0 * e);
        assert!(slope.abs() < 1e-8, "slope {slope}");
    }

    #[test]
    fn upper_equilibrium_matches_the_papers_initial_condition() {
        let m = paper();
        let x = m.upper_equilibrium(0.15).unwrap();
        assert!((x - 0.8197).abs() < 5e-5, "x* = {x}");
        assert!(m.drift(x, 0.15).abs() < 1e-12);
        // Stable: the drift pushes back towards x*.
        assert!(m.drift(x + 0.01, 0.15) < 0.0 && m.drift(x - 0.01, 0.15) > 0.0);
        assert!(m.upper_equilibrium(0.27).is_err());
        assert!(m.upper_equilibrium(f64::NAN).is_err());
    }

    #[test]
    fn transition_time_is_where_the_ramp_crosses_the_fold() {
        let m = paper();
        let t = m.transition_time().unwrap();
        let h_fold = m.fold().unwrap().h;
        let i = (t / m.dt).round() as usize;
        // tcrit is the second step above the fold.
        assert!(m.h_at_step(Forcing::Ramp, i - 2) <= h_fold);
        assert!(m.h_at_step(Forcing::Ramp, i - 1) > h_fold);
        assert!((t - 1380.46).abs() < 0.01, "t = {t}");
        assert_eq!(m.h_at_step(Forcing::Null, i), 0.15);
    }

    #[test]
    fn bad_models_are_rejected() {
        let no_fold = MayModel { s: 1.0, ..paper() };
        assert_eq!(no_fold.fold(), Err(LiteratureError::NoFold));
        let no_transition = MayModel {
            h_end: 0.2,
            ..paper()
        };
        assert!(matches!(
            no_transition.transition_time(),
            Err(LiteratureError::NoTransition { .. })
        ));
        for bad in [
            MayModel {
                dt: f64::NAN,
                ..paper()
            },
            MayModel {
                sigma: -0.1,
                ..paper()
            },
            MayModel {
                sample_interval: 0.015,
                ..paper()
            },
            MayModel {
                r: f64::INFINITY,
                ..paper()
            },
        ] {
            assert!(matches!(
                bad.validate(),
                Err(LiteratureError::InvalidSetting { .. })
            ));
        }
        for config in [
            LiteratureConfig {
                forced_runs: 0,
                ..LiteratureConfig::quick()
            },
            LiteratureConfig {
                null_runs: 0,
                ..LiteratureConfig::quick()
            },
            // Too short to hold 500 samples before the transition.
            LiteratureConfig {
                model: MayModel {
                    t_max: 400.0,
                    ..paper()
                },
                ..LiteratureConfig::quick()
            },
        ] {
            assert!(matches!(
                run(&config),
                Err(LiteratureError::InvalidSetting { .. })
            ));
        }
    }

    #[test]
    fn simulation_is_seeded_and_sampled_every_unit_time() {
        let m = paper();
        let t = m.transition_time().unwrap();
        let sim = |seed: u64, forcing| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            m.simulate(forcing, t, &mut rng).unwrap()
        };
        let a = sim(1, Forcing::Ramp);
        assert_eq!(a.values.len(), 1381);
        assert_eq!(a.times[1380], 1380.0);
        assert_eq!(a, sim(1, Forcing::Ramp));
        assert_ne!(a, sim(2, Forcing::Ramp));
        // A null run fluctuates around x* with the linearised (Ornstein–Uhlenbeck) spread
        // σ/√(2|f′(x*)|), f′(x*) = 1 − 2x* − 2h x* s²/(s² + x*²)² ≈ −0.645: ≈ 0.0088.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let null = m.simulate(Forcing::Null, m.t_max, &mut rng).unwrap();
        assert_eq!(null.values.len(), 1500);
        let mean = null.values.iter().sum::<f64>() / 1500.0;
        let var = null.values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 1499.0;
        assert!((mean - 0.8197).abs() < 0.005, "mean {mean}");
        assert!((var.sqrt() - 0.0088).abs() < 0.0015, "sd {}", var.sqrt());
        // The forced run drifts down the upper branch towards the fold (x ≈ 0.48).
        let tail = a.values[1300..].iter().sum::<f64>() / 81.0;
        assert!(tail < 0.7 && tail > 0.3, "tail mean {tail}");
    }

    #[test]
    fn prediction_rows_follow_compute_roc() {
        let times: Vec<f64> = (0..1381).map(f64::from).collect();
        // Early window of the 1500 series: [828, 1104] holds grid rows 830..=1100 (28).
        let rows = prediction_rows(&times, 0.6 * 1380.0, 0.8 * 1380.0);
        let expected: Vec<usize> = (0..10).map(|j| 830 + 30 * j).collect();
        assert_eq!(rows, expected);
        // Three grid rows: np.round(linspace(0, 2, 10)) = 0,0,0,1,1,1,1,2,2,2.
        let rows = prediction_rows(&times, 995.0, 1020.0);
        assert_eq!(
            rows,
            vec![1000, 1000, 1000, 1010, 1010, 1010, 1010, 1020, 1020, 1020]
        );
        assert!(prediction_rows(&times, 1381.0, 1400.0).is_empty());
    }

    #[test]
    fn tau_skips_the_first_defined_value() {
        let times = [0.0, 1.0, 2.0, 3.0, 4.0];
        // Without the 9 the rest rises strictly.
        let column = [None, Some(9.0), Some(1.0), Some(2.0), Some(3.0)];
        assert_eq!(tau_from_second(&times, &column), Some(1.0));
        assert_eq!(tau_from_second(&times, &column[..3]), None);
    }

    #[test]
    fn null_runs_scored_against_null_runs_are_near_chance() {
        // A negative control: the pipeline itself must not separate two sets of null runs.
        let m = paper();
        let t = m.transition_time().unwrap();
        let forced_points = t as usize + 1;
        let full_points = 1500;
        let scores = |stream: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(77);
            rng.set_stream(stream);
            let traj = m.simulate(Forcing::Null, m.t_max, &mut rng).unwrap();
            score_trajectory(&traj, forced_points, full_points, 1.0, Protocol::Paper).unwrap()
        };
        let a: Vec<Scores> = (0..12).map(scores).collect();
        let b: Vec<Scores> = (12..24).map(scores).collect();
        let late_variance = cell(1, 1, 0);
        let pick = |s: &[Scores]| -> Vec<f64> {
            s.iter()
                .flat_map(|x| x[late_variance].iter().copied())
                .collect()
        };
        let auc = roc_auc(&pick(&a), &pick(&b)).unwrap();
        assert!((0.2..=0.8).contains(&auc), "null vs null AUC {auc}");
    }

    #[test]
    fn quick_run_is_deterministic_and_separates_forced_from_null() {
        let config = LiteratureConfig::quick();
        let rows = run(&config).unwrap();
        assert_eq!(rows.len(), 8);
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| run(&config).unwrap());
        assert_eq!(rows, single);
        let calls = AtomicUsize::new(0);
        let again = run_with_progress(&config, &|_, total| {
            assert_eq!(total, 20);
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(rows, again);
        assert_eq!(calls.load(Ordering::Relaxed), 20);
        for r in &rows {
            assert_eq!(r.model, "may_fold");
            assert_eq!(r.simulations, 20);
            assert!((0.0..=1.0).contains(&r.auc_ours));
            assert_eq!(
                Some(r.auc_published),
                published_auc(r.length, &r.window, &r.indicator)
            );
        }
        let find = |length, window: &str, indicator: &str| {
            rows.iter()
                .find(|r| r.length == length && r.window == window && r.indicator == indicator)
                .unwrap()
                .auc_ours
        };
        // Close to the fold both indicators rise clearly in every forced run.
        assert!(find(1500, "late", "variance") > 0.8);
        assert!(find(1500, "late", "ac1") > 0.7);
    }

    #[test]
    fn prefix_protocol_runs_without_look_ahead() {
        let config = LiteratureConfig {
            forced_runs: 3,
            null_runs: 3,
            protocol: Protocol::Prefix,
            ..LiteratureConfig::default()
        };
        let rows = run(&config).unwrap();
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r.auc_ours)));
        assert!(rows.iter().all(|r| r.simulations == 6));
    }

    #[test]
    fn markdown_table_lists_every_row() {
        let rows = vec![LiteratureRow {
            model: MODEL_NAME.into(),
            length: 500,
            window: "late".into(),
            indicator: "variance".into(),
            auc_ours: 0.8,
            auc_published: 0.874,
            simulations: 20,
        }];
        let table = markdown_table(&rows);
        assert!(table.contains("| 500 | late | variance | 0.800 | 0.874 | -0.074 | 20 |"));
    }
}
