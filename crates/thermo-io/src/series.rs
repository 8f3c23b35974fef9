//! Reading one time series from a CSV file with a header (the input of `thermo ews`).
//!
//! - The value column defaults to `value`, the time column to `time`. Without a time column
//!   (and none requested) the 0-based row index is the time.
//! - Times are either all numbers (any unit, kept as given) or all date-times: RFC 3339
//!   (`2026-01-05T08:00:00Z`, with offset), naive `YYYY-MM-DD[T| ]HH:MM[:SS]` read as UTC, or
//!   a date `YYYY-MM-DD` (midnight UTC). Date-times become hours since 1970-01-01T00:00Z.
//! - Times must not decrease; irregular spacing is accepted.
//! - Every error names the line (the header is line 1) and the column.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// How the time column was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    /// No time column: the row index 0, 1, 2, … is the time.
    RowIndex,
    /// Plain numbers, in the file's own unit.
    Numeric,
    /// Date-times, converted to hours since the Unix epoch.
    DateTime,
}

/// A time series read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Time of each row (see [`TimeKind`] for the unit).
    pub times: Vec<f64>,
    /// The time cell as written in the file (the row index for [`TimeKind::RowIndex`]).
    pub time_labels: Vec<String>,
    /// Value of each row (finite).
    pub values: Vec<f64>,
    /// How the times were read.
    pub time_kind: TimeKind,
}

/// Why a series could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The CSV structure is broken (unequal row lengths, bad UTF-8, …).
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// File name.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A named column is not in the header.
    #[error("{source_name}: line 1: no column {name:?} (columns: {available})")]
    MissingColumn {
        /// File name.
        source_name: String,
        /// The requested column.
        name: String,
        /// The header's columns, comma-separated.
        available: String,
    },
    /// A cell cannot be read.
    #[error("{source_name}: line {line}, column {column} ({column_name}): {value:?}: {message}")]
    Cell {
        /// File name.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        column_name: String,
        /// The cell text.
        value: String,
        /// What was expected.
        message: String,
    },
    /// The file has a header but no data row.
    #[error("{source_name}: no data rows")]
    Empty {
        /// File name.
        source_name: String,
    },
}

