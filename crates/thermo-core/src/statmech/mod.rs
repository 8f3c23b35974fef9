//! Statistical mechanics of schedules.
//!
//! - [`free_energy`]: F = U − T·S with a configurable energy model, cooling schedules and
//!   the Metropolis acceptance probability;
//! - [`state`]: the compact mutable schedule state whose moves have O(1) energy changes;
//! - [`landscape`]: the landscape around a schedule, greedy descent and the energy
//!   barrier of losing persons ([`landscape::loss_energy_barrier`]);
//! - [`boltzmann`]: Boltzmann probabilities, the Metropolis sampler and ensembles of
//!   fallback schedules for a loss scenario;
//! - [`fluctuation`]: AR(1) fluctuation–dissipation response and noise spectra;
//! - [`dissipative`]: entropy balance, health states and emergent patterns;
//! - [`maxwell`]: information value of metrics, metric selection and alert thresholds.
//!
//! One entropy unit for thermodynamic quantities: **nats** (natural log, k_B = 1), so
//! that F = U − T·S, p ∝ exp(−E/T) and ln Z agree. Information quantities in [`maxwell`]
//! are in bits, like the entropy layer they build on.

pub mod boltzmann;
pub mod dissipative;
pub mod fluctuation;
pub mod free_energy;
pub mod landscape;
pub mod maxwell;
pub mod state;

/// Errors of the statistical-mechanics layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatmechError {
    /// A parameter is out of range or not finite.
    #[error("invalid {name}: {value}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value.
        value: f64,
    },
    /// A person index or id is not on the roster.
    #[error("unknown person {0:?}")]
    UnknownPerson(String),
    /// Two paired inputs differ in length.
    #[error("inputs must have the same length (got {left} and {right})")]
    LengthMismatch {
        /// First length.
        left: usize,
        /// Second length.
        right: usize,
    },
    /// An input value is NaN or infinite.
    #[error("{field} must be finite, got {value}")]
    NonFinite {
        /// The field.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// Too little data for the requested estimate.
    #[error("not enough data: {0}")]
    NotEnoughData(String),
}
