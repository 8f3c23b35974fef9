//! Persistence of Thermo Resilience: one [`Store`] over SQLite (the default, WAL) or
//! PostgreSQL, with per-dialect migrations applied by [`Store::connect`].
//!
//! # Brief overview
//! - [`Store::connect`] opens `sqlite://FILE` or `postgres://…` and migrates the schema.
//! - Programs ([`Store::ensure_program`]), versioned, content-hashed schedule snapshots
//!   ([`Store::put_schedule`]), metric samples and events with idempotency keys
//!   ([`Store::insert_samples`], [`Store::insert_events`]).
//! - Health snapshots with their `thermodynamic_metrics`, `phase_transition_signals` and
//!   `transport_metrics` rows, written in one transaction ([`Store::record_health`]).
//! - Alerts with a cool-down and their webhook deliveries ([`Store::insert_alert`],
//!   [`Store::due_deliveries`]), and the per-tick job claims that make a periodic job run
//!   once per tick across nodes ([`Store::claim_tick`]).
//!
//! Every timestamp is UTC (`timestamptz` in PostgreSQL, RFC 3339 text in SQLite). The SQL is
//! shared by both dialects (numbered `$n` parameters work in both); each method is written
//! once and expanded for each pool by the `on_pool!` macro.

mod records;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, QueryBuilder, SqlSafeStr};

pub use records::*;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database url `{0}`: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// The database cannot be reached (connection refused, pool timed out, server gone).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// An idempotency key was reused with a different request body.
    #[error("idempotency key `{0}` was already used with a different request")]
    IdempotencyConflict(String),
    /// A value cannot be stored (non-finite number, bad identifier).
    #[error("invalid value: {0}")]
    Invalid(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error),
            sqlx::Error::Database(db) => {
                // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now,
                // 08xxx connection exceptions: the server is going away or not there yet.
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                if code.starts_with("57P") || code.starts_with("08") {
                    StoreError::Unavailable(error)
                } else {
                    StoreError::Database(error)
                }
            }
            _ => StoreError::Database(error),
        }
    }
}

