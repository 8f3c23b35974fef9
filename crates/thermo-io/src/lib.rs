//! Schedule bundles for Thermo Resilience: read, validate and write.
