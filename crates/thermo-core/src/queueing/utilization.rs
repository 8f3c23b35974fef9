//! Utilization measured from the schedule (never from head count alone), the 80 % rule
//! levels, the capacity buffer, the M/M/1 multiplier and the pool's Erlang C figures.
//!
//! Definitions (all over the load horizon `[at, at + H)`; see `docs/transport.md`):
//! - *load* of a person: work sessions assigned, AM/PM = 1 session, DAY = 2; only roles
//!   that cover a slot (primary, supervising) on rotations that count as work;
//! - *capacity* of a person: Σ over horizon days without an approved or confirmed absence of
//!   `b × (capacity_per_day / 2) × calendar factor`, where `b` is the configured sessions per
//!   open day for a full-time person (default 2) and the calendar factor is the day's
//!   `capacity_factor` (the mean of its AM and PM factors when sessions differ; 1 without a
//!   calendar row). Weekends and holidays therefore count exactly as the calendar says;
//! - *utilization* ρ = load / capacity (sessions / sessions, dimensionless).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    ErlangCQueue, QueueingError, StaffingTarget, erlang_c, safe_utilization, wait_time_multiplier,
};
use crate::model::{Assignment, Person, Schedule, Session};

/// The 80 % rule levels (inclusive lower bounds from [`UtilizationConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum UtilizationLevel {
    /// Below the warning threshold.
    Green,
    /// At or above the warning threshold (0.70).
    Yellow,
    /// At or above the maximum utilization (0.80).
    Orange,
    /// At or above the critical threshold (0.90).
    Red,
    /// At or above the emergency threshold (0.95).
    Black,
}

impl UtilizationLevel {
    /// Upper-case name, as in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "GREEN",
            Self::Yellow => "YELLOW",
            Self::Orange => "ORANGE",
            Self::Red => "RED",
            Self::Black => "BLACK",
        }
    }
}

/// Utilization settings (`[utilization]`): level thresholds and Erlang inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UtilizationConfig {
    /// Lower bound of YELLOW (default 0.70).
    pub warning_threshold: f64,
    /// Lower bound of ORANGE and the buffer's reference (default 0.80, the 80 % rule).
    pub max_utilization: f64,
    /// Lower bound of RED (default 0.90).
    pub critical_threshold: f64,
    /// Lower bound of BLACK (default 0.95).
    pub emergency_threshold: f64,
    /// Highest acceptable Erlang C wait probability for the pool's safe utilization
    /// (default 0.20).
    pub wait_probability_target: f64,
    /// Service level the required-staff figure must reach (default 0.80).
    pub service_level_target: f64,
    /// Answer-time target as a fraction of the mean handling time (default 0.10).
    pub answer_time_fraction: f64,
    /// Occupancy cap for the required-staff figure (default 0.80).
    pub max_occupancy: f64,
    /// Shrinkage for the required headcount, in [0, 1) (default 0: absences are already
    /// removed from capacity).
    pub shrinkage: f64,
}

impl Default for UtilizationConfig {
    fn default() -> Self {
        Self {
            warning_threshold: 0.70,
            max_utilization: 0.80,
            critical_threshold: 0.90,
            emergency_threshold: 0.95,
            wait_probability_target: 0.20,
            service_level_target: 0.80,
            answer_time_fraction: 0.10,
            max_occupancy: 0.80,
            shrinkage: 0.0,
        }
    }
}

/// An invalid `[utilization]` setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("utilization.{key}: {message}")]
pub struct UtilizationConfigError {
    /// The key.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl UtilizationConfig {
    /// The level of utilization `u` (inclusive lower bounds; NaN is GREEN).
    pub fn level(&self, u: f64) -> UtilizationLevel {
        if u >= self.emergency_threshold {
            UtilizationLevel::Black
        } else if u >= self.critical_threshold {
            UtilizationLevel::Red
        } else if u >= self.max_utilization {
            UtilizationLevel::Orange
        } else if u >= self.warning_threshold {
            UtilizationLevel::Yellow
        } else {
            UtilizationLevel::Green
        }
    }

