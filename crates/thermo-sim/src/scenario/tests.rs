use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::stream::TransitionCause;

fn collect(
    sim: &mut Simulator,
    kind: ScenarioKind,
    seed: u64,
) -> (RunOutput, Vec<HourObservation>) {
    let mut hours = Vec::new();
    let out = sim.run(kind, seed, &mut |h: &HourObservation| hours.push(h.clone()));
    (out, hours)
}

/// The ground truth recomputed from the observable stream alone, with the documented
/// definitions: window utilization ρ_W(t) = (backlog at the end of hour t − W + Σ over the
/// last W hours of (served + backlog − previous backlog)) ÷ Σ capacity over the same hours;
/// a breach is ρ_W ≥ level for `sustain` consecutive hours; a coverage failure is
/// staff_on_duty < required_staff for `coverage` consecutive hours; the transition is the
/// earliest start, ties to the lowest unit, then utilization before coverage.
fn reference_truth(hours: &[HourObservation], gt: &GroundTruthConfig) -> GroundTruth {
    let units = hours.first().map_or(0, |h| h.units.len());
    let w = gt.utilization_window_hours as usize;
    let mut best: Option<(u32, usize, u8)> = None;
    for u in 0..units {
        let (mut streak_u, mut streak_c) = (0u32, 0u32);
        for t in 0..hours.len() {
            let first = (t + 1).saturating_sub(w);
            let before = if first == 0 {
                0.0
            } else {
                hours[first - 1].units[u].backlog
            };
            let mut inflow = 0.0;
            let mut cap = 0.0;
            for s in first..=t {
                let prev = if s == 0 {
                    0.0
                } else {
                    hours[s - 1].units[u].backlog
                };
                let x = hours[s].units[u];
                inflow += x.served + x.backlog - prev;
                cap += x.capacity;
            }
            let todo = before + inflow;
            let rho = if cap > 0.0 {
                todo / cap
            } else if todo > 1e-9 {
                f64::INFINITY
            } else {
                0.0
            };
            // Tolerance for summation order.
            if rho >= gt.utilization_breach - 1e-9 {
                streak_u += 1;
                if streak_u == gt.utilization_sustain_hours {
                    let c = (t as u32 + 1 - streak_u, u, 0);
                    best = Some(best.map_or(c, |b| b.min(c)));
                }
            } else {
                streak_u = 0;
            }
            let x = hours[t].units[u];
            if x.staff_on_duty < x.required_staff {
                streak_c += 1;
                if streak_c == gt.coverage_sustain_hours {
                    let c = (t as u32 + 1 - streak_c, u, 1);
                    best = Some(best.map_or(c, |b| b.min(c)));
                }
            } else {
                streak_c = 0;
            }
        }
    }
    GroundTruth {
        transition_hour: best.map(|b| b.0),
        root_unit: best.map(|b| b.1),
        cause: best.map(|b| {
            if b.2 == 0 {
                TransitionCause::UtilizationBreach
            } else {
                TransitionCause::CoverageFailure
            }
        }),
    }
}

