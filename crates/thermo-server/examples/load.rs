//! Loopback load test of the service (numbers in `docs/performance.md`).
//!
//! `cargo run --release -p thermo-server --example load -- [DATABASE_URL]` starts the app
//! in-process on 127.0.0.1, then measures:
//! 1. metric ingestion: 40 batches of 5,000 samples POSTed one after another
//!    (samples per second, end to end through HTTP, JSON parsing and the store);
//! 2. `GET /api/v1/programs/{p}/health` at a fixed 200 requests per second for 10 s
//!    (latency p50 / p99 / max, in milliseconds).
//!
//! With no argument it uses a fresh SQLite file in a temporary directory. A PostgreSQL URL
//! is used in a fresh schema, dropped afterwards.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::json;
use thermo_server::config::{Access, TokenConfig};
use thermo_server::{AppState, ServerConfig};
use thermo_store::{Store, StoreOptions};

const TOKEN: &str = "load-test-token";

#[tokio::main]
async fn main() {
    let arg = std::env::args().nth(1);
    let dir = tempfile::tempdir().expect("temporary directory");
    let schema = format!("thermo_load_{}", std::process::id());
    let (store, url) = match &arg {
        Some(url) => {
            let options = StoreOptions {
                postgres_schema: Some(schema.clone()),
                ..StoreOptions::default()
            };
            (
                Store::connect_with(url, &options).await.expect("database"),
                url.clone(),
            )
        }
        None => {
            let url = format!("sqlite://{}", dir.path().join("load.db").display());
            (Store::connect(&url).await.expect("database"), url)
        }
    };
    let mut config = ServerConfig::default();
    config.jobs.enabled = false;
    config.auth.tokens = vec![TokenConfig {
        token: TOKEN.into(),
        programs: vec!["*".into()],
        access: Access::Write,
    }];
    let state = AppState::new(store.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(thermo_server::serve(
        state,
        listener,
        std::future::pending(),
    ));
    let base = format!("http://{address}/api/v1/programs/load");
    let client = reqwest::Client::new();

    let mut assignments = Vec::new();
    for day in 1..=28 {
        for person in 0..30 {
            assignments.push(json!({"person_id": format!("p{person}"), "date": format!("2026-02-{day:02}"), "rotation": format!("r{}", person % 6)}));
        }
    }
    let people: Vec<_> = (0..30).map(|p| json!({"id": format!("p{p}")})).collect();
    let bundle = json!({"people": people, "assignments": assignments});
    let put = client
        .put(format!("{base}/schedule"))
        .bearer_auth(TOKEN)
        .json(&bundle)
        .send()
        .await
        .expect("put");
    assert!(put.status().is_success(), "{}", put.status());
    let run = client
        .post(format!("{base}/checks/run"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("check");
    assert!(run.status().is_success());

    // 1. ingestion
    let start_time = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let batches = 40;
    let per_batch = 5_000;
    let bodies: Vec<String> = (0..batches)
        .map(|b| {
            let samples: Vec<_> = (0..per_batch)
                .map(|i| {
                    let n = b * per_batch + i;
                    json!({"timestamp": (start_time + chrono::Duration::seconds(n as i64 / 4)).to_rfc3339(),
                           "metric": format!("m{}", n % 4), "value": n as f64 * 0.5})
                })
                .collect();
            json!({"samples": samples}).to_string()
        })
        .collect();
    let started = Instant::now();
    for body in bodies {
        let response = client
            .post(format!("{base}/metrics"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("post");
        assert!(response.status().is_success(), "{}", response.status());
    }
    let seconds = started.elapsed().as_secs_f64();
    let total = (batches * per_batch) as f64;
    println!(
        "backend: {}",
        if arg.is_some() {
            "postgresql"
        } else {
            "sqlite"
        }
    );
    println!(
        "ingestion: {total} samples in {seconds:.2} s = {:.0} samples/s (batches of {per_batch})",
        total / seconds
    );

    // 2. GET health at 200 rps for 10 s
    let mut interval = tokio::time::interval(Duration::from_millis(5));
    let mut handles = Vec::new();
    for _ in 0..2000 {
        interval.tick().await;
        let client = client.clone();
        let url = format!("{base}/health");
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let response = client
                .get(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("get");
            assert!(response.status().is_success());
            let _ = response.bytes().await;
            t.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut latencies = Vec::with_capacity(handles.len());
    for handle in handles {
        latencies.push(handle.await.expect("request"));
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "GET health at 200 rps: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    if arg.is_some() {
        store
            .drop_postgres_schema(&schema)
            .await
            .expect("drop schema");
    }
    let _ = url;
}
