//! The HTTP handlers under `/api/v1`, each documented for the OpenAPI document.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use thermo_core::entropy::schedule_entropy_between;
use thermo_store::{
    EventKind, EventRow, IdempotencyKey, IngestReceipt, Program, SampleRow, ScheduleCounts,
    StoredAlert,
};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::check::{self, CheckError};
use crate::error::{ApiError, ErrorBody};

// ---- shared helpers ------------------------------------------------------------------------

fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    Caller::from_headers(headers, &state.config.auth)
}

/// Program names are 1–64 characters of letters, digits, `-`, `_` and `.`.
fn check_program_name(name: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "program names are 1-64 characters of letters, digits, '-', '_' and '.'",
        ))
    }
}

async fn readable_program(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
) -> Result<Program, ApiError> {
    check_program_name(name)?;
    caller(state, headers)?.require_read(Some(name), &state.config.auth)?;
    state
        .store
        .program(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("program `{name}` does not exist")))
}

async fn writable_program(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
) -> Result<Program, ApiError> {
    check_program_name(name)?;
    caller(state, headers)?.require_write(name)?;
    state
        .store
        .program(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("program `{name}` does not exist")))
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "bad_request"
        };
        ApiError::new(status, code, rejection.body_text())
    })
}

fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the request body is not the expected JSON: {e}"),
        )
    })
}

fn idempotency_key(headers: &HeaderMap, body: &[u8]) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1-200 visible ASCII characters")
        })?;
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        request_hash: thermo_store::sha256_hex(body),
    }))
}

fn invalid_bundle(error: thermo_io::BundleError) -> ApiError {
    match error {
        thermo_io::BundleError::Invalid(diagnostics) => ApiError::with_details(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_bundle",
            format!("{} problem(s) in the schedule", diagnostics.len()),
            serde_json::to_value(&diagnostics).unwrap_or(Value::Null),
        ),
        other => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_bundle",
            other.to_string(),
        ),
    }
}

fn check_error(error: CheckError) -> ApiError {
    match error {
        CheckError::NoSchedule(program) => ApiError::new(
            StatusCode::CONFLICT,
            "no_schedule",
            format!("program `{program}` has no schedule yet; PUT one first"),
        ),
        CheckError::InvalidBundle(message) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_bundle", message)
        }
        CheckError::Store(error) => error.into(),
        CheckError::Task(message) => ApiError::internal(message),
    }
}

// ---- programs ------------------------------------------------------------------------------

/// One program in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramInfo {
    /// Program name.
    pub name: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// Latest schedule version.
    pub latest_schedule_version: Option<i64>,
    /// Time of the latest health snapshot (UTC).
    pub latest_health_at: Option<DateTime<Utc>>,
}

/// The programs the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramList {
    /// Programs, by name.
    pub programs: Vec<ProgramInfo>,
}

/// Lists the programs the caller may read.
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs",
    responses((status = 200, body = ProgramList), (status = 401, body = ErrorBody)))]
pub async fn list_programs(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ProgramList>, ApiError> {
    let caller = caller(&state, &headers)?;
    if state.config.auth.require_token_for_reads && caller == Caller::Anonymous {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a bearer token is required",
        ));
    }
    let programs = state
        .store
        .list_programs()
        .await?
        .into_iter()
        .filter(|p| caller.may_read(Some(&p.program.name), &state.config.auth))
        .map(|p| ProgramInfo {
            name: p.program.name,
            created_at: p.program.created_at,
            latest_schedule_version: p.latest_schedule_version,
            latest_health_at: p.latest_health_at,
        })
        .collect();
    Ok(Json(ProgramList { programs }))
}

// ---- schedule ------------------------------------------------------------------------------

/// The result of storing a schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleReceipt {
    /// Program name.
    pub program: String,
    /// Version stored (or kept, when identical to the latest).
    pub version: i64,
    /// Hex SHA-256 of the bundle JSON.
    pub content_hash: String,
    /// `false` when the bundle equals the latest version.
    pub created: bool,
    /// People in the schedule.
    pub people: usize,
    /// Assignments in the schedule.
    pub assignments: usize,
    /// Non-fatal remarks (unknown columns, …), same shape as the 422 details.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<thermo_io::Diagnostic>,
}

