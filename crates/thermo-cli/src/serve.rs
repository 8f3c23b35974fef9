//! `thermo serve`: the service (HTTP API, `/metrics`, periodic checks, alert webhooks).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use thermo_server::demo::{self, DemoFeed};
use thermo_server::{AppState, ServerConfig};

use crate::BadInput;

/// Arguments of `thermo serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); `THERMO_*` environment variables override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Database URL: `sqlite://FILE` (default `sqlite://thermo.db`) or `postgres://…`.
    #[arg(long)]
    pub db: Option<String>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Serve the generated demo program (as `thermo demo` writes it) with a simulated live
    /// metric feed (SQLite file
    /// `thermo-demo.db` unless --db is given; reads need no token; checks every minute).
    #[arg(long)]
    pub demo: bool,
}

/// Seconds between two samples of the demo feed.
const DEMO_FEED_SECONDS: u64 = 5;

/// Runs `thermo serve` until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    let mut config =
        ServerConfig::load(args.config.as_deref()).map_err(|e| BadInput(e.to_string()))?;
    if args.demo {
        config.database_url = "sqlite://thermo-demo.db".to_owned();
        config.auth.require_token_for_reads = false;
        config.jobs.health_check_minutes = 1;
        config.jobs.entropy_analysis_minutes = 5;
    }
    if let Some(db) = &args.db {
        config.database_url = db.clone();
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let listen = config.listen;
    let demo = args.demo;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let state = AppState::open(config)
            .await
            .context("cannot open the database")?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut feed = None;
        if demo {
            let schedule = thermo_sim::demo::generate(&thermo_sim::demo::DemoConfig::default());
            let program = demo::install(&state, &schedule).await?;
            feed = Some(demo::spawn_feed(
                &state,
                program.clone(),
                DemoFeed::new(&schedule, DemoFeed::seed()),
                Duration::from_secs(DEMO_FEED_SECONDS),
                &stop_rx,
            ));
            thermo_server::check::run_check(&state, &program, "demo")
                .await
                .context("first demo health check")?;
            let address = listener.local_addr()?;
            eprintln!(
                "demo program `{}` is live:\n  http://{address}/docs\n  http://{address}/api/v1/programs/demo/health\n  http://{address}/api/v1/resilience/thermodynamics/entropy/history?program=demo\n  http://{address}/metrics",
                demo::DEMO_PROGRAM
            );
        }
        let shutdown = async move {
            thermo_server::shutdown_signal().await;
            let _ = stop_tx.send(true);
        };
        thermo_server::serve(state, listener, shutdown).await?;
        if let Some(feed) = feed {
            let _ = feed.await;
        }
        Ok(())
    })
}