/// Every structural invariant of one hour.
fn check_hour(layout: &RunLayout, prev: Option<&HourObservation>, h: &HourObservation) {
    let units = layout.units.len();
    assert_eq!(h.units.len(), units);
    assert_eq!(h.people.len(), layout.people.len());
    let mut net = vec![0.0; units];
    let mut moved = 0.0;
    for tr in &h.transfers {
        assert!(tr.from != tr.to && tr.from < units && tr.to < units);
        assert!(tr.tasks > 0.0 && tr.tasks.is_finite());
        net[tr.from] -= tr.tasks;
        net[tr.to] += tr.tasks;
        moved += tr.tasks;
        // Only backlog that existed is moved.
        let before = prev.map_or(0.0, |p| p.units[tr.from].backlog);
        assert!(tr.tasks <= before + 1e-9, "moved {} of {before}", tr.tasks);
    }
    assert!(
        net.iter().sum::<f64>().abs() < 1e-9,
        "transfers conserve tasks"
    );
    assert!(
        moved
            <= ScenarioConfig::default()
                .simulator
                .rebalancing
                .transfer_tasks_per_hour
                + 1e-9
    );
    for (u, x) in h.units.iter().enumerate() {
        let before = prev.map_or(0.0, |p| p.units[u].backlog);
        assert!(x.backlog >= 0.0 && x.served >= 0.0 && x.arrivals >= 0.0);
        assert!(x.served <= x.capacity + 1e-9, "served ≤ capacity");
        assert!(
            x.served <= before + x.arrivals + net[u] + 1e-9,
            "served ≤ backlog + arrivals (+ transfers in)"
        );
        assert!(
            (before + x.arrivals + net[u] - x.served - x.backlog).abs() < 1e-9,
            "tasks are conserved"
        );
        let working: Vec<usize> = (0..layout.people.len())
            .filter(|&p| h.people[p].hours_worked > 0.0 && h.people[p].unit == u)
            .collect();
        assert_eq!(
            x.staff_on_duty as usize,
            working.len(),
            "staff on duty = people working there"
        );
        let cap: f64 = working.iter().map(|&p| layout.people[p].service_rate).sum();
        assert!(
            (x.capacity - cap).abs() < 1e-9,
            "capacity = Σ service rates on duty"
        );
        let absent = (0..layout.people.len())
            .filter(|&p| h.people[p].absent && layout.people[p].unit == u)
            .count();
        assert_eq!(x.staff_absent as usize, absent);
    }
    for ph in &h.people {
        assert!(
            !(ph.absent && ph.hours_worked > 0.0),
            "absent people do not work"
        );
        assert!(ph.unit < units);
    }
}

#[test]
fn same_seed_same_stream_and_truth_different_seeds_differ() {
    let config = ScenarioConfig::default();
    let mut a = Simulator::new(&config).unwrap();
    let mut b = Simulator::new(&config).unwrap();
    for kind in ScenarioKind::ALL {
        let (out1, h1) = collect(&mut a, kind, 42);
        // A reused simulator gives the same run after other runs.
        let _ = collect(&mut b, ScenarioKind::SuddenSpike, 7);
        let (out2, h2) = collect(&mut b, kind, 42);
        assert_eq!(out1, out2, "{kind}");
        assert_eq!(h1, h2, "{kind}");
        let (out3, h3) = collect(&mut a, kind, 43);
        assert_ne!(h1, h3, "{kind}: different seeds differ");
        assert_eq!(out3.layout.hours, 672);
        let mut n = 0;
        let out4 = simulate(&config, kind, 42, |_| n += 1).unwrap();
        assert_eq!((out4, n), (out1, 672));
    }
}

#[test]
fn scenarios_use_different_random_streams() {
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).unwrap();
    let (_, a) = collect(&mut sim, ScenarioKind::NullSeasonal, 5);
    let (_, b) = collect(&mut sim, ScenarioKind::NullStationary, 5);
    assert_ne!(a, b);
}

#[test]
fn truth_matches_the_definition_recomputed_from_the_stream() {
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).unwrap();
    let mut transitions = 0;
    for kind in ScenarioKind::ALL {
        for seed in 0..12 {
            let (out, hours) = collect(&mut sim, kind, seed);
            let reference = reference_truth(&hours, &config.simulator.ground_truth);
            assert_eq!(out.truth, reference, "{kind} seed {seed}");
            transitions += usize::from(out.truth.transition_hour.is_some());
        }
    }
    assert!(
        transitions > 40,
        "the comparison covers transitions ({transitions})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn invariants_hold_every_hour(seed in any::<u64>(), kind in 0usize..7) {
        let config = ScenarioConfig::default();
        let mut sim = Simulator::new(&config).unwrap();
        let kind = ScenarioKind::ALL[kind];
        let (out, hours) = collect(&mut sim, kind, seed);
        prop_assert_eq!(hours.len(), 672);
        for (i, h) in hours.iter().enumerate() {
            prop_assert_eq!(h.hour as usize, i);
            check_hour(&out.layout, i.checked_sub(1).map(|j| &hours[j]), h);
        }
        // People per unit within the configured range, ids unique.
        let st = &config.simulator.staffing;
        for u in 0..out.layout.units.len() {
            let n = out.layout.people.iter().filter(|p| p.unit == u).count() as u32;
            prop_assert!(n >= st.people_per_unit_min && n <= st.people_per_unit_max);
        }
        if let Some(t) = out.truth.transition_hour {
            prop_assert!(t < 672 && out.truth.root_unit.is_some() && out.truth.cause.is_some());
        }
    }
}

