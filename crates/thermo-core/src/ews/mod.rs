//! Early-warning engine: rolling indicators of critical slowing down, their trends and
//! honest significance, and the phase-transition detector built on them.
//!
//! Pipeline (see `docs/ews.md`): the series is **detrended** (state = smoothing + residuals),
//! **indicators** are computed over right-aligned rolling windows of the residuals, the
//! **Kendall τ-b** of each indicator against time measures its trend, and **surrogate**
//! series give each τ a p-value `p = (1 + #{τ_null ≥ τ}) / (1 + B)`.
//!
//! - [`compute`]: the batch pipeline, O(n) per indicator (O(n log n) for τ);
//! - [`EwsStream`]: the same indicators updated in O(1) per new sample;
//! - [`significance`]: surrogate null distributions of τ, parallel and seeded;
//! - [`detector`]: `PhaseTransitionDetector`, `CriticalPhenomenaMonitor`, the report section
//!   and the significance-based critical-slowing rule for the entropy monitor.

mod batch;
pub mod detector;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::stats::autocorr::RollingAutocorr;
use crate::stats::describe::ShapeEstimator;
use crate::stats::describe::{shape_kurt, shape_skew};
use crate::stats::detrend::{gaussian_smooth, ksmooth_sigma, linear_trend, lowess};
use crate::stats::kendall::TrendTau;
use crate::stats::moments::{RollingMeanVariance, RollingMoments};
use crate::stats::surrogate::{
    Ar1Model, FourierSurrogates, SurrogateMethod, block_bootstrap, default_block_length,
};
use crate::stats::{StatsError, check_finite, kendall_tau_b};

/// Error of the early-warning engine on bad input or settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EwsError {
    /// A setting is outside its domain.
    #[error("invalid {name} {value}: {reason}")]
    InvalidSetting {
        /// Setting name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// What is required.
        reason: &'static str,
    },
    /// An indicator name is not known.
    #[error(
        "unknown indicator {0:?} (known: variance, std, cv, acN, acfN, skew, kurtosis, return_rate, flicker)"
    )]
    UnknownIndicator(String),
    /// Times and values differ in length.
    #[error("{times} times but {values} values")]
    LengthMismatch {
        /// Number of times.
        times: usize,
        /// Number of values.
        values: usize,
    },
    /// Times decrease somewhere.
    #[error("times must be non-decreasing: position {index} goes back in time")]
    UnsortedTimes {
        /// First offending position.
        index: usize,
    },
    /// A statistics routine rejected its input (non-finite value, …).
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// How the trend is removed before the indicators are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detrend {
    /// No detrending: residuals = state, smoothing empty.
    #[default]
    None,
    /// Gaussian kernel smoothing, bandwidth as a fraction of the length (≤ 1) or points (> 1),
    /// ksmooth convention σ = (0.25/0.675)·bandwidth, reflected edges.
    Gaussian,
    /// LOWESS on time with span (fraction ≤ 1 or points > 1) and 3 robustness iterations.
    Lowess,
    /// Least-squares line on time.
    Linear,
    /// First differences: residual_t = x_t − x_{t−1}; the first row has none.
    Diff,
}

impl std::str::FromStr for Detrend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "gaussian" => Ok(Self::Gaussian),
            "lowess" | "loess" => Ok(Self::Lowess),
            "linear" => Ok(Self::Linear),
            "diff" | "first-diff" => Ok(Self::Diff),
            other => Err(format!(
                "unknown detrending {other:?} (expected none, gaussian, lowess, linear, diff)"
            )),
        }
    }
}

/// Numeric conventions: ours, or ewstools 2.1's where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    /// Native: `cv` = std/mean of the raw state in the window.
    #[default]
    Native,
    /// ewstools 2.1: `cv` = std of the residuals / mean of the state.
    Ewstools,
}

impl std::str::FromStr for Convention {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "native" => Ok(Self::Native),
            "ewstools" => Ok(Self::Ewstools),
            other => Err(format!(
                "unknown convention {other:?} (expected native or ewstools)"
            )),
        }
    }
}

/// One rolling early-warning indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// Sample variance (ddof = 1) of the residuals, units².
    Variance,
    /// Sample standard deviation of the residuals, units.
    Std,
    /// Coefficient of variation (dimensionless), see [`Convention`].
    Cv,
    /// Lag-k Pearson autocorrelation of the residuals (pandas `autocorr`).
    Ac(usize),
    /// Lag-k common-mean autocorrelation of the residuals (R `acf`).
    Acf(usize),
    /// Bias-adjusted sample skewness G₁ of the residuals.
    Skew,
    /// Bias-adjusted excess kurtosis G₂ of the residuals.
    Kurtosis,
    /// Recovery rate 1 − ac1 (dimensionless, per sample): falls towards 0 as recovery slows.
    ReturnRate,
    /// Sarle's bimodality coefficient (G₁² + 1)/(G₂ + 3(n−1)²/((n−2)(n−3))) of the residuals:
    /// 1/3 for Gaussian noise, 5/9 for a uniform law, above 5/9 when the window flickers
    /// between two states.
    Flicker,
}

