//! Calls made by one thread or by several at once, timed: for the benches whose cases run
//! on one and on two threads sharing what they measure.

use std::{
    hint::black_box,
    sync::{Arc, Barrier},
    thread,
    time::{Duration, Instant},
};

/// One case: a way to make the `i`-th guarded call (a case that needs no index ignores it).
pub trait Guard: Send + Sync {
    fn call(&self, i: u64) -> u64;
}

/// Wall time for `iters` calls made by each of `threads` threads at once; one thread calls
/// on the caller's. Each thread counts its calls from its own starting point, so that cases
/// that walk a space by index do not walk it in step.
pub fn run(guard: &Arc<dyn Guard>, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        for i in 0..iters {
            black_box(guard.call(i));
        }
        return start.elapsed();
    }
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads as u64)
        .map(|t| {
            let (guard, barrier) = (Arc::clone(guard), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let first = t * 1_000_003;
                for i in first..first + iters {
                    black_box(guard.call(i));
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for handle in handles {
        handle.join().unwrap();
    }
    start.elapsed()
}

/// Nanoseconds per call (per thread), measured for about `budget`.
pub fn ns_per_call(guard: &Arc<dyn Guard>, threads: usize, budget: Duration) -> f64 {
    let mut iters = 1_000u64;
    loop {
        let took = run(guard, threads, iters);
        if took >= budget || iters >= 1 << 34 {
            return took.as_nanos() as f64 / iters as f64;
        }
        iters *= 4;
    }
}
