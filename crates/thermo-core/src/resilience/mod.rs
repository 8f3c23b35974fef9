//! The classic resilience layer, rebuilt on slot-level coverage.
//!
//! - [`contingency`]: exact N-1 / N-2 over coverage slots, energy barriers, centrality;
//! - [`defense`]: five defense-in-depth levels from one state vector, with hysteresis;
//! - [`shedding`]: the sacrifice hierarchy (load-shedding levels) in protection order;
//! - [`homeostasis`]: feedback loops with directional setpoints, volatility, entropy evidence;
//! - [`zones`]: blast-radius zones from units or rotations, with containment levels.

pub mod contingency;
pub mod defense;
pub mod homeostasis;
pub mod shedding;
pub mod zones;

/// A resilience input or setting that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResilienceError {
    /// A number that must be finite (and within its documented range) is not.
    #[error("{field} must be a finite number in its documented range, got {value}")]
    InvalidNumber {
        /// The field.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// A value names a feedback loop that does not exist.
    #[error("unknown feedback loop {0:?}")]
    UnknownLoop(String),
    /// A setting that must be positive is zero.
    #[error("{field} must be at least 1")]
    ZeroCount {
        /// The field.
        field: &'static str,
    },
}

/// Rejects a non-finite value.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64, ResilienceError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ResilienceError::InvalidNumber { field, value })
    }
}

/// Rejects a non-finite or negative value.
pub(crate) fn non_negative(field: &'static str, value: f64) -> Result<f64, ResilienceError> {
    if finite(field, value)? < 0.0 {
        return Err(ResilienceError::InvalidNumber { field, value });
    }
    Ok(value)
}

/// Rejects a non-finite or non-positive value.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<f64, ResilienceError> {
    if finite(field, value)? <= 0.0 {
        return Err(ResilienceError::InvalidNumber { field, value });
    }
    Ok(value)
}