/// Stores a schedule bundle (the JSON document form of `schedule.json`) as the program's next
/// version, creating the program if new. The bundle is validated with the same diagnostics
/// as `thermo analyze`; problems answer 422 with the list in `error.details`.
#[utoipa::path(put, path = "/api/v1/programs/{program}/schedule", tag = "ingestion",
    params(("program" = String, Path, description = "Program name")),
    request_body(content = Object, description = "Schedule bundle JSON document", content_type = "application/json"),
    responses(
        (status = 201, description = "New version stored", body = ScheduleReceipt),
        (status = 200, description = "Identical to the latest version", body = ScheduleReceipt),
        (status = 422, description = "Bundle problems (`invalid_bundle`, details = diagnostics)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    check_program_name(&program)?;
    let caller = caller(&state, &headers)?;
    caller.require_write(&program)?;
    let bytes = body_bytes(body)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?
        .to_owned();
    let (parsed, bundle) = tokio::task::spawn_blocking(move || {
        let parsed = thermo_io::parse_json_bundle(&text, "schedule.json");
        let bundle = serde_json::from_str::<Value>(&text);
        (parsed, bundle)
    })
    .await
    .map_err(ApiError::internal)?;
    let (schedule, warnings) = parsed.map_err(invalid_bundle)?;
    let bundle = bundle.map_err(|e| ApiError::bad_request(e.to_string()))?;
    let now = Utc::now();
    let stored = state.store.ensure_program(&program, now).await?;
    let counts = ScheduleCounts {
        people: schedule.people.len(),
        assignments: schedule.assignments.len(),
    };
    let receipt = state
        .store
        .put_schedule(stored.id, &bundle, counts, now)
        .await?;
    let status = if receipt.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(ScheduleReceipt {
            program,
            version: receipt.version,
            content_hash: receipt.content_hash,
            created: receipt.created,
            people: counts.people,
            assignments: counts.assignments,
            warnings,
        }),
    ))
}

// ---- metrics and events --------------------------------------------------------------------

/// One metric sample.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleIn {
    /// Sample time (RFC 3339; stored in UTC).
    pub timestamp: DateTime<Utc>,
    /// Metric name (1-100 characters).
    pub metric: String,
    /// Value (finite).
    pub value: f64,
}

/// A batch of metric samples.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplesRequest {
    /// The samples; an existing (metric, timestamp) is overwritten.
    pub samples: Vec<SampleIn>,
}

/// The receipt of an ingestion request; 2xx means durably stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    /// Items stored.
    pub accepted: u64,
    /// `true` when this answers a repeat of an earlier request with the same `Idempotency-Key`.
    pub replayed: bool,
}

impl From<IngestReceipt> for IngestResponse {
    fn from(receipt: IngestReceipt) -> Self {
        Self {
            accepted: receipt.accepted,
            replayed: receipt.replayed,
        }
    }
}

