//! Runs the literature check and prints the AUC table with the elapsed time.
//!
//! `cargo run --release -p thermo-sim --example literature -- [FORCED NULL SEED [paper|prefix]]`

use std::time::Instant;

use thermo_sim::literature::{LiteratureConfig, Protocol, markdown_table, run};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = LiteratureConfig::default();
    let parse = |i: usize, what: &str| -> Option<u64> {
        args.get(i).map(|a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("{what} must be a whole number, got {a:?}");
                std::process::exit(2)
            })
        })
    };
    if let Some(v) = parse(0, "FORCED") {
        config.forced_runs = v as usize;
    }
    if let Some(v) = parse(1, "NULL") {
        config.null_runs = v as usize;
    }
    if let Some(v) = parse(2, "SEED") {
        config.seed = v;
    }
    match args.get(3).map(String::as_str) {
        None | Some("paper") => config.protocol = Protocol::Paper,
        Some("prefix") => config.protocol = Protocol::Prefix,
        Some(other) => {
            eprintln!("protocol must be paper or prefix, got {other:?}");
            std::process::exit(2)
        }
    }
    let start = Instant::now();
    match run(&config) {
        Ok(rows) => {
            print!("{}", markdown_table(&rows));
            println!(
                "\n{:?} protocol, {} forced + {} null runs, seed {}: {:.2} s",
                config.protocol,
                config.forced_runs,
                config.null_runs,
                config.seed,
                start.elapsed().as_secs_f64()
            );
        }
        Err(e) => {
            eprintln!("literature check failed: {e}");
            std::process::exit(1)
        }
    }
}
