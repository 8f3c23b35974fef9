//! Runs the full analysis of the default demo program (day 200) N times, or one section,
//! for profilers (`valgrind --tool=callgrind`, `perf stat`) where criterion's repetition
//! would blur the picture.
//!
//! `health_probe [N] [SECTION]` with SECTION one of `all` (default), `barriers`,
//! `contingency`, `statmech`, or `timed`: N full analyses, printing the minimum, median and
//! 90th percentile wall time (the minimum is the steadiest figure on a shared machine).

use thermo_core::report::{AnalysisConfig, analyze};
use thermo_sim::demo::{DemoConfig, generate};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let section = args.next().unwrap_or_else(|| "all".to_string());
    let schedule = generate(&DemoConfig::default());
    let config = AnalysisConfig::default();
    let at = DemoConfig::default().start + chrono::Duration::days(200);
    let window = Some((
        at,
        at + chrono::Duration::days(i64::from(config.contingency.window_days)),
    ));
    let mut sink = 0usize;
    if section == "timed" {
        let mut times: Vec<f64> = (0..n.max(1))
            .map(|_| {
                let start = std::time::Instant::now();
                sink += analyze(&schedule, at, &config).contingency.n1.len();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "analyze: min {:.3} ms, median {:.3} ms, p90 {:.3} ms over {} runs ({sink})",
            pick(0.0),
            pick(0.5),
            pick(0.9),
            times.len()
        );
        return;
    }
    for _ in 0..n {
        match section.as_str() {
            "all" => sink += analyze(&schedule, at, &config).contingency.n1.len(),
            "barriers" => {
                let barriers = thermo_core::report::energy_barriers(&schedule, window, &config);
                // A digest of the exact values, to compare builds bit for bit.
                let digest = barriers.iter().fold(0u64, |h, b| {
                    h.rotate_left(7) ^ b.map_or(u64::MAX, f64::to_bits)
                });
                println!("barriers digest {digest:016x}, first {:?}", &barriers[..3]);
                sink += barriers.iter().flatten().count()
            }
            "contingency" => {
                sink += thermo_core::resilience::contingency::analyze_contingency(
                    &schedule,
                    &config.contingency,
                    window,
                    &|_| None,
                )
                .n2
                .len()
            }
            "statmech" => {
                sink += usize::from(
                    thermo_core::statmech::free_energy::free_energy_report(
                        &schedule,
                        at,
                        &config.free_energy,
                    )
                    .is_ok(),
                );
                sink += usize::from(
                    thermo_core::statmech::landscape::landscape_report(
                        &schedule,
                        at,
                        &config.free_energy,
                        &config.landscape,
                    )
                    .is_ok(),
                );
                sink += usize::from(
                    thermo_core::statmech::fluctuation::fluctuation_report(
                        &schedule,
                        &config.fluctuation,
                    )
                    .is_ok(),
                );
                sink += usize::from(
                    thermo_core::statmech::dissipative::dissipative_report(
                        &schedule,
                        at,
                        &config.dissipative,
                    )
                    .is_ok(),
                );
                sink += usize::from(
                    thermo_core::statmech::maxwell::maxwell_report(&schedule, &config.maxwell)
                        .is_ok(),
                );
            }
            other => {
                eprintln!("unknown section {other}: all, barriers, contingency, statmech, timed");
                std::process::exit(2);
            }
        }
    }
    println!("{sink}");
}
