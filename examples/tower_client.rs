//! A tower client stack, no tonic needed: hyper's client under `tower::ServiceBuilder` with the
//! crate's layers, which read like the attributes they replace:
//!
//! ```text
//! RetryLayer::http(..)             #[retry]            outermost: each attempt goes through the breaker
//! CircuitBreakerLayer::named(..)   #[circuit_breaker]  counts every attempt; refuses once open
//! TimeoutLayer::new(..)            #[timeout]          innermost: bounds each attempt
//! ```
//!
//! It calls a flaky catalog service on loopback through three phases (flaky, down,
//! recovered) and prints what the callers saw, the retries' statistics and the breaker's.
//!
//! Run it with `cargo run --example tower_client` (about 3 s), or `-- --quick` (about 1 s).

use std::{
    net::SocketAddr,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU8, AtomicU32, Ordering::Relaxed},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use resilience::{
    BreakerConfig, RetryPolicy, retries,
    tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer},
};
use tokio::{net::TcpListener, time::Instant};
use tower::{Service, ServiceBuilder, ServiceExt};

const FLAKY: u8 = 0;
const DOWN: u8 = 1;
const RECOVERED: u8 = 2;

#[derive(Clone)]
struct Catalog {
    phase: Arc<AtomicU8>,
    hits: Arc<AtomicU32>,
}

/// One in three requests fails with 503 and one in eight hangs while flaky; all fail while
/// down.
async fn item(State(catalog): State<Catalog>, Path(id): Path<u32>) -> (StatusCode, String) {
    let n = catalog.hits.fetch_add(1, Relaxed) + 1;
    match catalog.phase.load(Relaxed) {
        DOWN => (StatusCode::SERVICE_UNAVAILABLE, "down".into()),
        FLAKY if n % 3 == 0 => (StatusCode::SERVICE_UNAVAILABLE, "busy".into()),
        FLAKY if n % 8 == 0 => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::OK, format!("item {id}"))
        }
        _ => (StatusCode::OK, format!("item {id}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let calls_per_phase = if quick { 30 } else { 100 };

    let catalog = Catalog {
        phase: Arc::new(AtomicU8::new(FLAKY)),
        hits: Arc::new(AtomicU32::new(0)),
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address: SocketAddr = listener.local_addr().expect("its address");
    let app = Router::new()
        .route("/items/{id}", get(item))
        .with_state(catalog.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The stack, top to bottom as the attributes read.
    let breaker = CircuitBreakerLayer::named(
        "catalog",
        BreakerConfig::new()
            .with_failure_threshold(4)
            .with_recovery_timeout(Duration::from_millis(200)),
    )
    .http();
    let mut client = ServiceBuilder::new()
        .layer(
            RetryLayer::http(
                RetryPolicy::new()
                    .with_max_attempts(4)
                    .with_initial_delay(Duration::from_millis(5)),
            )
            .named("catalog"),
        )
        .layer(breaker)
        .layer(TimeoutLayer::new(Duration::from_millis(100)).named("catalog"))
        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());

    println!("catalog on {address}\n");
    println!(
        "{:<10} {:>6} {:>6} {:>8} {:>8} {:>9} {:>9}",
        "phase", "calls", "200", "failed", "refused", "catalog", "slowest"
    );
    let mut failed = false;
    for (name, phase) in [("flaky", FLAKY), ("down", DOWN), ("recovered", RECOVERED)] {
        catalog.phase.store(phase, Relaxed);
        if phase == RECOVERED {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let hits_before = catalog.hits.load(Relaxed);
        let (mut ok, mut failures, mut refused, mut slowest) = (0, 0, 0, Duration::ZERO);
        for id in 0..calls_per_phase {
            let request = Request::get(format!("http://{address}/items/{id}"))
                .body(Full::new(Bytes::new()))
                .expect("a request");
            let start = Instant::now();
            let outcome = client.ready().await.expect("ready").call(request).await;
            slowest = slowest.max(start.elapsed());
            match outcome {
                Ok(response) if response.status().is_success() => {
                    let _ = response.into_body().collect().await;
                    ok += 1;
                }
                // The service's last answer, after the retries.
                Ok(_) => failures += 1,
                Err(error) => match error.downcast_ref::<resilience::Error>() {
                    Some(refusal) if refusal.is_circuit_open() => refused += 1,
                    _ => failures += 1,
                },
            }
        }
        let hits = catalog.hits.load(Relaxed) - hits_before;
        println!(
            "{name:<10} {calls_per_phase:>6} {ok:>6} {failures:>8} {refused:>8} {hits:>9} {slowest:>9.0?}"
        );
        failed |= match phase {
            FLAKY => ok * 10 < calls_per_phase * 9,
            DOWN => refused == 0 || hits >= calls_per_phase,
            _ => ok != calls_per_phase,
        };
    }

    println!();
    if let Some(stats) = retries::get("catalog") {
        println!("retries: {stats}");
    }
    let stats = resilience::breakers::get("catalog")
        .expect("the layer's breaker is the registry's")
        .stats();
    println!(
        "breaker: {} after {} calls ({} failures, {} refused)",
        stats.state, stats.calls, stats.failures, stats.rejections
    );
    if failed {
        eprintln!(
            "\nunexpected: the flaky phase should be served (90%+), the down phase refused, the recovery served"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
