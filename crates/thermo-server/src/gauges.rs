//! Prometheus gauges, counters and histograms of the serving process.
//!
//! Every series of the analysis carries a `program` label; the job-queue series written by
//! apalis (`tasks_total`, `task_duration_seconds`) carry `worker`, `queue` and `status`.
//! None carries a per-person label. Each section of the
//! analysis report has one function that publishes its gauges ([`publish_entropy`],
//! [`publish_program`]); a new report section adds one such function and one line in
//! [`publish_report`].

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use thermo_core::entropy::EntropyReport;
use thermo_core::ews::detector::{PhaseTransitionRisk, TransitionSeverity};
use thermo_core::report::AnalysisReport;
use thermo_core::summary::ProgramSummary;
use thermo_core::transport::TransportReport;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Job and check duration buckets, seconds (the reference histogram's buckets).
const DURATION_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The process-wide Prometheus recorder's handle, installed on first use.
pub fn prometheus_handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), DURATION_BUCKETS)
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            describe_all();
            handle
        })
        .clone()
}

fn describe_all() {
    describe_gauge!(
        "resilience_schedule_entropy",
        Unit::Count,
        "Shannon entropy of the schedule's assignment distribution by dimension (bits)"
    );
    describe_gauge!(
        "resilience_normalized_entropy",
        "Person entropy divided by log2(roster size), ratio in [0, 1]"
    );
    describe_gauge!(
        "resilience_mutual_information",
        "Mutual information between person and rotation (bits)"
    );
    describe_gauge!(
        "resilience_entropy_production_rate",
        "Change of person entropy since the previous measurement (bits per hour)"
    );
    describe_gauge!(
        "resilience_entropy_critical_slowing",
        "1 when the entropy history shows critical slowing down, else 0"
    );
    describe_gauge!(
        "resilience_phase_transition_risk",
        "Phase transition risk level (0=normal, 1=elevated, 2=high, 3=critical, 4=imminent)"
    );
    describe_gauge!(
        "resilience_critical_signals_count",
        "Number of early-warning signals by severity"
    );
    describe_gauge!(
        "resilience_saturation_gradient",
        "Saturation gradient across units (ratio)"
    );
    describe_gauge!(
        "resilience_peclet_number",
        "Peclet number: task arrival over rebalancing (dimensionless)"
    );
    describe_gauge!(
        "resilience_boundary_layer_thickness",
        "Boundary layer thickness (fraction of units above the saturation threshold)"
    );
    describe_gauge!(
        "resilience_time_to_saturation_minutes",
        "Minutes until the next unit saturates (+Inf when none is heading to saturation)"
    );
    describe_gauge!(
        "resilience_free_energy",
        "Free energy F = U - T*S of the schedule window (energy units of the free-energy model)"
    );
    describe_gauge!(
        "resilience_utilization_ratio",
        "Program utilization: assigned work sessions / available sessions over the horizon"
    );
    describe_gauge!(
        "resilience_defense_level",
        "Defense level: 1 PREVENTION, 2 CONTROL, 3 SAFETY_SYSTEMS, 4 CONTAINMENT, 5 EMERGENCY"
    );
    describe_gauge!(
        "resilience_n1_compliant",
        "1 when every single loss can be repaired, else 0"
    );
    describe_gauge!(
        "resilience_n2_compliant",
        "1 when every loss of two people can be repaired, else 0"
    );
    describe_gauge!(
        "resilience_coverage_ratio",
        "Filled / required positions over the coverage slots of the contingency window"
    );
    describe_gauge!(
        "resilience_health_status",
        "Overall status: 0 healthy, 1 warning, 2 degraded, 3 critical, 4 emergency"
    );
    describe_gauge!(
        "resilience_health_alerts",
        "Alerts of the latest health report by level"
    );
    describe_gauge!("resilience_people", "People in the roster by role");
    describe_gauge!("resilience_assignments", "Assignments in the schedule");
    describe_gauge!(
        "resilience_snapshot_timestamp_seconds",
        Unit::Seconds,
        "Unix time of the latest health snapshot"
    );
    describe_gauge!(
        "resilience_schedule_version",
        "Version number of the latest schedule snapshot"
    );
    describe_histogram!(
        "resilience_job_duration_seconds",
        Unit::Seconds,
        "Duration of periodic jobs and on-demand checks"
    );
    describe_counter!(
        "resilience_job_failures_total",
        "Periodic jobs and checks that failed"
    );
    // Written by apalis's Prometheus layer around every job-queue task this node runs.
    describe_counter!(
        "tasks_total",
        "Job-queue tasks run by this node's workers, by worker, queue type and status (Ok, Err)"
    );
    describe_histogram!(
        "task_duration_seconds",
        Unit::Seconds,
        "Run time of job-queue tasks, by worker, queue type and status (Ok, Err)"
    );
    describe_counter!(
        "resilience_alerts_total",
        "Alerts raised (after the cool-down)"
    );
    describe_counter!(
        "resilience_webhook_deliveries_total",
        "Webhook delivery attempts by outcome"
    );
}

