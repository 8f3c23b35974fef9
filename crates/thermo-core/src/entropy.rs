//! Shannon entropy of a schedule and its production over time. All values are in bits.
//!
//! Definitions (for the assignments in scope, each a (person, rotation?, block) triple):
//! - `person_entropy` H(P): distribution of assignments over people (all assignments);
//! - `time_entropy` H(B): distribution over blocks (date, session) (all assignments);
//! - `rotation_entropy` H(R), `joint_entropy` H(P,R), `mutual_information` I(P;R),
//!   `person_given_rotation` H(P|R) and `rotation_given_person` H(R|P): over the assignments
//!   that have a rotation, pairing each assignment's own person and rotation;
//! - `normalized_entropy` = H(P) / log2(roster size), the evenness of the load over the
//!   whole roster (people without assignments included); 0 when the roster has ≤ 1 person.
//!
//! The counting pass works on dense ids ([`EntropyCounter`]): no hashing in the hot loop.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Schedule;

/// Errors of the entropy layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EntropyError {
    /// Paired sequences differ in length.
    #[error("sequences must have the same length (got {left} and {right})")]
    LengthMismatch {
        /// Length of the first sequence.
        left: usize,
        /// Length of the second sequence.
        right: usize,
    },
    /// A time interval is zero or negative.
    #[error("time delta must be positive, got {hours} hours")]
    NonPositiveTimeDelta {
        /// The interval in hours.
        hours: f64,
    },
    /// A value is NaN or infinite.
    #[error("{field} must be finite, got {value}")]
    NonFinite {
        /// The field.
        field: &'static str,
        /// The value.
        value: f64,
    },
}

/// Shannon entropy (bits) of a distribution given by its counts; zero counts are skipped.
///
/// Terms are summed as −Σ p·log2 p in the order given, so callers that pass counts in
/// first-occurrence order reproduce the reference values to the last bit or two.
pub fn shannon_from_counts<I>(counts: I) -> f64
where
    I: IntoIterator<Item = u64>,
    I::IntoIter: Clone,
{
    let iter = counts.into_iter();
    let total: u64 = iter.clone().sum();
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    let mut h = 0.0;
    for c in iter.filter(|&c| c > 0) {
        let p = c as f64 / n;
        h -= p * p.log2();
    }
    // −0.0 for a single category: report it as +0.0.
    h + 0.0
}

/// Counts of each distinct value in first-occurrence order.
fn counts_in_order<T: Hash + Eq>(values: impl IntoIterator<Item = T>) -> Vec<u64> {
    let mut slot: HashMap<T, usize> = HashMap::new();
    let mut counts: Vec<u64> = Vec::new();
    for v in values {
        let next = counts.len();
        let i = *slot.entry(v).or_insert(next);
        if i == next {
            counts.push(0);
        }
        counts[i] += 1;
    }
    counts
}

/// Shannon entropy (bits) of a sequence of categorical values; 0 for an empty sequence.
pub fn shannon<T: Hash + Eq>(values: &[T]) -> f64 {
    shannon_from_counts(counts_in_order(values.iter()))
}

/// Mutual information I(X;Y) = H(X) + H(Y) − H(X,Y) in bits, clamped at 0.
pub fn mutual_information<X: Hash + Eq, Y: Hash + Eq>(
    x: &[X],
    y: &[Y],
) -> Result<f64, EntropyError> {
    check_same_length(x.len(), y.len())?;
    if x.is_empty() {
        return Ok(0.0);
    }
    let joint = shannon_from_counts(counts_in_order(x.iter().zip(y.iter())));
    Ok((shannon(x) + shannon(y) - joint).max(0.0))
}

/// Conditional entropy H(X|Y) = H(X,Y) − H(Y) in bits, clamped at 0.
pub fn conditional_entropy<X: Hash + Eq, Y: Hash + Eq>(
    x: &[X],
    y: &[Y],
) -> Result<f64, EntropyError> {
    check_same_length(x.len(), y.len())?;
    if x.is_empty() {
        return Ok(0.0);
    }
    let joint = shannon_from_counts(counts_in_order(x.iter().zip(y.iter())));
    Ok((joint - shannon(y)).max(0.0))
}

fn check_same_length(left: usize, right: usize) -> Result<(), EntropyError> {
    if left == right {
        Ok(())
    } else {
        Err(EntropyError::LengthMismatch { left, right })
    }
}

