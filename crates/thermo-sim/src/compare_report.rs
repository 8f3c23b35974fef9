//! The files of `thermo compare`: `summary.json`, `results.csv`, `literature.csv`,
//! `report.md` and a self-contained `report.html` with hand-written inline SVG plots
//! (lead-time box plots, ROC curves, alert timelines of a sample run).
//!
//! Everything except the cost fields (`cost_us_per_check`, `criteria.cost`,
//! `criteria.pass`) is a pure function of the seed and the settings, so two runs with the
//! same seed write byte-identical files once those fields are removed.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::backtest::{Comparison, DetectorCriteria, ResultRow, ThresholdMode};

pub use crate::literature::LiteratureRow;

/// Wall-clock facts of a comparison run, reported but never part of the deterministic
/// content.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunTiming {
    /// Seconds for the whole comparison.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    harness: &'a crate::backtest::HarnessConfig,
    scenarios: &'a [String],
    null_scenarios: &'a [String],
    runs_simulated: usize,
    detectors: &'a [crate::backtest::DetectorInfo],
    results: &'a [ResultRow],
    criteria: &'a [DetectorCriteria],
    literature: &'a [LiteratureRow],
}

/// `summary.json` content (pretty-printed, trailing newline).
pub fn summary_json(
    cmp: &Comparison,
    literature: &[LiteratureRow],
) -> Result<String, serde_json::Error> {
    let s = Summary {
        harness: &cmp.harness,
        scenarios: &cmp.scenarios,
        null_scenarios: &cmp.null_scenarios,
        runs_simulated: cmp.runs_simulated,
        detectors: &cmp.detectors,
        results: &cmp.results,
        criteria: &cmp.criteria,
        literature,
    };
    let mut out = serde_json::to_string_pretty(&s)?;
    out.push('\n');
    Ok(out)
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

fn csv_opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| format!("{x}"))
}

fn mode_name(m: ThresholdMode) -> &'static str {
    match m {
        ThresholdMode::Calibrated => "calibrated",
        ThresholdMode::Default => "default",
    }
}

/// `results.csv`: one line per result row.
pub fn results_csv(cmp: &Comparison) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "detector",
        "scenario",
        "threshold_mode",
        "threshold",
        "runs",
        "transitions",
        "lead_time_hours_median",
        "lead_time_hours_iqr",
        "false_positive_rate",
        "false_alarms_per_run",
        "detection_rate",
        "root_cause_specificity",
        "auc",
        "nab_score",
        "cost_us_per_check",
        "criterion_lead_time",
        "criterion_false_positive_rate",
        "criterion_unique_detection",
        "criterion_cost",
        "criteria_pass",
    ])?;
    for r in &cmp.results {
        w.write_record([
            r.detector.clone(),
            r.scenario.clone(),
            mode_name(r.threshold_mode).to_owned(),
            csv_opt(r.threshold),
            r.runs.to_string(),
            r.transitions.to_string(),
            csv_opt(r.lead_time_hours_median),
            csv_opt(r.lead_time_hours_iqr),
            r.false_positive_rate.to_string(),
            r.false_alarms_per_run.to_string(),
            csv_opt(r.detection_rate),
            csv_opt(r.root_cause_specificity),
            csv_opt(r.auc),
            csv_opt(r.nab_score),
            format!("{:.3}", r.cost_us_per_check),
            r.criteria.lead_time.to_string(),
            r.criteria.false_positive_rate.to_string(),
            r.criteria.unique_detection.to_string(),
            r.criteria.cost.to_string(),
            r.criteria.pass.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `literature.csv`.
pub fn literature_csv(rows: &[LiteratureRow]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "model",
        "length",
        "window",
        "indicator",
        "auc_ours",
        "auc_published",
        "simulations",
    ])?;
    for r in rows {
        w.write_record([
            r.model.clone(),
            r.length.to_string(),
            r.window.clone(),
            r.indicator.clone(),
            r.auc_ours.to_string(),
            r.auc_published.to_string(),
            r.simulations.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The scenarios designed to force a transition.
fn forced_scenarios(cmp: &Comparison) -> Vec<&String> {
    cmp.scenarios
        .iter()
        .filter(|s| !cmp.null_scenarios.contains(s))
        .collect()
}

fn base_names(cmp: &Comparison) -> Vec<&str> {
    cmp.channels.iter().map(|c| c.name).collect()
}

fn row<'a>(
    cmp: &'a Comparison,
    det: &str,
    scen: &str,
    mode: ThresholdMode,
) -> Option<&'a ResultRow> {
    cmp.results
        .iter()
        .find(|r| r.detector == det && r.scenario == scen && r.threshold_mode == mode)
}

fn crit<'a>(cmp: &'a Comparison, det: &str, mode: ThresholdMode) -> Option<&'a DetectorCriteria> {
    cmp.criteria
        .iter()
        .find(|c| c.detector == det && c.threshold_mode == mode)
}

fn mark(b: bool) -> &'static str {
    if b { "pass" } else { "fail" }
}

