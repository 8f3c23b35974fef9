//! Importers: other schedule formats converted to the bundle model, with diagnostics.
//!
//! - [`aapm`]: the anonymised residency exported from the Autonomous Assignment Program
//!   Manager (block rotations, faculty call and inpatient weeks, absences).

pub mod aapm;
