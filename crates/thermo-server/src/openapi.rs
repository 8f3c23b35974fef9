//! The OpenAPI 3.1 document (served at `/api/v1/openapi.json`) and the routes it describes.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api;

/// Document metadata and the bearer security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Thermo Resilience API",
        description = "Ingestion, health checks, thermodynamic early warning and alerts for staffed services. \
                       Errors share one shape: {\"error\": {\"code\", \"message\", \"details\"}}.",
        license(name = "MIT")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "programs", description = "Program management"),
        (name = "ingestion", description = "Schedule snapshots, metric samples and events"),
        (name = "health", description = "Health checks, transport, contingency, alerts, histories"),
        (name = "thermodynamics", description = "The integration guide's thermodynamics routes"),
        (name = "operations", description = "Metrics and liveness")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every documented route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::list_programs))
        .routes(routes!(api::put_schedule))
        .routes(routes!(api::post_metrics))
        .routes(routes!(api::post_events))
        .routes(routes!(api::run_check))
        .routes(routes!(api::latest_health))
        .routes(routes!(api::transport))
        .routes(routes!(api::contingency))
        .routes(routes!(api::alerts))
        .routes(routes!(api::metric_history))
        .routes(routes!(api::entropy))
        .routes(routes!(api::phase_transition_risk))
        .routes(routes!(api::entropy_history))
        .routes(routes!(api::prometheus_metrics))
        .routes(routes!(api::healthz))
}

/// The OpenAPI document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}
