//! Service configuration: `thermo.toml` plus `THERMO_*` environment variables.
//!
//! Environment variables override the file; nested keys use a double underscore
//! (`THERMO_JOBS__HEALTH_CHECK_MINUTES=5`). `THERMO_API_TOKEN` adds an admin token and
//! `THERMO_DATABASE_URL` sets `database_url`. Every key and default is listed in
//! `docs/operations.md`.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use thermo_core::report::AnalysisConfig;

use crate::ServerError;

/// Read or write access of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// GET endpoints only.
    Read,
    /// GET and the ingestion / check endpoints.
    Write,
}

/// One bearer token and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The secret presented as `Authorization: Bearer <token>`.
    pub token: String,
    /// Programs it may access; `"*"` means every program (and program creation).
    pub programs: Vec<String>,
    /// Read, or read and write (default read).
    #[serde(default = "default_access")]
    pub access: Access,
}

fn default_access() -> Access {
    Access::Read
}

/// `[auth]`: bearer tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Whether GET endpoints (and `/metrics`) also need a token (default true).
    pub require_token_for_reads: bool,
    /// Scoped tokens (default none). `THERMO_API_TOKEN` adds one admin token.
    pub tokens: Vec<TokenConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            require_token_for_reads: true,
            tokens: Vec::new(),
        }
    }
}

/// `[jobs]`: periodic checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Whether this node runs the periodic jobs (default true).
    pub enabled: bool,
    /// Health-check interval in minutes (default 15); ticks are aligned to multiples of the
    /// interval since the Unix epoch (UTC), so every node computes the same ticks.
    pub health_check_minutes: u32,
    /// Entropy-analysis interval in minutes (default 60).
    pub entropy_analysis_minutes: u32,
    /// Hours of entropy history the critical-slowing test reads (default 24).
    pub entropy_history_hours: u32,
    /// Days of metric samples merged into the analysed schedule (default 90).
    pub metric_window_days: u32,
    /// Seconds between two looks of a job worker for queued tasks (default 2).
    pub poll_seconds: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            health_check_minutes: 15,
            entropy_analysis_minutes: 60,
            entropy_history_hours: 24,
            metric_window_days: 90,
            poll_seconds: 2,
        }
    }
}

/// `[alerts]`: de-duplication and webhook delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// An alert of the same program and kind is not raised again within this many minutes
    /// (default 60).
    pub cooldown_minutes: u32,
    /// Webhook URLs each alert is POSTed to (default none).
    pub webhooks: Vec<String>,
    /// Secret for the `X-Thermo-Signature: sha256=<hex HMAC>` header (default none: unsigned).
    pub webhook_secret: Option<String>,
    /// Attempts per delivery before it is marked failed (default 6).
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles per attempt (default 10).
    pub backoff_initial_seconds: u32,
    /// Upper bound of the retry delay in seconds (default 3600).
    pub backoff_max_seconds: u32,
    /// Per-request timeout in seconds (default 10).
    pub timeout_seconds: u32,
    /// How often due deliveries are looked for, in seconds (default 5).
    pub poll_seconds: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            cooldown_minutes: 60,
            webhooks: Vec::new(),
            webhook_secret: None,
            max_attempts: 6,
            backoff_initial_seconds: 10,
            backoff_max_seconds: 3600,
            timeout_seconds: 10,
            poll_seconds: 5,
        }
    }
}

