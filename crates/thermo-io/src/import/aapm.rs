//! Importer of the anonymised residency exported from the Autonomous Assignment Program
//! Manager (AAPM) project, the five CSV files described in `shared/data/SOURCES.md`:
//!
//! | file | columns used | becomes |
//! |---|---|---|
//! | `residency_block_rotations.csv` (required) | `resident`, `pgy`, `block`, `block_start`, `block_end`, `rotation` | residents (skill `pgyN`), one rotation per distinct name, one DAY assignment per resident and day of the block |
//! | `faculty_call_by_day.csv` | `date`, `weekday`, `faculty`, `holiday` | one PM assignment on `faculty-call` per night (role supervising), calendar holidays |
//! | `faculty_inpatient_weeks.csv` | `inpatient_week_start`, `inpatient_week_end`, `faculty` | DAY assignments on `inpatient-attending` (role supervising), Friday to Thursday |
//! | `absences.csv` | `role`, `person`, `start`, `end`, `duration_days`, `approved_residency`, `approved_army` | absences (approved when both approvals are `True`, rejected when either is `False`) |
//! | `faculty_published_totals.csv` | `faculty`, `faculty_type`, `total_*` | the faculty roster, and a check: the calls and weeks imported must reproduce these totals |
//!
//! Problems that make the data unusable (missing file or column, bad date, number or flag,
//! end before start, a resident with two PGY levels, two faculty on call the same night)
//! are errors, all collected before [`import_dir`] fails with [`BundleError::Invalid`].
//! Everything the importer repairs or cannot represent is a warning: exact duplicate
//! absence rows (dropped), absence rows without a person (skipped), a `duration_days` that
//! disagrees with the dates, resident block days inside an approved absence (not
//! assigned), a faculty call or attending day inside that person's approved absence (kept,
//! as the source schedules it), and any published total the imported schedule does not
//! reproduce.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};
use thermo_core::model::{
    Absence, AbsenceStatus, AssignmentRole, CalendarDay, Person, PersonIdx, PersonRole, Rotation,
    ScheduleBuilder, Session,
};

use crate::diagnostic::{Diagnostic, Warning};
use crate::table::parse_date;
use crate::{BundleError, ReadResult};

/// Resident block schedule (required).
pub const BLOCK_ROTATIONS: &str = "residency_block_rotations.csv";
/// Faculty on call per night.
pub const FACULTY_CALL: &str = "faculty_call_by_day.csv";
/// Inpatient attending per week.
pub const INPATIENT_WEEKS: &str = "faculty_inpatient_weeks.csv";
/// Leave intervals of residents and faculty.
pub const ABSENCES: &str = "absences.csv";
/// The source's own per-faculty totals.
pub const PUBLISHED_TOTALS: &str = "faculty_published_totals.csv";

/// Rotation id of the nightly faculty call.
pub const FACULTY_CALL_ROTATION: &str = "faculty-call";
/// Rotation id of the weekly inpatient (FMIT) attending.
pub const ATTENDING_ROTATION: &str = "inpatient-attending";

/// The text of each source file; `None` when the file is absent.
#[derive(Debug, Clone, Default)]
pub struct AapmSource {
    /// `residency_block_rotations.csv`.
    pub block_rotations: Option<String>,
    /// `faculty_call_by_day.csv`.
    pub faculty_call: Option<String>,
    /// `faculty_inpatient_weeks.csv`.
    pub inpatient_weeks: Option<String>,
    /// `absences.csv`.
    pub absences: Option<String>,
    /// `faculty_published_totals.csv`.
    pub published_totals: Option<String>,
}

/// Reads the AAPM files from a directory and converts them (see the module docs).
pub fn import_dir(dir: &Path) -> ReadResult {
    // Fails with the operating system's reason for a missing path or a plain file.
    std::fs::read_dir(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let read = |name: &str| -> Result<Option<String>, BundleError> {
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
                BundleError::Invalid(vec![Diagnostic {
                    file: name.to_owned(),
                    line: None,
                    column: None,
                    value: Some(format!("byte {}", e.utf8_error().valid_up_to())),
                    message: "is not valid UTF-8 (save the file as UTF-8)".to_owned(),
                }])
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(BundleError::Io { path, source }),
        }
    };
    let source = AapmSource {
        block_rotations: read(BLOCK_ROTATIONS)?,
        faculty_call: read(FACULTY_CALL)?,
        inpatient_weeks: read(INPATIENT_WEEKS)?,
        absences: read(ABSENCES)?,
        published_totals: read(PUBLISHED_TOTALS)?,
    };
    convert(&source)
}

