//! Recursive STA/LTA on behavioural precursors (baseline C, "fixed").
//!
//! Energy `e_t = x_t²` (unit: signal unit squared, e.g. (swaps/day)²). With
//! `α_s = 2/(n_sta + 1)` and `α_l = 2/(n_lta + 1)`:
//! - **Priming**: the first `n_lta` samples only prime the averages: STA = LTA = their mean
//!   energy, and no ratio (hence no trigger) is produced before sample `n_lta`.
//! - `STA_t = α_s·e_t + (1 − α_s)·STA_{t−1}`.
//! - `LTA_t = α_l·e_{t−n_sta} + (1 − α_l)·LTA_{t−1}`: the LTA is fed the energy from `n_sta`
//!   samples earlier, so it does not contain the burst the STA is measuring. The original fed
//!   both averages the same sample, which bounds the ratio by `α_s/α_l = (n_lta+1)/(n_sta+1)`
//!   (5.1667 with 5/30) and made "critical" (≥ 10) unreachable.
//! - `ratio_t = STA_t / (LTA_t + ε)` (dimensionless), `ε = epsilon + baseline_rate_weight ·
//!   (mean of x over the priming window)²`, so sparse count data do not turn every single
//!   event into a trigger.
//!
//! A trigger opens when `ratio ≥ trigger_on` and closes at the first sample with
//! `ratio < trigger_off`; one still open at the end closes at the last sample.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{BaselineError, check};

/// STA/LTA settings (`[baselines.sta_lta]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaLtaConfig {
    /// Short window `n_sta` (default 5 samples, e.g. days).
    pub short_window: usize,
    /// Long window `n_lta`, also the priming length (default 30 samples).
    pub long_window: usize,
    /// Ratio at which a trigger opens (default 2.5).
    pub trigger_on: f64,
    /// Ratio below which a trigger closes (default 1.0).
    pub trigger_off: f64,
    /// Absolute LTA floor (default 1e-6, energy units).
    pub epsilon: f64,
    /// Weight of the squared priming-window mean in the LTA floor (default 1.0).
    pub baseline_rate_weight: f64,
    /// Peak ratio for severity medium (default 3.5).
    pub medium: f64,
    /// Peak ratio for severity high (default 5.0).
    pub high: f64,
    /// Peak ratio for severity critical (default 10.0).
    pub critical: f64,
}

impl Default for StaLtaConfig {
    fn default() -> Self {
        Self {
            short_window: 5,
            long_window: 30,
            trigger_on: 2.5,
            trigger_off: 1.0,
            epsilon: 1e-6,
            baseline_rate_weight: 1.0,
            medium: 3.5,
            high: 5.0,
            critical: 10.0,
        }
    }
}

impl StaLtaConfig {
    /// Checks windows and thresholds.
    pub fn validate(&self) -> Result<(), BaselineError> {
        if self.short_window == 0 || self.short_window >= self.long_window {
            return Err(BaselineError::Windows {
                short: self.short_window,
                long: self.long_window,
            });
        }
        check("sta_lta.trigger_off", "> 0", self.trigger_off, |v| v > 0.0)?;
        check(
            "sta_lta.trigger_on",
            ">= trigger_off",
            self.trigger_on,
            |v| v >= self.trigger_off,
        )?;
        check("sta_lta.epsilon", "> 0", self.epsilon, |v| v > 0.0)?;
        check(
            "sta_lta.baseline_rate_weight",
            ">= 0",
            self.baseline_rate_weight,
            |v| v >= 0.0,
        )?;
        check("sta_lta.medium", "finite", self.medium, |_| true)?;
        check("sta_lta.high", ">= medium", self.high, |v| v >= self.medium)?;
        check("sta_lta.critical", ">= high", self.critical, |v| {
            v >= self.high
        })?;
        Ok(())
    }
}

/// Severity of a trigger by its peak ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSeverity {
    /// Below `medium`.
    Low,
    /// ≥ `medium`.
    Medium,
    /// ≥ `high`.
    High,
    /// ≥ `critical`.
    Critical,
}

/// One trigger interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Sample index where the ratio reached `trigger_on` (the alert time).
    pub start: usize,
    /// Last sample of the interval.
    pub end: usize,
    /// Peak ratio in the interval.
    pub max_ratio: f64,
    /// Severity from the peak ratio.
    pub severity: TriggerSeverity,
}