impl Indicator {
    /// The column name: `variance`, `std`, `cv`, `acN`, `acfN`, `skew`, `kurtosis`,
    /// `return_rate`, `flicker`.
    pub fn name(&self) -> String {
        match self {
            Self::Variance => "variance".into(),
            Self::Std => "std".into(),
            Self::Cv => "cv".into(),
            Self::Ac(k) => format!("ac{k}"),
            Self::Acf(k) => format!("acf{k}"),
            Self::Skew => "skew".into(),
            Self::Kurtosis => "kurtosis".into(),
            Self::ReturnRate => "return_rate".into(),
            Self::Flicker => "flicker".into(),
        }
    }

    /// Parses a name; bare `ac`/`acf` take `default_lag`.
    pub fn parse(name: &str, default_lag: usize) -> Result<Self, EwsError> {
        let lag = |digits: &str| -> Result<usize, EwsError> {
            if digits.is_empty() {
                return Ok(default_lag);
            }
            digits
                .parse::<usize>()
                .ok()
                .filter(|&k| k >= 1)
                .ok_or_else(|| EwsError::UnknownIndicator(name.to_string()))
        };
        match name.trim() {
            "variance" | "var" => Ok(Self::Variance),
            "std" => Ok(Self::Std),
            "cv" => Ok(Self::Cv),
            "skew" => Ok(Self::Skew),
            "kurtosis" | "kurt" => Ok(Self::Kurtosis),
            "return_rate" => Ok(Self::ReturnRate),
            "flicker" => Ok(Self::Flicker),
            s if s.starts_with("acf") => Ok(Self::Acf(lag(&s[3..])?)),
            s if s.starts_with("ac") => Ok(Self::Ac(lag(&s[2..])?)),
            _ => Err(EwsError::UnknownIndicator(name.to_string())),
        }
    }

    /// Every indicator, autocorrelations at `lag`.
    pub fn all(lag: usize) -> Vec<Self> {
        vec![
            Self::Variance,
            Self::Std,
            Self::Cv,
            Self::Ac(lag),
            Self::Acf(lag),
            Self::Skew,
            Self::Kurtosis,
            Self::ReturnRate,
            Self::Flicker,
        ]
    }
}

/// Settings of the early-warning pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct EwsConfig {
    /// Rolling window: a fraction of the series length if ≤ 1 (rounded down, as ewstools),
    /// else a whole number of points. Default 0.25.
    pub window: f64,
    /// Detrending method (default none).
    pub detrend: Detrend,
    /// Gaussian bandwidth: fraction of the length (≤ 1) or points (> 1). Default 0.2.
    pub bandwidth: f64,
    /// LOWESS span: fraction of the length (≤ 1) or points (> 1). Default 0.2.
    pub span: f64,
    /// Indicators to compute, in output order (default: all, lag 1).
    pub indicators: Vec<Indicator>,
    /// Numeric convention (default native).
    pub convention: Convention,
}

impl Default for EwsConfig {
    fn default() -> Self {
        Self {
            window: 0.25,
            detrend: Detrend::None,
            bandwidth: 0.2,
            span: 0.2,
            indicators: Indicator::all(1),
            convention: Convention::Native,
        }
    }
}

/// Window length in points for `window` over `n` points (see [`EwsConfig::window`]).
pub fn window_points(window: f64, n: usize) -> Result<usize, EwsError> {
    if !(window.is_finite() && window > 0.0) {
        return Err(EwsError::InvalidSetting {
            name: "window",
            value: window,
            reason: "must be > 0 (a fraction ≤ 1 or a number of points)",
        });
    }
    if window <= 1.0 {
        Ok((window * n as f64) as usize)
    } else if window.fract() == 0.0 {
        Ok(window as usize)
    } else {
        Err(EwsError::InvalidSetting {
            name: "window",
            value: window,
            reason: "a window above 1 is a number of points and must be whole",
        })
    }
}

/// Detrending result: smoothing and residuals, `None` where undefined (first row of `diff`).
#[derive(Debug, Clone, PartialEq)]
pub struct Detrended {
    /// Trend estimate (units of the series); all `None` for `Detrend::None`.
    pub smoothing: Vec<Option<f64>>,
    /// state − smoothing (units of the series).
    pub residuals: Vec<Option<f64>>,
}

/// Detrends `values` observed at `times` (see [`Detrend`]).
pub fn detrend(
    times: &[f64],
    values: &[f64],
    method: Detrend,
    bandwidth: f64,
    span: f64,
) -> Result<Detrended, EwsError> {
    let n = values.len();
    let fraction_or_points = |x: f64, name: &'static str| -> Result<f64, EwsError> {
        if !(x.is_finite() && x > 0.0) {
            return Err(EwsError::InvalidSetting {
                name,
                value: x,
                reason: "must be > 0 (a fraction ≤ 1 or a number of points)",
            });
        }
        Ok(if x <= 1.0 { x * n as f64 } else { x })
    };
    let smooth: Vec<Option<f64>> = match method {
        Detrend::None => vec![None; n],
        Detrend::Gaussian => {
            let bw = fraction_or_points(bandwidth, "bandwidth")?;
            gaussian_smooth(values, ksmooth_sigma(bw))?
                .into_iter()
                .map(Some)
                .collect()
        }
        Detrend::Lowess => {
            let points = fraction_or_points(span, "span")?;
            let frac = if span <= 1.0 {
                span
            } else {
                points / n.max(1) as f64
            };
            if frac > 1.0 {
                return Err(EwsError::InvalidSetting {
                    name: "span",
                    value: span,
                    reason: "cannot exceed the series length",
                });
            }
            lowess(times, values, frac)?.into_iter().map(Some).collect()
        }
        Detrend::Linear => match linear_trend(times, values) {
            Some(t) => t.into_iter().map(Some).collect(),
            None => values.iter().map(|&v| Some(v)).collect(),
        },
        Detrend::Diff => (0..n).map(|i| (i > 0).then(|| values[i - 1])).collect(),
    };
    let residuals = match method {
        Detrend::None => values.iter().map(|&v| Some(v)).collect(),
        _ => values
            .iter()
            .zip(&smooth)
            .map(|(v, s)| s.map(|s| v - s))
            .collect(),
    };
    Ok(Detrended {
        smoothing: smooth,
        residuals,
    })
}

