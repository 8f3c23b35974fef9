//! `thermo ensemble`: ranked fallback schedules for the loss of one or more people.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use serde::Serialize;
use thermo_core::model::PersonIdx;
use thermo_core::report::default_analysis_date;
use thermo_core::statmech::boltzmann::{
    EnsembleConfig, EnsembleMember, EnsembleStats, ScheduleEnsemble,
};
use thermo_core::statmech::free_energy::EnergyModel;

use crate::BadInput;
use crate::bundle::load_bundle;

/// Arguments of `thermo ensemble`.
#[derive(Debug, clap::Args)]
pub struct EnsembleArgs {
    /// Schedule bundle: a directory of CSV files or one JSON document.
    pub path: PathBuf,
    /// Ids of the people lost, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub remove: Vec<String>,
    /// Fallback schedules wanted.
    #[arg(long, default_value_t = 50)]
    pub size: usize,
    /// Sampling temperature (energy units per nat); higher explores further from the repair.
    #[arg(long, default_value_t = 2.0)]
    pub temperature: f64,
    /// Chain steps between recorded members; larger values give more diverse members.
    #[arg(long, default_value_t = 10)]
    pub thinning: usize,
    /// Random seed (the same seed gives the same ensemble).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scenario date (YYYY-MM-DD); defaults like `thermo analyze --at`.
    #[arg(long)]
    pub at: Option<NaiveDate>,
    /// Days from the scenario date that are re-planned; 0 re-plans the whole schedule.
    #[arg(long, default_value_t = 28)]
    pub horizon_days: u32,
    /// Output directory: `rank-001/` … bundles and `summary.json`.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct Scenario<'a> {
    removed: &'a [String],
    at: NaiveDate,
    horizon_days: u32,
    temperature: f64,
    thinning: usize,
    size_requested: usize,
    seed: u64,
}

#[derive(Serialize)]
struct MemberRow<'a> {
    bundle: String,
    #[serde(flatten)]
    member: &'a EnsembleMember,
}

#[derive(Serialize)]
struct Summary<'a> {
    scenario: Scenario<'a>,
    stats: &'a EnsembleStats,
    members: Vec<MemberRow<'a>>,
}

/// Runs `thermo ensemble`.
pub fn run(args: &EnsembleArgs) -> anyhow::Result<()> {
    let schedule = load_bundle(&args.path)?;
    let mut removed: Vec<PersonIdx> = Vec::new();
    for id in &args.remove {
        let idx = schedule
            .person_index(id.trim())
            .ok_or_else(|| BadInput(format!("--remove: unknown person id {id:?}")))?;
        if !removed.contains(&idx) {
            removed.push(idx);
        }
    }
    let today = chrono::Utc::now().date_naive();
    let at = args
        .at
        .unwrap_or_else(|| default_analysis_date(&schedule, today));
    let config = EnsembleConfig {
        size: args.size,
        temperature: args.temperature,
        thinning: args.thinning,
        horizon_days: args.horizon_days,
        seed: args.seed,
        ..EnsembleConfig::default()
    };
    let ensemble =
        ScheduleEnsemble::generate(&schedule, &removed, at, &EnergyModel::default(), &config)
            .map_err(|e| BadInput(e.to_string()))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut rows = Vec::with_capacity(ensemble.members.len());
    for (i, member) in ensemble.members.iter().enumerate() {
        let name = format!("rank-{:03}", member.rank);
        let bundle = ensemble
            .member_schedule(&schedule, i)
            .context("member out of range")?;
        thermo_io::write_csv_dir(&bundle, &args.out.join(&name))
            .with_context(|| format!("writing {}", args.out.join(&name).display()))?;
        rows.push(MemberRow {
            bundle: name,
            member,
        });
    }
    let ids: Vec<String> = removed
        .iter()
        .map(|p| schedule.person(*p).id.clone())
        .collect();
    let summary = Summary {
        scenario: Scenario {
            removed: &ids,
            at,
            horizon_days: args.horizon_days,
            temperature: args.temperature,
            thinning: args.thinning,
            size_requested: args.size,
            seed: args.seed,
        },
        stats: &ensemble.stats,
        members: rows,
    };
    let path = args.out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).context("serialising the summary")? + "\n";
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "{} fallback schedule(s) written to {} (acceptance {:.3}, diversity {:.3}, P(coverage gap) {:.3})",
        ensemble.members.len(),
        args.out.display(),
        ensemble.stats.sampler.acceptance_rate,
        ensemble.stats.diversity,
        ensemble.stats.coverage_gap_probability
    );
    Ok(())
}
