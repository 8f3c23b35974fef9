//! Reading bundles: a directory of CSV files or one JSON document, into one [`Assembler`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::assemble::Assembler;
use crate::diagnostic::Diagnostic;
use crate::table::{ColumnMap, ROTATIONS, Row, TABLES, TableSpec};
use crate::{BundleError, ReadResult};

/// Decodes `bytes` as UTF-8 (a leading byte-order mark is dropped). Invalid sequences
/// give a diagnostic with the line and the bytes of the first one, and the text is decoded
/// lossily so that the rest of the file is still checked and its ids still resolve.
fn decode<'a>(file: &str, bytes: &'a [u8]) -> (Cow<'a, str>, Option<Diagnostic>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), None),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let bad: Vec<String> = bytes[at..]
                .iter()
                .take(e.error_len().unwrap_or(1))
                .map(|b| format!("0x{b:02X}"))
                .collect();
            let diagnostic = Diagnostic {
                file: file.to_owned(),
                line: Some(line),
                column: None,
                value: Some(bad.join(" ")),
                message: "is not valid UTF-8 (wrong encoding: save the file as UTF-8)".to_owned(),
            };
            (String::from_utf8_lossy(bytes), Some(diagnostic))
        }
    }
}

fn required_columns_text(spec: TableSpec) -> String {
    spec.required_columns.join(", ")
}

/// Reads a directory of CSV files (`people.csv`, `assignments.csv`, …).
pub fn read_csv_dir(dir: &Path) -> ReadResult {
    let mut texts: Vec<(TableSpec, String, Option<Vec<u8>>)> = Vec::with_capacity(TABLES.len());
    for spec in TABLES {
        let file = spec.file_name();
        let path = dir.join(&file);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(BundleError::Io { path, source }),
        };
        texts.push((spec, file, bytes));
    }
    let mut extra_warnings = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut unknown: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            name.to_ascii_lowercase().ends_with(".csv")
                && !TABLES.iter().any(|t| t.file_name() == *name)
        })
        .collect();
    unknown.sort();
    for name in unknown {
        extra_warnings.push(Diagnostic::file(
            &name,
            format!(
                "unknown file is ignored (a bundle reads {})",
                TABLES.map(|t| t.file_name()).join(", ")
            ),
        ));
    }
    let tables: Vec<(TableSpec, &str, Option<&[u8]>)> = texts
        .iter()
        .map(|(spec, file, bytes)| (*spec, file.as_str(), bytes.as_deref()))
        .collect();
    let (schedule, mut warnings) = assemble_csv(&tables)?;
    warnings.extend(extra_warnings);
    Ok((schedule, warnings))
}

