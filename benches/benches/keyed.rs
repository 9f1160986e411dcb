//! A keyed breaker's look-up plus the closed-state success path, with 10, 10,000 and
//! 1,000,000 keys alive, against one named breaker (no look-up), on one thread and on two
//! threads sharing the family. (The memory a key's breaker costs is measured by
//! `tests/tests/keyed_memory.rs`, with a counting allocator.)
//!
//! Each call takes the next key of a fixed pseudo-random walk over the family's keys, so
//! that the large families are measured with their keys out of cache, as a real mix of
//! hosts or tenants would be. Criterion measures each case; a summary with the ratios, from
//! the same run, is printed at the end.

use std::{hint::black_box, sync::Arc, time::Duration};

#[path = "support/threads.rs"]
mod threads;

use threads::{Guard, ns_per_call, run};

use criterion::{Criterion, criterion_group};
use resilience::{BreakerConfig, CircuitBreaker, Error, KeyedBreaker, KeyedConfig};

#[inline(never)]
fn op() -> Result<u64, Error> {
    Ok(black_box(1))
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

fn benches(c: &mut Criterion, contenders: &[(&'static str, Arc<dyn Guard>)]) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("keyed breaker, {threads} thread(s)"));
        for (name, guard) in contenders {
            group.bench_function(*name, |b| b.iter_custom(|iters| run(guard, threads, iters)));
        }
        group.finish();
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