/// The summary table printed by `thermo compare`: one line per base detector at its
/// calibrated threshold.
pub fn summary_table(cmp: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<20} {:>10} {:>9} {:>7} {:>9} {:>6} {:>7} {:>9}  criteria (lead/fpr/unique/cost)",
        "detector", "threshold", "lead_h", "fpr", "detect", "auc", "nab", "cost_us"
    );
    let forced = forced_scenarios(cmp);
    for name in base_names(cmp) {
        let info = cmp.detectors.iter().find(|d| d.detector == name);
        let c = crit(cmp, name, ThresholdMode::Calibrated);
        let mean = |f: &dyn Fn(&ResultRow) -> Option<f64>| {
            let v: Vec<f64> = forced
                .iter()
                .filter_map(|s| row(cmp, name, s, ThresholdMode::Calibrated).and_then(f))
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let threshold = info.and_then(|i| i.calibrated_threshold.or(i.default_threshold));
        let _ = writeln!(
            s,
            "{:<20} {:>10} {:>9} {:>7} {:>9} {:>6} {:>7} {:>9.2}  {}",
            name,
            opt(threshold, 3),
            opt(c.and_then(|c| c.lead_time_hours_median), 1),
            opt(c.and_then(|c| c.false_positive_rate), 3),
            opt(mean(&|r| r.detection_rate), 3),
            opt(mean(&|r| r.auc), 3),
            opt(mean(&|r| r.nab_score), 1),
            info.map_or(0.0, |i| i.cost_us_per_check),
            c.map_or_else(String::new, |c| format!(
                "{}/{}/{}/{} → {}",
                mark(c.criteria.lead_time),
                mark(c.criteria.false_positive_rate),
                mark(c.criteria.unique_detection),
                mark(c.criteria.cost),
                if c.criteria.pass { "PASS" } else { "FAIL" }
            )),
        );
    }
    s
}

fn results_table_md(
    cmp: &Comparison,
    scenario: &str,
    mode: ThresholdMode,
    names: &[String],
) -> String {
    let mut s = String::from(
        "| detector | threshold | detection | lead h median (IQR) | FPR | false alarms/run | root cause | AUC | NAB | µs/check |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for name in names {
        if let Some(r) = row(cmp, name, scenario, mode) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} ({}) | {:.3} | {:.2} | {} | {} | {} | {:.2} |",
                r.detector,
                opt(r.threshold, 3),
                opt(r.detection_rate, 3),
                opt(r.lead_time_hours_median, 1),
                opt(r.lead_time_hours_iqr, 1),
                r.false_positive_rate,
                r.false_alarms_per_run,
                opt(r.root_cause_specificity, 3),
                opt(r.auc, 3),
                opt(r.nab_score, 1),
                r.cost_us_per_check,
            );
        }
    }
    s
}

fn criteria_table_md(cmp: &Comparison, names: &[String]) -> String {
    let mut s = String::from(
        "| detector | mode | median lead h | FPR (null runs) | unique scenarios | lead ≥ 2 h | FPR < 15 % | unique | < 50 ms | all |\n|---|---|---:|---:|---|---|---|---|---|---|\n",
    );
    for name in names {
        for mode in [ThresholdMode::Calibrated, ThresholdMode::Default] {
            if let Some(c) = crit(cmp, name, mode) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | **{}** |",
                    c.detector,
                    mode_name(mode),
                    opt(c.lead_time_hours_median, 1),
                    opt(c.false_positive_rate, 3),
                    if c.unique_scenarios.is_empty() {
                        "–".to_owned()
                    } else {
                        c.unique_scenarios.join(", ")
                    },
                    mark(c.criteria.lead_time),
                    mark(c.criteria.false_positive_rate),
                    mark(c.criteria.unique_detection),
                    mark(c.criteria.cost),
                    if c.criteria.pass { "PASS" } else { "fail" },
                );
            }
        }
    }
    s
}

