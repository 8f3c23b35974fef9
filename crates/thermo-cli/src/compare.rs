//! `thermo compare`: every detector side by side on simulated scenario runs, with lead
//! time, false-positive rate, detection, root cause, AUC, NAB score, cost and the
//! roadmap's criteria, plus the literature check; writes the report files into `--out`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use thermo_sim::backtest::{HarnessConfig, ScenarioSource, run_comparison};
use thermo_sim::compare_report::{RunTiming, summary_table, write_all};
use thermo_sim::detectors::DetectorsConfig;
use thermo_sim::literature::{LiteratureConfig, run_with_progress};
use thermo_sim::scenario::{ScenarioConfig, ScenarioKind};

use crate::BadInput;

/// Runs per scenario with `--quick`.
pub const QUICK_RUNS: usize = 30;

/// Arguments of `thermo compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Comma-separated scenario names (default: every scenario).
    #[arg(long)]
    pub scenarios: Option<String>,
    /// Runs per scenario (default 1,000, or 30 with --quick; overrides the config file).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Master seed (default 42; overrides the config file).
    #[arg(long)]
    pub seed: Option<u64>,
    /// A small comparison for CI: 30 runs per scenario and the 10 + 10-run literature check.
    #[arg(long)]
    pub quick: bool,
    /// TOML file: the scenario simulator's sections plus `[detectors]` and `[harness]`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// The comparison's own sections of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CompareSections {
    detectors: DetectorsConfig,
    harness: HarnessConfig,
}

/// Reads the config file: `[detectors]` and `[harness]` are taken out, the rest is the
/// scenario simulator's file.
fn load_config(
    path: Option<&Path>,
) -> anyhow::Result<(ScenarioConfig, DetectorsConfig, HarnessConfig)> {
    let Some(path) = path else {
        return Ok((
            ScenarioConfig::default(),
            DetectorsConfig::default(),
            HarnessConfig::default(),
        ));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let source = path.display().to_string();
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| BadInput(format!("{source}: {e}")))?;
    let mut ours = toml::Table::new();
    for key in ["detectors", "harness"] {
        if let Some(v) = table.remove(key) {
            ours.insert(key.to_owned(), v);
        }
    }
    let sections: CompareSections = ours
        .try_into()
        .map_err(|e: toml::de::Error| BadInput(format!("{source}: {e}")))?;
    let rest = toml::to_string(&table).map_err(|e| BadInput(format!("{source}: {e}")))?;
    let scenario =
        ScenarioConfig::from_toml_str(&rest, &source).map_err(|e| BadInput(e.to_string()))?;
    Ok((scenario, sections.detectors, sections.harness))
}

fn parse_scenarios(list: Option<&str>) -> anyhow::Result<Vec<ScenarioKind>> {
    let Some(list) = list else {
        return Ok(ScenarioKind::ALL.to_vec());
    };
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind: ScenarioKind =
            name.parse()
                .map_err(|e: thermo_sim::scenario::ScenarioError| {
                    BadInput(format!("--scenarios: {e}"))
                })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        return Err(BadInput("--scenarios: no scenario named".into()).into());
    }
    Ok(out)
}

fn progress_bar(total: u64, label: &str) -> ProgressBar {
    let hidden = !std::io::stdout().is_terminal() || std::env::var_os("CI").is_some();
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} runs ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}

/// Runs `thermo compare`.
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let (scenario_config, detectors, mut harness) = load_config(args.config.as_deref())?;
    if args.quick {
        harness.runs = QUICK_RUNS;
    }
    if let Some(n) = args.runs {
        harness.runs = n;
    }
    if let Some(s) = args.seed {
        harness.seed = s;
    }
    harness.validate().map_err(|e| BadInput(e.to_string()))?;
    detectors.validate().map_err(|e| BadInput(e.to_string()))?;
    let kinds = parse_scenarios(args.scenarios.as_deref())?;
    let source =
        ScenarioSource::new(&scenario_config, kinds).map_err(|e| BadInput(e.to_string()))?;

    let started = Instant::now();
    let total = (harness.runs * source.len()) as u64;
    let bar = progress_bar(total, "scenarios");
    let comparison = run_comparison(&source, &detectors, &harness, &|| bar.inc(1))?;
    bar.finish_and_clear();

    let literature_config = if args.quick {
        LiteratureConfig::quick()
    } else {
        LiteratureConfig::default()
    };
    let lit_total = (literature_config.forced_runs + literature_config.null_runs) as u64;
    let bar = progress_bar(lit_total, "literature");
    let literature = run_with_progress(&literature_config, &|_, _| bar.inc(1))
        .map_err(|e| anyhow::anyhow!("literature check: {e}"))?;
    bar.finish_and_clear();

    let timing = RunTiming {
        seconds: started.elapsed().as_secs_f64(),
        threads: rayon::current_num_threads(),
    };
    let files = write_all(&args.out, &comparison, &literature, Some(timing))
        .with_context(|| format!("cannot write into {}", args.out.display()))?;
    print!("{}", summary_table(&comparison));
    println!(
        "\n{} runs in {:.1} s on {} threads; wrote {}",
        comparison.runs_simulated,
        timing.seconds,
        timing.threads,
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