/// One CSV file split into a header and rows, with cell parsers that record diagnostics.
struct Table<'a> {
    file: &'a str,
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl<'a> Table<'a> {
    /// Parses `text`; a missing required column or malformed CSV is an error.
    fn parse(
        file: &'a str,
        text: &str,
        required: &[&str],
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(r)) => r.iter().map(str::to_owned).collect(),
            Some(Err(e)) => {
                errors.push(Diagnostic::file(
                    file,
                    format!("is not well-formed CSV: {e}"),
                ));
                return None;
            }
            None => {
                errors.push(Diagnostic::file(
                    file,
                    format!("is empty (expected a header with {})", required.join(", ")),
                ));
                return None;
            }
        };
        let missing: Vec<&&str> = required
            .iter()
            .filter(|c| !header.iter().any(|h| h == *c))
            .collect();
        for column in &missing {
            errors.push(Diagnostic {
                file: file.to_owned(),
                line: Some(1),
                column: Some((**column).to_owned()),
                value: None,
                message: format!(
                    "required column is missing (the header must contain {})",
                    required.join(", ")
                ),
            });
        }
        if !missing.is_empty() {
            return None;
        }
        let mut rows = Vec::new();
        for record in records {
            match record {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line() as usize);
                    if r.iter().all(str::is_empty) {
                        continue;
                    }
                    rows.push((line, r.iter().map(str::to_owned).collect()));
                }
                Err(e) => errors.push(Diagnostic {
                    file: file.to_owned(),
                    line: e.position().map(|p| p.line() as usize),
                    column: None,
                    value: None,
                    message: format!("is not well-formed CSV: {e}"),
                }),
            }
        }
        Some(Self { file, header, rows })
    }

    fn cell<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.header
            .iter()
            .position(|h| h == column)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }

    fn date(
        &self,
        line: usize,
        row: &[String],
        column: &str,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<NaiveDate> {
        let text = self.cell(row, column);
        let date = parse_date(text);
        if date.is_none() {
            errors.push(Diagnostic::cell(
                self.file,
                line,
                column,
                text,
                "is not a date (expected YYYY-MM-DD)",
            ));
        }
        date
    }

    fn count(
        &self,
        line: usize,
        row: &[String],
        column: &str,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<u32> {
        let text = self.cell(row, column);
        let value = text.parse::<u32>().ok();
        if value.is_none() {
            errors.push(Diagnostic::cell(
                self.file,
                line,
                column,
                text,
                "is not a whole number ≥ 0",
            ));
        }
        value
    }

    fn id(
        &self,
        line: usize,
        row: &[String],
        column: &str,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let text = self.cell(row, column);
        if text.is_empty() {
            errors.push(Diagnostic::cell(
                self.file,
                line,
                column,
                text,
                "is empty (expected an id)",
            ));
            return None;
        }
        Some(text.to_owned())
    }
}

/// A rotation id from a display name: lowercase ASCII words joined by `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The rotation kind of a resident rotation name, by keyword (first match wins):
/// night float, inpatient team, ward, intensive care, labor and delivery, newborn nursery
/// → `inpatient`; emergency → `emergency`; clinic → `outpatient`; orientation, course,
/// development, research, military medicine → `education`; the off-site hospitals
/// Kapiolani, Hilo and Okinawa → `away`; anything else (selectives and specialty
/// rotations) → `outpatient`.
pub fn rotation_kind(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if has(&[
        "night float",
        "inpatient",
        "ward",
        "intensive care",
        "labor and delivery",
        "newborn nursery",
    ]) {
        "inpatient"
    } else if has(&["emergency"]) {
        "emergency"
    } else if has(&["clinic"]) {
        "outpatient"
    } else if has(&[
        "orientation",
        "course",
        "development",
        "research",
        "military medicine",
    ]) {
        "education"
    } else if has(&["kapiolani", "hilo", "okinawa"]) {
        "away"
    } else {
        "outpatient"
    }
}

struct ResidentBlock {
    line: usize,
    resident: String,
    start: NaiveDate,
    end: NaiveDate,
    rotation: String,
}

struct Roster {
    builder: ScheduleBuilder,
    roles: HashMap<String, PersonRole>,
}

impl Roster {
    fn add(&mut self, person: Person) -> PersonIdx {
        self.roles.insert(person.id.clone(), person.role);
        match self.builder.person_index(&person.id) {
            Some(idx) => idx,
            None => self
                .builder
                .add_person(person)
                .expect("new ids are unique and capacities finite"),
        }
    }

    fn faculty(
        &mut self,
        id: &str,
        file: &str,
        line: usize,
        warnings: &mut Vec<Warning>,
    ) -> PersonIdx {
        if let Some(idx) = self.builder.person_index(id) {
            return idx;
        }
        warnings.push(Diagnostic::cell(
            file,
            line,
            "faculty",
            id,
            format!("is not in {PUBLISHED_TOTALS}; added to the roster as faculty"),
        ));
        self.add(faculty_person(id, None))
    }
}

fn faculty_person(id: &str, faculty_type: Option<&str>) -> Person {
    let mut skills = vec!["attending".to_owned()];
    skills.extend(faculty_type.map(slug).filter(|s| !s.is_empty()));
    Person {
        id: id.to_owned(),
        name: None,
        role: PersonRole::Faculty,
        unit: Some("faculty".to_owned()),
        capacity_per_day: Person::DEFAULT_CAPACITY_PER_DAY,
        skills,
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Converts AAPM files held in memory (see the module docs).
pub fn convert(source: &AapmSource) -> ReadResult {
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let parse = |text: &Option<String>,
                 file: &'static str,
                 required: &[&str],
                 errors: &mut Vec<Diagnostic>| {
        text.as_deref()
            .and_then(|t| Table::parse(file, t, required, errors))
    };
    if source.block_rotations.is_none() {
        errors.push(Diagnostic::file(
            BLOCK_ROTATIONS,
            "required file is missing (the resident block schedule: resident, pgy, block, block_start, block_end, rotation)",
        ));
    }
    let blocks_table = parse(
        &source.block_rotations,
        BLOCK_ROTATIONS,
        &[
            "resident",
            "pgy",
            "block",
            "block_start",
            "block_end",
            "rotation",
        ],
        &mut errors,
    );
    let totals_table = parse(
        &source.published_totals,
        PUBLISHED_TOTALS,
        &["faculty"],
        &mut errors,
    );
    let call_table = parse(
        &source.faculty_call,
        FACULTY_CALL,
        &["date", "faculty"],
        &mut errors,
    );
    let weeks_table = parse(
        &source.inpatient_weeks,
        INPATIENT_WEEKS,
        &["inpatient_week_start", "inpatient_week_end", "faculty"],
        &mut errors,
    );
    let absences_table = parse(
        &source.absences,
        ABSENCES,
        &["role", "person", "start", "end"],
        &mut errors,
    );

    let mut roster = Roster {
        builder: ScheduleBuilder::new(),
        roles: HashMap::new(),
    };

    // Residents and their blocks.
    let mut pgy_of: HashMap<String, (u32, usize)> = HashMap::new();
    let mut resident_blocks: Vec<ResidentBlock> = Vec::new();
    let mut rotation_names: Vec<String> = Vec::new();
    if let Some(t) = &blocks_table {
        for (line, row) in &t.rows {
            let line = *line;
            let resident = t.id(line, row, "resident", &mut errors);
            let pgy = t.count(line, row, "pgy", &mut errors);
            t.count(line, row, "block", &mut errors);
            let start = t.date(line, row, "block_start", &mut errors);
            let end = t.date(line, row, "block_end", &mut errors);
            let rotation = t.id(line, row, "rotation", &mut errors);
            if let Some(p) = pgy
                && !(1..=7).contains(&p)
            {
                errors.push(Diagnostic::cell(
                    t.file,
                    line,
                    "pgy",
                    t.cell(row, "pgy"),
                    "is not a PGY level (expected 1 to 7)",
                ));
            }
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                errors.push(Diagnostic::cell(
                    t.file,
                    line,
                    "block_end",
                    t.cell(row, "block_end"),
                    format!("ends before block_start {s}"),
                ));
                continue;
            }
            let (Some(resident), Some(pgy), Some(start), Some(end), Some(rotation)) =
                (resident, pgy, start, end, rotation)
            else {
                continue;
            };
            match pgy_of.get(&resident) {
                Some(&(other, first_line)) if other != pgy => errors.push(Diagnostic::cell(
                    t.file,
                    line,
                    "pgy",
                    t.cell(row, "pgy"),
                    format!("disagrees with PGY{other} given for {resident} on line {first_line}"),
                )),
                Some(_) => {}
                None => {
                    pgy_of.insert(resident.clone(), (pgy, line));
                    roster.add(Person {
                        id: resident.clone(),
                        name: None,
                        role: PersonRole::Resident,
                        unit: Some("residency".to_owned()),
                        capacity_per_day: Person::DEFAULT_CAPACITY_PER_DAY,
                        skills: vec![format!("pgy{pgy}")],
                    });
                }
            }
            if !rotation_names.contains(&rotation) {
                rotation_names.push(rotation.clone());
            }
            resident_blocks.push(ResidentBlock {
                line,
                resident,
                start,
                end,
                rotation,
            });
        }
        // Two blocks of one resident that overlap would place them twice on a day.
        let mut by_resident: BTreeMap<&str, Vec<&ResidentBlock>> = BTreeMap::new();
        for b in &resident_blocks {
            by_resident.entry(&b.resident).or_default().push(b);
        }
        for blocks in by_resident.values_mut() {
            blocks.sort_by_key(|b| b.start);
            for pair in blocks.windows(2) {
                if pair[1].start <= pair[0].end {
                    errors.push(Diagnostic::row(
                        BLOCK_ROTATIONS,
                        pair[1].line,
                        format!(
                            "{}'s block starting {} overlaps the block on line {}",
                            pair[1].resident, pair[1].start, pair[0].line
                        ),
                    ));
                }
            }
        }
    }

    // Faculty roster from the published totals, in file order.
    let mut published: Vec<(usize, String, HashMap<String, u32>)> = Vec::new();
    if let Some(t) = &totals_table {
        for (line, row) in &t.rows {
            let Some(id) = t.id(*line, row, "faculty", &mut errors) else {
                continue;
            };
            let faculty_type = Some(t.cell(row, "faculty_type")).filter(|s| !s.is_empty());
            roster.add(faculty_person(&id, faculty_type));
            let mut totals = HashMap::new();
            for column in t.header.iter().filter(|h| h.starts_with("total_")) {
                if let Some(v) = t.count(*line, row, column, &mut errors) {
                    totals.insert(column.clone(), v);
                }
            }
            published.push((*line, id, totals));
        }
    }

    // Rotations.
    for name in &rotation_names {
        let kind = rotation_kind(name);
        let id = slug(name);
        if roster.builder.rotation_index(&id).is_some() {
            errors.push(Diagnostic::cell(
                BLOCK_ROTATIONS,
                1,
                "rotation",
                name,
                format!("maps to the same id {id:?} as another rotation name"),
            ));
            continue;
        }
        roster
            .builder
            .add_rotation(Rotation {
                id,
                name: Some(name.clone()),
                kind: Some(kind.to_owned()),
                min_coverage: 0,
                required_skill: None,
                counts_as_work: true,
                unit: Some("residency".to_owned()),
            })
            .expect("rotation ids are checked above");
    }
    for (id, name, kind) in [
        (
            ATTENDING_ROTATION,
            "Family Medicine Inpatient Team attending",
            "inpatient",
        ),
        (FACULTY_CALL_ROTATION, "Faculty night call", "call"),
    ] {
        if roster.builder.rotation_index(id).is_some() {
            errors.push(Diagnostic::cell(
                BLOCK_ROTATIONS,
                1,
                "rotation",
                id,
                "clashes with a rotation the importer defines",
            ));
            continue;
        }
        roster
            .builder
            .add_rotation(Rotation {
                id: id.to_owned(),
                name: Some(name.to_owned()),
                kind: Some(kind.to_owned()),
                min_coverage: 1,
                required_skill: Some("attending".to_owned()),
                counts_as_work: true,
                unit: Some("faculty".to_owned()),
            })
            .expect("importer rotation ids are checked above");
    }

    // Absences.
    let mut absences: Vec<(usize, Absence)> = Vec::new();
    if let Some(t) = &absences_table {
        let mut seen: HashMap<(String, NaiveDate, NaiveDate), usize> = HashMap::new();
        for (line, row) in &t.rows {
            let line = *line;
            let person = t.cell(row, "person").to_owned();
            let role_text = t.cell(row, "role");
            let role = match role_text {
                "resident" => Some(PersonRole::Resident),
                "faculty" => Some(PersonRole::Faculty),
                _ => {
                    errors.push(Diagnostic::cell(
                        t.file,
                        line,
                        "role",
                        role_text,
                        "is not a role (expected resident or faculty)",
                    ));
                    None
                }
            };
            let start = t.date(line, row, "start", &mut errors);
            let end = t.date(line, row, "end", &mut errors);
            let mut status = AbsenceStatus::Approved;
            for column in ["approved_residency", "approved_army"] {
                if !t.header.iter().any(|h| h == column) {
                    continue;
                }
                match t.cell(row, column) {
                    "True" | "true" => {}
                    "False" | "false" => status = AbsenceStatus::Rejected,
                    other => errors.push(Diagnostic::cell(
                        t.file,
                        line,
                        column,
                        other,
                        "is not a flag (expected True or False)",
                    )),
                }
            }
            if let (Some(start), Some(end)) = (start, end)
                && end < start
            {
                errors.push(Diagnostic::cell(
                    t.file,
                    line,
                    "end",
                    t.cell(row, "end"),
                    format!("is before start {start}"),
                ));
                continue;
            }
            let (Some(role), Some(start), Some(end)) = (role, start, end) else {
                continue;
            };
            if t.header.iter().any(|h| h == "duration_days") {
                let text = t.cell(row, "duration_days");
                let expected = (end - start).num_days() + 1;
                match text.parse::<i64>() {
                    Ok(d) if d == expected => {}
                    Ok(_) => warnings.push(Diagnostic::cell(t.file, line, "duration_days", text, format!("disagrees with the dates ({expected} days from {start} to {end}); the dates are used"))),
                    Err(_) => errors.push(Diagnostic::cell(t.file, line, "duration_days", text, "is not a whole number of days")),
                }
            }
            if person.is_empty() {
                warnings.push(Diagnostic::cell(
                    t.file,
                    line,
                    "person",
                    "",
                    "is empty: the absence cannot be attributed and is skipped",
                ));
                continue;
            }
            if let Some(first) = seen.get(&(person.clone(), start, end)) {
                warnings.push(Diagnostic::row(t.file, line, format!("repeats the absence on line {first} ({person}, {start} to {end}); the repeat is dropped")));
                continue;
            }
            seen.insert((person.clone(), start, end), line);
            let idx = match (
                roster.builder.person_index(&person),
                roster.roles.get(&person),
            ) {
                (Some(idx), Some(known)) => {
                    if *known != role {
                        warnings.push(Diagnostic::cell(
                            t.file,
                            line,
                            "role",
                            role_text,
                            format!("disagrees with the roster, where {person} is {known}"),
                        ));
                    }
                    idx
                }
                _ => {
                    warnings.push(Diagnostic::cell(
                        t.file,
                        line,
                        "person",
                        &person,
                        format!("appears in no schedule file; added to the roster as {role}"),
                    ));
                    let mut p = Person::new(person.clone());
                    p.role = role;
                    roster.add(p)
                }
            };
            absences.push((
                line,
                Absence {
                    person: idx,
                    start_date: start,
                    end_date: end,
                    kind: None,
                    status,
                },
            ));
        }
    }
    let away: HashSet<(PersonIdx, NaiveDate)> = absences
        .iter()
        .filter(|(_, a)| a.status.removes_capacity())
        .flat_map(|(_, a)| days(a.start_date, a.end_date).map(move |d| (a.person, d)))
        .collect();

    // Resident block days, except days on approved leave.
    let mut all_dates: Vec<NaiveDate> = Vec::new();
    let (mut skipped_days, mut skipped_blocks) = (0usize, 0usize);
    for b in &resident_blocks {
        let (Some(person), Some(_)) = (
            roster.builder.person_index(&b.resident),
            roster.builder.rotation_index(&slug(&b.rotation)),
        ) else {
            continue;
        };
        all_dates.extend([b.start, b.end]);
        let before = skipped_days;
        for date in days(b.start, b.end) {
            if away.contains(&(person, date)) {
                skipped_days += 1;
                continue;
            }
            roster
                .builder
                .assign(
                    &b.resident,
                    date,
                    Session::Day,
                    Some(&slug(&b.rotation)),
                    AssignmentRole::Primary,
                )
                .expect("person and rotation were just resolved");
        }
        skipped_blocks += usize::from(skipped_days > before);
    }
    if skipped_days > 0 {
        warnings.push(Diagnostic::file(
            BLOCK_ROTATIONS,
            format!(
                "{skipped_days} resident day(s) in {skipped_blocks} block(s) fall inside an approved absence and are not assigned (the absence takes precedence over the block plan)"
            ),
        ));
    }

    // Faculty call, one per night, and the holidays it names.
    let mut holidays: HashSet<NaiveDate> = HashSet::new();
    let mut call_counts: HashMap<(String, Weekday), u32> = HashMap::new();
    if let Some(t) = &call_table {
        let mut nights: HashMap<NaiveDate, usize> = HashMap::new();
        for (line, row) in &t.rows {
            let line = *line;
            let date = t.date(line, row, "date", &mut errors);
            let faculty = t.id(line, row, "faculty", &mut errors);
            let (Some(date), Some(faculty)) = (date, faculty) else {
                continue;
            };
            if let Some(first) = nights.insert(date, line) {
                errors.push(Diagnostic::cell(t.file, line, "date", t.cell(row, "date"), format!("has a second faculty on call (first on line {first}); one per night expected")));
                continue;
            }
            let weekday = t.cell(row, "weekday");
            let actual = format!("{:?}", date.weekday());
            if !weekday.is_empty() && !weekday_matches(weekday, date.weekday()) {
                warnings.push(Diagnostic::cell(
                    t.file,
                    line,
                    "weekday",
                    weekday,
                    format!("disagrees with the date {date}, a {actual}; the date is used"),
                ));
            }
            if !t.cell(row, "holiday").is_empty() {
                holidays.insert(date);
            }
            let person = roster.faculty(&faculty, t.file, line, &mut warnings);
            if away.contains(&(person, date)) {
                warnings.push(Diagnostic::row(t.file, line, format!("{faculty} is on call during an approved absence; the call is kept as scheduled")));
            }
            *call_counts
                .entry((faculty.clone(), date.weekday()))
                .or_default() += 1;
            all_dates.push(date);
            roster
                .builder
                .assign(
                    &faculty,
                    date,
                    Session::Pm,
                    Some(FACULTY_CALL_ROTATION),
                    AssignmentRole::Supervising,
                )
                .expect("the faculty and the call rotation exist");
        }
    }

    // Inpatient attending weeks (Friday to Thursday).
    let mut week_counts: HashMap<String, u32> = HashMap::new();
    if let Some(t) = &weeks_table {
        let mut attended: HashMap<NaiveDate, usize> = HashMap::new();
        for (line, row) in &t.rows {
            let line = *line;
            let start = t.date(line, row, "inpatient_week_start", &mut errors);
            let end = t.date(line, row, "inpatient_week_end", &mut errors);
            let faculty = t.id(line, row, "faculty", &mut errors);
            let (Some(start), Some(end), Some(faculty)) = (start, end, faculty) else {
                continue;
            };
            if end < start {
                errors.push(Diagnostic::cell(
                    t.file,
                    line,
                    "inpatient_week_end",
                    t.cell(row, "inpatient_week_end"),
                    format!("is before inpatient_week_start {start}"),
                ));
                continue;
            }
            let person = roster.faculty(&faculty, t.file, line, &mut warnings);
            *week_counts.entry(faculty.clone()).or_default() += 1;
            let mut on_leave = 0;
            for date in days(start, end) {
                if let Some(first) = attended.insert(date, line) {
                    errors.push(Diagnostic::row(t.file, line, format!("attends {date}, already covered by the week on line {first}; one attending per day expected")));
                    continue;
                }
                on_leave += usize::from(away.contains(&(person, date)));
                all_dates.push(date);
                roster
                    .builder
                    .assign(
                        &faculty,
                        date,
                        Session::Day,
                        Some(ATTENDING_ROTATION),
                        AssignmentRole::Supervising,
                    )
                    .expect("the faculty and the attending rotation exist");
            }
            if on_leave > 0 {
                warnings.push(Diagnostic::row(t.file, line, format!("{on_leave} day(s) of {faculty}'s attending week fall inside an approved absence; kept as scheduled")));
            }
        }
    }

    // The published totals must be reproduced by what was imported.
    for (line, faculty, totals) in &published {
        let calls = |days: &[Weekday]| -> u32 {
            days.iter()
                .map(|d| {
                    call_counts
                        .get(&(faculty.clone(), *d))
                        .copied()
                        .unwrap_or(0)
                })
                .sum()
        };
        let all = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let checks: Vec<(&str, u32)> = vec![
            ("total_call_days", calls(&all)),
            ("total_sunday_call", calls(&[Weekday::Sun])),
            ("total_non_sunday_call", calls(&all[..6])),
            ("total_monday_call", calls(&[Weekday::Mon])),
            ("total_tuesday_call", calls(&[Weekday::Tue])),
            ("total_wednesday_call", calls(&[Weekday::Wed])),
            ("total_thursday_call", calls(&[Weekday::Thu])),
            ("total_friday_call", calls(&[Weekday::Fri])),
            ("total_saturday_call", calls(&[Weekday::Sat])),
            (
                "total_inpatient_weeks",
                week_counts.get(faculty).copied().unwrap_or(0),
            ),
        ];
        let needs_calls = call_table.is_some();
        for (column, imported) in checks {
            let applies = if column == "total_inpatient_weeks" {
                weeks_table.is_some()
            } else {
                needs_calls
            };
            if let Some(&stated) = totals.get(column)
                && applies
                && stated != imported
            {
                warnings.push(Diagnostic::cell(
                    PUBLISHED_TOTALS,
                    *line,
                    column,
                    &stated.to_string(),
                    format!("is not reproduced: the imported schedule gives {faculty} {imported}"),
                ));
            }
        }
    }

    for (_, absence) in absences {
        roster
            .builder
            .add_absence(absence)
            .expect("absence dates are checked above");
    }

    // Calendar: every date from the first to the last scheduled day.
    if let (Some(&first), Some(&last)) = (all_dates.iter().min(), all_dates.iter().max()) {
        for date in days(first, last) {
            roster
                .builder
                .add_calendar_day(CalendarDay {
                    date,
                    session: None,
                    weekend: matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                    holiday: holidays.contains(&date),
                    capacity_factor: 1.0,
                })
                .expect("capacity factor 1 is valid");
        }
    }

    if !errors.is_empty() {
        return Err(BundleError::Invalid(errors));
    }
    Ok((roster.builder.build(), warnings))
}

fn weekday_matches(text: &str, weekday: Weekday) -> bool {
    let full = match weekday {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    };
    text.eq_ignore_ascii_case(full) || text.eq_ignore_ascii_case(&full[..3])
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCKS: &str = "resident,pgy,block,block_start,block_end,rotation\n\
        PGY1-01,1,1,2025-07-01,2025-07-03,Family Medicine Inpatient Team Intern\n\
        PGY1-01,1,2,2025-07-04,2025-07-05,Pediatrics Clinic\n\
        PGY2-01,2,1,2025-07-01,2025-07-05,Hilo\n";
    const CALLS: &str = "date,weekday,block,week_of_block,faculty,holiday\n\
        2025-07-03,thursday,1,1,FAC-A,\n\
        2025-07-04,friday,1,1,FAC-B,Independence Day\n\
        2025-07-05,saturday,1,1,FAC-B,\n";
    const WEEKS: &str = "week_monday,week_sunday,inpatient_week_start,inpatient_week_end,block,week_of_block,faculty\n\
        2025-06-30,2025-07-06,2025-07-04,2025-07-05,1,1,FAC-B\n";
    const TOTALS: &str = "faculty,faculty_type,total_call_days,total_sunday_call,total_friday_call,total_inpatient_weeks\n\
        FAC-A,Full-Time Faculty,1,0,0,0\n\
        FAC-B,Adjunct Faculty,2,0,1,1\n";
    const ABSENCES_CSV: &str = "role,person,start,end,duration_days,approved_residency,approved_army\n\
        resident,PGY1-01,2025-07-02,2025-07-02,1,True,True\n\
        resident,PGY1-01,2025-07-02,2025-07-02,1,True,True\n\
        resident,,2025-07-02,2025-07-03,2,True,True\n\
        faculty,FAC-A,2025-07-10,2025-07-12,4,True,False\n";

    fn source() -> AapmSource {
        AapmSource {
            block_rotations: Some(BLOCKS.into()),
            faculty_call: Some(CALLS.into()),
            inpatient_weeks: Some(WEEKS.into()),
            absences: Some(ABSENCES_CSV.into()),
            published_totals: Some(TOTALS.into()),
        }
    }

    #[test]
    fn converts_blocks_calls_weeks_and_absences() {
        let (s, warnings) = convert(&source()).expect("valid source");
        let ids: Vec<&str> = s.people.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["PGY1-01", "PGY2-01", "FAC-A", "FAC-B"]);
        assert_eq!(s.people[1].skills, ["pgy2"]);
        assert_eq!(s.people[3].skills, ["attending", "adjunct-faculty"]);
        let rot = |id: &str| s.rotation(s.rotation_index(id).expect(id));
        assert_eq!(
            rot("family-medicine-inpatient-team-intern").kind.as_deref(),
            Some("inpatient")
        );
        assert_eq!(rot("pediatrics-clinic").kind.as_deref(), Some("outpatient"));
        assert_eq!(rot("hilo").kind.as_deref(), Some("away"));
        assert_eq!(rot(FACULTY_CALL_ROTATION).min_coverage, 1);
        // PGY1-01: 3 + 2 block days minus 1 day of leave; PGY2-01: 5; 3 calls; 2 attending days.
        assert_eq!(s.assignments.len(), 4 + 5 + 3 + 2);
        let pgy1 = s.person_index("PGY1-01").unwrap();
        let day2 = NaiveDate::from_ymd_opt(2025, 7, 2).unwrap();
        assert!(
            !s.assignments
                .iter()
                .any(|a| a.person == pgy1 && s.assignment_date(a) == day2)
        );
        // Duplicate dropped, anonymous skipped, wrong duration noted; FAC-A's leave rejected.
        assert_eq!(s.absences.len(), 2);
        assert_eq!(s.absences[1].status, AbsenceStatus::Rejected);
        let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("repeats the absence on line 2")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("cannot be attributed")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("disagrees with the dates (3 days"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("inside an approved absence"))
        );
        // The totals above are reproduced exactly: no "not reproduced" warning.
        assert!(
            !messages.iter().any(|m| m.contains("not reproduced")),
            "{messages:?}"
        );
        let holiday = s.calendar.iter().find(|c| c.holiday).expect("a holiday");
        assert_eq!(holiday.date, NaiveDate::from_ymd_opt(2025, 7, 4).unwrap());
        assert_eq!(s.calendar.len(), 5);
        assert!(s.calendar[4].weekend);
    }

    #[test]
    fn totals_that_do_not_match_are_reported() {
        let mut src = source();
        src.published_totals = Some(TOTALS.replace(
            "FAC-B,Adjunct Faculty,2,0,1,1",
            "FAC-B,Adjunct Faculty,3,0,1,2",
        ));
        let (_, warnings) = convert(&src).unwrap();
        let columns: Vec<&str> = warnings
            .iter()
            .filter(|w| w.message.contains("not reproduced"))
            .filter_map(|w| w.column.as_deref())
            .collect();
        assert_eq!(columns, ["total_call_days", "total_inpatient_weeks"]);
    }

    #[test]
    fn every_bad_cell_is_reported_with_file_line_and_column() {
        let mut src = source();
        src.block_rotations = Some(format!(
            "{BLOCKS}PGY1-01,2,3,2025-07-06,2025-07-07,Hilo\nPGY3-01,x,1,2025-13-01,2025-07-01,Hilo\n"
        ));
        src.faculty_call = Some(format!("{CALLS}2025-07-05,saturday,1,1,FAC-A,\n"));
        src.absences = Some(format!(
            "{ABSENCES_CSV}chief,FAC-A,2025-07-09,2025-07-01,1,maybe,True\n"
        ));
        let Err(BundleError::Invalid(errors)) = convert(&src) else {
            panic!("expected errors");
        };
        let found: Vec<(String, Option<usize>, Option<String>)> = errors
            .iter()
            .map(|e| (e.file.clone(), e.line, e.column.clone()))
            .collect();
        let has = |file: &str, line: usize, column: Option<&str>| {
            found
                .iter()
                .any(|(f, l, c)| f == file && *l == Some(line) && c.as_deref() == column)
        };
        assert!(has(BLOCK_ROTATIONS, 5, Some("pgy")), "{found:?}");
        assert!(has(BLOCK_ROTATIONS, 6, Some("pgy")));
        assert!(has(BLOCK_ROTATIONS, 6, Some("block_start")));
        assert!(has(FACULTY_CALL, 5, Some("date")));
        assert!(has(ABSENCES, 6, Some("role")));
        assert!(has(ABSENCES, 6, Some("approved_residency")));
        assert!(has(ABSENCES, 6, Some("end")));
    }

    #[test]
    fn missing_file_and_column_are_errors() {
        let Err(BundleError::Invalid(errors)) = convert(&AapmSource::default()) else {
            panic!("expected an error");
        };
        assert_eq!(errors[0].file, BLOCK_ROTATIONS);
        let mut src = source();
        src.faculty_call = Some("day,faculty\n2025-07-01,FAC-A\n".into());
        let Err(BundleError::Invalid(errors)) = convert(&src) else {
            panic!("expected an error");
        };
        assert_eq!(
            (errors[0].line, errors[0].column.as_deref()),
            (Some(1), Some("date"))
        );
    }

    #[test]
    fn slugs_and_kinds() {
        assert_eq!(slug("Night Float + Cardiology"), "night-float-cardiology");
        assert_eq!(
            slug("Family Medicine Clinic Intern Blocks 0-6"),
            "family-medicine-clinic-intern-blocks-0-6"
        );
        assert_eq!(rotation_kind("Night Float + Cardiology"), "inpatient");
        assert_eq!(rotation_kind("Pediatric Emergency Medicine"), "emergency");
        assert_eq!(rotation_kind("Family Medicine Orientation"), "education");
        assert_eq!(rotation_kind("Okinawa"), "away");
        assert_eq!(rotation_kind("Dermatology"), "outpatient");
    }
}
