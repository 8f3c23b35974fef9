//! Sampling spread of the paper-sized experiment: the literature check repeated with
//! REPLICATES seeds at FORCED + NULL runs each (default 50 × (10 + 10), the paper's size),
//! printing the 5th, 50th and 95th percentiles of each AUC beside the published value.
//!
//! `cargo run --release -p thermo-sim --example literature_spread -- [REPLICATES FORCED NULL]`

use std::time::Instant;

use thermo_core::stats::quantile;
use thermo_sim::literature::{LiteratureConfig, LiteratureRow, run};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("arguments must be whole numbers, got {a:?}");
                std::process::exit(2)
            })
        })
        .collect();
    let replicates = args.first().copied().unwrap_or(50);
    let mut config = LiteratureConfig::quick();
    config.forced_runs = args.get(1).copied().unwrap_or(10);
    config.null_runs = args.get(2).copied().unwrap_or(10);
    let start = Instant::now();
    let mut all: Vec<Vec<LiteratureRow>> = Vec::with_capacity(replicates);
    for seed in 0..replicates as u64 {
        config.seed = 10_000 + seed;
        match run(&config) {
            Ok(rows) => all.push(rows),
            Err(e) => {
                eprintln!("literature check failed: {e}");
                std::process::exit(1)
            }
        }
    }
    println!("| Length | Window | Indicator | AUC p5 | AUC median | AUC p95 | Published |");
    println!("|---|---|---|---|---|---|---|");
    let Some(first) = all.first() else {
        eprintln!("no replicates");
        std::process::exit(2)
    };
    for (i, row) in first.iter().enumerate() {
        let values: Vec<f64> = all.iter().map(|rows| rows[i].auc_ours).collect();
        let q = |p: f64| quantile(&values, p).unwrap_or(f64::NAN);
        println!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            row.length,
            row.window,
            row.indicator,
            q(0.05),
            q(0.5),
            q(0.95),
            row.auc_published
        );
    }
    println!(
        "\n{replicates} replicates of {} + {} runs: {:.1} s",
        config.forced_runs,
        config.null_runs,
        start.elapsed().as_secs_f64()
    );
}
