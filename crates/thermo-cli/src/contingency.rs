//! `thermo contingency`: exact N-1 / N-2 analysis of a schedule bundle.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use thermo_core::resilience::contingency::{ContingencyReport, analyze_contingency};

use crate::BadInput;
use crate::analyze::load_config;
use crate::bundle::load_bundle;
use crate::output::{OutputFormat, write_output};

/// Pairs shown in the table (the JSON lists every pair).
const TABLE_PAIRS: usize = 20;

/// Arguments of `thermo contingency`.
#[derive(Debug, clap::Args)]
pub struct ContingencyArgs {
    /// Schedule bundle: a directory of CSV files or one JSON document.
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Thresholds (TOML); only the `[contingency]` section is used here.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `thermo contingency`.
pub fn run(args: &ContingencyArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref())?;
    config
        .contingency
        .validate()
        .map_err(|e| BadInput(e.to_string()))?;
    let schedule = load_bundle(&args.path)?;
    // Barriers over the whole bundle, one repair per person, in parallel.
    let barriers = thermo_core::report::energy_barriers(&schedule, None, &config);
    let report = analyze_contingency(
        &schedule,
        &config.contingency,
        None,
        &|people| match people {
            [p] => barriers.get(p.index()).copied().flatten(),
            _ => None,
        },
    );
    let text = match args.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).context("serialising the report")? + "\n"
        }
        OutputFormat::Table => render_table(&report, config.contingency.barrier_threshold),
    };
    write_output(args.out.as_deref(), &text)
}

fn pass(ok: bool) -> &'static str {
    if ok { "pass" } else { "FAIL" }
}

/// The report for people: verdicts, shortfalls, exposed people and the worst pairs.
pub fn render_table(r: &ContingencyReport, barrier_threshold: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Contingency (counts are coverage slots)");
    let _ = writeln!(
        out,
        "  N-1 {}   N-2 {}   pre-contingency shortfalls {}   pairs with joint-only breaks {}",
        pass(r.n1_pass),
        pass(r.n2_pass),
        r.pre_contingency.len(),
        r.n2.len()
    );
    if !r.pre_contingency.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Short before any loss");
        let _ = writeln!(
            out,
            "  {:<10}  {:<7}  {:<16}  {:>8}  {:>8}",
            "date", "session", "rotation", "assigned", "required"
        );
        for s in &r.pre_contingency {
            let _ = writeln!(
                out,
                "  {:<10}  {:<7}  {:<16}  {:>8}  {:>8}",
                s.date,
                s.session.as_str(),
                s.rotation,
                s.assigned,
                s.required
            );
        }
    }
    let exposed: Vec<_> = r.n1.iter().filter(|p| p.uncovered_slots > 0).collect();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "N-1: people whose loss breaks a covered slot ({} of {})",
        exposed.len(),
        r.n1.len()
    );
    if !exposed.is_empty() {
        let _ = writeln!(
            out,
            "  {:<16}  {:>9}  {:>12}  {:>8}  {:>11}  {:>6}  {:>11}",
            "person",
            "uncovered",
            "unrepairable",
            "barrier",
            "betweenness",
            "degree",
            "eigenvector"
        );
    }
    for p in exposed {
        let barrier = p.energy_barrier.map_or_else(
            || "n/a".to_owned(),
            |b| {
                let mark = if b < barrier_threshold { "*" } else { "" };
                format!("{b:.3}{mark}")
            },
        );
        let (bt, dg, ev) = p.centrality.map_or_else(
            || ("n/a".to_owned(), "n/a".to_owned(), "n/a".to_owned()),
            |c| {
                (
                    format!("{:.4}", c.betweenness),
                    format!("{:.4}", c.degree),
                    format!("{:.4}", c.eigenvector),
                )
            },
        );
        let _ = writeln!(
            out,
            "  {:<16}  {:>9}  {:>12}  {:>8}  {:>11}  {:>6}  {:>11}",
            p.person, p.uncovered_slots, p.unrepairable_slots, barrier, bt, dg, ev
        );
    }
    if !r.n2.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "N-2: pairs that break slots neither breaks alone (top {} of {})",
            TABLE_PAIRS.min(r.n2.len()),
            r.n2.len()
        );
        let _ = writeln!(
            out,
            "  {:<16}  {:<16}  {:>9}  {:>10}",
            "person", "person", "uncovered", "joint-only"
        );
        for p in r.n2.iter().take(TABLE_PAIRS) {
            let _ = writeln!(
                out,
                "  {:<16}  {:<16}  {:>9}  {:>10}",
                p.persons[0], p.persons[1], p.uncovered_slots, p.joint_only_slots
            );
        }
    }
    out
}