/// The entropy section of a report. Every value is in bits except the normalised entropy
/// (a ratio in [0, 1]) and the count.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EntropyReport {
    /// H(P): spread of assignments over people.
    pub person_entropy: f64,
    /// H(R): spread over rotations (assignments with a rotation).
    pub rotation_entropy: f64,
    /// H(B): spread over blocks (date, session).
    pub time_entropy: f64,
    /// H(P,R) over assignments with a rotation.
    pub joint_entropy: f64,
    /// I(P;R) over assignments with a rotation: how much knowing the person tells about the rotation.
    pub mutual_information: f64,
    /// H(P|R): uncertainty about who works, given the rotation.
    pub person_given_rotation: f64,
    /// H(R|P): uncertainty about the rotation, given the person.
    pub rotation_given_person: f64,
    /// H(P) / log2(roster size), in [0, 1]; 0 when the roster has ≤ 1 person.
    pub normalized_entropy: f64,
    /// Number of assignments counted.
    pub assignments_counted: u64,
}

/// Sentinel for "no rotation" in the dense rotation column.
pub const NO_ROTATION: u32 = u32::MAX;

/// Joint tables larger than this many cells are counted by sorting instead of densely.
const DENSE_JOINT_LIMIT: usize = 1 << 24;

/// Counting pass over dense id columns.
///
/// `people`, `rotations` and `blocks` are the cardinalities of the id spaces; ids must be
/// below them (rotations may also be [`NO_ROTATION`]).
#[derive(Debug, Clone)]
pub struct EntropyCounter {
    person: Vec<u64>,
    person_with_rotation: Vec<u64>,
    rotation: Vec<u64>,
    block: Vec<u64>,
    joint: Vec<u64>,
    sparse_joint: Vec<u64>,
    rotations: usize,
    dense_joint: bool,
    counted: u64,
}

impl EntropyCounter {
    /// A counter for the given id-space sizes.
    pub fn new(people: usize, rotations: usize, blocks: usize) -> Self {
        let dense_joint = people.saturating_mul(rotations) <= DENSE_JOINT_LIMIT;
        Self {
            person: vec![0; people],
            person_with_rotation: vec![0; people],
            rotation: vec![0; rotations],
            block: vec![0; blocks],
            joint: if dense_joint {
                vec![0; people * rotations]
            } else {
                Vec::new()
            },
            sparse_joint: Vec::new(),
            rotations,
            dense_joint,
            counted: 0,
        }
    }

    /// Counts a batch of assignments given as parallel columns.
    ///
    /// # Panics
    /// If the columns differ in length or an id is out of range; callers build the columns
    /// from a validated [`Schedule`].
    pub fn count(&mut self, persons: &[u32], rotations: &[u32], blocks: &[u32]) {
        assert!(persons.len() == rotations.len() && persons.len() == blocks.len());
        if self.dense_joint {
            // Hot loop: three increments per assignment. Rotation and person-with-rotation
            // counts are the margins of the joint table, summed once in `finish`.
            let width = self.rotations;
            for ((&p, &r), &b) in persons.iter().zip(rotations).zip(blocks) {
                self.person[p as usize] += 1;
                self.block[b as usize] += 1;
                if r != NO_ROTATION {
                    self.joint[p as usize * width + r as usize] += 1;
                }
            }
        } else {
            for ((&p, &r), &b) in persons.iter().zip(rotations).zip(blocks) {
                let p = p as usize;
                self.person[p] += 1;
                self.block[b as usize] += 1;
                if r != NO_ROTATION {
                    let r = r as usize;
                    self.rotation[r] += 1;
                    self.person_with_rotation[p] += 1;
                    self.sparse_joint.push(((p as u64) << 32) | r as u64);
                }
            }
        }
        self.counted += persons.len() as u64;
    }

