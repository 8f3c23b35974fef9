//! Shewhart control chart with Western Electric rules 1–4 (baseline B, "fixed").
//!
//! With `z = (x − center) / sigma` (unit: standard deviations), a rule fires at sample `t`
//! when the window **ending at `t`** satisfies it; every window is evaluated, so a rule can
//! fire at many samples (the original reported only the first window per rule):
//! - **Rule 1**: `|z_t| > 3` (one point beyond 3σ). Severity critical.
//! - **Rule 2**: at least 2 of the 3 points `t−2..=t` have `z > 2` (or all on the lower side,
//!   `z < −2`). Severity warning.
//! - **Rule 3**: at least 4 of the 5 points `t−4..=t` have `z > 1` (or `z < −1`). Severity warning.
//! - **Rule 4**: all 8 points `t−7..=t` have `z > 0` (or all `z < 0`); a point exactly on the
//!   centre line counts for neither side. Severity info (does not alert).
//!
//! Rules 2–4 need a full window. All comparisons are strict, as in the original. For an
//! in-control normal process the average run length to the first alarm is ≈ 370 samples for
//! rule 1 alone and ≈ 92 with all four rules (pinned by a simulation test).

use serde::{Deserialize, Serialize};

use super::{BaselineError, check};

/// SPC settings (`[baselines.spc]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpcConfig {
    /// Centre line when no baseline is used (default 60, hours per week).
    pub target: f64,
    /// Process standard deviation when no baseline is used (default 5, hours per week).
    pub sigma: f64,
    /// Minimum baseline length for empirical limits (default 20 samples, e.g. weeks).
    pub baseline_min_points: usize,
}

impl Default for SpcConfig {
    fn default() -> Self {
        Self {
            target: 60.0,
            sigma: 5.0,
            baseline_min_points: 20,
        }
    }
}

/// Which side of the centre line a rule fired on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Above the centre line.
    Upper,
    /// Below the centre line.
    Lower,
}

/// Severity of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpcSeverity {
    /// Informational (rule 4); does not alert.
    Info,
    /// Warning (rules 2 and 3); alerts.
    Warning,
    /// Critical (rule 1); alerts.
    Critical,
}

/// Severity of Western Electric rule `rule` (1–4).
pub fn rule_severity(rule: usize) -> SpcSeverity {
    match rule {
        1 => SpcSeverity::Critical,
        2 | 3 => SpcSeverity::Warning,
        _ => SpcSeverity::Info,
    }
}

/// What the chart says about one sample: `fired[k]` is the side rule `k + 1` fired on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SpcPoint {
    /// Per rule 1–4, the side it fired on at this sample, if it fired.
    pub fired: [Option<Side>; 4],
}

impl SpcPoint {
    /// Whether any rule with severity warning or critical fired (the baseline's alert).
    pub fn alerts(&self) -> bool {
        self.fired[..3].iter().any(Option::is_some)
    }

    /// The highest severity that fired, if any.
    pub fn severity(&self) -> Option<SpcSeverity> {
        (0..4)
            .filter(|&k| self.fired[k].is_some())
            .map(|k| rule_severity(k + 1))
            .max()
    }
}

/// Streaming Western Electric chart (rules 1–4), O(1) per sample.
#[derive(Debug, Clone)]
pub struct WesternElectricChart {
    center: f64,
    sigma: f64,
    recent: [f64; 8],
    seen: usize,
}

impl WesternElectricChart {
    /// A chart with a known centre and sigma (`sigma > 0`).
    pub fn new(center: f64, sigma: f64) -> Result<Self, BaselineError> {
        check("spc.target", "finite", center, |_| true)?;
        check("spc.sigma", "> 0", sigma, |s| s > 0.0)?;
        Ok(Self {
            center,
            sigma,
            recent: [0.0; 8],
            seen: 0,
        })
    }

    /// A chart from the configured target and sigma.
    pub fn from_config(config: &SpcConfig) -> Result<Self, BaselineError> {
        Self::new(config.target, config.sigma)
    }

