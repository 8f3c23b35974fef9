//! Generic statistics shared by every analytic layer.
//!
//! - [`describe`]: mean, variance, quantiles, Gini, skewness, kurtosis, OLS slope of a slice;
//! - [`moments`]: compensated (Neumaier) sums and O(1) rolling moments;
//! - [`autocorr`]: lag-k autocorrelation in both estimators and its rolling form;
//! - [`kendall`]: Kendall τ-b in O(n log n);
//! - [`detrend`]: Gaussian kernel, LOWESS, linear and first-difference detrending;
//! - [`surrogate`]: AR(1), phase-randomised Fourier and circular block-bootstrap surrogates.
//!
//! Every function takes plain `&[f64]` and is pure. Functions whose result does not exist
//! for some input (a constant series has no autocorrelation) return `Option`, never NaN.

pub mod autocorr;
pub mod describe;
pub mod detrend;
pub mod kendall;
pub mod moments;
pub mod surrogate;

pub use autocorr::{acf, pearson_autocorr};
pub use describe::{gini, kurtosis_excess, mean, ols_slope, quantile, skewness, variance};
pub use kendall::{RollingKendall, kendall_tau_b};
pub use moments::{ExpandingMoments, NeumaierSum, RollingMoments};

/// Error of a statistics routine on bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A value is NaN or infinite.
    #[error("{what} must be finite, got {value} at position {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Position in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// What is required.
        reason: &'static str,
    },
    /// Two inputs that must have the same length do not.
    #[error("length mismatch: {left} vs {right}")]
    LengthMismatch {
        /// First length.
        left: usize,
        /// Second length.
        right: usize,
    },
}

/// Checks that every value of `values` is finite.
pub fn check_finite(what: &'static str, values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(StatsError::NonFinite {
            what,
            index,
            value: values[index],
        }),
    }
}
