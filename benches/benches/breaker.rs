//! The closed-state success path of a circuit breaker, against a bare call and the
//! `failsafe` and `recloser` crates, on one thread and on two threads sharing one breaker:
//! with the consecutive-failures policy, and with a failure rate over a count window (100
//! calls, as recloser's default ring) and a time window (10 s).
//!
//! Criterion measures each case; a summary table with the ratios, measured in the same run,
//! is printed at the end.

use std::{
    hint::black_box,
    sync::{Arc, Barrier},
    thread,
    time::{Duration, Instant},
};

use criterion::{Criterion, criterion_group};
use failsafe::CircuitBreaker as _;
use resilience::{BreakerConfig, CircuitBreaker, Error};

#[inline(never)]
fn op() -> Result<u64, Error> {
    Ok(black_box(1))
}

/// One implementation under test: a way to make one guarded call.
trait Guard: Send + Sync {
    fn call(&self) -> u64;
}

struct Bare;

impl Guard for Bare {
    #[inline]
    fn call(&self) -> u64 {
        op().unwrap_or(0)
    }
}

struct Resilience(CircuitBreaker);

impl Guard for Resilience {
    #[inline]
    fn call(&self) -> u64 {
        self.0.call(op).unwrap_or(0)
    }
}

/// A `#[circuit_breaker]` function: the call site's cached breaker, then the call.
#[resilience::circuit_breaker(name = "bench.site")]
fn attributed() -> Result<u64, Error> {
    op()
}

struct Site;

impl Guard for Site {
    #[inline]
    fn call(&self) -> u64 {
        attributed().unwrap_or(0)
    }
}

type FailsafeBreaker = failsafe::StateMachine<
    failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::EqualJittered>,
    (),
>;

struct Failsafe(FailsafeBreaker);

impl Guard for Failsafe {
    #[inline]
    fn call(&self) -> u64 {
        self.0.call(op).unwrap_or(0)
    }
}

struct Recloser(recloser::Recloser);

impl Guard for Recloser {
    #[inline]
    fn call(&self) -> u64 {
        self.0.call(op).unwrap_or(0)
    }
}

fn contenders() -> Vec<(&'static str, Arc<dyn Guard>)> {
    let failsafe = failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(
            5,
            failsafe::backoff::equal_jittered(Duration::from_secs(60), Duration::from_secs(60)),
        ))
        .build();
    vec![
        ("bare call", Arc::new(Bare)),
        (
            "resilience",
            Arc::new(Resilience(CircuitBreaker::new(
                "bench",
                BreakerConfig::new(),
            ))),
        ),
        ("#[circuit_breaker] fn", Arc::new(Site)),
        (
            "resilience, failure rate, 100 calls",
            Arc::new(Resilience(CircuitBreaker::new(
                "bench.rate",
                BreakerConfig::new().with_failure_rate(0.5, resilience::Window::Calls(100), 10),
            ))),
        ),
        (
            "resilience, failure rate, 10 s",
            Arc::new(Resilience(CircuitBreaker::new(
                "bench.rate.time",
                BreakerConfig::new().with_failure_rate(
                    0.5,
                    resilience::Window::Time(Duration::from_secs(10)),
                    10,
                ),
            ))),
        ),
        ("failsafe", Arc::new(Failsafe(failsafe))),
        (
            "recloser",
            Arc::new(Recloser(recloser::Recloser::default())),
        ),
    ]
}

/// Wall time for `iters` calls made by each of `threads` threads at once.
fn run(guard: &Arc<dyn Guard>, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(guard.call());
        }
        return start.elapsed();
    }
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (guard, barrier) = (Arc::clone(guard), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..iters {
                    black_box(guard.call());
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

fn benches(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("breaker closed success, {threads} thread(s)"));
        for (name, guard) in contenders() {
            group.bench_function(name, |b| b.iter_custom(|iters| run(&guard, threads, iters)));
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

fn summary() {
    let budget = Duration::from_millis(300);
    println!("\nSummary: closed-state success path, ns per call (per thread), same run");
    println!(
        "{:<40}{:>10}{:>9}{:>12}{:>12}   {:>10}{:>9}{:>12}{:>12}",
        "",
        "1 thread",
        "vs bare",
        "vs failsafe",
        "vs recloser",
        "2 threads",
        "vs bare",
        "vs failsafe",
        "vs recloser"
    );
    let contenders = contenders();
    let figures: Vec<[f64; 2]> = contenders
        .iter()
        .map(|(_, g)| [1, 2].map(|threads| ns_per_call(g, threads, budget)))
        .collect();
    let (bare, failsafe, recloser) = (figures[0], figures[5], figures[6]);
    for ((name, _), f) in contenders.iter().zip(&figures) {
        print!("{name:<40}");
        for (i, sep) in [(0, ""), (1, "   ")] {
            print!(
                "{sep}{:>10.2}{:>8.2}x{:>11.2}x{:>11.2}x",
                f[i],
                f[i] / bare[i],
                f[i] / failsafe[i],
                f[i] / recloser[i]
            );
        }
        println!();
    }
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