/// Stores metric samples. With an `Idempotency-Key` header, a retry of the same request
/// stores nothing again and answers the first receipt; reusing the key for another body
/// answers 409.
#[utoipa::path(post, path = "/api/v1/programs/{program}/metrics", tag = "ingestion",
    params(("program" = String, Path, description = "Program name"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client key making retries safe")),
    request_body = SamplesRequest,
    responses((status = 200, body = IngestResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn post_metrics(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResponse>, ApiError> {
    let program = writable_program(&state, &headers, &program).await?;
    let bytes = body_bytes(body)?;
    let key = idempotency_key(&headers, &bytes)?;
    let request: SamplesRequest = parse_body(&bytes)?;
    let mut rows = Vec::with_capacity(request.samples.len());
    for (index, sample) in request.samples.into_iter().enumerate() {
        if sample.metric.is_empty() || sample.metric.len() > 100 {
            return Err(ApiError::with_details(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_sample",
                "metric names have 1-100 characters",
                serde_json::json!({"index": index}),
            ));
        }
        if !sample.value.is_finite() {
            return Err(ApiError::with_details(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_sample",
                "values must be finite numbers",
                serde_json::json!({"index": index}),
            ));
        }
        rows.push(SampleRow {
            metric: sample.metric,
            timestamp: sample.timestamp,
            value: sample.value,
        });
    }
    let receipt = state
        .store
        .insert_samples(program.id, &rows, key.as_ref(), Utc::now())
        .await?;
    Ok(Json(receipt.into()))
}

/// Swap and absence events, each row with the bundle's field names (`swaps.csv`,
/// `absences.csv`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsRequest {
    /// Swap rows.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub swaps: Vec<serde_json::Map<String, Value>>,
    /// Absence rows.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub absences: Vec<serde_json::Map<String, Value>>,
}

/// Stores swap and absence events. They are validated against the program's latest schedule
/// with the bundle's diagnostics (422 with the list); `Idempotency-Key` as for metrics.
#[utoipa::path(post, path = "/api/v1/programs/{program}/events", tag = "ingestion",
    params(("program" = String, Path, description = "Program name"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client key making retries safe")),
    request_body = EventsRequest,
    responses((status = 200, body = IngestResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn post_events(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResponse>, ApiError> {
    let program = writable_program(&state, &headers, &program).await?;
    let bytes = body_bytes(body)?;
    let key = idempotency_key(&headers, &bytes)?;
    let request: EventsRequest = parse_body(&bytes)?;
    let events: Vec<EventRow> = request
        .swaps
        .into_iter()
        .map(|row| (EventKind::Swap, row))
        .chain(
            request
                .absences
                .into_iter()
                .map(|row| (EventKind::Absence, row)),
        )
        .map(|(kind, row)| EventRow {
            kind,
            payload: Value::Object(row),
        })
        .collect();
    let snapshot = state
        .store
        .latest_schedule(program.id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_schedule",
                "events need a schedule to refer to; PUT one first",
            )
        })?;
    // Validate: the stored schedule with every stored and new event must still read.
    let mut bundle = check::merged_bundle(&state, &program, snapshot.bundle, Utc::now()).await?;
    if let Value::Object(document) = &mut bundle {
        for event in &events {
            let table = match event.kind {
                EventKind::Swap => "swaps",
                EventKind::Absence => "absences",
            };
            check::push_row(document, table, event.payload.clone());
        }
    }
    let text = bundle.to_string();
    tokio::task::spawn_blocking(move || thermo_io::parse_json_bundle(&text, "schedule.json"))
        .await
        .map_err(ApiError::internal)?
        .map_err(invalid_bundle)?;
    let receipt = state
        .store
        .insert_events(program.id, &events, key.as_ref(), Utc::now())
        .await?;
    Ok(Json(receipt.into()))
}

// ---- health --------------------------------------------------------------------------------

/// A stored health snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Program name.
    pub program: String,
    /// Snapshot id.
    pub snapshot_id: i64,
    /// When the check ran (UTC).
    pub computed_at: DateTime<Utc>,
    /// The analysis date.
    pub analysis_date: NaiveDate,
    /// Schedule version analysed.
    pub schedule_version: i64,
    /// `request`, `job:health_check`, `job:entropy_analysis` or `demo`.
    pub triggered_by: String,
    /// The analysis report (same JSON as `thermo analyze --format json`).
    #[schema(value_type = Object)]
    pub report: Value,
}

/// Runs the health check now, stores it and returns it.
#[utoipa::path(post, path = "/api/v1/programs/{program}/checks/run", tag = "health",
    params(("program" = String, Path, description = "Program name")),
    responses((status = 200, body = HealthResponse), (status = 409, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn run_check(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
) -> Result<Json<HealthResponse>, ApiError> {
    let program = writable_program(&state, &headers, &program).await?;
    let started = std::time::Instant::now();
    let result = check::run_check(&state, &program, "request").await;
    crate::gauges::record_job(
        "on_demand_check",
        &program.name,
        started.elapsed().as_secs_f64(),
        result.is_err(),
    );
    let outcome = result.map_err(check_error)?;
    Ok(Json(HealthResponse {
        program: program.name,
        snapshot_id: outcome.snapshot_id,
        computed_at: outcome.computed_at,
        analysis_date: outcome.analysis_date,
        schedule_version: outcome.schedule_version,
        triggered_by: "request".to_owned(),
        report: outcome.report,
    }))
}

/// The latest stored health snapshot.
#[utoipa::path(get, path = "/api/v1/programs/{program}/health", tag = "health",
    params(("program" = String, Path, description = "Program name")),
    responses((status = 200, body = HealthResponse), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn latest_health(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
) -> Result<Json<HealthResponse>, ApiError> {
    let program = readable_program(&state, &headers, &program).await?;
    let health = state
        .store
        .latest_health(program.id)
        .await?
        .ok_or_else(|| ApiError::not_found("no health check has run for this program yet"))?;
    Ok(Json(HealthResponse {
        program: program.name,
        snapshot_id: health.id,
        computed_at: health.computed_at,
        analysis_date: health.analysis_date,
        schedule_version: health.schedule_version,
        triggered_by: health.triggered_by,
        report: health.report,
    }))
}

/// The latest transport metrics.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransportResponse {
    /// Program name.
    pub program: String,
    /// When they were computed (UTC).
    pub computed_at: DateTime<Utc>,
    /// Saturation gradient (ratio).
    pub saturation_gradient: Option<f64>,
    /// Péclet number (dimensionless).
    pub peclet_number: Option<f64>,
    /// Boundary-layer thickness (fraction of units).
    pub boundary_layer_thickness: Option<f64>,
    /// Minutes until the next unit saturates.
    pub time_to_saturation_minutes: Option<f64>,
    /// Effective diffusion (per day).
    pub effective_diffusion: Option<f64>,
}

/// The latest transport metrics of the health check.
#[utoipa::path(get, path = "/api/v1/programs/{program}/transport", tag = "health",
    params(("program" = String, Path, description = "Program name")),
    responses((status = 200, body = TransportResponse),
        (status = 404, description = "No transport metrics computed yet", body = ErrorBody)))]
pub async fn transport(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
) -> Result<Json<TransportResponse>, ApiError> {
    let program = readable_program(&state, &headers, &program).await?;
    let (computed_at, row) = state
        .store
        .latest_transport(program.id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "section_unavailable",
                "no transport metrics have been computed for this program",
            )
        })?;
    Ok(Json(TransportResponse {
        program: program.name,
        computed_at,
        saturation_gradient: row.saturation_gradient,
        peclet_number: row.peclet_number,
        boundary_layer_thickness: row.boundary_layer_thickness,
        time_to_saturation_minutes: row.time_to_saturation_minutes,
        effective_diffusion: row.effective_diffusion,
    }))
}

/// The contingency section of the latest report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContingencyResponse {
    /// Program name.
    pub program: String,
    /// When the report was computed (UTC).
    pub computed_at: DateTime<Utc>,
    /// The `contingency` section of the report (N-1 / N-2).
    #[schema(value_type = Object)]
    pub contingency: Value,
}

/// The contingency (N-1 / N-2) section of the latest health report.
#[utoipa::path(get, path = "/api/v1/programs/{program}/contingency", tag = "health",
    params(("program" = String, Path, description = "Program name")),
    responses((status = 200, body = ContingencyResponse),
        (status = 404, description = "No report with a contingency section yet", body = ErrorBody)))]
pub async fn contingency(
    State(state): State<AppState>,
    Path(program): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ContingencyResponse>, ApiError> {
    let program = readable_program(&state, &headers, &program).await?;
    let health = state.store.latest_health(program.id).await?;
    let section = health
        .as_ref()
        .and_then(|h| h.report.get("contingency").filter(|v| !v.is_null()));
    match (health.as_ref(), section) {
        (Some(health), Some(section)) => Ok(Json(ContingencyResponse {
            program: program.name,
            computed_at: health.computed_at,
            contingency: section.clone(),
        })),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "section_unavailable",
            "the latest report has no contingency section",
        )),
    }
}

