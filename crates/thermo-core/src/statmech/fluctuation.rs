//! Fluctuation–dissipation: predict a metric's response to a sustained stress from its
//! everyday fluctuations, without stressing anyone.
//!
//! Model: a discrete Ornstein–Uhlenbeck process, i.e. AR(1) x_{t+1} − μ = φ(x_t − μ) + ε_t,
//! fitted to the equally spaced samples of one metric:
//! - φ = biased lag-1 autocorrelation (the reference convention), clipped to [−0.999, 0.999];
//! - gain G = Σ_k φ^k = 1/(1 − φ) (dimensionless): a sustained forcing f (metric units per
//!   step) shifts the mean by f·G;
//! - relaxation time τ = −Δt/ln φ for 0 < φ < 1, else 0 (hours, Δt = median sampling step);
//! - recovery time to a fraction ε of a deviation t_ε = Δt·ln ε/ln φ (hours);
//! - variance inflation 1/(1 − φ²) (dimensionless): stationary over innovation variance;
//! - noise spectrum: Welch periodogram (periodic Hann, 256-sample segments, 50 % overlap,
//!   constant detrend, one-sided density, mean of segments) and its exponent β = −slope of
//!   log₁₀P on log₁₀f without the DC bin: β < 0.5 white, < 1.5 pink, otherwise red.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use super::StatmechError;
use crate::model::{MetricSeries, Schedule};

fn check_finite(values: &[f64]) -> Result<(), StatmechError> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(StatmechError::NonFinite {
            field: "value",
            value,
        }),
        None => Ok(()),
    }
}

/// Mean (0 for an empty slice; callers check lengths first).
fn mean(x: &[f64]) -> f64 {
    crate::stats::describe::mean(x).unwrap_or(0.0)
}

/// Population variance (n denominator; 0 for an empty slice).
fn variance(x: &[f64]) -> f64 {
    crate::stats::describe::variance(x, 0).unwrap_or(0.0)
}

/// Lag-`k` autocorrelation with the common mean and n denominator (the reference
/// estimator); 0 where it is undefined (n < k + 2, or a constant series).
fn autocorrelation(x: &[f64], k: usize) -> f64 {
    crate::stats::autocorr::acf(x, k).unwrap_or(0.0)
}

/// Smallest series an AR(1) fit accepts.
pub const MIN_FIT_SAMPLES: usize = 20;

/// An AR(1) / Ornstein–Uhlenbeck fit of one series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ar1Fit {
    /// Samples used.
    pub samples: usize,
    /// Sampling step Δt (hours).
    pub step_hours: f64,
    /// φ, lag-1 autocorrelation clipped to [−0.999, 0.999].
    pub phi: f64,
    /// Mean (metric units).
    pub mean: f64,
    /// Population variance (metric units²).
    pub variance: f64,
    /// Innovation variance (1 − φ²)·σ² (metric units²).
    pub innovation_variance: f64,
    /// G = 1/(1 − φ) (dimensionless).
    pub gain: f64,
    /// τ = −Δt/ln φ for 0 < φ < 1, else 0 (hours).
    pub relaxation_time_hours: f64,
    /// 1/(1 − φ²) (dimensionless).
    pub variance_inflation: f64,
}

impl Ar1Fit {
    /// Mean shift for a sustained forcing `forcing` (metric units per step): forcing·G.
    pub fn predicted_response(&self, forcing: f64) -> f64 {
        forcing * self.gain
    }

    /// Hours for a deviation to decay to `fraction` (0 < fraction < 1) of itself:
    /// Δt·ln fraction/ln φ for 0 < φ < 1, else 0 (no memory).
    pub fn recovery_time_hours(&self, fraction: f64) -> f64 {
        if self.phi > 0.0 && fraction > 0.0 && fraction < 1.0 {
            self.step_hours * fraction.ln() / self.phi.ln()
        } else {
            0.0
        }
    }
}

