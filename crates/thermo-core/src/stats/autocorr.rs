//! Lag-k autocorrelation, two estimators, static and rolling.
//!
//! - **`ac`** ([`pearson_autocorr`]): the Pearson correlation of the lagged pairs
//!   (x₀..x_{n−k−1}) and (x_k..x_{n−1}), each half with its own mean and spread; this is
//!   pandas' `Series.autocorr(lag)` and what ewstools reports as `ac1`.
//! - **`acf`** ([`acf`]): Σ_{i<n−k}(x_i − x̄)(x_{i+k} − x̄) / Σ(x_i − x̄)² with the common
//!   mean and the n-denominator; this is R's `acf()`, statsmodels' `acf` and the reference
//!   Python layer's convention. For a linear ramp of n points acf₁ = 1 − 3/n.
//!
//! Both are dimensionless in [−1, 1] and `None` when undefined (a constant window, or fewer
//! than k + 2 points), never NaN.

use std::collections::VecDeque;

use super::moments::{NeumaierSum, ROUNDING_FLOOR};

/// Common-mean, n-denominator lag-`lag` autocorrelation (see the module docs).
pub fn acf(values: &[f64], lag: usize) -> Option<f64> {
    let n = values.len();
    if lag == 0 || n < lag + 2 || values.windows(2).all(|w| w[0] == w[1]) {
        return None;
    }
    let m = super::describe::mean(values)?;
    let mut den = NeumaierSum::default();
    values.iter().for_each(|&v| den.add((v - m) * (v - m)));
    let mut num = NeumaierSum::default();
    for i in 0..n - lag {
        num.add((values[i] - m) * (values[i + lag] - m));
    }
    let den = den.value();
    (den > 0.0).then(|| num.value() / den)
}

/// Pearson correlation of the lag-`lag` pairs (pandas `Series.autocorr`), see module docs.
pub fn pearson_autocorr(values: &[f64], lag: usize) -> Option<f64> {
    let n = values.len();
    if lag == 0 || n < lag + 2 {
        return None;
    }
    pearson(&values[..n - lag], &values[lag..])
}

/// Pearson correlation of two equal-length slices; `None` if either is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let constant = |s: &[f64]| s.windows(2).all(|w| w[0] == w[1]);
    if constant(a) || constant(b) {
        return None;
    }
    let ma = super::describe::mean(a)?;
    let mb = super::describe::mean(b)?;
    let (mut sab, mut saa, mut sbb) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for (&x, &y) in a.iter().zip(b) {
        sab.add((x - ma) * (y - mb));
        saa.add((x - ma) * (x - ma));
        sbb.add((y - mb) * (y - mb));
    }
    let den = (saa.value() * sbb.value()).sqrt();
    (den > 0.0).then(|| (sab.value() / den).clamp(-1.0, 1.0))
}

#[derive(Debug, Clone, Copy, Default)]
struct PairSums {
    a: NeumaierSum,
    b: NeumaierSum,
    aa: NeumaierSum,
    bb: NeumaierSum,
    ab: NeumaierSum,
    count: i64,
}

impl PairSums {
    #[inline]
    fn add(&mut self, a: f64, b: f64, sign: f64) {
        self.a.add(sign * a);
        self.b.add(sign * b);
        self.aa.add(sign * a * a);
        self.bb.add(sign * b * b);
        self.ab.add(sign * a * b);
        self.count += sign as i64;
    }
}

/// Both lag-k autocorrelations of a fixed-length window, updated in O(1) per value.
#[derive(Debug, Clone)]
pub struct RollingAutocorr {
    capacity: usize,
    lag: usize,
    window: VecDeque<f64>,
    shift: f64,
    pairs: PairSums,
    total: NeumaierSum,
    total_sq: NeumaierSum,
    run: usize,
    since_anchor: usize,
}