/// The whole service configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Database URL (default `sqlite://thermo.db`).
    pub database_url: String,
    /// Pooled database connections (default 8).
    pub database_max_connections: u32,
    /// Seconds a request waits for a database connection before answering 503 (default 5).
    pub database_timeout_seconds: u32,
    /// Largest accepted request body in bytes (default 16 MiB).
    pub max_body_bytes: usize,
    /// Seconds a request may run before it is answered 408 (default 30).
    pub request_timeout_seconds: u32,
    /// Name of this node in job-run records (default: `node-<process id>`).
    pub node_name: Option<String>,
    /// Admin token: every program, read and write (env `THERMO_API_TOKEN`; default none).
    pub api_token: Option<String>,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[jobs]`.
    pub jobs: JobsConfig,
    /// `[alerts]`.
    pub alerts: AlertsConfig,
    /// `[analysis]`: every layer's thresholds, as for `thermo analyze --config`.
    pub analysis: AnalysisConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://thermo.db".to_owned(),
            database_max_connections: 8,
            database_timeout_seconds: 5,
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_seconds: 30,
            node_name: None,
            api_token: None,
            auth: AuthConfig::default(),
            jobs: JobsConfig::default(),
            alerts: AlertsConfig::default(),
            analysis: AnalysisConfig::default(),
        }
    }
}

impl ServerConfig {
    /// Loads the defaults, then `file` (TOML) if given, then the `THERMO_*` environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ServerError> {
        let mut builder = config::Config::builder().add_source(
            config::Config::try_from(&ServerConfig::default())
                .map_err(|e| ServerError::Config(e.to_string()))?,
        );
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("THERMO")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("alerts.webhooks"),
        );
        let settings = builder
            .build()
            .map_err(|e| ServerError::Config(e.to_string()))?;
        let mut config: ServerConfig = settings
            .try_deserialize()
            .map_err(|e| ServerError::Config(e.to_string()))?;
        if let Some(token) = config.api_token.clone()
            && !token.is_empty()
        {
            config.auth.tokens.push(TokenConfig {
                token,
                programs: vec!["*".to_owned()],
                access: Access::Write,
            });
        }
        config.validate()?;
        Ok(config)
    }

    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ServerError> {
        let problem = |m: &str| Err(ServerError::Config(m.to_owned()));
        if self.jobs.health_check_minutes == 0 || self.jobs.entropy_analysis_minutes == 0 {
            return problem("jobs intervals must be at least 1 minute");
        }
        if self.jobs.poll_seconds == 0 {
            return problem("jobs.poll_seconds must be at least 1");
        }
        if self.max_body_bytes == 0 {
            return problem("max_body_bytes must be positive");
        }
        if self.alerts.max_attempts == 0 {
            return problem("alerts.max_attempts must be at least 1");
        }
        if self.database_max_connections == 0 {
            return problem("database_max_connections must be at least 1");
        }
        for token in &self.auth.tokens {
            if token.token.len() < 8 {
                return problem("every auth token must have at least 8 characters");
            }
            if token.programs.is_empty() {
                return problem("every auth token must name programs (or \"*\")");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ServerConfig, ServerError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("thermo.toml");
        std::fs::write(&path, text).unwrap();
        ServerConfig::load(Some(&path))
    }

    #[test]
    fn file_overrides_defaults_and_keeps_the_rest() {
        let config = load(
            r#"
            database_url = "postgres://x@db/thermo"
            api_token = "admin-secret-token"
            [jobs]
            health_check_minutes = 5
            [[auth.tokens]]
            token = "icu-read-token"
            programs = ["icu"]
            [analysis.entropy]
            window_days = 14
            "#,
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://x@db/thermo");
        assert_eq!(config.jobs.health_check_minutes, 5);
        assert_eq!(config.jobs.entropy_analysis_minutes, 60, "defaults kept");
        assert_eq!(config.analysis.entropy.window_days, 14);
        assert_eq!(
            config.auth.tokens[0].access,
            Access::Read,
            "read is the default access"
        );
        let admin = &config.auth.tokens[1];
        assert_eq!(
            (admin.programs.as_slice(), admin.access),
            (&["*".to_owned()][..], Access::Write)
        );
    }

    #[test]
    fn unknown_keys_and_unusable_values_are_rejected() {
        assert!(load("lisen = \"127.0.0.1:1\"").is_err());
        assert!(load("[analysis.entropy]\nwindow = 3").is_err());
        assert!(load("[jobs]\nhealth_check_minutes = 0").is_err());
        assert!(load("[[auth.tokens]]\ntoken = \"short\"\nprograms = [\"*\"]").is_err());
    }
}