    /// A chart with empirical limits: centre = mean and sigma = sample standard deviation
    /// (n − 1) of `baseline`, which needs at least `min_points` (and at least 2) samples.
    pub fn from_baseline(baseline: &[f64], min_points: usize) -> Result<Self, BaselineError> {
        let needed = min_points.max(2);
        if baseline.len() < needed {
            return Err(BaselineError::TooFewSamples {
                what: "empirical control limits",
                needed,
                got: baseline.len(),
            });
        }
        for &x in baseline {
            check("baseline sample", "finite", x, |_| true)?;
        }
        let n = baseline.len() as f64;
        let mean = baseline.iter().sum::<f64>() / n;
        let var = baseline.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Self::new(mean, var.sqrt())
    }

    /// The centre line.
    pub fn center(&self) -> f64 {
        self.center
    }

    /// The sigma.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Adds one sample and reports the rules whose window ends at it.
    pub fn update(&mut self, x: f64) -> Result<SpcPoint, BaselineError> {
        check("spc sample", "finite", x, |_| true)?;
        let z = (x - self.center) / self.sigma;
        self.recent.rotate_right(1);
        self.recent[0] = z;
        self.seen += 1;
        let mut point = SpcPoint::default();
        let side_if = |upper: bool, lower: bool| {
            if upper {
                Some(Side::Upper)
            } else if lower {
                Some(Side::Lower)
            } else {
                None
            }
        };
        point.fired[0] = side_if(z > 3.0, z < -3.0);
        let count = |n: usize, pred: &dyn Fn(f64) -> bool| {
            self.recent[..n].iter().filter(|&&v| pred(v)).count()
        };
        if self.seen >= 3 {
            point.fired[1] = side_if(count(3, &|v| v > 2.0) >= 2, count(3, &|v| v < -2.0) >= 2);
        }
        if self.seen >= 5 {
            point.fired[2] = side_if(count(5, &|v| v > 1.0) >= 4, count(5, &|v| v < -1.0) >= 4);
        }
        if self.seen >= 8 {
            point.fired[3] = side_if(count(8, &|v| v > 0.0) == 8, count(8, &|v| v < 0.0) == 8);
        }
        Ok(point)
    }

    /// Runs the chart over a whole series, one [`SpcPoint`] per sample.
    pub fn run(&mut self, series: &[f64]) -> Result<Vec<SpcPoint>, BaselineError> {
        series.iter().map(|&x| self.update(x)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_on_their_windows() {
        let mut c = WesternElectricChart::new(0.0, 1.0).unwrap();
        let pts = c.run(&[3.5, -2.5, 0.0, -2.1]).unwrap();
        assert_eq!(pts[0].fired[0], Some(Side::Upper));
        assert_eq!(pts[0].severity(), Some(SpcSeverity::Critical));
        assert_eq!(
            pts[2].fired[1], None,
            "only one point below −2σ in the window"
        );
        assert_eq!(pts[3].fired[1], Some(Side::Lower));
        assert!(pts[3].alerts());
    }

    #[test]
    fn centre_line_points_count_for_neither_side() {
        let mut c = WesternElectricChart::new(60.0, 5.0).unwrap();
        let pts = c
            .run(&[61.0, 61.0, 61.0, 60.0, 61.0, 61.0, 61.0, 61.0, 61.0])
            .unwrap();
        assert!(pts.iter().all(|p| p.fired[3].is_none()));
    }

    #[test]
    fn bad_settings_and_samples_are_errors() {
        assert!(WesternElectricChart::new(0.0, 0.0).is_err());
        assert!(WesternElectricChart::new(f64::NAN, 1.0).is_err());
        let mut c = WesternElectricChart::new(0.0, 1.0).unwrap();
        assert!(c.update(f64::INFINITY).is_err());
        assert!(WesternElectricChart::from_baseline(&[1.0; 5], 20).is_err());
        assert!(
            WesternElectricChart::from_baseline(&[1.0; 20], 20).is_err(),
            "sigma 0"
        );
        let base: Vec<f64> = (0..20).map(|i| f64::from(i % 4)).collect();
        let c = WesternElectricChart::from_baseline(&base, 20).unwrap();
        assert!((c.center() - 1.5).abs() < 1e-12);
    }
}