impl RollingAutocorr {
    /// A window of `capacity` values and lag `lag` (≥ 1).
    pub fn new(capacity: usize, lag: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            lag: lag.max(1),
            window: VecDeque::with_capacity(capacity + 1),
            shift: 0.0,
            pairs: PairSums::default(),
            total: NeumaierSum::default(),
            total_sq: NeumaierSum::default(),
            run: 0,
            since_anchor: 0,
        }
    }

    /// Empties the window: the same state as [`RollingAutocorr::new`], keeping the buffer.
    pub fn clear(&mut self) {
        self.window.clear();
        self.shift = 0.0;
        self.pairs = PairSums::default();
        self.total = NeumaierSum::default();
        self.total_sq = NeumaierSum::default();
        self.run = 0;
        self.since_anchor = 0;
    }

    /// The lag.
    pub fn lag(&self) -> usize {
        self.lag
    }

    /// Appends `x`, evicting the oldest value when full. O(1) amortised.
    pub fn push(&mut self, x: f64) {
        if self.window.is_empty() {
            self.shift = x;
        }
        let c = self.shift;
        if self.window.len() == self.capacity
            && let Some(old) = self.window.pop_front()
        {
            if self.lag < self.capacity {
                let partner = self.window[self.lag - 1];
                self.pairs.add(old - c, partner - c, -1.0);
            }
            self.total.add(-(old - c));
            self.total_sq.add(-(old - c) * (old - c));
        }
        let len = self.window.len();
        if len >= self.lag {
            let a = self.window[len - self.lag];
            self.pairs.add(a - c, x - c, 1.0);
        }
        self.run = if self.window.back() == Some(&x) {
            self.run + 1
        } else {
            1
        };
        self.window.push_back(x);
        self.total.add(x - c);
        self.total_sq.add((x - c) * (x - c));
        self.since_anchor += 1;
        self.maybe_reanchor();
    }

    fn maybe_reanchor(&mut self) {
        if self.since_anchor < (self.capacity / 2).max(1) {
            return;
        }
        let n = self.window.len() as f64;
        let drift = self.total.value() / n;
        let spread = (self.total_sq.value() / n - drift * drift).max(0.0);
        if drift * drift <= 64.0 * spread {
            return;
        }
        self.shift += drift;
        let c = self.shift;
        self.pairs = PairSums::default();
        self.total = NeumaierSum::default();
        self.total_sq = NeumaierSum::default();
        for (i, &x) in self.window.iter().enumerate() {
            self.total.add(x - c);
            self.total_sq.add((x - c) * (x - c));
            if i >= self.lag {
                self.pairs.add(self.window[i - self.lag] - c, x - c, 1.0);
            }
        }
        self.since_anchor = 0;
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Pearson lag-k autocorrelation of the window (`ac` estimator).
    pub fn pearson(&self) -> Option<f64> {
        let m = self.pairs.count as f64;
        if m < 2.0 || self.run >= self.window.len() {
            return None;
        }
        let (sa, sb) = (self.pairs.a.value(), self.pairs.b.value());
        let (saa, sbb) = (self.pairs.aa.value(), self.pairs.bb.value());
        let va = saa - sa * sa / m;
        let vb = sbb - sb * sb / m;
        // The lagged halves can be constant while the window is not.
        if va <= ROUNDING_FLOOR * saa || vb <= ROUNDING_FLOOR * sbb {
            return None;
        }
        let cov = self.pairs.ab.value() - sa * sb / m;
        Some((cov / (va * vb).sqrt()).clamp(-1.0, 1.0))
    }

    /// Common-mean lag-k autocorrelation of the window (`acf` estimator).
    pub fn acf(&self) -> Option<f64> {
        let n = self.window.len() as f64;
        let m = self.pairs.count as f64;
        if m < 2.0 || self.run >= self.window.len() {
            return None;
        }
        let t1 = self.total.value();
        let t2 = self.total_sq.value();
        let den = t2 - t1 * t1 / n;
        if den <= ROUNDING_FLOOR * t2 {
            return None;
        }
        let mean = t1 / n;
        let num = self.pairs.ab.value() - mean * (self.pairs.a.value() + self.pairs.b.value())
            + m * mean * mean;
        Some(num / den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn acf_matches_reference_golden() {
        let ramp: Vec<f64> = (1..20).map(f64::from).collect();
        assert_relative_eq!(
            acf(&ramp, 1).unwrap(),
            0.8421052631578947,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            acf(&ramp, 2).unwrap(),
            0.6859649122807018,
            max_relative = 1e-12
        );
        let alt: Vec<f64> = (0..8)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert_relative_eq!(acf(&alt, 1).unwrap(), -0.875, max_relative = 1e-12);
        assert_relative_eq!(acf(&[1.0, 2.0, 4.0], 1).unwrap(), -0.02380952380952381);
        assert_relative_eq!(acf(&[1.0, 2.0, 3.0, 4.0, 5.0], 1).unwrap(), 0.4);
        let r50: Vec<f64> = (0..50).map(f64::from).collect();
        assert_relative_eq!(acf(&r50, 1).unwrap(), 0.94, max_relative = 1e-12);
        // The reference returns 0 here; "no autocorrelation exists" is the honest answer.
        assert_eq!(acf(&[5.0; 4], 1), None);
        assert_eq!(acf(&[1.0], 1), None);
    }

    #[test]
    fn pearson_autocorr_matches_pandas() {
        // pandas.Series([1, 2, 4, 7, 11, 3]).autocorr(1)
        let x = [1.0, 2.0, 4.0, 7.0, 11.0, 3.0];
        assert_relative_eq!(
            pearson_autocorr(&x, 1).unwrap(),
            0.21938936361759873,
            max_relative = 1e-12
        );
        assert_eq!(pearson_autocorr(&[1.0, 1.0, 2.0], 1), None);
    }

    proptest! {
        #[test]
        fn rolling_equals_direct(
            xs in prop::collection::vec(-100f64..100.0, 3..150),
            w in 3usize..30,
            lag in 1usize..3,
        ) {
            let mut r = RollingAutocorr::new(w, lag);
            for i in 0..xs.len() {
                r.push(xs[i] + 1e4);
                let lo = (i + 1).saturating_sub(w);
                let win: Vec<f64> = xs[lo..=i].iter().map(|x| x + 1e4).collect();
                match (r.pearson(), pearson_autocorr(&win, lag)) {
                    (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-7, "{a} {b}"),
                    (None, None) => {}
                    (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
                }
                match (r.acf(), acf(&win, lag)) {
                    (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-7, "{a} {b}"),
                    (None, None) => {}
                    (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
                }
            }
        }
    }
}