/// The roadmap's combinations (transport with SPC, STA/LTA and the fire index) plus the
/// best five combinations by mean NAB score over the forced scenarios.
fn combination_names(cmp: &Comparison) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for other in ["spc", "sta_lta", "fire_index"] {
        for kind in ["and", "or"] {
            let a = format!("{kind}({other},transport)");
            let b = format!("{kind}(transport,{other})");
            for n in [a, b] {
                if cmp.detectors.iter().any(|d| d.detector == n) {
                    names.push(n);
                }
            }
        }
    }
    let forced = forced_scenarios(cmp);
    let mut scored: Vec<(f64, &str)> = cmp
        .detectors
        .iter()
        .filter(|d| d.kind != "base")
        .map(|d| {
            let v: Vec<f64> = forced
                .iter()
                .filter_map(|s| {
                    row(cmp, &d.detector, s, ThresholdMode::Calibrated).and_then(|r| r.nab_score)
                })
                .collect();
            let m = if v.is_empty() {
                f64::NEG_INFINITY
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            };
            (m, d.detector.as_str())
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    for (_, n) in scored.into_iter().take(5) {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_owned());
        }
    }
    names
}

fn literature_md(rows: &[LiteratureRow]) -> String {
    if rows.is_empty() {
        return "The literature check was not run.\n".to_owned();
    }
    let intro = "May harvesting model through a fold (Bury et al. 2021): ROC AUC of the Kendall τ \
                 of rolling variance and lag-1 autocorrelation, forced against null runs, beside \
                 the published values. docs/compare.md (\"Reading the gap\") explains the \
                 differences.\n\n";
    let mut s = String::from(intro);
    s.push_str(
        "| model | length | window | indicator | AUC ours | AUC published | runs |\n|---|---:|---|---|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.3} | {:.3} | {} |",
            r.model, r.length, r.window, r.indicator, r.auc_ours, r.auc_published, r.simulations
        );
    }
    s
}

/// `report.md`.
pub fn report_md(
    cmp: &Comparison,
    literature: &[LiteratureRow],
    timing: Option<RunTiming>,
) -> String {
    let h = &cmp.harness;
    let base: Vec<String> = base_names(cmp).into_iter().map(str::to_owned).collect();
    let mut s = String::new();
    let _ = writeln!(s, "# Module comparison\n");
    let _ = writeln!(
        s,
        "{} runs per scenario (seed {}), {:.0} % used to calibrate thresholds, the rest scored; \
         {} runs simulated. Warning horizon {} h, refractory period {} h, AND coincidence {} h, \
         calibration target: at most {:.0} % of calibration runs with any alert.\n",
        h.runs,
        h.seed,
        100.0 * h.train_fraction,
        cmp.runs_simulated,
        h.horizon_hours,
        h.refractory_hours,
        h.coincidence_hours,
        100.0 * h.false_alarm_target,
    );
    if let Some(t) = timing {
        let _ = writeln!(
            s,
            "Wall time {:.1} s on {} threads.\n",
            t.seconds, t.threads
        );
    }
    let _ = writeln!(s, "## Success criteria\n");
    let _ = writeln!(
        s,
        "Median lead time ≥ 2 h before the transition, false-positive rate < 15 % on null runs, \
         catches a scenario (detection ≥ 0.5) every other base detector misses, < 50 ms per \
         check.\n"
    );
    s.push_str(&criteria_table_md(cmp, &base));
    for scen in &cmp.scenarios {
        let _ = writeln!(s, "\n## Scenario `{scen}`\n");
        let _ = writeln!(s, "Calibrated thresholds:\n");
        s.push_str(&results_table_md(
            cmp,
            scen,
            ThresholdMode::Calibrated,
            &base,
        ));
        let _ = writeln!(s, "\nDefault thresholds:\n");
        s.push_str(&results_table_md(cmp, scen, ThresholdMode::Default, &base));
    }
    let combos = combination_names(cmp);
    let _ = writeln!(s, "\n## Combinations\n");
    let _ = writeln!(
        s,
        "Transport with SPC, STA/LTA and the fire index, and the five best pairs by mean NAB \
         score (calibrated thresholds of the components). Every pair is in `results.csv`.\n"
    );
    s.push_str(&criteria_table_md(cmp, &combos));
    for scen in &cmp.scenarios {
        let _ = writeln!(s, "\n### `{scen}`\n");
        s.push_str(&results_table_md(
            cmp,
            scen,
            ThresholdMode::Calibrated,
            &combos,
        ));
    }
    let _ = writeln!(s, "\n## Literature check\n");
    s.push_str(&literature_md(literature));
    s
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown pipe tables to HTML tables; other lines become headings or paragraphs.
fn md_to_html(md: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    let mut header_done = false;
    for line in md.lines() {
        if line.starts_with('|') {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
            {
                continue;
            }
            if !in_table {
                out.push_str("<table>\n");
                in_table = true;
                header_done = false;
            }
            let tag = if header_done { "td" } else { "th" };
            out.push_str("<tr>");
            for c in cells {
                let c = esc(c).replace("**", "");
                let _ = write!(out, "<{tag}>{c}</{tag}>");
            }
            out.push_str("</tr>\n");
            header_done = true;
            continue;
        }
        if in_table {
            out.push_str("</table>\n");
            in_table = false;
        }
        if let Some(t) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", esc(t).replace('`', ""));
        } else if let Some(t) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h2>{}</h2>", esc(t).replace('`', ""));
        } else if let Some(t) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", esc(t));
        } else if !line.trim().is_empty() {
            let _ = writeln!(out, "<p>{}</p>", esc(line).replace('`', ""));
        }
    }
    if in_table {
        out.push_str("</table>\n");
    }
    out
}

