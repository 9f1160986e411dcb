//! The cost of `resilience::reqwest::ResilienceMiddleware` on a request that succeeds at once,
//! against no middleware and reqwest-retry's `RetryTransientMiddleware`:
//!
//! - in memory: the last middleware of the chain answers without any I/O, so that the
//!   middleware's own cost is what is measured (building and sending the request through
//!   reqwest-middleware's chain is the baseline);
//! - on loopback: a minimal HTTP/1.1 server on a local port, for the same costs beside a real
//!   round trip.
//!
//! `cargo bench -p resilience-benches --bench reqwest`

use std::{
    hint::black_box,
    net::SocketAddr,
    time::{Duration, Instant},
};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
use resilience::{BreakerConfig, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The end of the chain in memory: a 200 at once, the request never sent.
struct Answer;

#[async_trait::async_trait]
impl Middleware for Answer {
    async fn handle(
        &self,
        _: Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        Ok(Response::from(http::Response::new("ok")))
    }
}

/// The clients under test: `(name, middleware before the end of the chain)`.
fn clients(in_memory: bool, name: &'static str) -> Vec<(&'static str, ClientWithMiddleware)> {
    let build = |middleware: Option<Box<dyn FnOnce(ClientBuilder) -> ClientBuilder>>| {
        let mut builder = ClientBuilder::new(reqwest::Client::new());
        if let Some(add) = middleware {
            builder = add(builder);
        }
        if in_memory {
            builder = builder.with(Answer);
        }
        builder.build()
    };
    let breaker = breakers::configure(name, BreakerConfig::new());
    vec![
        ("no middleware", build(None)),
        (
            "ResilienceMiddleware",
            build(Some(Box::new(move |b| {
                b.with(ResilienceMiddleware::new(RetryPolicy::new()).named(name))
            }))),
        ),
        (
            "ResilienceMiddleware, breaker",
            build(Some(Box::new(move |b| {
                b.with(
                    ResilienceMiddleware::new(RetryPolicy::new())
                        .named(name)
                        .breaker(breaker),
                )
            }))),
        ),
        (
            "reqwest-retry",
            build(Some(Box::new(|b| {
                b.with(RetryTransientMiddleware::new_with_policy(
                    ExponentialBackoff::builder().build_with_max_retries(2),
                ))
            }))),
        ),
    ]
}

fn bench_client(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    client: &ClientWithMiddleware,
    url: &str,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let response = client.get(url).send().await.expect("a response");
                    black_box(response.bytes().await.expect("a body"));
                }
                start.elapsed()
            })
        })
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn in_memory(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("reqwest middleware, in memory");
    for (name, client) in clients(true, "bench.reqwest.memory") {
        bench_client(
            &mut group,
            &runtime,
            name,
            &client,
            "http://bench.invalid/items/7",
        );
    }
    group.finish();
}

/// A minimal HTTP/1.1 server on a loopback port: a 200 with a 2-byte body to every request,
/// the connection kept alive.
async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0; 4096];
                let mut filled = 0;
                loop {
                    match socket.read(&mut buffer[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                    while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                    {
                        buffer.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    address
}

fn loopback(c: &mut Criterion) {
    let runtime = runtime();
    let address = runtime.block_on(serve());
    let url = format!("http://{address}/items/7");
    let mut group = c.benchmark_group("reqwest middleware, loopback");
    for (name, client) in clients(false, "bench.reqwest.loopback") {
        bench_client(&mut group, &runtime, name, &client, &url);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = in_memory, loopback
}
criterion_main!(benches);
