//! Pure analytics of Thermo Resilience.
//!
//! Everything here takes plain data (the [`model::Schedule`], `&[f64]` series) and returns
//! plain data: no I/O, no clock, no async, no global state. Time is always passed in.
//!
//! Modules:
//! - [`model`]: the schedule model with dense ids;
//! - [`entropy`]: Shannon, joint, mutual-information and conditional entropies of a
//!   schedule, entropy production and the [`entropy::EntropyMonitor`];
//! - [`statmech`]: free energy, landscape and loss barriers, Boltzmann ensembles of
//!   fallback schedules, fluctuation–dissipation, dissipative structures, Maxwell's demon.

pub mod entropy;
pub mod model;
pub mod report;
pub mod statmech;
pub mod summary;
