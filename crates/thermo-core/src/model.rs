//! The schedule model: people, rotations, calendar, assignments, absences, swaps and
//! metric series, with string ids interned to dense indices.
//!
//! A [`Schedule`] is built with [`ScheduleBuilder`], which interns ids in insertion order
//! so that every analysis can index plain vectors (`people[p.index()]`) instead of
//! hashing strings in hot loops. Input validation with file/line diagnostics lives in
//! `thermo-io`; the builder only enforces the structural invariants the analyses rely on.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Dense index of a person in [`Schedule::people`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonIdx(pub u32);

/// Dense index of a rotation in [`Schedule::rotations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RotationIdx(pub u32);

/// Dense index of a block (date, session) in [`Schedule::blocks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockIdx(pub u32);

macro_rules! dense_index {
    ($t:ty) => {
        impl $t {
            /// The index as a `usize`, for indexing vectors.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}
dense_index!(PersonIdx);
dense_index!(RotationIdx);
dense_index!(BlockIdx);

/// What a person is in the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// A trainee (e.g. PGY1–3).
    Resident,
    /// Supervising staff.
    Faculty,
    /// Anyone else on the rota.
    Other,
}

/// Part of the day an assignment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Session {
    /// Morning half-day.
    #[serde(rename = "AM")]
    Am,
    /// Afternoon half-day.
    #[serde(rename = "PM")]
    Pm,
    /// The whole day.
    #[serde(rename = "DAY")]
    Day,
}

/// The role a person plays in an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentRole {
    /// Does the work; counts toward coverage.
    Primary,
    /// Supervises; counts toward coverage.
    Supervising,
    /// Stand-by; does not count toward coverage.
    Backup,
}

/// Lifecycle state of an absence; only approved and confirmed absences remove capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceStatus {
    /// Requested, not decided.
    Requested,
    /// Approved: removes capacity.
    Approved,
    /// Confirmed (e.g. sick leave recorded after the fact): removes capacity.
    Confirmed,
    /// Rejected: no effect.
    Rejected,
    /// Cancelled: no effect.
    Cancelled,
}

impl AbsenceStatus {
    /// Whether an absence in this state takes the person out of the rota.
    pub fn removes_capacity(self) -> bool {
        matches!(self, AbsenceStatus::Approved | AbsenceStatus::Confirmed)
    }
}

/// Kind of swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapKind {
    /// Two people exchange blocks.
    OneToOne,
    /// The target absorbs the source's blocks (no target means the pool absorbed them).
    Absorb,
}

/// Lifecycle state of a swap request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapStatus {
    /// Requested, not decided.
    Requested,
    /// Approved, not yet carried out.
    Approved,
    /// Carried out.
    Executed,
    /// Refused.
    Rejected,
    /// Withdrawn by the requester.
    Cancelled,
}

macro_rules! keyword_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every accepted spelling, in documentation order.
            pub const KEYWORDS: &'static [&'static str] = &[$($s),+];

            /// The canonical spelling used in files and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }

            /// Parses the canonical spelling (case-insensitive).
            pub fn parse_keyword(text: &str) -> Option<Self> {
                $(if text.eq_ignore_ascii_case($s) { return Some(<$t>::$v); })+
                None
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum!(PersonRole { Resident => "resident", Faculty => "faculty", Other => "other" });
keyword_enum!(Session { Am => "AM", Pm => "PM", Day => "DAY" });
keyword_enum!(AssignmentRole { Primary => "primary", Supervising => "supervising", Backup => "backup" });
keyword_enum!(AbsenceStatus {
    Requested => "requested",
    Approved => "approved",
    Confirmed => "confirmed",
    Rejected => "rejected",
    Cancelled => "cancelled",
});
keyword_enum!(SwapKind { OneToOne => "one_to_one", Absorb => "absorb" });
keyword_enum!(SwapStatus {
    Requested => "requested",
    Approved => "approved",
    Executed => "executed",
    Rejected => "rejected",
    Cancelled => "cancelled",
});

impl AssignmentRole {
    /// Whether an assignment with this role counts toward a slot's coverage.
    pub fn covers(self) -> bool {
        matches!(self, AssignmentRole::Primary | AssignmentRole::Supervising)
    }
}

/// A member of the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// External id (unique).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Role in the program.
    pub role: PersonRole,
    /// Organisational unit (team, site, service).
    pub unit: Option<String>,
    /// Work sessions the person can carry per open day (default 2: AM and PM).
    pub capacity_per_day: f64,
    /// Skills, used for eligibility (a rotation's `required_skill`).
    pub skills: Vec<String>,
}