/// Rolling indicators updated in O(1) per sample (amortised; Kendall τ is not included).
///
/// Feed `(state, residual)` pairs with [`EwsStream::push`]; each call returns the indicator
/// values of the window ending at that sample, `None` until the window is full or where an
/// indicator is undefined (constant window, zero mean for `cv`).
///
/// Only the sums the requested indicators need are kept (the state's window only for `cv`,
/// and only its mean and variance), and each sample evaluates the window's central sums and
/// each lag's autocorrelation once, whatever the number of indicators reading them.
#[derive(Debug, Clone)]
pub struct EwsStream {
    window: usize,
    indicators: Vec<Indicator>,
    convention: Convention,
    /// The residuals' power sums up to the fourth when a shape indicator is read, ...
    residual: Option<RollingMoments>,
    /// ... else up to the second when only their spread is (the same bits, half the sums).
    residual_spread: Option<RollingMeanVariance>,
    state: Option<RollingMeanVariance>,
    lags: Vec<RollingAutocorr>,
    /// Per indicator, the position in `lags` of its autocorrelation (unused otherwise).
    lag_slot: Vec<usize>,
    /// Per lag, the Pearson estimate of the current window (scratch).
    pearson: Vec<Option<f64>>,
    /// Whether skewness or kurtosis are read (directly or by `flicker`).
    shape: bool,
    seen: usize,
}

impl EwsStream {
    /// A stream with a window of `window` (≥ 2) points.
    pub fn new(
        window: usize,
        indicators: &[Indicator],
        convention: Convention,
    ) -> Result<Self, EwsError> {
        if window < 2 {
            return Err(EwsError::InvalidSetting {
                name: "window",
                value: window as f64,
                reason: "needs at least 2 points",
            });
        }
        let lag_of = |i: &Indicator| match i {
            Indicator::Ac(k) | Indicator::Acf(k) => Some(*k),
            Indicator::ReturnRate => Some(1),
            _ => None,
        };
        let mut lags: Vec<usize> = indicators.iter().filter_map(lag_of).collect();
        lags.sort_unstable();
        lags.dedup();
        let lag_slot = indicators
            .iter()
            .map(|i| lag_of(i).map_or(0, |k| lags.partition_point(|&l| l < k)))
            .collect();
        let needs_residual_moments = indicators.iter().any(|i| {
            matches!(
                i,
                Indicator::Variance
                    | Indicator::Std
                    | Indicator::Skew
                    | Indicator::Kurtosis
                    | Indicator::Flicker
            ) || (*i == Indicator::Cv && convention == Convention::Ewstools)
        });
        let shape = indicators.iter().any(|i| {
            matches!(
                i,
                Indicator::Skew | Indicator::Kurtosis | Indicator::Flicker
            )
        });
        Ok(Self {
            window,
            indicators: indicators.to_vec(),
            convention,
            residual: (needs_residual_moments && shape).then(|| RollingMoments::new(window)),
            residual_spread: (needs_residual_moments && !shape)
                .then(|| RollingMeanVariance::new(window)),
            state: indicators
                .contains(&Indicator::Cv)
                .then(|| RollingMeanVariance::new(window)),
            pearson: vec![None; lags.len()],
            lags: lags
                .into_iter()
                .map(|k| RollingAutocorr::new(window, k))
                .collect(),
            lag_slot,
            shape,
            seen: 0,
        })
    }

    /// The indicators, in output order.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Adds one sample and returns the indicators of the window ending at it.
    pub fn push(&mut self, state: f64, residual: f64) -> Vec<Option<f64>> {
        let mut out = Vec::with_capacity(self.indicators.len());
        self.push_into(state, residual, &mut out);
        out
    }

    /// As [`EwsStream::push`], writing into `out` (cleared first) to avoid allocation.
    pub fn push_into(&mut self, state: f64, residual: f64, out: &mut Vec<Option<f64>>) {
        self.update(state, residual);
        out.clear();
        if self.seen < self.window {
            out.resize(self.indicators.len(), None);
            return;
        }
        let mut emit = |_: usize, v: Option<f64>| out.push(v);
        self.evaluate(&mut emit);
    }