/// Publishes every gauge of a health report.
pub fn publish_report(
    program: &str,
    report: &AnalysisReport,
    production_rate: Option<f64>,
    schedule_version: i64,
    computed_at: DateTime<Utc>,
) {
    let _ = prometheus_handle();
    publish_entropy(program, &report.entropy, production_rate);
    publish_program(program, &report.program);
    publish_phase_transition(program, &report.phase_transition);
    publish_transport(program, &report.transport);
    publish_health(program, report);
    let labels = [("program", program.to_owned())];
    gauge!("resilience_schedule_version", &labels).set(schedule_version as f64);
    gauge!("resilience_snapshot_timestamp_seconds", &labels)
        .set(computed_at.timestamp_millis() as f64 / 1000.0);
}

/// Gauges of the composed health: free energy, utilization, defense, N-1/N-2, coverage,
/// status and alert counts.
pub fn publish_health(program: &str, report: &AnalysisReport) {
    use thermo_core::health::{AlertLevel, HealthStatus};
    use thermo_core::resilience::defense::DefenseLevel;
    let labels = [("program", program.to_owned())];
    if let Some(f) = &report.free_energy {
        gauge!("resilience_free_energy", &labels).set(f.free_energy);
    }
    gauge!("resilience_utilization_ratio", &labels).set(report.utilization.program.utilization);
    let h = &report.health;
    let level = match h.defense.level {
        DefenseLevel::Prevention => 1.0,
        DefenseLevel::Control => 2.0,
        DefenseLevel::SafetySystems => 3.0,
        DefenseLevel::Containment => 4.0,
        DefenseLevel::Emergency => 5.0,
    };
    gauge!("resilience_defense_level", &labels).set(level);
    let flag = |ok: bool| if ok { 1.0 } else { 0.0 };
    gauge!("resilience_n1_compliant", &labels).set(flag(report.contingency.n1_pass));
    gauge!("resilience_n2_compliant", &labels).set(flag(report.contingency.n2_pass));
    gauge!("resilience_coverage_ratio", &labels).set(h.coverage);
    let status = match h.overall_status {
        HealthStatus::Healthy => 0.0,
        HealthStatus::Warning => 1.0,
        HealthStatus::Degraded => 2.0,
        HealthStatus::Critical => 3.0,
        HealthStatus::Emergency => 4.0,
    };
    gauge!("resilience_health_status", &labels).set(status);
    for (level, name) in [
        (AlertLevel::Info, "info"),
        (AlertLevel::Warning, "warning"),
        (AlertLevel::Critical, "critical"),
        (AlertLevel::Emergency, "emergency"),
    ] {
        let count = h.alerts.iter().filter(|a| a.level == level).count();
        let labels = [("program", program.to_owned()), ("level", name.to_owned())];
        gauge!("resilience_health_alerts", &labels).set(count as f64);
    }
}

/// Gauges of the `entropy` section (bits; production rate in bits per hour).
pub fn publish_entropy(program: &str, entropy: &EntropyReport, production_rate: Option<f64>) {
    for (dimension, value) in [
        ("person", entropy.person_entropy),
        ("rotation", entropy.rotation_entropy),
        ("time", entropy.time_entropy),
        ("joint", entropy.joint_entropy),
    ] {
        let labels = [
            ("program", program.to_owned()),
            ("dimension", dimension.to_owned()),
        ];
        gauge!("resilience_schedule_entropy", &labels).set(value);
    }
    let labels = [("program", program.to_owned())];
    gauge!("resilience_normalized_entropy", &labels).set(entropy.normalized_entropy);
    gauge!("resilience_mutual_information", &labels).set(entropy.mutual_information);
    if let Some(rate) = production_rate.filter(|r| r.is_finite()) {
        gauge!("resilience_entropy_production_rate", &labels).set(rate);
    }
}

