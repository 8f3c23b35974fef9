//! `thermo ews`: rolling early-warning indicators of one time series, their Kendall τ
//! trends and (with `--surrogates N`) surrogate p-values.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Map, Value, json};
use thermo_core::ews::{
    Convention, Detrend, EwsConfig, EwsSeries, Indicator, SignificanceConfig, compute, significance,
};
use thermo_core::stats::surrogate::SurrogateMethod;
use thermo_io::series::{Series, TimeKind, read_series};

use crate::BadInput;
use crate::output::write_output;

/// Output format of `thermo ews`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EwsFormat {
    /// One row per input row: time,state,smoothing,residuals,<indicators>.
    Csv,
    /// `{"rows": [...], "kendall_tau": {...}, "p_values": {...}}`.
    Json,
}

/// Arguments of `thermo ews`.
#[derive(Debug, clap::Args)]
pub struct EwsArgs {
    /// CSV file with a header row.
    pub file: PathBuf,
    /// Time column (default `time` if present, else the row index is the time).
    #[arg(long)]
    pub time_col: Option<String>,
    /// Value column.
    #[arg(long, default_value = "value")]
    pub value_col: String,
    /// Rolling window: a fraction of the length if ≤ 1, else a number of points.
    #[arg(long, default_value_t = 0.25)]
    pub window: f64,
    /// Detrending: none, gaussian, lowess, linear or diff.
    #[arg(long, default_value = "none")]
    pub detrend: Detrend,
    /// Gaussian bandwidth: a fraction of the length if ≤ 1, else points (ksmooth convention).
    #[arg(long, default_value_t = 0.2)]
    pub bandwidth: f64,
    /// LOWESS span: a fraction of the length if ≤ 1, else points.
    #[arg(long, default_value_t = 0.2)]
    pub span: f64,
    /// Comma-separated indicators (variance,std,cv,acN,acfN,skew,kurtosis,return_rate,flicker;
    /// bare `ac`/`acf` use --lag). Default: all.
    #[arg(long)]
    pub indicators: Option<String>,
    /// Lag of the autocorrelation indicators.
    #[arg(long, default_value_t = 1)]
    pub lag: usize,
    /// Numeric convention: native or ewstools (ewstools 2.1's `cv`).
    #[arg(long, default_value = "native")]
    pub convention: Convention,
    /// Number of surrogates for p-values (0 = none).
    #[arg(long, default_value_t = 0)]
    pub surrogates: usize,
    /// Null model of the surrogates: ar1, fourier or block_bootstrap.
    #[arg(long, default_value = "ar1")]
    pub surrogate_method: SurrogateMethod,
    /// Seed of the surrogate generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EwsFormat::Csv)]
    pub format: EwsFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `thermo ews`.
pub fn run(args: &EwsArgs) -> anyhow::Result<()> {
    if args.lag == 0 {
        return Err(BadInput("--lag must be at least 1".into()).into());
    }
    let indicators = match &args.indicators {
        None => Indicator::all(args.lag),
        Some(list) => list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| Indicator::parse(s, args.lag))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BadInput(format!("--indicators: {e}")))?,
    };
    if indicators.is_empty() {
        return Err(BadInput("--indicators: no indicator given".into()).into());
    }
    let series = read_series(&args.file, args.time_col.as_deref(), Some(&args.value_col))
        .map_err(|e| BadInput(e.to_string()))?;
    let config = EwsConfig {
        window: args.window,
        detrend: args.detrend,
        bandwidth: args.bandwidth,
        span: args.span,
        indicators,
        convention: args.convention,
    };
    let result = compute(&series.times, &series.values, &config)
        .map_err(|e| BadInput(format!("{}: {e}", args.file.display())))?;
    let p_values = if args.surrogates > 0 {
        let sig = SignificanceConfig {
            surrogates: args.surrogates,
            seed: args.seed,
            method: args.surrogate_method,
            block_length: None,
        };
        Some(
            significance(&result, &config, &sig)
                .context("surrogate significance")?
                .map(|null| null.p_values())
                .unwrap_or_else(|| config.indicators.iter().map(|&i| (i, None)).collect()),
        )
    } else {
        None
    };
    let text = match args.format {
        EwsFormat::Csv => render_csv(&series, &result),
        EwsFormat::Json => {
            serde_json::to_string_pretty(&render_json(&series, &result, p_values.as_deref()))?
                + "\n"
        }
    };
    write_output(args.out.as_deref(), &text)
}

fn cell(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// CSV: time,state,smoothing,residuals,<indicator columns>; empty cells where undefined.
pub fn render_csv(series: &Series, result: &EwsSeries) -> String {
    let mut out = String::from("time,state,smoothing,residuals");
    for (ind, _) in &result.indicators {
        out.push(',');
        out.push_str(&ind.name());
    }
    out.push('\n');
    for i in 0..result.state.len() {
        let time = &series.time_labels[i];
        let quoted = if time.contains(',') || time.contains('"') {
            format!("\"{}\"", time.replace('"', "\"\""))
        } else {
            time.clone()
        };
        let _ = write!(
            out,
            "{quoted},{},{},{}",
            result.state[i],
            cell(result.detrended.smoothing[i]),
            cell(result.detrended.residuals[i])
        );
        for (_, col) in &result.indicators {
            let _ = write!(out, ",{}", cell(col[i]));
        }
        out.push('\n');
    }
    out
}

fn num(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |v| json!(v))
}

/// JSON document of `thermo ews` (keys of each object in alphabetical order).
pub fn render_json(
    series: &Series,
    result: &EwsSeries,
    p_values: Option<&[(Indicator, Option<f64>)]>,
) -> Value {
    let rows: Vec<Value> = (0..result.state.len())
        .map(|i| {
            let mut row = Map::new();
            let time = match series.time_kind {
                TimeKind::DateTime => json!(series.time_labels[i]),
                _ => json!(series.times[i]),
            };
            row.insert("time".into(), time);
            row.insert("state".into(), json!(result.state[i]));
            row.insert("smoothing".into(), num(result.detrended.smoothing[i]));
            row.insert("residuals".into(), num(result.detrended.residuals[i]));
            for (ind, col) in &result.indicators {
                row.insert(ind.name(), num(col[i]));
            }
            Value::Object(row)
        })
        .collect();
    let taus: Map<String, Value> = result
        .kendall_tau()
        .into_iter()
        .map(|(i, t)| (i.name(), num(t)))
        .collect();
    let mut doc = Map::new();
    doc.insert("rows".into(), Value::Array(rows));
    doc.insert("kendall_tau".into(), Value::Object(taus));
    if let Some(ps) = p_values {
        let ps: Map<String, Value> = ps.iter().map(|(i, p)| (i.name(), num(*p))).collect();
        doc.insert("p_values".into(), Value::Object(ps));
    }
    Value::Object(doc)
}
