//! Descriptive statistics of a slice: mean, variance, quantiles, Gini, shape, OLS slope.
//!
//! All sums are compensated ([`NeumaierSum`]) and central moments are computed in two
//! passes, so results agree with numpy/pandas/scipy to a few ulp.

use super::moments::NeumaierSum;

/// Arithmetic mean; `None` for an empty slice.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut s = NeumaierSum::default();
    values.iter().for_each(|&v| s.add(v));
    Some(s.value() / values.len() as f64)
}

/// Variance Σ(x − x̄)² / (n − ddof), two-pass; `None` when n ≤ ddof.
///
/// `ddof = 1` is the sample variance (pandas, R), `ddof = 0` the population variance (numpy).
pub fn variance(values: &[f64], ddof: usize) -> Option<f64> {
    if values.len() <= ddof {
        return None;
    }
    let m = mean(values)?;
    let mut s = NeumaierSum::default();
    values.iter().for_each(|&v| s.add((v - m) * (v - m)));
    Some(s.value() / (values.len() - ddof) as f64)
}

/// Central moment sums (M2, M3, M4) = Σ(x − x̄)^k for k = 2, 3, 4; `None` if empty.
fn central_sums(values: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let m = mean(values)?;
    let (mut s2, mut s3, mut s4) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for &v in values {
        let d = v - m;
        let d2 = d * d;
        s2.add(d2);
        s3.add(d2 * d);
        s4.add(d2 * d2);
    }
    Some((values.len() as f64, s2.value(), s3.value(), s4.value()))
}

/// Which moment estimator a shape statistic uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeEstimator {
    /// Plain moment ratios g₁ = m₃/m₂^{3/2}, g₂ = m₄/m₂² − 3 (scipy's `bias=True`).
    Biased,
    /// Bias-adjusted G₁, G₂ (pandas `skew()`/`kurt()`, Excel, SAS).
    Adjusted,
}

/// Skewness (dimensionless). `None` for a constant slice or too few points
/// (n < 3 for the adjusted estimator, n < 2 for the biased one).
pub fn skewness(values: &[f64], estimator: ShapeEstimator) -> Option<f64> {
    let (n, m2, m3, _) = central_sums(values)?;
    shape_skew(n, m2, m3, estimator, is_constant(values))
}

/// Excess kurtosis (dimensionless, 0 for a normal distribution). `None` for a constant
/// slice or too few points (n < 4 adjusted, n < 2 biased).
pub fn kurtosis_excess(values: &[f64], estimator: ShapeEstimator) -> Option<f64> {
    let (n, m2, _, m4) = central_sums(values)?;
    shape_kurt(n, m2, m4, estimator, is_constant(values))
}

fn is_constant(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
}

/// Skewness from n and central sums M2 = Σd², M3 = Σd³.
pub(crate) fn shape_skew(
    n: f64,
    m2: f64,
    m3: f64,
    estimator: ShapeEstimator,
    constant: bool,
) -> Option<f64> {
    if constant || m2 <= 0.0 {
        return None;
    }
    let b = m2 / n;
    let c = m3 / n;
    let g1 = c / (b * b.sqrt());
    match estimator {
        ShapeEstimator::Biased if n >= 2.0 => Some(g1),
        ShapeEstimator::Adjusted if n >= 3.0 => Some((n * (n - 1.0)).sqrt() / (n - 2.0) * g1),
        _ => None,
    }
}

/// Excess kurtosis from n and central sums M2 = Σd², M4 = Σd⁴.
pub(crate) fn shape_kurt(
    n: f64,
    m2: f64,
    m4: f64,
    estimator: ShapeEstimator,
    constant: bool,
) -> Option<f64> {
    if constant || m2 <= 0.0 {
        return None;
    }
    let b = m2 / n;
    let d = m4 / n;
    match estimator {
        ShapeEstimator::Biased if n >= 2.0 => Some(d / (b * b) - 3.0),
        ShapeEstimator::Adjusted if n >= 4.0 => {
            let k = (n * n - 1.0) * d / (b * b) - 3.0 * (n - 1.0) * (n - 1.0);
            Some(k / ((n - 2.0) * (n - 3.0)))
        }
        _ => None,
    }
}

