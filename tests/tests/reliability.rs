//! Reliability under load and faults: threads and tokio tasks make a fixed number of calls
//! through one retry policy and one breaker, with random outcomes, latencies, panics and
//! cancellations. Afterwards nothing is wedged, no trial permit is held, and every count adds
//! up exactly. Each run prints its figures.
//!
//! The default sizes run in about a second; the heavy variant (ten times the calls) is
//! `cargo test -p resilience-tests --release --test reliability -- --ignored`.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::Duration,
};

use futures_lite_free::FutureExt as _;
use rand::{Rng, SeedableRng, rngs::SmallRng};
use resilience::{BreakerConfig, Error, RetryPolicy, State, breakers, circuit_breaker, retry};

/// A tiny stand-in for `futures::FutureExt::catch_unwind`, to keep the dependencies to the
/// ones the project already has.
mod futures_lite_free {
    use std::{
        future::Future,
        panic::{AssertUnwindSafe, catch_unwind},
        pin::Pin,
        task::{Context, Poll},
    };

    pub(crate) struct CatchUnwind<F>(Pin<Box<F>>);

    impl<F: Future> Future for CatchUnwind<F> {
        type Output = std::thread::Result<F::Output>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let inner = self.0.as_mut();
            match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
                Err(panic) => Poll::Ready(Err(panic)),
            }
        }
    }

    pub(crate) trait FutureExt: Future + Sized {
        fn catch_unwind(self) -> CatchUnwind<Self> {
            CatchUnwind(Box::pin(self))
        }
    }

    impl<F: Future> FutureExt for F {}
}

#[derive(Debug)]
enum Fault {
    Injected,
    /// A rejection or a timeout, kept whole for the debugger's sake.
    #[allow(dead_code)]
    Resilience(Error),
}

impl From<Error> for Fault {
    fn from(error: Error) -> Self {
        Fault::Resilience(error)
    }
}

/// What the bodies saw and did, to reconcile with the breaker's own counts.
#[derive(Default)]
struct Ledger {
    started: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    calls: AtomicU64,
    cancelled: AtomicU64,
}

static LEDGER: Ledger = Ledger {
    started: AtomicU64::new(0),
    succeeded: AtomicU64::new(0),
    failed: AtomicU64::new(0),
    panicked: AtomicU64::new(0),
    calls: AtomicU64::new(0),
    cancelled: AtomicU64::new(0),
};

/// 0..70: success; 70..95: failure; 95..100: panic.
fn outcome(roll: u8) -> Result<u64, Fault> {
    LEDGER.started.fetch_add(1, Relaxed);
    match roll {
        0..70 => {
            LEDGER.succeeded.fetch_add(1, Relaxed);
            Ok(u64::from(roll))
        }
        70..95 => {
            LEDGER.failed.fetch_add(1, Relaxed);
            Err(Fault::Injected)
        }
        _ => {
            LEDGER.panicked.fetch_add(1, Relaxed);
            panic!("injected panic")
        }
    }
}

#[retry(max_attempts = 3, initial_delay = "10us", max_delay = "1ms")]
#[circuit_breaker(
    name = "reliability",
    failure_threshold = 4,
    recovery_timeout = "1ms",
    half_open_max_calls = 3
)]
fn sync_call(roll: u8) -> Result<u64, Fault> {
    outcome(roll)
}

#[retry(max_attempts = 3, initial_delay = "10us", max_delay = "1ms")]
#[circuit_breaker(
    name = "reliability",
    failure_threshold = 4,
    recovery_timeout = "1ms",
    half_open_max_calls = 3
)]
async fn async_call(roll: u8, latency_us: u64) -> Result<u64, Fault> {
    if latency_us > 0 {
        tokio::time::sleep(Duration::from_micros(latency_us)).await;
    }
    outcome(roll)
}

fn hammer(threads: usize, tasks: usize, calls_each: u64) {
    quiet_injected_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let thread_handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(t as u64);
                for _ in 0..calls_each {
                    LEDGER.calls.fetch_add(1, Relaxed);
                    let roll = rng.random_range(0..100u8);
                    let _ = catch_unwind(AssertUnwindSafe(|| sync_call(roll)));
                }
            })
        })
        .collect();
    runtime.block_on(async {
        let task_handles: Vec<_> = (0..tasks)
            .map(|t| {
                tokio::spawn(async move {
                    let mut rng = SmallRng::seed_from_u64(1_000 + t as u64);
                    for _ in 0..calls_each / 10 {
                        LEDGER.calls.fetch_add(1, Relaxed);
                        let roll = rng.random_range(0..100u8);
                        let latency = rng.random_range(0..200u64);
                        let cancel_after = rng.random_range(0..400u64);
                        let call = async_call(roll, latency).catch_unwind();
                        // Some calls are cut off mid-flight: their permits must come back.
                        if tokio::time::timeout(Duration::from_micros(cancel_after), call)
                            .await
                            .is_err()
                        {
                            LEDGER.cancelled.fetch_add(1, Relaxed);
                        }
                    }
                })
            })
            .collect();
        for handle in task_handles {
            handle.await.expect("tasks catch their panics");
        }
    });
    for handle in thread_handles {
        handle.join().expect("threads catch their panics");
    }
}

