//! Alert delivery to webhooks: POST the [`AlertPayload`](thermo_store::AlertPayload) JSON,
//! retry with exponential backoff, record every attempt.
//!
//! With `alerts.webhook_secret` set, each request carries
//! `X-Thermo-Signature: sha256=<hex HMAC-SHA256 of the body>`. A 2xx answer is a delivery;
//! anything else (or no answer within `alerts.timeout_seconds`) is retried after
//! `backoff_initial_seconds · 2^(attempt − 1)`, capped at `backoff_max_seconds`, until
//! `max_attempts` attempts were made, when the delivery is marked `failed`.

use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thermo_store::{DeliveryOutcome, DueDelivery};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::AlertsConfig;
use crate::{AppState, gauges};

/// Signature header name.
pub const SIGNATURE_HEADER: &str = "X-Thermo-Signature";

/// Hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Delay before attempt number `attempts_made + 1`, given `attempts_made` ≥ 1 failures.
pub fn backoff(config: &AlertsConfig, attempts_made: u32) -> Duration {
    let exponent = attempts_made.saturating_sub(1).min(30);
    let seconds = u64::from(config.backoff_initial_seconds)
        .saturating_mul(1u64 << exponent)
        .min(u64::from(config.backoff_max_seconds));
    Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1000))
}

/// Builds the HTTP client for webhooks.
pub fn client(config: &AlertsConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(u64::from(
            config.timeout_seconds.max(1),
        )))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

async fn attempt(
    client: &reqwest::Client,
    config: &AlertsConfig,
    due: &DueDelivery,
) -> Result<(), String> {
    let body = serde_json::to_vec(&due.alert).map_err(|e| e.to_string())?;
    let mut request = client
        .post(&due.webhook_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Thermo-Alert-Id", due.alert.alert_id.to_string());
    if let Some(secret) = &config.webhook_secret {
        request = request.header(
            SIGNATURE_HEADER,
            format!("sha256={}", signature(secret, &body)),
        );
    }
    let response = request.body(body).send().await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", response.status().as_u16()))
    }
}

/// Attempts every due delivery this node leases once; returns how many attempts it made.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> usize {
    let config = &state.config.alerts;
    let due = match state.store.due_deliveries(Utc::now(), 50).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "cannot read due webhook deliveries");
            return 0;
        }
    };
    let mut attempted = 0;
    for delivery in due {
        // Lease it for twice the request timeout so no other node sends the same attempt.
        let lease = Duration::seconds(2 * i64::from(config.timeout_seconds.max(1)));
        match state
            .store
            .lease_delivery(&delivery, Utc::now() + lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(%error, delivery = delivery.delivery_id, "cannot lease delivery");
                continue;
            }
        }
        attempted += 1;
        let result = attempt(client, config, &delivery).await;
        let attempts_made = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
        let (outcome, label) = match result {
            Ok(()) => (DeliveryOutcome::Delivered, "delivered"),
            Err(error) if attempts_made >= config.max_attempts => {
                (DeliveryOutcome::GaveUp { error }, "failed")
            }
            Err(error) => (
                DeliveryOutcome::Retry {
                    error,
                    next_attempt_at: Utc::now() + backoff(config, attempts_made),
                },
                "retry",
            ),
        };
        gauges::record_delivery(&delivery.alert.program, label);
        if let Err(error) = state
            .store
            .record_delivery_attempt(
                delivery.delivery_id,
                delivery.attempts,
                &outcome,
                Utc::now(),
            )
            .await
        {
            tracing::warn!(%error, delivery = delivery.delivery_id, "cannot record delivery attempt");
        }
    }
    attempted
}

/// Spawns the delivery loop; it ends when `shutdown` turns true.
pub fn spawn_delivery(state: &AppState, shutdown: &watch::Receiver<bool>) -> JoinHandle<()> {
    let state = state.clone();
    let mut shutdown = shutdown.clone();
    tokio::spawn(async move {
        let client = client(&state.config.alerts);
        let poll =
            std::time::Duration::from_secs(u64::from(state.config.alerts.poll_seconds.max(1)));
        loop {
            deliver_due(&state, &client).await;
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let config = AlertsConfig {
            backoff_initial_seconds: 10,
            backoff_max_seconds: 60,
            ..AlertsConfig::default()
        };
        let delays: Vec<_> = (1..=5).map(|n| backoff(&config, n).num_seconds()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60]);
    }

    #[test]
    fn signature_is_the_rfc4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
