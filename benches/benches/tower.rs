//! The cost of the `tower` feature's layers on a call that succeeds at once, on an in-memory
//! service (no I/O, so that the layers' own cost is what is measured), against a bare service,
//! tower's own `Retry` and `Timeout`, and tower-resilience's retry, circuit breaker and time
//! limiter; and the three stacked.
//!
//! `cargo bench -p resilience-benches --bench tower`

use std::{
    future::Ready,
    hint::black_box,
    time::{Duration, Instant},
};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use resilience::{
    BreakerConfig, RetryPolicy,
    tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer},
};
use tower::{Layer, Service, ServiceBuilder, ServiceExt, retry::Policy, service_fn};

/// A current-thread runtime with time enabled, as the other async benches run on.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

/// The in-memory service's error: `Clone`, as tower-resilience's retry asks.
#[derive(Debug, Clone)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

impl std::error::Error for Failed {}

/// A service that answers at once.
fn service()
-> impl Service<u64, Response = u64, Error = Failed, Future = Ready<Result<u64, Failed>>>
+ Clone
+ Send
+ 'static {
    service_fn(|n: u64| std::future::ready(Ok(black_box(n))))
}

/// tower's `Retry` needs a policy written by hand: two retries of every error.
#[derive(Clone)]
struct TwoRetries(u32);

impl<Res, E> Policy<u64, Res, E> for TwoRetries {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut u64, result: &mut Result<Res, E>) -> Option<Self::Future> {
        if result.is_ok() || self.0 == 2 {
            return None;
        }
        self.0 += 1;
        Some(std::future::ready(()))
    }

    fn clone_request(&mut self, request: &u64) -> Option<u64> {
        Some(*request)
    }
}

/// Adds the case `name`: `ready` then `call` on `service`, awaited, one call per iteration.
fn bench_service<S>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    mut service: S,
) where
    S: Service<u64, Response = u64>,
    S::Error: std::fmt::Debug,
{
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    let ready = service.ready().await.expect("ready");
                    black_box(ready.call(black_box(i)).await.expect("an answer"));
                }
                start.elapsed()
            })
        })
    });
}

fn retry(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("tower retry, success");
    bench_service(&mut group, &runtime, "bare service", service());
    bench_service(
        &mut group,
        &runtime,
        "RetryLayer",
        RetryLayer::new(RetryPolicy::new())
            .named("bench.tower.retry")
            .layer(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower Retry",
        tower::retry::RetryLayer::new(TwoRetries(0)).layer(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower-resilience retry",
        tower_resilience::retry::RetryLayer::<u64, u64, Failed>::builder()
            .max_attempts(3)
            .exponential_backoff(Duration::from_millis(100))
            .build()
            .layer(service()),
    );
    group.finish();
}

fn timeout(c: &mut Criterion) {
    let runtime = runtime();
    let limit = Duration::from_secs(5);
    let mut group = c.benchmark_group("tower timeout, in time");
    bench_service(&mut group, &runtime, "bare service", service());
    bench_service(
        &mut group,
        &runtime,
        "TimeoutLayer",
        TimeoutLayer::new(limit).layer(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower Timeout",
        tower::timeout::TimeoutLayer::new(limit).layer(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower-resilience time limiter",
        tower_resilience::timelimiter::TimeLimiterLayer::builder()
            .timeout_duration(limit)
            .build()
            .layer(service()),
    );
    group.finish();
}

fn breaker(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("tower breaker, closed");
    bench_service(&mut group, &runtime, "bare service", service());
    bench_service(
        &mut group,
        &runtime,
        "CircuitBreakerLayer",
        CircuitBreakerLayer::named("bench.tower.breaker", BreakerConfig::new()).layer(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower-resilience circuit breaker",
        tower_resilience::circuitbreaker::CircuitBreakerLayer::builder()
            .consecutive_failures(5)
            .build()
            .expect("a breaker")
            .layer(service()),
    );
    group.finish();
}

fn stack(c: &mut Criterion) {
    let runtime = runtime();
    let limit = Duration::from_secs(5);
    let mut group = c.benchmark_group("tower stack, retry > breaker > timeout");
    bench_service(&mut group, &runtime, "bare service", service());
    bench_service(
        &mut group,
        &runtime,
        "resilience layers",
        ServiceBuilder::new()
            .layer(RetryLayer::new(RetryPolicy::new()).named("bench.tower.stack"))
            .layer(CircuitBreakerLayer::named(
                "bench.tower.stack",
                BreakerConfig::new(),
            ))
            .layer(TimeoutLayer::new(limit))
            .service(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower Retry > Timeout (no breaker)",
        ServiceBuilder::new()
            .layer(tower::retry::RetryLayer::new(TwoRetries(0)))
            .layer(tower::timeout::TimeoutLayer::new(limit))
            .service(service()),
    );
    bench_service(
        &mut group,
        &runtime,
        "tower-resilience",
        ServiceBuilder::new()
            .layer(
                tower_resilience::retry::RetryLayer::<u64, u64, _>::builder()
                    .max_attempts(3)
                    .exponential_backoff(Duration::from_millis(100))
                    .build(),
            )
            .layer(
                tower_resilience::circuitbreaker::CircuitBreakerLayer::builder()
                    .consecutive_failures(5)
                    .build()
                    .expect("a breaker"),
            )
            .layer(
                tower_resilience::timelimiter::TimeLimiterLayer::builder()
                    .timeout_duration(limit)
                    .build(),
            )
            .service(service()),
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = retry, timeout, breaker, stack
}
criterion_main!(benches);
