//! Maxwell's demon: what each metric is worth knowing, which metrics to watch under a
//! budget, and where to put an alert threshold when misses cost more than false alarms.
//!
//! Information quantities are in **bits** (log₂), like the entropy layer they use.
//! - Equal-frequency discretisation into k bins: bin = ⌊rank·k/n⌋ with ranks from a stable
//!   sort (ties by position); a constant series is one bin.
//! - Information value I(bins_t; health_{t+lead}) in bits, and I/H(health) in [0, 1].
//! - Metric selection: greedy by value/cost (ties: value, then name), cost ≤ 0 always taken;
//!   or exact 0/1 knapsack on integer costs.
//! - Alert threshold: among n = 100 candidates linspace(min, max), the first θ minimising
//!   c_fp·FP/N_neg + c_fn·FN/N_pos, alerting on x ≥ θ (or ≤ θ).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::StatmechError;
use crate::entropy::{mutual_information, shannon};
use crate::model::Schedule;

fn check_finite(values: &[f64]) -> Result<(), StatmechError> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(StatmechError::NonFinite {
            field: "value",
            value,
        }),
        None => Ok(()),
    }
}

/// Equal-frequency bins (see the module documentation); `k` ≥ 1.
pub fn discretize(values: &[f64], k: usize) -> Result<Vec<usize>, StatmechError> {
    check_finite(values)?;
    if k == 0 {
        return Err(StatmechError::InvalidParameter {
            name: "k",
            value: 0.0,
        });
    }
    let n = values.len();
    if n == 0 || values.iter().all(|&v| v == values[0]) {
        return Ok(vec![0; n]);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut bins = vec![0; n];
    for (rank, &i) in order.iter().enumerate() {
        bins[i] = rank * k / n;
    }
    Ok(bins)
}

/// The information a metric carries about a health label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InformationValue {
    /// I(metric bins; health) (bits).
    pub bits: f64,
    /// H(health) over the paired samples (bits).
    pub health_entropy_bits: f64,
    /// bits / H(health) in [0, 1]; 0 when H = 0.
    pub normalized: f64,
    /// Pairs used (n − lead).
    pub pairs: usize,
}

/// Information value of `metric` for `health` with the metric leading by `lead` samples.
pub fn information_value<L: std::hash::Hash + Eq>(
    metric: &[f64],
    health: &[L],
    k: usize,
    lead: usize,
) -> Result<InformationValue, StatmechError> {
    if metric.len() != health.len() {
        return Err(StatmechError::LengthMismatch {
            left: metric.len(),
            right: health.len(),
        });
    }
    let bins = discretize(metric, k)?;
    let pairs = metric.len().saturating_sub(lead);
    let x = &bins[..pairs];
    let y = &health[lead.min(health.len())..];
    let bits = mutual_information(x, y).map_err(|_| StatmechError::LengthMismatch {
        left: x.len(),
        right: y.len(),
    })?;
    let h = shannon(y);
    Ok(InformationValue {
        bits,
        health_entropy_bits: h,
        normalized: if h > 0.0 {
            (bits / h).clamp(0.0, 1.0)
        } else {
            0.0
        },
        pairs,
    })
}

/// A metric that could be watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricCandidate {
    /// Name.
    pub name: String,
    /// Information value (bits).
    pub value: f64,
    /// Cost (bits per cycle, or any budget unit).
    pub cost: f64,
}

/// Greedy selection under `budget` (indices in selection order).
pub fn select_metrics_greedy(candidates: &[MetricCandidate], budget: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    let ratio = |c: &MetricCandidate| {
        if c.cost <= 0.0 {
            f64::INFINITY
        } else {
            c.value / c.cost
        }
    };
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&candidates[a], &candidates[b]);
        ratio(cb)
            .total_cmp(&ratio(ca))
            .then(cb.value.total_cmp(&ca.value))
            .then(ca.name.cmp(&cb.name))
    });
    let mut left = budget;
    let mut chosen = Vec::new();
    for i in order {
        let c = &candidates[i];
        if c.cost <= 0.0 {
            chosen.push(i);
        } else if c.cost <= left {
            left -= c.cost;
            chosen.push(i);
        }
    }
    chosen
}

/// Exact 0/1 knapsack on integer costs: the subset of maximum total value within `budget`
/// (indices ascending; ties keep the earlier items).
pub fn select_metrics_exact(
    values: &[f64],
    costs: &[u32],
    budget: u32,
) -> Result<Vec<usize>, StatmechError> {
    if values.len() != costs.len() {
        return Err(StatmechError::LengthMismatch {
            left: values.len(),
            right: costs.len(),
        });
    }
    check_finite(values)?;
    let b = budget as usize;
    let n = values.len();
    // best[i][c]: best value using items < i within capacity c.
    let mut best = vec![vec![0.0f64; b + 1]; n + 1];
    for i in 0..n {
        let w = costs[i] as usize;
        for c in 0..=b {
            let skip = best[i][c];
            let take = if w <= c && values[i] > 0.0 {
                best[i][c - w] + values[i]
            } else {
                f64::NEG_INFINITY
            };
            best[i + 1][c] = if take > skip { take } else { skip };
        }
    }
    let mut chosen = Vec::new();
    let mut c = b;
    for i in (0..n).rev() {
        if best[i + 1][c] != best[i][c] {
            chosen.push(i);
            c -= costs[i] as usize;
        }
    }
    chosen.reverse();
    Ok(chosen)
}

