//! How cheaply a dead dependency is refused (the open-state rejection), what the registry
//! costs (looking a breaker up by name, and registering a new one: a call site's first call),
//! and the closed-state success path of an async function.
//!
//! `cargo bench -p resilience-benches --bench breaker_paths`

use std::{
    hint::black_box,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use criterion::{Criterion, criterion_group, criterion_main};

mod support;
use resilience::{BreakerConfig, CircuitBreaker, Error, breakers, circuit_breaker};

#[inline(never)]
fn op() -> Result<u64, Error> {
    Ok(black_box(1))
}

#[circuit_breaker(name = "bench.rejected")]
fn rejected() -> Result<u64, Error> {
    op()
}

#[circuit_breaker(name = "bench.rejected.io")]
fn rejected_io() -> std::io::Result<u64> {
    Ok(black_box(1))
}

/// A plain enum error with a variant for the breaker's own errors.
#[derive(Debug)]
enum AppError {
    #[allow(dead_code)]
    Down,
    #[allow(dead_code)]
    Breaker(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        AppError::Breaker(error)
    }
}

#[circuit_breaker(name = "bench.rejected.enum")]
fn rejected_enum() -> Result<u64, AppError> {
    Ok(black_box(1))
}

#[inline(never)]
async fn op_async() -> Result<u64, Error> {
    Ok(black_box(1))
}

#[circuit_breaker(name = "bench.async")]
async fn attributed_async() -> Result<u64, Error> {
    op_async().await
}

fn async_success(c: &mut Criterion) {
    let runtime = support::runtime();
    let mut group = c.benchmark_group("breaker async success");
    let breaker = CircuitBreaker::new("bench.async.plain", BreakerConfig::new());
    support::bench_awaits(&mut group, &runtime, "bare await", op_async);
    support::bench_awaits(
        &mut group,
        &runtime,
        "#[circuit_breaker] async fn",
        attributed_async,
    );
    support::bench_awaits(&mut group, &runtime, "CircuitBreaker::call_async", || {
        breaker.call_async(op_async())
    });
    group.finish();
}

fn rejection(c: &mut Criterion) {
    let mut group = c.benchmark_group("open-state rejection");
    group.bench_function("bare call", |b| b.iter(|| op().unwrap_or(0)));
    let breaker = CircuitBreaker::new("bench.plain", BreakerConfig::new());
    breaker.force_open();
    group.bench_function("CircuitBreaker::call, open", |b| {
        b.iter(|| breaker.call(op).unwrap_or(0))
    });
    let _ = rejected();
    breakers::get("bench.rejected")
        .expect("registered")
        .force_open();
    group.bench_function("#[circuit_breaker] fn, open", |b| {
        b.iter(|| rejected().unwrap_or(0))
    });
    group.bench_function("try_acquire, open (the rejection alone)", |b| {
        b.iter(|| black_box(breaker.try_acquire().is_err()))
    });
    let _ = rejected_io();
    breakers::get("bench.rejected.io")
        .expect("registered")
        .force_open();
    group.bench_function("#[circuit_breaker] fn -> io::Result, open", |b| {
        b.iter(|| rejected_io().unwrap_or(0))
    });
    let _ = rejected_enum();
    breakers::get("bench.rejected.enum")
        .expect("registered")
        .force_open();
    group.bench_function("#[circuit_breaker] fn -> enum error, open", |b| {
        b.iter(|| rejected_enum().unwrap_or(0))
    });
    group.finish();
}

fn registry(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry");
    for i in 0..100 {
        breakers::configure(&format!("bench.registry.{i}"), BreakerConfig::new());
    }
    group.bench_function("breakers::get (100 registered)", |b| {
        b.iter(|| breakers::get(black_box("bench.registry.42")).is_some())
    });
    // Each iteration registers a new name, so the registry grows: the iterations are capped
    // and the time scaled, to keep memory bounded.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    group.bench_function("first-call registration", |b| {
        b.iter_custom(|iters| {
            let measured = iters.min(20_000);
            let names: Vec<String> = (0..measured)
                .map(|_| format!("bench.new.{}", NEXT.fetch_add(1, Ordering::Relaxed)))
                .collect();
            let start = Instant::now();
            for name in &names {
                black_box(breakers::configure(name, BreakerConfig::new()));
            }
            start.elapsed() * u32::try_from(iters / measured.max(1)).unwrap_or(1)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = async_success, rejection, registry
}
criterion_main!(benches);