/// Streaming recursive STA/LTA, O(1) per sample.
#[derive(Debug, Clone)]
pub struct RecursiveStaLta {
    config: StaLtaConfig,
    alpha_s: f64,
    alpha_l: f64,
    priming: Vec<f64>,
    delay: VecDeque<f64>,
    sta: f64,
    lta: f64,
    floor: f64,
}

impl RecursiveStaLta {
    /// A detector with validated settings.
    pub fn new(config: &StaLtaConfig) -> Result<Self, BaselineError> {
        config.validate()?;
        Ok(Self {
            config: config.clone(),
            alpha_s: 2.0 / (config.short_window as f64 + 1.0),
            alpha_l: 2.0 / (config.long_window as f64 + 1.0),
            priming: Vec::with_capacity(config.long_window),
            delay: VecDeque::with_capacity(config.short_window + 1),
            sta: 0.0,
            lta: 0.0,
            floor: config.epsilon,
        })
    }

    /// Adds one sample; returns the ratio, or `None` while priming.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, BaselineError> {
        check("sta_lta sample", "finite", x, |_| true)?;
        let e = x * x;
        if self.priming.len() < self.config.long_window {
            self.priming.push(x);
            if self.priming.len() == self.config.long_window {
                let n = self.priming.len() as f64;
                let mean_energy = self.priming.iter().map(|v| v * v).sum::<f64>() / n;
                let mean = self.priming.iter().sum::<f64>() / n;
                self.sta = mean_energy;
                self.lta = mean_energy;
                self.floor = self.config.epsilon + self.config.baseline_rate_weight * mean * mean;
                let tail = self.priming.len() - self.config.short_window;
                self.delay
                    .extend(self.priming[tail..].iter().map(|v| v * v));
            }
            return Ok(None);
        }
        self.sta = self.alpha_s * e + (1.0 - self.alpha_s) * self.sta;
        self.delay.push_back(e);
        let lagged = self.delay.pop_front().unwrap_or(e);
        self.lta = self.alpha_l * lagged + (1.0 - self.alpha_l) * self.lta;
        Ok(Some(self.sta / (self.lta + self.floor)))
    }

    /// Severity of a peak ratio.
    pub fn severity(&self, ratio: f64) -> TriggerSeverity {
        let c = &self.config;
        if ratio >= c.critical {
            TriggerSeverity::Critical
        } else if ratio >= c.high {
            TriggerSeverity::High
        } else if ratio >= c.medium {
            TriggerSeverity::Medium
        } else {
            TriggerSeverity::Low
        }
    }
}

/// Runs the detector over a series and returns its trigger intervals.
pub fn detect(series: &[f64], config: &StaLtaConfig) -> Result<Vec<Trigger>, BaselineError> {
    let mut det = RecursiveStaLta::new(config)?;
    let mut out = Vec::new();
    let mut open: Option<(usize, f64)> = None;
    for (i, &x) in series.iter().enumerate() {
        let Some(ratio) = det.update(x)? else {
            continue;
        };
        match open {
            None if ratio >= config.trigger_on => open = Some((i, ratio)),
            Some((start, peak)) if ratio < config.trigger_off => {
                out.push(Trigger {
                    start,
                    end: i,
                    max_ratio: peak,
                    severity: det.severity(peak),
                });
                open = None;
            }
            Some((start, peak)) => open = Some((start, peak.max(ratio))),
            None => {}
        }
    }
    if let Some((start, peak)) = open {
        out.push(Trigger {
            start,
            end: series.len() - 1,
            max_ratio: peak,
            severity: det.severity(peak),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_ratio_while_priming() {
        let mut d = RecursiveStaLta::new(&StaLtaConfig::default()).unwrap();
        for _ in 0..30 {
            assert_eq!(d.update(1.0).unwrap(), None);
        }
        let r = d.update(1.0).unwrap().unwrap();
        // Steady signal: STA = LTA = 1, floor = 1e-6 + 1.
        assert!((r - 1.0 / (2.0 + 1e-6)).abs() < 1e-12);
    }

    #[test]
    fn bad_settings_are_errors() {
        let c = StaLtaConfig {
            short_window: 30,
            ..StaLtaConfig::default()
        };
        assert!(RecursiveStaLta::new(&c).is_err());
        let c = StaLtaConfig {
            trigger_on: 0.5,
            ..StaLtaConfig::default()
        };
        assert!(c.validate().is_err());
        let mut d = RecursiveStaLta::new(&StaLtaConfig::default()).unwrap();
        assert!(d.update(f64::NAN).is_err());
    }
}