    /// The report, normalising person entropy by `roster_size`.
    pub fn finish(mut self, roster_size: usize) -> EntropyReport {
        if self.dense_joint && self.rotations > 0 {
            for (p, row) in self.joint.chunks_exact(self.rotations).enumerate() {
                self.person_with_rotation[p] = row.iter().sum();
                for (total, &n) in self.rotation.iter_mut().zip(row) {
                    *total += n;
                }
            }
        }
        let h_person = shannon_from_counts(self.person.iter().copied());
        let h_time = shannon_from_counts(self.block.iter().copied());
        let h_rotation = shannon_from_counts(self.rotation.iter().copied());
        let h_person_sub = shannon_from_counts(self.person_with_rotation.iter().copied());
        let h_joint = if self.dense_joint {
            shannon_from_counts(self.joint.iter().copied())
        } else {
            self.sparse_joint.sort_unstable();
            let runs = self
                .sparse_joint
                .chunk_by(|a, b| a == b)
                .map(|r| r.len() as u64);
            shannon_from_counts(runs.collect::<Vec<_>>())
        };
        let with_rotation: u64 = self.rotation.iter().sum();
        let (mi, p_given_r, r_given_p) = if with_rotation == 0 {
            (0.0, 0.0, 0.0)
        } else {
            (
                (h_person_sub + h_rotation - h_joint).max(0.0),
                (h_joint - h_rotation).max(0.0),
                (h_joint - h_person_sub).max(0.0),
            )
        };
        EntropyReport {
            person_entropy: h_person,
            rotation_entropy: h_rotation,
            time_entropy: h_time,
            joint_entropy: h_joint,
            mutual_information: mi,
            person_given_rotation: p_given_r,
            rotation_given_person: r_given_p,
            normalized_entropy: normalized_entropy(h_person, roster_size),
            assignments_counted: self.counted,
        }
    }
}

/// H / log2(roster size), clamped to [0, 1]; 0 when the roster has at most one person.
pub fn normalized_entropy(person_entropy: f64, roster_size: usize) -> f64 {
    if roster_size <= 1 {
        return 0.0;
    }
    (person_entropy / (roster_size as f64).log2()).clamp(0.0, 1.0)
}

/// Entropy of the assignments of `schedule` dated in `[from, to)` (`None` = unbounded).
pub fn schedule_entropy_between(
    schedule: &Schedule,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> EntropyReport {
    let in_window: Vec<bool> = schedule
        .blocks
        .iter()
        .map(|b| from.is_none_or(|f| b.date >= f) && to.is_none_or(|t| b.date < t))
        .collect();
    let n = schedule.assignments.len();
    let mut persons = Vec::with_capacity(n);
    let mut rotations = Vec::with_capacity(n);
    let mut blocks = Vec::with_capacity(n);
    for a in schedule
        .assignments
        .iter()
        .filter(|a| in_window[a.block.index()])
    {
        persons.push(a.person.0);
        rotations.push(a.rotation.map_or(NO_ROTATION, |r| r.0));
        blocks.push(a.block.0);
    }
    let mut counter = EntropyCounter::new(
        schedule.people.len(),
        schedule.rotations.len(),
        schedule.blocks.len(),
    );
    counter.count(&persons, &rotations, &blocks);
    counter.finish(schedule.people.len())
}

/// Entropy of every assignment of `schedule`.
pub fn schedule_entropy(schedule: &Schedule) -> EntropyReport {
    schedule_entropy_between(schedule, None, None)
}

/// Entropy production rate between two measurements of person entropy, in bits per hour:
/// max(0, S_new − S_old) / Δt. Decreases (entropy exported by reorganisation) count as 0.
pub fn entropy_production_rate(
    old_bits: f64,
    new_bits: f64,
    hours: f64,
) -> Result<f64, EntropyError> {
    for (field, value) in [
        ("old entropy", old_bits),
        ("new entropy", new_bits),
        ("time delta", hours),
    ] {
        if !value.is_finite() {
            return Err(EntropyError::NonFinite { field, value });
        }
    }
    if hours <= 0.0 {
        return Err(EntropyError::NonPositiveTimeDelta { hours });
    }
    Ok((new_bits - old_bits).max(0.0) / hours)
}

/// Lag-1 autocorrelation with the common mean and the n-denominator (the reference
/// convention): Σ(x_i−x̄)(x_{i+1}−x̄) / Σ(x_i−x̄)². 0 for fewer than 3 points or a constant series.
pub fn lag1_autocorrelation(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 3 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let den: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    if den == 0.0 {
        return 0.0;
    }
    let num: f64 = values
        .windows(2)
        .map(|w| (w[0] - mean) * (w[1] - mean))
        .sum();
    num / den
}

/// Decides whether an entropy history shows critical slowing down.
///
/// This is the hook through which the early-warning engine plugs its significance-tested
/// detector into the [`EntropyMonitor`].
pub trait CriticalSlowingRule: std::fmt::Debug + Send + Sync {
    /// `values` are the entropy history (bits, oldest first), `hours` the matching times in
    /// hours since the first measurement.
    fn detect(&self, values: &[f64], hours: &[f64]) -> bool;
}

/// The reference rule: lag-1 autocorrelation of the last `window` values above
/// `autocorrelation_threshold` while the entropy is nearly flat (|endpoint slope per
/// measurement over the same window| below `max_rate`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdSlowingRule {
    /// Number of most recent measurements examined (default 10).
    pub window: usize,
    /// Lag-1 autocorrelation above which recovery is "slow" (default 0.8).
    pub autocorrelation_threshold: f64,
    /// Largest |bits per measurement| still counted as flat (default 0.1).
    pub max_rate: f64,
}

