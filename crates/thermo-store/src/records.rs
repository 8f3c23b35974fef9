//! Plain records read from and written to the store.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A program (tenant): one staffed service with its own schedule and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Database id.
    pub id: i64,
    /// Unique name used in URLs.
    pub name: String,
    /// When the program was created (UTC).
    pub created_at: DateTime<Utc>,
}

/// A program with its latest schedule version and health-check time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramOverview {
    /// The program.
    pub program: Program,
    /// Latest schedule version, if any schedule was stored.
    pub latest_schedule_version: Option<i64>,
    /// Time of the latest health snapshot (UTC), if any.
    pub latest_health_at: Option<DateTime<Utc>>,
}

/// Sizes recorded beside a schedule snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduleCounts {
    /// Number of people.
    pub people: usize,
    /// Number of assignments.
    pub assignments: usize,
}

/// The outcome of storing a schedule snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotReceipt {
    /// Version number, 1 for the first snapshot of a program.
    pub version: i64,
    /// Hex SHA-256 of the snapshot's JSON.
    pub content_hash: String,
    /// `false` when the content equals the latest version, which was kept.
    pub created: bool,
}

/// A stored schedule snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchedule {
    /// Version number.
    pub version: i64,
    /// Hex SHA-256 of the JSON.
    pub content_hash: String,
    /// The JSON bundle as received.
    pub bundle: Value,
    /// When it was stored (UTC).
    pub created_at: DateTime<Utc>,
}

/// One metric sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    /// Metric name.
    pub metric: String,
    /// Sample time (UTC).
    pub timestamp: DateTime<Utc>,
    /// Value (finite).
    pub value: f64,
}

/// Kind of an ingested event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A swap (same fields as a `swaps` row of the bundle).
    Swap,
    /// An absence (same fields as an `absences` row of the bundle).
    Absence,
}

impl EventKind {
    /// The stored keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Swap => "swap",
            EventKind::Absence => "absence",
        }
    }

    /// Parses the stored keyword.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "swap" => Some(EventKind::Swap),
            "absence" => Some(EventKind::Absence),
            _ => None,
        }
    }
}

/// An event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Swap or absence.
    pub kind: EventKind,
    /// The row, with the bundle's field names.
    pub payload: Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Database id (insertion order).
    pub id: i64,
    /// Swap or absence.
    pub kind: EventKind,
    /// The row, with the bundle's field names.
    pub payload: Value,
    /// When it was received (UTC).
    pub received_at: DateTime<Utc>,
}

/// An `Idempotency-Key` with the hash of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The client's key.
    pub key: String,
    /// Hex SHA-256 of the request body.
    pub request_hash: String,
}

/// The receipt of an ingestion request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReceipt {
    /// Items in the request that are now stored.
    pub accepted: u64,
    /// `true` when this is the stored receipt of an earlier identical request.
    pub replayed: bool,
}

/// Values of a `thermodynamic_metrics` row (the integration guide's columns plus the time
/// and normalised entropies). Entropies in bits; production rate in bits per hour;
/// time to transition in hours; confidence in [0, 1].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ThermodynamicsRow {
    /// H(person), bits.
    pub person_entropy: Option<f64>,
    /// H(rotation), bits.
    pub rotation_entropy: Option<f64>,
    /// H(block), bits.
    pub time_entropy: Option<f64>,
    /// H(person, rotation), bits.
    pub joint_entropy: Option<f64>,
    /// I(person; rotation), bits.
    pub mutual_information: Option<f64>,
    /// H(person) / log2(roster), ratio in [0, 1].
    pub normalized_entropy: Option<f64>,
    /// Change of person entropy since the previous row, bits per hour.
    pub entropy_production_rate: Option<f64>,
    /// Free energy F = U − T·S (dimensionless energy units).
    pub free_energy: Option<f64>,
    /// Internal energy U (dimensionless energy units).
    pub internal_energy: Option<f64>,
    /// Effective temperature T.
    pub effective_temperature: Option<f64>,
    /// Phase-transition severity keyword (normal … imminent).
    pub phase_transition_severity: Option<String>,
    /// Estimated hours to the transition.
    pub time_to_transition: Option<f64>,
    /// Confidence of the risk assessment, in [0, 1].
    pub confidence: Option<f64>,
    /// Who computed the row (job or request).
    pub computed_by: String,
    /// Free text.
    pub notes: Option<String>,
}

/// A stored `thermodynamic_metrics` row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredThermodynamics {
    /// Database id.
    pub id: i64,
    /// When it was computed (UTC).
    pub timestamp: DateTime<Utc>,
    /// The values.
    pub row: ThermodynamicsRow,
}