const PALETTE: [&str; 14] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
];

/// Box plots (min, quartiles, max) of lead times per base detector for one scenario.
pub fn lead_time_svg(cmp: &Comparison, scenario: &str) -> String {
    let rows: Vec<(&str, Vec<f64>)> = cmp
        .lead_times
        .iter()
        .filter(|(s, _, _)| s == scenario)
        .map(|(_, d, v)| (d.as_str(), v.iter().map(|&x| f64::from(x)).collect()))
        .collect();
    let max = f64::from(cmp.harness.horizon_hours);
    let (w, row_h, left, top) = (640.0, 22.0, 150.0, 30.0);
    let height = top + row_h * rows.len() as f64 + 30.0;
    let x = |v: f64| left + (w - left - 20.0) * (v / max).clamp(0.0, 1.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n<text x=\"{left}\" y=\"16\">Lead time before the transition (h), calibrated thresholds — {}</text>\n",
        esc(scenario)
    );
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        let _ = writeln!(
            s,
            "<text x=\"4\" y=\"{:.1}\">{} (n={})</text>",
            y + 4.0,
            esc(name),
            v.len()
        );
        let q = |p: f64| thermo_core::stats::quantile(v, p);
        if let (Some(lo), Some(q1), Some(md), Some(q3), Some(hi)) =
            (q(0.0), q(0.25), q(0.5), q(0.75), q(1.0))
        {
            let c = PALETTE[i % PALETTE.len()];
            let _ = writeln!(
                s,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{c}\"/>\n<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{c}\" fill-opacity=\"0.35\" stroke=\"{c}\"/>\n<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>",
                x(lo),
                x(hi),
                x(q1),
                y - 6.0,
                (x(q3) - x(q1)).max(1.0),
                x(md),
                y - 6.0,
                x(md),
                y + 6.0
            );
        }
    }
    let axis_y = top + row_h * rows.len() as f64 + 8.0;
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"black\"/>",
        w - 20.0
    );
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.0}</text>",
            x(v),
            axis_y + 14.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// ROC curves of every base detector on one forced scenario.
pub fn roc_svg(cmp: &Comparison, scenario: &str) -> String {
    let (size, pad) = (320.0, 36.0);
    let plot = size - 2.0 * pad;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{size}\" font-family=\"sans-serif\" font-size=\"10\">\n<text x=\"{pad}\" y=\"14\">ROC — {} (FPR →, TPR ↑)</text>\n<rect x=\"{pad}\" y=\"{pad}\" width=\"{plot}\" height=\"{plot}\" fill=\"none\" stroke=\"black\"/>\n<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{pad}\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n",
        size + 170.0,
        esc(scenario),
        pad + plot,
        pad + plot
    );
    let names = base_names(cmp);
    for (i, name) in names.iter().enumerate() {
        let Some(series) = cmp
            .roc
            .iter()
            .find(|r| r.scenario == scenario && r.detector == *name)
        else {
            continue;
        };
        let c = PALETTE[i % PALETTE.len()];
        let pts: Vec<String> = series
            .points
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    pad + plot * p.false_positive_rate,
                    pad + plot * (1.0 - p.true_positive_rate)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.2\" points=\"{}\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{c}\">{}</text>",
            pts.join(" "),
            size,
            pad + 12.0 * i as f64,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Alert ticks of every base detector on the sample run of one scenario, with the warning
/// window shaded and the transition marked.
pub fn timeline_svg(cmp: &Comparison, scenario: &str) -> String {
    let Some(t) = cmp.timelines.iter().find(|t| t.scenario == scenario) else {
        return String::new();
    };
    let (w, row_h, left, top) = (680.0, 16.0, 150.0, 26.0);
    let height = top + row_h * t.alerts.len() as f64 + 24.0;
    let span = f64::from(t.hours.max(1));
    let x = |h: f64| left + (w - left - 10.0) * (h / span);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"10\">\n<text x=\"{left}\" y=\"14\">Alerts on a held-out run — {} ({} h)</text>\n",
        esc(scenario),
        t.hours
    );
    let bottom = top + row_h * t.alerts.len() as f64;
    if let Some(tr) = t.transition_hour {
        let start = f64::from(tr.saturating_sub(cmp.harness.horizon_hours));
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ffe9a8\"/>\n<line x1=\"{:.1}\" y1=\"{top}\" x2=\"{:.1}\" y2=\"{bottom}\" stroke=\"#d62728\" stroke-width=\"2\"/>",
            x(start),
            x(f64::from(tr)) - x(start),
            bottom - top,
            x(f64::from(tr)),
            x(f64::from(tr))
        );
    }
    for (i, (name, hours)) in t.alerts.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = writeln!(
            s,
            "<text x=\"4\" y=\"{:.1}\">{}</text>",
            y + 11.0,
            esc(name)
        );
        let c = PALETTE[i % PALETTE.len()];
        for &h in hours {
            let _ = writeln!(
                s,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>",
                x(f64::from(h)),
                y + 2.0,
                y + row_h - 2.0
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"{:.1}\">hour 0</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">hour {}</text>",
        bottom + 14.0,
        w - 10.0,
        bottom + 14.0,
        t.hours
    );
    s.push_str("</svg>\n");
    s
}

