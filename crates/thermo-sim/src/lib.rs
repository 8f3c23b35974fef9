//! Demo-program generator, scenario simulator and module comparison for Thermo Resilience.
