//! One conformance suite, run against SQLite (a temporary file) and the real PostgreSQL of
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`), each PostgreSQL
//! test in its own schema, dropped at the end. Without a reachable PostgreSQL the PostgreSQL
//! half is skipped with a message, except under `CI=true`, where it fails.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use thermo_store::*;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

struct Ctx {
    store: Store,
    url: String,
    options: StoreOptions,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Ctx {
    async fn sqlite() -> Ctx {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("thermo.db").display());
        let options = StoreOptions::default();
        let store = Store::connect_with(&url, &options).await.unwrap();
        Ctx {
            store,
            url,
            options,
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Option<Ctx> {
        let url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let schema = format!(
            "thermo_store_test_{}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let options = StoreOptions {
            postgres_schema: Some(schema),
            max_connections: 4,
            ..StoreOptions::default()
        };
        match Store::connect_with(&url, &options).await {
            Ok(store) => Some(Ctx {
                store,
                url,
                options,
                _dir: None,
            }),
            Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipping PostgreSQL conformance test: {error}");
                None
            }
            Err(error) => panic!("PostgreSQL is required in CI ({url}): {error}"),
        }
    }

    async fn reopen(&self) -> Store {
        self.store.close().await;
        Store::connect_with(&self.url, &self.options).await.unwrap()
    }

    async fn finish(self, store: &Store) {
        if let Some(schema) = &self.options.postgres_schema {
            store.drop_postgres_schema(schema).await.unwrap();
        }
        store.close().await;
    }
}

macro_rules! conformance_suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let ctx = super::Ctx::sqlite().await;
                    let store = super::$test(&ctx).await;
                    ctx.finish(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some(ctx) = super::Ctx::postgres().await else { return };
                    let store = super::$test(&ctx).await;
                    ctx.finish(&store).await;
                }
            )*
        }
    };
}

conformance_suite!(
    programs_are_created_once_and_listed,
    schedule_versions_increase_and_identical_content_is_kept,
    samples_upsert_and_history_is_a_time_range,
    idempotent_samples_replay_and_conflict,
    events_round_trip_with_idempotency,
    health_snapshot_and_its_rows_round_trip,
    non_finite_values_are_rejected_and_nothing_is_written,
    alerts_cool_down_and_deliveries_progress,
    a_tick_is_claimed_by_exactly_one_of_many_callers,
    acknowledged_writes_survive_a_restart,
    defense_memory_is_kept_per_program_and_replaced,
    the_database_location_names_the_backend,
);

/// The job queue keeps its tables beside the store's: it needs the SQLite file or the
/// PostgreSQL pool (whose schema the store uses).
async fn the_database_location_names_the_backend(ctx: &Ctx) -> Store {
    match ctx.store.database() {
        Database::SqliteFile(path) => {
            assert!(ctx.url.ends_with(&path.display().to_string()), "{path:?}");
            assert!(path.exists());
        }
        Database::Postgres(pool) => {
            let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(Some(schema), ctx.options.postgres_schema);
        }
        Database::SqliteInMemory => panic!("the suite uses files"),
    }
    let memory = Store::connect("sqlite::memory:").await.unwrap();
    assert!(matches!(memory.database(), Database::SqliteInMemory));
    memory.close().await;
    ctx.store.clone()
}

async fn programs_are_created_once_and_listed(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let a = store.ensure_program("icu", t(0)).await.unwrap();
    let again = store.ensure_program("icu", t(5)).await.unwrap();
    assert_eq!(a, again, "a second ensure keeps the first row");
    assert_eq!(a.created_at, t(0));
    store.ensure_program("er", t(1)).await.unwrap();
    let listed = store.list_programs().await.unwrap();
    let names: Vec<_> = listed.iter().map(|p| p.program.name.as_str()).collect();
    assert_eq!(names, ["er", "icu"]);
    assert_eq!(listed[0].latest_schedule_version, None);
    assert!(store.program("absent").await.unwrap().is_none());
    store
}

async fn schedule_versions_increase_and_identical_content_is_kept(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let counts = ScheduleCounts {
        people: 2,
        assignments: 1,
    };
    let v1 = json!({"people": [{"id": "a"}, {"id": "b"}], "assignments": [{"person_id": "a", "date": "2026-03-01"}]});
    let first = store.put_schedule(p.id, &v1, counts, t(1)).await.unwrap();
    assert_eq!((first.version, first.created), (1, true));
    assert_eq!(first.content_hash.len(), 64);
    let same = store.put_schedule(p.id, &v1, counts, t(2)).await.unwrap();
    assert_eq!((same.version, same.created), (1, false));
    assert_eq!(same.content_hash, first.content_hash);
    let v2 = json!({"people": [{"id": "a"}], "assignments": []});
    let second = store.put_schedule(p.id, &v2, counts, t(3)).await.unwrap();
    assert_eq!((second.version, second.created), (2, true));
    let latest = store.latest_schedule(p.id).await.unwrap().unwrap();
    assert_eq!(latest.version, 2);
    assert_eq!(latest.bundle, v2);
    assert_eq!(latest.created_at, t(3));
    let listed = store.list_programs().await.unwrap();
    assert_eq!(listed[0].latest_schedule_version, Some(2));
    store
}

fn sample(metric: &str, minute: i64, value: f64) -> SampleRow {
    SampleRow {
        metric: metric.to_owned(),
        timestamp: t(minute),
        value,
    }
}

async fn samples_upsert_and_history_is_a_time_range(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let batch: Vec<_> = (0..5000)
        .map(|i| sample("census", i, i as f64 * 0.5))
        .chain([sample("census", 3, -1.0), sample("beds", 2, 7.0)])
        .collect();
    let receipt = store
        .insert_samples(p.id, &batch, None, t(0))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        IngestReceipt {
            accepted: 5002,
            replayed: false
        }
    );
    let history = store
        .metric_history(p.id, "census", t(2), t(4), 100)
        .await
        .unwrap();
    let values: Vec<_> = history.iter().map(|s| (s.timestamp, s.value)).collect();
    assert_eq!(
        values,
        [(t(2), 1.0), (t(3), -1.0), (t(4), 2.0)],
        "last write wins"
    );
    store
        .insert_samples(p.id, &[sample("census", 2, 9.0)], None, t(0))
        .await
        .unwrap();
    let history = store
        .metric_history(p.id, "census", t(2), t(2), 10)
        .await
        .unwrap();
    assert_eq!(history[0].value, 9.0);
    let limited = store
        .metric_history(p.id, "census", t(0), t(10_000), 7)
        .await
        .unwrap();
    assert_eq!(limited.len(), 7);
    let since = store.samples_since(p.id, t(4998)).await.unwrap();
    assert_eq!(since.len(), 2);
    store
}

async fn idempotent_samples_replay_and_conflict(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let other = store.ensure_program("er", t(0)).await.unwrap();
    let key = IdempotencyKey {
        key: "batch-1".into(),
        request_hash: "h1".into(),
    };
    let first = store
        .insert_samples(p.id, &[sample("census", 1, 1.0)], Some(&key), t(0))
        .await
        .unwrap();
    assert!(!first.replayed);
    // A retry of the same request after the value changed elsewhere must not overwrite.
    store
        .insert_samples(p.id, &[sample("census", 1, 5.0)], None, t(0))
        .await
        .unwrap();
    let replay = store
        .insert_samples(p.id, &[sample("census", 1, 1.0)], Some(&key), t(1))
        .await
        .unwrap();
    assert_eq!(
        replay,
        IngestReceipt {
            accepted: 1,
            replayed: true
        }
    );
    let history = store
        .metric_history(p.id, "census", t(0), t(5), 10)
        .await
        .unwrap();
    assert_eq!(history[0].value, 5.0, "the replay wrote nothing");
    let conflict = IdempotencyKey {
        key: "batch-1".into(),
        request_hash: "h2".into(),
    };
    let err = store
        .insert_samples(p.id, &[sample("census", 2, 1.0)], Some(&conflict), t(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyConflict(_)), "{err}");
    assert!(
        store
            .metric_history(p.id, "census", t(2), t(2), 1)
            .await
            .unwrap()
            .is_empty(),
        "a conflicting request writes nothing"
    );
    // Keys are per program.
    let elsewhere = store
        .insert_samples(other.id, &[sample("census", 1, 1.0)], Some(&conflict), t(1))
        .await
        .unwrap();
    assert!(!elsewhere.replayed);
    store
}

async fn events_round_trip_with_idempotency(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let events = vec![
        EventRow {
            kind: EventKind::Absence,
            payload: json!({"person_id": "a", "start_date": "2026-03-02", "end_date": "2026-03-03"}),
        },
        EventRow {
            kind: EventKind::Swap,
            payload: json!({"source_person": "a", "target_person": "b", "date": "2026-03-04"}),
        },
    ];
    let key = IdempotencyKey {
        key: "ev".into(),
        request_hash: "x".into(),
    };
    store
        .insert_events(p.id, &events, Some(&key), t(1))
        .await
        .unwrap();
    let replay = store
        .insert_events(p.id, &events, Some(&key), t(2))
        .await
        .unwrap();
    assert!(replay.replayed);
    let stored = store.events(p.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].kind, EventKind::Absence);
    assert_eq!(stored[1].payload, events[1].payload);
    assert_eq!(stored[1].received_at, t(1));
    store
}

fn health_record(program_id: i64, minute: i64, entropy: f64) -> HealthRecord {
    HealthRecord {
        program_id,
        computed_at: t(minute),
        analysis_date: t(minute).date_naive(),
        schedule_version: 1,
        triggered_by: "job:health_check".into(),
        report: json!({"entropy": {"person_entropy": entropy}}),
        thermodynamics: ThermodynamicsRow {
            person_entropy: Some(entropy),
            rotation_entropy: Some(1.0),
            normalized_entropy: Some(0.5),
            phase_transition_severity: Some("elevated".into()),
            confidence: Some(0.4),
            computed_by: "job:health_check".into(),
            ..ThermodynamicsRow::default()
        },
        signals: vec![SignalRow {
            detected_at: t(minute),
            signal_type: "variance".into(),
            metric_name: "census".into(),
            severity: "elevated".into(),
            value: Some(2.0),
            threshold: Some(1.5),
            description: "variance rising".into(),
        }],
        transport: Some(TransportRow {
            peclet_number: Some(0.7),
            ..TransportRow::default()
        }),
    }
}

async fn health_snapshot_and_its_rows_round_trip(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    assert!(store.latest_health(p.id).await.unwrap().is_none());
    assert!(store.latest_thermodynamics(p.id).await.unwrap().is_none());
    for (minute, entropy) in [(0, 1.0), (15, 1.5), (30, 2.0)] {
        store
            .record_health(&health_record(p.id, minute, entropy))
            .await
            .unwrap();
    }
    let latest = store.latest_health(p.id).await.unwrap().unwrap();
    assert_eq!(latest.computed_at, t(30));
    assert_eq!(latest.report["entropy"]["person_entropy"], 2.0);
    let (thermo, signals) = store.latest_thermodynamics(p.id).await.unwrap().unwrap();
    assert_eq!(thermo.row.person_entropy, Some(2.0));
    assert_eq!(
        thermo.row.phase_transition_severity.as_deref(),
        Some("elevated")
    );
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].threshold, Some(1.5));
    let since = store.thermodynamics_since(p.id, t(10)).await.unwrap();
    let series: Vec<_> = since.iter().map(|r| r.row.person_entropy).collect();
    assert_eq!(series, [Some(1.5), Some(2.0)]);
    let (at, transport) = store.latest_transport(p.id).await.unwrap().unwrap();
    assert_eq!((at, transport.peclet_number), (t(30), Some(0.7)));
    let listed = store.list_programs().await.unwrap();
    assert_eq!(listed[0].latest_health_at, Some(t(30)));
    store
}

async fn non_finite_values_are_rejected_and_nothing_is_written(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let err = store
        .insert_samples(
            p.id,
            &[sample("census", 0, 1.0), sample("census", 1, f64::NAN)],
            None,
            t(0),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(
        store.samples_since(p.id, t(-10)).await.unwrap().is_empty(),
        "a batch is all or nothing"
    );
    let mut record = health_record(p.id, 0, 1.0);
    record.thermodynamics.free_energy = Some(f64::INFINITY);
    assert!(store.record_health(&record).await.is_err());
    assert!(store.latest_health(p.id).await.unwrap().is_none());
    store
}

async fn alerts_cool_down_and_deliveries_progress(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let alert = |minute| NewAlert {
        program_id: p.id,
        kind: "phase_transition_risk".into(),
        severity: "critical".into(),
        title: "Phase transition risk".into(),
        message: "2 signals".into(),
        details: json!({"signals": 2}),
        created_at: t(minute),
    };
    let hooks = vec![
        "http://127.0.0.1:1/a".to_owned(),
        "http://127.0.0.1:1/b".to_owned(),
    ];
    let cooldown = Duration::minutes(60);
    let first = store
        .insert_alert(&alert(0), &hooks, cooldown)
        .await
        .unwrap();
    assert!(first.is_some());
    assert_eq!(
        store
            .insert_alert(&alert(30), &hooks, cooldown)
            .await
            .unwrap(),
        None,
        "inside the cool-down"
    );
    let mut other_kind = alert(30);
    other_kind.kind = "critical_slowing".into();
    assert!(
        store
            .insert_alert(&other_kind, &[], cooldown)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .insert_alert(&alert(61), &[], cooldown)
            .await
            .unwrap()
            .is_some()
    );

    let due = store.due_deliveries(t(0), 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].alert.program, "icu");
    assert_eq!(due[0].alert.details, json!({"signals": 2}));
    assert!(store.lease_delivery(&due[0], t(1)).await.unwrap());
    assert!(
        !store.lease_delivery(&due[0], t(1)).await.unwrap(),
        "a second node reading the same due row cannot lease it"
    );
    let retry = DeliveryOutcome::Retry {
        error: "connection refused".into(),
        next_attempt_at: t(2),
    };
    assert!(
        store
            .record_delivery_attempt(due[0].delivery_id, 0, &retry, t(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_delivery_attempt(due[0].delivery_id, 0, &retry, t(0))
            .await
            .unwrap(),
        "an attempt is recorded once"
    );
    assert!(
        store
            .record_delivery_attempt(due[1].delivery_id, 0, &DeliveryOutcome::Delivered, t(0))
            .await
            .unwrap()
    );
    assert!(store.due_deliveries(t(1), 10).await.unwrap().is_empty());
    let again = store.due_deliveries(t(2), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    let gave_up = DeliveryOutcome::GaveUp {
        error: "HTTP 500".into(),
    };
    store
        .record_delivery_attempt(again[0].delivery_id, 1, &gave_up, t(2))
        .await
        .unwrap();

    let alerts = store.alerts(p.id, 10).await.unwrap();
    assert_eq!(alerts.len(), 3);
    let oldest = alerts.last().unwrap();
    let states: Vec<_> = oldest
        .deliveries
        .iter()
        .map(|d| (d.status.as_str(), d.attempts, d.last_error.as_deref()))
        .collect();
    assert_eq!(
        states,
        [("failed", 2, Some("HTTP 500")), ("delivered", 1, None)]
    );
    store
}

async fn a_tick_is_claimed_by_exactly_one_of_many_callers(ctx: &Ctx) -> Store {
    let store = ctx.store.clone();
    let p = store.ensure_program("icu", t(0)).await.unwrap();
    let mut handles = Vec::new();
    for node in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store
                .claim_tick("health_check", p.id, t(15), &format!("node-{node}"), t(15))
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for handle in handles {
        winners += usize::from(handle.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert!(
        store
            .claim_tick("health_check", p.id, t(30), "node-0", t(30))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_tick("entropy_analysis", p.id, t(15), "node-0", t(15))
            .await
            .unwrap()
    );
    store
        .finish_tick("health_check", p.id, t(15), None, t(16))
        .await
        .unwrap();
    store
        .finish_tick("health_check", p.id, t(30), Some("boom"), t(31))
        .await
        .unwrap();
    let runs = store.job_runs("health_check", p.id).await.unwrap();
    let states: Vec<_> = runs.iter().map(|r| (r.tick, r.status.as_str())).collect();
    assert_eq!(states, [(t(15), "succeeded"), (t(30), "failed")]);
    store
}

async fn acknowledged_writes_survive_a_restart(ctx: &Ctx) -> Store {
    let p = ctx.store.ensure_program("icu", t(0)).await.unwrap();
    ctx.store
        .put_schedule(
            p.id,
            &json!({"people": []}),
            ScheduleCounts::default(),
            t(0),
        )
        .await
        .unwrap();
    ctx.store
        .insert_samples(p.id, &[sample("census", 0, 3.0)], None, t(0))
        .await
        .unwrap();
    let store = ctx.reopen().await;
    let p = store.program("icu").await.unwrap().unwrap();
    assert_eq!(
        store.latest_schedule(p.id).await.unwrap().unwrap().version,
        1
    );
    assert_eq!(store.samples_since(p.id, t(-1)).await.unwrap().len(), 1);
    store
}

async fn defense_memory_is_kept_per_program_and_replaced(ctx: &Ctx) -> Store {
    use thermo_core::resilience::defense::{DefenseLevel, DefenseMemory};
    let store = ctx.store.clone();
    let icu = store.ensure_program("icu", t(0)).await.unwrap();
    let ward = store.ensure_program("ward", t(0)).await.unwrap();
    assert_eq!(store.defense_memory(icu.id).await.unwrap(), None);
    let held = DefenseMemory {
        level: DefenseLevel::Containment,
        calm_checks: 2,
        calm_max: DefenseLevel::Control,
    };
    store
        .save_defense_memory(icu.id, &held, t(15))
        .await
        .unwrap();
    assert_eq!(
        store.defense_memory(icu.id).await.unwrap(),
        Some(held.clone())
    );
    assert_eq!(store.defense_memory(ward.id).await.unwrap(), None);
    let released = DefenseMemory::default();
    store
        .save_defense_memory(icu.id, &released, t(30))
        .await
        .unwrap();
    assert_eq!(store.defense_memory(icu.id).await.unwrap(), Some(released));
    let store = ctx.reopen().await;
    assert_eq!(
        store.defense_memory(icu.id).await.unwrap(),
        Some(DefenseMemory::default())
    );
    store
}
