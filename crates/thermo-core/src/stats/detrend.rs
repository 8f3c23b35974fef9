//! Detrending: a smooth trend is estimated and subtracted, leaving residuals whose
//! fluctuations the early-warning indicators measure.
//!
//! - [`gaussian_smooth`]: Gaussian kernel smoothing in index space with reflected edges,
//!   exactly `scipy.ndimage.gaussian_filter1d(mode="reflect", truncate=4)`; the kernel's
//!   σ is given in points. Direct convolution for narrow kernels, real-input FFT otherwise
//!   (one half-length complex transform planned once and used for the two forward
//!   transforms and the inverse), so 100,000 points with a 20 % bandwidth cost O(n log n),
//!   not O(n·bandwidth).
//! - [`ksmooth_sigma`]: the R `ksmooth` / ewstools bandwidth convention, σ = (0.25/0.675)·bw.
//! - [`lowess`]: locally weighted linear regression with tricube weights and 3 bisquare
//!   robustness iterations, exactly `statsmodels.nonparametric.lowess(frac, it=3, delta=0)`.
//! - [`linear_trend`]: ordinary least squares on time.
//! - first differences are handled by the caller (`x_t − x_{t−1}`).

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::StatsError;
use super::describe::ols_fit;

/// Kernel σ (points) for a ksmooth-style bandwidth `bw_points`: the kernel's quartiles sit at
/// ±0.25·bw, and a Gaussian's quartiles are at ±0.675σ.
pub fn ksmooth_sigma(bw_points: f64) -> f64 {
    (0.25 / 0.675) * bw_points
}

/// Index into 0..n of position `i` under scipy's "reflect" extension (d c b a | a b c d | d c b a).
#[inline]
fn reflect_index(i: i64, n: usize) -> usize {
    let period = 2 * n as i64;
    let m = i.rem_euclid(period);
    if m < n as i64 {
        m as usize
    } else {
        (period - 1 - m) as usize
    }
}

/// The normalised Gaussian kernel of scipy (radius = ⌊4σ + 0.5⌋), centre first: w₀..w_r.
fn gaussian_half_kernel(sigma: f64) -> Vec<f64> {
    let radius = (4.0 * sigma + 0.5) as usize;
    let s2 = sigma * sigma;
    let full: Vec<f64> = (-(radius as i64)..=radius as i64)
        .map(|x| (-0.5 / s2 * (x * x) as f64).exp())
        .collect();
    let total: f64 = full.iter().sum();
    full[radius..].iter().map(|w| w / total).collect()
}

/// Kernel widths below which direct convolution beats the FFT.
const DIRECT_MAX_RADIUS: usize = 48;

/// Gaussian kernel smoothing of `values` with kernel standard deviation `sigma` (points,
/// > 0), reflected edges. Output has the same length and units as the input.
pub fn gaussian_smooth(values: &[f64], sigma: f64) -> Result<Vec<f64>, StatsError> {
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(StatsError::InvalidParameter {
            name: "sigma",
            value: sigma,
            reason: "must be finite and > 0",
        });
    }
    super::check_finite("values", values)?;
    let n = values.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let half = gaussian_half_kernel(sigma);
    let radius = half.len() - 1;
    if radius <= DIRECT_MAX_RADIUS {
        Ok(gaussian_direct(values, &half))
    } else {
        Ok(gaussian_fft(values, &half))
    }
}

fn gaussian_direct(values: &[f64], half: &[f64]) -> Vec<f64> {
    let n = values.len();
    let at = |i: i64| values[reflect_index(i, n)];
    (0..n as i64)
        .map(|i| {
            let mut acc = values[i as usize] * half[0];
            for (j, &w) in half.iter().enumerate().skip(1) {
                acc += (at(i + j as i64) + at(i - j as i64)) * w;
            }
            acc
        })
        .collect()
}

