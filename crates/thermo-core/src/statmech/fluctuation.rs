//! fluctuation
