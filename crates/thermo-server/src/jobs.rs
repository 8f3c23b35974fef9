//! Periodic jobs on apalis: the health check (every `jobs.health_check_minutes`, default 15)
//! and the entropy analysis (every `jobs.entropy_analysis_minutes`, default 60), per program.
//!
//! # How a tick becomes one run
//! - **Ticks.** Every node runs one apalis-cron schedule per job. Ticks lie on the grid of the
//!   interval since the Unix epoch (UTC), so every node computes the same ticks. An interval
//!   that divides an hour (or a day, in whole hours) is a plain cron expression; any other
//!   interval fires every minute and keeps only the minutes on its grid ([`cron_expression`],
//!   [`is_on_grid`]).
//! - **Enqueue.** On a tick, each node pushes one [`CheckTask`] per program with a schedule
//!   into the shared apalis storage, with the idempotency key `"{job}:{program_id}:{tick}"`
//!   ([`enqueue_tick`]). The storage's unique index on (queue, idempotency key) keeps exactly
//!   one task per tick and program however many nodes push it: PostgreSQL rejects the
//!   duplicate (taken as "already enqueued"), SQLite drops it.
//! - **Run.** Every node runs one apalis worker per job (one task at a time, one task fetched
//!   per poll, so the tasks spread over the nodes). The worker claims the run in `job_runs`
//!   (primary key (job, program, tick)) before it runs the check, and records its end there
//!   ([`execute`]). The claim is the run record and a second guard: a task delivered twice (a
//!   re-enqueued orphan) finds the claim and is skipped.
//! - **Storage.** PostgreSQL stores use apalis-postgres in the `apalis` schema of the same
//!   database (own pool, own `apalis._sqlx_migrations`); SQLite stores use apalis-sqlite in a
//!   separate file `jobs.sqlite` beside the database file (own pool, so apalis's PRAGMAs never
//!   touch the store's connections); an in-memory store gets a private in-memory queue. Queue
//!   names carry the store's scope (PostgreSQL schema or SQLite file name), so stores sharing
//!   one queue database never exchange tasks ([`JobQueue::queue_name`]).
//! - **Shutdown.** The shutdown signal stops the cron streams and the apalis monitor; a check
//!   in progress finishes and is recorded, tasks fetched but not started go back to the queue.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration as StdDuration, Instant};

use apalis::layers::prometheus::PrometheusLayer;
/// Status of a queued task (`Pending`, `Running`, `Done`, …), as apalis records it.
pub use apalis::prelude::Status;
use apalis::prelude::{
    BackendExt, BoxDynError, Filter, ListTasks, Monitor, TaskBuilder, TaskSink, TaskSinkError,
    WorkerBuilder, WorkerBuilderExt,
};
use apalis_cron::CronScheduler;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use thermo_store::{Database, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::check::{self, CheckError};
use crate::config::JobsConfig;
use crate::{AppState, gauges};

/// Attempts apalis makes at a task whose handler failed before the run was claimed (the
/// store was unreachable); a claimed run is recorded in `job_runs` and never retried.
const MAX_ATTEMPTS: usize = 3;
/// How often a worker reports that it is alive.
const HEARTBEAT: StdDuration = StdDuration::from_secs(30);
/// Heartbeats a worker may miss before its locked tasks are re-enqueued for other workers.
const MISSED_HEARTBEATS: usize = 4;
/// Pause before a worker that stopped on a storage error starts again.
const RESTART_DELAY: StdDuration = StdDuration::from_secs(5);
/// Finished tasks older than this are deleted from the queue.
const KEEP_FINISHED_DAYS: i64 = 7;
/// Name of the SQLite queue file beside the store's database file.
pub const SQLITE_QUEUE_FILE: &str = "jobs.sqlite";

/// The periodic jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// The thermodynamic health check (integration guide: every 15 minutes).
    HealthCheck,
    /// The entropy analysis with the critical-slowing test (integration guide: hourly).
    EntropyAnalysis,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 2] = [Job::HealthCheck, Job::EntropyAnalysis];

    /// Name used in `job_runs`, queue names, metrics labels and logs.
    pub fn name(self) -> &'static str {
        match self {
            Job::HealthCheck => "health_check",
            Job::EntropyAnalysis => "entropy_analysis",
        }
    }

    /// The configured interval in minutes (at least 1).
    pub fn interval_minutes(self, config: &JobsConfig) -> u32 {
        match self {
            Job::HealthCheck => config.health_check_minutes,
            Job::EntropyAnalysis => config.entropy_analysis_minutes,
        }
        .max(1)
    }
}

