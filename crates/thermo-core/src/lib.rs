//! Pure analytics of Thermo Resilience.
//!
//! Everything here takes plain data (the [`model::Schedule`], `&[f64]` series) and returns
//! plain data: no I/O, no clock, no async, no global state. Time is always passed in.
//!
//! Modules:
//! - [`model`]: the schedule model with dense ids;
//! - [`entropy`]: Shannon, joint, mutual-information and conditional entropies of a
//!   schedule, entropy production and the [`entropy::EntropyMonitor`];
//! - [`queueing`] and [`transport`]: Erlang B/C/A, schedule utilization, stigmergy trails and
//!   transport dynamics (saturation gradient, boundary layer, Péclet number).
//! - [`stats`] and [`ews`]: shared statistics (rolling moments, autocorrelation, Kendall τ,
//!   detrending, surrogates) and the early-warning engine with its phase-transition detector.
//! - [`resilience`]: exact N-1/N-2 contingency, defense in depth, load shedding, homeostasis
//!   and zones; [`baselines`]: the corrected SPC, STA/LTA and fire-index detectors;
//! - [`statmech`]: free energy, landscape and loss barriers, Boltzmann ensembles of
//!   fallback schedules, fluctuation–dissipation, dissipative structures, Maxwell's demon;
//! - [`health`]: every layer composed into one status with unified alerts.

pub mod baselines;
pub mod entropy;
pub mod ews;
pub mod health;
pub mod model;
pub mod queueing;
pub mod report;
pub mod resilience;
pub mod statmech;
pub mod stats;
pub mod summary;
pub mod transport;
