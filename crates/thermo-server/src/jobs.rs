//! Periodic jobs: the health check (every `jobs.health_check_minutes`, default 15) and the
//! entropy analysis (every `jobs.entropy_analysis_minutes`, default 60), per program.
//!
//! Ticks are aligned to multiples of the interval since the Unix epoch (UTC), so every node
//! computes the same ticks. Before running a (job, program, tick), a node claims it in the
//! shared `job_runs` table, whose primary key lets exactly one claim succeed across all nodes
//! sharing the database; the others skip it. A run in progress is never cancelled by a
//! shutdown: the loops stop waiting for the next tick and the caller awaits them.

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::check::{self, CheckError};
use crate::{AppState, gauges};

/// The periodic jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The thermodynamic health check (integration guide: every 15 minutes).
    HealthCheck,
    /// The entropy analysis with the critical-slowing test (integration guide: hourly).
    EntropyAnalysis,
}

impl Job {
    /// Name used in `job_runs`, metrics labels and logs.
    pub fn name(self) -> &'static str {
        match self {
            Job::HealthCheck => "health_check",
            Job::EntropyAnalysis => "entropy_analysis",
        }
    }

    fn interval(self, state: &AppState) -> Duration {
        let minutes = match self {
            Job::HealthCheck => state.config.jobs.health_check_minutes,
            Job::EntropyAnalysis => state.config.jobs.entropy_analysis_minutes,
        };
        Duration::minutes(i64::from(minutes.max(1)))
    }
}

/// The first tick strictly after `now` on the grid of `interval` since the Unix epoch.
pub fn next_tick(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = interval.num_milliseconds().max(1);
    let now_ms = now.timestamp_millis();
    let next = (now_ms.div_euclid(step) + 1) * step;
    Utc.timestamp_millis_opt(next).single().unwrap_or(now)
}

/// Runs `job` for every program with a schedule at `tick`, on the programs this node claims;
/// returns the names of the programs it ran (successfully or not).
pub async fn run_tick(state: &AppState, job: Job, tick: DateTime<Utc>) -> Vec<String> {
    let programs = match state.store.list_programs().await {
        Ok(programs) => programs,
        Err(error) => {
            tracing::warn!(job = job.name(), %error, "cannot list programs; tick skipped");
            return Vec::new();
        }
    };
    let mut ran = Vec::new();
    for overview in programs {
        if overview.latest_schedule_version.is_none() {
            continue;
        }
        let program = overview.program;
        match state
            .store
            .claim_tick(job.name(), program.id, tick, &state.node, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(job = job.name(), program = %program.name, %error, "cannot claim tick");
                continue;
            }
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
                tick,
                error_text.as_deref(),
                Utc::now(),
            )
            .await
        {
            tracing::warn!(job = job.name(), program = %program.name, %error, "cannot record job end");
        }
        ran.push(program.name);
    }
    ran
}

/// Spawns one loop per job; each ends when `shutdown` turns true (after any run in progress).
pub fn spawn_jobs(state: &AppState, shutdown: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    [Job::HealthCheck, Job::EntropyAnalysis]
        .into_iter()
        .map(|job| {
            let state = state.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let now = Utc::now();
                    let tick = next_tick(now, job.interval(&state));
                    let wait = (tick - now).to_std().unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.wait_for(|stop| *stop) => break,
                    }
                    run_tick(&state, job, tick).await;
                }
            })
        })
        .collect()
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
    }
}
