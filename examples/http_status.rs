//! Retrying on an HTTP status: a loopback server answers `503 Service Unavailable` with a
//! `Retry-After` twice, then `200 OK`. reqwest returns every one of those as `Ok(response)`,
//! so the retry looks at the *value*: `retry_if_ok` picks the statuses worth another try and
//! `ok_delay_hint` reads the server's `Retry-After`. When the attempts run out the caller gets
//! the last response, as it would without the retry.
//!
//! The same with the attribute is `#[retry(retry_if_ok = is_retryable_status)]` on a function
//! returning `Result<Response, reqwest::Error>` (see the attribute's "Retrying `Ok` values").
//!
//! Run it with `cargo run --example http_status` (about 2 s: two 1 s `Retry-After`s).

use std::{
    net::SocketAddr,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering::Relaxed},
    },
    time::Duration,
};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use resilience::{RetryPolicy, http::retry_after};
use tokio::net::TcpListener;

/// 503 with `Retry-After: 1` for the first two requests, then 200.
async fn flaky(State(hits): State<Arc<AtomicU32>>) -> impl IntoResponse {
    if hits.fetch_add(1, Relaxed) < 2 {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "busy",
        )
    } else {
        (StatusCode::OK, [("retry-after", "0")], "ready")
    }
}

/// The statuses reqwest-retry retries as transient: 408, 429 and 5xx.
fn is_retryable_status(response: &reqwest::Response) -> bool {
    let status = response.status();
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let hits = Arc::new(AtomicU32::new(0));
    let app = Router::new()
        .route("/", get(flaky))
        .with_state(hits.clone());
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a loopback port");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let start = tokio::time::Instant::now();
    let outcome = RetryPolicy::new()
        .with_max_retries(4)
        .retrying_for::<reqwest::Error>()
        .named("examples.http_status")
        .retry_if_ok(is_retryable_status)
        .ok_delay_hint(|response: &reqwest::Response| retry_after(response.headers()))
        // `get` builds a request; `send` makes one attempt.
        .call_async_with_outcome(|| client.get(&url).send())
        .await;
    let elapsed = start.elapsed();

    let status = match &outcome.result {
        Ok(response) => response.status(),
        Err(error) => {
            eprintln!("request failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{status} after {} attempts, {:?} slept (the server asked for 1 s twice), {:.1?} in all",
        outcome.attempts, outcome.slept, elapsed
    );
    let expected = (StatusCode::OK, 3, Duration::from_secs(2));
    if (status, outcome.attempts, outcome.slept) != expected {
        eprintln!("expected {expected:?}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