impl Person {
    /// Default capacity in sessions per day.
    pub const DEFAULT_CAPACITY_PER_DAY: f64 = 2.0;

    /// A person with only an id and every optional field at its default.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            role: PersonRole::Other,
            unit: None,
            capacity_per_day: Self::DEFAULT_CAPACITY_PER_DAY,
            skills: Vec::new(),
        }
    }

    /// Whether the person has the given skill.
    pub fn has_skill(&self, skill: &str) -> bool {
        self.skills.iter().any(|s| s == skill)
    }
}

/// A kind of work (rotation template) with its coverage requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rotation {
    /// External id (unique).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Kind: `inpatient`, `outpatient`, `call`, `education`, `off`, `leave`, or any other word.
    pub kind: Option<String>,
    /// People required per session (0 = no requirement).
    pub min_coverage: u32,
    /// Skill a person needs to be eligible.
    pub required_skill: Option<String>,
    /// Whether time on this rotation counts as work (false for `off`/`leave` by default).
    pub counts_as_work: bool,
    /// Organisational unit the rotation belongs to.
    pub unit: Option<String>,
}

impl Rotation {
    /// A rotation with only an id and every optional field at its default.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            kind: None,
            min_coverage: 0,
            required_skill: None,
            counts_as_work: true,
            unit: None,
        }
    }

    /// The default of `counts_as_work` for a rotation kind: false for `off` and `leave`.
    pub fn default_counts_as_work(kind: Option<&str>) -> bool {
        !matches!(kind, Some(k) if k.eq_ignore_ascii_case("off") || k.eq_ignore_ascii_case("leave"))
    }
}

/// One calendar row: a day (or one session of a day) with its openness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// The session this row is about; `None` means the whole day.
    pub session: Option<Session>,
    /// Whether the day is a weekend day.
    pub weekend: bool,
    /// Whether the day is a holiday.
    pub holiday: bool,
    /// Share of normal capacity available: 1.0 normal, 0.25 reduced, 0 closed.
    pub capacity_factor: f64,
}

impl CalendarDay {
    /// Whether the program is closed on this row (capacity factor 0).
    pub fn is_closed(&self) -> bool {
        self.capacity_factor <= 0.0
    }
}

/// A person placed on a block, optionally on a rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Who.
    pub person: PersonIdx,
    /// Which block (date, session).
    pub block: BlockIdx,
    /// On which rotation, if any.
    pub rotation: Option<RotationIdx>,
    /// Role in the slot.
    pub role: AssignmentRole,
    /// Objective score of the assignment (unbounded; higher is better).
    pub score: Option<f64>,
    /// Whether the assignment breaks a hard rule.
    pub violation: bool,
    /// When the assignment was created.
    pub created_at: Option<DateTime<Utc>>,
}

/// A (date, session) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Block {
    /// The date.
    pub date: NaiveDate,
    /// The session.
    pub session: Session,
}

/// A period a person is away, inclusive of both ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Absence {
    /// Who.
    pub person: PersonIdx,
    /// First day away.
    pub start_date: NaiveDate,
    /// Last day away (inclusive).
    pub end_date: NaiveDate,
    /// Kind (vacation, sick, conference, parental, …).
    pub kind: Option<String>,
    /// Lifecycle state.
    pub status: AbsenceStatus,
}