/// Gauges of the `program` section (head counts and assignments).
pub fn publish_program(program: &str, summary: &ProgramSummary) {
    for (role, count) in [
        ("resident", summary.people_by_role.resident),
        ("faculty", summary.people_by_role.faculty),
        ("other", summary.people_by_role.other),
    ] {
        let labels = [("program", program.to_owned()), ("role", role.to_owned())];
        gauge!("resilience_people", &labels).set(count as f64);
    }
    let labels = [("program", program.to_owned())];
    gauge!("resilience_assignments", &labels).set(summary.assignments as f64);
}

/// Gauges of the `phase_transition` section: risk level 0 normal, 1 elevated, 2 high,
/// 3 critical, 4 imminent, and the number of signals per severity.
pub fn publish_phase_transition(program: &str, risk: &PhaseTransitionRisk) {
    let level = |s: TransitionSeverity| match s {
        TransitionSeverity::Normal => 0.0,
        TransitionSeverity::Elevated => 1.0,
        TransitionSeverity::High => 2.0,
        TransitionSeverity::Critical => 3.0,
        TransitionSeverity::Imminent => 4.0,
    };
    let labels = [("program", program.to_owned())];
    gauge!("resilience_phase_transition_risk", &labels).set(level(risk.overall_severity));
    for (severity, name) in [
        (TransitionSeverity::Normal, "normal"),
        (TransitionSeverity::Elevated, "elevated"),
        (TransitionSeverity::High, "high"),
        (TransitionSeverity::Critical, "critical"),
        (TransitionSeverity::Imminent, "imminent"),
    ] {
        let count = risk
            .signals
            .iter()
            .filter(|s| s.severity == severity)
            .count();
        let labels = [
            ("program", program.to_owned()),
            ("severity", name.to_owned()),
        ];
        gauge!("resilience_critical_signals_count", &labels).set(count as f64);
    }
}

/// Gauges of the `transport` section. An unbounded Péclet number and "no unit heading to
/// saturation" are exported as `+Inf`.
pub fn publish_transport(program: &str, transport: &TransportReport) {
    let labels = [("program", program.to_owned())];
    gauge!("resilience_saturation_gradient", &labels).set(transport.saturation_gradient);
    let peclet = if transport.peclet_unbounded {
        f64::INFINITY
    } else {
        transport.peclet_number
    };
    gauge!("resilience_peclet_number", &labels).set(peclet);
    gauge!("resilience_boundary_layer_thickness", &labels).set(transport.boundary_layer_thickness);
    gauge!("resilience_time_to_saturation_minutes", &labels).set(
        transport
            .time_to_saturation_minutes
            .unwrap_or(f64::INFINITY),
    );
}

/// Publishes the entropy analysis job's critical-slowing verdict.
pub fn publish_critical_slowing(program: &str, detected: bool) {
    let _ = prometheus_handle();
    let labels = [("program", program.to_owned())];
    gauge!("resilience_entropy_critical_slowing", &labels).set(if detected { 1.0 } else { 0.0 });
}

/// Records one job or check run.
pub fn record_job(job: &str, program: &str, seconds: f64, failed: bool) {
    let _ = prometheus_handle();
    let labels = [("job", job.to_owned()), ("program", program.to_owned())];
    metrics::histogram!("resilience_job_duration_seconds", &labels).record(seconds);
    if failed {
        metrics::counter!("resilience_job_failures_total", &labels).increment(1);
    }
}

/// Counts a raised alert.
pub fn record_alert(program: &str, kind: &str) {
    let _ = prometheus_handle();
    let labels = [("program", program.to_owned()), ("kind", kind.to_owned())];
    metrics::counter!("resilience_alerts_total", &labels).increment(1);
}

/// Counts a webhook delivery attempt (`outcome` = delivered, retry or failed).
pub fn record_delivery(program: &str, outcome: &str) {
    let _ = prometheus_handle();
    let labels = [
        ("program", program.to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("resilience_webhook_deliveries_total", &labels).increment(1);
}
