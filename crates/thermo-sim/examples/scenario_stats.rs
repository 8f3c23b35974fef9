//! Transition statistics of every scenario over many seeds:
//! `cargo run --release -p thermo-sim --example scenario_stats -- [RUNS] [FIRST_SEED]`.
//!
//! Prints, per scenario, the share of runs that transition, the share whose root unit is
//! the stressed unit, the causes, and the quartiles of the transition hour and of the hours
//! from the onset of the stress to the transition.

use thermo_sim::scenario::{ScenarioConfig, ScenarioKind, Simulator};
use thermo_sim::stream::{HourObservation, TransitionCause};

fn quartiles(v: &mut [f64]) -> String {
    if v.is_empty() {
        return "-".to_owned();
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!("{:.0}/{:.0}/{:.0}", q(0.25), q(0.5), q(0.75))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let first: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let config = ScenarioConfig::default();
    let mut sim = Simulator::new(&config).expect("the default configuration is valid");
    println!(
        "{:<24} {:>7} {:>6} {:>6} {:>6} {:>16} {:>16} {:>8}",
        "scenario", "trans%", "root%", "util", "cover", "hour q1/med/q3", "after onset", "<168h"
    );
    for kind in ScenarioKind::ALL {
        let (mut n, mut root, mut util, mut cover, mut early) = (0u64, 0u64, 0u64, 0u64, 0u64);
        let mut hours = Vec::new();
        let mut after = Vec::new();
        let start = std::time::Instant::now();
        for seed in first..first + runs {
            let out = sim.run(kind, seed, &mut |_: &HourObservation| {});
            if let Some(h) = out.truth.transition_hour {
                n += 1;
                hours.push(f64::from(h));
                if h < 168 {
                    early += 1;
                }
                if let Some(o) = out.plan.onset_hour {
                    after.push(f64::from(h) - f64::from(o));
                }
                if out.truth.root_unit == out.plan.stressed_unit {
                    root += 1;
                }
                match out.truth.cause {
                    Some(TransitionCause::UtilizationBreach) => util += 1,
                    Some(TransitionCause::CoverageFailure) => cover += 1,
                    None => {}
                }
            }
        }
        let per_run = start.elapsed().as_secs_f64() * 1e6 / runs as f64;
        println!(
            "{:<24} {:>6.1}% {:>5.1}% {:>6} {:>6} {:>16} {:>16} {:>8}   {per_run:.0} µs/run",
            kind.name(),
            100.0 * n as f64 / runs as f64,
            100.0 * root as f64 / n.max(1) as f64,
            util,
            cover,
            quartiles(&mut hours),
            quartiles(&mut after),
            early
        );
    }
}
