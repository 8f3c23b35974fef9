//! Writing bundles losslessly: every table as CSV files or as one JSON document.
//!
//! Numbers are written in Rust's shortest round-trip form and timestamps as RFC 3339 with
//! as many fractional digits as they carry, so reading a written bundle gives back an equal
//! [`Schedule`].

use std::fs;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use thermo_core::model::Schedule;

use crate::BundleError;
use crate::table::{
    ABSENCES, ASSIGNMENTS, CALENDAR, METRICS, PEOPLE, ROTATIONS, SWAPS, TABLES, TableSpec,
};

/// One typed cell, so that CSV gets text and JSON gets numbers and booleans.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Number(f64),
    Count(u64),
    Bool(bool),
}

impl Cell<'_> {
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => (*s).to_owned(),
            Cell::Owned(s) => s.clone(),
            Cell::Number(x) => x.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String((*s).to_owned()),
            Cell::Owned(s) => Value::String(s.clone()),
            Cell::Number(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Cell::Count(n) => Value::from(*n),
            Cell::Bool(b) => Value::Bool(*b),
        }
    }
}

fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn text(s: &Option<String>) -> Option<Cell<'_>> {
    s.as_deref().map(Cell::Text)
}

/// Calls `emit` with each row of `spec`'s table, cells aligned to `spec.columns()`.
fn for_each_row(schedule: &Schedule, spec: TableSpec, mut emit: impl FnMut(&[Option<Cell<'_>>])) {
    match spec.name {
        "people" => {
            for p in &schedule.people {
                let skills = (!p.skills.is_empty()).then(|| Cell::Owned(p.skills.join(";")));
                emit(&[
                    Some(Cell::Text(&p.id)),
                    text(&p.name),
                    Some(Cell::Text(p.role.as_str())),
                    text(&p.unit),
                    Some(Cell::Number(p.capacity_per_day)),
                    skills,
                ]);
            }
        }
        "rotations" => {
            for r in &schedule.rotations {
                emit(&[
                    Some(Cell::Text(&r.id)),
                    text(&r.name),
                    text(&r.kind),
                    Some(Cell::Count(u64::from(r.min_coverage))),
                    text(&r.required_skill),
                    Some(Cell::Bool(r.counts_as_work)),
                    text(&r.unit),
                ]);
            }
        }
        "calendar" => {
            for c in &schedule.calendar {
                emit(&[
                    Some(Cell::Owned(c.date.to_string())),
                    c.session.map(|s| Cell::Text(s.as_str())),
                    Some(Cell::Bool(c.weekend)),
                    Some(Cell::Bool(c.holiday)),
                    Some(Cell::Number(c.capacity_factor)),
                ]);
            }
        }
        "assignments" => {
            for a in &schedule.assignments {
                let block = schedule.block(a.block);
                emit(&[
                    Some(Cell::Text(&schedule.person(a.person).id)),
                    Some(Cell::Owned(block.date.to_string())),
                    Some(Cell::Text(block.session.as_str())),
                    a.rotation.map(|r| Cell::Text(&schedule.rotation(r).id)),
                    Some(Cell::Text(a.role.as_str())),
                    a.score.map(Cell::Number),
                    Some(Cell::Bool(a.violation)),
                    a.created_at.as_ref().map(|t| Cell::Owned(timestamp(t))),
                ]);
            }
        }
        "absences" => {
            for a in &schedule.absences {
                emit(&[
                    Some(Cell::Text(&schedule.person(a.person).id)),
                    Some(Cell::Owned(a.start_date.to_string())),
                    Some(Cell::Owned(a.end_date.to_string())),
                    text(&a.kind),
                    Some(Cell::Text(a.status.as_str())),
                ]);
            }
        }
        "swaps" => {
            for s in &schedule.swaps {
                emit(&[
                    Some(Cell::Text(&schedule.person(s.source).id)),
                    Some(Cell::Owned(s.date.to_string())),
                    text(&s.id),
                    s.target.map(|t| Cell::Text(&schedule.person(t).id)),
                    s.session.map(|x| Cell::Text(x.as_str())),
                    Some(Cell::Count(u64::from(s.blocks))),
                    Some(Cell::Text(s.kind.as_str())),
                    Some(Cell::Text(s.status.as_str())),
                    s.requested_at.as_ref().map(|t| Cell::Owned(timestamp(t))),
                    s.executed_at.as_ref().map(|t| Cell::Owned(timestamp(t))),
                ]);
            }
        }
        "metrics" => {
            for m in &schedule.metrics {
                emit(&[
                    Some(Cell::Owned(timestamp(&m.timestamp))),
                    Some(Cell::Text(&m.metric)),
                    Some(Cell::Number(m.value)),
                ]);
            }
        }
        other => unreachable!("table {other} has no writer"),
    }
}

/// Whether a table is written: the two required tables always, the others when non-empty.
fn has_rows(schedule: &Schedule, spec: TableSpec) -> bool {
    spec.required
        || match spec.name {
            "rotations" => !schedule.rotations.is_empty(),
            "calendar" => !schedule.calendar.is_empty(),
            "absences" => !schedule.absences.is_empty(),
            "swaps" => !schedule.swaps.is_empty(),
            "metrics" => !schedule.metrics.is_empty(),
            _ => true,
        }
}

/// Writes `schedule` as a directory of CSV files (created if missing). Optional tables
/// with no rows are not written; files of those tables left from an earlier bundle in
/// the same directory are removed, so the directory always reads back to `schedule`.
pub fn write_csv_dir(schedule: &Schedule, dir: &Path) -> Result<(), BundleError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BundleError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    for spec in TABLES {
        let path = dir.join(spec.file_name());
        if !has_rows(schedule, spec) {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
            continue;
        }
        let file = fs::File::create(&path).map_err(io(&path))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, file));
        let csv_err = |source| BundleError::Csv {
            path: path.clone(),
            source,
        };
        writer.write_record(spec.columns()).map_err(csv_err)?;
        let mut failure = None;
        let mut record = csv::StringRecord::new();
        for_each_row(schedule, spec, |cells| {
            if failure.is_some() {
                return;
            }
            record.clear();
            for cell in cells {
                match cell {
                    Some(c) => record.push_field(&c.csv_text()),
                    None => record.push_field(""),
                }
            }
            if let Err(e) = writer.write_record(&record) {
                failure = Some(e);
            }
        });
        if let Some(e) = failure {
            return Err(csv_err(e));
        }
        let mut inner = writer.into_inner().map_err(|e| io(&path)(e.into_error()))?;
        inner.flush().map_err(io(&path))?;
    }
    Ok(())
}