    /// Empties the windows, as a new stream with the same settings (buffers are kept).
    pub fn reset(&mut self) {
        if let Some(r) = &mut self.residual {
            r.clear();
        }
        if let Some(r) = &mut self.residual_spread {
            r.clear();
        }
        if let Some(s) = &mut self.state {
            s.clear();
        }
        self.lags.iter_mut().for_each(RollingAutocorr::clear);
        self.seen = 0;
    }

    /// Adds one sample to the windows.
    #[inline]
    fn update(&mut self, state: f64, residual: f64) {
        if let Some(r) = &mut self.residual {
            r.push(residual);
        }
        if let Some(r) = &mut self.residual_spread {
            r.push(residual);
        }
        if let Some(s) = &mut self.state {
            s.push(state);
        }
        for l in &mut self.lags {
            l.push(residual);
        }
        self.seen += 1;
    }

    /// Calls `emit(j, value)` for every indicator j of the (full) current window, in order.
    #[inline]
    fn evaluate(&mut self, emit: &mut impl FnMut(usize, Option<f64>)) {
        let ((m2, m3, m4), n) = match (&self.residual, &self.residual_spread) {
            (Some(r), _) => (r.central_sums(), r.len()),
            (None, Some(r)) => ((r.central2(), 0.0, 0.0), r.len()),
            (None, None) => ((0.0, 0.0, 0.0), 0),
        };
        let n = n as f64;
        let variance = (n > 1.0).then(|| m2 / (n - 1.0));
        let (skew, kurt) = if self.shape {
            (
                shape_skew(n, m2, m3, ShapeEstimator::Adjusted, m2 == 0.0),
                shape_kurt(n, m2, m4, ShapeEstimator::Adjusted, m2 == 0.0),
            )
        } else {
            (None, None)
        };
        for (p, l) in self.pearson.iter_mut().zip(&self.lags) {
            *p = l.pearson();
        }
        for (j, &ind) in self.indicators.iter().enumerate() {
            let v = match ind {
                Indicator::Variance => variance,
                Indicator::Std => variance.map(f64::sqrt),
                Indicator::Cv => self.state.as_ref().and_then(|state| {
                    let mean = state.mean()?;
                    let sd = match self.convention {
                        Convention::Native => state.variance(1)?.sqrt(),
                        Convention::Ewstools => variance?.sqrt(),
                    };
                    (mean != 0.0).then(|| sd / mean)
                }),
                Indicator::Ac(_) => self.pearson[self.lag_slot[j]],
                Indicator::Acf(_) => self.lags[self.lag_slot[j]].acf(),
                Indicator::Skew => skew,
                Indicator::Kurtosis => kurt,
                Indicator::ReturnRate => self.pearson[self.lag_slot[j]].map(|r| 1.0 - r),
                Indicator::Flicker => skew.zip(kurt).and_then(|(g1, g2)| {
                    let den = g2 + 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
                    (den > 0.0).then(|| (g1 * g1 + 1.0) / den)
                }),
            };
            emit(j, v);
        }
    }
}

/// One indicator with one value per row (`None` = undefined).
pub type IndicatorColumn = (Indicator, Vec<Option<f64>>);

/// The batch result of [`compute`].
#[derive(Debug, Clone, PartialEq)]
pub struct EwsSeries {
    /// Sample times (numbers; hours since the epoch for date-times).
    pub times: Vec<f64>,
    /// Observed values.
    pub state: Vec<f64>,
    /// Trend and residuals.
    pub detrended: Detrended,
    /// Window length used, points.
    pub window: usize,
    /// Indicators in order, each with one value per row (`None` = undefined).
    pub indicators: Vec<IndicatorColumn>,
}

impl EwsSeries {
    /// Kendall τ-b of each indicator against time over the rows where it is defined
    /// (`None` when fewer than 2 rows or a constant indicator).
    ///
    /// With strictly increasing times, an indicator that is a strictly monotone transform
    /// of another one in the list (`std` = √`variance`, `return_rate` = 1 − `ac1`) reuses
    /// that one's counts, after an O(n) check that the column is exactly the transform and
    /// that the transform keeps every tie and every order ([`TrendTau::keeps_ties_under`]):
    /// the result is the same τ, bit for bit, as computing it.
    pub fn kendall_tau(&self) -> Vec<(Indicator, Option<f64>)> {
        let taus = if self.times.windows(2).all(|w| w[0] < w[1]) {
            let inds: Vec<Indicator> = self.indicators.iter().map(|(ind, _)| *ind).collect();
            trend_taus(
                &inds,
                |j| self.indicators[j].1.as_slice(),
                &mut TrendTau::new(),
                &mut Vec::new(),
            )
        } else {
            self.indicators
                .iter()
                .map(|(_, col)| tau_of(&self.times, col))
                .collect()
        };
        self.indicators
            .iter()
            .map(|(ind, _)| *ind)
            .zip(taus)
            .collect()
    }
}

/// Derived indicators whose τ follows from another's: (source, derived, transform,
/// increasing).
type Derivation = (Indicator, Indicator, fn(f64) -> f64, bool);

const DERIVATIONS: [Derivation; 2] = [
    (Indicator::Variance, Indicator::Std, f64::sqrt, true),
    (Indicator::Ac(1), Indicator::ReturnRate, one_minus, false),
];

fn one_minus(x: f64) -> f64 {
    1.0 - x
}

