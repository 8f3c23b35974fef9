//! `thermo serve --demo`: the demo program (the generated residency of `thermo demo`, passed
//! in by the command line) and a simulated live metric feed, so a fresh machine shows live
//! data with no set-up. Everything it writes belongs to the program named `demo`.
//!
//! The feed continues each metric series of the bundle as an AR(1) process around the
//! series' own mean: `x ← μ + φ (x − μ) + σ √(1 − φ²) ε`, ε ~ N(0, 1), with μ and σ the
//! sample mean and standard deviation of the bundled history and φ = [`FEED_PHI`], seeded
//! with [`DemoFeed::seed`] (ChaCha8), so the stationary spread equals the history's.

use chrono::Utc;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use thermo_core::model::Schedule;
use thermo_store::{Program, SampleRow, ScheduleCounts, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::AppState;

/// Name of the demo program.
pub const DEMO_PROGRAM: &str = "demo";

/// Lag-1 coefficient of the simulated feed.
pub const FEED_PHI: f64 = 0.8;

/// Stores `schedule` as the demo program's schedule (a no-op when already stored) and
/// returns the program.
pub async fn install(state: &AppState, schedule: &Schedule) -> Result<Program, StoreError> {
    let bundle = thermo_io::to_json_value(schedule);
    let now = Utc::now();
    let program = state.store.ensure_program(DEMO_PROGRAM, now).await?;
    let counts = ScheduleCounts {
        people: schedule.people.len(),
        assignments: schedule.assignments.len(),
    };
    state
        .store
        .put_schedule(program.id, &bundle, counts, now)
        .await?;
    Ok(program)
}

/// One simulated metric.
#[derive(Debug, Clone)]
struct FeedSeries {
    metric: String,
    mean: f64,
    sd: f64,
    current: f64,
}

/// The simulated live feed of the demo program.
#[derive(Debug)]
pub struct DemoFeed {
    series: Vec<FeedSeries>,
    rng: ChaCha8Rng,
}

impl DemoFeed {
    /// Seed of the feed's random numbers.
    pub const SEED: u64 = 20_260_301;

    /// A feed continuing every metric series of `schedule`, seeded with `seed`.
    pub fn new(schedule: &Schedule, seed: u64) -> Self {
        let series = schedule
            .metric_series()
            .into_iter()
            .filter(|s| !s.values.is_empty())
            .map(|s| {
                let n = s.values.len() as f64;
                let mean = s.values.iter().sum::<f64>() / n;
                let variance = if s.values.len() > 1 {
                    s.values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
                } else {
                    0.0
                };
                FeedSeries {
                    metric: s.metric,
                    mean,
                    sd: variance.sqrt(),
                    current: *s.values.last().unwrap_or(&mean),
                }
            })
            .collect();
        Self {
            series,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The seed used by `thermo serve --demo`.
    pub fn seed() -> u64 {
        Self::SEED
    }

    /// The next sample of every series, stamped `at`.
    pub fn step(&mut self, at: chrono::DateTime<Utc>) -> Vec<SampleRow> {
        let innovation = (1.0 - FEED_PHI * FEED_PHI).sqrt();
        let standard = Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!("unit normal"));
        self.series
            .iter_mut()
            .map(|s| {
                let epsilon: f64 = standard.sample(&mut self.rng);
                s.current = s.mean + FEED_PHI * (s.current - s.mean) + s.sd * innovation * epsilon;
                SampleRow {
                    metric: s.metric.clone(),
                    timestamp: at,
                    value: s.current,
                }
            })
            .collect()
    }
}

/// Ingests one step of the feed every `every` until `shutdown` turns true.
pub fn spawn_feed(
    state: &AppState,
    program: Program,
    mut feed: DemoFeed,
    every: std::time::Duration,
    shutdown: &watch::Receiver<bool>,
) -> JoinHandle<()> {
    let state = state.clone();
    let mut shutdown = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let samples = feed.step(Utc::now());
            let stored: Result<_, StoreError> = state
                .store
                .insert_samples(program.id, &samples, None, Utc::now())
                .await;
            if let Err(error) = stored {
                tracing::warn!(%error, "demo feed could not store samples");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_is_deterministic_per_seed_and_finite() {
        let schedule = thermo_sim::demo::generate(&thermo_sim::demo::DemoConfig::default());
        assert!(!schedule.metric_series().is_empty());
        let at = Utc::now();
        let mut a = DemoFeed::new(&schedule, 7);
        let mut b = DemoFeed::new(&schedule, 7);
        let mut c = DemoFeed::new(&schedule, 8);
        let (sa, sb, sc) = (a.step(at), b.step(at), c.step(at));
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
        assert!(sa.iter().all(|s| s.value.is_finite()));
        assert_eq!(sa.len(), schedule.metric_series().len());
    }
}