fn gaussian_fft(values: &[f64], half: &[f64]) -> Vec<f64> {
    let n = values.len();
    let r = half.len() - 1;
    let extended = n + 2 * r;
    // Outputs r..r+n never wrap around a circular convolution of length ≥ n + 2r. Both
    // inputs are real, so half-length complex transforms suffice; the length is even.
    let size = 2 * fast_fft_size(extended.max(2 * r + 1).div_ceil(2));
    let mut transform = RealTransform::new(size);
    let mut signal = vec![0.0; size];
    fill_reflected(values, r, &mut signal[..extended]);
    // Kernel laid out circularly around index 0 so the output needs no shift.
    let mut kernel = vec![0.0; size];
    kernel[0] = half[0];
    for (j, &w) in half.iter().enumerate().skip(1) {
        kernel[j] = w;
        kernel[size - j] = w;
    }
    let mut spectrum = transform.forward(&signal);
    let kernel_spectrum = transform.forward(&kernel);
    for (s, k) in spectrum.iter_mut().zip(&kernel_spectrum) {
        *s *= *k;
    }
    transform.inverse(&spectrum, &mut signal);
    let scale = 1.0 / size as f64;
    signal[r..r + n].iter().map(|v| v * scale).collect()
}

/// Real-input discrete Fourier transforms of one even length N through a complex FFT of
/// length M = N/2 (even samples as real parts, odd samples as imaginary parts), with a
/// single plan: the inverse is computed by the forward transform of the conjugate.
struct RealTransform {
    fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
    /// e^{−2πik/N} for k = 0..=M.
    twiddles: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

impl RealTransform {
    fn new(size: usize) -> Self {
        debug_assert!(size >= 2 && size.is_multiple_of(2));
        let half = size / 2;
        let fft = FftPlanner::new().plan_fft_forward(half);
        // e^{−2πik/N} = coarse(⌊k/B⌋)·fine(k mod B): about 2√M sines and cosines instead
        // of M, each product within a few rounding errors of the direct value.
        let block = ((half as f64).sqrt() as usize).max(1);
        let unit = |k: usize| {
            let (sin, cos) = (-std::f64::consts::TAU * k as f64 / size as f64).sin_cos();
            Complex::new(cos, sin)
        };
        let fine: Vec<Complex<f64>> = (0..block).map(unit).collect();
        let mut twiddles = Vec::with_capacity(half + 1);
        for start in (0..=half).step_by(block) {
            let coarse = unit(start);
            let count = block.min(half + 1 - start);
            twiddles.extend(fine[..count].iter().map(|f| coarse * f));
        }
        let scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Self {
            fft,
            twiddles,
            scratch,
        }
    }

    /// The spectrum X_0..X_M of a real sequence of length N.
    fn forward(&mut self, input: &[f64]) -> Vec<Complex<f64>> {
        let half = self.twiddles.len() - 1;
        let mut z: Vec<Complex<f64>> = input
            .chunks_exact(2)
            .map(|p| Complex::new(p[0], p[1]))
            .collect();
        self.fft.process_with_scratch(&mut z, &mut self.scratch);
        // With Z the transform of z (Z_M = Z_0): X_k = E_k + w_k·O_k, where
        // E_k = (Z_k + Z̄_{M−k})/2 and O_k = (Z_k − Z̄_{M−k})/(2i) are the transforms of the
        // even and odd samples.
        let unpack = |a: Complex<f64>, b: Complex<f64>, w: Complex<f64>| {
            let even = (a + b) * 0.5;
            let odd = (a - b) * Complex::new(0.0, -0.5);
            even + w * odd
        };
        let mut spectrum = Vec::with_capacity(half + 1);
        spectrum.push(unpack(z[0], z[0].conj(), self.twiddles[0]));
        spectrum.extend((1..half).map(|k| unpack(z[k], z[half - k].conj(), self.twiddles[k])));
        spectrum.push(unpack(z[0], z[0].conj(), self.twiddles[half]));
        spectrum
    }

