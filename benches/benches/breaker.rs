//! The closed-state success path of a circuit breaker, against a bare call and the
//! `failsafe` and `recloser` crates, on one thread and on two threads sharing one breaker:
//! with the consecutive-failures policy, and with a failure rate over a count window (100
//! calls, as recloser's default ring) and a time window (10 s).
//!
//! Criterion measures each case; a summary table with the ratios, measured in the same run,
//! is printed at the end.

use std::{hint::black_box, sync::Arc, time::Duration};

#[path = "support/threads.rs"]
mod threads;

use threads::{Guard, ns_per_call, run};

use criterion::{Criterion, criterion_group};
use failsafe::CircuitBreaker as _;
use resilience::{BreakerConfig, CircuitBreaker, Error};

#[inline(never)]
fn op() -> Result<u64, Error> {
    Ok(black_box(1))
}

struct Bare;

impl Guard for Bare {
    #[inline]
    fn call(&self, _: u64) -> u64 {
        op().unwrap_or(0)
    }
}

struct Resilience(CircuitBreaker);

impl Guard for Resilience {
    #[inline]
    fn call(&self, _: u64) -> u64 {
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
    fn call(&self, _: u64) -> u64 {
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
    fn call(&self, _: u64) -> u64 {
        self.0.call(op).unwrap_or(0)
    }
}

struct Recloser(recloser::Recloser);

impl Guard for Recloser {
    #[inline]
    fn call(&self, _: u64) -> u64 {
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

fn benches(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("breaker closed success, {threads} thread(s)"));
        for (name, guard) in contenders() {
            group.bench_function(name, |b| b.iter_custom(|iters| run(&guard, threads, iters)));
        }
        group.finish();
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