/// One run of a job for one program at one tick: the payload of an apalis task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckTask {
    /// The job.
    pub job: Job,
    /// The program's id.
    pub program_id: i64,
    /// The program's name.
    pub program: String,
    /// The tick (UTC, on the job's interval grid).
    pub tick: DateTime<Utc>,
}

impl CheckTask {
    /// `"{job}:{program_id}:{tick}"`, the key that makes the task unique in its queue.
    pub fn idempotency_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.job.name(),
            self.program_id,
            self.tick.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// Why the job queue failed.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// The queue database could not be opened or queried.
    #[error("job queue database: {0}")]
    Database(#[from] sqlx::Error),
    /// apalis could not set up its tables or store a task.
    #[error("job queue: {0}")]
    Queue(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The first tick strictly after `now` on the grid of `interval` since the Unix epoch.
pub fn next_tick(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = interval.num_milliseconds().max(1);
    let now_ms = now.timestamp_millis();
    let next = (now_ms.div_euclid(step) + 1) * step;
    Utc.timestamp_millis_opt(next).single().unwrap_or(now)
}

/// Whether `at` lies on the grid of `minutes` since the Unix epoch.
pub fn is_on_grid(at: DateTime<Utc>, minutes: u32) -> bool {
    let step = i64::from(minutes.max(1)) * 60;
    at.timestamp().rem_euclid(step) == 0
}

/// The six-field cron expression (seconds first) whose firings include every tick of an
/// interval of `minutes`: exact when the interval divides an hour, or a day in whole hours;
/// every minute otherwise, the firings off the grid being dropped by [`is_on_grid`].
pub fn cron_expression(minutes: u32) -> String {
    let minutes = minutes.max(1);
    if minutes < 60 && 60u32.is_multiple_of(minutes) {
        format!("0 */{minutes} * * * *")
    } else if minutes.is_multiple_of(60) && 1440u32.is_multiple_of(minutes) {
        let hours = minutes / 60;
        if hours == 24 {
            "0 0 0 * * *".to_owned()
        } else {
            format!("0 0 */{hours} * * *")
        }
    } else {
        "0 * * * * *".to_owned()
    }
}

#[derive(Debug, Clone)]
enum QueueDatabase {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The apalis storage of the periodic jobs, shared by every node using the same store.
#[derive(Debug, Clone)]
pub struct JobQueue {
    database: QueueDatabase,
    /// Distinguishes stores sharing one queue database (PostgreSQL schema, SQLite file name).
    scope: String,
    /// Seconds between two polls of a worker for new tasks.
    poll: StdDuration,
}

impl JobQueue {
    /// Opens (and sets up) the queue beside the store's `database` (`Store::database`); see
    /// the module documentation for where it lives.
    pub async fn open(database: Database, config: &JobsConfig) -> Result<Self, JobsError> {
        let poll = StdDuration::from_secs(u64::from(config.poll_seconds.max(1)));
        let (database, scope) = match database {
            Database::SqliteFile(path) => {
                let queue_file = path.with_file_name(SQLITE_QUEUE_FILE);
                let pool = open_sqlite_queue(&queue_file, false).await?;
                let scope = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "thermo".to_owned());
                (QueueDatabase::Sqlite(pool), scope)
            }
            Database::SqliteInMemory => {
                let pool = open_sqlite_queue(Path::new(":memory:"), true).await?;
                (QueueDatabase::Sqlite(pool), "memory".to_owned())
            }
            Database::Postgres(store_pool) => {
                let (scope,): (String,) = sqlx::query_as("SELECT current_schema()::text")
                    .fetch_one(&store_pool)
                    .await?;
                // apalis qualifies its tables with `apalis.` but names the hstore type
                // unqualified; `public` is where an existing hstore usually lives, `apalis`
                // where apalis creates it otherwise. The store's own schema (often a private
                // one that may be dropped) is never used.
                let options = store_pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .options([("search_path", "apalis,public")]);
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(StdDuration::from_secs(10))
                    .connect_with(options)
                    .await?;
                PostgresStorage::setup(&pool)
                    .await
                    .map_err(|e| JobsError::Queue(format!("apalis-postgres setup: {e}")))?;
                (QueueDatabase::Postgres(pool), scope)
            }
        };
        Ok(Self {
            database,
            scope,
            poll,
        })
    }

    /// The apalis queue of `job`: `thermo:{scope}:{job}`.
    pub fn queue_name(&self, job: Job) -> String {
        format!("thermo:{}:{}", self.scope, job.name())
    }

    fn sqlite_config(&self, job: Job) -> apalis_sqlite::Config {
        apalis_sqlite::Config::default()
            .queue(self.queue_name(job))
            .batch_size(1)
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
    }

    fn postgres_config(&self, job: Job) -> apalis_postgres::Config {
        apalis_postgres::Config::default()
            .queue(self.queue_name(job))
            .batch_size(1)
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
    }

    /// Pushes `task` unless a task with the same idempotency key is already queued (pushed by
    /// this or another node); both cases succeed.
    pub async fn push(&self, task: &CheckTask) -> Result<(), JobsError> {
        let built = TaskBuilder::new(task.clone())
            .idempotency_key(task.idempotency_key())
            .max_attempts(MAX_ATTEMPTS)
            .build();
        match &self.database {
            QueueDatabase::Sqlite(pool) => {
                let mut storage =
                    SqliteStorage::<CheckTask>::new(pool).with_config(self.sqlite_config(task.job));
                storage
                    .push_task(built)
                    .await
                    .map_err(|e| JobsError::Queue(e.to_string()))
            }
            QueueDatabase::Postgres(pool) => {
                let mut storage = PostgresStorage::<CheckTask>::new(pool)
                    .with_config(self.postgres_config(task.job));
                match storage.push_task(built).await {
                    Ok(()) => Ok(()),
                    Err(TaskSinkError::PushError(apalis_postgres::Error::Database(
                        sqlx::Error::Database(error),
                    ))) if error.is_unique_violation() => Ok(()),
                    Err(error) => Err(JobsError::Queue(error.to_string())),
                }
            }
        }
    }

    /// The tasks of `job` waiting for a worker (at most 1,000).
    pub async fn pending(&self, job: Job) -> Result<Vec<CheckTask>, JobsError> {
        self.tasks(job, Status::Pending).await
    }

    /// The tasks of `job` in `status` (at most 1,000; `Done` tasks are kept for
    /// [`KEEP_FINISHED_DAYS`] days).
    pub async fn tasks(&self, job: Job, status: Status) -> Result<Vec<CheckTask>, JobsError> {
        let filter = Filter {
            status: Some(status),
            page: 1,
            page_size: Some(1000),
        };
        let tasks = match &self.database {
            QueueDatabase::Sqlite(pool) => SqliteStorage::<CheckTask>::new(pool)
                .with_config(self.sqlite_config(job))
                .list_tasks(&filter)
                .await
                .map_err(|e| JobsError::Queue(e.to_string()))?,
            QueueDatabase::Postgres(pool) => PostgresStorage::<CheckTask>::new(pool)
                .with_config(self.postgres_config(job))
                .list_tasks(&filter)
                .await
                .map_err(|e| JobsError::Queue(e.to_string()))?,
        };
        tasks
            .into_iter()
            .map(|task| {
                serde_json::from_slice(&task.args)
                    .map_err(|e| JobsError::Queue(format!("undecodable task: {e}")))
            })
            .collect()
    }

    /// Deletes the finished tasks of `job` older than [`KEEP_FINISHED_DAYS`]; their ticks are
    /// long past, so their idempotency keys can no longer be pushed again.
    pub async fn prune(&self, job: Job) -> Result<u64, JobsError> {
        let queue = self.queue_name(job);
        let deleted = match &self.database {
            QueueDatabase::Sqlite(pool) => sqlx::query(
                "DELETE FROM Jobs WHERE job_type = ?1 AND status IN ('Done', 'Killed') \
                 AND done_at < strftime('%s', 'now') - ?2",
            )
            .bind(&queue)
            .bind(KEEP_FINISHED_DAYS * 86_400)
            .execute(pool)
            .await?
            .rows_affected(),
            QueueDatabase::Postgres(pool) => sqlx::query(
                "DELETE FROM apalis.jobs WHERE job_type = $1 AND status IN ('Done', 'Killed') \
                 AND done_at < now() - make_interval(days => $2)",
            )
            .bind(&queue)
            .bind(KEEP_FINISHED_DAYS as i32)
            .execute(pool)
            .await?
            .rows_affected(),
        };
        Ok(deleted)
    }

    /// Deletes every task and worker registration of this store's queues (decommissioning a
    /// store, test clean-up); run it only when no worker of these queues is running.
    pub async fn clear(&self) -> Result<u64, JobsError> {
        let queues: Vec<String> = Job::ALL.iter().map(|job| self.queue_name(*job)).collect();
        let mut deleted = 0;
        for queue in &queues {
            deleted += match &self.database {
                QueueDatabase::Sqlite(pool) => {
                    let tasks = sqlx::query("DELETE FROM Jobs WHERE job_type = ?1")
                        .bind(queue)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    sqlx::query("DELETE FROM Workers WHERE worker_type = ?1")
                        .bind(queue)
                        .execute(pool)
                        .await?;
                    tasks
                }
                QueueDatabase::Postgres(pool) => {
                    let tasks = sqlx::query("DELETE FROM apalis.jobs WHERE job_type = $1")
                        .bind(queue)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    sqlx::query("DELETE FROM apalis.workers WHERE worker_type = $1")
                        .bind(queue)
                        .execute(pool)
                        .await?;
                    tasks
                }
            };
        }
        Ok(deleted)
    }

    /// Closes the queue's pool.
    pub async fn close(&self) {
        match &self.database {
            QueueDatabase::Sqlite(pool) => pool.close().await,
            QueueDatabase::Postgres(pool) => pool.close().await,
        }
    }
}

/// Opens the SQLite queue database and runs apalis's migrations. Several nodes may set up the
/// same file at once and SQLite migrations take no lock, so a failed setup is retried after
/// the other node finished.
async fn open_sqlite_queue(path: &Path, in_memory: bool) -> Result<SqlitePool, JobsError> {
    let pool = if in_memory {
        // One connection that is never closed: the database lives as long as it does.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(SqliteConnectOptions::from_str("sqlite::memory:")?)
            .await?
    } else {
        SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(StdDuration::from_secs(10)),
            )
            .await?
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        match SqliteStorage::setup(&pool).await {
            Ok(()) => return Ok(pool),
            Err(error) if attempt < 5 => {
                tracing::debug!(%error, attempt, "job queue setup raced another node; retrying");
                tokio::time::sleep(StdDuration::from_millis(200 * attempt)).await;
            }
            Err(error) => {
                return Err(JobsError::Queue(format!("apalis-sqlite setup: {error}")));
            }
        }
    }
}

/// Pushes one task of `job` at `tick` for every program with a schedule; returns the names of
/// the programs whose task is now queued (by this node or another one).
pub async fn enqueue_tick(
    state: &AppState,
    queue: &JobQueue,
    job: Job,
    tick: DateTime<Utc>,
) -> Vec<String> {
    let programs = match state.store.list_programs().await {
        Ok(programs) => programs,
        Err(error) => {
            tracing::warn!(job = job.name(), %error, "cannot list programs; tick skipped");
            return Vec::new();
        }
    };
    let mut queued = Vec::new();
    for overview in programs {
        if overview.latest_schedule_version.is_none() {
            continue;
        }
        let task = CheckTask {
            job,
            program_id: overview.program.id,
            program: overview.program.name,
            tick,
        };
        match queue.push(&task).await {
            Ok(()) => queued.push(task.program),
            Err(error) => {
                tracing::warn!(job = job.name(), program = %task.program, %error, "cannot enqueue tick");
            }
        }
    }
    queued
}

/// What a worker did with a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The check ran and succeeded.
    Succeeded,
    /// The check ran and failed (recorded in `job_runs` with this error).
    Failed(String),
    /// The run was already claimed (by this or another node): nothing was done.
    AlreadyClaimed,
    /// The program no longer exists under this id.
    UnknownProgram,
}

/// Runs one task: claims (job, program, tick) in `job_runs`, runs the check (and the
/// critical-slowing alert for the entropy analysis), records the end and the job metrics.
/// Errors only when the store fails before the run is claimed (apalis then retries).
pub async fn execute(state: &AppState, task: &CheckTask) -> Result<RunOutcome, StoreError> {
    let job = task.job;
    let program = match state.store.program(&task.program).await? {
        Some(program) if program.id == task.program_id => program,
        _ => return Ok(RunOutcome::UnknownProgram),
    };
    if !state
        .store
        .claim_tick(job.name(), program.id, task.tick, &state.node, Utc::now())
        .await?
    {
        return Ok(RunOutcome::AlreadyClaimed);
    }
    let started = Instant::now();
    let trigger = format!("job:{}", job.name());
    let result = match check::run_check(state, &program, &trigger).await {
        Ok(outcome) if job == Job::EntropyAnalysis => {
            check::alert_on_critical_slowing(state, &program, &outcome)
                .await
                .map_err(CheckError::from)
        }
        Ok(_) => Ok(()),
        Err(error) => Err(error),
    };
    let seconds = started.elapsed().as_secs_f64();
    gauges::record_job(job.name(), &program.name, seconds, result.is_err());
    let error_text = result.as_ref().err().map(ToString::to_string);
    if let Some(error) = &error_text {
        tracing::warn!(job = job.name(), program = %program.name, %error, "job failed");
    }
    if let Err(error) = state
        .store
        .finish_tick(
            job.name(),
            program.id,
            task.tick,
            error_text.as_deref(),
            Utc::now(),
        )
        .await
    {
        tracing::warn!(job = job.name(), program = %program.name, %error, "cannot record job end");
    }
    Ok(match error_text {
        Some(error) => RunOutcome::Failed(error),
        None => RunOutcome::Succeeded,
    })
}

/// The apalis task handler.
async fn handle(
    task: CheckTask,
    state: apalis::prelude::Data<AppState>,
) -> Result<(), BoxDynError> {
    match execute(&state, &task).await {
        Ok(RunOutcome::AlreadyClaimed) => {
            tracing::debug!(key = %task.idempotency_key(), "tick already claimed; skipped");
            Ok(())
        }
        Ok(RunOutcome::UnknownProgram) => {
            tracing::warn!(key = %task.idempotency_key(), "program no longer exists; skipped");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(error) => Err(Box::new(error)),
    }
}

/// Builds the worker of one job on one storage: one task at a time, polled every
/// `poll`, a pause before a restart, apalis's Prometheus series.
macro_rules! job_worker {
    ($name:expr, $storage:expr, $state:expr, $poll:expr, $restarts:expr) => {{
        let pause = if $restarts > 0 {
            RESTART_DELAY
        } else {
            StdDuration::ZERO
        };
        WorkerBuilder::new($name)
            .backend(
                $storage
                    .poll_with_interval($poll)
                    .before_start(move |_| async move {
                        tokio::time::sleep(pause).await;
                        Ok(())
                    }),
            )
            .data($state)
            .concurrency(1)
            .layer(PrometheusLayer::default())
            .build(handle)
    }};
}

/// The apalis monitor running one worker per job on `queue` until `shutdown` turns true;
/// a running check finishes first.
pub fn spawn_workers(
    state: &AppState,
    queue: &JobQueue,
    shutdown: &watch::Receiver<bool>,
) -> JoinHandle<()> {
    // Worker names are unique per process start, so a restarted node never collides with
    // the registration of its previous life.
    let instance = format!(
        "{}-{:x}",
        state.node,
        Utc::now().timestamp_micros().unsigned_abs() ^ u64::from(std::process::id())
    );
    let mut monitor = Monitor::new().should_restart(|worker, error| {
        tracing::warn!(worker = worker.name(), %error, "job worker stopped; restarting");
        true
    });
    for job in Job::ALL {
        let state = state.clone();
        let queue = queue.clone();
        let instance = instance.clone();
        monitor = match queue.database.clone() {
            QueueDatabase::Sqlite(pool) => monitor.register(move |restarts| {
                let storage =
                    SqliteStorage::<CheckTask>::new(&pool).with_config(queue.sqlite_config(job));
                let name = format!("{instance}:{}:{restarts}", job.name());
                job_worker!(name, storage, state.clone(), queue.poll, restarts)
            }),
            QueueDatabase::Postgres(pool) => monitor.register(move |restarts| {
                let storage = PostgresStorage::<CheckTask>::new(&pool)
                    .with_config(queue.postgres_config(job));
                let name = format!("{instance}:{}:{restarts}", job.name());
                job_worker!(name, storage, state.clone(), queue.poll, restarts)
            }),
        };
    }
    let mut shutdown = shutdown.clone();
    tokio::spawn(async move {
        let signal = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
            Ok(())
        };
        if let Err(error) = monitor.run_with_signal(signal).await {
            tracing::warn!(%error, "job workers stopped with an error");
        }
    })
}

/// One tick producer per job: on each tick of the job's schedule, [`enqueue_tick`] and prune
/// the finished tasks. Ends when `shutdown` turns true.
pub fn spawn_producers(
    state: &AppState,
    queue: &JobQueue,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    Job::ALL
        .into_iter()
        .map(|job| {
            let state = state.clone();
            let queue = queue.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                let minutes = job.interval_minutes(&state.config.jobs);
                let schedule = match cron::Schedule::from_str(&cron_expression(minutes)) {
                    Ok(schedule) => schedule,
                    Err(error) => {
                        tracing::error!(job = job.name(), %error, "invalid job schedule");
                        return;
                    }
                };
                // A stream that reports an error (a tick already past when it was polled) is
                // replaced by a fresh one that starts from the next tick.
                'streams: loop {
                    let mut ticks = Box::pin(CronScheduler::new(schedule.clone()).into_stream());
                    loop {
                        let next = tokio::select! {
                            next = ticks.next() => next,
                            _ = shutdown.wait_for(|stop| *stop) => break 'streams,
                        };
                        match next {
                            Some(Ok(fired)) => {
                                let Some(tick) = i64::try_from(fired.get_timestamp())
                                    .ok()
                                    .and_then(|s| Utc.timestamp_opt(s, 0).single())
                                else {
                                    continue;
                                };
                                if !is_on_grid(tick, minutes) {
                                    continue;
                                }
                                let queued = enqueue_tick(&state, &queue, job, tick).await;
                                tracing::debug!(job = job.name(), %tick, programs = queued.len(), "tick enqueued");
                                if let Err(error) = queue.prune(job).await {
                                    tracing::warn!(job = job.name(), %error, "cannot prune finished tasks");
                                }
                            }
                            Some(Err(error)) => {
                                tracing::warn!(job = job.name(), %error, "job schedule restarted");
                                continue 'streams;
                            }
                            None => break 'streams,
                        }
                    }
                }
            })
        })
        .collect()
}

