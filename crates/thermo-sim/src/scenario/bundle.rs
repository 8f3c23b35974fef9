//! A run written as a schedule bundle, so that `thermo analyze` works on a simulated run.
//!
//! [`record_run`] keeps every hour and the run's events; [`to_schedule`] turns them into a
//! [`Schedule`]:
//! - people: one per simulated person (id `unit-NN`, role other, organisational unit = home
//!   unit);
//! - rotations: one per unit (id = unit name, kind `inpatient`, `min_coverage` = the
//!   day-shift required headcount);
//! - calendar: one row per date (weekend flag, capacity factor 1);
//! - assignments: one per person, date and half-day (AM = 00–12 h, PM = 12–24 h UTC) in
//!   which the person worked at least one hour, on the unit where they worked most hours
//!   of that half-day (ties: lowest unit index), role primary;
//! - absences: each run of absent hours, as sick leave (confirmed) from the date of the
//!   first hour to the date of the last;
//! - swaps: a cover is an executed absorb from the absent person to the colleague who
//!   covered; an open shift nobody covered is a rejected absorb without a target; each
//!   overload swap request (someone asking the pool to take their shift) is a rejected
//!   absorb without a target, attributed in turn to the people on duty in its unit that
//!   hour;
//! - metrics, hourly, stamped at the start of the hour: `utilization` (work present ÷
//!   capacity; omitted when the capacity is 0), `backlog`, `arrivals` (tasks) and
//!   `coverage` (Σ min(on duty, required) ÷ Σ required) for the whole program and as
//!   `<metric>.<unit>` per unit, plus `swap_requests` and `staff_absent` (counts).

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};
use thermo_core::model::{
    Absence, AbsenceStatus, Assignment, AssignmentRole, Block, CalendarDay, MetricSample,
    ModelError, Person, PersonIdx, PersonRole, Rotation, RotationIdx, Schedule, ScheduleBuilder,
    Session, Swap, SwapKind, SwapStatus,
};

use super::{RunOutput, ScenarioConfig, ScenarioError, ScenarioKind, Simulator};
use crate::stream::{HourObservation, RunLayout, UnitIdx};

/// Something that happened in a run beyond what the hourly observations show (people are
/// indices into [`RunLayout::people`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A person fell absent for `days` days from `hour`.
    AbsenceStarted {
        /// Hour of the start.
        hour: u32,
        /// The person.
        person: usize,
        /// Length in days.
        days: u32,
    },
    /// A colleague covered an absent person's shift.
    Cover {
        /// Hour the shift starts.
        hour: u32,
        /// The absent person.
        absent: usize,
        /// The colleague who covered.
        cover: usize,
        /// Shift length, hours.
        hours: u32,
    },
    /// An absent person's shift stayed open: nobody accepted to cover.
    OpenShift {
        /// Hour the shift starts.
        hour: u32,
        /// The absent person.
        absent: usize,
    },
    /// A person was redeployed for the rest of their shift.
    Redeployed {
        /// Hour of the move.
        hour: u32,
        /// The person.
        person: usize,
        /// Unit left.
        from: UnitIdx,
        /// Unit joined.
        to: UnitIdx,
    },
    /// Swap requests raised under overload in a unit.
    SwapRequests {
        /// The hour.
        hour: u32,
        /// The unit.
        unit: UnitIdx,
        /// How many.
        count: u32,
    },
}

/// A run kept in full: the output, every hour and the events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRun {
    /// Layout, ground truth and stress plan.
    pub output: RunOutput,
    /// Every hour, in order.
    pub hours: Vec<HourObservation>,
    /// The events, in the order they happened.
    pub events: Vec<RunEvent>,
    /// Required headcount of the day shift (the rotations' `min_coverage`).
    pub required_day: u32,
}

/// Simulates one run and keeps every hour and event (allocates; for writing bundles).
pub fn record_run(
    config: &ScenarioConfig,
    scenario: ScenarioKind,
    seed: u64,
) -> Result<RecordedRun, ScenarioError> {
    let mut sim = Simulator::new(config)?;
    Ok(record_run_with(&mut sim, scenario, seed))
}

/// [`record_run`] with a prepared simulator (for example one driven by an arrival CSV).
/// The hours are identical to those [`Simulator::run`] streams for the same seed.
pub fn record_run_with(sim: &mut Simulator, scenario: ScenarioKind, seed: u64) -> RecordedRun {
    sim.set_event_log(true);
    let mut hours = Vec::new();
    let output = sim.run(scenario, seed, &mut |h: &HourObservation| {
        hours.push(h.clone())
    });
    let events = sim.take_events();
    sim.set_event_log(false);
    RecordedRun {
        output,
        hours,
        events,
        required_day: sim.config().simulator.staffing.required_day,
    }
}

