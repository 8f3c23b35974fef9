//! Demo-program generator, scenario simulator and module comparison for Thermo Resilience.
//!
//! Modules:
//! - [`demo`]: a realistic, seeded residency program (`thermo demo`) with a winter stress
//!   period, and the daily metrics derived from any schedule.
//! - [`stream`]: the hourly observations a scenario run emits and every detector of the
//!   module comparison consumes, and the run's ground truth.
//! - [`roc`]: ROC AUC and curves for the comparison and the literature check.
//! - [`detectors`]: every detector of the module comparison, fed the stream live.
//! - [`backtest`]: alerts, scoring, calibration on training runs and the held-out metrics.
//! - [`compare_report`]: the files of `thermo compare` (JSON, CSV, Markdown, HTML with SVG).
//! - [`literature`]: May's harvesting model through a fold, scored as in Bury et al. 2021.
//! - [`scenario`]: the hourly scenario simulator (units, people, roster, arrivals,
//!   rebalancing, absences) with its ground truth, TOML presets and bundle writer.

pub mod backtest;
pub mod compare_report;
pub mod demo;
pub mod detectors;
pub mod literature;
pub mod roc;
pub mod scenario;
pub mod stream;