/// A configuration without randomness in capacity: identical service rates, no absences,
/// no rebalancing, fixed people per unit.
fn deterministic_config(units: &[&str]) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.simulator.units = units.iter().map(|s| (*s).to_owned()).collect();
    c.simulator.staffing.people_per_unit_min = 11;
    c.simulator.staffing.people_per_unit_max = 11;
    c.simulator.staffing.service_rate_spread = 0.0;
    c.simulator.absences.daily_hazard = 0.0;
    c.simulator.absences.contagion = 0.0;
    c.simulator.rebalancing.transfer_tasks_per_hour = 0.0;
    c.simulator.rebalancing.redeploy_max_per_day = 0;
    c
}

fn hours_of(start: chrono::DateTime<Utc>, rows: &[Vec<f64>]) -> HourlyArrivals {
    let units = rows[0].len();
    HourlyArrivals::from_hours(start, (0..units).map(|u| format!("u{u}")).collect(), rows).unwrap()
}

#[test]
fn hand_built_breach_starts_at_the_first_hour_of_the_sustained_streak() {
    // Start at 07:00 so hour 0 opens a day shift (3 people × 6 tasks/h = 18/h).
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).unwrap();
    let config = deterministic_config(&["u0", "u1"]);
    // u0: 9 tasks/h throughout (ρ_W 0.5 by day, 0.75 at night). u1: 9/h, then 30/h in
    // hours 2–7. With no backlog before hour 0 and 18 tasks/h of capacity, u1's window
    // utilization is 9/18 = 0.5, 18/36 = 0.5, 48/54 = 0.89, 78/72 = 1.08 (hour 3), 1.2,
    // 1.28, 1.33, 198/144 = 1.375 (hour 7), then (198 + 9)/(7·18 + 12) = 1.5 with the evening
    // shift's 12/h: the first sustained breach starts at hour 3.
    let mut rows = vec![vec![9.0, 9.0]; 48];
    for row in rows.iter_mut().take(8).skip(2) {
        row[1] = 30.0;
    }
    let arrivals = hours_of(start, &rows);
    let mut sim = Simulator::with_arrivals(&config, arrivals).unwrap();
    let (out, hours) = collect(&mut sim, ScenarioKind::NullStationary, 1);
    assert_eq!(hours[0].units[1].capacity, 18.0);
    assert_eq!(out.truth.transition_hour, Some(3));
    assert_eq!(out.truth.root_unit, Some(1));
    assert_eq!(out.truth.cause, Some(TransitionCause::UtilizationBreach));
    assert_eq!(
        out.truth,
        reference_truth(&hours, &config.simulator.ground_truth)
    );
    // Arrivals are the series' values (the null scenario multiplies them by 1).
    assert_eq!(hours[5].units[1].arrivals, 30.0);
    assert_eq!(hours[5].units[0].arrivals, 9.0);
}

#[test]
fn hand_built_short_breach_is_not_a_transition_and_ties_go_to_the_lowest_unit() {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).unwrap();
    let config = deterministic_config(&["u0", "u1", "u2"]);
    // u0 and u2: 40 tasks/h in hours 0–1, then 9/h: window utilization 40/18 = 2.2,
    // 80/36 = 2.2, then (80 + 9(k − 1))/(18(k + 1)) at hour k: 1.65, 1.36, 1.19, 1.07, 0.99
    // (hour 6), 0.93 — seven breach hours from hour 0 in both units, a tie the lowest index
    // wins. u1: 25 tasks in hour 0 only: 25/18 = 1.39, then 34/36 = 0.94 — one hour.
    let mut rows = vec![vec![9.0, 9.0, 9.0]; 24];
    rows[0] = vec![40.0, 25.0, 40.0];
    rows[1] = vec![40.0, 9.0, 40.0];
    let mut sim = Simulator::with_arrivals(&config, hours_of(start, &rows)).unwrap();
    let (out, hours) = collect(&mut sim, ScenarioKind::NullStationary, 3);
    assert_eq!(out.truth.transition_hour, Some(0));
    assert_eq!(out.truth.root_unit, Some(0));
    assert_eq!(
        out.truth,
        reference_truth(&hours, &config.simulator.ground_truth)
    );

    // Only u1's short burst: no transition.
    let mut rows = vec![vec![9.0, 9.0, 9.0]; 24];
    rows[0][1] = 25.0;
    let mut sim = Simulator::with_arrivals(&config, hours_of(start, &rows)).unwrap();
    let (out, _) = collect(&mut sim, ScenarioKind::NullStationary, 3);
    assert_eq!(out.truth.transition_hour, None);
    assert_eq!(out.truth.root_unit, None);
}

