//! The success path allocates nothing: a counting global allocator watches calls to
//! `#[retry]` functions, sync and async, and to the plain API.

use std::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
};

use resilience::{RetryPolicy, circuit_breaker, retry, timeout};
use resilience_tests::counting::{Counting, allocations_in};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Polls a future that completes without waiting, without a runtime.
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the success path should not wait"),
    }
}

#[retry(max_attempts = 5, initial_delay = "10ms", max_elapsed = "1s")]
fn sync_success(x: u64) -> Result<u64, String> {
    Ok(x + 1)
}

#[retry(max_attempts = 5, initial_delay = "10ms", jitter = decorrelated)]
async fn async_success(x: u64) -> Result<u64, String> {
    Ok(x + 1)
}

#[test]
fn retry_success_paths_do_not_allocate() {
    const POLICY: RetryPolicy = RetryPolicy::new();
    // Warm up thread-locals and lazy statics outside the measurement (a retry budget reads
    // its configuration from the environment once, at its first deposit).
    let _ = sync_success(0);
    let _ = run_ready(async_success(0));
    let _: Result<u8, String> = POLICY.call(|| Ok(0));

    assert_eq!(allocations_in(|| assert_eq!(sync_success(1), Ok(2))), 0);
    // Thousands of calls: the budget's ledger looks at its deposits every 1,024 of them.
    assert_eq!(
        allocations_in(|| (0..3_000).for_each(|_| assert_eq!(sync_success(1), Ok(2)))),
        0
    );
    assert_eq!(
        allocations_in(|| assert_eq!(run_ready(async_success(1)), Ok(2))),
        0
    );
    assert_eq!(
        allocations_in(|| {
            let result: Result<u8, String> = POLICY.call(|| Ok(1));
            assert_eq!(result, Ok(1));
        }),
        0
    );
    assert_eq!(
        allocations_in(|| {
            let result: Result<u8, String> = run_ready(POLICY.call_async(|| async { Ok(1) }));
            assert_eq!(result, Ok(1));
        }),
        0
    );
}

#[circuit_breaker(name = "allocations.breaker")]
fn guarded(x: u64) -> Result<u64, resilience::Error> {
    Ok(x + 1)
}

#[circuit_breaker(name = "allocations.breaker_async", slow_call = "1s")]
async fn guarded_async(x: u64) -> Result<u64, resilience::Error> {
    Ok(x + 1)
}

#[retry(max_attempts = 2)]
#[circuit_breaker(name = "allocations.stack")]
#[timeout("1s")]
async fn stacked(x: u64) -> Result<u64, resilience::Error> {
    Ok(x + 1)
}

#[test]
fn breaker_and_timeout_success_paths_do_not_allocate() {
    // The first call registers the breakers (and allocates): outside the measurement.
    let _ = guarded(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _context = runtime.enter();
    let _ = run_ready(guarded_async(0));
    let _ = run_ready(stacked(0));

    assert_eq!(allocations_in(|| assert_eq!(guarded(1), Ok(2))), 0);
    assert_eq!(
        allocations_in(|| assert_eq!(run_ready(guarded_async(1)), Ok(2))),
        0
    );
    assert_eq!(
        allocations_in(|| assert_eq!(run_ready(stacked(1)), Ok(2))),
        0,
        "retry over breaker over async timeout"
    );
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that never counts.
    assert!(allocations_in(|| drop(vec![1u8; 16])) >= 1);
}
