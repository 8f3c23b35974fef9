//! The `thermo` command: one subcommand per job, each in its own module.
//!
//! Exit codes: 0 success, 1 runtime failure, 2 bad input or usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod bundle;
mod compare;
mod contingency;
mod demo;
mod ensemble;
mod ews;
mod import;
mod output;
mod serve;

/// Thermo Resilience: how close a staffed service is to breaking, early, with evidence.
#[derive(Debug, Parser)]
#[command(name = "thermo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One-shot report of a schedule bundle.
    Analyze(analyze::AnalyzeArgs),
    /// Write a realistic generated program (deterministic per seed).
    Demo(demo::DemoArgs),
    /// Convert a schedule from another format into a bundle.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Rolling early-warning indicators of one time series (CSV), with trends and p-values.
    Ews(ews::EwsArgs),
    /// Every detector side by side on simulated scenario runs: lead time, false alarms,
    /// AUC, NAB score, cost and the roadmap's criteria.
    Compare(compare::CompareArgs),
    /// Exact N-1 / N-2 contingency of a schedule bundle.
    Contingency(contingency::ContingencyArgs),
    /// Boltzmann ensemble of fallback schedules for the loss of people.
    Ensemble(ensemble::EnsembleArgs),
    /// Run the service: HTTP API, /metrics, periodic checks and alert webhooks.
    Serve(serve::ServeArgs),
}

/// An error that maps to exit status 2 (bad input or usage).
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Import(command) => import::run(command),
        Command::Ews(args) => ews::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Contingency(args) => contingency::run(args),
        Command::Ensemble(args) => ensemble::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            if e.downcast_ref::<BadInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