fn session_of(t: DateTime<Utc>) -> Session {
    if t.hour() < 12 {
        Session::Am
    } else {
        Session::Pm
    }
}

/// The run as a schedule bundle (see the module documentation for the mapping).
pub fn to_schedule(run: &RecordedRun) -> Result<Schedule, ModelError> {
    let layout: &RunLayout = &run.output.layout;
    let units = layout.units.len();
    let at = |h: u32| layout.start + Duration::hours(i64::from(h));
    let mut b = ScheduleBuilder::new();
    for p in &layout.people {
        b.add_person(Person {
            id: p.id.clone(),
            name: None,
            role: PersonRole::Other,
            unit: Some(layout.units[p.unit].clone()),
            capacity_per_day: Person::DEFAULT_CAPACITY_PER_DAY,
            skills: Vec::new(),
        })?;
    }
    for u in &layout.units {
        b.add_rotation(Rotation {
            id: u.clone(),
            name: Some(format!("Unit {u}")),
            kind: Some("inpatient".to_owned()),
            min_coverage: run.required_day,
            required_skill: None,
            counts_as_work: true,
            unit: Some(u.clone()),
        })?;
    }
    if let (Some(first), Some(last)) = (
        run.hours.first().map(|h| at(h.hour).date_naive()),
        run.hours.last().map(|h| at(h.hour).date_naive()),
    ) {
        let mut d = first;
        while d <= last {
            b.add_calendar_day(CalendarDay {
                date: d,
                session: None,
                weekend: matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
                holiday: false,
                capacity_factor: 1.0,
            })?;
            d += Duration::days(1);
        }
    }

    // Assignments per half-day: hours worked per person and unit.
    let people = layout.people.len();
    let mut worked = vec![0u32; people * units];
    let flush = |b: &mut ScheduleBuilder,
                 worked: &mut [u32],
                 when: DateTime<Utc>|
     -> Result<(), ModelError> {
        let block = Block {
            date: when.date_naive(),
            session: session_of(when),
        };
        for p in 0..people {
            let row = &mut worked[p * units..(p + 1) * units];
            let best = (0..units).max_by_key(|&u| (row[u], std::cmp::Reverse(u)));
            if let Some(u) = best.filter(|&u| row[u] > 0) {
                let block = b.intern_block(block);
                b.add_assignment(Assignment {
                    person: PersonIdx(p as u32),
                    block,
                    rotation: Some(RotationIdx(u as u32)),
                    role: AssignmentRole::Primary,
                    score: None,
                    violation: false,
                    created_at: None,
                })?;
            }
            row.iter_mut().for_each(|c| *c = 0);
        }
        Ok(())
    };
    let mut current: Option<DateTime<Utc>> = None;
    for h in &run.hours {
        let when = at(h.hour);
        if let Some(c) = current
            && (c.date_naive() != when.date_naive() || session_of(c) != session_of(when))
        {
            flush(&mut b, &mut worked, c)?;
        }
        current = Some(when);
        for (p, ph) in h.people.iter().enumerate() {
            if ph.hours_worked > 0.0 && ph.unit < units {
                worked[p * units + ph.unit] += 1;
            }
        }
    }
    if let Some(c) = current {
        flush(&mut b, &mut worked, c)?;
    }

    // Absences: runs of absent hours.
    let mut since: Vec<Option<u32>> = vec![None; people];
    let mut absences = Vec::new();
    let close = |p: usize, from: u32, to: u32, absences: &mut Vec<Absence>| {
        absences.push(Absence {
            person: PersonIdx(p as u32),
            start_date: at(from).date_naive(),
            end_date: at(to).date_naive(),
            kind: Some("sick".to_owned()),
            status: AbsenceStatus::Confirmed,
        });
    };
    let mut last_hour = 0;
    for h in &run.hours {
        last_hour = h.hour;
        for (p, ph) in h.people.iter().enumerate() {
            match (ph.absent, since[p]) {
                (true, None) => since[p] = Some(h.hour),
                (false, Some(from)) => {
                    close(p, from, h.hour.saturating_sub(1), &mut absences);
                    since[p] = None;
                }
                _ => {}
            }
        }
    }
    for (p, s) in since.iter().enumerate() {
        if let Some(from) = *s {
            close(p, from, last_hour, &mut absences);
        }
    }
    absences.sort_by_key(|a| (a.start_date, a.person));
    for a in absences {
        b.add_absence(a)?;
    }

    // Swaps.
    let mut n = 0usize;
    let mut swap = |b: &mut ScheduleBuilder,
                    source: usize,
                    target: Option<usize>,
                    hour: u32,
                    kind: SwapKind,
                    status: SwapStatus|
     -> Result<(), ModelError> {
        n += 1;
        let when = at(hour);
        b.add_swap(Swap {
            id: Some(format!("swap-{n:05}")),
            source: PersonIdx(source as u32),
            target: target.map(|t| PersonIdx(t as u32)),
            date: when.date_naive(),
            session: Some(session_of(when)),
            blocks: 1,
            kind,
            status,
            requested_at: Some(when),
            executed_at: (status == SwapStatus::Executed).then_some(when),
        })
    };
    for e in &run.events {
        match *e {
            RunEvent::Cover {
                hour,
                absent,
                cover,
                ..
            } => swap(
                &mut b,
                absent,
                Some(cover),
                hour,
                SwapKind::Absorb,
                SwapStatus::Executed,
            )?,
            RunEvent::OpenShift { hour, absent } => swap(
                &mut b,
                absent,
                None,
                hour,
                SwapKind::Absorb,
                SwapStatus::Rejected,
            )?,
            RunEvent::SwapRequests { hour, unit, count } => {
                let Some(obs) = run.hours.get(hour as usize) else {
                    continue;
                };
                let on_duty: Vec<usize> = obs
                    .people
                    .iter()
                    .enumerate()
                    .filter(|(_, ph)| ph.hours_worked > 0.0 && ph.unit == unit)
                    .map(|(p, _)| p)
                    .collect();
                for i in 0..count as usize {
                    if on_duty.is_empty() {
                        break;
                    }
                    let source = on_duty[(hour as usize + i) % on_duty.len()];
                    swap(
                        &mut b,
                        source,
                        None,
                        hour,
                        SwapKind::Absorb,
                        SwapStatus::Rejected,
                    )?;
                }
            }
            RunEvent::AbsenceStarted { .. } | RunEvent::Redeployed { .. } => {}
        }
    }

    // Hourly metrics.
    let names: Vec<[String; 4]> = layout
        .units
        .iter()
        .map(|u| {
            [
                format!("utilization.{u}"),
                format!("backlog.{u}"),
                format!("arrivals.{u}"),
                format!("coverage.{u}"),
            ]
        })
        .collect();
    let metric = |b: &mut ScheduleBuilder, when, name: &str, value: f64| {
        if value.is_finite() {
            b.add_metric(MetricSample {
                timestamp: when,
                metric: name.to_owned(),
                value,
            })
        } else {
            Ok(())
        }
    };
    for h in &run.hours {
        let when = at(h.hour);
        let (mut work, mut cap, mut backlog, mut arrivals, mut covered, mut required) =
            (0.0, 0.0, 0.0, 0.0, 0u32, 0u32);
        for (u, uh) in h.units.iter().enumerate() {
            let present = uh.served + uh.backlog;
            work += present;
            cap += uh.capacity;
            backlog += uh.backlog;
            arrivals += uh.arrivals;
            covered += uh.staff_on_duty.min(uh.required_staff);
            required += uh.required_staff;
            if uh.capacity > 0.0 {
                metric(&mut b, when, &names[u][0], present / uh.capacity)?;
            }
            metric(&mut b, when, &names[u][1], uh.backlog)?;
            metric(&mut b, when, &names[u][2], uh.arrivals)?;
            let cov = if uh.required_staff == 0 {
                1.0
            } else {
                f64::from(uh.staff_on_duty.min(uh.required_staff)) / f64::from(uh.required_staff)
            };
            metric(&mut b, when, &names[u][3], cov)?;
        }
        if cap > 0.0 {
            metric(&mut b, when, "utilization", work / cap)?;
        }
        metric(&mut b, when, "backlog", backlog)?;
        metric(&mut b, when, "arrivals", arrivals)?;
        let cov = if required == 0 {
            1.0
        } else {
            f64::from(covered) / f64::from(required)
        };
        metric(&mut b, when, "coverage", cov)?;
        metric(&mut b, when, "swap_requests", f64::from(h.swap_requests))?;
        let absent: u32 = h.units.iter().map(|u| u.staff_absent).sum();
        metric(&mut b, when, "staff_absent", f64::from(absent))?;
    }
    Ok(b.build())
}
