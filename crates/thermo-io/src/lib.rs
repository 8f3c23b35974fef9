//! Schedule bundles for Thermo Resilience: read, validate and write.
//!
//! A bundle is a directory of UTF-8 CSV files (`people.csv`, `assignments.csv`, …) or one
//! JSON document with the same tables as arrays of objects (the format is documented in
//! `docs/input-format.md`). Reading collects every problem of the whole bundle in one
//! pass; each [`Diagnostic`] names the file, the line (the CSV header is line 1), the
//! column and the offending value, and says what was expected. Writing is lossless: a
//! bundle written by [`write_csv_dir`] or [`write_json`] reads back to an equal
//! [`Schedule`].

use std::path::{Path, PathBuf};

use thermo_core::model::Schedule;

pub mod assemble;
pub mod diagnostic;
pub mod import;
mod read;
pub mod series;
pub mod table;
mod write;

pub use diagnostic::{Diagnostic, Warning};
pub use read::{parse_csv_tables, parse_json_bundle, read_csv_dir, read_json_file};
pub use write::{to_json_value, write_csv_dir, write_json};

/// Why a bundle could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The path could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path is neither a directory nor a `.json` file.
    #[error(
        "{}: not a schedule bundle (expected a directory of CSV files or a .json document)",
        path.display()
    )]
    NotABundle {
        /// The path given.
        path: PathBuf,
    },
    /// The bundle was read, and it has problems; every one is listed.
    #[error("{} problem(s) in the bundle", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// A CSV file could not be written.
    #[error("{}: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
    /// The JSON document could not be serialised.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
}

/// What a successful read returns: the schedule and the warnings (unknown columns,
/// rotations defined implicitly, …).
pub type ReadResult = Result<(Schedule, Vec<Warning>), BundleError>;

/// Reads a bundle: a directory of CSV files, or a `.json` document.
pub fn read_bundle(path: &Path) -> ReadResult {
    let meta = std::fs::metadata(path).map_err(|source| BundleError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        read_csv_dir(path)
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        read_json_file(path)
    } else {
        Err(BundleError::NotABundle {
            path: path.to_owned(),
        })
    }
}