/// Reads `path` (see the module docs). `time_col: None` means "`time` if present".
pub fn read_series(
    path: &Path,
    time_col: Option<&str>,
    value_col: Option<&str>,
) -> Result<Series, SeriesError> {
    let text = std::fs::read_to_string(path).map_err(|source| SeriesError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_series(&text, &path.display().to_string(), time_col, value_col)
}

/// Parses CSV `text`; `source_name` is used in error messages.
pub fn parse_series(
    text: &str,
    source_name: &str,
    time_col: Option<&str>,
    value_col: Option<&str>,
) -> Result<Series, SeriesError> {
    let src = || source_name.to_string();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SeriesError::Csv {
            source_name: src(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let available = || headers.iter().collect::<Vec<_>>().join(",");
    let value_name = value_col.unwrap_or("value");
    let value_idx = find(value_name).ok_or_else(|| SeriesError::MissingColumn {
        source_name: src(),
        name: value_name.to_string(),
        available: available(),
    })?;
    let time_idx = match time_col {
        Some(name) => Some(find(name).ok_or_else(|| SeriesError::MissingColumn {
            source_name: src(),
            name: name.to_string(),
            available: available(),
        })?),
        None => find("time"),
    };

    let mut times = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    let mut kind = time_idx.map(|_| None).unwrap_or(Some(TimeKind::RowIndex));
    for record in reader.records() {
        let record = record.map_err(|e| SeriesError::Csv {
            source_name: src(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell_error = |idx: usize, value: &str, message: &str| SeriesError::Cell {
            source_name: src(),
            line,
            column: idx + 1,
            column_name: headers.get(idx).unwrap_or("").to_string(),
            value: value.to_string(),
            message: message.to_string(),
        };
        let raw_value = record.get(value_idx).unwrap_or("");
        let value: f64 = raw_value
            .parse()
            .map_err(|_| cell_error(value_idx, raw_value, "expected a number"))?;
        if !value.is_finite() {
            return Err(cell_error(value_idx, raw_value, "must be finite"));
        }
        let (time, label) = match time_idx {
            None => (values.len() as f64, values.len().to_string()),
            Some(idx) => {
                let raw = record.get(idx).unwrap_or("");
                let k = *kind.get_or_insert(if raw.parse::<f64>().is_ok() {
                    TimeKind::Numeric
                } else {
                    TimeKind::DateTime
                });
                let t = match k {
                    TimeKind::Numeric => raw
                        .parse::<f64>()
                        .ok()
                        .filter(|t| t.is_finite())
                        .ok_or_else(|| {
                            cell_error(idx, raw, "expected a finite number like the rows above")
                        })?,
                    _ => parse_datetime_hours(raw).ok_or_else(|| {
                        cell_error(
                            idx,
                            raw,
                            "expected a date-time (RFC 3339, YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DD) like the rows above",
                        )
                    })?,
                };
                if let Some(&prev) = times.last()
                    && t < prev
                {
                    return Err(cell_error(idx, raw, "times must not decrease"));
                }
                (t, raw.to_string())
            }
        };
        times.push(time);
        labels.push(label);
        values.push(value);
    }
    if values.is_empty() {
        return Err(SeriesError::Empty { source_name: src() });
    }
    Ok(Series {
        times,
        time_labels: labels,
        values,
        time_kind: kind.unwrap_or(TimeKind::Numeric),
    })
}

/// Hours since 1970-01-01T00:00Z of an RFC 3339, naive date-time (UTC) or date string.
fn parse_datetime_hours(raw: &str) -> Option<f64> {
    let utc: DateTime<Utc> = if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        t.with_timezone(&Utc)
    } else if let Some(t) = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
    {
        t.and_utc()
    } else {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc()
    };
    Some(utc.timestamp_millis() as f64 / 3_600_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_times_and_default_columns() {
        let s = parse_series("time,value\n1,2.5\n2,3\n4,1\n", "x.csv", None, None).unwrap();
        assert_eq!(s.times, vec![1.0, 2.0, 4.0]);
        assert_eq!(s.values, vec![2.5, 3.0, 1.0]);
        assert_eq!(s.time_kind, TimeKind::Numeric);
    }

    #[test]
    fn row_index_without_time_column() {
        let s = parse_series("load\n5\n6\n", "x.csv", None, Some("load")).unwrap();
        assert_eq!(s.times, vec![0.0, 1.0]);
        assert_eq!(s.time_kind, TimeKind::RowIndex);
    }

    #[test]
    fn datetimes_become_hours() {
        let s = parse_series(
            "when,v\n2026-01-01,1\n2026-01-01T06:00:00Z,2\n2026-01-01 12:00,3\n2026-01-01T13:00:00+01:00,4\n",
            "x.csv",
            Some("when"),
            Some("v"),
        )
        .unwrap();
        let h0 = s.times[0];
        let rel: Vec<f64> = s.times.iter().map(|t| t - h0).collect();
        assert_eq!(rel, vec![0.0, 6.0, 12.0, 12.0]);
        assert_eq!(s.time_kind, TimeKind::DateTime);
        assert_eq!(s.time_labels[1], "2026-01-01T06:00:00Z");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_series("time,value\n1,2\n2,abc\n", "f.csv", None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.csv: line 3, column 2 (value): \"abc\": expected a number"
        );
        let e = parse_series("time,value\n2,1\n1,1\n", "f.csv", None, None).unwrap_err();
        assert!(e.to_string().contains("line 3, column 1 (time)"), "{e}");
        let e = parse_series("time,value\n1,1\nx,1\n", "f.csv", None, None).unwrap_err();
        assert!(e.to_string().contains("line 3, column 1"), "{e}");
        let e = parse_series("time,value\n1,inf\n", "f.csv", None, None).unwrap_err();
        assert!(e.to_string().contains("must be finite"), "{e}");
        let e = parse_series("t,v\n1,1\n", "f.csv", None, None).unwrap_err();
        assert!(matches!(e, SeriesError::MissingColumn { .. }), "{e}");
        let e = parse_series("time,value\n", "f.csv", None, None).unwrap_err();
        assert!(matches!(e, SeriesError::Empty { .. }));
        let e = parse_series("time,value\n1,2,3\n", "f.csv", None, None).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
