//! The tables of a bundle, their columns, and a row view that parses cells with diagnostics.

use chrono::{DateTime, NaiveDate, Utc};

use crate::diagnostic::Diagnostic;

/// A table of the bundle: its file name, JSON key and columns.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// JSON key and file stem (`people`).
    pub name: &'static str,
    /// Whether the bundle must contain it.
    pub required: bool,
    /// Columns that must be present.
    pub required_columns: &'static [&'static str],
    /// Columns that may be present.
    pub optional_columns: &'static [&'static str],
}

impl TableSpec {
    /// `people.csv` etc.
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.name)
    }

    /// Every known column, required first.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.required_columns
            .iter()
            .chain(self.optional_columns)
            .copied()
    }
}

/// `people`
pub const PEOPLE: TableSpec = TableSpec {
    name: "people",
    required: true,
    required_columns: &["id"],
    optional_columns: &["name", "role", "unit", "capacity_per_day", "skills"],
};
/// `rotations`
pub const ROTATIONS: TableSpec = TableSpec {
    name: "rotations",
    required: false,
    required_columns: &["id"],
    optional_columns: &[
        "name",
        "kind",
        "min_coverage",
        "required_skill",
        "counts_as_work",
        "unit",
    ],
};
/// `calendar`
pub const CALENDAR: TableSpec = TableSpec {
    name: "calendar",
    required: false,
    required_columns: &["date"],
    optional_columns: &["session", "weekend", "holiday", "capacity_factor"],
};
/// `assignments`
pub const ASSIGNMENTS: TableSpec = TableSpec {
    name: "assignments",
    required: true,
    required_columns: &["person_id", "date"],
    optional_columns: &[
        "session",
        "rotation",
        "role",
        "score",
        "violation",
        "created_at",
    ],
};
/// `absences`
pub const ABSENCES: TableSpec = TableSpec {
    name: "absences",
    required: false,
    required_columns: &["person_id", "start_date", "end_date"],
    optional_columns: &["kind", "status"],
};
/// `swaps`
pub const SWAPS: TableSpec = TableSpec {
    name: "swaps",
    required: false,
    required_columns: &["source_person", "date"],
    optional_columns: &[
        "id",
        "target_person",
        "session",
        "blocks",
        "kind",
        "status",
        "requested_at",
        "executed_at",
    ],
};
/// `metrics`
pub const METRICS: TableSpec = TableSpec {
    name: "metrics",
    required: false,
    required_columns: &["timestamp", "metric", "value"],
    optional_columns: &[],
};

/// Every table in processing order (people and rotations first, so references resolve).
pub const TABLES: [TableSpec; 7] = [
    PEOPLE,
    ROTATIONS,
    CALENDAR,
    ASSIGNMENTS,
    ABSENCES,
    SWAPS,
    METRICS,
];

/// Where each known column sits in a source's header (`None` = absent).
#[derive(Debug, Clone)]
pub struct ColumnMap {
    positions: Vec<Option<usize>>,
    spec: TableSpec,
}