/// Fits AR(1) to `values` sampled every `step_hours` hours. `Ok(None)` for fewer than
/// [`MIN_FIT_SAMPLES`] samples or a constant series (no fluctuations: FDT undefined).
pub fn fit_ar1(values: &[f64], step_hours: f64) -> Result<Option<Ar1Fit>, StatmechError> {
    check_finite(values)?;
    if !(step_hours.is_finite() && step_hours > 0.0) {
        return Err(StatmechError::InvalidParameter {
            name: "step_hours",
            value: step_hours,
        });
    }
    if values.len() < MIN_FIT_SAMPLES {
        return Ok(None);
    }
    let var = variance(values);
    if var == 0.0 {
        return Ok(None);
    }
    let phi = autocorrelation(values, 1).clamp(-0.999, 0.999);
    Ok(Some(Ar1Fit {
        samples: values.len(),
        step_hours,
        phi,
        mean: mean(values),
        variance: var,
        innovation_variance: (1.0 - phi * phi) * var,
        gain: 1.0 / (1.0 - phi),
        relaxation_time_hours: if phi > 0.0 {
            -step_hours / phi.ln()
        } else {
            0.0
        },
        variance_inflation: 1.0 / (1.0 - phi * phi),
    }))
}

/// Forcing of a utilisation metric when `lost` of `staff` people leave and the work stays:
/// util·(n/(n − k) − 1); +∞ when everyone leaves.
pub fn faculty_loss_forcing(utilization: f64, staff: u32, lost: u32) -> f64 {
    if lost >= staff {
        f64::INFINITY
    } else {
        utilization * (f64::from(staff) / f64::from(staff - lost) - 1.0)
    }
}

/// What a stress is predicted to do to one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerturbationResponse {
    /// Latest value (metric units).
    pub current_value: f64,
    /// Sustained forcing applied (metric units per step).
    pub forcing: f64,
    /// forcing·G (metric units).
    pub predicted_change: f64,
    /// current + change (metric units).
    pub predicted_final: f64,
    /// τ: how long the shift takes to settle (hours).
    pub relaxation_time_hours: f64,
}

/// The response of a metric at `current_value` to a sustained `forcing` (e.g. a workload
/// bump of 0.05 per step, or [`faculty_loss_forcing`] for a utilisation metric).
pub fn predict_perturbation_response(
    fit: &Ar1Fit,
    current_value: f64,
    forcing: f64,
) -> PerturbationResponse {
    let change = fit.predicted_response(forcing);
    PerturbationResponse {
        current_value,
        forcing,
        predicted_change: change,
        predicted_final: current_value + change,
        relaxation_time_hours: fit.relaxation_time_hours,
    }
}

/// Dimensionless system mobility: mean of 1 − φ = 1/G over the fits (0 when none).
pub fn system_mobility(fits: &[Ar1Fit]) -> f64 {
    if fits.is_empty() {
        0.0
    } else {
        fits.iter().map(|f| 1.0 - f.phi).sum::<f64>() / fits.len() as f64
    }
}

/// Detrending applied to each Welch segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detrend {
    /// Subtract the segment mean.
    Constant,
    /// Subtract the segment's least-squares line.
    Linear,
}

/// Welch power spectral density (fs = 1 per sample): frequencies (cycles per sample) and
/// one-sided density (metric units² per cycle per sample). Empty input gives empty output.
pub fn welch_psd(values: &[f64], detrend: Detrend) -> Result<(Vec<f64>, Vec<f64>), StatmechError> {
    check_finite(values)?;
    let n = values.len();
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let nperseg = n.min(256);
    let noverlap = nperseg / 2;
    let step = nperseg - noverlap;
    let segments = (n - noverlap) / step;
    let window: Vec<f64> = (0..nperseg)
        .map(|k| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / nperseg as f64).cos())
        .collect();
    let scale = 1.0 / window.iter().map(|w| w * w).sum::<f64>();
    let fft: Arc<dyn rustfft::Fft<f64>> = FftPlanner::new().plan_fft_forward(nperseg);
    let bins = nperseg / 2 + 1;
    let mut psd = vec![0.0; bins];
    let mut buf = vec![Complex::new(0.0, 0.0); nperseg];
    for s in 0..segments {
        let seg = &values[s * step..s * step + nperseg];
        let detrended = detrend_segment(seg, detrend);
        for (k, (b, v)) in buf.iter_mut().zip(&detrended).enumerate() {
            *b = Complex::new(v * window[k], 0.0);
        }
        fft.process(&mut buf);
        for (k, p) in psd.iter_mut().enumerate() {
            let mut v = buf[k].norm_sqr() * scale;
            let nyquist = nperseg.is_multiple_of(2) && k == nperseg / 2;
            if k != 0 && !nyquist {
                v *= 2.0;
            }
            *p += v;
        }
    }
    for p in &mut psd {
        *p /= segments as f64;
    }
    let freqs = (0..bins).map(|k| k as f64 / nperseg as f64).collect();
    Ok((freqs, psd))
}