fn check_invariants(threads: usize, tasks: usize) {
    let breaker = breakers::get("reliability").expect("used");
    let stats = breaker.stats();
    let started = LEDGER.started.load(Relaxed);
    let (succeeded, failed, panicked) = (
        LEDGER.succeeded.load(Relaxed),
        LEDGER.failed.load(Relaxed),
        LEDGER.panicked.load(Relaxed),
    );
    println!(
        "{} calls from {threads} threads and {tasks} tasks: {started} bodies ran ({succeeded} ok, \
         {failed} failed, {panicked} panicked), {} cancelled mid-flight, {} rejected; breaker: \
         {} successes, {} failures, {} released uncounted, {} state changes, state {}",
        LEDGER.calls.load(Relaxed),
        LEDGER.cancelled.load(Relaxed),
        stats.rejections,
        stats.successes,
        stats.failures,
        stats.uncounted,
        stats.generation,
        stats.state,
    );
    assert_eq!(
        started,
        succeeded + failed + panicked,
        "every body ended one way"
    );
    assert_eq!(
        stats.calls,
        stats.successes + stats.failures + stats.uncounted,
        "the breaker's counts add up"
    );
    // Every body that ran held a permit, recorded exactly once: a success as a success, a
    // failure or a panic as a failure. A permit whose call was cancelled before its body
    // finished was released uncounted.
    assert_eq!(stats.successes, succeeded, "every success counted once");
    assert_eq!(
        stats.failures,
        failed + panicked,
        "every failure and panic counted once"
    );
    assert!(
        stats.uncounted <= LEDGER.cancelled.load(Relaxed),
        "only cancelled calls are released uncounted"
    );
    assert_eq!(
        stats.trials_in_flight, 0,
        "no trial permit held after the run"
    );
    // Not wedged: a reset breaker lets calls through again.
    breaker.reset();
    assert_eq!(breaker.state(), State::Closed);
    assert!(sync_call(1).is_ok());
    assert!(
        breakers::config_conflicts()
            .iter()
            .all(|c| &*c.name != "reliability"),
        "both call sites declare the same breaker"
    );
}

/// Keeps the injected panics out of the test output; other panics print as usual.
fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"injected panic") {
                default(info);
            }
        }));
    });
}

#[test]
fn threads_and_tasks_with_faults_leave_nothing_wedged() {
    hammer(4, 32, 2_000);
    check_invariants(4, 32);
}

#[test]
#[ignore = "heavy: run with --release -- --ignored"]
fn heavy_threads_and_tasks_with_faults_leave_nothing_wedged() {
    hammer(8, 256, 20_000);
    check_invariants(8, 256);
}

#[tokio::test(start_paused = true)]
async fn a_clock_that_jumps_wedges_nothing() {
    #[circuit_breaker(
        name = "reliability.jump",
        failure_threshold = 1,
        recovery_timeout = "1h"
    )]
    async fn jumpy(fail: bool) -> Result<(), Fault> {
        if fail { Err(Fault::Injected) } else { Ok(()) }
    }
    let _ = jumpy(true).await;
    assert_eq!(
        breakers::get("reliability.jump").unwrap().state(),
        State::Open
    );
    // Jump ten years ahead: the breaker lets a trial through and closes.
    tokio::time::advance(Duration::from_secs(10 * 365 * 24 * 3600)).await;
    assert!(jumpy(false).await.is_ok());
    assert_eq!(
        breakers::get("reliability.jump").unwrap().state(),
        State::Closed
    );
    // Huge durations everywhere: no overflow, no panic, the call still ends.
    let policy = RetryPolicy::new()
        .with_initial_delay(Duration::MAX)
        .with_max_delay(Duration::MAX)
        .with_max_elapsed(Duration::MAX)
        .with_max_attempts(2);
    let calls = AtomicU64::new(0);
    let result: Result<(), ()> = tokio::time::timeout(
        Duration::from_secs(1),
        policy.call_async(|| {
            calls.fetch_add(1, Relaxed);
            async { Err(()) }
        }),
    )
    .await
    .unwrap_or(Err(()));
    assert!(result.is_err());
    let breaker = resilience::CircuitBreaker::new(
        "reliability.max",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::MAX)
            .with_recovery_backoff(f64::MAX, Duration::MAX),
    );
    let _: Result<(), Error> = breaker.call(|| Err(Error::circuit_open("x", None)));
    assert_eq!(breaker.state(), State::Open);
    tokio::time::advance(Duration::from_secs(u64::MAX / 4)).await;
    let _: Result<(), Error> = breaker.call(|| Ok(()));
}
