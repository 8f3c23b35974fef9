//! Early-warning engine.
