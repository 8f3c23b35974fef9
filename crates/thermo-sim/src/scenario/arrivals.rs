//! A real hourly arrival series, read from CSV, that drives a run instead of the Poisson
//! process.
//!
//! Two layouts are accepted (header names, any column order, case-insensitive):
//! - `timestamp,unit,arrivals`: one row per hour and unit;
//! - `timestamp,arrivals`: one row per hour, the total split across the units by
//!   `simulator.unit_shares` (equal shares when empty).
//!
//! Timestamps are RFC 3339 (`2026-01-05T07:00:00Z`) or `YYYY-MM-DD HH:MM[:SS]` in UTC. The
//! series starts at the earliest timestamp and ends at the latest; every timestamp must lie
//! a whole number of hours after the start. Hours without a row have no arrivals. Arrivals
//! are finite and non-negative (tasks per hour). Every problem is reported with its file,
//! line, column and value.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use thermo_io::Diagnostic;

use super::{ScenarioError, SimulatorConfig};

/// Longest accepted series: ten years of hours.
pub const MAX_SERIES_HOURS: i64 = 87_600;

/// Arrivals per hour and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyArrivals {
    start: DateTime<Utc>,
    units: Vec<String>,
    hours: u32,
    /// Hour-major: `values[hour * units + unit]`.
    values: Vec<f64>,
}

