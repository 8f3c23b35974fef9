//! Demo-program generator, scenario simulator and module comparison for Thermo Resilience.
//!
//! Modules:
//! - [`demo`]: a realistic, seeded residency program (`thermo demo`) with a winter stress
//!   period, and the daily metrics derived from any schedule.

pub mod demo;