/// The tick producers and the workers of every job (see the module documentation).
pub fn spawn_jobs(
    state: &AppState,
    queue: &JobQueue,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut handles = spawn_producers(state, queue, shutdown);
    handles.push(spawn_workers(state, queue, shutdown));
    handles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_aligned_to_the_interval_grid() {
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 3, 1, h, m, s).unwrap();
        let quarter = Duration::minutes(15);
        assert_eq!(next_tick(at(8, 7, 30), quarter), at(8, 15, 0));
        assert_eq!(
            next_tick(at(8, 15, 0), quarter),
            at(8, 30, 0),
            "strictly after"
        );
        assert_eq!(next_tick(at(8, 59, 59), Duration::hours(1)), at(9, 0, 0));
        assert!(is_on_grid(at(8, 45, 0), 15));
        assert!(!is_on_grid(at(8, 46, 0), 15));
        assert!(!is_on_grid(at(8, 45, 1), 15));
    }

    /// For every interval, the cron firings kept by the grid filter are exactly the grid
    /// ticks, whether the interval is cron-expressible or not.
    #[test]
    fn cron_firings_on_the_grid_are_the_interval_ticks() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 7, 53, 20).unwrap();
        for minutes in [1, 5, 7, 15, 45, 60, 90, 120, 360, 1440, 2880] {
            let schedule = cron::Schedule::from_str(&cron_expression(minutes))
                .unwrap_or_else(|e| panic!("{minutes}: {e}"));
            let kept: Vec<_> = schedule
                .after(&start)
                .filter(|at| is_on_grid(*at, minutes))
                .take(5)
                .collect();
            let mut expected = Vec::new();
            let mut now = start;
            for _ in 0..5 {
                now = next_tick(now, Duration::minutes(i64::from(minutes)));
                expected.push(now);
            }
            assert_eq!(kept, expected, "interval {minutes} min");
        }
        assert_eq!(cron_expression(15), "0 */15 * * * *");
        assert_eq!(cron_expression(60), "0 0 */1 * * *");
        assert_eq!(
            cron_expression(7),
            "0 * * * * *",
            "not expressible: every minute"
        );
    }

    #[test]
    fn the_idempotency_key_names_job_program_and_tick() {
        let task = CheckTask {
            job: Job::EntropyAnalysis,
            program_id: 42,
            program: "icu".into(),
            tick: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        };
        assert_eq!(
            task.idempotency_key(),
            "entropy_analysis:42:2026-03-01T09:00:00Z"
        );
        let json = serde_json::to_value(&task).unwrap();
        assert_eq!(json["job"], "entropy_analysis");
        let back: CheckTask = serde_json::from_value(json).unwrap();
        assert_eq!(back, task);
    }
}
