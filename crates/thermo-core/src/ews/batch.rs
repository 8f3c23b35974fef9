//! The rolling indicators of a whole series in one pass, the same numbers as
//! [`super::EwsStream`] bit for bit.
//!
//! The stream keeps each window in its own queue with its own sums (the residuals' power
//! sums, and per lag the totals again with the lagged-pair sums). Over a series held in
//! memory the window is a slice of it, so here the values leaving the window are read
//! back from the series, one set of residual sums Σd, Σd² serves the moments and every lag
//! (they are the same sums, updated by the same operations in the same order, so the
//! stream's separate copies hold identical bits and take identical re-anchoring
//! decisions), and each indicator is written straight into its output column.

use super::{Convention, EwsStream, Indicator};
use crate::stats::describe::{ShapeEstimator, shape_kurt, shape_skew};
use crate::stats::moments::{NeumaierSum, ROUNDING_FLOOR};

/// Compensated power sums Σd, …, Σd^powers (powers 2 or 4) of d = x − shift over a
/// window of a slice, with the stream's update and re-anchoring rules.
struct SliceSums {
    capacity: usize,
    powers: usize,
    shift: f64,
    s: [NeumaierSum; 4],
    run: usize,
    since_anchor: usize,
}

/// Lagged-pair sums of one lag (pairs (x_{i−lag}, x_i) inside the window).
#[derive(Default)]
struct LagSums {
    a: NeumaierSum,
    b: NeumaierSum,
    aa: NeumaierSum,
    bb: NeumaierSum,
    ab: NeumaierSum,
    count: i64,
}

impl LagSums {
    #[inline(always)]
    fn add(&mut self, a: f64, b: f64) {
        self.a.add(a);
        self.b.add(b);
        self.aa.add(a * a);
        self.bb.add(b * b);
        self.ab.add(a * b);
        self.count += 1;
    }

    /// Removes a pair: the stream adds the negated terms, (−a)·a = −(a·a) exactly.
    #[inline(always)]
    fn remove(&mut self, a: f64, b: f64) {
        self.a.add(-a);
        self.b.add(-b);
        self.aa.add(-a * a);
        self.bb.add(-b * b);
        self.ab.add(-a * b);
        self.count -= 1;
    }
}

impl SliceSums {
    fn new(capacity: usize, powers: usize) -> Self {
        Self {
            capacity,
            powers,
            shift: 0.0,
            s: [NeumaierSum::default(); 4],
            run: 0,
            since_anchor: 0,
        }
    }

    #[inline(always)]
    fn add_powers(&mut self, d: f64, sign: f64) {
        let d2 = d * d;
        self.s[0].add(sign * d);
        self.s[1].add(sign * d2);
        if self.powers > 2 {
            self.s[2].add(sign * d2 * d);
            self.s[3].add(sign * d2 * d2);
        }
    }

    /// Pushes `xs[i]` (every earlier value was pushed in order), updating `lags` too.
    #[inline(always)]
    fn push(&mut self, xs: &[f64], i: usize, lags: &mut [(usize, LagSums)]) {
        let x = xs[i];
        if i == 0 {
            self.shift = x;
        }
        let c = self.shift;
        let cap = self.capacity;
        if i >= cap {
            let old = xs[i - cap] - c;
            self.add_powers(old, -1.0);
            for (lag, sums) in lags.iter_mut() {
                if *lag < cap {
                    sums.remove(old, xs[i - cap + *lag] - c);
                }
            }
        }
        // Values held before this one, after the eviction.
        let held = i.min(cap - 1);
        for (lag, sums) in lags.iter_mut() {
            if held >= *lag {
                sums.add(xs[i - *lag] - c, x - c);
            }
        }
        self.run = if i > 0 && xs[i - 1] == x {
            self.run + 1
        } else {
            1
        };
        self.add_powers(x - c, 1.0);
        self.since_anchor += 1;
        if self.since_anchor >= (cap / 2).max(1) {
            let n = (held + 1) as f64;
            let drift = self.s[0].value() / n;
            let spread = (self.s[1].value() / n - drift * drift).max(0.0);
            if drift * drift > 64.0 * spread {
                self.reanchor(drift, &xs[i - held..=i], lags);
            }
        }
    }

    /// Moves the shift by `drift` and rebuilds every sum of `window` about it.
    #[cold]
    #[inline(never)]
    fn reanchor(&mut self, drift: f64, window: &[f64], lags: &mut [(usize, LagSums)]) {
        self.shift += drift;
        let c = self.shift;
        self.s = [NeumaierSum::default(); 4];
        for (_, sums) in lags.iter_mut() {
            *sums = LagSums::default();
        }
        for (k, &x) in window.iter().enumerate() {
            self.add_powers(x - c, 1.0);
            for (lag, sums) in lags.iter_mut() {
                if k >= *lag {
                    sums.add(window[k - *lag] - c, x - c);
                }
            }
        }
        self.since_anchor = 0;
    }