impl StoreError {
    /// Whether retrying later may succeed (the database is unreachable, not the request wrong).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// The SQL dialect of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (embedded, one file, WAL journal).
    Sqlite,
    /// PostgreSQL (shared by several nodes).
    Postgres,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$store`; the body is
/// type-checked once per backend, so one query text serves both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock up front, so
/// two writers never deadlock on a lock upgrade), a plain `BEGIN` on PostgreSQL.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
            }
        }
    };
}

/// Inside a write transaction, records an idempotency key with the receipt about to be
/// committed. Evaluates to `None` when the key is new (the caller goes on writing), to the
/// first receipt (marked replayed) when the same request was already stored, and returns
/// [`StoreError::IdempotencyConflict`] when the key was used for a different request.
macro_rules! claim_key {
    ($tx:ident, $program_id:expr, $key:expr, $receipt:expr, $now:expr) => {{
        let key: &IdempotencyKey = $key;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (program_id, idempotency_key, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (program_id, idempotency_key) DO NOTHING",
        )
        .bind($program_id)
        .bind(&key.key)
        .bind(&key.request_hash)
        .bind(Json($receipt))
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            None
        } else {
            let (request_hash, Json(previous)): (String, Json<IngestReceipt>) = sqlx::query_as(
                "SELECT request_hash, response FROM idempotency_keys \
                 WHERE program_id = $1 AND idempotency_key = $2",
            )
            .bind($program_id)
            .bind(&key.key)
            .fetch_one(&mut *$tx)
            .await?;
            if request_hash != key.request_hash {
                return Err(StoreError::IdempotencyConflict(key.key.clone()));
            }
            Some(IngestReceipt {
                replayed: true,
                ..previous
            })
        }
    }};
}

struct MigrationFile {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[MigrationFile] = &[
    MigrationFile {
        version: 1,
        description: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    MigrationFile {
        version: 2,
        description: "defense memory",
        sqlite: include_str!("../migrations/sqlite/0002_defense_memory.sql"),
        postgres: include_str!("../migrations/postgres/0002_defense_memory.sql"),
    },
];

fn migrator(dialect: Dialect) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|file| {
            let sql = match dialect {
                Dialect::Sqlite => file.sqlite,
                Dialect::Postgres => file.postgres,
            };
            Migration::new(
                file.version,
                file.description.into(),
                MigrationType::Simple,
                AssertSqlSafe(sql).into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    // A job queue sharing the database may keep its own rows in the migrations table.
    migrator.set_ignore_missing(true);
    migrator
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Maximum pooled connections (default 8).
    pub max_connections: u32,
    /// How long a request waits for a connection before the store reports itself
    /// unavailable (default 5 s).
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to create (if missing) and use as `search_path`; used to
    /// isolate test runs and tenants sharing one database. `None` uses the server default.
    pub postgres_schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            postgres_schema: None,
        }
    }
}

/// The persistence handle; cheap to clone (it holds a pool).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// The SQLite database file; `None` for an in-memory database or PostgreSQL.
    sqlite_file: Option<PathBuf>,
}

/// Where a store keeps its data, for components that keep their own tables beside it (the
/// periodic-job queue).
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite database file.
    SqliteFile(PathBuf),
    /// A private in-memory SQLite database.
    SqliteInMemory,
    /// PostgreSQL, with the store's pool (its `search_path` selects the store's schema).
    Postgres(PgPool),
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "schema name `{schema}` must be lowercase letters, digits and _"
        )))
    }
}

fn finite(value: f64, what: &str) -> Result<f64, StoreError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(StoreError::Invalid(format!(
            "{what} is not a finite number"
        )))
    }
}

fn finite_opt(value: Option<f64>, what: &str) -> Result<Option<f64>, StoreError> {
    value.map(|v| finite(v, what)).transpose()
}

impl Store {
    /// Opens the database at `url` with default options and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Opens the database at `url` and applies the migrations.
    ///
    /// `sqlite://PATH` creates the file if missing and uses WAL with `synchronous=FULL`, so an
    /// acknowledged write survives a power loss; `sqlite::memory:` is a private in-memory
    /// database (one connection). `postgres://…` or `postgresql://…` use PostgreSQL.
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:");
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::Database)?
                .create_if_missing(true)
                .journal_mode(if in_memory {
                    SqliteJournalMode::Memory
                } else {
                    SqliteJournalMode::Wal
                })
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let sqlite_file = (!in_memory).then(|| connect.get_filename().to_path_buf());
            let pool = SqlitePoolOptions::new()
                .max_connections(if in_memory {
                    1
                } else {
                    options.max_connections
                })
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            migrator(Dialect::Sqlite).run(&pool).await?;
            return Ok(Self {
                backend: Backend::Sqlite(pool),
                sqlite_file,
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut connect = PgConnectOptions::from_str(url).map_err(StoreError::Database)?;
            if let Some(schema) = &options.postgres_schema {
                check_schema_name(schema)?;
                let setup = PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect.clone())
                    .await?;
                sqlx::query(AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}"
                )))
                .execute(&setup)
                .await?;
                setup.close().await;
                connect = connect.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            migrator(Dialect::Postgres).run(&pool).await?;
            return Ok(Self {
                backend: Backend::Postgres(pool),
                sqlite_file: None,
            });
        }
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    /// Drops a PostgreSQL schema and everything in it (test clean-up); no-op on SQLite.
    pub async fn drop_postgres_schema(&self, schema: &str) -> Result<(), StoreError> {
        check_schema_name(schema)?;
        if let Backend::Postgres(pool) = &self.backend {
            sqlx::query(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// The dialect of this store.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Where this store keeps its data.
    pub fn database(&self) -> Database {
        match (&self.backend, &self.sqlite_file) {
            (Backend::Sqlite(_), Some(path)) => Database::SqliteFile(path.clone()),
            (Backend::Sqlite(_), None) => Database::SqliteInMemory,
            (Backend::Postgres(pool), _) => Database::Postgres(pool.clone()),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for checked-out connections to be returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    // ---- programs ----------------------------------------------------------------------

    /// Returns the program named `name`, creating it at `now` if new.
    pub async fn ensure_program(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Program, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO programs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(now)
            .execute(pool)
            .await?;
        });
        self.program(name)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("program `{name}` vanished")))
    }

    /// The program named `name`, if it exists.
    pub async fn program(&self, name: &str) -> Result<Option<Program>, StoreError> {
        let row: Option<(i64, String, DateTime<Utc>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, created_at FROM programs WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(id, name, created_at)| Program {
            id,
            name,
            created_at,
        }))
    }

    /// Every program, by name, with its latest schedule version and health time.
    pub async fn list_programs(&self) -> Result<Vec<ProgramOverview>, StoreError> {
        const SQL: &str = "SELECT p.id, p.name, p.created_at, \
             (SELECT MAX(s.version) FROM schedule_snapshots s WHERE s.program_id = p.id), \
             (SELECT MAX(h.computed_at) FROM health_snapshots h WHERE h.program_id = p.id) \
             FROM programs p ORDER BY p.name";
        type Row = (
            i64,
            String,
            DateTime<Utc>,
            Option<i64>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, name, created_at, latest_schedule_version, latest_health_at)| {
                    ProgramOverview {
                        program: Program {
                            id,
                            name,
                            created_at,
                        },
                        latest_schedule_version,
                        latest_health_at,
                    }
                },
            )
            .collect())
    }

    // ---- schedule snapshots ------------------------------------------------------------

    /// Stores `bundle` as the program's next schedule version, unless it is identical
    /// (same SHA-256 of its canonical JSON) to the latest version, which is then returned
    /// with `created = false`. The version number and the content are written atomically.
    pub async fn put_schedule(
        &self,
        program_id: i64,
        bundle: &Value,
        counts: ScheduleCounts,
        now: DateTime<Utc>,
    ) -> Result<SnapshotReceipt, StoreError> {
        let canonical = serde_json::to_vec(bundle)
            .map_err(|e| StoreError::Invalid(format!("bundle cannot be encoded: {e}")))?;
        let content_hash = sha256_hex(&canonical);
        let people = i64::try_from(counts.people).unwrap_or(i64::MAX);
        let assignments = i64::try_from(counts.assignments).unwrap_or(i64::MAX);
        write_tx!(self, tx => {
            let latest: Option<(i64, String)> = sqlx::query_as(
                "SELECT version, content_hash FROM schedule_snapshots WHERE program_id = $1 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(program_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((version, hash)) = &latest
                && *hash == content_hash
            {
                tx.rollback().await?;
                return Ok(SnapshotReceipt { version: *version, content_hash, created: false });
            }
            let version = latest.map_or(1, |(v, _)| v + 1);
            sqlx::query(
                "INSERT INTO schedule_snapshots \
                 (program_id, version, content_hash, bundle, people, assignments, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(program_id)
            .bind(version)
            .bind(&content_hash)
            .bind(Json(bundle))
            .bind(people)
            .bind(assignments)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(SnapshotReceipt { version, content_hash, created: true })
        })
    }

    /// The latest schedule snapshot of a program.
    pub async fn latest_schedule(
        &self,
        program_id: i64,
    ) -> Result<Option<StoredSchedule>, StoreError> {
        type Row = (i64, String, Json<Value>, DateTime<Utc>);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT version, content_hash, bundle, created_at FROM schedule_snapshots \
                 WHERE program_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .bind(program_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(version, content_hash, Json(bundle), created_at)| StoredSchedule {
                version,
                content_hash,
                bundle,
                created_at,
            },
        ))
    }

    // ---- idempotent ingestion ----------------------------------------------------------

    /// Stores metric samples (an existing (metric, timestamp) pair is overwritten: last write
    /// wins). With an idempotency key, the samples and the receipt are committed together, and
    /// a repeat of the same key with the same request returns the first receipt without
    /// writing again.
    pub async fn insert_samples(
        &self,
        program_id: i64,
        samples: &[SampleRow],
        idempotency: Option<&IdempotencyKey>,
        now: DateTime<Utc>,
    ) -> Result<IngestReceipt, StoreError> {
        for sample in samples {
            finite(sample.value, "sample value")?;
        }
        // One statement may not touch a key twice (PostgreSQL refuses it): keep the last.
        let mut deduped: Vec<&SampleRow> = Vec::with_capacity(samples.len());
        {
            let mut seen = std::collections::HashMap::with_capacity(samples.len());
            for sample in samples {
                match seen.entry((sample.metric.as_str(), sample.timestamp)) {
                    std::collections::hash_map::Entry::Occupied(slot) => {
                        deduped[*slot.get()] = sample;
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(deduped.len());
                        deduped.push(sample);
                    }
                }
            }
        }
        let receipt = IngestReceipt {
            accepted: samples.len() as u64,
            replayed: false,
        };
        write_tx!(self, tx => {
            if let Some(key) = idempotency
                && let Some(previous) = claim_key!(tx, program_id, key, &receipt, now)
            {
                tx.rollback().await?;
                return Ok(previous);
            }
            BulkSamples::insert_bulk(&mut *tx, program_id, &deduped).await?;
            tx.commit().await?;
            Ok(receipt)
        })
    }

    /// Stores swap and absence events, with the same idempotency contract as
    /// [`Store::insert_samples`].
    pub async fn insert_events(
        &self,
        program_id: i64,
        events: &[EventRow],
        idempotency: Option<&IdempotencyKey>,
        now: DateTime<Utc>,
    ) -> Result<IngestReceipt, StoreError> {
        let receipt = IngestReceipt {
            accepted: events.len() as u64,
            replayed: false,
        };
        write_tx!(self, tx => {
            if let Some(key) = idempotency
                && let Some(previous) = claim_key!(tx, program_id, key, &receipt, now)
            {
                tx.rollback().await?;
                return Ok(previous);
            }
            for event in events {
                sqlx::query(
                    "INSERT INTO events (program_id, kind, payload, received_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(program_id)
                .bind(event.kind.as_str())
                .bind(Json(&event.payload))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(receipt)
        })
    }

    /// Every stored event of a program, oldest first.
    pub async fn events(&self, program_id: i64) -> Result<Vec<StoredEvent>, StoreError> {
        type Row = (i64, String, Json<Value>, DateTime<Utc>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, kind, payload, received_at FROM events WHERE program_id = $1 ORDER BY id",
            )
            .bind(program_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, kind, Json(payload), received_at)| {
                Ok(StoredEvent {
                    id,
                    kind: EventKind::parse(&kind).ok_or_else(|| {
                        StoreError::Invalid(format!("unknown event kind `{kind}` in the database"))
                    })?,
                    payload,
                    received_at,
                })
            })
            .collect()
    }

    /// Samples of one metric in `[from, to]`, oldest first, at most `limit`.
    pub async fn metric_history(
        &self,
        program_id: i64,
        metric: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SampleRow>, StoreError> {
        let rows: Vec<(DateTime<Utc>, f64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT timestamp, value FROM metric_samples WHERE program_id = $1 AND metric = $2 \
                 AND timestamp >= $3 AND timestamp <= $4 ORDER BY timestamp LIMIT $5",
            )
            .bind(program_id)
            .bind(metric)
            .bind(from)
            .bind(to)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(timestamp, value)| SampleRow {
                metric: metric.to_owned(),
                timestamp,
                value,
            })
            .collect())
    }

    /// Every stored sample of a program at or after `since`, ordered by metric then time.
    pub async fn samples_since(
        &self,
        program_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<SampleRow>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>, f64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT metric, timestamp, value FROM metric_samples WHERE program_id = $1 \
                 AND timestamp >= $2 ORDER BY metric, timestamp",
            )
            .bind(program_id)
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(metric, timestamp, value)| SampleRow {
                metric,
                timestamp,
                value,
            })
            .collect())
    }

    // ---- health snapshots --------------------------------------------------------------

    /// Writes a health snapshot, its thermodynamic row with signals and its transport row in
    /// one transaction; returns the snapshot id. Either everything is stored or nothing.
    pub async fn record_health(&self, record: &HealthRecord) -> Result<i64, StoreError> {
        let thermo = &record.thermodynamics;
        for (value, what) in [
            (thermo.person_entropy, "person_entropy"),
            (thermo.rotation_entropy, "rotation_entropy"),
            (thermo.time_entropy, "time_entropy"),
            (thermo.joint_entropy, "joint_entropy"),
            (thermo.mutual_information, "mutual_information"),
            (thermo.normalized_entropy, "normalized_entropy"),
            (thermo.entropy_production_rate, "entropy_production_rate"),
            (thermo.free_energy, "free_energy"),
            (thermo.internal_energy, "internal_energy"),
            (thermo.effective_temperature, "effective_temperature"),
            (thermo.time_to_transition, "time_to_transition"),
            (thermo.confidence, "confidence"),
        ] {
            finite_opt(value, what)?;
        }
        write_tx!(self, tx => {
            let (snapshot_id,): (i64,) = sqlx::query_as(
                "INSERT INTO health_snapshots \
                 (program_id, computed_at, analysis_date, schedule_version, triggered_by, report) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(record.program_id)
            .bind(record.computed_at)
            .bind(record.analysis_date)
            .bind(record.schedule_version)
            .bind(&record.triggered_by)
            .bind(Json(&record.report))
            .fetch_one(&mut *tx)
            .await?;
            let (metric_id,): (i64,) = sqlx::query_as(
                "INSERT INTO thermodynamic_metrics (program_id, health_snapshot_id, timestamp, \
                 person_entropy, rotation_entropy, time_entropy, joint_entropy, mutual_information, \
                 normalized_entropy, entropy_production_rate, free_energy, internal_energy, \
                 effective_temperature, phase_transition_severity, time_to_transition, confidence, \
                 computed_by, notes) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 RETURNING id",
            )
            .bind(record.program_id)
            .bind(snapshot_id)
            .bind(record.computed_at)
            .bind(thermo.person_entropy)
            .bind(thermo.rotation_entropy)
            .bind(thermo.time_entropy)
            .bind(thermo.joint_entropy)
            .bind(thermo.mutual_information)
            .bind(thermo.normalized_entropy)
            .bind(thermo.entropy_production_rate)
            .bind(thermo.free_energy)
            .bind(thermo.internal_energy)
            .bind(thermo.effective_temperature)
            .bind(&thermo.phase_transition_severity)
            .bind(thermo.time_to_transition)
            .bind(thermo.confidence)
            .bind(&thermo.computed_by)
            .bind(&thermo.notes)
            .fetch_one(&mut *tx)
            .await?;
            for signal in &record.signals {
                sqlx::query(
                    "INSERT INTO phase_transition_signals (metric_id, detected_at, signal_type, \
                     metric_name, severity, value, threshold, description) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(metric_id)
                .bind(signal.detected_at)
                .bind(&signal.signal_type)
                .bind(&signal.metric_name)
                .bind(&signal.severity)
                .bind(signal.value.filter(|v| v.is_finite()))
                .bind(signal.threshold.filter(|v| v.is_finite()))
                .bind(&signal.description)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(transport) = &record.transport {
                sqlx::query(
                    "INSERT INTO transport_metrics (program_id, health_snapshot_id, timestamp, \
                     saturation_gradient, peclet_number, boundary_layer_thickness, \
                     time_to_saturation_minutes, effective_diffusion) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(record.program_id)
                .bind(snapshot_id)
                .bind(record.computed_at)
                .bind(transport.saturation_gradient.filter(|v| v.is_finite()))
                .bind(transport.peclet_number.filter(|v| v.is_finite()))
                .bind(transport.boundary_layer_thickness.filter(|v| v.is_finite()))
                .bind(transport.time_to_saturation_minutes.filter(|v| v.is_finite()))
                .bind(transport.effective_diffusion.filter(|v| v.is_finite()))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(snapshot_id)
        })
    }

    /// The latest health snapshot of a program.
    pub async fn latest_health(&self, program_id: i64) -> Result<Option<StoredHealth>, StoreError> {
        type Row = (i64, DateTime<Utc>, NaiveDate, i64, String, Json<Value>);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, computed_at, analysis_date, schedule_version, triggered_by, report \
                 FROM health_snapshots WHERE program_id = $1 ORDER BY computed_at DESC, id DESC LIMIT 1",
            )
            .bind(program_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(id, computed_at, analysis_date, schedule_version, triggered_by, Json(report))| {
                StoredHealth {
                    id,
                    computed_at,
                    analysis_date,
                    schedule_version,
                    triggered_by,
                    report,
                }
            },
        ))
    }

    /// Thermodynamic rows of a program at or after `since`, oldest first.
    pub async fn thermodynamics_since(
        &self,
        program_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<StoredThermodynamics>, StoreError> {
        let rows: Vec<ThermoDbRow> = on_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {THERMO_COLUMNS} FROM thermodynamic_metrics WHERE program_id = $1 \
                 AND timestamp >= $2 ORDER BY timestamp, id"
            )))
            .bind(program_id)
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The latest thermodynamic row of a program with its phase-transition signals.
    pub async fn latest_thermodynamics(
        &self,
        program_id: i64,
    ) -> Result<Option<(StoredThermodynamics, Vec<SignalRow>)>, StoreError> {
        let row: Option<ThermoDbRow> = on_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {THERMO_COLUMNS} FROM thermodynamic_metrics WHERE program_id = $1 \
                 ORDER BY timestamp DESC, id DESC LIMIT 1"
            )))
            .bind(program_id)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let thermo = row.0;
        type SignalTuple = (
            DateTime<Utc>,
            String,
            String,
            String,
            Option<f64>,
            Option<f64>,
            String,
        );
        let signals: Vec<SignalTuple> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT detected_at, signal_type, metric_name, severity, value, threshold, description \
                 FROM phase_transition_signals WHERE metric_id = $1 ORDER BY id",
            )
            .bind(thermo.id)
            .fetch_all(pool)
            .await?
        });
        let signals = signals
            .into_iter()
            .map(
                |(
                    detected_at,
                    signal_type,
                    metric_name,
                    severity,
                    value,
                    threshold,
                    description,
                )| {
                    SignalRow {
                        detected_at,
                        signal_type,
                        metric_name,
                        severity,
                        value,
                        threshold,
                        description,
                    }
                },
            )
            .collect();
        Ok(Some((thermo, signals)))
    }

    /// The latest transport row of a program.
    pub async fn latest_transport(
        &self,
        program_id: i64,
    ) -> Result<Option<(DateTime<Utc>, TransportRow)>, StoreError> {
        type Row = (
            DateTime<Utc>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
        );
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT timestamp, saturation_gradient, peclet_number, boundary_layer_thickness, \
                 time_to_saturation_minutes, effective_diffusion FROM transport_metrics \
                 WHERE program_id = $1 ORDER BY timestamp DESC, id DESC LIMIT 1",
            )
            .bind(program_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(at, g, pe, thickness, tts, d_eff)| {
            (
                at,
                TransportRow {
                    saturation_gradient: g,
                    peclet_number: pe,
                    boundary_layer_thickness: thickness,
                    time_to_saturation_minutes: tts,
                    effective_diffusion: d_eff,
                },
            )
        }))
    }

    // ---- alerts ------------------------------------------------------------------------

    /// Stores `alert` and one pending delivery per webhook URL, unless an alert of the same
    /// program and kind was stored less than `cooldown` before `alert.created_at`; returns
    /// the new alert id, or `None` when the cool-down suppressed it. The check and the
    /// insert run in one write transaction, so two nodes cannot both store it.
    pub async fn insert_alert(
        &self,
        alert: &NewAlert,
        webhook_urls: &[String],
        cooldown: chrono::Duration,
    ) -> Result<Option<i64>, StoreError> {
        let window_start = alert.created_at - cooldown;
        write_tx!(self, tx => {
            if let Backend::Postgres(_) = &self.backend {
                // Serialise alert insertion per (program, kind) across nodes.
                sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind(i32::try_from(alert.program_id % i64::from(i32::MAX)).unwrap_or(0))
                    .bind(&alert.kind)
                    .execute(&mut *tx)
                    .await?;
            }
            let recent: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM alerts WHERE program_id = $1 AND kind = $2 AND created_at > $3 \
                 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(alert.program_id)
            .bind(&alert.kind)
            .bind(window_start)
            .fetch_optional(&mut *tx)
            .await?;
            if recent.is_some() {
                tx.rollback().await?;
                return Ok(None);
            }
            let (alert_id,): (i64,) = sqlx::query_as(
                "INSERT INTO alerts (program_id, kind, severity, title, message, details, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(alert.program_id)
            .bind(&alert.kind)
            .bind(&alert.severity)
            .bind(&alert.title)
            .bind(&alert.message)
            .bind(Json(&alert.details))
            .bind(alert.created_at)
            .fetch_one(&mut *tx)
            .await?;
            for url in webhook_urls {
                sqlx::query(
                    "INSERT INTO alert_deliveries (alert_id, webhook_url, status, attempts, \
                     next_attempt_at, updated_at) VALUES ($1, $2, 'pending', 0, $3, $3)",
                )
                .bind(alert_id)
                .bind(url)
                .bind(alert.created_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Some(alert_id))
        })
    }

    /// The newest alerts of a program (at most `limit`) with their delivery states.
    pub async fn alerts(
        &self,
        program_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        type AlertTuple = (
            i64,
            String,
            String,
            String,
            String,
            Json<Value>,
            DateTime<Utc>,
        );
        let rows: Vec<AlertTuple> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, kind, severity, title, message, details, created_at FROM alerts \
                 WHERE program_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(program_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut alerts = Vec::with_capacity(rows.len());
        for (id, kind, severity, title, message, Json(details), created_at) in rows {
            type DeliveryTuple = (
                i64,
                String,
                String,
                i64,
                Option<String>,
                Option<DateTime<Utc>>,
                Option<DateTime<Utc>>,
            );
            let deliveries: Vec<DeliveryTuple> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT id, webhook_url, status, attempts, last_error, next_attempt_at, delivered_at \
                     FROM alert_deliveries WHERE alert_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(pool)
                .await?
            });
            alerts.push(StoredAlert {
                id,
                kind,
                severity,
                title,
                message,
                details,
                created_at,
                deliveries: deliveries
                    .into_iter()
                    .map(
                        |(
                            id,
                            webhook_url,
                            status,
                            attempts,
                            last_error,
                            next_attempt_at,
                            delivered_at,
                        )| {
                            DeliveryState {
                                id,
                                webhook_url,
                                status,
                                attempts,
                                last_error,
                                next_attempt_at,
                                delivered_at,
                            }
                        },
                    )
                    .collect(),
            });
        }
        Ok(alerts)
    }

    /// Pending deliveries whose next attempt is due at `now`, oldest first, at most `limit`,
    /// with their alert and program name.
    pub async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        type Row = (
            i64,
            String,
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            Json<Value>,
            DateTime<Utc>,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, d.webhook_url, d.attempts, a.id, p.name, a.kind, a.severity, a.title, \
                 a.message, a.details, a.created_at, d.next_attempt_at FROM alert_deliveries d \
                 JOIN alerts a ON a.id = d.alert_id JOIN programs p ON p.id = a.program_id \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
                 ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    delivery_id,
                    webhook_url,
                    attempts,
                    alert_id,
                    program,
                    kind,
                    severity,
                    title,
                    message,
                    Json(details),
                    created_at,
                    next_attempt_at,
                )| DueDelivery {
                    delivery_id,
                    webhook_url,
                    attempts,
                    next_attempt_at,
                    alert: AlertPayload {
                        alert_id,
                        program,
                        kind,
                        severity,
                        title,
                        message,
                        details,
                        created_at,
                    },
                },
            )
            .collect())
    }

    /// Leases a due delivery to the caller until `lease_until`: succeeds for exactly one
    /// caller among nodes that read the same due row (the update compares the attempt count
    /// and the due time it read), so one attempt is sent by one node. A node that dies after
    /// leasing leaves the delivery pending, due again at `lease_until`.
    pub async fn lease_delivery(
        &self,
        due: &DueDelivery,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE alert_deliveries SET next_attempt_at = $1 \
                 WHERE id = $2 AND status = 'pending' AND attempts = $3 AND next_attempt_at = $4",
            )
            .bind(lease_until)
            .bind(due.delivery_id)
            .bind(due.attempts)
            .bind(due.next_attempt_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Moves a pending delivery forward: to `delivered`, to another pending attempt at
    /// `next_attempt_at`, or to `failed` when `next_attempt_at` is `None` after an error.
    /// Only a still-pending delivery whose attempt count is `expected_attempts` is changed,
    /// so two nodes cannot both record the same attempt; returns whether this call did.
    pub async fn record_delivery_attempt(
        &self,
        delivery_id: i64,
        expected_attempts: i64,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (status, error, next, delivered_at) = match outcome {
            DeliveryOutcome::Delivered => ("delivered", None, None, Some(now)),
            DeliveryOutcome::Retry {
                error,
                next_attempt_at,
            } => (
                "pending",
                Some(error.as_str()),
                Some(*next_attempt_at),
                None,
            ),
            DeliveryOutcome::GaveUp { error } => ("failed", Some(error.as_str()), None, None),
        };
        let affected = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE alert_deliveries SET status = $1, attempts = attempts + 1, last_error = $2, \
                 next_attempt_at = $3, delivered_at = $4, updated_at = $5 \
                 WHERE id = $6 AND status = 'pending' AND attempts = $7",
            )
            .bind(status)
            .bind(error)
            .bind(next)
            .bind(delivered_at)
            .bind(now)
            .bind(delivery_id)
            .bind(expected_attempts)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    // ---- defense memory ----------------------------------------------------------------

    /// The defense controller's memory of a program (`None` before its first check).
    pub async fn defense_memory(
        &self,
        program_id: i64,
    ) -> Result<Option<thermo_core::resilience::defense::DefenseMemory>, StoreError> {
        let row: Option<(Json<thermo_core::resilience::defense::DefenseMemory>,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT memory FROM defense_memory WHERE program_id = $1")
                .bind(program_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(Json(memory),)| memory))
    }

    /// Stores the defense controller's memory of a program, replacing the previous one.
    pub async fn save_defense_memory(
        &self,
        program_id: i64,
        memory: &thermo_core::resilience::defense::DefenseMemory,
        updated_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO defense_memory (program_id, memory, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (program_id) DO UPDATE SET memory = excluded.memory, \
                 updated_at = excluded.updated_at",
            )
            .bind(program_id)
            .bind(Json(memory))
            .bind(updated_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    // ---- periodic jobs -----------------------------------------------------------------

    /// Claims the run of `job` for `program_id` at `tick` for `node`: `true` for exactly one
    /// caller per (job, program, tick), whichever node asks first; every later caller gets
    /// `false`. The unique key of `job_runs` is the arbiter, so this holds across processes
    /// sharing the database.
    pub async fn claim_tick(
        &self,
        job: &str,
        program_id: i64,
        tick: DateTime<Utc>,
        node: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO job_runs (job, program_id, tick, node, started_at, status) \
                 VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT (job, program_id, tick) DO NOTHING",
            )
            .bind(job)
            .bind(program_id)
            .bind(tick)
            .bind(node)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Records the end of a claimed run.
    pub async fn finish_tick(
        &self,
        job: &str,
        program_id: i64,
        tick: DateTime<Utc>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE job_runs SET finished_at = $1, status = $2, error = $3 \
                 WHERE job = $4 AND program_id = $5 AND tick = $6",
            )
            .bind(now)
            .bind(if error.is_some() { "failed" } else { "succeeded" })
            .bind(error)
            .bind(job)
            .bind(program_id)
            .bind(tick)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The runs of `job` for a program, oldest tick first.
    pub async fn job_runs(&self, job: &str, program_id: i64) -> Result<Vec<JobRun>, StoreError> {
        type Row = (
            DateTime<Utc>,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT tick, node, started_at, finished_at, status, error FROM job_runs \
                 WHERE job = $1 AND program_id = $2 ORDER BY tick",
            )
            .bind(job)
            .bind(program_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(tick, node, started_at, finished_at, status, error)| JobRun {
                    tick,
                    node,
                    started_at,
                    finished_at,
                    status,
                    error,
                },
            )
            .collect())
    }
}

/// Batch insertion of samples, one implementation per dialect.
trait BulkSamples {
    /// Upserts `rows` (no two with the same metric and timestamp).
    async fn insert_bulk(
        &mut self,
        program_id: i64,
        rows: &[&SampleRow],
    ) -> Result<(), sqlx::Error>;
}

impl BulkSamples for sqlx::SqliteConnection {
    async fn insert_bulk(
        &mut self,
        program_id: i64,
        rows: &[&SampleRow],
    ) -> Result<(), sqlx::Error> {
        // 4 parameters per row; SQLite allows 32,766 per statement.
        const ROWS_PER_STATEMENT: usize = 2_000;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut builder = QueryBuilder::new(
                "INSERT INTO metric_samples (program_id, metric, timestamp, value) ",
            );
            builder.push_values(chunk, |mut row, sample| {
                row.push_bind(program_id)
                    .push_bind(sample.metric.as_str())
                    .push_bind(sample.timestamp)
                    .push_bind(sample.value);
            });
            builder.push(
                " ON CONFLICT (program_id, metric, timestamp) DO UPDATE SET value = excluded.value",
            );
            builder.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl BulkSamples for sqlx::PgConnection {
    async fn insert_bulk(
        &mut self,
        program_id: i64,
        rows: &[&SampleRow],
    ) -> Result<(), sqlx::Error> {
        // One statement with three array parameters: parsed and planned once per batch.
        let metrics: Vec<&str> = rows.iter().map(|s| s.metric.as_str()).collect();
        let times: Vec<DateTime<Utc>> = rows.iter().map(|s| s.timestamp).collect();
        let values: Vec<f64> = rows.iter().map(|s| s.value).collect();
        sqlx::query(
            "INSERT INTO metric_samples (program_id, metric, timestamp, value) \
             SELECT $1, m, t, v FROM UNNEST($2::text[], $3::timestamptz[], $4::float8[]) AS u(m, t, v) \
             ON CONFLICT (program_id, metric, timestamp) DO UPDATE SET value = excluded.value",
        )
        .bind(program_id)
        .bind(&metrics)
        .bind(&times)
        .bind(&values)
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}

const THERMO_COLUMNS: &str = "id, timestamp, person_entropy, rotation_entropy, time_entropy, \
     joint_entropy, mutual_information, normalized_entropy, entropy_production_rate, free_energy, \
     internal_energy, effective_temperature, phase_transition_severity, time_to_transition, \
     confidence, computed_by, notes";

/// A `thermodynamic_metrics` row decoded by column name (it has more columns than sqlx's
/// tuple decoding supports).
struct ThermoDbRow(StoredThermodynamics);

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for ThermoDbRow
where
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(ThermoDbRow(StoredThermodynamics {
            id: row.try_get("id")?,
            timestamp: row.try_get("timestamp")?,
            row: ThermodynamicsRow {
                person_entropy: row.try_get("person_entropy")?,
                rotation_entropy: row.try_get("rotation_entropy")?,
                time_entropy: row.try_get("time_entropy")?,
                joint_entropy: row.try_get("joint_entropy")?,
                mutual_information: row.try_get("mutual_information")?,
                normalized_entropy: row.try_get("normalized_entropy")?,
                entropy_production_rate: row.try_get("entropy_production_rate")?,
                free_energy: row.try_get("free_energy")?,
                internal_energy: row.try_get("internal_energy")?,
                effective_temperature: row.try_get("effective_temperature")?,
                phase_transition_severity: row.try_get("phase_transition_severity")?,
                time_to_transition: row.try_get("time_to_transition")?,
                confidence: row.try_get("confidence")?,
                computed_by: row.try_get("computed_by")?,
                notes: row.try_get("notes")?,
            },
        }))
    }
}