/// Parses CSV tables held in memory: `(table name, source name for diagnostics, text)`.
/// Tables not given are absent; a required table that is absent is an error.
pub fn parse_csv_tables(tables: &[(&str, &str, &str)]) -> ReadResult {
    let mut given: Vec<(TableSpec, &str, Option<&[u8]>)> = Vec::with_capacity(TABLES.len());
    let mut errors = Vec::new();
    for (name, source, _) in tables {
        if !TABLES.iter().any(|t| t.name == *name) {
            errors.push(Diagnostic::file(
                source,
                format!(
                    "names no table (known: {})",
                    TABLES.map(|t| t.name).join(", ")
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(BundleError::Invalid(errors));
    }
    for spec in TABLES {
        match tables.iter().find(|(name, _, _)| *name == spec.name) {
            Some((_, source, text)) => given.push((spec, source, Some(text.as_bytes()))),
            None => given.push((spec, "", None)),
        }
    }
    assemble_csv(&given)
}

fn assemble_csv(tables: &[(TableSpec, &str, Option<&[u8]>)]) -> ReadResult {
    let mut asm = Assembler::new();
    for &(spec, file, bytes) in tables {
        let Some(bytes) = bytes else {
            if spec.required {
                asm.errors.push(Diagnostic::file(
                    &spec.file_name(),
                    format!(
                        "required file is missing (a bundle needs people.csv and assignments.csv; {} needs the columns {})",
                        spec.file_name(),
                        required_columns_text(spec)
                    ),
                ));
            }
            continue;
        };
        let (text, encoding_problem) = decode(file, bytes);
        asm.errors.extend(encoding_problem);
        feed_csv(&mut asm, spec, file, &text);
    }
    asm.finish().map_err(BundleError::Invalid)
}

fn csv_error(file: &str, e: &csv::Error) -> Diagnostic {
    let line = e.position().map(|p| p.line() as usize);
    Diagnostic {
        file: file.to_owned(),
        line,
        column: None,
        value: None,
        message: format!("is not well-formed CSV: {e}"),
    }
}

fn feed_csv(asm: &mut Assembler, spec: TableSpec, file: &str, text: &str) {
    let expected = format!(
        "expected a header row with at least {}",
        required_columns_text(spec)
    );
    if text.trim().is_empty() {
        asm.errors
            .push(Diagnostic::file(file, format!("is empty ({expected})")));
        return;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            asm.errors
                .push(Diagnostic::file(file, format!("is empty ({expected})")));
            return;
        }
        Err(e) => {
            asm.errors.push(csv_error(file, &e));
            return;
        }
    }
    let header: Vec<String> = record.iter().map(|h| h.trim().to_owned()).collect();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let (columns, errors, warnings) = ColumnMap::new(spec, file, &header_refs);
    let header_ok = errors.is_empty();
    asm.errors.extend(errors);
    asm.warnings.extend(warnings);
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            asm.errors.push(Diagnostic::cell(
                file,
                1,
                h,
                h,
                "appears twice in the header (each column once)",
            ));
        }
    }
    if !header_ok {
        return;
    }
    if spec.name == ROTATIONS.name {
        asm.rotations_table_present();
    }
    let mut rows = 0usize;
    let mut errors = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                errors.push(csv_error(file, &e));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        rows += 1;
        if record.len() != header.len() {
            errors.push(Diagnostic::row(
                file,
                line,
                format!(
                    "has {} fields but the header has {} (check for a missing or extra comma)",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let cells: Vec<&str> = record.iter().collect();
        let mut row = Row {
            source: file,
            line,
            cells: &cells,
            columns: &columns,
            errors: &mut errors,
        };
        asm.row(spec.name, &mut row);
    }
    asm.errors.append(&mut errors);
    if rows == 0 && spec.required {
        asm.errors.push(Diagnostic::file(
            file,
            format!("has a header but no rows (at least one row is required in {file})"),
        ));
    }
}

/// Reads a JSON document bundle from a file.
pub fn read_json_file(path: &Path) -> ReadResult {
    let bytes = std::fs::read(path).map_err(|source| BundleError::Io {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match decode(&name, &bytes) {
        (text, None) => parse_json_bundle(&text, &name),
        (text, Some(problem)) => match parse_json_bundle(&text, &name) {
            Err(BundleError::Invalid(mut problems)) => {
                problems.insert(0, problem);
                Err(BundleError::Invalid(problems))
            }
            _ => Err(BundleError::Invalid(vec![problem])),
        },
    }
}

/// Parses a JSON document bundle (`{"people": [...], "assignments": [...], …}`) from text;
/// `source` names it in diagnostics (`schedule.json#assignments:12`).
pub fn parse_json_bundle(text: &str, source: &str) -> ReadResult {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        BundleError::Invalid(vec![Diagnostic {
            file: source.to_owned(),
            line: Some(e.line()),
            column: None,
            value: None,
            message: format!("is not valid JSON: {e}"),
        }])
    })?;
    let Some(document) = value.as_object() else {
        return Err(BundleError::Invalid(vec![Diagnostic::file(
            source,
            "must be a JSON object with one array of objects per table (people, assignments, …)",
        )]));
    };
    let lines = element_lines(text);
    let mut asm = Assembler::new();
    for key in document.keys() {
        if !TABLES.iter().any(|t| t.name == key) {
            asm.warnings.push(Diagnostic::file(
                source,
                format!(
                    "unknown table {key:?} is ignored (known: {})",
                    TABLES.map(|t| t.name).join(", ")
                ),
            ));
        }
    }
    for spec in TABLES {
        let table_source = format!("{source}#{}", spec.name);
        match document.get(spec.name) {
            None | Some(Value::Null) => {
                if spec.required {
                    asm.errors.push(Diagnostic::file(
                        &table_source,
                        format!(
                            "required table is missing (the document needs \"people\" and \"assignments\"; each {} object needs {})",
                            spec.name,
                            required_columns_text(spec)
                        ),
                    ));
                }
            }
            Some(Value::Array(items)) => {
                let item_lines = lines.get(spec.name).map_or(&[][..], Vec::as_slice);
                feed_json(&mut asm, spec, &table_source, items, item_lines);
            }
            Some(other) => asm.errors.push(Diagnostic {
                file: table_source,
                line: None,
                column: None,
                value: Some(short_json(other)),
                message: "must be an array of objects".to_owned(),
            }),
        }
    }
    asm.finish().map_err(BundleError::Invalid)
}

fn short_json(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        text.chars().take(40).collect::<String>() + "…"
    } else {
        text
    }
}

/// The text of a JSON scalar as a CSV cell would hold it; `None` for a value that is not
/// a scalar (arrays of strings are joined with `;`, the list separator of `skills`).
fn cell_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(";")),
        Value::Object(_) => None,
    }
}