impl Default for ThresholdSlowingRule {
    fn default() -> Self {
        Self {
            window: 10,
            autocorrelation_threshold: 0.8,
            max_rate: 0.1,
        }
    }
}

impl CriticalSlowingRule for ThresholdSlowingRule {
    fn detect(&self, values: &[f64], _hours: &[f64]) -> bool {
        if values.len() < self.window.max(3) {
            return false;
        }
        let recent = &values[values.len() - self.window..];
        lag1_autocorrelation(recent) > self.autocorrelation_threshold
            && endpoint_rate(recent).abs() < self.max_rate
    }
}

/// (last − first) / (n − 1): change per measurement; 0 for fewer than 2 values.
fn endpoint_rate(values: &[f64]) -> f64 {
    match values {
        [] | [_] => 0.0,
        [first, .., last] => (last - first) / (values.len() - 1) as f64,
    }
}

/// One monitor measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntropyMeasurement {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// Person entropy, bits.
    pub entropy: f64,
    /// Production rate since the previous measurement, bits per hour (`None` for the first).
    pub production_rate: Option<f64>,
}

/// The monitor's current state, as reported by the API and the health report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntropyMonitorState {
    /// Latest person entropy, bits (0 with no measurement).
    pub current_entropy: f64,
    /// (last − first)/(n − 1) over the history: bits per measurement.
    pub rate_of_change: f64,
    /// Least-squares slope of entropy against time over the history, bits per hour.
    pub slope_bits_per_hour: f64,
    /// Latest production rate, bits per hour (0 before the second measurement).
    pub production_rate: f64,
    /// Whether the critical-slowing rule fires.
    pub critical_slowing: bool,
    /// Number of measurements held.
    pub measurements: usize,
}

/// A bounded history of schedule entropy with production rates and a critical-slowing check.
///
/// Timestamps are passed in (the core has no clock) and must increase strictly.
#[derive(Debug)]
pub struct EntropyMonitor {
    capacity: usize,
    history: VecDeque<EntropyMeasurement>,
    rule: Box<dyn CriticalSlowingRule>,
}

impl EntropyMonitor {
    /// Default number of measurements kept.
    pub const DEFAULT_CAPACITY: usize = 100;

    /// A monitor keeping the last `capacity` (≥ 2) measurements, with the threshold rule.
    pub fn new(capacity: usize) -> Self {
        Self::with_rule(capacity, Box::new(ThresholdSlowingRule::default()))
    }

    /// A monitor with a custom critical-slowing rule.
    pub fn with_rule(capacity: usize, rule: Box<dyn CriticalSlowingRule>) -> Self {
        let capacity = capacity.max(2);
        Self {
            capacity,
            history: VecDeque::with_capacity(capacity),
            rule,
        }
    }

    /// Records the person entropy of `schedule` at time `at`.
    pub fn update_schedule(
        &mut self,
        at: DateTime<Utc>,
        schedule: &Schedule,
    ) -> Result<(), EntropyError> {
        self.update(at, schedule_entropy(schedule).person_entropy)
    }

    /// Records a person-entropy measurement (bits) taken at `at`.
    pub fn update(&mut self, at: DateTime<Utc>, entropy_bits: f64) -> Result<(), EntropyError> {
        if !entropy_bits.is_finite() {
            return Err(EntropyError::NonFinite {
                field: "entropy",
                value: entropy_bits,
            });
        }
        let production_rate = match self.history.back() {
            None => None,
            Some(prev) => {
                let hours = (at - prev.at).num_milliseconds() as f64 / 3_600_000.0;
                Some(entropy_production_rate(prev.entropy, entropy_bits, hours)?)
            }
        };
        if self.history.len() == self.capacity {
            self.history.pop_front();
        }
        self.history.push_back(EntropyMeasurement {
            at,
            entropy: entropy_bits,
            production_rate,
        });
        Ok(())
    }

