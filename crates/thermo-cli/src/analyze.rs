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
    let config: AnalysisConfig = toml::from_str(&text)
        .map_err(|e| BadInput(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
    validate_config(&config).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    Ok(config)
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
    render_utilization_and_transport(&mut out, report);
    render_phase_transition(&mut out, report);
    push_contingency_section(&mut out, report);
    push_statmech_tables(&mut out, report);
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

/// Range checks of every section that has them (`[utilization]`, `[transport]`, `[defense]`,
/// `[homeostasis]`, `[contingency]`); unknown keys are rejected by the TOML reader.
fn validate_config(config: &AnalysisConfig) -> Result<(), String> {
    config.utilization.validate().map_err(|e| e.to_string())?;
    config.transport.validate().map_err(|e| e.to_string())?;
    config.defense.validate().map_err(|e| e.to_string())?;
    config.homeostasis.validate().map_err(|e| e.to_string())?;
    config.contingency.validate().map_err(|e| e.to_string())
}

/// Optional number: `∞` for unbounded values.
fn fmt_unbounded(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "∞".to_owned()
    }
}

/// Minutes as days (the gauge stays in minutes in JSON).
fn fmt_minutes(m: Option<f64>) -> String {
    match m {
        Some(m) => format!("{:.1} days ({m:.0} min)", m / 1440.0),
        None => "not rising".to_owned(),
    }
}

/// The `utilization` and `transport` sections as tables.
fn render_utilization_and_transport(out: &mut String, report: &AnalysisReport) {
    let u = &report.utilization;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Utilization ({} .. +{} days; sessions)",
        u.horizon_start, u.horizon_days
    );
    let p = &u.program;
    let levels = u.people_by_level;
    let mut rows = vec![
        (
            "program",
            format!(
                "{:.3} {} (load {:.1} / capacity {:.1})",
                p.utilization,
                p.level.as_str(),
                p.load,
                p.capacity
            ),
        ),
        ("buffer", format!("{:.3}", p.buffer)),
        (
            "M/M/1 wait multiplier",
            fmt_unbounded(p.wait_time_multiplier, 2),
        ),
        (
            "people by level",
            format!(
                "GREEN {} YELLOW {} ORANGE {} RED {} BLACK {}",
                levels.green, levels.yellow, levels.orange, levels.red, levels.black
            ),
        ),
    ];
    if let Some(e) = &u.erlang {
        rows.push((
            "Erlang C pool",
            format!(
                "{} servers, {:.2} Erlangs, P(wait) {:.4}",
                e.servers, e.offered_load, e.wait_probability
            ),
        ));
        rows.push((
            "safe utilization",
            format!(
                "{:.3}{}",
                e.safe_utilization,
                if e.above_safe_utilization {
                    " (exceeded)"
                } else {
                    ""
                }
            ),
        ));
        rows.push((
            "required servers",
            match (e.required_servers, e.required_headcount) {
                (Some(s), Some(h)) => format!("{s} (headcount {h})"),
                _ => "target unreachable".to_owned(),
            },
        ));
    }
    push_rows(out, &rows);
    for unit in &u.units {
        let m = &unit.metrics;
        let _ = writeln!(
            out,
            "    {:<20} {:>3} people  {:.3} {}",
            unit.unit,
            unit.people,
            m.utilization,
            m.level.as_str()
        );
    }
    let t = &report.transport;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Transport ({} units: {}; rates in blocks/day)",
        t.unit_grouping.as_str(),
        t.unit_count
    );
    let rows = [
        ("system utilization", format!("{:.3}", t.system_utilization)),
        ("stressed units", t.stressed_units.join(", ")),
        (
            "saturation gradient",
            fmt_unbounded(t.saturation_gradient, 4),
        ),
        (
            "boundary layer",
            format!("{:.3}", t.boundary_layer_thickness),
        ),
        (
            "arrival rate",
            format!("{:.3} (EWMA {:.3})", t.arrival_rate, t.arrival_rate_ewma),
        ),
        (
            "effective diffusion",
            format!("{:.3}", t.effective_diffusion),
        ),
        (
            "potential diffusion",
            format!(
                "{:.3} (permeability {:.3})",
                t.potential_diffusion, t.permeability
            ),
        ),
        (
            "Péclet number",
            format!(
                "{} ({})",
                fmt_unbounded(t.peclet_number, 3),
                t.band.as_str()
            ),
        ),
        (
            "time to saturation",
            fmt_minutes(t.time_to_saturation_minutes),
        ),
        ("level", t.level.as_str().to_owned()),
    ];
    push_rows(out, &rows);
    for a in &t.alerts {
        let _ = writeln!(
            out,
            "    {} {}: {} ({} vs threshold {})",
            a.level.as_str(),
            a.code.as_str(),
            a.message,
            fmt_unbounded(a.value, 3),
            a.threshold
        );
    }
}