    fn is_constant(&self, len: usize) -> bool {
        self.run >= len
    }

    /// M2 = Σ(x − x̄)² (as `RollingMeanVariance`).
    #[inline(always)]
    fn central2(&self, len: usize) -> f64 {
        if self.is_constant(len) {
            return 0.0;
        }
        let n = len as f64;
        let s1 = self.s[0].value();
        let s2 = self.s[1].value();
        let m2 = (s2 - s1 * (s1 / n)).max(0.0);
        if m2 <= ROUNDING_FLOOR * s2 { 0.0 } else { m2 }
    }

    /// (M2, M3, M4) (as `RollingMoments::central_sums`).
    #[inline(always)]
    fn central_sums(&self, len: usize) -> (f64, f64, f64) {
        if self.is_constant(len) {
            return (0.0, 0.0, 0.0);
        }
        let n = len as f64;
        let s1 = self.s[0].value();
        let s2 = self.s[1].value();
        let s3 = self.s[2].value();
        let s4 = self.s[3].value();
        let a = s1 / n;
        let m2 = (s2 - s1 * a).max(0.0);
        let m3 = s3 - 3.0 * a * s2 + 2.0 * a * a * s1;
        let m4 = s4 - 4.0 * a * s3 + 6.0 * a * a * s2 - 3.0 * a * a * a * s1;
        if m2 <= ROUNDING_FLOOR * s2 {
            return (0.0, 0.0, 0.0);
        }
        (m2, m3, m4.max(0.0))
    }

    /// Pearson lag autocorrelation (as `RollingAutocorr::pearson`).
    #[inline(always)]
    fn pearson(&self, len: usize, p: &LagSums) -> Option<f64> {
        let m = p.count as f64;
        if m < 2.0 || self.is_constant(len) {
            return None;
        }
        let (sa, sb) = (p.a.value(), p.b.value());
        let (saa, sbb) = (p.aa.value(), p.bb.value());
        let va = saa - sa * sa / m;
        let vb = sbb - sb * sb / m;
        if va <= ROUNDING_FLOOR * saa || vb <= ROUNDING_FLOOR * sbb {
            return None;
        }
        let cov = p.ab.value() - sa * sb / m;
        Some((cov / (va * vb).sqrt()).clamp(-1.0, 1.0))
    }

    /// Common-mean lag autocorrelation (as `RollingAutocorr::acf`).
    #[inline(always)]
    fn acf(&self, len: usize, p: &LagSums) -> Option<f64> {
        let n = len as f64;
        let m = p.count as f64;
        if m < 2.0 || self.is_constant(len) {
            return None;
        }
        let t1 = self.s[0].value();
        let t2 = self.s[1].value();
        let den = t2 - t1 * t1 / n;
        if den <= ROUNDING_FLOOR * t2 {
            return None;
        }
        let mean = t1 / n;
        let num = p.ab.value() - mean * (p.a.value() + p.b.value()) + m * mean * mean;
        Some(num / den)
    }
}

