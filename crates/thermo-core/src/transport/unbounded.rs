//! Serde for quantities that may be `+∞`: a finite value is a number, `+∞` is `null`.
//!
//! JSON has no infinity; reading `null` back gives `+∞`. Use on fields whose only
//! non-finite value is `+∞` (NaN is never produced by the layers that use this).

use serde::{Deserialize, Deserializer, Serializer};

/// Writes a finite value as a number and anything else as `null`.
pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        serializer.serialize_f64(*value)
    } else {
        serializer.serialize_none()
    }
}

/// Reads a number, or `null` as `+∞`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::INFINITY))
}