    /// Checks that thresholds are finite, in (0, ∞) and ordered, and that the Erlang inputs
    /// are in range.
    pub fn validate(&self) -> Result<(), UtilizationConfigError> {
        let err = |key, message: &str| UtilizationConfigError {
            key,
            message: message.to_owned(),
        };
        let thresholds = [
            ("warning_threshold", self.warning_threshold),
            ("max_utilization", self.max_utilization),
            ("critical_threshold", self.critical_threshold),
            ("emergency_threshold", self.emergency_threshold),
        ];
        for (key, v) in thresholds {
            if !v.is_finite() || v <= 0.0 {
                return Err(err(key, "must be a finite number > 0"));
            }
        }
        if !(self.warning_threshold <= self.max_utilization
            && self.max_utilization <= self.critical_threshold
            && self.critical_threshold <= self.emergency_threshold)
        {
            return Err(err(
                "max_utilization",
                "thresholds must satisfy warning ≤ max ≤ critical ≤ emergency",
            ));
        }
        let unit = |key, v: f64, lo_open: bool, hi_open: bool| {
            let ok = v.is_finite()
                && if lo_open { v > 0.0 } else { v >= 0.0 }
                && if hi_open { v < 1.0 } else { v <= 1.0 };
            if ok {
                Ok(())
            } else {
                Err(err(key, "out of range"))
            }
        };
        unit(
            "wait_probability_target",
            self.wait_probability_target,
            true,
            true,
        )?;
        unit(
            "service_level_target",
            self.service_level_target,
            true,
            true,
        )?;
        unit("max_occupancy", self.max_occupancy, true, false)?;
        unit("shrinkage", self.shrinkage, false, true)?;
        if !self.answer_time_fraction.is_finite() || self.answer_time_fraction < 0.0 {
            return Err(err("answer_time_fraction", "must be a finite number ≥ 0"));
        }
        Ok(())
    }
}

/// Utilization of one pool: load against capacity with its level and buffer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UtilizationMetrics {
    /// Capacity in sessions over the horizon.
    pub capacity: f64,
    /// Load in sessions over the horizon.
    pub load: f64,
    /// ρ = load / capacity; 1 when there is load but no capacity, 0 when neither.
    pub utilization: f64,
    /// Level of ρ.
    pub level: UtilizationLevel,
    /// Spare share of capacity below the maximum utilization:
    /// `max(0, ⌊max_utilization × capacity⌋ − load) / capacity` (0 without capacity).
    pub buffer: f64,
    /// M/M/1 multiplier ρ/(1 − ρ); `null` (unbounded) at ρ ≥ 1.
    #[serde(with = "crate::transport::unbounded")]
    pub wait_time_multiplier: f64,
}

/// Utilization, level, buffer and M/M/1 multiplier of `load` sessions on `capacity` sessions.
pub fn utilization_metrics(
    load: f64,
    capacity: f64,
    config: &UtilizationConfig,
) -> UtilizationMetrics {
    let (utilization, buffer) = if capacity > 0.0 {
        let safe = (capacity * config.max_utilization).floor();
        (load / capacity, (safe - load).max(0.0) / capacity)
    } else if load > 0.0 {
        (1.0, 0.0)
    } else {
        (0.0, 0.0)
    };
    UtilizationMetrics {
        capacity,
        load,
        utilization,
        level: config.level(utilization),
        buffer,
        wait_time_multiplier: wait_time_multiplier(utilization),
    }
}

/// Sessions an assignment puts on its person: 0 for backup roles and rotations that do not
/// count as work, 2 for a DAY block, else 1.
pub fn work_sessions(schedule: &Schedule, assignment: &Assignment) -> f64 {
    if !assignment.role.covers() {
        return 0.0;
    }
    if let Some(r) = assignment.rotation
        && !schedule.rotation(r).counts_as_work
    {
        return 0.0;
    }
    match schedule.block(assignment.block).session {
        Session::Day => 2.0,
        Session::Am | Session::Pm => 1.0,
    }
}

/// Per-person load and capacity over a horizon, indexed by `PersonIdx`.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonLoads {
    /// First day of the horizon.
    pub start: NaiveDate,
    /// Length of the horizon in days.
    pub days: u32,
    /// Capacity in sessions per person.
    pub capacity: Vec<f64>,
    /// Load in sessions per person.
    pub load: Vec<f64>,
    /// Day offset of each block from `start` (indexed by `BlockIdx`).
    pub block_day: Vec<i64>,
}

impl HorizonLoads {
    /// Measures load and capacity of every person over `[start, start + days)` with
    /// `sessions_per_day` sessions per open day for a full-time person. O(A + P·H + calendar).
    pub fn measure(
        schedule: &Schedule,
        start: NaiveDate,
        days: u32,
        sessions_per_day: f64,
    ) -> Self {
        Self::measure_visiting(schedule, start, days, sessions_per_day, |_, _| {})
    }