/// `limit` query parameter.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    /// Most items returned (1-1000, default 100).
    pub limit: Option<u32>,
}

/// Alerts of a program, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Program name.
    pub program: String,
    /// Alerts with their webhook delivery states.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<StoredAlert>,
}

/// Alerts of a program with the delivery state of each webhook.
#[utoipa::path(get, path = "/api/v1/programs/{program}/alerts", tag = "health",
    params(("program" = String, Path, description = "Program name"), LimitQuery),
    responses((status = 200, body = AlertList), (status = 404, body = ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    Path(program): Path<String>,
    Query(query): Query<LimitQuery>,
    headers: HeaderMap,
) -> Result<Json<AlertList>, ApiError> {
    let program = readable_program(&state, &headers, &program).await?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let alerts = state.store.alerts(program.id, limit).await?;
    Ok(Json(AlertList {
        program: program.name,
        alerts,
    }))
}

/// Time range of a metric history.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Start (RFC 3339, default `to` − 7 days).
    pub from: Option<DateTime<Utc>>,
    /// End (RFC 3339, default now).
    pub to: Option<DateTime<Utc>>,
    /// Most samples returned (1-100000, default 10000).
    pub limit: Option<u32>,
}

/// One sample of a history.
#[derive(Debug, Serialize, ToSchema)]
pub struct SamplePoint {
    /// Sample time (UTC).
    pub timestamp: DateTime<Utc>,
    /// Value.
    pub value: f64,
}