fn detrend_segment(seg: &[f64], detrend: Detrend) -> Vec<f64> {
    let m = mean(seg);
    match detrend {
        Detrend::Constant => seg.iter().map(|v| v - m).collect(),
        Detrend::Linear => {
            let n = seg.len() as f64;
            let tm = (n - 1.0) / 2.0;
            let sxx: f64 = (0..seg.len()).map(|i| (i as f64 - tm).powi(2)).sum();
            let sxy: f64 = seg
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64 - tm) * (v - m))
                .sum();
            let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
            seg.iter()
                .enumerate()
                .map(|(i, v)| v - m - slope * (i as f64 - tm))
                .collect()
        }
    }
}

/// Smallest series whose noise spectrum is estimated.
pub const MIN_SPECTRUM_SAMPLES: usize = 50;

/// The colour of a noise spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseColor {
    /// β < 0.5: uncorrelated fluctuations, a healthy system.
    White,
    /// 0.5 ≤ β < 1.5: long memory, approaching a critical state.
    Pink,
    /// β ≥ 1.5: random-walk-like, unstable dynamics.
    Red,
}

/// A noise spectrum's exponent and its readings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseSpectrum {
    /// β = −slope of log₁₀P on log₁₀f (dimensionless).
    pub exponent: f64,
    /// White, pink or red.
    pub color: NoiseColor,
    /// `normal` (β < 0.5), `elevated` (< 1.0), `high` (< 1.5) or `critical`.
    pub warning_level: &'static str,
    /// Frequency bins in the fit.
    pub bins: usize,
}

/// Noise spectrum of a series; `Ok(None)` under [`MIN_SPECTRUM_SAMPLES`] samples or with
/// fewer than 3 usable bins (f > 0 and P > 0).
pub fn noise_spectrum(
    values: &[f64],
    detrend: Detrend,
) -> Result<Option<NoiseSpectrum>, StatmechError> {
    if values.len() < MIN_SPECTRUM_SAMPLES {
        check_finite(values)?;
        return Ok(None);
    }
    let (f, p) = welch_psd(values, detrend)?;
    let pts: Vec<(f64, f64)> = f
        .iter()
        .zip(&p)
        .filter(|&(&f, &p)| f > 0.0 && p > 0.0)
        .map(|(f, p)| (f.log10(), p.log10()))
        .collect();
    if pts.len() < 3 {
        return Ok(None);
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let beta = -sxy / sxx;
    Ok(Some(NoiseSpectrum {
        exponent: beta,
        color: if beta < 0.5 {
            NoiseColor::White
        } else if beta < 1.5 {
            NoiseColor::Pink
        } else {
            NoiseColor::Red
        },
        warning_level: if beta < 0.5 {
            "normal"
        } else if beta < 1.0 {
            "elevated"
        } else if beta < 1.5 {
            "high"
        } else {
            "critical"
        },
        bins: pts.len(),
    }))
}

/// Relaxation observed after natural shocks (the passive alternative to an impulse test).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PassiveCalibration {
    /// Shocks found: steps with |Δx| > `shock_sigma`·std(Δx).
    pub shocks: usize,
    /// Median relaxation time fitted after the shocks (hours).
    pub relaxation_time_hours: f64,
}

