//! The Thermo Resilience service (`thermo serve`): HTTP API under `/api/v1`, OpenAPI 3.1
//! document and Swagger UI, Prometheus `/metrics`, periodic health checks shared across
//! nodes through an apalis job queue, and alert webhooks.
//!
//! # Brief overview
//! - [`ServerConfig`] (`thermo.toml` + `THERMO_*`), [`AppState`] (store, config, metrics).
//! - [`app`] builds the router (tested in-process with `tower::ServiceExt::oneshot`).
//! - [`serve`] runs everything until a shutdown signal: in-flight requests, the running job
//!   and the running webhook attempt finish before it returns.
//! - [`check::run_check`] is the health check; [`jobs`] schedules it; [`webhooks`] delivers
//!   alerts; [`gauges`] publishes the Prometheus series.

pub mod api;
pub mod auth;
pub mod check;
pub mod config;
pub mod demo;
pub mod error;
pub mod gauges;
pub mod jobs;
pub mod openapi;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use metrics_exporter_prometheus::PrometheusHandle;
use thermo_store::{Store, StoreError, StoreOptions};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::ServerConfig;

/// Errors that stop the service.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The periodic-job queue could not be opened.
    #[error(transparent)]
    Jobs(#[from] jobs::JobsError),
    /// The listener failed.
    #[error("listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Shared state of the handlers, jobs and delivery loop; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The configuration.
    pub config: Arc<ServerConfig>,
    /// The Prometheus handle rendering `/metrics`.
    pub metrics: PrometheusHandle,
    /// This node's name in job-run records.
    pub node: Arc<str>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over an opened store.
    pub fn new(store: Store, config: ServerConfig) -> Self {
        let node = config
            .node_name
            .clone()
            .unwrap_or_else(|| format!("node-{}", std::process::id()));
        Self {
            store,
            config: Arc::new(config),
            metrics: gauges::prometheus_handle(),
            node: node.into(),
        }
    }

    /// Opens the configured database (applying migrations) and builds the state.
    pub async fn open(config: ServerConfig) -> Result<Self, ServerError> {
        let options = StoreOptions {
            max_connections: config.database_max_connections,
            acquire_timeout: Duration::from_secs(u64::from(config.database_timeout_seconds.max(1))),
            postgres_schema: None,
        };
        let store = Store::connect_with(&config.database_url, &options).await?;
        Ok(Self::new(store, config))
    }
}

/// The whole HTTP application: API, OpenAPI document, Swagger UI, `/metrics`, `/healthz`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let timeout = Duration::from_secs(u64::from(state.config.request_timeout_seconds.max(1)));
    let (router, document) = openapi::router().split_for_parts();
    router
        .with_state(state)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/api/v1/openapi.json", document))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves until `shutdown` completes, then lets in-flight requests, the running job and the
/// running webhook attempt finish, and closes the job queue and the database.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut background = Vec::new();
    let queue = if state.config.jobs.enabled {
        let queue = jobs::JobQueue::open(state.store.database(), &state.config.jobs).await?;
        background.extend(jobs::spawn_jobs(&state, &queue, &stop_rx));
        Some(queue)
    } else {
        None
    };
    background.push(webhooks::spawn_delivery(&state, &stop_rx));
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(%address, node = %state.node, "serving");
    let result = axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServerError::Listen { address, source });
    let _ = stop_tx.send(true);
    for handle in background {
        let _ = handle.await;
    }
    if let Some(queue) = queue {
        queue.close().await;
    }
    state.store.close().await;
    tracing::info!("stopped");
    result
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