    /// N times the real sequence whose spectrum is X_0..X_M (`spectrum`), into `out`
    /// (length N).
    fn inverse(&mut self, spectrum: &[Complex<f64>], out: &mut [f64]) {
        let half = self.twiddles.len() - 1;
        // Z_k = 2·E_k + 2i·O_k with 2·E_k = X_k + X̄_{M−k} and 2·O_k = (X_k − X̄_{M−k})·w̄_k;
        // the inverse transform of Z is the conjugate of the forward transform of Z̄.
        let mut z: Vec<Complex<f64>> = (0..half)
            .map(|k| {
                let a = spectrum[k];
                let b = spectrum[half - k].conj();
                let even = a + b;
                let odd = (a - b) * self.twiddles[k].conj();
                (even + Complex::new(0.0, 1.0) * odd).conj()
            })
            .collect();
        self.fft.process_with_scratch(&mut z, &mut self.scratch);
        for (pair, v) in out.chunks_exact_mut(2).zip(&z) {
            pair[0] = v.re;
            pair[1] = -v.im;
        }
    }
}

/// Writes positions −r, −r+1, … of `values` under scipy's "reflect" extension into `out`
/// (d c b a | a b c d | d c b a), walking the index instead of a division per element.
fn fill_reflected(values: &[f64], r: usize, out: &mut [f64]) {
    let n = values.len();
    let mut idx = reflect_index(-(r as i64), n);
    // The walk direction at position −r: rising on even periods of the reflection.
    let mut rising = (-(r as i64)).rem_euclid(2 * n as i64) < n as i64;
    for slot in out {
        *slot = values[idx];
        if rising {
            if idx + 1 == n {
                rising = false;
            } else {
                idx += 1;
            }
        } else if idx == 0 {
            rising = true;
        } else {
            idx -= 1;
        }
    }
}

/// Smallest 2^a·3^b·5^c ≥ `min` (sizes rustfft transforms fastest).
fn fast_fft_size(min: usize) -> usize {
    let mut best = min.next_power_of_two();
    let mut p5 = 1;
    while p5 < best {
        let mut p35 = p5;
        while p35 < best {
            let mut size = p35;
            while size < min {
                size *= 2;
            }
            best = best.min(size);
            p35 *= 3;
        }
        p5 *= 5;
    }
    best
}

/// LOWESS fit of `y` on sorted `x` (statsmodels `lowess(y, x, frac, it=3, delta=0)`): each
/// fitted value is a local linear regression on the ⌊frac·n⌋ nearest points with tricube
/// weights, repeated with bisquare robustness weights. `frac` ∈ (0, 1]. O(n·frac·n).
pub fn lowess(x: &[f64], y: &[f64], frac: f64) -> Result<Vec<f64>, StatsError> {
    const ROBUSTNESS_ITERATIONS: usize = 3;
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            left: x.len(),
            right: y.len(),
        });
    }
    if !(frac > 0.0 && frac <= 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "frac",
            value: frac,
            reason: "must be in (0, 1]",
        });
    }
    super::check_finite("x", x)?;
    super::check_finite("y", y)?;
    if x.windows(2).any(|w| w[1] < w[0]) {
        return Err(StatsError::InvalidParameter {
            name: "x",
            value: f64::NAN,
            reason: "must be sorted ascending",
        });
    }
    let n = x.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let k = ((frac * n as f64 + 1e-10) as usize).clamp(2.min(n), n);
    let mut resid_weights = vec![1.0; n];
    let mut y_fit = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for _ in 0..=ROBUSTNESS_ITERATIONS {
        y_fit.iter_mut().for_each(|v| *v = 0.0);
        let (mut left, mut right) = (0usize, k);
        let mut i = 0usize;
        loop {
            let xval = x[i];
            while right < n && xval > (x[left] + x[right]) / 2.0 {
                left += 1;
                right += 1;
            }
            let radius = (xval - x[left]).max(x[right - 1] - xval);
            let mut sum_w = 0.0;
            let mut nonzero = 0;
            for j in left..right {
                let d = (x[j] - xval).abs() / radius;
                let c = 1.0 - d * d * d;
                let w = c * c * c * resid_weights[j];
                weights[j] = w;
                sum_w += w;
                nonzero += usize::from(w > 1e-12);
            }
            if nonzero < 2 {
                y_fit[i] = y[i];
            } else {
                for w in &mut weights[left..right] {
                    *w /= sum_w;
                }
                let mut sum_wx = 0.0;
                for j in left..right {
                    sum_wx += weights[j] * x[j];
                }
                let mut sq = 0.0;
                for j in left..right {
                    sq += weights[j] * (x[j] - sum_wx) * (x[j] - sum_wx);
                }
                let sq = sq.max(1e-12);
                let mut fit = 0.0;
                for j in left..right {
                    let p = weights[j] * (1.0 + (xval - sum_wx) * (x[j] - sum_wx) / sq);
                    fit += p * y[j];
                }
                y_fit[i] = fit;
            }
            // Tied x values share the fit (statsmodels' update_indices with delta = 0).
            let mut last = i;
            let mut next = i + 1;
            while next < n && x[next] <= x[last] {
                y_fit[next] = y_fit[last];
                last = next;
                next += 1;
            }
            if last >= n - 1 {
                break;
            }
            i = last + 1;
        }
        resid_weights = residual_weights(y, &y_fit);
    }
    Ok(y_fit)
}

