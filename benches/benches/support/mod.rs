//! What the benchmarks share.

use std::{
    future::Future,
    hint::black_box,
    time::{Duration, Instant},
};

/// A current-thread runtime with time enabled, as the async cases run on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

/// Adds the case `name` to `group`: sequential awaits of `call()` on `runtime`, timed by
/// [`time_awaits`].
pub fn bench_awaits<F, Fut>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    mut call: F,
) where
    F: FnMut() -> Fut,
    Fut: Future,
{
    group.bench_function(name, |b| {
        b.iter_custom(|iters| time_awaits(runtime, iters, &mut call))
    });
}

/// Time for `iters` sequential awaits of `call()` inside one `block_on`, so that entering the
/// runtime is not part of what is measured.
fn time_awaits<F, Fut>(runtime: &tokio::runtime::Runtime, iters: u64, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(call().await);
        }
        start.elapsed()
    })
}
