//! A one-glance summary of a program: who, when, how much.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{PersonRole, Schedule, SwapStatus};

/// Head counts by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeopleByRole {
    /// Residents (trainees).
    pub resident: usize,
    /// Faculty (supervising staff).
    pub faculty: usize,
    /// Everyone else.
    pub other: usize,
}

/// Swap counts by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SwapCounts {
    /// All swap records.
    pub total: usize,
    /// Carried out.
    pub executed: usize,
    /// Refused.
    pub rejected: usize,
    /// Requested, approved or cancelled.
    pub other: usize,
}

/// One metric series in the bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSeriesSummary {
    /// Metric name.
    pub metric: String,
    /// Number of samples.
    pub samples: usize,
    /// First sample time.
    pub first: DateTime<Utc>,
    /// Last sample time.
    pub last: DateTime<Utc>,
}

/// The `program` section of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramSummary {
    /// People in the roster.
    pub people: usize,
    /// People by role.
    pub people_by_role: PeopleByRole,
    /// Rotations defined.
    pub rotations: usize,
    /// First assignment date (`null` without assignments).
    pub start_date: Option<NaiveDate>,
    /// Last assignment date.
    pub end_date: Option<NaiveDate>,
    /// Days from the first to the last assignment date, inclusive.
    pub days: i64,
    /// Distinct blocks (date, session) with at least one assignment.
    pub blocks: usize,
    /// Assignments.
    pub assignments: usize,
    /// Absence records (all statuses).
    pub absences: usize,
    /// Swap records by outcome.
    pub swaps: SwapCounts,
    /// Calendar rows.
    pub calendar_days: usize,
    /// Metric series, in first-appearance order.
    pub metric_series: Vec<MetricSeriesSummary>,
}

impl ProgramSummary {
    /// Summarises a schedule.
    pub fn of(schedule: &Schedule) -> Self {
        let mut by_role = PeopleByRole::default();
        for p in &schedule.people {
            match p.role {
                PersonRole::Resident => by_role.resident += 1,
                PersonRole::Faculty => by_role.faculty += 1,
                PersonRole::Other => by_role.other += 1,
            }
        }
        let mut swaps = SwapCounts {
            total: schedule.swaps.len(),
            ..SwapCounts::default()
        };
        for s in &schedule.swaps {
            match s.status {
                SwapStatus::Executed => swaps.executed += 1,
                SwapStatus::Rejected => swaps.rejected += 1,
                _ => swaps.other += 1,
            }
        }
        let range = schedule.assignment_date_range();
        let metric_series = schedule
            .metric_series()
            .into_iter()
            .filter_map(|s| {
                Some(MetricSeriesSummary {
                    samples: s.values.len(),
                    first: *s.timestamps.first()?,
                    last: *s.timestamps.last()?,
                    metric: s.metric,
                })
            })
            .collect();
        Self {
            people: schedule.people.len(),
            people_by_role: by_role,
            rotations: schedule.rotations.len(),
            start_date: range.map(|r| r.0),
            end_date: range.map(|r| r.1),
            days: range.map_or(0, |(a, b)| (b - a).num_days() + 1),
            blocks: schedule.blocks.len(),
            assignments: schedule.assignments.len(),
            absences: schedule.absences.len(),
            swaps,
            calendar_days: schedule.calendar.len(),
            metric_series,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignmentRole, Person, ScheduleBuilder, Session};

    #[test]
    fn counts_roles_dates_and_blocks() {
        let mut b = ScheduleBuilder::new();
        let mut r = Person::new("r1");
        r.role = PersonRole::Resident;
        b.add_person(r).unwrap();
        b.add_person(Person::new("o1")).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        b.assign(
            "r1",
            d("2026-01-03"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "o1",
            d("2026-01-01"),
            Session::Pm,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        b.assign(
            "o1",
            d("2026-01-03"),
            Session::Am,
            None,
            AssignmentRole::Primary,
        )
        .unwrap();
        let s = ProgramSummary::of(&b.build());
        assert_eq!(
            s.people_by_role,
            PeopleByRole {
                resident: 1,
                faculty: 0,
                other: 1
            }
        );
        assert_eq!(
            (s.start_date, s.end_date, s.days),
            (Some(d("2026-01-01")), Some(d("2026-01-03")), 3)
        );
        assert_eq!((s.blocks, s.assignments), (2, 3));
    }
}
