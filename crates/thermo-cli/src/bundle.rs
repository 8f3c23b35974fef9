//! Loading schedule bundles with user-facing diagnostics.

use std::path::Path;

use thermo_core::model::Schedule;
use thermo_io::BundleError;

use crate::BadInput;

/// Reads a bundle; warnings go to standard error, validation problems become [`BadInput`]
/// (exit status 2) listing every diagnostic.
pub fn load_bundle(path: &Path) -> anyhow::Result<Schedule> {
    match thermo_io::read_bundle(path) {
        Ok((schedule, warnings)) => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            Ok(schedule)
        }
        Err(BundleError::Invalid(diagnostics)) => {
            let mut msg = format!("{} problem(s) in {}:", diagnostics.len(), path.display());
            for d in &diagnostics {
                msg.push_str("\n  ");
                msg.push_str(&d.to_string());
            }
            Err(BadInput(msg).into())
        }
        Err(other) => Err(BadInput(format!("{}: {other}", path.display())).into()),
    }
}
