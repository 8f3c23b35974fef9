//! Baseline detectors for the early-warning comparison, in their corrected ("fixed") forms.
//!
//! - [`spc`]: Shewhart chart with Western Electric rules 1–4, every window evaluated;
//! - [`sta_lta`]: recursive STA/LTA on precursor energies, primed and with a lagged LTA, so
//!   the ratio is no longer bounded by `(n_lta + 1)/(n_sta + 1)`;
//! - [`fire_index`]: the burnout fire-danger index with configurable targets, `e = exp(1)` and
//!   an acute floor, so a zero build-up component no longer masks acute overwork.
//!
//! Each detector is streaming (O(1) per sample) and causal: its output at sample `t` depends
//! only on samples `≤ t`.

use serde::{Deserialize, Serialize};

pub mod fire_index;
pub mod spc;
pub mod sta_lta;

/// A baseline input or setting that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BaselineError {
    /// A number that must be finite (and in its documented range) is not.
    #[error("{field} must be finite and in range ({range}), got {value}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The allowed range, for the message.
        range: &'static str,
        /// The value.
        value: f64,
    },
    /// Too few samples to estimate something.
    #[error("{what} needs at least {needed} samples, got {got}")]
    TooFewSamples {
        /// What was being estimated.
        what: &'static str,
        /// Minimum.
        needed: usize,
        /// Given.
        got: usize,
    },
    /// Window lengths that cannot work together.
    #[error("short window {short} must be at least 1 and shorter than long window {long}")]
    Windows {
        /// Short window (samples).
        short: usize,
        /// Long window (samples).
        long: usize,
    },
}

pub(crate) fn check(
    field: &'static str,
    range: &'static str,
    value: f64,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, BaselineError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(BaselineError::OutOfRange {
            field,
            range,
            value,
        })
    }
}

/// Baseline settings (`[baselines]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselinesConfig {
    /// SPC chart settings.
    pub spc: spc::SpcConfig,
    /// STA/LTA settings.
    pub sta_lta: sta_lta::StaLtaConfig,
    /// Fire-index settings.
    pub fire_index: fire_index::FireIndexConfig,
}
