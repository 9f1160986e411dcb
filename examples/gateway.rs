//! An axum server (the gateway) whose handler calls a flaky upstream through a reqwest client
//! with `resilience::reqwest::ResilienceMiddleware`: retries with a budget, `Retry-After`
//! honoured, one named breaker and a timeout per attempt. Both servers run on loopback.
//!
//! Run it with `cargo run --example gateway` (about 8 s), or `-- --quick` (about 3 s).
//!
//! The upstream goes through three phases, driven by the example:
//!
//! - `flaky`: one request in ten is rate-limited with 429 and `Retry-After: 1`, one in four
//!   fails with 503, one in nine hangs for 2 s. The middleware retries them (waiting the
//!   second the 429 asks for, cutting the hung ones off after 300 ms); the gateway answers
//!   nearly every request.
//! - `down`: every request fails. The breaker opens after five failures in a row and the
//!   gateway answers 503 at once, without calling the upstream.
//! - `recovered`: the upstream serves again; after its recovery timeout the breaker lets a
//!   trial through, which closes it.

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
    http::{HeaderMap, StatusCode, header::RETRY_AFTER},
    routing::get,
};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use resilience::{
    BreakerConfig, RetryPolicy, breakers,
    reqwest::{ResilienceMiddleware, resilience_error},
    retries,
};
use tokio::{net::TcpListener, task::JoinSet, time::Instant};

const FLAKY: u8 = 0;
const DOWN: u8 = 1;
const RECOVERED: u8 = 2;

/// The upstream: a price service whose behaviour is the phase the example set.
#[derive(Clone)]
struct Upstream {
    phase: Arc<AtomicU8>,
    hits: Arc<AtomicU32>,
}

async fn price(
    State(upstream): State<Upstream>,
    Path(item): Path<u32>,
) -> (StatusCode, HeaderMap, String) {
    let n = upstream.hits.fetch_add(1, Relaxed) + 1;
    let mut headers = HeaderMap::new();
    match upstream.phase.load(Relaxed) {
        DOWN => (StatusCode::SERVICE_UNAVAILABLE, headers, "down".into()),
        FLAKY if n % 10 == 0 => {
            headers.insert(RETRY_AFTER, 1.into());
            (StatusCode::TOO_MANY_REQUESTS, headers, "slow down".into())
        }
        FLAKY if n % 4 == 0 => (StatusCode::SERVICE_UNAVAILABLE, headers, "busy".into()),
        FLAKY if n % 9 == 0 => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (StatusCode::OK, headers, format!("{}", item * 3))
        }
        _ => (StatusCode::OK, headers, format!("{}", item * 3)),
    }
}