    /// [`HorizonLoads::measure`], calling `visit(assignment, work sessions)` for every
    /// assignment that is work (whatever its date) in the same single pass, so callers can
    /// gather more per-assignment figures without reading the assignments twice.
    pub fn measure_visiting(
        schedule: &Schedule,
        start: NaiveDate,
        days: u32,
        sessions_per_day: f64,
        mut visit: impl FnMut(&Assignment, f64),
    ) -> Self {
        let h = days as usize;
        // Calendar factors per day and half-day; session rows override whole-day rows.
        let mut am = vec![1.0_f64; h];
        let mut pm = vec![1.0_f64; h];
        let offset = |date: NaiveDate| {
            let d = (date - start).num_days();
            (0..days as i64).contains(&d).then_some(d as usize)
        };
        for row in schedule.calendar.iter().filter(|r| r.session.is_none()) {
            if let Some(d) = offset(row.date) {
                am[d] = row.capacity_factor;
                pm[d] = row.capacity_factor;
            }
        }
        for row in &schedule.calendar {
            if let (Some(session), Some(d)) = (row.session, offset(row.date)) {
                match session {
                    Session::Am => am[d] = row.capacity_factor,
                    Session::Pm => pm[d] = row.capacity_factor,
                    Session::Day => {
                        am[d] = row.capacity_factor;
                        pm[d] = row.capacity_factor;
                    }
                }
            }
        }
        let day_factor: Vec<f64> = am.iter().zip(&pm).map(|(a, p)| 0.5 * (a + p)).collect();
        let away = schedule.absence_matrix(start, h);
        let capacity = schedule
            .people
            .iter()
            .enumerate()
            .map(|(i, person)| {
                let per_day =
                    sessions_per_day * person.capacity_per_day / Person::DEFAULT_CAPACITY_PER_DAY;
                let open: f64 = day_factor
                    .iter()
                    .zip(&away[i * h..(i + 1) * h])
                    .filter(|(_, away)| !**away)
                    .map(|(f, _)| *f)
                    .sum();
                per_day * open
            })
            .collect();
        let block_day: Vec<i64> = schedule
            .blocks
            .iter()
            .map(|b| (b.date - start).num_days())
            .collect();
        // Work sessions per block and whether each rotation counts, so the hot loop only
        // indexes small tables.
        let block_sessions: Vec<f64> = schedule
            .blocks
            .iter()
            .map(|b| if b.session == Session::Day { 2.0 } else { 1.0 })
            .collect();
        let rotation_works: Vec<bool> = schedule
            .rotations
            .iter()
            .map(|r| r.counts_as_work)
            .collect();
        let mut load = vec![0.0_f64; schedule.people.len()];
        for a in &schedule.assignments {
            if !a.role.covers() || a.rotation.is_some_and(|r| !rotation_works[r.index()]) {
                continue;
            }
            let w = block_sessions[a.block.index()];
            let d = block_day[a.block.index()];
            if d >= 0 && d < days as i64 {
                load[a.person.index()] += w;
            }
            visit(a, w);
        }
        Self {
            start,
            days,
            capacity,
            load,
            block_day,
        }
    }

    /// Whether day offset `d` is inside the horizon.
    pub fn contains_day(&self, d: i64) -> bool {
        d >= 0 && d < i64::from(self.days)
    }

    /// Last day of the horizon (exclusive end).
    pub fn end(&self) -> NaiveDate {
        self.start + Duration::days(i64::from(self.days))
    }
}

/// Utilization of one organisational unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitUtilization {
    /// Unit name (`person.unit`; people without one are grouped under `(none)`).
    pub unit: String,
    /// People in the unit.
    pub people: usize,
    /// Load, capacity, utilization, level, buffer and multiplier of the unit.
    #[serde(flatten)]
    pub metrics: UtilizationMetrics,
}

/// The pool seen as an M/M/c queue: people with capacity are the servers, and the
/// program's utilization sets the offered load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolErlang {
    /// Servers c: people with capacity in the horizon.
    pub servers: u64,
    /// Offered load A = ρ × c, in Erlangs.
    pub offered_load: f64,
    /// Erlang C probability that new work finds everyone busy (1 when ρ ≥ 1).
    pub wait_probability: f64,
    /// Highest utilization keeping the wait probability at or below the target for a pool
    /// of this size.
    pub safe_utilization: f64,
    /// Whether the program's utilization is above `safe_utilization`.
    pub above_safe_utilization: bool,
    /// Servers needed for the service-level target (answer time as a fraction of handling
    /// time) under the occupancy cap; `null` when no pool reaches the target.
    pub required_servers: Option<u64>,
    /// Head count after shrinkage; `null` with `required_servers`.
    pub required_headcount: Option<u64>,
}

/// How many people are at each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct LevelCounts {
    /// Below the warning threshold.
    pub green: usize,
    /// Warning band.
    pub yellow: usize,
    /// At or above the maximum utilization.
    pub orange: usize,
    /// Critical band.
    pub red: usize,
    /// Emergency band.
    pub black: usize,
}