/// Which side of the threshold raises the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertDirection {
    /// Alert when x ≥ θ.
    Above,
    /// Alert when x ≤ θ.
    Below,
}

/// The chosen alert threshold and its errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertThreshold {
    /// θ (metric units).
    pub threshold: f64,
    /// c_fp·FP/N_neg + c_fn·FN/N_pos.
    pub cost: f64,
    /// False alarms (count).
    pub false_positives: usize,
    /// Missed events (count).
    pub false_negatives: usize,
}

/// The cost-optimal alert threshold; `None` when no event occurred.
pub fn optimal_alert_threshold(
    x: &[f64],
    event: &[bool],
    cost_false_positive: f64,
    cost_false_negative: f64,
    candidates: usize,
    direction: AlertDirection,
) -> Result<Option<AlertThreshold>, StatmechError> {
    check_finite(x)?;
    if x.len() != event.len() {
        return Err(StatmechError::LengthMismatch {
            left: x.len(),
            right: event.len(),
        });
    }
    for (name, v) in [
        ("cost_false_positive", cost_false_positive),
        ("cost_false_negative", cost_false_negative),
    ] {
        super::free_energy::check_non_negative(name, v)?;
    }
    let positives = event.iter().filter(|&&e| e).count();
    if positives == 0 || x.is_empty() {
        return Ok(None);
    }
    let negatives = x.len() - positives;
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let evaluate = |theta: f64| {
        let (mut fp, mut fn_) = (0, 0);
        for (&v, &e) in x.iter().zip(event) {
            let alert = match direction {
                AlertDirection::Above => v >= theta,
                AlertDirection::Below => v <= theta,
            };
            match (alert, e) {
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                _ => {}
            }
        }
        let rate = |k: usize, d: usize| if d == 0 { 0.0 } else { k as f64 / d as f64 };
        AlertThreshold {
            threshold: theta,
            cost: cost_false_positive * rate(fp, negatives)
                + cost_false_negative * rate(fn_, positives),
            false_positives: fp,
            false_negatives: fn_,
        }
    };
    if lo == hi || candidates < 2 {
        return Ok(Some(evaluate(lo)));
    }
    let step = (hi - lo) / (candidates - 1) as f64;
    let mut best: Option<AlertThreshold> = None;
    for i in 0..candidates {
        let theta = lo + step * i as f64;
        let r = evaluate(theta);
        if best.is_none_or(|b| r.cost < b.cost) {
            best = Some(r);
        }
    }
    Ok(best)
}

/// A metric the information-efficient monitor may acquire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoredMetric {
    /// Name.
    pub name: String,
    /// Bits per acquisition.
    pub bits: u32,
    /// Priority (higher first).
    pub priority: u32,
    /// Acquisitions per cycle in (0, 1]: due every round(1/update_freq) cycles.
    pub update_freq: f64,
}

/// Deterministic information-efficient monitor: at each cycle the metrics that are due are
/// taken in priority order (ties: name) while their bits fit the per-cycle budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InformationEfficientMonitor {
    /// Bit budget per cycle.
    pub budget_bits: u32,
    /// The metrics.
    pub metrics: Vec<MonitoredMetric>,
}

impl InformationEfficientMonitor {
    /// The reference table: utilization 8 bits priority 10 every cycle, coverage 8/10 every
    /// cycle, n1_vulnerability 16/8 every 10 cycles, workload_variance 16/5 every 20 cycles.
    pub fn reference(budget_bits: u32) -> Self {
        let m = |name: &str, bits, priority, update_freq| MonitoredMetric {
            name: name.to_owned(),
            bits,
            priority,
            update_freq,
        };
        Self {
            budget_bits,
            metrics: vec![
                m("utilization", 8, 10, 1.0),
                m("coverage", 8, 10, 1.0),
                m("n1_vulnerability", 16, 8, 0.1),
                m("workload_variance", 16, 5, 0.05),
            ],
        }
    }

    /// Metrics acquired at `cycle` and the bits they use.
    pub fn acquire(&self, cycle: u64) -> (Vec<&str>, u32) {
        let mut due: Vec<&MonitoredMetric> = self
            .metrics
            .iter()
            .filter(|m| {
                let period = if m.update_freq > 0.0 {
                    (1.0 / m.update_freq).round().max(1.0) as u64
                } else {
                    u64::MAX
                };
                cycle.is_multiple_of(period)
            })
            .collect();
        due.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(&b.name)));
        let mut left = self.budget_bits;
        let mut out = Vec::new();
        for m in due {
            if m.bits <= left {
                left -= m.bits;
                out.push(m.name.as_str());
            }
        }
        (out, self.budget_bits - left)
    }
}

