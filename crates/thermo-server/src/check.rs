//! The health check: analyse a program's latest schedule with its events and recent metric
//! samples, store the report with its thermodynamic rows, publish the gauges and raise
//! alerts. Used by `POST …/checks/run` and by the periodic jobs.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value, json};
use thermo_core::entropy::EntropyMonitor;
use thermo_core::health::apply_defense_memory;
use thermo_core::report::{AnalysisConfig, AnalysisReport, analyze, default_analysis_date};
use thermo_core::resilience::defense::DefenseLevel;
use thermo_core::transport::TransportLevel;
use thermo_store::{
    EventKind, HealthRecord, NewAlert, Program, SignalRow, StoreError, ThermodynamicsRow,
    TransportRow,
};

use crate::{AppState, gauges};

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The program has no schedule yet.
    #[error("program `{0}` has no schedule yet")]
    NoSchedule(String),
    /// The stored schedule with its events no longer reads (every problem is listed).
    #[error("the stored schedule with its events is invalid: {0}")]
    InvalidBundle(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The analysis task panicked or was cancelled.
    #[error("analysis task failed: {0}")]
    Task(String),
}

/// What one check produced.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Id of the stored health snapshot.
    pub snapshot_id: i64,
    /// When the check ran (UTC).
    pub computed_at: DateTime<Utc>,
    /// The analysis date.
    pub analysis_date: NaiveDate,
    /// The schedule version analysed.
    pub schedule_version: i64,
    /// The report (JSON).
    pub report: Value,
    /// Whether the entropy history of the last `jobs.entropy_history_hours` shows critical
    /// slowing down.
    pub critical_slowing: bool,
}