fn feed_json(asm: &mut Assembler, spec: TableSpec, source: &str, items: &[Value], lines: &[usize]) {
    let known: Vec<&str> = spec.columns().collect();
    let (columns, _, _) = ColumnMap::new(spec, source, &known);
    if spec.name == ROTATIONS.name {
        asm.rotations_table_present();
    }
    let mut unknown_keys: Vec<&str> = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let Some(object) = item.as_object() else {
            errors.push(Diagnostic {
                file: source.to_owned(),
                line: Some(line),
                column: None,
                value: Some(short_json(item)),
                message: format!(
                    "must be an object with at least {}",
                    required_columns_text(spec)
                ),
            });
            continue;
        };
        let mut cells: Vec<String> = vec![String::new(); known.len()];
        let mut scalar_ok = true;
        for (key, value) in object {
            match known.iter().position(|k| k == key) {
                Some(i) => match cell_text(value) {
                    Some(text) => cells[i] = text,
                    None => {
                        scalar_ok = false;
                        errors.push(Diagnostic::cell(
                            source,
                            line,
                            key,
                            &short_json(value),
                            "must be a string, number, boolean or null",
                        ));
                    }
                },
                None => {
                    if !unknown_keys.contains(&key.as_str()) {
                        unknown_keys.push(key);
                        asm.warnings.push(Diagnostic::cell(
                            source,
                            line,
                            key,
                            "",
                            format!("unknown key is ignored (known: {})", known.join(", ")),
                        ));
                    }
                }
            }
        }
        if !scalar_ok {
            continue;
        }
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        let mut row = Row {
            source,
            line,
            cells: &refs,
            columns: &columns,
            errors: &mut errors,
        };
        asm.row(spec.name, &mut row);
    }
    asm.errors.append(&mut errors);
    if items.is_empty() && spec.required {
        asm.errors.push(Diagnostic::file(
            source,
            format!("is empty (at least one {} object is required)", spec.name),
        ));
    }
}

/// For each top-level array of a (syntactically valid) JSON object, the 1-based line on
/// which each element starts, so that diagnostics can point into the document.
fn element_lines(text: &str) -> HashMap<String, Vec<usize>> {
    let bytes = text.as_bytes();
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut last_key: Option<String> = None;
    let mut current: Option<(String, Vec<usize>)> = None;
    let mut expect_element = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts_value = !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b':');
        if depth == 2 && expect_element && starts_value {
            if let Some((_, v)) = current.as_mut() {
                v.push(line);
            }
            expect_element = false;
        }
        match c {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if depth == 1 {
                    last_key = text.get(start..i.min(bytes.len())).map(str::to_owned);
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth == 2 && c == b'[' {
                    current = Some((last_key.take().unwrap_or_default(), Vec::new()));
                    expect_element = true;
                }
            }
            b']' | b'}' => {
                if depth == 2
                    && c == b']'
                    && let Some((key, v)) = current.take()
                {
                    out.insert(key, v);
                }
                depth = depth.saturating_sub(1);
            }
            b',' if depth == 2 => expect_element = true,
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_lines_point_at_each_object() {
        let text = "{\n \"people\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b,]\"}\n ],\n \"x\": 1,\n \"assignments\": [{\"person_id\": \"a\"}]\n}";
        let lines = element_lines(text);
        assert_eq!(lines["people"], vec![3, 4]);
        assert_eq!(lines["assignments"], vec![7]);
    }

    #[test]
    fn decode_names_the_line_of_the_bad_byte() {
        let (text, problem) = decode("people.csv", b"id,name\np1,Ren\xE9e\n");
        let d = problem.unwrap();
        assert_eq!(d.line, Some(2));
        assert_eq!(d.value.as_deref(), Some("0xE9"));
        assert_eq!(text, "id,name\np1,Ren\u{FFFD}e\n");
        assert_eq!(
            decode("x", b"\xEF\xBB\xBFid\n"),
            (Cow::Borrowed("id\n"), None)
        );
    }
}
