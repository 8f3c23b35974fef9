//! `thermo serve` as real processes: acknowledged writes survive a restart, SIGTERM stops
//! it cleanly, and two processes sharing one PostgreSQL run each periodic tick once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thermo_server::config::JobsConfig;
use thermo_server::jobs::{Job, JobQueue, Status};

const TOKEN: &str = "process-test-admin-token";

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db: &str, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_thermo"))
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("THERMO_API_TOKEN", TOKEN)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("thermo serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = reqwest::get(format!("{base}/healthz")).await
            && response.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "thermo serve did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server { child, base }
}

/// Sends SIGTERM and waits for a clean exit.
fn stop(mut server: Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

async fn send(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .header("idempotency-key", "k1")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let value = response.json().await.unwrap_or(Value::Null);
    (status, value)
}

fn bundle() -> Value {
    json!({
        "people": [{"id": "a"}, {"id": "b"}],
        "assignments": [
            {"person_id": "a", "date": "2026-03-02", "rotation": "ward"},
            {"person_id": "b", "date": "2026-03-02", "rotation": "ward"}
        ]
    })
}

#[tokio::test]
async fn acknowledged_writes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("thermo.db").display());
    let server = start(&db, &[("THERMO_JOBS__ENABLED", "false")]).await;
    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{}/api/v1/programs/icu/schedule", server.base),
        Some(bundle()),
    )
    .await;
    assert_eq!(status, 201);
    let samples = json!({"samples": [{"timestamp": "2026-03-02T08:00:00Z", "metric": "census", "value": 3.5}]});
    let (status, _) = send(
        reqwest::Method::POST,
        format!("{}/api/v1/programs/icu/metrics", server.base),
        Some(samples),
    )
    .await;
    assert_eq!(status, 200);
    stop(server);

    let server = start(&db, &[("THERMO_JOBS__ENABLED", "false")]).await;
    let (status, history) = send(
        reqwest::Method::GET,
        format!(
            "{}/api/v1/programs/icu/metrics/census/history?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z",
            server.base
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(history["data"][0]["value"], 3.5);
    let (_, programs) = send(
        reqwest::Method::GET,
        format!("{}/api/v1/programs", server.base),
        None,
    )
    .await;
    assert_eq!(programs["programs"][0]["latest_schedule_version"], 1);
    stop(server);
}

#[tokio::test]
async fn two_processes_on_one_postgres_run_each_tick_once() {
    let url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("thermo_cli_test_{}", std::process::id());
    let options = thermo_store::StoreOptions {
        postgres_schema: Some(schema.clone()),
        ..Default::default()
    };
    let store = match thermo_store::Store::connect_with(&url, &options).await {
        Ok(store) => store,
        Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipping PostgreSQL process test: {error}");
            return;
        }
        Err(error) => panic!("PostgreSQL is required in CI: {error}"),
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let env = [
        ("THERMO_JOBS__HEALTH_CHECK_MINUTES", "1"),
        ("THERMO_JOBS__ENTROPY_ANALYSIS_MINUTES", "1"),
    ];
    let first = start(&db, &[env[0], env[1], ("THERMO_NODE_NAME", "first")]).await;
    let second = start(&db, &[env[0], env[1], ("THERMO_NODE_NAME", "second")]).await;
    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{}/api/v1/programs/icu/schedule", first.base),
        Some(bundle()),
    )
    .await;
    assert_eq!(status, 201);
    // Wait for the next minute tick to pass and both nodes to have acted on it.
    let program = store.program("icu").await.unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let runs = store.job_runs("health_check", program.id).await.unwrap();
        if runs.iter().any(|r| r.finished_at.is_some()) {
            tokio::time::sleep(Duration::from_secs(3)).await;
            break;
        }
        assert!(Instant::now() < deadline, "no health check ran within 90 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop(first);
    stop(second);
    // Both nodes have stopped, so the runs are final.
    let runs = store.job_runs("health_check", program.id).await.unwrap();
    // Every run stores one thermodynamic row; had both nodes run a tick, there would be more
    // rows than claimed runs.
    let rows = store
        .thermodynamics_since(program.id, chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    let count = |by: &str| rows.iter().filter(|r| r.row.computed_by == by).count();
    assert_eq!(
        count("job:health_check"),
        runs.len(),
        "one run per tick: {runs:?}"
    );
    assert!(runs.iter().all(|r| r.node == "first" || r.node == "second"));
    assert!(runs.iter().all(|r| r.status == "succeeded"), "{runs:?}");
    let entropy = store
        .job_runs("entropy_analysis", program.id)
        .await
        .unwrap();
    assert_eq!(count("job:entropy_analysis"), entropy.len());
    // Both nodes pushed every tick, yet the queue held one task per tick: apalis's
    // idempotency key, not only the run claim, kept the duplicates out.
    let queue = JobQueue::open(store.database(), &JobsConfig::default())
        .await
        .unwrap();
    let done = queue.tasks(Job::HealthCheck, Status::Done).await.unwrap();
    assert_eq!(done.len(), runs.len(), "{done:?}");
    let mut ticks: Vec<_> = done.iter().map(|task| task.tick).collect();
    ticks.sort();
    ticks.dedup();
    assert_eq!(ticks.len(), done.len(), "one task per tick");
    queue.clear().await.unwrap();
    queue.close().await;
    store.drop_postgres_schema(&schema).await.unwrap();
}
