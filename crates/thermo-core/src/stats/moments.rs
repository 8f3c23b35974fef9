//! Compensated sums and rolling moments with O(1) updates.
//!
//! [`RollingMoments`] keeps Neumaier-compensated power sums Σ(x − c)^k, k = 1..4, of the
//! values in a fixed-length window about a shift `c`. Adding or removing a value costs O(1).
//! When the window mean drifts far from `c` (relative to the window's spread) the sums are
//! rebuilt about the current mean; this happens at most once per half window, so the
//! amortised cost stays O(1) while the cancellation error stays near machine precision.

use std::collections::VecDeque;

use super::describe::{ShapeEstimator, shape_kurt, shape_skew};

/// Neumaier (improved Kahan) compensated sum: error O(ε) independent of the length.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds `x` (use a negative value to remove one).
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        // The exact rounding error of `sum + x` by Knuth's TwoSum: the same number as
        // Neumaier's branch on |sum| ≥ |x| computes (both are exact), without the branch.
        let x_part = t - self.sum;
        let error = (self.sum - (t - x_part)) + (x - x_part);
        self.compensation += error;
        self.sum = t;
    }

    /// The compensated total.
    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Power sums Σd, …, Σd^P of shifted values d = x − c (P = 2 or 4).
#[derive(Debug, Clone, Copy)]
struct PowerSums<const P: usize> {
    s: [NeumaierSum; P],
}

impl<const P: usize> Default for PowerSums<P> {
    fn default() -> Self {
        Self {
            s: [NeumaierSum::default(); P],
        }
    }
}

impl<const P: usize> PowerSums<P> {
    #[inline]
    fn add(&mut self, d: f64, sign: f64) {
        let d2 = d * d;
        self.s[0].add(sign * d);
        self.s[1].add(sign * d2);
        if P > 2 {
            self.s[2].add(sign * d2 * d);
            self.s[3].add(sign * d2 * d2);
        }
    }
}

/// The shared machinery: a fixed-length window and its power sums about a movable shift.
#[derive(Debug, Clone)]
struct Window<const P: usize> {
    capacity: usize,
    window: VecDeque<f64>,
    shift: f64,
    sums: PowerSums<P>,
    run: usize,
    since_anchor: usize,
}

/// Relative size below which a computed spread is indistinguishable from rounding.
pub(crate) const ROUNDING_FLOOR: f64 = 64.0 * f64::EPSILON;

impl<const P: usize> Window<P> {
    fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            window: VecDeque::with_capacity(capacity + 1),
            shift: 0.0,
            sums: PowerSums::default(),
            run: 0,
            since_anchor: 0,
        }
    }

    fn clear(&mut self) {
        self.window.clear();
        self.shift = 0.0;
        self.sums = PowerSums::default();
        self.run = 0;
        self.since_anchor = 0;
    }

    #[inline]
    fn push(&mut self, x: f64) {
        if self.window.is_empty() {
            self.shift = x;
        }
        if self.window.len() == self.capacity
            && let Some(old) = self.window.pop_front()
        {
            self.sums.add(old - self.shift, -1.0);
        }
        self.run = if self.window.back() == Some(&x) {
            self.run + 1
        } else {
            1
        };
        self.window.push_back(x);
        self.sums.add(x - self.shift, 1.0);
        self.since_anchor += 1;
        self.maybe_reanchor();
    }

    #[inline]
    fn maybe_reanchor(&mut self) {
        if self.since_anchor < (self.capacity / 2).max(1) {
            return;
        }
        let n = self.window.len() as f64;
        let drift = self.sums.s[0].value() / n;
        let spread = (self.sums.s[1].value() / n - drift * drift).max(0.0);
        if drift * drift > 64.0 * spread {
            self.shift += drift;
            self.sums = PowerSums::default();
            for &x in &self.window {
                self.sums.add(x - self.shift, 1.0);
            }
            self.since_anchor = 0;
        }
    }

    fn is_constant(&self) -> bool {
        self.run >= self.window.len()
    }

    fn mean(&self) -> Option<f64> {
        (!self.window.is_empty())
            .then(|| self.shift + self.sums.s[0].value() / self.window.len() as f64)
    }

    /// M2 = Σ(x − x̄)², exactly 0 for a constant window (or a spread at rounding level).
    #[inline]
    fn central2(&self) -> f64 {
        if self.is_constant() {
            return 0.0;
        }
        let n = self.window.len() as f64;
        let s1 = self.sums.s[0].value();
        let s2 = self.sums.s[1].value();
        let m2 = (s2 - s1 * (s1 / n)).max(0.0);
        if m2 <= ROUNDING_FLOOR * s2 { 0.0 } else { m2 }
    }

    fn variance(&self, ddof: usize) -> Option<f64> {
        let n = self.window.len();
        (n > ddof).then(|| self.central2() / (n - ddof) as f64)
    }
}