impl Absence {
    /// Whether the absence covers `date` and removes capacity.
    pub fn removes_capacity_on(&self, date: NaiveDate) -> bool {
        self.status.removes_capacity() && self.start_date <= date && date <= self.end_date
    }

    /// Length in days, inclusive of both ends.
    pub fn length_days(&self) -> i64 {
        (self.end_date - self.start_date).num_days() + 1
    }
}

/// A swap request and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Swap {
    /// External id.
    pub id: Option<String>,
    /// Who gives the work away.
    pub source: PersonIdx,
    /// Who takes it (`None` for an absorb by the pool).
    pub target: Option<PersonIdx>,
    /// Date of the (first) block swapped.
    pub date: NaiveDate,
    /// Session of the block swapped, if one.
    pub session: Option<Session>,
    /// Number of blocks moved.
    pub blocks: u32,
    /// Kind of swap.
    pub kind: SwapKind,
    /// Outcome.
    pub status: SwapStatus,
    /// When it was requested.
    pub requested_at: Option<DateTime<Utc>>,
    /// When it was carried out.
    pub executed_at: Option<DateTime<Utc>>,
}

/// One observation of an operational metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSample {
    /// When (UTC).
    pub timestamp: DateTime<Utc>,
    /// Metric name.
    pub metric: String,
    /// Value (finite).
    pub value: f64,
}

/// The samples of one metric in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    /// Metric name.
    pub metric: String,
    /// Sample times, non-decreasing.
    pub timestamps: Vec<DateTime<Utc>>,
    /// Sample values, finite, same length as `timestamps`.
    pub values: Vec<f64>,
}

