//! The classic resilience layer, rebuilt on slot-level coverage.
//!
//! - [`contingency`]: exact N-1 / N-2 over coverage slots, energy barriers, centrality;
//! - [`defense`]: five defense-in-depth levels from one state vector, with hysteresis;
//! - [`shedding`]: the sacrifice hierarchy (load-shedding levels) in protection order;
//! - [`homeostasis`]: feedback loops with directional setpoints, volatility, entropy evidence;
//! - [`zones`]: blast-radius zones from units or rotations, with containment levels.

pub mod contingency;
