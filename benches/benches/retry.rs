//! The cost of retrying when nothing fails, and of computing a schedule:
//! - `#[retry]` and the plain API against a bare call of the same body, and against `backon`
//!   and `tokio-retry` doing the same work, sync and async;
//! - the retry budget's deposit: the site's own budget (the default), a shared named one, and
//!   none (`budget = none`), which counts the call for the statistics alone;
//! - the backoff engine's delay computation, with and without jitter.
//!
//! `cargo bench -p resilience-benches --bench retry`

use std::{hint::black_box, time::Duration};

use backon::{BlockingRetryable, ExponentialBuilder, Retryable};
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use resilience::{Jitter, RetryPolicy, retry};

#[derive(Debug)]
struct Failure;

#[inline(never)]
fn work() -> Result<u64, Failure> {
    Ok(black_box(1))
}

#[inline(never)]
async fn work_async() -> Result<u64, Failure> {
    Ok(black_box(1))
}

#[retry(max_attempts = 3, initial_delay = "100ms")]
fn attribute() -> Result<u64, Failure> {
    work()
}

#[retry(max_attempts = 3, initial_delay = "100ms")]
async fn attribute_async() -> Result<u64, Failure> {
    work_async().await
}

#[retry(max_attempts = 3, initial_delay = "100ms", budget = none)]
fn attribute_no_budget() -> Result<u64, Failure> {
    work()
}

#[retry(max_attempts = 3, initial_delay = "100ms", budget = "bench.shared")]
fn attribute_shared_budget() -> Result<u64, Failure> {
    work()
}

#[retry(max_attempts = 3, initial_delay = "100ms", budget = none)]
async fn attribute_async_no_budget() -> Result<u64, Failure> {
    work_async().await
}

#[retry(max_attempts = 3, initial_delay = "100ms", budget = "bench.shared")]
async fn attribute_async_shared_budget() -> Result<u64, Failure> {
    work_async().await
}

const POLICY: RetryPolicy = RetryPolicy::new();

fn backon_policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_times(2)
        .with_jitter()
}

fn sync_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry sync success");
    group.bench_function("bare call", |b| b.iter(|| work().unwrap_or(0)));
    group.bench_function("#[retry] fn", |b| b.iter(|| attribute().unwrap_or(0)));
    group.bench_function("#[retry(budget = none)] fn", |b| {
        b.iter(|| attribute_no_budget().unwrap_or(0))
    });
    group.bench_function("#[retry(budget = \"shared\")] fn", |b| {
        b.iter(|| attribute_shared_budget().unwrap_or(0))
    });
    group.bench_function("RetryPolicy::call", |b| {
        b.iter(|| POLICY.call(work).unwrap_or(0))
    });
    let unbudgeted = POLICY.retrying().without_budget();
    group.bench_function("RetryPolicy::call, without_budget", |b| {
        b.iter(|| unbudgeted.call(work).unwrap_or(0))
    });
    group.bench_function("backon (blocking)", |b| {
        b.iter(|| {
            work.retry(backon_policy())
                .sleep(std::thread::sleep)
                .call()
                .unwrap_or(0)
        })
    });
    group.finish();
}

fn async_success(c: &mut Criterion) {
    let runtime = support::runtime();
    let mut group = c.benchmark_group("retry async success");
    support::bench_awaits(&mut group, &runtime, "bare await", work_async);
    support::bench_awaits(&mut group, &runtime, "#[retry] async fn", attribute_async);
    support::bench_awaits(
        &mut group,
        &runtime,
        "#[retry(budget = none)] async fn",
        attribute_async_no_budget,
    );
    support::bench_awaits(
        &mut group,
        &runtime,
        "#[retry(budget = \"shared\")] async fn",
        attribute_async_shared_budget,
    );
    support::bench_awaits(&mut group, &runtime, "RetryPolicy::call_async", || {
        POLICY.call_async(work_async)
    });
    support::bench_awaits(&mut group, &runtime, "backon", || {
        work_async.retry(backon_policy())
    });
    support::bench_awaits(&mut group, &runtime, "tokio-retry", || {
        tokio_retry::Retry::start(
            tokio_retry::strategy::ExponentialBackoff::from_millis(100)
                .map(tokio_retry::strategy::jitter)
                .take(2),
            work_async,
        )
    });
    group.finish();
}

fn schedule(c: &mut Criterion) {
    const RETRIES: u32 = 10;
    let mut group = c.benchmark_group("backoff delay computation");
    group.throughput(Throughput::Elements(u64::from(RETRIES)));
    for (name, jitter) in [
        ("no jitter", Jitter::None),
        ("full jitter", Jitter::Full),
        ("equal jitter", Jitter::Equal),
        ("decorrelated jitter", Jitter::Decorrelated),
    ] {
        let policy = RetryPolicy::new()
            .with_max_attempts(RETRIES + 1)
            .with_jitter(jitter)
            .with_seed(7);
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(&policy)
                    .delays()
                    .fold(Duration::ZERO, |a, d| a + d)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = sync_success, async_success, schedule
}
criterion_main!(benches);