/// The stored bundle with the program's events appended to its `swaps` / `absences` tables
/// and its metric samples since `since` appended to `metrics`.
pub async fn merged_bundle(
    state: &AppState,
    program: &Program,
    bundle: Value,
    since: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let mut document = match bundle {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for event in state.store.events(program.id).await? {
        let table = match event.kind {
            EventKind::Swap => "swaps",
            EventKind::Absence => "absences",
        };
        push_row(&mut document, table, event.payload);
    }
    for sample in state.store.samples_since(program.id, since).await? {
        push_row(
            &mut document,
            "metrics",
            json!({"timestamp": sample.timestamp.to_rfc3339(), "metric": sample.metric, "value": sample.value}),
        );
    }
    Ok(Value::Object(document))
}

/// Appends `row` to the array `table` of a bundle document.
pub(crate) fn push_row(document: &mut Map<String, Value>, table: &str, row: Value) {
    let entry = document
        .entry(table.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(rows) = entry {
        rows.push(row);
    } else {
        *entry = Value::Array(vec![row]);
    }
}

/// Parses a JSON bundle and runs every layer at the default analysis date for `today`.
fn analyze_bundle(
    text: &str,
    today: NaiveDate,
    config: &AnalysisConfig,
) -> Result<AnalysisReport, String> {
    let (schedule, _warnings) =
        thermo_io::parse_json_bundle(text, "schedule.json").map_err(|e| match e {
            thermo_io::BundleError::Invalid(diagnostics) => diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    let at = default_analysis_date(&schedule, today);
    Ok(analyze(&schedule, at, config))
}

/// The `thermodynamic_metrics` row of a report. Each report section fills its own columns;
/// sections that are not computed leave theirs empty.
pub fn thermodynamics_row(
    report: &AnalysisReport,
    production_rate: Option<f64>,
    computed_by: &str,
) -> ThermodynamicsRow {
    let entropy = &report.entropy;
    ThermodynamicsRow {
        person_entropy: Some(entropy.person_entropy),
        rotation_entropy: Some(entropy.rotation_entropy),
        time_entropy: Some(entropy.time_entropy),
        joint_entropy: Some(entropy.joint_entropy),
        mutual_information: Some(entropy.mutual_information),
        normalized_entropy: Some(entropy.normalized_entropy),
        entropy_production_rate: production_rate,
        phase_transition_severity: Some(keyword(&report.phase_transition.overall_severity)),
        time_to_transition: report
            .phase_transition
            .time_to_transition_hours
            .map(|t| t.hours),
        confidence: Some(report.phase_transition.confidence),
        free_energy: report.free_energy.as_ref().map(|f| f.free_energy),
        internal_energy: report.free_energy.as_ref().map(|f| f.internal_energy),
        effective_temperature: report.free_energy.as_ref().map(|f| f.temperature),
        computed_by: computed_by.to_owned(),
        ..ThermodynamicsRow::default()
    }
}

/// `Some(v)` when `v` is finite; non-finite values (an unbounded Péclet number) become null.
fn finite(v: f64) -> Option<f64> {
    Some(v).filter(|v| v.is_finite())
}

/// The JSON keyword of a serde enum (`"critical"`, `"variance"`, …).
fn keyword<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The phase-transition signals of a report, stamped `detected_at`.
pub fn phase_transition_signals(
    report: &AnalysisReport,
    detected_at: DateTime<Utc>,
) -> Vec<SignalRow> {
    report
        .phase_transition
        .signals
        .iter()
        .map(|signal| SignalRow {
            detected_at,
            signal_type: keyword(&signal.signal_type),
            metric_name: signal.metric.clone(),
            severity: keyword(&signal.severity),
            value: finite(signal.value),
            threshold: finite(signal.threshold),
            description: signal.description.clone(),
        })
        .collect()
}

/// The transport row of a report (non-finite values, e.g. an unbounded Péclet number, are
/// stored as null).
pub fn transport_row(report: &AnalysisReport) -> Option<TransportRow> {
    let transport = &report.transport;
    Some(TransportRow {
        saturation_gradient: finite(transport.saturation_gradient),
        peclet_number: finite(transport.peclet_number),
        boundary_layer_thickness: finite(transport.boundary_layer_thickness),
        time_to_saturation_minutes: transport.time_to_saturation_minutes.and_then(finite),
        effective_diffusion: finite(transport.effective_diffusion),
    })
}

/// Rebuilds the entropy monitor from the stored history of the last `hours` plus the new
/// measurement; returns (production rate in bits per hour, critical slowing detected).
async fn entropy_dynamics(
    state: &AppState,
    program: &Program,
    now: DateTime<Utc>,
    person_entropy: f64,
) -> Result<(Option<f64>, bool), StoreError> {
    let hours = i64::from(state.config.jobs.entropy_history_hours);
    let history = state
        .store
        .thermodynamics_since(program.id, now - Duration::hours(hours))
        .await?;
    let entropy_config = &state.config.analysis.entropy;
    let mut monitor = EntropyMonitor::with_rule(
        entropy_config.monitor_capacity,
        Box::new(entropy_config.critical_slowing),
    );
    for row in &history {
        if let Some(value) = row.row.person_entropy
            && row.timestamp < now
        {
            // Rows with a repeated timestamp are skipped: the monitor needs increasing times.
            let _ = monitor.update(row.timestamp, value);
        }
    }
    let had_history = monitor.history().len() > 0;
    if monitor.update(now, person_entropy).is_err() {
        return Ok((None, false));
    }
    let state_now = monitor.state();
    let rate = had_history.then_some(state_now.production_rate);
    Ok((rate, state_now.critical_slowing))
}

/// Runs the health check of `program` now and stores it.
pub async fn run_check(
    state: &AppState,
    program: &Program,
    triggered_by: &str,
) -> Result<CheckOutcome, CheckError> {
    let now = Utc::now();
    let snapshot = state
        .store
        .latest_schedule(program.id)
        .await?
        .ok_or_else(|| CheckError::NoSchedule(program.name.clone()))?;
    let since = now - Duration::days(i64::from(state.config.jobs.metric_window_days));
    let bundle = merged_bundle(state, program, snapshot.bundle, since).await?;
    let text = bundle.to_string();
    let config = state.config.analysis.clone();
    let mut report =
        tokio::task::spawn_blocking(move || analyze_bundle(&text, now.date_naive(), &config))
            .await
            .map_err(|e| CheckError::Task(e.to_string()))?
            .map_err(CheckError::InvalidBundle)?;
    // Hysteresis spans checks: resume the defense controller from the stored memory.
    let memory = state
        .store
        .defense_memory(program.id)
        .await?
        .unwrap_or_default();
    let memory = apply_defense_memory(&mut report, memory, &state.config.analysis.defense)
        .map_err(|e| CheckError::Task(e.to_string()))?;
    let (production_rate, critical_slowing) =
        entropy_dynamics(state, program, now, report.entropy.person_entropy).await?;
    let thermodynamics = thermodynamics_row(&report, production_rate, triggered_by);
    let signals = phase_transition_signals(&report, now);
    let report_json = serde_json::to_value(&report).map_err(|e| CheckError::Task(e.to_string()))?;
    let record = HealthRecord {
        program_id: program.id,
        computed_at: now,
        analysis_date: report.at,
        schedule_version: snapshot.version,
        triggered_by: triggered_by.to_owned(),
        report: report_json.clone(),
        thermodynamics: thermodynamics.clone(),
        signals: signals.clone(),
        transport: transport_row(&report),
    };
    let snapshot_id = state.store.record_health(&record).await?;
    state
        .store
        .save_defense_memory(program.id, &memory, now)
        .await?;
    gauges::publish_report(
        &program.name,
        &report,
        production_rate,
        snapshot.version,
        now,
    );
    gauges::publish_critical_slowing(&program.name, critical_slowing);
    alert_on_phase_risk(state, program, &thermodynamics, &signals, now).await?;
    alert_on_defense_escalation(state, program, &report, now).await?;
    alert_on_transport(state, program, &report, now).await?;
    Ok(CheckOutcome {
        snapshot_id,
        computed_at: now,
        analysis_date: report.at,
        schedule_version: snapshot.version,
        report: report_json,
        critical_slowing,
    })
}

/// Stores an alert unless its kind is cooling down; counts it when stored.
pub async fn raise_alert(
    state: &AppState,
    alert: NewAlert,
    program: &str,
) -> Result<Option<i64>, StoreError> {
    let cooldown = Duration::minutes(i64::from(state.config.alerts.cooldown_minutes));
    let id = state
        .store
        .insert_alert(&alert, &state.config.alerts.webhooks, cooldown)
        .await?;
    if id.is_some() {
        gauges::record_alert(program, &alert.kind);
        tracing::warn!(program, kind = %alert.kind, title = %alert.title, "alert raised");
    }
    Ok(id)
}

/// Alerts when the phase-transition severity is `critical` or `imminent`.
async fn alert_on_phase_risk(
    state: &AppState,
    program: &Program,
    thermodynamics: &ThermodynamicsRow,
    signals: &[SignalRow],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(severity) = thermodynamics.phase_transition_severity.as_deref() else {
        return Ok(());
    };
    if !matches!(severity, "critical" | "imminent") {
        return Ok(());
    }
    let eta = thermodynamics
        .time_to_transition
        .map_or("unknown".to_owned(), |h| format!("{h:.1} hours"));
    let alert = NewAlert {
        program_id: program.id,
        kind: "phase_transition_risk".to_owned(),
        severity: "critical".to_owned(),
        title: "Phase transition risk detected".to_owned(),
        message: format!(
            "{} early warning signals detected. Estimated time to transition: {eta}",
            signals.len()
        ),
        details: json!({
            "overall_severity": severity,
            "time_to_transition_hours": thermodynamics.time_to_transition,
            "confidence": thermodynamics.confidence,
            "signals": signals,
        }),
        created_at: now,
    };
    raise_alert(state, alert, &program.name).await?;
    Ok(())
}

/// Alerts when the defense level rises to SAFETY_SYSTEMS or above (kind
/// `defense_escalation`; severity `critical` from CONTAINMENT up, else `high`).
async fn alert_on_defense_escalation(
    state: &AppState,
    program: &Program,
    report: &AnalysisReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let defense = &report.health.defense;
    let Some(hysteresis) = &defense.hysteresis else {
        return Ok(());
    };
    if defense.level <= hysteresis.previous_level || defense.level < DefenseLevel::SafetySystems {
        return Ok(());
    }
    let level = keyword(&defense.level);
    let alert = NewAlert {
        program_id: program.id,
        kind: "defense_escalation".to_owned(),
        severity: if defense.level >= DefenseLevel::Containment {
            "critical"
        } else {
            "high"
        }
        .to_owned(),
        title: format!("Defense level raised to {level}"),
        message: format!(
            "Defense level raised from {} to {}: {}",
            keyword(&hysteresis.previous_level),
            level,
            defense
                .reasons
                .iter()
                .map(|r| r.evidence.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        details: json!({
            "level": defense.level,
            "previous_level": hysteresis.previous_level,
            "reasons": defense.reasons,
            "actions": defense.actions,
        }),
        created_at: now,
    };
    raise_alert(state, alert, &program.name).await?;
    Ok(())
}

/// Alerts when the transport check is `critical` or `emergency` (kind `transport_critical`):
/// work arrives at the stressed units faster than rebalancing removes it.
async fn alert_on_transport(
    state: &AppState,
    program: &Program,
    report: &AnalysisReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let transport = &report.transport;
    if transport.level < TransportLevel::Critical {
        return Ok(());
    }
    let alert = NewAlert {
        program_id: program.id,
        kind: "transport_critical".to_owned(),
        severity: if transport.level == TransportLevel::Emergency {
            "critical"
        } else {
            "high"
        }
        .to_owned(),
        title: "Work is arriving faster than it is rebalanced".to_owned(),
        message: transport
            .alerts
            .iter()
            .filter(|a| a.level >= TransportLevel::Critical)
            .map(|a| a.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        details: json!({
            "level": transport.level,
            "peclet_number": finite(transport.peclet_number),
            "peclet_unbounded": transport.peclet_unbounded,
            "saturation_gradient": finite(transport.saturation_gradient),
            "boundary_layer_thickness": transport.boundary_layer_thickness,
            "time_to_saturation_minutes": transport.time_to_saturation_minutes,
            "stressed_units": transport.stressed_units,
            "alerts": transport.alerts,
        }),
        created_at: now,
    };
    raise_alert(state, alert, &program.name).await?;
    Ok(())
}

/// Alerts on critical slowing down of the entropy dynamics (the hourly entropy analysis).
pub async fn alert_on_critical_slowing(
    state: &AppState,
    program: &Program,
    outcome: &CheckOutcome,
) -> Result<(), StoreError> {
    if !outcome.critical_slowing {
        return Ok(());
    }
    let alert = NewAlert {
        program_id: program.id,
        kind: "critical_slowing".to_owned(),
        severity: "high".to_owned(),
        title: "Critical slowing down detected".to_owned(),
        message: "Entropy dynamics show critical slowing - phase transition approaching".to_owned(),
        details: json!({
            "history_hours": state.config.jobs.entropy_history_hours,
            "rule": state.config.analysis.entropy.critical_slowing,
            "snapshot_id": outcome.snapshot_id,
        }),
        created_at: outcome.computed_at,
    };
    raise_alert(state, alert, &program.name).await?;
    Ok(())
}
