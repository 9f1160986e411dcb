//! The cost of a timeout per call, when the call finishes in time:
//! - async: `#[timeout]` and `timeout_async` against raw `tokio::time::timeout` and a bare
//!   `.await`;
//! - sync: `#[timeout]` and `timeout_sync` (a pooled worker thread) against spawning a thread
//!   per call, and a bare call.
//!
//! `cargo bench -p resilience-benches --bench timeout`

use std::{hint::black_box, sync::mpsc, thread, time::Duration};

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use resilience::{Error, timeout, timeout_async, timeout_sync};

const LIMIT: Duration = Duration::from_secs(5);

async fn work() -> Result<u64, Error> {
    Ok(black_box(1))
}

#[timeout("5s")]
async fn attribute_async() -> Result<u64, Error> {
    work().await
}

fn sync_work() -> Result<u64, Error> {
    Ok(black_box(1))
}

#[timeout("5s")]
fn attribute_sync() -> Result<u64, Error> {
    sync_work()
}

fn spawn_per_call() -> Result<u64, Error> {
    let (tx, rx) = mpsc::sync_channel(1);
    thread::spawn(move || {
        let _ = tx.send(sync_work());
    });
    rx.recv_timeout(LIMIT)
        .unwrap_or_else(|_| Err(Error::timeout("spawn", LIMIT)))
}

fn async_benches(c: &mut Criterion) {
    let runtime = support::runtime();
    let mut group = c.benchmark_group("async timeout");
    support::bench_awaits(&mut group, &runtime, "bare await", work);
    support::bench_awaits(&mut group, &runtime, "tokio::time::timeout", || async {
        tokio::time::timeout(LIMIT, work())
            .await
            .unwrap_or_else(|_| Err(Error::timeout("raw", LIMIT)))
    });
    support::bench_awaits(&mut group, &runtime, "timeout_async", || {
        timeout_async("plain", LIMIT, work())
    });
    support::bench_awaits(&mut group, &runtime, "#[timeout] async fn", attribute_async);
    group.finish();
}

fn sync_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync timeout");
    group.bench_function("bare call", |b| b.iter(|| sync_work().unwrap_or(0)));
    group.bench_function("thread spawned per call", |b| {
        b.iter(|| spawn_per_call().unwrap_or(0))
    });
    group.bench_function("timeout_sync (pooled)", |b| {
        b.iter(|| timeout_sync("plain", LIMIT, sync_work).unwrap_or(0))
    });
    group.bench_function("#[timeout] fn", |b| {
        b.iter(|| attribute_sync().unwrap_or(0))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = async_benches, sync_benches
}
criterion_main!(benches);