/// Samples of one metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricHistory {
    /// Program name.
    pub program: String,
    /// Metric name.
    pub metric: String,
    /// Samples, oldest first.
    pub data: Vec<SamplePoint>,
    /// Number of samples.
    pub count: usize,
}

/// Samples of one metric in a time range, oldest first.
#[utoipa::path(get, path = "/api/v1/programs/{program}/metrics/{name}/history", tag = "health",
    params(("program" = String, Path, description = "Program name"),
        ("name" = String, Path, description = "Metric name"), HistoryQuery),
    responses((status = 200, body = MetricHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn metric_history(
    State(state): State<AppState>,
    Path((program, name)): Path<(String, String)>,
    Query(query): Query<HistoryQuery>,
    headers: HeaderMap,
) -> Result<Json<MetricHistory>, ApiError> {
    let program = readable_program(&state, &headers, &program).await?;
    let to = query.to.unwrap_or_else(Utc::now);
    let from = query.from.unwrap_or(to - Duration::days(7));
    if from > to {
        return Err(ApiError::bad_request("`from` is after `to`"));
    }
    let limit = query.limit.unwrap_or(10_000).clamp(1, 100_000);
    let samples = state
        .store
        .metric_history(program.id, &name, from, to, limit)
        .await?;
    let data: Vec<_> = samples
        .into_iter()
        .map(|s| SamplePoint {
            timestamp: s.timestamp,
            value: s.value,
        })
        .collect();
    Ok(Json(MetricHistory {
        program: program.name,
        metric: name,
        count: data.len(),
        data,
    }))
}

// ---- reference thermodynamics endpoints ----------------------------------------------------

/// `program`, `start_date`, `end_date` query parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EntropyQuery {
    /// Program name.
    pub program: String,
    /// First date counted (inclusive, default: the whole schedule).
    pub start_date: Option<NaiveDate>,
    /// Last date counted (inclusive, default: the whole schedule).
    pub end_date: Option<NaiveDate>,
}

/// Entropy of a program's latest schedule (bits; normalised entropy is a ratio).
#[derive(Debug, Serialize, ToSchema)]
pub struct EntropyResponse {
    /// Program name.
    pub program: String,
    /// Schedule version measured.
    pub schedule_version: i64,
    /// H(person), bits.
    pub person_entropy: f64,
    /// H(rotation), bits.
    pub rotation_entropy: f64,
    /// H(block), bits.
    pub time_entropy: f64,
    /// H(person, rotation), bits.
    pub joint_entropy: f64,
    /// I(person; rotation), bits.
    pub mutual_information: f64,
    /// H(person) / log2(roster size), in [0, 1].
    pub normalized_entropy: f64,
    /// Latest stored production rate, bits per hour (null before two measurements).
    pub entropy_production_rate: Option<f64>,
    /// Assignments counted.
    pub assignments_counted: u64,
    /// When this answer was computed (UTC).
    pub computed_at: DateTime<Utc>,
}

/// Entropy of a program's latest schedule between two dates (the integration guide's route).
#[utoipa::path(get, path = "/api/v1/resilience/thermodynamics/entropy", tag = "thermodynamics",
    params(EntropyQuery),
    responses((status = 200, body = EntropyResponse), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn entropy(
    State(state): State<AppState>,
    Query(query): Query<EntropyQuery>,
    headers: HeaderMap,
) -> Result<Json<EntropyResponse>, ApiError> {
    let program = readable_program(&state, &headers, &query.program).await?;
    if let (Some(start), Some(end)) = (query.start_date, query.end_date)
        && start > end
    {
        return Err(ApiError::bad_request("start_date is after end_date"));
    }
    let snapshot = state
        .store
        .latest_schedule(program.id)
        .await?
        .ok_or_else(|| ApiError::not_found("this program has no schedule yet"))?;
    let text = snapshot.bundle.to_string();
    let (start, end) = (query.start_date, query.end_date);
    let report = tokio::task::spawn_blocking(move || {
        thermo_io::parse_json_bundle(&text, "schedule.json").map(|(schedule, _)| {
            // The core counts [start, end); the API's end date is inclusive.
            schedule_entropy_between(&schedule, start, end.and_then(|d| d.succ_opt()))
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(invalid_bundle)?;
    let production = state
        .store
        .latest_thermodynamics(program.id)
        .await?
        .and_then(|(row, _)| row.row.entropy_production_rate);
    Ok(Json(EntropyResponse {
        program: program.name,
        schedule_version: snapshot.version,
        person_entropy: report.person_entropy,
        rotation_entropy: report.rotation_entropy,
        time_entropy: report.time_entropy,
        joint_entropy: report.joint_entropy,
        mutual_information: report.mutual_information,
        normalized_entropy: report.normalized_entropy,
        entropy_production_rate: production,
        assignments_counted: report.assignments_counted,
        computed_at: Utc::now(),
    }))
}

/// `program` query parameter.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProgramQuery {
    /// Program name.
    pub program: String,
}

/// One early-warning signal.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalOut {
    /// Indicator kind.
    #[serde(rename = "type")]
    pub signal_type: String,
    /// Metric the signal is about.
    pub metric: String,
    /// Severity keyword.
    pub severity: String,
    /// Indicator value.
    pub value: Option<f64>,
    /// Threshold compared with.
    pub threshold: Option<f64>,
    /// Description.
    pub description: String,
    /// Detection time (UTC).
    pub detected_at: DateTime<Utc>,
}

/// The latest phase-transition risk assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseRiskResponse {
    /// Program name.
    pub program: String,
    /// `normal`, `elevated`, `high`, `critical` or `imminent`.
    pub overall_severity: String,
    /// The signals behind it.
    pub signals: Vec<SignalOut>,
    /// Estimated hours to the transition (null without a significant trend).
    pub time_to_transition: Option<f64>,
    /// Confidence in [0, 1].
    pub confidence: Option<f64>,
    /// When it was assessed (UTC).
    pub assessed_at: DateTime<Utc>,
}

/// The latest stored phase-transition risk of a program (the integration guide's route).
#[utoipa::path(get, path = "/api/v1/resilience/thermodynamics/phase-transition-risk", tag = "thermodynamics",
    params(ProgramQuery),
    responses((status = 200, body = PhaseRiskResponse),
        (status = 404, description = "No risk assessment available yet", body = ErrorBody)))]
pub async fn phase_transition_risk(
    State(state): State<AppState>,
    Query(query): Query<ProgramQuery>,
    headers: HeaderMap,
) -> Result<Json<PhaseRiskResponse>, ApiError> {
    let program = readable_program(&state, &headers, &query.program).await?;
    let latest = state.store.latest_thermodynamics(program.id).await?;
    let Some((thermo, signals)) = latest else {
        return Err(no_risk_assessment());
    };
    let Some(severity) = thermo.row.phase_transition_severity else {
        return Err(no_risk_assessment());
    };
    Ok(Json(PhaseRiskResponse {
        program: program.name,
        overall_severity: severity,
        signals: signals
            .into_iter()
            .map(|s| SignalOut {
                signal_type: s.signal_type,
                metric: s.metric_name,
                severity: s.severity,
                value: s.value,
                threshold: s.threshold,
                description: s.description,
                detected_at: s.detected_at,
            })
            .collect(),
        time_to_transition: thermo.row.time_to_transition,
        confidence: thermo.row.confidence,
        assessed_at: thermo.timestamp,
    }))
}

fn no_risk_assessment() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_risk_assessment",
        "no risk assessment available yet",
    )
}