/// τ-b against a strictly increasing axis of every column (rows with `None` left out),
/// reusing the counts of a source column for a derived one when that is exact (see
/// [`EwsSeries::kendall_tau`]).
fn trend_taus<'c>(
    indicators: &[Indicator],
    col: impl Fn(usize) -> &'c [Option<f64>],
    tt: &mut TrendTau,
    values: &mut Vec<f64>,
) -> Vec<Option<f64>> {
    let k = indicators.len();
    let mut out: Vec<Option<f64>> = vec![None; k];
    // Columns whose τ is known; a derived column is settled by its source's counts.
    let mut settled = vec![false; k];
    for j in 0..k {
        if settled[j] {
            continue;
        }
        let (ind, source_col) = (indicators[j], col(j));
        values.clear();
        values.extend(source_col.iter().flatten());
        let counts = tt.counts(values);
        out[j] = counts.and_then(|c| c.tau());
        settled[j] = true;
        let Some(counts) = counts else { continue };
        for &(source, derived, f, increasing) in &DERIVATIONS {
            if source != ind {
                continue;
            }
            for d in 0..k {
                if settled[d] || indicators[d] != derived {
                    continue;
                }
                let derived_col = col(d);
                let exact_image = derived_col.len() == source_col.len()
                    && derived_col
                        .iter()
                        .zip(source_col)
                        .all(|(a, b)| match (a, b) {
                            (Some(a), Some(b)) => *a == f(*b),
                            (None, None) => true,
                            _ => false,
                        });
                if exact_image && tt.keeps_ties_under(f, increasing) {
                    let c = if increasing {
                        counts
                    } else {
                        counts.reversed()
                    };
                    out[d] = c.tau();
                    settled[d] = true;
                }
            }
        }
    }
    out
}

fn tau_of(times: &[f64], col: &[Option<f64>]) -> Option<f64> {
    let (t, v): (Vec<f64>, Vec<f64>) = times
        .iter()
        .zip(col)
        .filter_map(|(&t, v)| v.map(|v| (t, v)))
        .unzip();
    kendall_tau_b(&t, &v)
}

fn validate(times: &[f64], values: &[f64]) -> Result<(), EwsError> {
    if times.len() != values.len() {
        return Err(EwsError::LengthMismatch {
            times: times.len(),
            values: values.len(),
        });
    }
    check_finite("values", values)?;
    check_finite("times", times)?;
    if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
        return Err(EwsError::UnsortedTimes { index: i + 1 });
    }
    Ok(())
}

/// Runs the pipeline: detrend, then every configured indicator over rolling windows.
/// O(n) per indicator plus the detrending (O(n log n) Gaussian, O(n·span·n) LOWESS).
pub fn compute(times: &[f64], values: &[f64], config: &EwsConfig) -> Result<EwsSeries, EwsError> {
    validate(times, values)?;
    let window = window_points(config.window, values.len())?;
    let detrended = detrend(times, values, config.detrend, config.bandwidth, config.span)?;
    let indicators = rolling_columns(
        values,
        &detrended,
        window,
        &config.indicators,
        config.convention,
    )?;
    Ok(EwsSeries {
        times: times.to_vec(),
        state: values.to_vec(),
        detrended,
        window,
        indicators,
    })
}

/// Rolling indicator columns over the rows with a residual.
fn rolling_columns(
    state: &[f64],
    detrended: &Detrended,
    window: usize,
    indicators: &[Indicator],
    convention: Convention,
) -> Result<Vec<IndicatorColumn>, EwsError> {
    let n = state.len();
    let stream = EwsStream::new(window.max(2), indicators, convention)?;
    let mut cols: Vec<Vec<Option<f64>>> = Vec::new();
    if window < 2 {
        cols = vec![vec![None; n]; indicators.len()];
    } else if detrended.residuals.iter().all(Option::is_some) {
        let residuals: Vec<f64> = detrended.residuals.iter().flatten().copied().collect();
        stream.fill_columns(state, &residuals, &mut cols);
    } else {
        // Rows without a residual are skipped by the windows and get no indicator.
        let rows: Vec<usize> = (0..n)
            .filter(|&i| detrended.residuals[i].is_some())
            .collect();
        let residuals: Vec<f64> = detrended.residuals.iter().flatten().copied().collect();
        let kept_state: Vec<f64> = rows.iter().map(|&i| state[i]).collect();
        let mut kept = Vec::new();
        stream.fill_columns(&kept_state, &residuals, &mut kept);
        cols = kept
            .into_iter()
            .map(|col| {
                let mut full = vec![None; n];
                for (&i, v) in rows.iter().zip(col) {
                    full[i] = v;
                }
                full
            })
            .collect();
    }
    Ok(indicators.iter().copied().zip(cols).collect())
}

/// Settings of the surrogate significance test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignificanceConfig {
    /// Number of surrogates B (default 999; p can go down to 1/(B+1)).
    pub surrogates: usize,
    /// Seed of the ChaCha8 generator; surrogate i uses stream i (default 42).
    pub seed: u64,
    /// Null model (default AR(1) fitted to the residuals).
    pub method: SurrogateMethod,
    /// Block length of the block bootstrap, points (default ⌈√n⌉).
    pub block_length: Option<usize>,
}