/// A `phase_transition_signals` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    /// When the signal was detected (UTC).
    pub detected_at: DateTime<Utc>,
    /// Indicator kind (variance, autocorrelation, flickering, skewness, …).
    pub signal_type: String,
    /// Monitored metric the signal is about.
    pub metric_name: String,
    /// Severity keyword.
    pub severity: String,
    /// Indicator value.
    pub value: Option<f64>,
    /// Threshold it was compared with.
    pub threshold: Option<f64>,
    /// Human-readable description.
    pub description: String,
}

/// A `transport_metrics` row (units as in the transport layer: gradient and thickness are
/// ratios, Péclet number dimensionless, time in minutes, diffusion per day).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TransportRow {
    /// Saturation gradient, ratio.
    pub saturation_gradient: Option<f64>,
    /// Péclet number, dimensionless.
    pub peclet_number: Option<f64>,
    /// Boundary-layer thickness, fraction of units.
    pub boundary_layer_thickness: Option<f64>,
    /// Minutes until the next unit saturates.
    pub time_to_saturation_minutes: Option<f64>,
    /// Effective diffusion coefficient, per day.
    pub effective_diffusion: Option<f64>,
}

/// Everything one health check writes.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRecord {
    /// Program id.
    pub program_id: i64,
    /// When the check ran (UTC).
    pub computed_at: DateTime<Utc>,
    /// The analysis date of the report.
    pub analysis_date: NaiveDate,
    /// Schedule version analysed.
    pub schedule_version: i64,
    /// `job:<name>`, `request` or `demo`.
    pub triggered_by: String,
    /// The full analysis report (JSON).
    pub report: Value,
    /// The thermodynamic row.
    pub thermodynamics: ThermodynamicsRow,
    /// Phase-transition signals of the check.
    pub signals: Vec<SignalRow>,
    /// The transport row, when the transport layer ran.
    pub transport: Option<TransportRow>,
}

/// A stored health snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHealth {
    /// Database id.
    pub id: i64,
    /// When the check ran (UTC).
    pub computed_at: DateTime<Utc>,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// Schedule version analysed.
    pub schedule_version: i64,
    /// What triggered it.
    pub triggered_by: String,
    /// The report.
    pub report: Value,
}

/// An alert to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// Program id.
    pub program_id: i64,
    /// Alert kind, the de-duplication key (e.g. `phase_transition_risk`).
    pub kind: String,
    /// Severity keyword.
    pub severity: String,
    /// Short title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Structured details.
    pub details: Value,
    /// When it was raised (UTC).
    pub created_at: DateTime<Utc>,
}

/// The delivery state of an alert to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryState {
    /// Database id.
    pub id: i64,
    /// Target URL.
    pub webhook_url: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// Next attempt time while pending (UTC).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was delivered (UTC).
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A stored alert with its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAlert {
    /// Database id.
    pub id: i64,
    /// Alert kind.
    pub kind: String,
    /// Severity keyword.
    pub severity: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Details.
    pub details: Value,
    /// When it was raised (UTC).
    pub created_at: DateTime<Utc>,
    /// One entry per configured webhook.
    pub deliveries: Vec<DeliveryState>,
}

/// The JSON body POSTed to a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertPayload {
    /// Alert id (stable across retries, use it to de-duplicate).
    pub alert_id: i64,
    /// Program name.
    pub program: String,
    /// Alert kind.
    pub kind: String,
    /// Severity keyword.
    pub severity: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Details.
    pub details: Value,
    /// When it was raised (UTC).
    pub created_at: DateTime<Utc>,
}

/// A delivery whose next attempt is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    /// Delivery id.
    pub delivery_id: i64,
    /// Target URL.
    pub webhook_url: String,
    /// Attempts already made.
    pub attempts: i64,
    /// The due time it was read with (the lease compares it).
    pub next_attempt_at: DateTime<Utc>,
    /// What to send.
    pub alert: AlertPayload,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// The webhook answered 2xx.
    Delivered,
    /// It failed; try again at `next_attempt_at`.
    Retry {
        /// Why it failed.
        error: String,
        /// When to try again (UTC).
        next_attempt_at: DateTime<Utc>,
    },
    /// It failed and the attempts are used up.
    GaveUp {
        /// Why the last attempt failed.
        error: String,
    },
}

/// One run of a periodic job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    /// The tick (scheduled time, UTC).
    pub tick: DateTime<Utc>,
    /// Node that ran it.
    pub node: String,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time, once finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Error of a failed run.
    pub error: Option<String>,
}