/// `[maxwell]` settings of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaxwellConfig {
    /// Metric whose level is the health label (default `utilization`).
    pub health_metric: String,
    /// Level boundaries of the health metric (default 0.80, 0.85, 0.90, 0.95: GREEN,
    /// YELLOW, ORANGE, RED, BLACK).
    pub health_levels: Vec<f64>,
    /// Equal-frequency bins per metric (default 5).
    pub bins: usize,
    /// Samples the metric leads the health label by (default 1: predictive value).
    pub lead: usize,
    /// Bits each metric costs per cycle (default 8).
    pub bits_per_metric: f64,
    /// Bit budget per cycle for the greedy selection (default 32).
    pub budget_bits: f64,
}

impl Default for MaxwellConfig {
    fn default() -> Self {
        Self {
            health_metric: "utilization".to_owned(),
            health_levels: vec![0.80, 0.85, 0.90, 0.95],
            bins: 5,
            lead: 1,
            bits_per_metric: 8.0,
            budget_bits: 32.0,
        }
    }
}

/// One metric's value to the demon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInformation {
    /// Metric name.
    pub metric: String,
    /// Information value (bits) about the health level `lead` samples later.
    pub information_bits: f64,
    /// information / H(health) in [0, 1].
    pub normalized: f64,
    /// Paired samples used.
    pub pairs: usize,
    /// Chosen by the greedy selection under the budget.
    pub selected: bool,
}

/// The `maxwell` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MaxwellReport {
    /// The health metric, when present.
    pub health_metric: Option<String>,
    /// H(health level) over its samples (bits).
    pub health_entropy_bits: f64,
    /// Metrics sampled at the health metric's timestamps, in input order.
    pub metrics: Vec<MetricInformation>,
}

/// The `maxwell` section: each metric's information about the health metric's level.
pub fn maxwell_report(
    schedule: &Schedule,
    config: &MaxwellConfig,
) -> Result<MaxwellReport, StatmechError> {
    let series = schedule.metric_series();
    let Some(health) = series.iter().find(|s| s.metric == config.health_metric) else {
        return Ok(MaxwellReport::default());
    };
    let level = |v: f64| config.health_levels.iter().filter(|&&b| v >= b).count();
    let at: HashMap<_, usize> = health
        .timestamps
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i))
        .collect();
    let mut rows = Vec::new();
    let mut candidates = Vec::new();
    for s in series.iter().filter(|s| s.metric != config.health_metric) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            if let Some(&i) = at.get(t) {
                x.push(*v);
                y.push(level(health.values[i]));
            }
        }
        if x.len() <= config.lead + 1 {
            continue;
        }
        let iv = information_value(&x, &y, config.bins, config.lead)?;
        candidates.push(MetricCandidate {
            name: s.metric.clone(),
            value: iv.bits,
            cost: config.bits_per_metric,
        });
        rows.push(MetricInformation {
            metric: s.metric.clone(),
            information_bits: iv.bits,
            normalized: iv.normalized,
            pairs: iv.pairs,
            selected: false,
        });
    }
    for i in select_metrics_greedy(&candidates, config.budget_bits) {
        rows[i].selected = true;
    }
    let levels: Vec<usize> = health.values.iter().map(|&v| level(v)).collect();
    Ok(MaxwellReport {
        health_metric: Some(config.health_metric.clone()),
        health_entropy_bits: shannon(&levels),
        metrics: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discretize_is_equal_frequency_and_stable() {
        assert_eq!(
            discretize(&[3.0, 1.0, 2.0, 4.0], 2).unwrap(),
            vec![1, 0, 0, 1]
        );
        assert_eq!(discretize(&[1.0, 1.0, 1.0], 4).unwrap(), vec![0, 0, 0]);
        assert_eq!(
            discretize(&[1.0, 1.0, 2.0, 2.0], 2).unwrap(),
            vec![0, 0, 1, 1]
        );
        assert!(discretize(&[1.0], 0).is_err());
    }

    #[test]
    fn knapsack_exact_beats_greedy_when_greedy_is_wrong() {
        // Greedy takes the best ratio (a) and then nothing else fits; exact takes b + c.
        let c = |name: &str, value, cost| MetricCandidate {
            name: name.into(),
            value,
            cost,
        };
        let items = [c("a", 6.0, 5.0), c("b", 5.0, 5.0), c("c", 5.0, 5.0)];
        let budget = 10.0;
        let greedy = select_metrics_greedy(&items, budget);
        assert_eq!(greedy, vec![0, 1]);
        let exact = select_metrics_exact(&[6.0, 5.0, 5.0], &[6, 5, 5], 10).unwrap();
        assert_eq!(exact, vec![1, 2]);
    }

    #[test]
    fn monitor_is_deterministic() {
        let m = InformationEfficientMonitor::reference(1000);
        assert_eq!(m.acquire(1).0, vec!["coverage", "utilization"]);
        assert_eq!(m.acquire(10).1, 32);
        assert_eq!(m.acquire(20).1, 48);
        let tight = InformationEfficientMonitor::reference(16);
        assert_eq!(tight.acquire(0).0, vec!["coverage", "utilization"]);
    }
}
