//! Surrogate series: stationary series that share chosen properties with an observed one
//! but contain no trend by construction. They form the null distribution of a trend
//! statistic (for example the Kendall τ of a rolling variance).
//!
//! - [`Ar1Model`]: a fitted AR(1) process (mean, lag-1 coefficient, innovation spread);
//! - [`FourierSurrogates`]: phase-randomised Fourier surrogates (same periodogram, random
//!   phases; Theiler et al. 1992);
//! - [`block_bootstrap`]: circular block bootstrap (Politis & Romano 1992).
//!
//! Generators take any `rand` RNG; callers seed a `ChaCha8Rng` per surrogate for
//! reproducibility under parallel execution.

use std::sync::Arc;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use rustfft::{Fft, FftPlanner, num_complex::Complex};

use super::StatsError;
use super::autocorr::acf;
use super::describe::{mean, variance};

/// Which null model generates surrogates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurrogateMethod {
    /// Fitted AR(1) (Yule–Walker): keeps mean, variance and lag-1 memory.
    Ar1,
    /// Phase-randomised Fourier: keeps the whole periodogram (all linear autocorrelation).
    Fourier,
    /// Circular block bootstrap: keeps the marginal distribution and short-range memory.
    BlockBootstrap,
}

impl std::str::FromStr for SurrogateMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ar1" => Ok(Self::Ar1),
            "fourier" => Ok(Self::Fourier),
            "block_bootstrap" | "block" => Ok(Self::BlockBootstrap),
            other => Err(format!(
                "unknown surrogate method {other:?} (expected ar1, fourier, block_bootstrap)"
            )),
        }
    }
}

/// x_t − μ = φ(x_{t−1} − μ) + σ·ε_t with ε ~ N(0, 1), fitted by Yule–Walker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ar1Model {
    /// Mean μ (units of the series).
    pub mean: f64,
    /// Lag-1 coefficient φ (the common-mean acf₁, clipped to [−0.99, 0.99]).
    pub phi: f64,
    /// Innovation standard deviation σ = s·√(1 − φ²), s the population standard deviation.
    pub sigma: f64,
}

impl Ar1Model {
    /// Fits the model; `None` for fewer than 3 points or a constant series.
    pub fn fit(values: &[f64]) -> Option<Self> {
        let phi = acf(values, 1)?.clamp(-0.99, 0.99);
        let var = variance(values, 0)?;
        Some(Self {
            mean: mean(values)?,
            phi,
            sigma: (var * (1.0 - phi * phi)).sqrt(),
        })
    }

    /// A stationary realisation of length `n` (first value drawn from the stationary law).
    pub fn generate<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        self.generate_into(n, rng, &mut out);
        out
    }

    /// As [`Ar1Model::generate`], into `out` (cleared first; the same draws and values).
    pub fn generate_into<R: Rng + ?Sized>(&self, n: usize, rng: &mut R, out: &mut Vec<f64>) {
        out.clear();
        let stationary_sd = self.sigma / (1.0 - self.phi * self.phi).sqrt();
        let mut dev = 0.0;
        for t in 0..n {
            let z: f64 = StandardNormal.sample(rng);
            dev = if t == 0 {
                stationary_sd * z
            } else {
                self.phi * dev + self.sigma * z
            };
            out.push(self.mean + dev);
        }
    }
}

/// Phase-randomised Fourier surrogates of one series; the FFT plans and spectrum are
/// computed once and shared (the struct is `Sync`).
#[derive(Clone)]
pub struct FourierSurrogates {
    spectrum: Vec<Complex<f64>>,
    mean: f64,
    inverse: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for FourierSurrogates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FourierSurrogates")
            .field("len", &self.spectrum.len())
            .field("mean", &self.mean)
            .finish()
    }
}

impl FourierSurrogates {
    /// Prepares surrogates of `values` (finite, at least 2 points).
    pub fn new(values: &[f64]) -> Result<Self, StatsError> {
        super::check_finite("values", values)?;
        if values.len() < 2 {
            return Err(StatsError::InvalidParameter {
                name: "len",
                value: values.len() as f64,
                reason: "needs at least 2 points",
            });
        }
        let n = values.len();
        let m = mean(values).unwrap_or(0.0);
        let mut planner = FftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let mut spectrum: Vec<Complex<f64>> =
            values.iter().map(|&v| Complex::new(v - m, 0.0)).collect();
        forward.process(&mut spectrum);
        Ok(Self {
            spectrum,
            mean: m,
            inverse,
        })
    }

    /// One surrogate: every positive frequency below Nyquist gets a uniform random phase;
    /// amplitudes, the mean and the Nyquist term are kept, so the result is real.
    pub fn generate<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let n = self.spectrum.len();
        let mut buf = self.spectrum.clone();
        for k in 1..n.div_ceil(2) {
            let theta = rng.random::<f64>() * std::f64::consts::TAU;
            let rotated = buf[k] * Complex::from_polar(1.0, theta);
            buf[k] = rotated;
            buf[n - k] = rotated.conj();
        }
        self.inverse.process(&mut buf);
        buf.iter().map(|c| self.mean + c.re / n as f64).collect()
    }
}

/// Default block length of the circular block bootstrap: ⌈√n⌉ points.
pub fn default_block_length(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).max(1)
}

/// Circular block bootstrap: concatenates blocks of `block_length` consecutive values
/// (wrapping around the end) starting at uniform random positions, truncated to n.
pub fn block_bootstrap<R: Rng + ?Sized>(
    values: &[f64],
    block_length: usize,
    rng: &mut R,
) -> Vec<f64> {
    let n = values.len();
    let block_length = block_length.clamp(1, n.max(1));
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let start = rng.random_range(0..n);
        for j in 0..block_length {
            if out.len() == n {
                break;
            }
            out.push(values[(start + j) % n]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn ar1_fit_recovers_phi() {
        let truth = Ar1Model {
            mean: 5.0,
            phi: 0.6,
            sigma: 1.0,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let x = truth.generate(20_000, &mut rng);
        let fit = Ar1Model::fit(&x).unwrap();
        assert!((fit.phi - 0.6).abs() < 0.03, "{fit:?}");
        assert!((fit.mean - 5.0).abs() < 0.1);
        assert!((fit.sigma - 1.0).abs() < 0.03);
        assert_eq!(Ar1Model::fit(&[1.0; 10]), None);
    }

    #[test]
    fn fourier_surrogate_keeps_mean_and_power() {
        let x: Vec<f64> = (0..64)
            .map(|i| (i as f64 * 0.3).sin() + 0.1 * i as f64)
            .collect();
        let s = FourierSurrogates::new(&x).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let y = s.generate(&mut rng);
        assert_eq!(y.len(), x.len());
        assert_relative_eq!(mean(&y).unwrap(), mean(&x).unwrap(), max_relative = 1e-10);
        assert_relative_eq!(
            variance(&y, 0).unwrap(),
            variance(&x, 0).unwrap(),
            max_relative = 1e-10
        );
        assert_ne!(y, x);
    }

    #[test]
    fn block_bootstrap_uses_only_observed_values() {
        let x: Vec<f64> = (0..50).map(f64::from).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let y = block_bootstrap(&x, 7, &mut rng);
        assert_eq!(y.len(), 50);
        assert!(y.iter().all(|v| x.contains(v)));
        assert_eq!(default_block_length(400), 20);
    }
}