    /// The measurements held, oldest first.
    pub fn history(&self) -> impl ExactSizeIterator<Item = &EntropyMeasurement> {
        self.history.iter()
    }

    /// Entropy values held, oldest first.
    pub fn values(&self) -> Vec<f64> {
        self.history.iter().map(|m| m.entropy).collect()
    }

    /// Hours since the first measurement held, for each measurement.
    pub fn hours(&self) -> Vec<f64> {
        let Some(first) = self.history.front() else {
            return Vec::new();
        };
        self.history
            .iter()
            .map(|m| (m.at - first.at).num_milliseconds() as f64 / 3_600_000.0)
            .collect()
    }

    /// Production rates held (bits per hour), oldest first.
    pub fn production_rates(&self) -> Vec<f64> {
        self.history
            .iter()
            .filter_map(|m| m.production_rate)
            .collect()
    }

    /// Whether the critical-slowing rule fires on the history.
    pub fn detect_critical_slowing(&self) -> bool {
        self.rule.detect(&self.values(), &self.hours())
    }

    /// The current state.
    pub fn state(&self) -> EntropyMonitorState {
        let values = self.values();
        let hours = self.hours();
        EntropyMonitorState {
            current_entropy: values.last().copied().unwrap_or(0.0),
            rate_of_change: endpoint_rate(&values),
            slope_bits_per_hour: least_squares_slope(&hours, &values),
            production_rate: self
                .history
                .back()
                .and_then(|m| m.production_rate)
                .unwrap_or(0.0),
            critical_slowing: self.rule.detect(&values, &hours),
            measurements: values.len(),
        }
    }
}

/// Ordinary least-squares slope of y on x; 0 when x has no spread.
fn least_squares_slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for i in 0..n {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shannon_basics() {
        assert_eq!(shannon::<u8>(&[]), 0.0);
        assert_eq!(shannon(&[1, 2, 3, 4]), 2.0);
        assert_eq!(shannon(&[7, 7, 7]).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn mi_rejects_unequal_lengths() {
        assert!(matches!(
            mutual_information(&[1, 2], &[1]),
            Err(EntropyError::LengthMismatch { left: 2, right: 1 })
        ));
        assert!(conditional_entropy(&[1], &[1, 2]).is_err());
    }

    #[test]
    fn production_rate_rejects_non_positive_delta() {
        assert!(matches!(
            entropy_production_rate(1.0, 2.0, 0.0),
            Err(EntropyError::NonPositiveTimeDelta { .. })
        ));
        assert!(entropy_production_rate(2.0, 1.0, -1.0).is_err());
        assert!(entropy_production_rate(f64::NAN, 1.0, 1.0).is_err());
        assert_eq!(entropy_production_rate(2.0, 1.0, 1.0).unwrap(), 0.0);
    }

    #[test]
    fn sparse_joint_matches_dense_joint() {
        let persons = [0u32, 1, 2, 0, 1, 2, 0];
        let rotations = [0u32, 1, NO_ROTATION, 1, 1, 0, 0];
        let blocks = [0u32, 0, 1, 1, 2, 2, 3];
        let mut dense = EntropyCounter::new(3, 2, 4);
        dense.count(&persons, &rotations, &blocks);
        let mut sparse = EntropyCounter::new(3, 2, 4);
        sparse.dense_joint = false;
        sparse.joint.clear();
        sparse.count(&persons, &rotations, &blocks);
        let (d, s) = (dense.finish(3), sparse.finish(3));
        assert!((d.joint_entropy - s.joint_entropy).abs() < 1e-12);
        assert!((d.mutual_information - s.mutual_information).abs() < 1e-12);
    }

    #[test]
    fn monitor_rejects_non_increasing_time_and_keeps_capacity() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut m = EntropyMonitor::new(3);
        m.update(t0, 1.0).unwrap();
        assert!(m.update(t0, 1.5).is_err());
        for h in 1..5 {
            m.update(t0 + chrono::Duration::hours(h), 1.0 + h as f64 * 0.5)
                .unwrap();
        }
        assert_eq!(m.history().len(), 3);
        assert_eq!(m.production_rates(), vec![0.5, 0.5, 0.5]);
        let s = m.state();
        assert_eq!(s.measurements, 3);
        assert!((s.slope_bits_per_hour - 0.5).abs() < 1e-12);
        assert_eq!(s.rate_of_change, 0.5);
    }
}