/// Finds natural shocks and fits an exponential decay ln|x − μ| = a − k·Δt/τ to the up to
/// 20 samples after each (while the deviation keeps its sign); returns the median τ over
/// shocks with a decaying fit, or `None` when there is none.
pub fn passive_calibration(
    values: &[f64],
    step_hours: f64,
    shock_sigma: f64,
) -> Result<Option<PassiveCalibration>, StatmechError> {
    check_finite(values)?;
    if values.len() < MIN_FIT_SAMPLES {
        return Ok(None);
    }
    let diffs: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let sd = variance(&diffs).sqrt();
    if sd == 0.0 {
        return Ok(None);
    }
    let mu = mean(values);
    let mut taus = Vec::new();
    let mut shocks = 0;
    for (i, d) in diffs.iter().enumerate() {
        if d.abs() <= shock_sigma * sd {
            continue;
        }
        shocks += 1;
        let start = i + 1;
        let sign = (values[start] - mu).signum();
        let mut pts: Vec<(f64, f64)> = Vec::new();
        for k in 0..20 {
            let Some(&v) = values.get(start + k) else {
                break;
            };
            let dev = v - mu;
            if dev.signum() != sign || dev == 0.0 {
                break;
            }
            pts.push((k as f64, dev.abs().ln()));
        }
        if pts.len() < 3 {
            continue;
        }
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
        if slope < 0.0 {
            taus.push(-step_hours / slope);
        }
    }
    if taus.is_empty() {
        return Ok(None);
    }
    taus.sort_by(f64::total_cmp);
    let mid = taus.len() / 2;
    let median = if taus.len() % 2 == 1 {
        taus[mid]
    } else {
        (taus[mid - 1] + taus[mid]) / 2.0
    };
    Ok(Some(PassiveCalibration {
        shocks,
        relaxation_time_hours: median,
    }))
}

/// Median spacing of timestamps in hours; 1.0 when unknown (fewer than 2 samples or
/// non-increasing times).
pub fn median_step_hours(timestamps: &[DateTime<Utc>]) -> f64 {
    let mut steps: Vec<f64> = timestamps
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds() as f64 / 3_600_000.0)
        .filter(|h| *h > 0.0)
        .collect();
    if steps.is_empty() {
        return 1.0;
    }
    steps.sort_by(f64::total_cmp);
    let mid = steps.len() / 2;
    if steps.len() % 2 == 1 {
        steps[mid]
    } else {
        (steps[mid - 1] + steps[mid]) / 2.0
    }
}

/// `[fluctuation]` settings of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FluctuationConfig {
    /// Last samples of each metric used (default 200).
    pub window: usize,
    /// Fraction of a deviation the recovery time decays to (default 0.1).
    pub recovery_fraction: f64,
    /// Shock threshold in standard deviations of the step changes (default 3.0).
    pub shock_sigma: f64,
    /// Detrending of the Welch segments (default constant).
    pub detrend: Detrend,
    /// Sustained forcing of the workload-bump prediction (metric units per step; default
    /// 0.05, i.e. a 5 % bump of a utilisation-like metric).
    pub workload_bump: f64,
}

impl Default for FluctuationConfig {
    fn default() -> Self {
        Self {
            window: 200,
            recovery_fraction: 0.1,
            shock_sigma: 3.0,
            detrend: Detrend::Constant,
            workload_bump: 0.05,
        }
    }
}

/// One metric's fluctuation–dissipation reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFluctuation {
    /// Metric name.
    pub metric: String,
    /// Samples used (the last `window`).
    pub samples: usize,
    /// Median sampling step (hours).
    pub step_hours: f64,
    /// φ (dimensionless).
    pub phi: f64,
    /// G = 1/(1 − φ): mean shift per unit of sustained forcing (dimensionless).
    pub gain: f64,
    /// τ (hours).
    pub relaxation_time_hours: f64,
    /// 1/(1 − φ²) (dimensionless).
    pub variance_inflation: f64,
    /// Hours to decay to `recovery_fraction` of a deviation.
    pub recovery_time_hours: f64,
    /// β of the noise spectrum (≥ 50 samples), else null.
    pub noise_exponent: Option<f64>,
    /// `white`, `pink` or `red`, else null.
    pub noise_color: Option<NoiseColor>,
    /// Relaxation time observed after natural shocks (hours), when shocks were found.
    pub observed_relaxation_time_hours: Option<f64>,
    /// Predicted response to a sustained forcing of `workload_bump` per step.
    pub workload_bump_response: PerturbationResponse,
}

