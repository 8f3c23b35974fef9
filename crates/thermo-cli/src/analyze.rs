//! `thermo analyze`: the one-shot report of a schedule bundle.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use thermo_core::report::{AnalysisConfig, AnalysisReport, analyze, default_analysis_date};

use crate::BadInput;
use crate::bundle::load_bundle;
use crate::output::{OutputFormat, write_output};

/// Arguments of `thermo analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Schedule bundle: a directory of CSV files or one JSON document.
    pub path: PathBuf,
    /// Analysis date (YYYY-MM-DD); defaults to today (UTC) when inside the schedule's dates,
    /// else to the schedule's first date.
    #[arg(long)]
    pub at: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Thresholds (TOML); every key is optional and unknown keys are an error.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Reads an analysis config file; errors name the file and the offending key.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<AnalysisConfig> {
    let Some(path) = path else {
        return Ok(AnalysisConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("{}: cannot read config: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| BadInput(format!("{}: {}", path.display(), e.to_string().trim_end())).into())
}

/// Runs `thermo analyze`.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    let schedule = load_bundle(&args.path)?;
    let today = chrono::Utc::now().date_naive();
    let at = args
        .at
        .unwrap_or_else(|| default_analysis_date(&schedule, today));
    let report = analyze(&schedule, at, &config);
    let text = match args.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).context("serialising the report")? + "\n"
        }
        OutputFormat::Table => render_table(&report),
    };
    write_output(args.out.as_deref(), &text)
}

/// The report for people: aligned key/value tables per section.
pub fn render_table(report: &AnalysisReport) -> String {
    let mut out = String::new();
    let p = &report.program;
    let _ = writeln!(out, "Thermo Resilience report at {}", report.at);
    let _ = writeln!(out);
    let _ = writeln!(out, "Program");
    let range = match (p.start_date, p.end_date) {
        (Some(a), Some(b)) => format!("{a} .. {b} ({} days)", p.days),
        _ => "no assignments".to_owned(),
    };
    let rows = [
        (
            "people",
            format!(
                "{} (residents {}, faculty {}, other {})",
                p.people,
                p.people_by_role.resident,
                p.people_by_role.faculty,
                p.people_by_role.other
            ),
        ),
        ("rotations", p.rotations.to_string()),
        ("dates", range),
        ("blocks", p.blocks.to_string()),
        ("assignments", p.assignments.to_string()),
        ("absences", p.absences.to_string()),
        (
            "swaps",
            format!(
                "{} (executed {}, rejected {}, other {})",
                p.swaps.total, p.swaps.executed, p.swaps.rejected, p.swaps.other
            ),
        ),
        ("calendar rows", p.calendar_days.to_string()),
        (
            "metric series",
            if p.metric_series.is_empty() {
                "none".to_owned()
            } else {
                p.metric_series
                    .iter()
                    .map(|m| format!("{} ({} samples)", m.metric, m.samples))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    push_rows(&mut out, &rows);
    let _ = writeln!(out);
    let e = &report.entropy;
    let _ = writeln!(
        out,
        "Entropy (bits; {} assignments counted)",
        e.assignments_counted
    );
    let bits = |v: f64| format!("{v:.4}");
    let rows = [
        ("person H(P)", bits(e.person_entropy)),
        ("rotation H(R)", bits(e.rotation_entropy)),
        ("time H(B)", bits(e.time_entropy)),
        ("joint H(P,R)", bits(e.joint_entropy)),
        ("mutual information I(P;R)", bits(e.mutual_information)),
        ("H(P|R)", bits(e.person_given_rotation)),
        ("H(R|P)", bits(e.rotation_given_person)),
        (
            "normalized (evenness)",
            format!("{:.4}", e.normalized_entropy),
        ),
    ];
    push_rows(&mut out, &rows);
    out
}

fn push_rows(out: &mut String, rows: &[(&str, String)]) {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
}