/// The gateway's handler: one upstream call through the resilient client.
async fn quote(
    State(client): State<(ClientWithMiddleware, SocketAddr)>,
    Path(item): Path<u32>,
) -> (StatusCode, String) {
    let (client, upstream) = client;
    match client
        .get(format!("http://{upstream}/price/{item}"))
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => {
            let price = response.text().await.unwrap_or_default();
            (StatusCode::OK, format!("item {item}: {price}"))
        }
        // The upstream's last answer, after the retries: passed on.
        Ok(response) => (
            StatusCode::BAD_GATEWAY,
            format!("upstream said {}", response.status()),
        ),
        Err(error) => match resilience_error(&error) {
            Some(refusal) if refusal.is_circuit_open() => {
                (StatusCode::SERVICE_UNAVAILABLE, refusal.to_string())
            }
            _ => (StatusCode::BAD_GATEWAY, error.to_string()),
        },
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// What the callers of the gateway saw in one phase.
#[derive(Default)]
struct Tally {
    requests: u32,
    ok: u32,
    bad_gateway: u32,
    unavailable: u32,
    slowest: Duration,
}

/// `requests` requests to the gateway from 8 concurrent callers.
async fn drive(gateway: SocketAddr, requests: u32) -> Tally {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU32::new(0));
    let mut callers = JoinSet::new();
    for _ in 0..8 {
        let (client, next) = (client.clone(), Arc::clone(&next));
        callers.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Relaxed) < requests {
                let start = Instant::now();
                let status = match client
                    .get(format!("http://{gateway}/quote/{}", tally.requests + 1))
                    .send()
                    .await
                {
                    Ok(response) => response.status(),
                    Err(_) => StatusCode::BAD_GATEWAY,
                };
                tally.requests += 1;
                tally.slowest = tally.slowest.max(start.elapsed());
                match status {
                    StatusCode::OK => tally.ok += 1,
                    StatusCode::SERVICE_UNAVAILABLE => tally.unavailable += 1,
                    _ => tally.bad_gateway += 1,
                }
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(tally) = callers.join_next().await {
        let tally = tally.expect("a caller");
        total.requests += tally.requests;
        total.ok += tally.ok;
        total.bad_gateway += tally.bad_gateway;
        total.unavailable += tally.unavailable;
        total.slowest = total.slowest.max(tally.slowest);
    }
    total
}

#[tokio::main]
async fn main() -> ExitCode {
    let quick = std::env::args().any(|arg| arg == "--quick");
    if std::env::args().any(|arg| arg == "--help" || arg == "-h") {
        println!(
            "gateway: an axum gateway calling a flaky upstream through reqwest with ResilienceMiddleware.\n\nUSAGE: cargo run --example gateway -- [--quick]"
        );
        return ExitCode::SUCCESS;
    }
    let requests = if quick { 60 } else { 300 };

    let upstream = Upstream {
        phase: Arc::new(AtomicU8::new(FLAKY)),
        hits: Arc::new(AtomicU32::new(0)),
    };
    let upstream_address = serve(
        Router::new()
            .route("/price/{item}", get(price))
            .with_state(upstream.clone()),
    )
    .await;

    // The gateway's client: the middleware with the crate's engines.
    let breaker = breakers::configure(
        "upstream",
        BreakerConfig::new()
            .with_failure_threshold(5)
            .with_recovery_timeout(Duration::from_millis(300))
            // Every caller's request may be a trial once it is back.
            .with_half_open_max_calls(8),
    );
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(
            ResilienceMiddleware::new(
                RetryPolicy::new()
                    .with_max_attempts(4)
                    .with_initial_delay(Duration::from_millis(20)),
            )
            .named("upstream")
            .breaker(Arc::clone(&breaker))
            .attempt_timeout(Duration::from_millis(300)),
        )
        .build();
    let gateway = serve(
        Router::new()
            .route("/quote/{item}", get(quote))
            .with_state((client, upstream_address)),
    )
    .await;
    println!("upstream on {upstream_address}, gateway on {gateway}\n");
    println!(
        "{:<10} {:>8} {:>8} {:>12} {:>12} {:>10} {:>10}",
        "phase", "requests", "200", "502 (upstream)", "503 (open)", "upstream", "slowest"
    );

    let mut failed = false;
    for (name, phase, share) in [
        ("flaky", FLAKY, 2),
        ("down", DOWN, 1),
        ("recovered", RECOVERED, 1),
    ] {
        upstream.phase.store(phase, Relaxed);
        let hits_before = upstream.hits.load(Relaxed);
        if phase == RECOVERED {
            // Past the breaker's recovery timeout, so that a trial call finds the upstream back.
            tokio::time::sleep(Duration::from_millis(350)).await;
        }
        let tally = drive(gateway, requests * share / 2).await;
        let hits = upstream.hits.load(Relaxed) - hits_before;
        println!(
            "{name:<10} {:>8} {:>8} {:>14} {:>12} {:>10} {:>9.0?}",
            tally.requests, tally.ok, tally.bad_gateway, tally.unavailable, hits, tally.slowest
        );
        failed |= match phase {
            FLAKY => tally.ok * 10 < tally.requests * 9,
            DOWN => hits >= tally.requests,
            _ => tally.ok * 20 < tally.requests * 19,
        };
    }

    println!();
    if let Some(stats) = retries::get("upstream") {
        println!("retries: {stats}");
    }
    let stats = breaker.stats();
    println!(
        "breaker: {} after {} calls ({} failures, {} refused)",
        stats.state, stats.calls, stats.failures, stats.rejections
    );
    if failed {
        eprintln!(
            "\nunexpected: the flaky phase should be served (90%+), the down phase spared, the recovery served (95%+)"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