impl LevelCounts {
    fn add(&mut self, level: UtilizationLevel) {
        let slot = match level {
            UtilizationLevel::Green => &mut self.green,
            UtilizationLevel::Yellow => &mut self.yellow,
            UtilizationLevel::Orange => &mut self.orange,
            UtilizationLevel::Red => &mut self.red,
            UtilizationLevel::Black => &mut self.black,
        };
        *slot += 1;
    }
}

/// The `utilization` section of the analysis report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtilizationReport {
    /// First day of the horizon.
    pub horizon_start: NaiveDate,
    /// Horizon length in days.
    pub horizon_days: u32,
    /// Program utilization (Σ load / Σ capacity).
    pub program: UtilizationMetrics,
    /// People at each level (people with neither load nor capacity excluded).
    pub people_by_level: LevelCounts,
    /// Per organisational unit, sorted by unit name.
    pub units: Vec<UnitUtilization>,
    /// Erlang C view of the pool; `null` when nobody has capacity.
    pub erlang: Option<PoolErlang>,
}

/// Utilization of `schedule` over `[at, at + horizon_days)` with `sessions_per_day` sessions
/// per open full-time day.
pub fn schedule_utilization(
    schedule: &Schedule,
    at: NaiveDate,
    horizon_days: u32,
    sessions_per_day: f64,
    config: &UtilizationConfig,
) -> UtilizationReport {
    let loads = HorizonLoads::measure(schedule, at, horizon_days, sessions_per_day);
    utilization_from_loads(schedule, &loads, config)
}

/// [`schedule_utilization`] from loads already measured.
pub fn utilization_from_loads(
    schedule: &Schedule,
    loads: &HorizonLoads,
    config: &UtilizationConfig,
) -> UtilizationReport {
    let total_load: f64 = loads.load.iter().sum();
    let total_capacity: f64 = loads.capacity.iter().sum();
    let program = utilization_metrics(total_load, total_capacity, config);
    let mut people_by_level = LevelCounts::default();
    let mut by_unit: std::collections::BTreeMap<&str, (usize, f64, f64)> = Default::default();
    for (i, person) in schedule.people.iter().enumerate() {
        let (l, c) = (loads.load[i], loads.capacity[i]);
        if l > 0.0 || c > 0.0 {
            people_by_level.add(utilization_metrics(l, c, config).level);
        }
        let e = by_unit
            .entry(person.unit.as_deref().unwrap_or("(none)"))
            .or_default();
        e.0 += 1;
        e.1 += l;
        e.2 += c;
    }
    let units = by_unit
        .into_iter()
        .map(|(unit, (people, l, c))| UnitUtilization {
            unit: unit.to_owned(),
            people,
            metrics: utilization_metrics(l, c, config),
        })
        .collect();
    let servers = loads.capacity.iter().filter(|c| **c > 0.0).count() as u64;
    let erlang = (servers > 0).then(|| pool_erlang(servers, program.utilization, config));
    UtilizationReport {
        horizon_start: loads.start,
        horizon_days: loads.days,
        program,
        people_by_level,
        units,
        erlang,
    }
}