impl Window<4> {
    #[inline]
    fn central_sums(&self) -> (f64, f64, f64) {
        if self.is_constant() {
            return (0.0, 0.0, 0.0);
        }
        let n = self.window.len() as f64;
        let s1 = self.sums.s[0].value();
        let s2 = self.sums.s[1].value();
        let s3 = self.sums.s[2].value();
        let s4 = self.sums.s[3].value();
        let a = s1 / n;
        let m2 = (s2 - s1 * a).max(0.0);
        let m3 = s3 - 3.0 * a * s2 + 2.0 * a * a * s1;
        let m4 = s4 - 4.0 * a * s3 + 6.0 * a * a * s2 - 3.0 * a * a * a * s1;
        // A spread at rounding level of the raw sums is a constant window in disguise.
        if m2 <= ROUNDING_FLOOR * s2 {
            return (0.0, 0.0, 0.0);
        }
        (m2, m3, m4.max(0.0))
    }
}

/// Moments of the values currently in a fixed-length window, updated in O(1) per value.
#[derive(Debug, Clone)]
pub struct RollingMoments {
    inner: Window<4>,
}

impl RollingMoments {
    /// An empty window holding at most `capacity` (≥ 1) values.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Window::new(capacity),
        }
    }

    /// Empties the window: the same state as [`RollingMoments::new`], keeping the buffer.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    /// Appends `x`, evicting the oldest value when the window is full. O(1) amortised.
    pub fn push(&mut self, x: f64) {
        self.inner.push(x);
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.inner.window.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.inner.window.is_empty()
    }

    /// Whether the window holds `capacity` values.
    pub fn is_full(&self) -> bool {
        self.inner.window.len() == self.inner.capacity
    }

    /// Whether all values held are identical (true for an empty window).
    pub fn is_constant(&self) -> bool {
        self.inner.is_constant()
    }

    /// The values held, oldest first.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &f64> {
        self.inner.window.iter()
    }

    /// Mean of the window; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        self.inner.mean()
    }

    /// Central sums (M2, M3, M4) = Σ(x − x̄)^k; exact zeros for a constant window.
    pub fn central_sums(&self) -> (f64, f64, f64) {
        self.inner.central_sums()
    }

    /// Variance with `ddof` (0 population, 1 sample); `None` when n ≤ ddof.
    /// A constant window has variance exactly 0.
    pub fn variance(&self, ddof: usize) -> Option<f64> {
        self.inner.variance(ddof)
    }

    /// Skewness of the window (see [`super::describe::skewness`]); `None` when constant.
    pub fn skewness(&self, estimator: ShapeEstimator) -> Option<f64> {
        let (m2, m3, _) = self.central_sums();
        shape_skew(self.len() as f64, m2, m3, estimator, m2 == 0.0)
    }

    /// Excess kurtosis of the window; `None` when constant.
    pub fn kurtosis_excess(&self, estimator: ShapeEstimator) -> Option<f64> {
        let (m2, _, m4) = self.central_sums();
        shape_kurt(self.len() as f64, m2, m4, estimator, m2 == 0.0)
    }
}

/// Mean and variance of a fixed-length window, the same numbers as [`RollingMoments`]'s
/// with half the sums (Σd and Σd² only): for indicators that need the level, not the shape.
#[derive(Debug, Clone)]
pub struct RollingMeanVariance {
    inner: Window<2>,
}

impl RollingMeanVariance {
    /// An empty window holding at most `capacity` (≥ 1) values.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Window::new(capacity),
        }
    }

    /// Empties the window: the same state as [`RollingMeanVariance::new`], keeping the buffer.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    /// Appends `x`, evicting the oldest value when the window is full. O(1) amortised.
    pub fn push(&mut self, x: f64) {
        self.inner.push(x);
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.inner.window.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.inner.window.is_empty()
    }

    /// Mean of the window; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        self.inner.mean()
    }

    /// Variance with `ddof`; `None` when n ≤ ddof; exactly 0 for a constant window.
    pub fn variance(&self, ddof: usize) -> Option<f64> {
        self.inner.variance(ddof)
    }

    /// M2 = Σ(x − x̄)², the first of [`RollingMoments::central_sums`] (the same bits).
    pub fn central2(&self) -> f64 {
        self.inner.central2()
    }
}

