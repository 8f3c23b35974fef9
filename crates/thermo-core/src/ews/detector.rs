//! Phase-transition detector.