/// Bisquare robustness weights from residuals scaled by 6 × their median absolute value.
fn residual_weights(y: &[f64], fit: &[f64]) -> Vec<f64> {
    let mut abs: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mut sorted = abs.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    for a in &mut abs {
        *a = if median == 0.0 {
            f64::from(u8::from(*a > 0.0))
        } else {
            *a / (6.0 * median)
        };
        if *a > 1.0 {
            *a = 1.0;
        }
        let t = 1.0 - *a * *a;
        *a = t * t;
    }
    abs
}

/// OLS trend a + b·t of `values` on `times`; `None` with fewer than 2 distinct times.
pub fn linear_trend(times: &[f64], values: &[f64]) -> Option<Vec<f64>> {
    let (a, b) = ols_fit(times, values)?;
    Some(times.iter().map(|t| a + b * t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn reflect_matches_scipy_layout() {
        let idx: Vec<usize> = (-5..9).map(|i| reflect_index(i, 4)).collect();
        assert_eq!(idx, vec![3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
    }

    #[test]
    fn fft_path_equals_direct_path() {
        let x: Vec<f64> = (0..500)
            .map(|i| (i as f64 * 0.1).sin() * 3.0 + i as f64 * 0.01)
            .collect();
        let half = gaussian_half_kernel(30.0);
        let a = gaussian_direct(&x, &half);
        let b = gaussian_fft(&x, &half);
        for (u, v) in a.iter().zip(&b) {
            assert_relative_eq!(u, v, max_relative = 1e-12, epsilon = 1e-12);
        }
    }

    #[test]
    fn real_transform_matches_the_definition_and_inverts() {
        for size in [2usize, 4, 6, 10, 16, 30, 64] {
            let x: Vec<f64> = (0..size)
                .map(|i| ((i * 7 + 3) % 11) as f64 - 4.5 + (i as f64 * 0.3).sin())
                .collect();
            let mut t = RealTransform::new(size);
            let spectrum = t.forward(&x);
            assert_eq!(spectrum.len(), size / 2 + 1);
            for (k, xk) in spectrum.iter().enumerate() {
                let direct: Complex<f64> = x
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let a = -std::f64::consts::TAU * (j * k) as f64 / size as f64;
                        Complex::new(v * a.cos(), v * a.sin())
                    })
                    .sum();
                assert!((xk - direct).norm() < 1e-12, "size {size} k {k}");
            }
            let mut back = vec![0.0; size];
            t.inverse(&spectrum, &mut back);
            for (b, v) in back.iter().zip(&x) {
                assert_relative_eq!(b / size as f64, v, epsilon = 1e-13);
            }
        }
    }

    #[test]
    fn reflected_walk_matches_reflect_index() {
        for n in [1usize, 2, 3, 7] {
            let values: Vec<f64> = (0..n).map(|i| i as f64).collect();
            for r in [0usize, 1, 2, 5, 17] {
                let mut out = vec![0.0; n + 2 * r];
                fill_reflected(&values, r, &mut out);
                let expected: Vec<f64> = (0..n + 2 * r)
                    .map(|i| values[reflect_index(i as i64 - r as i64, n)])
                    .collect();
                assert_eq!(out, expected, "n {n} r {r}");
            }
        }
    }

    #[test]
    fn fft_sizes_have_small_factors() {
        assert_eq!(fast_fft_size(159_260), 160_000);
        assert_eq!(fast_fft_size(7), 8);
        assert_eq!(fast_fft_size(1), 1);
        assert_eq!(fast_fft_size(26), 27);
    }

    #[test]
    fn smoothing_keeps_a_constant_and_rejects_bad_sigma() {
        let y = gaussian_smooth(&[2.0; 10], 1.5).unwrap();
        for v in y {
            assert_relative_eq!(v, 2.0, max_relative = 1e-14);
        }
        assert!(gaussian_smooth(&[1.0], 0.0).is_err());
        assert!(gaussian_smooth(&[f64::NAN], 1.0).is_err());
    }

    #[test]
    fn lowess_reproduces_a_line_and_linear_trend_fits() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|t| 2.0 * t + 1.0).collect();
        for (f, e) in lowess(&x, &y, 0.3).unwrap().iter().zip(&y) {
            assert_relative_eq!(f, e, max_relative = 1e-10);
        }
        for (f, e) in linear_trend(&x, &y).unwrap().iter().zip(&y) {
            assert_relative_eq!(f, e, max_relative = 1e-12);
        }
        assert!(lowess(&x, &y, 0.0).is_err());
    }
}