/// The `fluctuation` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FluctuationReport {
    /// Metrics with at least 20 samples and non-zero variance, in input order.
    pub metrics: Vec<MetricFluctuation>,
    /// Mean of 1 − φ over those metrics (dimensionless; 0 = frozen, 1 = memoryless).
    pub system_mobility: f64,
}

/// Fits one metric series (its last `window` samples).
pub fn metric_fluctuation(
    series: &MetricSeries,
    config: &FluctuationConfig,
) -> Result<Option<MetricFluctuation>, StatmechError> {
    let n = series.values.len();
    let start = n.saturating_sub(config.window.max(1));
    let values = &series.values[start..];
    let step = median_step_hours(&series.timestamps[start..]);
    if !config.workload_bump.is_finite() {
        return Err(StatmechError::NonFinite {
            field: "workload_bump",
            value: config.workload_bump,
        });
    }
    let Some(fit) = fit_ar1(values, step)? else {
        return Ok(None);
    };
    let spectrum = noise_spectrum(values, config.detrend)?;
    let observed = passive_calibration(values, step, config.shock_sigma)?;
    Ok(Some(MetricFluctuation {
        metric: series.metric.clone(),
        samples: values.len(),
        step_hours: step,
        phi: fit.phi,
        gain: fit.gain,
        relaxation_time_hours: fit.relaxation_time_hours,
        variance_inflation: fit.variance_inflation,
        recovery_time_hours: fit.recovery_time_hours(config.recovery_fraction),
        noise_exponent: spectrum.map(|s| s.exponent),
        noise_color: spectrum.map(|s| s.color),
        observed_relaxation_time_hours: observed.map(|o| o.relaxation_time_hours),
        workload_bump_response: predict_perturbation_response(
            &fit,
            values[values.len() - 1],
            config.workload_bump,
        ),
    }))
}

/// The `fluctuation` section for every metric series of `schedule` (time is not read:
/// the whole recorded history up to the window is used).
pub fn fluctuation_report(
    schedule: &Schedule,
    config: &FluctuationConfig,
) -> Result<FluctuationReport, StatmechError> {
    let mut metrics = Vec::new();
    for series in schedule.metric_series() {
        if let Some(m) = metric_fluctuation(&series, config)? {
            metrics.push(m);
        }
    }
    let mobility = if metrics.is_empty() {
        0.0
    } else {
        metrics.iter().map(|m| 1.0 - m.phi).sum::<f64>() / metrics.len() as f64
    };
    Ok(FluctuationReport {
        metrics,
        system_mobility: mobility,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards() {
        assert_eq!(fit_ar1(&[1.0; 10], 1.0).unwrap(), None);
        assert_eq!(fit_ar1(&[1.0; 30], 1.0).unwrap(), None);
        assert!(fit_ar1(&[f64::NAN; 30], 1.0).is_err());
        assert!(fit_ar1(&[1.0; 30], 0.0).is_err());
        assert_eq!(faculty_loss_forcing(0.8, 4, 4), f64::INFINITY);
        assert!((faculty_loss_forcing(0.8, 4, 1) - 0.8 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ramp_is_red_and_alternation_has_no_memory() {
        let ramp: Vec<f64> = (0..100).map(f64::from).collect();
        let s = noise_spectrum(&ramp, Detrend::Constant).unwrap().unwrap();
        assert_eq!(s.color, NoiseColor::Red);
        let alt: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        let fit = fit_ar1(&alt, 1.0).unwrap().unwrap();
        assert!(fit.phi < 0.0);
        assert_eq!(fit.relaxation_time_hours, 0.0);
        assert_eq!(fit.recovery_time_hours(0.1), 0.0);
    }
}
