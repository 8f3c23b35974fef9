//! Turns parsed rows into a [`Schedule`], collecting every problem in one pass.

use std::collections::HashSet;

use thermo_core::model::{
    Absence, AbsenceStatus, Assignment, AssignmentRole, Block, CalendarDay, MetricSample, Person,
    PersonIdx, PersonRole, Rotation, Schedule, ScheduleBuilder, Session, Swap, SwapKind,
    SwapStatus,
};

use crate::diagnostic::{Diagnostic, Warning};
use crate::table::Row;

/// Builds a schedule row by row, table by table (people and rotations first).
pub struct Assembler {
    builder: ScheduleBuilder,
    /// Problems found.
    pub errors: Vec<Diagnostic>,
    /// Remarks that do not stop the read.
    pub warnings: Vec<Warning>,
    rotations_defined: bool,
    auto_rotations: HashSet<String>,
    /// (person << 32 | block << 2 | role, source index, line) of every valid assignment.
    assignment_keys: Vec<(u64, u32, u32)>,
    sources: Vec<String>,
}

impl Assembler {
    /// An empty assembler.
    pub fn new() -> Self {
        Self {
            builder: ScheduleBuilder::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            rotations_defined: false,
            auto_rotations: HashSet::new(),
            assignment_keys: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Marks that the bundle has a rotations table, so unknown rotation ids are errors.
    pub fn rotations_table_present(&mut self) {
        self.rotations_defined = true;
    }

    /// Dispatches a row of table `table`.
    pub fn row(&mut self, table: &str, row: &mut Row<'_>) {
        match table {
            "people" => self.person(row),
            "rotations" => self.rotation(row),
            "calendar" => self.calendar(row),
            "assignments" => self.assignment(row),
            "absences" => self.absence(row),
            "swaps" => self.swap(row),
            "metrics" => self.metric(row),
            _ => {}
        }
    }

    fn known_person(&self, row: &mut Row<'_>, column: &str, id: &str) -> Option<PersonIdx> {
        let idx = self.builder.person_index(id);
        if idx.is_none() {
            row.problem(column, id, "names no person in people");
        }
        idx
    }

    fn person(&mut self, row: &mut Row<'_>) {
        let id = row.required("id").map(str::to_owned);
        let role = row.keyword(
            "role",
            PersonRole::Other,
            PersonRole::parse_keyword,
            PersonRole::KEYWORDS,
        );
        let capacity = row.non_negative("capacity_per_day", Person::DEFAULT_CAPACITY_PER_DAY);
        let skills = row
            .get("skills")
            .map(|s| {
                s.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        // A row whose id is valid defines the id even when another cell is wrong: the
        // bundle is rejected anyway, and references to the id must not cascade into
        // "names no person" problems.
        let Some(id) = id else {
            return;
        };
        if self.builder.person_index(&id).is_some() {
            row.problem("id", &id, "is a duplicate person id (ids must be unique)");
            return;
        }
        let person = Person {
            name: row.text("name"),
            unit: row.text("unit"),
            role,
            capacity_per_day: capacity,
            skills,
            id,
        };
        if let Err(e) = self.builder.add_person(person) {
            row.problem("id", "", e.to_string());
        }
    }

    fn rotation(&mut self, row: &mut Row<'_>) {
        let id = row.required("id").map(str::to_owned);
        let kind = row.text("kind");
        let min_coverage = row.count("min_coverage", 0, 0);
        let counts_as_work = row.boolean(
            "counts_as_work",
            Rotation::default_counts_as_work(kind.as_deref()),
        );
        // A row whose id is valid defines the id even when another cell is wrong: the
        // bundle is rejected anyway, and references to the id must not cascade into
        // "names no person" problems.
        let Some(id) = id else {
            return;
        };
        if self.builder.rotation_index(&id).is_some() {
            row.problem("id", &id, "is a duplicate rotation id (ids must be unique)");
            return;
        }
        let rotation = Rotation {
            name: row.text("name"),
            required_skill: row.text("required_skill"),
            unit: row.text("unit"),
            kind,
            min_coverage,
            counts_as_work,
            id,
        };
        if let Err(e) = self.builder.add_rotation(rotation) {
            row.problem("id", "", e.to_string());
        }
    }

    fn calendar(&mut self, row: &mut Row<'_>) {
        let before = row.errors.len();
        let date = row.required_date("date");
        let session = row.optional_keyword("session", Session::parse_keyword, Session::KEYWORDS);
        let default_weekend = date.is_some_and(|d| {
            use chrono::Datelike;
            matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
        });
        let weekend = row.boolean("weekend", default_weekend);
        let holiday = row.boolean("holiday", false);
        let capacity_factor = row.non_negative("capacity_factor", 1.0);
        let (Some(date), true) = (date, row.errors.len() == before) else {
            return;
        };
        let day = CalendarDay {
            date,
            session,
            weekend,
            holiday,
            capacity_factor,
        };
        if let Err(e) = self.builder.add_calendar_day(day) {
            row.problem("capacity_factor", "", e.to_string());
        }
    }

    fn assignment(&mut self, row: &mut Row<'_>) {
        let before = row.errors.len();
        let person = row.required("person_id").map(str::to_owned);
        let person = person.and_then(|p| self.known_person(row, "person_id", &p));
        let date = row.required_date("date");
        let session = row.keyword(
            "session",
            Session::Day,
            Session::parse_keyword,
            Session::KEYWORDS,
        );
        let rotation = match row.get("rotation").map(str::to_owned) {
            None => None,
            Some(id) => match self.builder.rotation_index(&id) {
                Some(r) => Some(r),
                None if self.rotations_defined => {
                    row.problem("rotation", &id, "names no rotation in rotations");
                    None
                }
                None => {
                    if self.auto_rotations.insert(id.clone()) {
                        self.warnings.push(Diagnostic::cell(
                            row.source,
                            row.line,
                            "rotation",
                            &id,
                            "defines a rotation with default settings (no rotations table in the bundle)",
                        ));
                    }
                    self.builder.add_rotation(Rotation::new(id.clone())).ok()
                }
            },
        };
        let role = row.keyword(
            "role",
            AssignmentRole::Primary,
            AssignmentRole::parse_keyword,
            AssignmentRole::KEYWORDS,
        );
        let score = row.optional_number("score");
        let violation = row.boolean("violation", false);
        let created_at = row.timestamp("created_at");
        let (Some(person), Some(date), true) = (person, date, row.errors.len() == before) else {
            return;
        };
        let block = self.builder.intern_block(Block { date, session });
        let key = (u64::from(person.0) << 32) | (u64::from(block.0) << 2) | role as u64;
        let source = self.source_index(row.source);
        self.assignment_keys.push((key, source, row.line as u32));
        let assignment = Assignment {
            person,
            block,
            rotation,
            role,
            score,
            violation,
            created_at,
        };
        if let Err(e) = self.builder.add_assignment(assignment) {
            row.problem("person_id", "", e.to_string());
        }
    }

    fn source_index(&mut self, source: &str) -> u32 {
        match self.sources.iter().position(|s| s == source) {
            Some(i) => i as u32,
            None => {
                self.sources.push(source.to_owned());
                (self.sources.len() - 1) as u32
            }
        }
    }

    fn absence(&mut self, row: &mut Row<'_>) {
        let before = row.errors.len();
        let person = row.required("person_id").map(str::to_owned);
        let person = person.and_then(|p| self.known_person(row, "person_id", &p));
        let start = row.required_date("start_date");
        let end = row.required_date("end_date");
        let status = row.keyword(
            "status",
            AbsenceStatus::Approved,
            AbsenceStatus::parse_keyword,
            AbsenceStatus::KEYWORDS,
        );
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            row.problem(
                "end_date",
                &e.to_string(),
                format!("is before start_date {s} (expected end_date ≥ start_date)"),
            );
        }
        let (Some(person), Some(start_date), Some(end_date), true) =
            (person, start, end, row.errors.len() == before)
        else {
            return;
        };
        let absence = Absence {
            person,
            start_date,
            end_date,
            kind: row.text("kind"),
            status,
        };
        if let Err(e) = self.builder.add_absence(absence) {
            row.problem("end_date", "", e.to_string());
        }
    }

    fn swap(&mut self, row: &mut Row<'_>) {
        let before = row.errors.len();
        let source = row.required("source_person").map(str::to_owned);
        let source = source.and_then(|p| self.known_person(row, "source_person", &p));
        let target = row.get("target_person").map(str::to_owned);
        let target = target.and_then(|p| self.known_person(row, "target_person", &p));
        let date = row.required_date("date");
        let session = row.optional_keyword("session", Session::parse_keyword, Session::KEYWORDS);
        let blocks = row.count("blocks", 1, 1);
        let default_kind = if row.get("target_person").is_some() {
            SwapKind::OneToOne
        } else {
            SwapKind::Absorb
        };
        let kind = row.keyword(
            "kind",
            default_kind,
            SwapKind::parse_keyword,
            SwapKind::KEYWORDS,
        );
        if kind == SwapKind::OneToOne && row.get("target_person").is_none() {
            row.problem(
                "target_person",
                "",
                "is empty, but a one_to_one swap needs a target person",
            );
        }
        let status = row.keyword(
            "status",
            SwapStatus::Executed,
            SwapStatus::parse_keyword,
            SwapStatus::KEYWORDS,
        );
        let requested_at = row.timestamp("requested_at");
        let executed_at = row.timestamp("executed_at");
        if let (Some(r), Some(e)) = (requested_at, executed_at)
            && e < r
        {
            row.problem(
                "executed_at",
                &e.to_rfc3339(),
                format!(
                    "is before requested_at {} (expected executed_at ≥ requested_at)",
                    r.to_rfc3339()
                ),
            );
        }
        let (Some(source), Some(date), true) = (source, date, row.errors.len() == before) else {
            return;
        };
        let swap = Swap {
            id: row.text("id"),
            source,
            target,
            date,
            session,
            blocks,
            kind,
            status,
            requested_at,
            executed_at,
        };
        if let Err(e) = self.builder.add_swap(swap) {
            row.problem("source_person", "", e.to_string());
        }
    }

    fn metric(&mut self, row: &mut Row<'_>) {
        let before = row.errors.len();
        let timestamp = if row.required("timestamp").is_some() {
            row.timestamp("timestamp")
        } else {
            None
        };
        let metric = row.required("metric").map(str::to_owned);
        let value = if row.required("value").is_some() {
            row.optional_number("value")
        } else {
            None
        };
        let (Some(timestamp), Some(metric), Some(value), true) =
            (timestamp, metric, value, row.errors.len() == before)
        else {
            return;
        };
        if let Err(e) = self.builder.add_metric(MetricSample {
            timestamp,
            metric,
            value,
        }) {
            row.problem("value", "", e.to_string());
        }
    }

    /// Finishes: reports duplicate (person, block, role) assignments, then returns the
    /// schedule or every problem found.
    pub fn finish(mut self) -> Result<(Schedule, Vec<Warning>), Vec<Diagnostic>> {
        let mut keys = std::mem::take(&mut self.assignment_keys);
        keys.sort_unstable();
        for pair in keys.windows(2) {
            let ((k1, s1, l1), (k2, s2, l2)) = (pair[0], pair[1]);
            if k1 == k2 {
                let first = format!("{}:{l1}", self.sources[s1 as usize]);
                let file = &self.sources[s2 as usize];
                self.errors.push(Diagnostic::row(
                    file,
                    l2 as usize,
                    format!("duplicate assignment: same person, date, session and role as {first} (a person has at most one assignment per block and role)"),
                ));
            }
        }
        if self.errors.is_empty() {
            Ok((self.builder.build(), self.warnings))
        } else {
            self.errors
                .sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
            Err(self.errors)
        }
    }
}

impl Default for Assembler {
    fn default() -> Self {
        Self::new()
    }
}