/// The bundle as one JSON document: an object with one array of objects per non-empty
/// table (absent optional values are omitted).
pub fn to_json_value(schedule: &Schedule) -> Value {
    let mut document = Map::new();
    for spec in [
        PEOPLE,
        ROTATIONS,
        CALENDAR,
        ASSIGNMENTS,
        ABSENCES,
        SWAPS,
        METRICS,
    ] {
        if !has_rows(schedule, spec) {
            continue;
        }
        let columns: Vec<&str> = spec.columns().collect();
        let mut rows = Vec::new();
        for_each_row(schedule, spec, |cells| {
            let mut object = Map::new();
            for (name, cell) in columns.iter().zip(cells) {
                if let Some(cell) = cell {
                    object.insert((*name).to_owned(), cell.json());
                }
            }
            rows.push(Value::Object(object));
        });
        document.insert(spec.name.to_owned(), Value::Array(rows));
    }
    Value::Object(document)
}

/// Writes `schedule` as one pretty-printed JSON document.
pub fn write_json(schedule: &Schedule, path: &Path) -> Result<(), BundleError> {
    let text = serde_json::to_string_pretty(&to_json_value(schedule)).map_err(|source| {
        BundleError::Json {
            path: path.to_owned(),
            source,
        }
    })?;
    fs::write(path, text + "\n").map_err(|source| BundleError::Io {
        path: path.to_owned(),
        source,
    })
}