/// `program` and `hours` query parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EntropyHistoryQuery {
    /// Program name.
    pub program: String,
    /// Hours of history (1-8760, default 24).
    pub hours: Option<u32>,
}

/// One entropy measurement.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntropyPoint {
    /// Measurement time (UTC).
    pub timestamp: DateTime<Utc>,
    /// H(person), bits.
    pub person_entropy: Option<f64>,
    /// H(rotation), bits.
    pub rotation_entropy: Option<f64>,
    /// I(person; rotation), bits.
    pub mutual_information: Option<f64>,
    /// Bits per hour.
    pub entropy_production_rate: Option<f64>,
}

/// Entropy measurements of the last hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntropyHistory {
    /// Program name.
    pub program: String,
    /// Hours covered.
    pub hours: u32,
    /// Measurements, oldest first.
    pub data: Vec<EntropyPoint>,
    /// Number of measurements.
    pub count: usize,
}

/// Stored entropy measurements of the last `hours` (the integration guide's route).
#[utoipa::path(get, path = "/api/v1/resilience/thermodynamics/entropy/history", tag = "thermodynamics",
    params(EntropyHistoryQuery),
    responses((status = 200, body = EntropyHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn entropy_history(
    State(state): State<AppState>,
    Query(query): Query<EntropyHistoryQuery>,
    headers: HeaderMap,
) -> Result<Json<EntropyHistory>, ApiError> {
    let program = readable_program(&state, &headers, &query.program).await?;
    let hours = query.hours.unwrap_or(24);
    if !(1..=8760).contains(&hours) {
        return Err(ApiError::bad_request("hours must be between 1 and 8760"));
    }
    let rows = state
        .store
        .thermodynamics_since(program.id, Utc::now() - Duration::hours(i64::from(hours)))
        .await?;
    let data: Vec<_> = rows
        .into_iter()
        .map(|r| EntropyPoint {
            timestamp: r.timestamp,
            person_entropy: r.row.person_entropy,
            rotation_entropy: r.row.rotation_entropy,
            mutual_information: r.row.mutual_information,
            entropy_production_rate: r.row.entropy_production_rate,
        })
        .collect();
    Ok(Json(EntropyHistory {
        program: program.name,
        hours,
        count: data.len(),
        data,
    }))
}

// ---- operations ----------------------------------------------------------------------------

/// Prometheus text exposition of every series of this process.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, body = ErrorBody)))]
pub async fn prometheus_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    caller(&state, &headers)?.require_read(None, &state.config.auth)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    ))
}

/// Liveness and database reachability.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// `ok`.
    pub status: String,
}

/// Answers 200 when the service and its database answer, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Liveness), (status = 503, body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Liveness>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Liveness {
        status: "ok".to_owned(),
    }))
}