/// Mean and variance of everything pushed so far (an expanding window), by Welford's
/// update: O(1) per value, numerically stable, no history kept.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExpandingMoments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl ExpandingMoments {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Values pushed.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Mean; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Variance with `ddof` degrees of freedom removed; `None` when `n ≤ ddof`.
    pub fn variance(&self, ddof: usize) -> Option<f64> {
        let ddof = ddof as u64;
        (self.n > ddof).then(|| (self.m2 / (self.n - ddof) as f64).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::describe::{kurtosis_excess, skewness, variance};
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn neumaier_recovers_lost_digits() {
        let mut s = NeumaierSum::default();
        for x in [1.0, 1e100, 1.0, -1e100] {
            s.add(x);
        }
        assert_eq!(s.value(), 2.0);
    }

    #[test]
    fn constant_window_has_zero_variance_and_no_shape() {
        let mut r = RollingMoments::new(4);
        for x in [1.0, 5.0, 5.0, 5.0, 5.0] {
            r.push(x);
        }
        assert!(r.is_constant());
        assert_eq!(r.variance(1), Some(0.0));
        assert_eq!(r.skewness(ShapeEstimator::Adjusted), None);
        r.push(6.0);
        assert!(!r.is_constant());
        assert!(r.variance(1).unwrap() > 0.0);
    }

    proptest! {
        #[test]
        fn rolling_equals_two_pass(
            xs in prop::collection::vec(-1e3f64..1e3, 5..200),
            offset in -1e6f64..1e6,
            w in 4usize..40,
        ) {
            let mut r = RollingMoments::new(w);
            for (i, &x) in xs.iter().enumerate() {
                r.push(x + offset + i as f64 * 10.0);
                let lo = (i + 1).saturating_sub(w);
                let win: Vec<f64> = (lo..=i).map(|j| xs[j] + offset + j as f64 * 10.0).collect();
                let v = variance(&win, 1);
                match (r.variance(1), v) {
                    (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-6)),
                    (a, b) => prop_assert_eq!(a.is_some(), b.is_some()),
                }
                if let (Some(a), Some(b)) = (
                    r.skewness(ShapeEstimator::Adjusted),
                    skewness(&win, ShapeEstimator::Adjusted),
                ) {
                    prop_assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0));
                }
                if let (Some(a), Some(b)) = (
                    r.kurtosis_excess(ShapeEstimator::Adjusted),
                    kurtosis_excess(&win, ShapeEstimator::Adjusted),
                ) {
                    prop_assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0));
                }
            }
        }
    }

    #[test]
    fn mean_variance_window_gives_the_same_bits() {
        let mut full = RollingMoments::new(7);
        let mut level = RollingMeanVariance::new(7);
        for i in 0..200 {
            let x = 1e6 + (i as f64 * 0.37).sin() * 3.0 + if i > 100 { 50.0 } else { 0.0 };
            full.push(x);
            level.push(x);
            assert_eq!(
                full.mean().map(f64::to_bits),
                level.mean().map(f64::to_bits)
            );
            assert_eq!(
                full.variance(1).map(f64::to_bits),
                level.variance(1).map(f64::to_bits)
            );
            assert_eq!(full.central_sums().0.to_bits(), level.central2().to_bits());
        }
    }

    #[test]
    fn mean_follows_the_window() {
        let mut r = RollingMoments::new(3);
        for x in [1.0, 2.0, 3.0, 10.0] {
            r.push(x);
        }
        assert_relative_eq!(r.mean().unwrap(), 5.0);
        assert_eq!(
            r.values().copied().collect::<Vec<_>>(),
            vec![2.0, 3.0, 10.0]
        );
    }

    #[test]
    fn expanding_moments_match_the_batch_mean_and_variance() {
        let xs = [3.0, 1.5, 4.25, -2.0, 8.0, 8.0, 0.125];
        let mut e = ExpandingMoments::new();
        assert_eq!(e.mean(), None);
        for (i, &x) in xs.iter().enumerate() {
            e.push(x);
            let w = &xs[..=i];
            let m = crate::stats::mean(w).unwrap();
            assert!((e.mean().unwrap() - m).abs() < 1e-12);
            match crate::stats::variance(w, 1) {
                Some(v) => assert!((e.variance(1).unwrap() - v).abs() < 1e-12),
                None => assert_eq!(e.variance(1), None),
            }
        }
    }
}