impl Default for SignificanceConfig {
    fn default() -> Self {
        Self {
            surrogates: 999,
            seed: 42,
            method: SurrogateMethod::Ar1,
            block_length: None,
        }
    }
}

/// The surrogate null distribution of each indicator's Kendall τ.
#[derive(Debug, Clone, PartialEq)]
pub struct NullDistribution {
    /// Per indicator (same order as the series): observed τ and the defined null τ values.
    pub indicators: Vec<(Indicator, Option<f64>, Vec<f64>)>,
}

impl NullDistribution {
    /// One-sided p-value for a rising trend of indicator `i`:
    /// (1 + #{τ_null ≥ τ_obs}) / (1 + B_defined); `None` when τ_obs is undefined.
    pub fn p_upper(&self, i: usize) -> Option<f64> {
        let (_, obs, null) = &self.indicators[i];
        let obs = (*obs)?;
        let ge = null.iter().filter(|&&t| t >= obs).count();
        Some((1 + ge) as f64 / (1 + null.len()) as f64)
    }

    /// One-sided p-value for a falling trend: (1 + #{τ_null ≤ τ_obs}) / (1 + B_defined).
    pub fn p_lower(&self, i: usize) -> Option<f64> {
        let (_, obs, null) = &self.indicators[i];
        let obs = (*obs)?;
        let le = null.iter().filter(|&&t| t <= obs).count();
        Some((1 + le) as f64 / (1 + null.len()) as f64)
    }

    /// Two-sided p-value: (1 + #{|τ_null| ≥ |τ_obs|}) / (1 + B_defined).
    pub fn p_two_sided(&self, i: usize) -> Option<f64> {
        let (_, obs, null) = &self.indicators[i];
        let obs = (*obs)?.abs();
        let ge = null.iter().filter(|&&t| t.abs() >= obs).count();
        Some((1 + ge) as f64 / (1 + null.len()) as f64)
    }

    /// One-sided upper p-values by indicator, in order.
    pub fn p_values(&self) -> Vec<(Indicator, Option<f64>)> {
        (0..self.indicators.len())
            .map(|i| (self.indicators[i].0, self.p_upper(i)))
            .collect()
    }
}

/// Surrogate null distributions of the Kendall τ of every indicator of `series`.
///
/// Surrogates replace the residuals (the trend, if any, is kept as the smoothing), the
/// indicators and τ are recomputed exactly as for the observation. Surrogates run in
/// parallel (rayon); surrogate i draws from `ChaCha8Rng::seed_from_u64(seed)` on stream i,
/// so results do not depend on the thread count. Returns `None` when the residuals cannot
/// carry a null model (fewer than 3 defined, or constant).
pub fn significance(
    series: &EwsSeries,
    config: &EwsConfig,
    sig: &SignificanceConfig,
) -> Result<Option<NullDistribution>, EwsError> {
    let Some(sampler) = NullSampler::new(series, config, sig)? else {
        return Ok(None);
    };
    let nulls = sampler.taus(0..sig.surrogates);
    let indicators = series
        .kendall_tau()
        .into_iter()
        .enumerate()
        .map(|(j, (ind, tau))| {
            let null = nulls.iter().filter_map(|row| row[j]).collect();
            (ind, tau, null)
        })
        .collect();
    Ok(Some(NullDistribution { indicators }))
}

/// Draws surrogate residual series of one observed series and computes every indicator's
/// τ on each, exactly as for the observation. Surrogate i always uses stream i of the
/// seeded generator, so any range of surrogates, in any order or thread, gives the same
/// values.
pub(crate) struct NullSampler<'a> {
    generator: Generator,
    times: Vec<f64>,
    /// The smoothing added back to each surrogate to form its state (`None`: state = residuals).
    trend: Option<Vec<f64>>,
    increasing: bool,
    window: usize,
    indicators: &'a [Indicator],
    convention: Convention,
    seed: u64,
}

/// Buffers of one worker, reused from surrogate to surrogate.
struct SamplerScratch {
    stream: Option<EwsStream>,
    residuals: Vec<f64>,
    state: Vec<f64>,
    cols: Vec<Vec<Option<f64>>>,
    tt: TrendTau,
    values: Vec<f64>,
}

impl<'a> NullSampler<'a> {
    /// `None` when the residuals cannot carry a null model (fewer than 3, or constant).
    pub(crate) fn new(
        series: &EwsSeries,
        config: &'a EwsConfig,
        sig: &SignificanceConfig,
    ) -> Result<Option<Self>, EwsError> {
        let rows: Vec<usize> = (0..series.state.len())
            .filter(|&i| series.detrended.residuals[i].is_some())
            .collect();
        let residuals: Vec<f64> = rows
            .iter()
            .filter_map(|&i| series.detrended.residuals[i])
            .collect();
        let Some(generator) = Generator::new(&residuals, sig)? else {
            return Ok(None);
        };
        let trend = (config.detrend != Detrend::None).then(|| {
            rows.iter()
                .map(|&i| series.detrended.smoothing[i].unwrap_or(0.0))
                .collect()
        });
        let times: Vec<f64> = rows.iter().map(|&i| series.times[i]).collect();
        Ok(Some(Self {
            generator,
            increasing: times.windows(2).all(|w| w[0] < w[1]),
            times,
            trend,
            window: series.window,
            indicators: &config.indicators,
            convention: config.convention,
            seed: sig.seed,
        }))
    }