/// `report.html`: the Markdown report's tables plus the plots, self-contained.
pub fn report_html(
    cmp: &Comparison,
    literature: &[LiteratureRow],
    timing: Option<RunTiming>,
) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Module comparison</title>\n<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}svg{display:block;margin:.5em 0}</style></head><body>\n",
    );
    s.push_str("<h2>Plots</h2>\n");
    for scen in &cmp.scenarios {
        let forced = !cmp.null_scenarios.contains(scen);
        let _ = writeln!(s, "<h3>{}</h3>", esc(scen));
        if forced {
            s.push_str(&lead_time_svg(cmp, scen));
            s.push_str(&roc_svg(cmp, scen));
        }
        s.push_str(&timeline_svg(cmp, scen));
    }
    s.push_str(&md_to_html(&report_md(cmp, literature, timing)));
    s.push_str("</body></html>\n");
    s
}

/// Writes every output file into `dir` (created if missing); returns the paths written.
pub fn write_all(
    dir: &Path,
    cmp: &Comparison,
    literature: &[LiteratureRow],
    timing: Option<RunTiming>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let to_io = |e: csv::Error| std::io::Error::other(e.to_string());
    let files = [
        (
            "summary.json",
            summary_json(cmp, literature).map_err(std::io::Error::other)?,
        ),
        ("results.csv", results_csv(cmp).map_err(to_io)?),
        ("literature.csv", literature_csv(literature).map_err(to_io)?),
        ("report.md", report_md(cmp, literature, timing)),
        ("report.html", report_html(cmp, literature, timing)),
    ];
    let mut out = Vec::new();
    for (name, content) in files {
        let p = dir.join(name);
        std::fs::write(&p, content)?;
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::{HarnessConfig, run_comparison, toy::Toy};
    use crate::detectors::DetectorsConfig;

    fn comparison() -> Comparison {
        let h = HarnessConfig {
            runs: 8,
            seed: 3,
            ..HarnessConfig::default()
        };
        run_comparison(&Toy, &DetectorsConfig::default(), &h, &|| {}).unwrap()
    }

    #[test]
    fn every_file_is_written_and_parses() {
        let cmp = comparison();
        let lit = vec![LiteratureRow {
            model: "may_fold".into(),
            length: 500,
            window: "early".into(),
            indicator: "variance".into(),
            auc_ours: 0.8,
            auc_published: 0.765,
            simulations: 20,
        }];
        let dir = tempfile::tempdir().unwrap();
        let files = write_all(dir.path(), &cmp, &lit, None).unwrap();
        assert_eq!(files.len(), 5);
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["literature"][0]["auc_published"], 0.765);
        assert_eq!(json["results"].as_array().unwrap().len(), cmp.results.len());
        let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
        assert_eq!(csv.lines().count(), cmp.results.len() + 1);
        assert!(csv.contains("\"and(utilization,erlang)\""));
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("<svg") && html.contains("<polyline") && html.ends_with("</html>\n"));
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(
            md.contains("## Scenario `ramp`")
                && md.contains("| may_fold | 500 | early | variance | 0.800 | 0.765 | 20 |")
        );
        let table = summary_table(&cmp);
        assert_eq!(table.lines().count(), cmp.channels.len() + 1);
    }
}