impl HourlyArrivals {
    /// A series from values given hour by hour (`values[hour][unit]`, tasks per hour).
    pub fn from_hours(
        start: DateTime<Utc>,
        units: Vec<String>,
        values: &[Vec<f64>],
    ) -> Result<Self, ScenarioError> {
        let mut flat = Vec::with_capacity(values.len() * units.len());
        for (h, row) in values.iter().enumerate() {
            if row.len() != units.len() {
                return Err(ScenarioError::Invalid {
                    key: format!("arrivals[{h}]"),
                    value: format!("{} values", row.len()),
                    expected: format!("one value per unit ({})", units.len()),
                });
            }
            for (u, &v) in row.iter().enumerate() {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(ScenarioError::Invalid {
                        key: format!("arrivals[{h}][{u}]"),
                        value: v.to_string(),
                        expected: "a finite, non-negative number of tasks".to_owned(),
                    });
                }
            }
            flat.extend_from_slice(row);
        }
        if values.is_empty() || units.is_empty() {
            return Err(ScenarioError::Invalid {
                key: "arrivals".to_owned(),
                value: "empty".to_owned(),
                expected: "at least one hour and one unit".to_owned(),
            });
        }
        Ok(Self {
            start,
            units,
            hours: values.len() as u32,
            values: flat,
        })
    }

    /// Reads a CSV file; units and shares come from `config`.
    pub fn read_csv(path: &Path, config: &SimulatorConfig) -> Result<Self, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|e| ScenarioError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let text = String::from_utf8(bytes).map_err(|e| {
            ScenarioError::Csv(vec![Diagnostic::file(
                &name,
                format!(
                    "is not valid UTF-8 (at byte {}): save the file as UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            )])
        })?;
        Self::parse_csv(&text, &name, config)
    }

    /// Parses CSV text; `file` names it in diagnostics.
    pub fn parse_csv(
        text: &str,
        file: &str,
        config: &SimulatorConfig,
    ) -> Result<Self, ScenarioError> {
        let units = &config.units;
        let mut problems = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes());
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                return Err(ScenarioError::Csv(vec![Diagnostic::file(
                    file,
                    e.to_string(),
                )]));
            }
        };
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (ts_col, arr_col, unit_col) = (find("timestamp"), find("arrivals"), find("unit"));
        for (i, h) in headers.iter().enumerate() {
            if !["timestamp", "arrivals", "unit"]
                .iter()
                .any(|c| h.eq_ignore_ascii_case(c))
            {
                problems.push(Diagnostic::cell(
                    file,
                    1,
                    h,
                    h,
                    format!(
                        "unknown column {} (expected timestamp,unit,arrivals or timestamp,arrivals)",
                        i + 1
                    ),
                ));
            }
        }
        let (Some(ts_col), Some(arr_col)) = (ts_col, arr_col) else {
            problems.push(Diagnostic::row(
                file,
                1,
                "missing column: the header must name `timestamp` and `arrivals` (and `unit` for \
                 one row per hour and unit)",
            ));
            return Err(ScenarioError::Csv(problems));
        };
        // Shares of a total series.
        let shares: Vec<f64> = if config.unit_shares.is_empty() {
            vec![1.0 / units.len().max(1) as f64; units.len()]
        } else {
            let sum: f64 = config.unit_shares.iter().sum();
            config.unit_shares.iter().map(|s| s / sum).collect()
        };

        // (line, time, unit or None for a total, arrivals)
        let mut rows: Vec<(usize, DateTime<Utc>, Option<usize>, f64)> = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    problems.push(Diagnostic::row(file, line, e.to_string()));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(str::is_empty) {
                continue;
            }
            let cell = |c: usize| record.get(c).unwrap_or("");
            let ts_text = cell(ts_col);
            let time = parse_timestamp(ts_text);
            if time.is_none() {
                problems.push(Diagnostic::cell(
                    file,
                    line,
                    &headers[ts_col],
                    ts_text,
                    "is not a timestamp (expected RFC 3339, e.g. 2026-01-05T07:00:00Z, or \
                     YYYY-MM-DD HH:MM in UTC)",
                ));
            }
            let unit = match unit_col {
                Some(c) => {
                    let name = cell(c);
                    match units.iter().position(|u| u == name) {
                        Some(u) => Some(Some(u)),
                        None => {
                            problems.push(Diagnostic::cell(
                                file,
                                line,
                                &headers[c],
                                name,
                                format!(
                                    "is not a configured unit (expected one of {})",
                                    units.join(", ")
                                ),
                            ));
                            None
                        }
                    }
                }
                None => Some(None),
            };
            let arr_text = cell(arr_col);
            let arrivals = match arr_text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    problems.push(Diagnostic::cell(
                        file,
                        line,
                        &headers[arr_col],
                        arr_text,
                        "is not a finite, non-negative number of tasks",
                    ));
                    None
                }
            };
            if let (Some(time), Some(unit), Some(arrivals)) = (time, unit, arrivals) {
                rows.push((line, time, unit, arrivals));
            }
        }
        if rows.is_empty() && problems.is_empty() {
            problems.push(Diagnostic::file(file, "has no data rows"));
        }
        if !problems.is_empty() {
            return Err(ScenarioError::Csv(problems));
        }
        let start = rows.iter().map(|r| r.1).min().unwrap_or_default();
        let end = rows.iter().map(|r| r.1).max().unwrap_or_default();
        let span = (end - start).num_hours();
        if span >= MAX_SERIES_HOURS {
            return Err(ScenarioError::Csv(vec![Diagnostic::file(
                file,
                format!("spans {span} hours (at most {MAX_SERIES_HOURS} are accepted)"),
            )]));
        }
        let hours = span as usize + 1;
        let n = units.len();
        let mut values = vec![0.0; hours * n];
        // First line that set each (hour, unit); a total sets every unit of its hour.
        let mut seen: Vec<usize> = vec![0; hours * n];
        for &(line, time, unit, arrivals) in &rows {
            let offset = time - start;
            if offset.num_seconds() % 3600 != 0 {
                problems.push(Diagnostic::cell(
                    file,
                    line,
                    &headers[ts_col],
                    &time.to_rfc3339(),
                    format!(
                        "is not a whole number of hours after the first timestamp {}",
                        start.to_rfc3339()
                    ),
                ));
                continue;
            }
            let h = offset.num_hours() as usize;
            let targets: Vec<(usize, f64)> = match unit {
                Some(u) => vec![(u, arrivals)],
                None => (0..n).map(|u| (u, arrivals * shares[u])).collect(),
            };
            for (u, v) in targets {
                let i = h * n + u;
                if seen[i] != 0 {
                    problems.push(Diagnostic::cell(
                        file,
                        line,
                        &headers[ts_col],
                        &time.to_rfc3339(),
                        format!(
                            "repeats the hour (and unit {}) of line {}",
                            units[u], seen[i]
                        ),
                    ));
                    break;
                }
                seen[i] = line;
                values[i] = v;
            }
        }
        if !problems.is_empty() {
            return Err(ScenarioError::Csv(problems));
        }
        Ok(Self {
            start,
            units: units.clone(),
            hours: hours as u32,
            values,
        })
    }

    /// Instant of hour 0.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Unit names, in index order.
    pub fn units(&self) -> &[String] {
        &self.units
    }

    /// Hours covered.
    pub fn hours(&self) -> u32 {
        self.hours
    }

    /// Arrivals of `unit` in `hour` (0 outside the series).
    pub fn get(&self, hour: u32, unit: usize) -> f64 {
        if hour >= self.hours || unit >= self.units.len() {
            return 0.0;
        }
        self.values[hour as usize * self.units.len() + unit]
    }
}

/// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` / `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(units: &[&str]) -> SimulatorConfig {
        SimulatorConfig {
            units: units.iter().map(|s| (*s).to_owned()).collect(),
            ..SimulatorConfig::default()
        }
    }

    #[test]
    fn per_unit_rows_with_gaps_and_any_column_order() {
        let text = "unit,arrivals,timestamp\n\
                    a,3,2026-01-05T07:00:00Z\n\
                    b,1.5,2026-01-05 07:00\n\
                    a,2,2026-01-05T09:00:00Z\n";
        let s = HourlyArrivals::parse_csv(text, "x.csv", &config(&["a", "b"])).unwrap();
        assert_eq!(s.hours(), 3);
        assert_eq!((s.get(0, 0), s.get(0, 1)), (3.0, 1.5));
        assert_eq!((s.get(1, 0), s.get(1, 1)), (0.0, 0.0));
        assert_eq!(s.get(2, 0), 2.0);
        assert_eq!(s.start().to_rfc3339(), "2026-01-05T07:00:00+00:00");
    }

    #[test]
    fn totals_are_split_by_shares() {
        let mut c = config(&["a", "b"]);
        c.unit_shares = vec![3.0, 1.0];
        let text = "timestamp,arrivals\n2026-01-05T00:00:00Z,8\n2026-01-05T01:00:00Z,4\n";
        let s = HourlyArrivals::parse_csv(text, "x.csv", &c).unwrap();
        assert_eq!((s.get(0, 0), s.get(0, 1)), (6.0, 2.0));
        assert_eq!((s.get(1, 0), s.get(1, 1)), (3.0, 1.0));
    }

    #[test]
    fn every_bad_cell_is_reported_with_line_column_and_value() {
        let text = "timestamp,unit,arrivals\n\
                    2026-01-05T00:00:00Z,a,1\n\
                    yesterday,a,1\n\
                    2026-01-05T01:00:00Z,zz,1\n\
                    2026-01-05T02:00:00Z,a,-3\n\
                    2026-01-05T03:00:00Z,a,NaN\n";
        let Err(ScenarioError::Csv(d)) =
            HourlyArrivals::parse_csv(text, "arr.csv", &config(&["a"]))
        else {
            panic!("expected CSV diagnostics");
        };
        let text: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(d.len(), 4, "{text:#?}");
        assert!(
            text[0].starts_with("arr.csv:3: column \"timestamp\": value \"yesterday\""),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("arr.csv:4: column \"unit\": value \"zz\""),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with("arr.csv:5: column \"arrivals\": value \"-3\""),
            "{}",
            text[2]
        );
        assert!(
            text[3].starts_with("arr.csv:6: column \"arrivals\": value \"NaN\""),
            "{}",
            text[3]
        );
    }

    #[test]
    fn duplicates_off_grid_times_missing_columns_and_empty_files_are_errors() {
        let c = config(&["a"]);
        let dup = "timestamp,unit,arrivals\n2026-01-05T00:00:00Z,a,1\n2026-01-05T00:00:00Z,a,2\n";
        let err = HourlyArrivals::parse_csv(dup, "d.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("d.csv:3") && err.contains("repeats") && err.contains("line 2"),
            "{err}"
        );
        let off = "timestamp,arrivals\n2026-01-05T00:00:00Z,1\n2026-01-05T00:30:00Z,2\n";
        let err = HourlyArrivals::parse_csv(off, "o.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("o.csv:3") && err.contains("whole number of hours"),
            "{err}"
        );
        let missing = "time,arrivals\n2026-01-05T00:00:00Z,1\n";
        let err = HourlyArrivals::parse_csv(missing, "m.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("m.csv:1") && err.contains("timestamp"),
            "{err}"
        );
        let empty = "timestamp,arrivals\n";
        let err = HourlyArrivals::parse_csv(empty, "e.csv", &c)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("e.csv") && err.contains("no data rows"),
            "{err}"
        );
    }
}