/// Quantile `q` ∈ [0, 1] by linear interpolation between order statistics
/// (Hyndman–Fan type 7, numpy's default); `None` for an empty slice or q outside [0, 1].
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Gini coefficient of non-negative values: Σᵢ(2i − n − 1)·x₍ᵢ₎ / (n·Σx) over the sorted
/// values (0 = perfectly equal, (n−1)/n = one holds everything). `None` for an empty slice,
/// a negative value or a zero total.
pub fn gini(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|&v| v < 0.0) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mut total = NeumaierSum::default();
    let mut weighted = NeumaierSum::default();
    for (i, &v) in sorted.iter().enumerate() {
        total.add(v);
        weighted.add((2.0 * (i as f64 + 1.0) - n - 1.0) * v);
    }
    let total = total.value();
    (total > 0.0).then(|| weighted.value() / (n * total))
}

/// Ordinary least-squares fit y = a + b·x: returns (intercept a, slope b); `None` with
/// fewer than 2 points, mismatched lengths or no spread in x.
pub fn ols_fit(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let mx = mean(x)?;
    let my = mean(y)?;
    let (mut sxy, mut sxx) = (NeumaierSum::default(), NeumaierSum::default());
    for (&xi, &yi) in x.iter().zip(y) {
        sxy.add((xi - mx) * (yi - my));
        sxx.add((xi - mx) * (xi - mx));
    }
    let sxx = sxx.value();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy.value() / sxx;
    Some((my - b * mx, b))
}

/// OLS slope of y on x (units of y per unit of x); see [`ols_fit`].
pub fn ols_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    ols_fit(x, y).map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn mean_and_variance_match_numpy() {
        let x = [1.0, 2.0, 4.0, 7.0];
        assert_eq!(mean(&x), Some(3.5));
        assert_relative_eq!(variance(&x, 0).unwrap(), 5.25);
        assert_relative_eq!(variance(&x, 1).unwrap(), 7.0);
        assert_eq!(variance(&[1.0], 1), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn skew_matches_scipy_biased_golden() {
        // thermo-golden original.skewness "25x1_5x100".
        let mut x = vec![1.0; 25];
        x.extend([100.0; 5]);
        assert_relative_eq!(
            skewness(&x, ShapeEstimator::Biased).unwrap(),
            1.7888543819998317,
            max_relative = 1e-12
        );
        assert_eq!(skewness(&[3.0; 20], ShapeEstimator::Biased), None);
    }

    #[test]
    fn adjusted_shape_matches_pandas() {
        // pandas.Series([1, 2, 4, 7, 11]).skew() / .kurt()
        let x = [1.0, 2.0, 4.0, 7.0, 11.0];
        assert_relative_eq!(
            skewness(&x, ShapeEstimator::Adjusted).unwrap(),
            0.8206099398622183,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            kurtosis_excess(&x, ShapeEstimator::Adjusted).unwrap(),
            -0.4242424242424244,
            max_relative = 1e-12
        );
    }

    #[test]
    fn quantile_type7() {
        let x = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&x, 0.5), Some(2.5));
        assert_eq!(quantile(&x, 0.0), Some(1.0));
        assert_eq!(quantile(&x, 1.0), Some(4.0));
        assert_relative_eq!(quantile(&x, 0.1).unwrap(), 1.3);
        assert_eq!(quantile(&x, 1.5), None);
    }

    #[test]
    fn gini_reference_values() {
        assert_eq!(gini(&[2.0, 2.0, 2.0]), Some(0.0));
        assert_relative_eq!(gini(&[0.0, 0.0, 0.0, 5.0]).unwrap(), 0.75);
        assert_relative_eq!(gini(&[3.0, 2.0, 1.0]).unwrap(), 2.0 / 9.0);
        assert_eq!(gini(&[0.0, 0.0]), None);
        assert_eq!(gini(&[-1.0, 2.0]), None);
    }

    #[test]
    fn ols_recovers_a_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        let (a, b) = ols_fit(&x, &y).unwrap();
        assert_relative_eq!(a, 1.0);
        assert_relative_eq!(b, 2.0);
        assert_eq!(ols_slope(&[1.0, 1.0], &[1.0, 2.0]), None);
    }
}