/// The `phase_transition` section for people.
fn render_phase_transition(out: &mut String, report: &AnalysisReport) {
    let r = &report.phase_transition;
    let _ = writeln!(out);
    let _ = writeln!(out, "Phase transition (early warning on metric series)");
    let severity = serde_json::to_value(r.overall_severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let time = match &r.time_to_transition_hours {
        None => "none (no significant slowing trend)".to_owned(),
        Some(t) => format!(
            "{:.1} h (band {:.1} .. {})",
            t.hours,
            t.lower_hours,
            t.upper_hours
                .map_or("unbounded".to_owned(), |u| format!("{u:.1} h"))
        ),
    };
    let rows = [
        ("overall severity", severity),
        ("confidence", format!("{:.3}", r.confidence)),
        ("time to transition", time),
        ("signals", r.signals.len().to_string()),
    ];
    push_rows(out, &rows);
    for s in &r.signals {
        let _ = writeln!(
            out,
            "  - {} [{:?}] tau {:.3} (needs {:.2}), p {:.4}: {}",
            s.metric, s.severity, s.value, s.threshold, s.p_value, s.description
        );
    }
    for rec in &r.recommendations {
        let _ = writeln!(out, "  * {rec}");
    }
}

/// The contingency section of the report table (counts are coverage slots or people).
fn push_contingency_section(out: &mut String, report: &AnalysisReport) {
    let c = &report.contingency;
    let verdict = |ok: bool| if ok { "pass" } else { "FAIL" };
    let _ = writeln!(out);
    let _ = writeln!(out, "Contingency (analysis window)");
    let exposed = c.n1.iter().filter(|p| p.uncovered_slots > 0).count();
    let unrepairable = c.n1.iter().filter(|p| p.unrepairable_slots > 0).count();
    let rows = [
        ("N-1", verdict(c.n1_pass).to_owned()),
        ("N-2", verdict(c.n2_pass).to_owned()),
        (
            "slots short before any loss",
            c.pre_contingency.len().to_string(),
        ),
        ("people whose loss breaks a slot", exposed.to_string()),
        ("  of whom unrepairable", unrepairable.to_string()),
        ("pairs with joint-only breaks", c.n2.len().to_string()),
    ];
    push_rows(out, &rows);
}
/// Free energy, landscape, fluctuation, dissipative and Maxwell sections.
fn push_statmech_tables(out: &mut String, report: &AnalysisReport) {
    let num = |v: f64| format!("{v:.4}");
    if let Some(f) = &report.free_energy {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Free energy (energy units, S in nats; {} assignments)",
            f.assignments_counted
        );
        let c = &f.components;
        push_rows(
            out,
            &[
                (
                    "F = U - T*S",
                    format!("{} ({})", num(f.free_energy), f.stability),
                ),
                ("internal energy U", num(f.internal_energy)),
                ("entropy term T*S", num(f.entropy_term)),
                ("temperature T", num(f.temperature)),
                ("configuration entropy S", num(f.configuration_entropy)),
                ("U: workload imbalance", num(c.imbalance)),
                ("U: preference", num(c.preference)),
                ("U: violations", num(c.violations)),
                ("U: coverage shortfall", num(c.coverage)),
                ("U: vacancies", num(c.vacancies)),
                ("U: hub concentration", num(c.hub)),
            ],
        );
    }
    if let Some(l) = &report.landscape {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Energy landscape ({} samples of {} moves)",
            l.samples, l.moves_per_sample
        );
        push_rows(
            out,
            &[
                ("local minimum", l.is_local_minimum.to_string()),
                (
                    "basin size (samples uphill)",
                    l.estimated_basin_size.to_string(),
                ),
                ("mean barrier height", num(l.mean_barrier_height)),
                ("mean gradient", num(l.mean_gradient)),
                ("ruggedness", num(l.landscape_ruggedness)),
                ("depth to nearest minimum", num(l.depth_to_local_minimum)),
            ],
        );
    }
    if let Some(f) = &report.fluctuation {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Fluctuation-dissipation (mobility {})",
            num(f.system_mobility)
        );
        let rows: Vec<(&str, String)> = f
            .metrics
            .iter()
            .map(|m| {
                (
                    m.metric.as_str(),
                    format!(
                        "phi {:.3}  gain {:.2}  tau {:.1} h  noise {}",
                        m.phi,
                        m.gain,
                        m.relaxation_time_hours,
                        match (m.noise_exponent, m.noise_color) {
                            (Some(b), Some(c)) => format!("beta {b:.2} ({c:?})").to_lowercase(),
                            _ => "n/a".to_owned(),
                        }
                    ),
                )
            })
            .collect();
        push_rows(out, &rows);
    }
    if let Some(d) = &report.dissipative {
        let _ = writeln!(out);
        let _ = writeln!(out, "Dissipative structure (nats)");
        let p = &d.patterns;
        push_rows(
            out,
            &[
                ("state", format!("{:?}", d.state).to_lowercase()),
                ("dS system", num(d.balance.system_change)),
                ("dS environment", num(d.balance.environment_flux)),
                ("dS total", num(d.balance.total_production)),
                (
                    "clustering",
                    format!("{} ({})", num(p.clustering), p.clustering_label),
                ),
                (
                    "periodicity",
                    format!("{} ({})", num(p.periodicity), p.periodicity_label),
                ),
                ("load Gini", num(p.load_gini)),
                ("hub centralization", num(p.hub_centralization)),
            ],
        );
    }
    if let Some(m) = &report.maxwell
        && let Some(h) = &m.health_metric
    {
        let _ = writeln!(out);
        let _ = writeln!(out, "Information value for the level of {h} (bits)");
        let rows: Vec<(&str, String)> = m
            .metrics
            .iter()
            .map(|x| {
                (
                    x.metric.as_str(),
                    format!(
                        "{:.4} ({:.0}% of H){}",
                        x.information_bits,
                        100.0 * x.normalized,
                        if x.selected { "  selected" } else { "" }
                    ),
                )
            })
            .collect();
        push_rows(out, &rows);
    }
}