fn pool_erlang(servers: u64, utilization: f64, config: &UtilizationConfig) -> PoolErlang {
    let offered_load = utilization * servers as f64;
    // Inputs are validated finite and in range above, so these only fail on a
    // misconfigured target, which reports as "no figure".
    let wait_probability = erlang_c(servers, offered_load).unwrap_or(1.0);
    let safe = safe_utilization(servers, config.wait_probability_target).unwrap_or(0.0);
    let staffing = ErlangCQueue::from_offered_load(offered_load, 1.0).and_then(|q| {
        q.required_staff(&StaffingTarget {
            service_level: config.service_level_target,
            answer_time: config.answer_time_fraction,
            max_occupancy: config.max_occupancy,
            shrinkage: config.shrinkage,
        })
    });
    let staffing: Result<_, QueueingError> = staffing;
    PoolErlang {
        servers,
        offered_load,
        wait_probability,
        safe_utilization: safe,
        above_safe_utilization: utilization > safe,
        required_servers: staffing.as_ref().ok().map(|s| s.raw_positions),
        required_headcount: staffing.as_ref().ok().map(|s| s.positions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Absence, AbsenceStatus, AssignmentRole, CalendarDay, Rotation, ScheduleBuilder,
    };

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn levels_have_inclusive_lower_bounds() {
        let c = UtilizationConfig::default();
        for (u, want) in [
            (0.69999, UtilizationLevel::Green),
            (0.7, UtilizationLevel::Yellow),
            (0.79999, UtilizationLevel::Yellow),
            (0.8, UtilizationLevel::Orange),
            (0.9, UtilizationLevel::Red),
            (0.95, UtilizationLevel::Black),
            (1.2, UtilizationLevel::Black),
        ] {
            assert_eq!(c.level(u), want, "{u}");
        }
    }

    #[test]
    fn zero_capacity_is_black_only_with_load() {
        let c = UtilizationConfig::default();
        let m = utilization_metrics(3.0, 0.0, &c);
        assert_eq!(
            (m.utilization, m.level, m.buffer),
            (1.0, UtilizationLevel::Black, 0.0)
        );
        let m = utilization_metrics(0.0, 0.0, &c);
        assert_eq!((m.utilization, m.level), (0.0, UtilizationLevel::Green));
    }

    #[test]
    fn capacity_respects_absences_calendar_and_person_capacity() {
        let mut b = ScheduleBuilder::new();
        let p = b.add_person(Person::new("p")).unwrap();
        let mut half = Person::new("h");
        half.capacity_per_day = 1.0;
        b.add_person(half).unwrap();
        b.add_rotation(Rotation::new("work")).unwrap();
        let mut off = Rotation::new("off");
        off.counts_as_work = false;
        b.add_rotation(off).unwrap();
        // Day 2 closed, day 3 AM closed.
        for (date, session, f) in [
            ("2026-01-02", None, 0.0),
            ("2026-01-03", Some(Session::Am), 0.0),
        ] {
            b.add_calendar_day(CalendarDay {
                date: d(date),
                session,
                weekend: false,
                holiday: true,
                capacity_factor: f,
            })
            .unwrap();
        }
        b.add_absence(Absence {
            person: p,
            start_date: d("2026-01-04"),
            end_date: d("2026-01-04"),
            kind: None,
            status: AbsenceStatus::Approved,
        })
        .unwrap();
        b.assign(
            "p",
            d("2026-01-01"),
            Session::Day,
            Some("work"),
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "p",
            d("2026-01-03"),
            Session::Pm,
            Some("off"),
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "p",
            d("2026-01-03"),
            Session::Pm,
            Some("work"),
            AssignmentRole::Backup,
        )
        .unwrap();
        b.assign(
            "h",
            d("2026-01-05"),
            Session::Am,
            None,
            AssignmentRole::Supervising,
        )
        .unwrap();
        b.assign(
            "h",
            d("2026-01-09"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        let s = b.build();
        let l = HorizonLoads::measure(&s, d("2026-01-01"), 5, 2.0);
        // Open day-fractions: 1 + 0 + 0.5 + 1 + 1 = 3.5; p misses day 4.
        assert_eq!(l.capacity, vec![2.0 * 2.5, 1.0 * 3.5]);
        assert_eq!(l.load, vec![2.0, 1.0]);
    }

    #[test]
    fn schedule_report_groups_units_and_pool() {
        let mut b = ScheduleBuilder::new();
        for (id, unit) in [("a", "icu"), ("b", "icu"), ("c", "ward")] {
            let mut p = Person::new(id);
            p.unit = Some(unit.into());
            b.add_person(p).unwrap();
        }
        for day in 1..=7 {
            let date = d(&format!("2026-01-0{day}"));
            b.assign("a", date, Session::Day, None, AssignmentRole::Primary)
                .unwrap();
            b.assign("b", date, Session::Am, None, AssignmentRole::Primary)
                .unwrap();
        }
        let s = b.build();
        let r = schedule_utilization(&s, d("2026-01-01"), 7, 2.0, &UtilizationConfig::default());
        assert_eq!(r.program.load, 21.0);
        assert_eq!(r.program.capacity, 42.0);
        assert_eq!(r.units[0].unit, "icu");
        assert_eq!(r.units[0].metrics.utilization, 0.75);
        assert_eq!(r.units[1].metrics.utilization, 0.0);
        assert_eq!(
            r.people_by_level,
            LevelCounts {
                green: 2,
                black: 1,
                ..Default::default()
            }
        );
        let e = r.erlang.unwrap();
        assert_eq!(e.servers, 3);
        assert!((e.offered_load - 1.5).abs() < 1e-15);
        assert!((e.wait_probability - erlang_c(3, 1.5).unwrap()).abs() < 1e-15);
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = UtilizationConfig::default();
        assert!(c.validate().is_ok());
        c.shrinkage = 1.0;
        assert_eq!(c.validate().unwrap_err().key, "shrinkage");
        c = UtilizationConfig {
            critical_threshold: 0.5,
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }
}