/// A structural error raised while building a schedule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// An id was defined twice.
    #[error("duplicate {kind} id {id:?}")]
    DuplicateId {
        /// `person` or `rotation`.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// An assignment, absence or swap names a person who is not in the roster.
    #[error("unknown person {0:?}")]
    UnknownPerson(String),
    /// An assignment names a rotation that is not defined.
    #[error("unknown rotation {0:?}")]
    UnknownRotation(String),
    /// A number that must be finite and non-negative is not.
    #[error("{field} must be a finite, non-negative number, got {value}")]
    InvalidNumber {
        /// The field.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// An interval ends before it starts.
    #[error("end {end} is before start {start}")]
    EndBeforeStart {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
}

/// A complete program: roster, rotations, calendar, assignments, absences, swaps and metrics.
///
/// Every collection keeps the order it was given in, so writing a schedule back out
/// reproduces its input order. Blocks are interned in order of first appearance in the
/// assignments; [`Schedule::blocks_sorted`] gives chronological order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The roster, in input order; `people[i]` has index `PersonIdx(i)`.
    pub people: Vec<Person>,
    /// Rotations, in input order; `rotations[i]` has index `RotationIdx(i)`.
    pub rotations: Vec<Rotation>,
    /// Calendar rows, in input order.
    pub calendar: Vec<CalendarDay>,
    /// Blocks referenced by the assignments, in order of first appearance.
    pub blocks: Vec<Block>,
    /// Assignments, in input order.
    pub assignments: Vec<Assignment>,
    /// Absences, in input order.
    pub absences: Vec<Absence>,
    /// Swaps, in input order.
    pub swaps: Vec<Swap>,
    /// Metric samples, in input order.
    pub metrics: Vec<MetricSample>,
    #[serde(skip)]
    person_lookup: HashMap<String, PersonIdx>,
    #[serde(skip)]
    rotation_lookup: HashMap<String, RotationIdx>,
    #[serde(skip)]
    block_lookup: HashMap<Block, BlockIdx>,
}

impl Schedule {
    /// The index of a person id.
    pub fn person_index(&self, id: &str) -> Option<PersonIdx> {
        self.person_lookup.get(id).copied()
    }

    /// The index of a rotation id.
    pub fn rotation_index(&self, id: &str) -> Option<RotationIdx> {
        self.rotation_lookup.get(id).copied()
    }

    /// The index of a block, if any assignment uses it.
    pub fn block_index(&self, block: Block) -> Option<BlockIdx> {
        self.block_lookup.get(&block).copied()
    }

    /// The person at an index.
    pub fn person(&self, idx: PersonIdx) -> &Person {
        &self.people[idx.index()]
    }

    /// The rotation at an index.
    pub fn rotation(&self, idx: RotationIdx) -> &Rotation {
        &self.rotations[idx.index()]
    }

    /// The block at an index.
    pub fn block(&self, idx: BlockIdx) -> Block {
        self.blocks[idx.index()]
    }

    /// The date of an assignment.
    pub fn assignment_date(&self, a: &Assignment) -> NaiveDate {
        self.blocks[a.block.index()].date
    }

    /// The day number of every block, indexed by [`BlockIdx`] (see [`day_number`]).
    ///
    /// Per-assignment passes subtract and compare these integers instead of doing calendar
    /// arithmetic once per assignment.
    pub fn block_day_numbers(&self) -> Vec<i32> {
        self.blocks.iter().map(|b| day_number(b.date)).collect()
    }

    /// Earliest and latest date over assignments, absences, swaps and calendar rows.
    pub fn date_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let dates = self
            .blocks
            .iter()
            .map(|b| b.date)
            .chain(self.calendar.iter().map(|c| c.date));
        let mut range: Option<(NaiveDate, NaiveDate)> = None;
        for d in dates {
            range = Some(match range {
                None => (d, d),
                Some((lo, hi)) => (lo.min(d), hi.max(d)),
            });
        }
        range
    }

    /// Earliest and latest assignment date.
    pub fn assignment_date_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let lo = self.blocks.iter().map(|b| b.date).min()?;
        let hi = self.blocks.iter().map(|b| b.date).max()?;
        Some((lo, hi))
    }

    /// Block indices in chronological order (date, then AM < PM < DAY).
    pub fn blocks_sorted(&self) -> Vec<BlockIdx> {
        let mut idx: Vec<BlockIdx> = (0..self.blocks.len() as u32).map(BlockIdx).collect();
        idx.sort_by_key(|b| self.blocks[b.index()]);
        idx
    }

    /// Metric series grouped by name (first-appearance order), each sorted by time.
    pub fn metric_series(&self) -> Vec<MetricSeries> {
        // Programs carry a handful of metrics: up to this many names a linear scan is
        // cheaper than hashing every sample's name.
        const LINEAR_SCAN_NAMES: usize = 8;
        let mut names: Vec<&str> = Vec::new();
        let mut groups: Vec<Vec<(DateTime<Utc>, f64)>> = Vec::new();
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        for s in &self.metrics {
            let name = s.metric.as_str();
            let found = if names.len() <= LINEAR_SCAN_NAMES {
                names.iter().position(|n| *n == name)
            } else {
                group_of.get(name).copied()
            };
            let g = found.unwrap_or_else(|| {
                group_of.insert(name, names.len());
                names.push(name);
                groups.push(Vec::new());
                names.len() - 1
            });
            groups[g].push((s.timestamp, s.value));
        }
        names
            .into_iter()
            .zip(groups)
            .map(|(name, mut points)| {
                // Stable sort keeps input order for equal timestamps.
                points.sort_by_key(|(t, _)| *t);
                let (timestamps, values) = points.into_iter().unzip();
                MetricSeries {
                    metric: name.to_owned(),
                    timestamps,
                    values,
                }
            })
            .collect()
    }

    /// Rebuilds the id lookups (needed after deserialising a schedule with serde).
    pub fn rebuild_lookups(&mut self) {
        self.person_lookup = self
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), PersonIdx(i as u32)))
            .collect();
        self.rotation_lookup = self
            .rotations
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), RotationIdx(i as u32)))
            .collect();
        self.block_lookup = self
            .blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (*b, BlockIdx(i as u32)))
            .collect();
    }

    /// For each person, whether they are away (approved absence) on each date of `dates`.
    ///
    /// Returns a bitmap indexed `[person * dates.len() + day]`, built in
    /// O(absences × length + people × days) without per-lookup scans.
    pub fn absence_matrix(&self, first: NaiveDate, days: usize) -> Vec<bool> {
        let n = self.people.len();
        let mut away = vec![false; n * days];
        for a in self.absences.iter().filter(|a| a.status.removes_capacity()) {
            let start = (a.start_date - first).num_days().max(0);
            let end = (a.end_date - first).num_days().min(days as i64 - 1);
            for d in start..=end {
                away[a.person.index() * days + d as usize] = true;
            }
        }
        away
    }
}