    /// τ of every indicator (in order) on each surrogate of `range`, in index order;
    /// parallel over surrogates with per-worker buffers.
    pub(crate) fn taus(&self, range: std::ops::Range<usize>) -> Vec<Vec<Option<f64>>> {
        self.taus_of(range, &vec![true; self.indicators.len()])
    }

    /// As [`NullSampler::taus`] for the indicators j with `active[j]` only (the others are
    /// `None`): the stream keeps only the sums those read, so dropping indicators whose
    /// outcome is settled saves their work. An indicator's τ does not depend on which other
    /// indicators are computed with it.
    pub(crate) fn taus_of(
        &self,
        range: std::ops::Range<usize>,
        active: &[bool],
    ) -> Vec<Vec<Option<f64>>> {
        let k = self.indicators.len();
        let slots: Vec<usize> = (0..k).filter(|&j| active.get(j) == Some(&true)).collect();
        let subset: Vec<Indicator> = slots.iter().map(|&j| self.indicators[j]).collect();
        let ids: Vec<usize> = range.collect();
        if subset.is_empty() {
            return vec![vec![None; k]; ids.len()];
        }
        let scatter = |taus: Vec<Option<f64>>| {
            if slots.len() == k {
                return taus;
            }
            let mut row = vec![None; k];
            for (&j, t) in slots.iter().zip(taus) {
                row[j] = t;
            }
            row
        };
        // A few chunks per thread: enough to balance, few enough that building the
        // buffers once per chunk costs nothing.
        let chunk = ids.len().div_ceil(4 * rayon::current_num_threads()).max(4);
        ids.par_chunks(chunk)
            .flat_map_iter(|chunk| {
                let mut scratch = SamplerScratch {
                    stream: EwsStream::new(self.window, &subset, self.convention).ok(),
                    residuals: Vec::new(),
                    state: Vec::new(),
                    cols: vec![Vec::new(); subset.len()],
                    tt: TrendTau::new(),
                    values: Vec::new(),
                };
                chunk
                    .iter()
                    .map(|&i| scatter(self.surrogate_taus(i, &subset, &mut scratch)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn surrogate_taus(
        &self,
        i: usize,
        indicators: &[Indicator],
        scratch: &mut SamplerScratch,
    ) -> Vec<Option<f64>> {
        let SamplerScratch {
            stream,
            residuals,
            state,
            cols,
            tt,
            values,
        } = scratch;
        // A window of fewer than 2 points has no indicator (as for the observation).
        let Some(stream) = stream.as_mut().filter(|_| self.window >= 2) else {
            return vec![None; indicators.len()];
        };
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(i as u64);
        self.generator.generate_into(&mut rng, residuals);
        let state: &[f64] = match &self.trend {
            Some(trend) => {
                state.clear();
                state.extend(residuals.iter().zip(trend).map(|(a, b)| a + b));
                state
            }
            None => residuals,
        };
        stream.fill_columns(state, residuals, cols);
        if self.increasing {
            trend_taus(indicators, |j| cols[j].as_slice(), tt, values)
        } else {
            cols.iter().map(|c| tau_of(&self.times, c)).collect()
        }
    }
}

/// A fitted null model ready to draw surrogates of one residual series.
#[derive(Debug)]
enum Generator {
    Ar1(Ar1Model, usize),
    Fourier(FourierSurrogates),
    Block(Vec<f64>, usize),
}

impl Generator {
    fn new(residuals: &[f64], sig: &SignificanceConfig) -> Result<Option<Self>, EwsError> {
        if residuals.len() < 3 || residuals.windows(2).all(|w| w[0] == w[1]) {
            return Ok(None);
        }
        Ok(match sig.method {
            SurrogateMethod::Ar1 => Ar1Model::fit(residuals).map(|m| Self::Ar1(m, residuals.len())),
            SurrogateMethod::Fourier => Some(Self::Fourier(FourierSurrogates::new(residuals)?)),
            SurrogateMethod::BlockBootstrap => Some(Self::Block(
                residuals.to_vec(),
                sig.block_length
                    .unwrap_or_else(|| default_block_length(residuals.len())),
            )),
        })
    }

    /// One surrogate into `out` (replacing its contents).
    fn generate_into(&self, rng: &mut ChaCha8Rng, out: &mut Vec<f64>) {
        match self {
            Self::Ar1(m, n) => m.generate_into(*n, rng, out),
            Self::Fourier(f) => *out = f.generate(rng),
            Self::Block(v, l) => *out = block_bootstrap(v, *l, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{acf, pearson_autocorr, variance};
    use approx::assert_relative_eq;

    fn ramp_noise(n: usize) -> (Vec<f64>, Vec<f64>) {
        let t: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x: Vec<f64> = t
            .iter()
            .map(|&i| (i * 0.7).sin() * (1.0 + i / 50.0) + 0.01 * i)
            .collect();
        (t, x)
    }

    #[test]
    fn window_rules() {
        assert_eq!(window_points(0.25, 201).unwrap(), 50);
        assert_eq!(window_points(30.0, 10).unwrap(), 30);
        assert!(window_points(30.5, 10).is_err());
        assert!(window_points(0.0, 10).is_err());
    }

    #[test]
    fn batch_indicators_equal_direct_window_statistics() {
        let (t, x) = ramp_noise(120);
        let cfg = EwsConfig {
            window: 30.0,
            ..EwsConfig::default()
        };
        let s = compute(&t, &x, &cfg).unwrap();
        let col = |name: &str| {
            s.indicators
                .iter()
                .find(|(i, _)| i.name() == name)
                .unwrap()
                .1
                .clone()
        };
        let (var, ac1, acf1) = (col("variance"), col("ac1"), col("acf1"));
        assert!(var[..29].iter().all(Option::is_none));
        for i in 29..120 {
            let w = &x[i - 29..=i];
            assert_relative_eq!(
                var[i].unwrap(),
                variance(w, 1).unwrap(),
                max_relative = 1e-10
            );
            assert_relative_eq!(
                ac1[i].unwrap(),
                pearson_autocorr(w, 1).unwrap(),
                max_relative = 1e-9
            );
            assert_relative_eq!(acf1[i].unwrap(), acf(w, 1).unwrap(), max_relative = 1e-9);
        }
        let rr = col("return_rate");
        assert_relative_eq!(rr[100].unwrap(), 1.0 - ac1[100].unwrap());
        let tau = s.kendall_tau();
        assert!(tau[0].1.unwrap() > 0.5, "variance grows: {tau:?}");
    }

    #[test]
    fn reused_trend_counts_equal_direct_tau_bit_for_bit() {
        let (t, x) = ramp_noise(400);
        // Rounded values create ties in every indicator.
        let rounded: Vec<f64> = x.iter().map(|v| (v * 4.0).round() / 4.0).collect();
        for values in [&x, &rounded] {
            let s = compute(&t, values, &EwsConfig::default()).unwrap();
            for ((ind, col), (_, tau)) in s.indicators.iter().zip(s.kendall_tau()) {
                assert_eq!(
                    tau.map(f64::to_bits),
                    tau_of(&t, col).map(f64::to_bits),
                    "{ind:?}"
                );
            }
        }
    }

    #[test]
    fn constant_windows_are_undefined_not_nan() {
        let t: Vec<f64> = (0..40).map(f64::from).collect();
        let mut x = vec![3.0; 40];
        x[5] = 4.0;
        let s = compute(
            &t,
            &x,
            &EwsConfig {
                window: 10.0,
                ..EwsConfig::default()
            },
        )
        .unwrap();
        for (ind, col) in &s.indicators {
            for v in col.iter().flatten() {
                assert!(v.is_finite(), "{ind:?}");
            }
            match ind {
                Indicator::Variance | Indicator::Std => assert_eq!(col[39], Some(0.0)),
                Indicator::Cv => assert_eq!(col[39], Some(0.0)),
                _ => assert_eq!(col[39], None, "{ind:?}"),
            }
        }
    }

    #[test]
    fn diff_detrending_drops_the_first_row() {
        let (t, x) = ramp_noise(50);
        let s = compute(
            &t,
            &x,
            &EwsConfig {
                detrend: Detrend::Diff,
                window: 10.0,
                ..EwsConfig::default()
            },
        )
        .unwrap();
        assert_eq!(s.detrended.residuals[0], None);
        assert_relative_eq!(s.detrended.residuals[3].unwrap(), x[3] - x[2]);
        assert!(s.indicators[0].1[9].is_none());
        assert!(s.indicators[0].1[10].is_some());
    }

    #[test]
    fn bad_input_is_rejected() {
        assert!(matches!(
            compute(&[0.0, 1.0], &[1.0], &EwsConfig::default()),
            Err(EwsError::LengthMismatch { .. })
        ));
        assert!(compute(&[0.0, 1.0], &[1.0, f64::NAN], &EwsConfig::default()).is_err());
        assert!(matches!(
            compute(&[1.0, 0.0], &[1.0, 2.0], &EwsConfig::default()),
            Err(EwsError::UnsortedTimes { index: 1 })
        ));
        assert!(Indicator::parse("acx", 1).is_err());
        assert_eq!(Indicator::parse("ac", 3).unwrap(), Indicator::Ac(3));
        assert_eq!(Indicator::parse("acf2", 1).unwrap(), Indicator::Acf(2));
    }

    #[test]
    fn significance_is_deterministic_and_finds_a_real_trend() {
        let (t, x) = ramp_noise(200);
        let cfg = EwsConfig {
            window: 0.5,
            indicators: vec![Indicator::Variance, Indicator::Ac(1)],
            ..EwsConfig::default()
        };
        let s = compute(&t, &x, &cfg).unwrap();
        let sig = SignificanceConfig {
            surrogates: 99,
            ..SignificanceConfig::default()
        };
        let a = significance(&s, &cfg, &sig).unwrap().unwrap();
        let b = significance(&s, &cfg, &sig).unwrap().unwrap();
        assert_eq!(a, b);
        let p = a.p_upper(0).unwrap();
        assert!(p <= 0.05, "variance trend should be significant, p = {p}");
        assert!((0.01..=1.0).contains(&a.p_upper(1).unwrap()));
    }
}
