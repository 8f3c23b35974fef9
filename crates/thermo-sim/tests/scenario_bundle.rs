//! A simulated run written as a bundle that `thermo analyze` consumes, and a run driven by
//! real demand (the INRC-II n021w4 optimal cover).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use thermo_core::report::{AnalysisConfig, analyze};
use thermo_sim::scenario::{
    HourlyArrivals, ScenarioConfig, ScenarioKind, Simulator, record_run, record_run_with,
    to_schedule,
};
use thermo_sim::stream::HourObservation;

#[test]
fn a_recorded_run_is_the_streamed_run() {
    let config = ScenarioConfig::default();
    let run = record_run(&config, ScenarioKind::MassAbsence, 11).unwrap();
    let mut sim = Simulator::new(&config).unwrap();
    let mut hours = Vec::new();
    let out = sim.run(ScenarioKind::MassAbsence, 11, &mut |h: &HourObservation| {
        hours.push(h.clone())
    });
    assert_eq!(run.output, out);
    assert_eq!(run.hours, hours);
    assert!(!run.events.is_empty());
}

#[test]
fn a_run_written_as_a_bundle_reads_back_and_analyzes() {
    let config = ScenarioConfig::default();
    let run = record_run(&config, ScenarioKind::GradualLoadIncrease, 3).unwrap();
    let schedule = to_schedule(&run).unwrap();
    let layout = &run.output.layout;
    assert_eq!(schedule.people.len(), layout.people.len());
    assert_eq!(schedule.rotations.len(), layout.units.len());
    assert_eq!(schedule.calendar.len(), 28);
    assert!(!schedule.assignments.is_empty());
    assert!(!schedule.swaps.is_empty());
    // Every person-hour worked lands in exactly one half-day assignment of that person.
    let worked_half_days: usize = layout
        .people
        .iter()
        .enumerate()
        .map(|(p, _)| {
            let mut halves = std::collections::BTreeSet::new();
            for h in &run.hours {
                if h.people[p].hours_worked > 0.0 {
                    halves.insert(h.hour / 12);
                }
            }
            halves.len()
        })
        .sum();
    assert_eq!(schedule.assignments.len(), worked_half_days);
    let series = schedule.metric_series();
    for name in [
        "utilization",
        "backlog",
        "arrivals",
        "coverage",
        "utilization.ward",
        "coverage.night",
    ] {
        let s = series
            .iter()
            .find(|s| s.metric == name)
            .unwrap_or_else(|| panic!("metric {name}"));
        assert!(s.values.len() >= 600, "{name}: {} samples", s.values.len());
    }

    let dir = tempfile::tempdir().unwrap();
    thermo_io::write_csv_dir(&schedule, dir.path()).unwrap();
    let (read, _warnings) = thermo_io::read_bundle(dir.path()).unwrap();
    assert_eq!(read.people, schedule.people);
    assert_eq!(read.assignments.len(), schedule.assignments.len());
    assert_eq!(read.metrics.len(), schedule.metrics.len());

    let at = layout.start.date_naive() + Duration::days(14);
    let report = analyze(&read, at, &AnalysisConfig::default());
    assert_eq!(report.program.people, layout.people.len());
    assert_eq!(report.program.rotations, 6);
    assert!(report.program.metric_series.len() >= 30);
}

/// `shared/data` beside the repository (`../../../shared` from the crate), or one level
/// deeper from a worktree.
fn shared_data(name: &str) -> std::path::PathBuf {
    let dir = env!("CARGO_MANIFEST_DIR");
    ["/../../../shared/data/", "/../../../../shared/data/"]
        .iter()
        .map(|p| std::path::PathBuf::from(format!("{dir}{p}{name}")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} in ../../../shared/data"))
}

/// Hours (start, length) of the INRC-II shift types.
fn shift_hours(shift: &str) -> (u32, u32) {
    match shift {
        "Early" => (6, 8),
        "Day" => (8, 8),
        "Late" => (14, 8),
        "Night" => (22, 8),
        other => panic!("unknown shift {other}"),
    }
}

/// Each nurse the optimal cover asks for brings this many tasks per hour.
const TASKS_PER_COVERED_NURSE_HOUR: f64 = 4.0;

#[test]
fn real_demand_from_inrc2_drives_a_run() {
    // The first four week files of n021w4 make 28 days; each (day, shift, skill) optimal
    // cover becomes nurses on duty over the shift's hours (a night shift runs into the next
    // day), and arrivals per hour and skill = 4 × nurses the cover asks for.
    let text = std::fs::read_to_string(shared_data("inrc2_n021w4_requirements_long.csv")).unwrap();
    let mut cover: BTreeMap<(u32, String), f64> = BTreeMap::new();
    let mut skills: Vec<String> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let week: u32 = f[0].parse().unwrap();
        if week >= 4 {
            continue;
        }
        let day = week * 7 + f[1].parse::<u32>().unwrap();
        let (from, len) = shift_hours(f[3]);
        let opt: f64 = f[6].parse().unwrap();
        if !skills.iter().any(|s| s == f[4]) {
            skills.push(f[4].to_owned());
        }
        for h in from..from + len {
            let hour = day * 24 + h;
            if hour < 28 * 24 {
                *cover.entry((hour, f[4].to_owned())).or_default() += opt;
            }
        }
    }
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let mut csv = String::from("timestamp,unit,arrivals\n");
    for hour in 0..28 * 24 {
        for skill in &skills {
            let nurses = cover.get(&(hour, skill.clone())).copied().unwrap_or(0.0);
            let t = start + Duration::hours(i64::from(hour));
            let _ = writeln!(
                csv,
                "{},{skill},{}",
                t.to_rfc3339(),
                nurses * TASKS_PER_COVERED_NURSE_HOUR
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inrc2_hourly.csv");
    std::fs::write(&path, &csv).unwrap();

    let mut config = ScenarioConfig::default();
    config.simulator.units = skills.clone();
    let series = HourlyArrivals::read_csv(&path, &config.simulator).unwrap();
    assert_eq!(series.hours(), 672);
    let mut sim = Simulator::with_arrivals(&config, series).unwrap();

    let null = record_run_with(&mut sim, ScenarioKind::NullSeasonal, 5);
    assert_eq!(null.hours.len(), 672);
    assert_eq!(null.output.layout.units, skills);
    for h in &null.hours {
        for (u, skill) in skills.iter().enumerate() {
            let nurses = cover.get(&(h.hour, skill.clone())).copied().unwrap_or(0.0);
            assert_eq!(h.units[u].arrivals, nurses * TASKS_PER_COVERED_NURSE_HOUR);
        }
    }
    // The real demand has its own weekly pattern: more arrivals on some days than others.
    let per_day: Vec<f64> = (0..28)
        .map(|d| {
            null.hours[d * 24..(d + 1) * 24]
                .iter()
                .flat_map(|h| h.units.iter().map(|u| u.arrivals))
                .sum()
        })
        .collect();
    let (lo, hi) = per_day
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert!(hi > lo);

    // A load increase on top of the real demand still ends in a transition at the stressed
    // unit, decided by the same definitions.
    let forced = record_run_with(&mut sim, ScenarioKind::GradualLoadIncrease, 5);
    assert!(forced.output.truth.transition_hour.is_some());
    let schedule = to_schedule(&forced).unwrap();
    let at = NaiveDate::from_ymd_opt(2026, 1, 19).unwrap();
    let report = analyze(&schedule, at, &AnalysisConfig::default());
    assert_eq!(report.program.rotations, skills.len());
}