/// A date as a day number (days since 0001-01-01 of the proleptic Gregorian calendar, that
/// day being 1): the difference of two day numbers is the number of days between the dates.
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Builds a [`Schedule`], interning ids to dense indices in insertion order.
#[derive(Debug, Default)]
pub struct ScheduleBuilder {
    schedule: Schedule,
}

fn check_non_negative(field: &'static str, value: f64) -> Result<(), ModelError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ModelError::InvalidNumber { field, value })
    }
}

impl ScheduleBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a person; ids must be unique.
    pub fn add_person(&mut self, person: Person) -> Result<PersonIdx, ModelError> {
        check_non_negative("capacity_per_day", person.capacity_per_day)?;
        let idx = PersonIdx(self.schedule.people.len() as u32);
        if self.schedule.person_lookup.contains_key(&person.id) {
            return Err(ModelError::DuplicateId {
                kind: "person",
                id: person.id,
            });
        }
        self.schedule.person_lookup.insert(person.id.clone(), idx);
        self.schedule.people.push(person);
        Ok(idx)
    }

    /// Adds a rotation; ids must be unique.
    pub fn add_rotation(&mut self, rotation: Rotation) -> Result<RotationIdx, ModelError> {
        let idx = RotationIdx(self.schedule.rotations.len() as u32);
        if self.schedule.rotation_lookup.contains_key(&rotation.id) {
            return Err(ModelError::DuplicateId {
                kind: "rotation",
                id: rotation.id,
            });
        }
        self.schedule
            .rotation_lookup
            .insert(rotation.id.clone(), idx);
        self.schedule.rotations.push(rotation);
        Ok(idx)
    }

    /// Adds a calendar row.
    pub fn add_calendar_day(&mut self, day: CalendarDay) -> Result<(), ModelError> {
        check_non_negative("capacity_factor", day.capacity_factor)?;
        self.schedule.calendar.push(day);
        Ok(())
    }

    /// The index of a person id, if added.
    pub fn person_index(&self, id: &str) -> Option<PersonIdx> {
        self.schedule.person_index(id)
    }

    /// The index of a rotation id, if added.
    pub fn rotation_index(&self, id: &str) -> Option<RotationIdx> {
        self.schedule.rotation_index(id)
    }

    /// Interns a block, returning its dense index.
    pub fn intern_block(&mut self, block: Block) -> BlockIdx {
        let next = BlockIdx(self.schedule.blocks.len() as u32);
        let idx = *self.schedule.block_lookup.entry(block).or_insert(next);
        if idx == next {
            self.schedule.blocks.push(block);
        }
        idx
    }

    /// Adds an assignment by person and rotation index.
    pub fn add_assignment(&mut self, assignment: Assignment) -> Result<(), ModelError> {
        if assignment.person.index() >= self.schedule.people.len() {
            return Err(ModelError::UnknownPerson(format!(
                "#{}",
                assignment.person.0
            )));
        }
        if let Some(r) = assignment.rotation
            && r.index() >= self.schedule.rotations.len()
        {
            return Err(ModelError::UnknownRotation(format!("#{}", r.0)));
        }
        if assignment.block.index() >= self.schedule.blocks.len() {
            return Err(ModelError::InvalidNumber {
                field: "block",
                value: f64::from(assignment.block.0),
            });
        }
        if let Some(score) = assignment.score
            && !score.is_finite()
        {
            return Err(ModelError::InvalidNumber {
                field: "score",
                value: score,
            });
        }
        self.schedule.assignments.push(assignment);
        Ok(())
    }

    /// Adds an assignment by ids (convenience for tests and generators).
    pub fn assign(
        &mut self,
        person: &str,
        date: NaiveDate,
        session: Session,
        rotation: Option<&str>,
        role: AssignmentRole,
    ) -> Result<(), ModelError> {
        let person = self
            .person_index(person)
            .ok_or_else(|| ModelError::UnknownPerson(person.to_owned()))?;
        let rotation = match rotation {
            Some(r) => Some(
                self.rotation_index(r)
                    .ok_or_else(|| ModelError::UnknownRotation(r.to_owned()))?,
            ),
            None => None,
        };
        let block = self.intern_block(Block { date, session });
        self.add_assignment(Assignment {
            person,
            block,
            rotation,
            role,
            score: None,
            violation: false,
            created_at: None,
        })
    }

    /// Adds an absence.
    pub fn add_absence(&mut self, absence: Absence) -> Result<(), ModelError> {
        if absence.end_date < absence.start_date {
            return Err(ModelError::EndBeforeStart {
                start: absence.start_date,
                end: absence.end_date,
            });
        }
        self.schedule.absences.push(absence);
        Ok(())
    }

    /// Adds a swap.
    pub fn add_swap(&mut self, swap: Swap) -> Result<(), ModelError> {
        self.schedule.swaps.push(swap);
        Ok(())
    }

    /// Adds a metric sample; the value must be finite.
    pub fn add_metric(&mut self, sample: MetricSample) -> Result<(), ModelError> {
        if !sample.value.is_finite() {
            return Err(ModelError::InvalidNumber {
                field: "value",
                value: sample.value,
            });
        }
        self.schedule.metrics.push(sample);
        Ok(())
    }

    /// Finishes the schedule.
    pub fn build(self) -> Schedule {
        self.schedule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn interning_is_dense_and_in_insertion_order() {
        let mut b = ScheduleBuilder::new();
        assert_eq!(b.add_person(Person::new("z")).unwrap(), PersonIdx(0));
        assert_eq!(b.add_person(Person::new("a")).unwrap(), PersonIdx(1));
        b.add_rotation(Rotation::new("clinic")).unwrap();
        b.assign(
            "a",
            date("2026-01-02"),
            Session::Am,
            Some("clinic"),
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "z",
            date("2026-01-01"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "z",
            date("2026-01-02"),
            Session::Am,
            None,
            AssignmentRole::Backup,
        )
        .unwrap();
        let s = b.build();
        assert_eq!(s.blocks.len(), 2);
        assert_eq!(s.assignments[0].block, s.assignments[2].block);
        assert_eq!(s.blocks_sorted(), vec![BlockIdx(1), BlockIdx(0)]);
        assert_eq!(s.person_index("a"), Some(PersonIdx(1)));
    }

    #[test]
    fn duplicates_and_unknowns_are_errors() {
        let mut b = ScheduleBuilder::new();
        b.add_person(Person::new("p")).unwrap();
        assert!(matches!(
            b.add_person(Person::new("p")),
            Err(ModelError::DuplicateId { .. })
        ));
        assert!(matches!(
            b.assign(
                "q",
                date("2026-01-01"),
                Session::Am,
                None,
                AssignmentRole::Primary
            ),
            Err(ModelError::UnknownPerson(_))
        ));
        let mut bad = Person::new("x");
        bad.capacity_per_day = f64::NAN;
        assert!(b.add_person(bad).is_err());
    }

    #[test]
    fn absence_matrix_marks_only_capacity_removing_absences() {
        let mut b = ScheduleBuilder::new();
        let p = b.add_person(Person::new("p")).unwrap();
        b.add_absence(Absence {
            person: p,
            start_date: date("2026-01-02"),
            end_date: date("2026-01-03"),
            kind: None,
            status: AbsenceStatus::Approved,
        })
        .unwrap();
        b.add_absence(Absence {
            person: p,
            start_date: date("2026-01-05"),
            end_date: date("2026-01-05"),
            kind: None,
            status: AbsenceStatus::Requested,
        })
        .unwrap();
        let s = b.build();
        let m = s.absence_matrix(date("2026-01-01"), 6);
        assert_eq!(m, vec![false, true, true, false, false, false]);
    }

    #[test]
    fn keywords_round_trip() {
        for k in SwapStatus::KEYWORDS {
            assert_eq!(SwapStatus::parse_keyword(k).unwrap().as_str(), *k);
        }
        assert_eq!(Session::parse_keyword("am"), Some(Session::Am));
        assert_eq!(Session::parse_keyword("noon"), None);
    }

    #[test]
    fn metric_series_groups_and_sorts() {
        let mut b = ScheduleBuilder::new();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for (ts, m, v) in [
            ("2026-01-02T00:00:00Z", "u", 2.0),
            ("2026-01-01T00:00:00Z", "u", 1.0),
            ("2026-01-01T00:00:00Z", "c", 5.0),
        ] {
            b.add_metric(MetricSample {
                timestamp: t(ts),
                metric: m.into(),
                value: v,
            })
            .unwrap();
        }
        assert!(
            b.add_metric(MetricSample {
                timestamp: t("2026-01-01T00:00:00Z"),
                metric: "u".into(),
                value: f64::INFINITY
            })
            .is_err()
        );
        let series = b.build().metric_series();
        assert_eq!(series[0].metric, "u");
        assert_eq!(series[0].values, vec![1.0, 2.0]);
        assert_eq!(series[1].metric, "c");
    }

    #[test]
    fn metric_series_with_many_names_keeps_first_appearance_order() {
        let mut b = ScheduleBuilder::new();
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // More names than the linear scan handles, interleaved, newest sample first.
        for day in (0..3i64).rev() {
            for m in 0..20 {
                b.add_metric(MetricSample {
                    timestamp: t0 + chrono::Duration::days(day),
                    metric: format!("m{}", (m * 7) % 20),
                    value: (day * 100 + m) as f64,
                })
                .unwrap();
            }
        }
        let series = b.build().metric_series();
        let names: Vec<String> = (0..20).map(|m| format!("m{}", (m * 7) % 20)).collect();
        assert_eq!(
            series.iter().map(|s| s.metric.clone()).collect::<Vec<_>>(),
            names
        );
        for (m, s) in series.iter().enumerate() {
            assert_eq!(s.values, vec![m as f64, (100 + m) as f64, (200 + m) as f64]);
            assert!(s.timestamps.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn day_numbers_subtract_to_day_differences() {
        let mut b = ScheduleBuilder::new();
        b.add_person(Person::new("a")).unwrap();
        for d in ["2024-02-28", "2024-03-01", "2023-12-31"] {
            b.assign("a", date(d), Session::Am, None, AssignmentRole::Primary)
                .unwrap();
        }
        let s = b.build();
        let days = s.block_day_numbers();
        assert_eq!(days.len(), 3);
        assert_eq!(days[1] - days[0], 2, "2024 is a leap year");
        assert_eq!(days[0] - days[2], 59);
        assert_eq!(day_number(date("0001-01-01")), 1);
        for (i, b) in s.blocks.iter().enumerate() {
            assert_eq!(
                i64::from(days[i] - days[2]),
                (b.date - date("2023-12-31")).num_days()
            );
        }
    }
}