impl EwsStream {
    /// The indicator columns of a whole series, as pushing every `(state, residual)` pair
    /// through a new stream with these settings would give them (the same bits): column j
    /// holds indicator j, `None` until the window is full. `cols` is resized to the
    /// indicators and each column refilled; the stream itself is not changed.
    pub(crate) fn fill_columns(
        &self,
        state: &[f64],
        residuals: &[f64],
        cols: &mut Vec<Vec<Option<f64>>>,
    ) {
        let n = residuals.len();
        let w = self.window;
        cols.resize_with(self.indicators.len(), Vec::new);
        for c in cols.iter_mut() {
            c.clear();
            c.resize(n, None);
        }
        let moments = self.residual.is_some() || self.residual_spread.is_some();
        let mut res = SliceSums::new(w, if self.residual.is_some() { 4 } else { 2 });
        let mut lags: Vec<(usize, LagSums)> = self
            .lags
            .iter()
            .map(|l| (l.lag(), LagSums::default()))
            .collect();
        let mut st = self.state.as_ref().map(|_| SliceSums::new(w, 2));
        let mut pearson: Vec<Option<f64>> = vec![None; lags.len()];
        let track_residuals = moments || !lags.is_empty();
        // `i` is the sample position: read from both series and written into every column.
        #[allow(clippy::needless_range_loop)]
        for i in 0..n {
            if track_residuals {
                res.push(residuals, i, &mut lags);
            }
            if let Some(st) = &mut st {
                st.push(state, i, &mut []);
            }
            if i + 1 < w {
                continue;
            }
            let len = w;
            let (m2, m3, m4) = if self.residual.is_some() {
                res.central_sums(len)
            } else if moments {
                (res.central2(len), 0.0, 0.0)
            } else {
                (0.0, 0.0, 0.0)
            };
            let nf = if moments { len as f64 } else { 0.0 };
            let variance = (nf > 1.0).then(|| m2 / (nf - 1.0));
            let (skew, kurt) = if self.shape {
                (
                    shape_skew(nf, m2, m3, ShapeEstimator::Adjusted, m2 == 0.0),
                    shape_kurt(nf, m2, m4, ShapeEstimator::Adjusted, m2 == 0.0),
                )
            } else {
                (None, None)
            };
            for (p, (_, sums)) in pearson.iter_mut().zip(&lags) {
                *p = res.pearson(len, sums);
            }
            for (j, &ind) in self.indicators.iter().enumerate() {
                let v = match ind {
                    Indicator::Variance => variance,
                    Indicator::Std => variance.map(f64::sqrt),
                    Indicator::Cv => st.as_ref().and_then(|s| {
                        let mean = s.shift + s.s[0].value() / len as f64;
                        let sd = match self.convention {
                            Convention::Native => (s.central2(len) / (len - 1) as f64).sqrt(),
                            Convention::Ewstools => variance?.sqrt(),
                        };
                        (mean != 0.0).then(|| sd / mean)
                    }),
                    Indicator::Ac(_) => pearson[self.lag_slot[j]],
                    Indicator::Acf(_) => res.acf(len, &lags[self.lag_slot[j]].1),
                    Indicator::Skew => skew,
                    Indicator::Kurtosis => kurt,
                    Indicator::ReturnRate => pearson[self.lag_slot[j]].map(|r| 1.0 - r),
                    Indicator::Flicker => skew.zip(kurt).and_then(|(g1, g2)| {
                        let den = g2 + 3.0 * (nf - 1.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0));
                        (den > 0.0).then(|| (g1 * g1 + 1.0) / den)
                    }),
                };
                cols[j][i] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn streamed(
        state: &[f64],
        residuals: &[f64],
        window: usize,
        indicators: &[Indicator],
        convention: Convention,
    ) -> Vec<Vec<Option<u64>>> {
        let mut s = EwsStream::new(window, indicators, convention).unwrap();
        let mut cols = vec![Vec::new(); indicators.len()];
        for (&x, &r) in state.iter().zip(residuals) {
            for (c, v) in cols.iter_mut().zip(s.push(x, r)) {
                c.push(v.map(f64::to_bits));
            }
        }
        cols
    }

    fn batched(
        state: &[f64],
        residuals: &[f64],
        window: usize,
        indicators: &[Indicator],
        convention: Convention,
    ) -> Vec<Vec<Option<u64>>> {
        let s = EwsStream::new(window, indicators, convention).unwrap();
        let mut cols = Vec::new();
        s.fill_columns(state, residuals, &mut cols);
        cols.iter()
            .map(|c| c.iter().map(|v| v.map(f64::to_bits)).collect())
            .collect()
    }

    fn indicator_sets() -> Vec<Vec<Indicator>> {
        let mut all = Indicator::all(1);
        all.extend([Indicator::Ac(3), Indicator::Acf(2), Indicator::Ac(40)]);
        vec![
            all,
            vec![Indicator::Variance],
            vec![Indicator::Ac(1)],
            vec![Indicator::Acf(2), Indicator::Cv],
            vec![Indicator::Skew, Indicator::Ac(1)],
            vec![Indicator::Cv],
        ]
    }

    proptest! {
        #[test]
        fn batch_columns_are_the_streamed_bits(
            xs in prop::collection::vec(-1e3f64..1e3, 2..160),
            level in -1e6f64..1e6,
            drift in -50f64..50.0,
            plateau in 0usize..40,
            window in 2usize..40,
            ewstools in any::<bool>(),
        ) {
            // A drifting level forces re-anchoring; a plateau gives constant windows.
            let residuals: Vec<f64> = xs
                .iter()
                .enumerate()
                .map(|(i, &x)| if i < plateau { 7.0 } else { level + drift * i as f64 + x })
                .collect();
            let state: Vec<f64> = residuals.iter().map(|r| r * 0.5 + 3.0).collect();
            let convention = if ewstools { Convention::Ewstools } else { Convention::Native };
            for inds in indicator_sets() {
                prop_assert_eq!(
                    batched(&state, &residuals, window, &inds, convention),
                    streamed(&state, &residuals, window, &inds, convention)
                );
            }
        }
    }

    #[test]
    fn constant_and_tiny_series_match_the_stream() {
        let flat = vec![4.0; 30];
        let short = vec![1.0, 2.0];
        for xs in [&flat, &short] {
            for inds in indicator_sets() {
                assert_eq!(
                    batched(xs, xs, 2, &inds, Convention::Native),
                    streamed(xs, xs, 2, &inds, Convention::Native)
                );
                assert_eq!(
                    batched(xs, xs, 25, &inds, Convention::Native),
                    streamed(xs, xs, 25, &inds, Convention::Native)
                );
            }
        }
    }
}