#[test]
fn hand_built_coverage_failure() {
    // Everyone absent from the first day: nobody can be on duty.
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).unwrap();
    let mut config = deterministic_config(&["u0", "u1"]);
    config.simulator.absences.daily_hazard = 1.0;
    let rows = vec![vec![0.0, 0.0]; 24];
    let mut sim = Simulator::with_arrivals(&config, hours_of(start, &rows)).unwrap();
    let (out, hours) = collect(&mut sim, ScenarioKind::NullStationary, 1);
    assert!(
        hours
            .iter()
            .all(|h| h.units.iter().all(|u| u.staff_on_duty == 0))
    );
    assert_eq!(hours[0].absences_started, 22);
    // No work, so no utilization breach; coverage fails from hour 0 in both units.
    assert_eq!(out.truth.transition_hour, Some(0));
    assert_eq!(out.truth.root_unit, Some(0));
    assert_eq!(out.truth.cause, Some(TransitionCause::CoverageFailure));
}

/// Transition statistics of `kind` over `seeds`: (share transitioning, share of those whose
/// root is the stressed unit, share of those after the 7-day baseline).
fn stats(kind: ScenarioKind, seeds: std::ops::Range<u64>) -> (f64, f64, f64) {
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).unwrap();
    let (mut n, mut root, mut late) = (0u32, 0u32, 0u32);
    let runs = seeds.end - seeds.start;
    for seed in seeds {
        let out = sim.run(kind, seed, &mut |_: &HourObservation| {});
        if let Some(t) = out.truth.transition_hour {
            n += 1;
            root += u32::from(out.truth.root_unit == out.plan.stressed_unit);
            late += u32::from(t >= 168);
        }
    }
    let d = f64::from(n.max(1));
    (
        f64::from(n) / runs as f64,
        f64::from(root) / d,
        f64::from(late) / d,
    )
}

#[test]
fn forced_scenarios_transition_at_the_stressed_unit_after_the_baseline() {
    for kind in ScenarioKind::FORCED {
        let (share, root, late) = stats(kind, 0..200);
        assert!(share >= 0.9, "{kind}: {share} of runs transition");
        assert!(root >= 0.8, "{kind}: root is the stressed unit in {root}");
        assert!(late >= 0.95, "{kind}: {late} transition after day 7");
    }
}

#[test]
fn null_scenarios_rarely_transition() {
    for kind in ScenarioKind::NULL {
        let (share, _, _) = stats(kind, 1000..1200);
        assert!(share <= 0.02, "{kind}: {share} of runs transition");
    }
}

#[test]
fn stressed_unit_and_onset_vary_with_the_seed_and_follow_the_config() {
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).unwrap();
    let mut roots = std::collections::BTreeSet::new();
    let mut onsets = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let out = sim.run(
            ScenarioKind::GradualLoadIncrease,
            seed,
            &mut |_: &HourObservation| {},
        );
        roots.insert(out.plan.stressed_unit.unwrap());
        let onset = out.plan.onset_hour.unwrap();
        assert!((8 * 24..=12 * 24).contains(&onset));
        onsets.insert(onset);
    }
    assert_eq!(roots.len(), 6, "every unit is the root in some run");
    assert!(onsets.len() > 20);

    let mut config = ScenarioConfig::default();
    config.scenarios.sudden_spike.root_unit = Some("clinic".to_owned());
    let mut sim = Simulator::new(&config).unwrap();
    for seed in 0..10 {
        let out = sim.run(
            ScenarioKind::SuddenSpike,
            seed,
            &mut |_: &HourObservation| {},
        );
        assert_eq!(out.plan.stressed_unit, Some(3));
    }
    let out = sim.run(ScenarioKind::NullSeasonal, 1, &mut |_: &HourObservation| {});
    assert_eq!((out.plan.stressed_unit, out.plan.onset_hour), (None, None));
}

