//! `thermo demo`: write a realistic generated program.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use thermo_sim::demo::{DemoConfig, generate};

use crate::BadInput;

/// Arguments of `thermo demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Directory to write the bundle into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed; the same seed always writes the same program.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    pub seed: u64,
    /// Number of residents.
    #[arg(long, default_value_t = DemoConfig::default().residents)]
    pub residents: usize,
    /// Number of faculty.
    #[arg(long, default_value_t = DemoConfig::default().faculty)]
    pub faculty: usize,
    /// Number of days.
    #[arg(long, default_value_t = DemoConfig::default().days)]
    pub days: usize,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value_t = DemoConfig::default().start)]
    pub start: NaiveDate,
}

/// Runs `thermo demo`.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    if args.days == 0 || args.residents + args.faculty == 0 {
        return Err(
            BadInput("--days and --residents + --faculty must be at least 1".into()).into(),
        );
    }
    let config = DemoConfig {
        seed: args.seed,
        residents: args.residents,
        faculty: args.faculty,
        days: args.days,
        start: args.start,
    };
    let schedule = generate(&config);
    thermo_io::write_csv_dir(&schedule, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {} people, {} assignments, {} absences, {} swaps, {} metric samples to {}",
        schedule.people.len(),
        schedule.assignments.len(),
        schedule.absences.len(),
        schedule.swaps.len(),
        schedule.metrics.len(),
        args.out.display()
    );
    Ok(())
}
