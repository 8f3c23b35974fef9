//! Resilience benches.
fn main() {}