impl ColumnMap {
    /// Maps `header` onto `spec`; returns the map, the diagnostics for missing required
    /// columns and the warnings for unknown columns.
    pub fn new(
        spec: TableSpec,
        source: &str,
        header: &[&str],
    ) -> (Self, Vec<Diagnostic>, Vec<Diagnostic>) {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let positions: Vec<Option<usize>> = spec
            .columns()
            .map(|c| header.iter().position(|h| h.trim() == c))
            .collect();
        for (i, col) in spec.required_columns.iter().enumerate() {
            if positions[i].is_none() {
                errors.push(Diagnostic {
                    file: source.to_owned(),
                    line: Some(1),
                    column: Some((*col).to_owned()),
                    value: None,
                    message: format!(
                        "required column is missing (the header must contain {})",
                        spec.required_columns.join(", ")
                    ),
                });
            }
        }
        for h in header {
            let h = h.trim();
            if !spec.columns().any(|c| c == h) {
                warnings.push(Diagnostic {
                    file: source.to_owned(),
                    line: Some(1),
                    column: Some(h.to_owned()),
                    value: None,
                    message: format!(
                        "unknown column is ignored (known: {})",
                        spec.columns().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        (Self { positions, spec }, errors, warnings)
    }

    fn position(&self, column: &str) -> Option<usize> {
        let i = self.spec.columns().position(|c| c == column)?;
        self.positions[i]
    }
}

/// One data row: cells by column name, with parsers that record diagnostics.
pub struct Row<'a> {
    /// Source name for diagnostics.
    pub source: &'a str,
    /// 1-based line of the row.
    pub line: usize,
    /// Cell texts in header order.
    pub cells: &'a [&'a str],
    /// Column positions.
    pub columns: &'a ColumnMap,
    /// Problems found so far in this row.
    pub errors: &'a mut Vec<Diagnostic>,
}

impl<'a> Row<'a> {
    /// The trimmed cell of `column`, `None` when the column is absent or the cell empty.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let i = self.columns.position(column)?;
        let cell: &'a str = self.cells.get(i)?.trim();
        (!cell.is_empty()).then_some(cell)
    }

    fn error(&mut self, column: &str, value: &str, message: String) {
        self.errors.push(Diagnostic::cell(
            self.source,
            self.line,
            column,
            value,
            message,
        ));
    }

    /// A required, non-empty text cell.
    pub fn required(&mut self, column: &str) -> Option<&'a str> {
        match self.get(column) {
            Some(v) => Some(v),
            None => {
                self.errors.push(Diagnostic::cell(
                    self.source,
                    self.line,
                    column,
                    "",
                    "is empty (a value is required)".to_owned(),
                ));
                None
            }
        }
    }

    /// An optional text cell.
    pub fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_owned)
    }

    /// A date cell (YYYY-MM-DD); `None` when empty, and a diagnostic when malformed.
    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let v = self.get(column)?;
        match parse_date(v) {
            Some(d) => Some(d),
            None => {
                let v = v.to_owned();
                self.error(column, &v, "is not a date (expected YYYY-MM-DD)".to_owned());
                None
            }
        }
    }

    /// A required date cell.
    pub fn required_date(&mut self, column: &str) -> Option<NaiveDate> {
        self.required(column)?;
        self.date(column)
    }

    /// An RFC 3339 timestamp cell, converted to UTC.
    pub fn timestamp(&mut self, column: &str) -> Option<DateTime<Utc>> {
        let v = self.get(column)?;
        match DateTime::parse_from_rfc3339(v) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                let v = v.to_owned();
                self.error(
                    column,
                    &v,
                    "is not a timestamp (expected RFC 3339, e.g. 2026-07-01T08:00:00Z)".to_owned(),
                );
                None
            }
        }
    }

    /// A boolean cell (`true`/`false`, also `1`/`0`, `yes`/`no`); `default` when empty.
    pub fn boolean(&mut self, column: &str, default: bool) -> bool {
        let Some(v) = self.get(column) else {
            return default;
        };
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => {
                let v = v.to_owned();
                self.error(
                    column,
                    &v,
                    "is not a boolean (expected true or false)".to_owned(),
                );
                default
            }
        }
    }

    /// A finite number cell; `default` when empty.
    pub fn number(&mut self, column: &str, default: f64) -> f64 {
        self.number_checked(column, default, false)
    }

    /// A finite, non-negative number cell; `default` when empty.
    pub fn non_negative(&mut self, column: &str, default: f64) -> f64 {
        self.number_checked(column, default, true)
    }

    fn number_checked(&mut self, column: &str, default: f64, non_negative: bool) -> f64 {
        let Some(v) = self.get(column) else {
            return default;
        };
        match v.parse::<f64>() {
            Ok(x) if !x.is_finite() => {
                let v = v.to_owned();
                self.error(column, &v, "is not a finite number".to_owned());
                default
            }
            Ok(x) if non_negative && x < 0.0 => {
                let v = v.to_owned();
                self.error(column, &v, "is negative (expected a number ≥ 0)".to_owned());
                default
            }
            Ok(x) => x,
            Err(_) => {
                let v = v.to_owned();
                let expected = if non_negative {
                    "a number ≥ 0"
                } else {
                    "a number"
                };
                self.error(column, &v, format!("is not a number (expected {expected})"));
                default
            }
        }
    }

    /// An optional finite number cell.
    pub fn optional_number(&mut self, column: &str) -> Option<f64> {
        self.get(column)?;
        let x = self.number(column, f64::NAN);
        x.is_finite().then_some(x)
    }

    /// A whole-number cell ≥ `min`; `default` when empty.
    pub fn count(&mut self, column: &str, default: u32, min: u32) -> u32 {
        let Some(v) = self.get(column) else {
            return default;
        };
        match v.parse::<u32>() {
            Ok(x) if x >= min => x,
            _ => {
                let v = v.to_owned();
                self.error(column, &v, format!("is not a whole number ≥ {min}"));
                default
            }
        }
    }

    /// A keyword cell parsed by `parse`; `default` when empty.
    pub fn keyword<T: Copy>(
        &mut self,
        column: &str,
        default: T,
        parse: fn(&str) -> Option<T>,
        accepted: &[&str],
    ) -> T {
        self.optional_keyword(column, parse, accepted)
            .unwrap_or(default)
    }

    /// An optional keyword cell.
    pub fn optional_keyword<T>(
        &mut self,
        column: &str,
        parse: fn(&str) -> Option<T>,
        accepted: &[&str],
    ) -> Option<T> {
        let v = self.get(column)?;
        match parse(v) {
            Some(k) => Some(k),
            None => {
                let v = v.to_owned();
                self.error(column, &v, format!("is not one of {}", accepted.join(", ")));
                None
            }
        }
    }

    /// Records a problem in `column` with `value`.
    pub fn problem(&mut self, column: &str, value: &str, message: impl Into<String>) {
        self.error(column, value, message.into());
    }
}

/// Parses YYYY-MM-DD without allocation.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "2026-1-01",
            "abcd-ef-gh",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