/// Lag-1 autocorrelation and variance of a series.
fn ac1_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    let cov = x.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum::<f64>() / n;
    (if var > 0.0 { cov / var } else { 0.0 }, var)
}

#[test]
fn gradual_load_shows_critical_slowing_down_before_the_transition() {
    // The stressed unit's backlog recovers more slowly as the load nears capacity: its
    // variance and lag-1 autocorrelation over the 3 days before the transition exceed those
    // of the 3-day baseline before the onset, in most runs.
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).unwrap();
    let (mut more_var, mut more_ac, mut runs) = (0, 0, 0);
    for seed in 0..40 {
        let (out, hours) = collect(&mut sim, ScenarioKind::GradualLoadIncrease, seed);
        let (Some(t), Some(root), Some(onset)) = (
            out.truth.transition_hour,
            out.plan.stressed_unit,
            out.plan.onset_hour,
        ) else {
            continue;
        };
        if t < onset + 72 {
            continue;
        }
        runs += 1;
        let series: Vec<f64> = hours.iter().map(|h| h.units[root].backlog).collect();
        let base = ac1_var(&series[onset as usize - 72..onset as usize]);
        let late = ac1_var(&series[t as usize - 72..t as usize]);
        more_var += usize::from(late.1 > base.1);
        more_ac += usize::from(late.0 > base.0);
    }
    assert!(runs >= 30);
    assert!(
        more_var * 10 >= runs * 9,
        "variance rises in {more_var}/{runs}"
    );
    assert!(
        more_ac * 10 >= runs * 8,
        "autocorrelation rises in {more_ac}/{runs}"
    );
}

#[test]
fn arrival_series_must_match_the_configured_units() {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let arrivals = hours_of(start, &[vec![1.0, 2.0]]);
    let err = Simulator::with_arrivals(&ScenarioConfig::default(), arrivals)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("simulator.units") && err.contains("u0"),
        "{err}"
    );
}

#[test]
fn csv_driven_run_uses_the_series_hours_and_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arrivals.csv");
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let mut text = String::from("timestamp,arrivals\n");
    for h in 0..(10 * 24) {
        let t = start + Duration::hours(h);
        text.push_str(&format!("{},{}\n", t.to_rfc3339(), 30 + (h % 7)));
    }
    std::fs::write(&path, text).unwrap();
    let config = ScenarioConfig::default();
    let series = HourlyArrivals::read_csv(&path, &config.simulator).unwrap();
    assert_eq!(series.hours(), 240);
    let mut sim = Simulator::with_arrivals(&config, series).unwrap();
    let (out, hours) = collect(&mut sim, ScenarioKind::NullSeasonal, 9);
    assert_eq!(out.layout.hours, 240);
    assert_eq!(out.layout.start, start);
    // Equal shares of 30 + h mod 7 over six units.
    for (h, obs) in hours.iter().enumerate() {
        let total: f64 = obs.units.iter().map(|u| u.arrivals).sum();
        assert!((total - f64::from(30 + (h as u32 % 7))).abs() < 1e-9);
    }
    // Stress multiplies the series.
    let (_, stressed) = collect(&mut sim, ScenarioKind::GradualLoadIncrease, 9);
    let last: f64 = stressed[239].units.iter().map(|u| u.arrivals).sum();
    assert!(last > 36.0 + 1e-9);

    let err = HourlyArrivals::read_csv(&dir.path().join("missing.csv"), &config.simulator)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn scenario_names_round_trip() {
    for kind in ScenarioKind::ALL {
        assert_eq!(kind.name().parse::<ScenarioKind>().unwrap(), kind);
        assert_eq!(kind.to_string(), kind.name());
    }
    let err = "spike".parse::<ScenarioKind>().unwrap_err().to_string();
    assert!(
        err.contains("spike") && err.contains("sudden_spike"),
        "{err}"
    );
    assert_eq!(
        ScenarioKind::FORCED.len() + ScenarioKind::NULL.len(),
        ScenarioKind::ALL.len()
    );
}
