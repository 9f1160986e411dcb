//! A keyed breaker's look-up plus the closed-state success path, with 10, 10,000 and
//! 1,000,000 keys alive, against one named breaker (no look-up), on one thread and on two
//! threads sharing the family. (The memory a key's breaker costs is measured by
//! `tests/tests/keyed_memory.rs`, with a counting allocator.)
//!
//! Each call takes the next key of a fixed pseudo-random walk over the family's keys, so
//! that the large families are measured with their keys out of cache, as a real mix of
//! hosts or tenants would be. Criterion measures each case; a summary with the ratios, from
//! the same run, is printed at the end.

use std::{
    hint::black_box,
    sync::{Arc, Barrier},
    thread,
    time::{Duration, Instant},
};

use criterion::{Criterion, criterion_group};
use resilience::{BreakerConfig, CircuitBreaker, Error, KeyedBreaker, KeyedConfig};

#[inline(never)]
fn op() -> Result<u64, Error> {
    Ok(black_box(1))
}

/// One case: a way to make the `i`-th guarded call.
trait Guard: Send + Sync {
    fn call(&self, i: u64) -> u64;
}

struct Single(CircuitBreaker);

impl Guard for Single {
    #[inline]
    fn call(&self, _: u64) -> u64 {
        self.0.call(op).unwrap_or(0)
    }
}

struct Keyed {
    family: KeyedBreaker,
    keys: u64,
}

/// A step coprime with every family size here: the walk visits every key before repeating.
const STEP: u64 = 7_919;

impl Guard for Keyed {
    #[inline]
    fn call(&self, i: u64) -> u64 {
        let key = i.wrapping_mul(STEP) % self.keys;
        self.family.call(&key, op).unwrap_or(0)
    }
}

fn keyed(keys: u64) -> Keyed {
    let family = KeyedBreaker::new(
        "bench.keyed",
        BreakerConfig::new(),
        KeyedConfig::new().with_max_keys(keys as usize),
    );
    for key in 0..keys {
        family.breaker(&key);
    }
    assert_eq!(family.len() as u64, keys);
    Keyed { family, keys }
}

fn contenders() -> Vec<(&'static str, Arc<dyn Guard>)> {
    vec![
        (
            "single named breaker",
            Arc::new(Single(CircuitBreaker::new("bench", BreakerConfig::new()))),
        ),
        ("keyed, 10 keys", Arc::new(keyed(10))),
        ("keyed, 10,000 keys", Arc::new(keyed(10_000))),
        ("keyed, 1,000,000 keys", Arc::new(keyed(1_000_000))),
    ]
}

/// Wall time for `iters` calls made by each of `threads` threads at once.
fn run(guard: &Arc<dyn Guard>, threads: usize, iters: u64) -> Duration {
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads as u64)
        .map(|t| {
            let (guard, barrier) = (Arc::clone(guard), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                // Each thread from its own point of the walk.
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

fn benches(c: &mut Criterion, contenders: &[(&'static str, Arc<dyn Guard>)]) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("keyed breaker, {threads} thread(s)"));
        for (name, guard) in contenders {
            group.bench_function(*name, |b| b.iter_custom(|iters| run(guard, threads, iters)));
        }
        group.finish();
    }
}

/// Nanoseconds per call (per thread), measured for about `budget`.
fn ns_per_call(guard: &Arc<dyn Guard>, threads: usize, budget: Duration) -> f64 {
    let mut iters = 1_000u64;
    loop {
        let took = run(guard, threads, iters);
        if took >= budget || iters >= 1 << 34 {
            return took.as_nanos() as f64 / iters as f64;
        }
        iters *= 4;
    }
}

fn summary(contenders: &[(&'static str, Arc<dyn Guard>)]) {
    let budget = Duration::from_millis(300);
    println!("\nSummary: look-up + closed-state success, ns per call (per thread), same run");
    println!(
        "{:<28}{:>10}{:>14}   {:>10}{:>14}",
        "", "1 thread", "vs single", "2 threads", "vs single"
    );
    let figures: Vec<[f64; 2]> = contenders
        .iter()
        .map(|(_, g)| [1, 2].map(|threads| ns_per_call(g, threads, budget)))
        .collect();
    let single = figures[0];
    for ((name, _), f) in contenders.iter().zip(&figures) {
        println!(
            "{name:<28}{:>10.2}{:>13.2}x   {:>10.2}{:>13.2}x",
            f[0],
            f[0] / single[0],
            f[1],
            f[1] / single[1]
        );
    }
}

fn all(c: &mut Criterion) {
    let contenders = contenders();
    benches(c, &contenders);
}

criterion_group!(group, all);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    summary(&contenders());
}
