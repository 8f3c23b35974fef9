//! `thermo import FORMAT SRC --out DIR`: convert another format into a schedule bundle.

use std::path::PathBuf;

use anyhow::Context;
use thermo_io::BundleError;

use crate::BadInput;

/// The formats `thermo import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// The anonymised residency of the Autonomous Assignment Program Manager: a directory
    /// with residency_block_rotations.csv and optionally faculty_call_by_day.csv,
    /// faculty_inpatient_weeks.csv, absences.csv, faculty_published_totals.csv.
    Aapm(ImportArgs),
}

/// Source and destination of an import.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Directory holding the source files.
    pub src: PathBuf,
    /// Directory to write the bundle into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `thermo import`.
pub fn run(command: &ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Aapm(args) = command;
    let (schedule, warnings) = match thermo_io::import::aapm::import_dir(&args.src) {
        Ok(done) => done,
        Err(BundleError::Invalid(diagnostics)) => {
            let mut msg = format!(
                "{} problem(s) in {}:",
                diagnostics.len(),
                args.src.display()
            );
            for d in &diagnostics {
                msg.push_str("\n  ");
                msg.push_str(&d.to_string());
            }
            return Err(BadInput(msg).into());
        }
        Err(other) => return Err(BadInput(other.to_string()).into()),
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    thermo_io::write_csv_dir(&schedule, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {} people, {} rotations, {} assignments, {} absences, {} calendar days to {} ({} warning(s))",
        schedule.people.len(),
        schedule.rotations.len(),
        schedule.assignments.len(),
        schedule.absences.len(),
        schedule.calendar.len(),
        args.out.display(),
        warnings.len()
    );
    Ok(())
}
