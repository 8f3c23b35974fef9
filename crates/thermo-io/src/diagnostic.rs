//! Diagnostics: what is wrong, where, and what was expected.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem (or warning) in a bundle, located by file, line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// File name (`assignments.csv`) or JSON document name with table (`schedule.json#assignments`).
    pub file: String,
    /// 1-based line (the CSV header is line 1); `None` for a whole-file problem.
    pub line: Option<usize>,
    /// Column (CSV header name or JSON key), if the problem is in one.
    pub column: Option<String>,
    /// The offending value, if any.
    pub value: Option<String>,
    /// What is wrong and what is expected.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic for a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            column: None,
            value: None,
            message: message.into(),
        }
    }

    /// A diagnostic for a cell.
    pub fn cell(
        file: &str,
        line: usize,
        column: &str,
        value: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
            value: Some(value.to_owned()),
            message: message.into(),
        }
    }

    /// A diagnostic for a row.
    pub fn row(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            column: None,
            value: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(":")?;
        if let Some(column) = &self.column {
            write!(f, " column {column:?}:")?;
        }
        if let Some(value) = &self.value {
            write!(f, " value {value:?}")?;
        }
        write!(f, " {}", self.message)
    }
}

/// A non-fatal remark about a bundle (unknown column, auto-defined rotation, …).
pub type Warning = Diagnostic;
