//! No blind retries of rejections: a retry loop around a circuit breaker returns the breaker's
//! rejection at once, unless the breaker lets a trial through before the retry's next delay
//! would have ended (then it waits for that moment, within `max_elapsed`). A rejected attempt
//! spends no retry budget. The attribute learns of the rejection from a `#[circuit_breaker]`
//! stacked below it; the plain API from a breaker that rejected a call on the attempt's
//! thread.

use std::{
    sync::atomic::{AtomicU32, Ordering::Relaxed},
    time::Duration,
};

use resilience::{
    BreakerConfig, BudgetConfig, CircuitBreaker, Error, RetryPolicy, breakers, budgets,
    circuit_breaker, retries, retry,
};
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum CallError {
    Down,
    Resilience(Error),
}

impl From<Error> for CallError {
    fn from(error: Error) -> Self {
        CallError::Resilience(error)
    }
}

fn is_rejection(result: &Result<(), CallError>) -> bool {
    matches!(result, Err(CallError::Resilience(e)) if e.is_circuit_open())
}

#[retry(
    name = "rejections.long-open",
    max_attempts = 5,
    initial_delay = "100ms",
    jitter = none,
    budget = "rejections.long-open"
)]
#[circuit_breaker(
    name = "rejections.long-open",
    failure_threshold = 1,
    recovery_timeout = "60s"
)]
async fn long_open(runs: &AtomicU32) -> Result<(), CallError> {
    runs.fetch_add(1, Relaxed);
    Err(CallError::Down)
}

#[tokio::test(start_paused = true)]
async fn a_rejection_is_returned_at_once_when_no_trial_comes_sooner() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    let result = long_open(&runs).await;
    // The first attempt fails and opens the breaker; after 100 ms the second is rejected,
    // and the next trial is 59.9 s away: the rejection comes back at once.
    assert!(is_rejection(&result), "{result:?}");
    assert_eq!(runs.load(Relaxed), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    let stats = retries::get("rejections.long-open").unwrap();
    assert_eq!((stats.calls, stats.retries, stats.circuit_open), (1, 1, 1));
    // The rejected attempt took nothing from the budget: one retry, the first.
    let budget = budgets::get("rejections.long-open").unwrap().stats();
    assert_eq!((budget.retries, budget.refused), (1, 0));
    // A second call is rejected at its first attempt, and returns at once.
    let start = Instant::now();
    assert!(is_rejection(&long_open(&runs).await));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(runs.load(Relaxed), 1);
}

#[retry(max_attempts = 5, initial_delay = "100ms", jitter = none)]
#[circuit_breaker(
    name = "rejections.soon",
    failure_threshold = 1,
    recovery_timeout = "150ms"
)]
async fn recovers_soon(runs: &AtomicU32) -> Result<(), CallError> {
    if runs.fetch_add(1, Relaxed) == 0 {
        Err(CallError::Down)
    } else {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_rejection_waits_for_a_trial_that_comes_before_the_next_delay_ends() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    // Attempt 1 fails at 0 ms and opens the breaker until 150 ms. Attempt 2, at 100 ms, is
    // rejected: a trial comes in 50 ms, sooner than the 200 ms delay, so the loop waits
    // 50 ms and attempt 3 goes through as the trial.
    assert_eq!(recovers_soon(&runs).await, Ok(()));
    assert_eq!(runs.load(Relaxed), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(150));
    assert_eq!(
        breakers::get("rejections.soon").unwrap().state(),
        resilience::State::Closed
    );
}

#[retry(
    max_attempts = 5,
    initial_delay = "100ms",
    jitter = none,
    max_elapsed = "120ms"
)]
#[circuit_breaker(
    name = "rejections.elapsed",
    failure_threshold = 1,
    recovery_timeout = "150ms"
)]
async fn within_max_elapsed(runs: &AtomicU32) -> Result<(), CallError> {
    runs.fetch_add(1, Relaxed);
    Err(CallError::Down)
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_trial_never_passes_max_elapsed() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    // The trial is 50 ms after the rejection at 100 ms: past the 120 ms budget.
    assert!(is_rejection(&within_max_elapsed(&runs).await));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(runs.load(Relaxed), 1);
}

#[test]
fn the_plain_api_sees_a_breaker_rejection_on_the_attempt_s_thread() {
    let breaker = CircuitBreaker::new(
        "rejections.plain",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_secs(60)),
    );
    let runs = AtomicU32::new(0);
    let budget = budgets::configure("rejections.plain", BudgetConfig::new());
    let retry = RetryPolicy::new()
        .with_max_attempts(5)
        .with_initial_delay(Duration::from_millis(1))
        .retrying()
        .budget(budget);
    let result: Result<(), std::io::Error> = retry.call(|| {
        breaker.call(|| {
            runs.fetch_add(1, Relaxed);
            Err(std::io::Error::other("down"))
        })
    });
    let error = result.unwrap_err();
    let inner = error.get_ref().unwrap().downcast_ref::<Error>().unwrap();
    assert!(inner.is_circuit_open());
    assert_eq!(runs.load(Relaxed), 1, "the rejection is not retried");
    assert_eq!(budget.stats().retries, 1);
}

#[test]
fn an_earlier_rejection_on_the_thread_does_not_stop_a_genuine_retry() {
    let open = CircuitBreaker::new("rejections.stale", BreakerConfig::new());
    open.force_open();
    assert!(
        open.try_acquire().is_err(),
        "a rejection noted on this thread"
    );
    let runs = AtomicU32::new(0);
    let result: Result<(), &str> = RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_delay(Duration::ZERO)
        .retrying()
        .without_budget()
        .call(|| {
            runs.fetch_add(1, Relaxed);
            Err("down")
        });
    assert_eq!(result, Err("down"));
    assert_eq!(runs.load(Relaxed), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_plain_api_sees_a_rejection_after_the_attempt_moved_threads() {
    let breaker = std::sync::Arc::new(CircuitBreaker::new(
        "rejections.async",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_secs(60)),
    ));
    let runs = std::sync::Arc::new(AtomicU32::new(0));
    let result: Result<(), CallError> = RetryPolicy::new()
        .with_max_attempts(5)
        .with_initial_delay(Duration::from_millis(1))
        .retrying()
        .named("rejections.async")
        .without_budget()
        .call_async(|| {
            let (breaker, runs) = (breaker.clone(), runs.clone());
            async move {
                // The task may resume on another worker after each yield.
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                breaker
                    .call_async(async {
                        runs.fetch_add(1, Relaxed);
                        Err(CallError::Down)
                    })
                    .await
            }
        })
        .await;
    assert!(is_rejection(&result), "{result:?}");
    assert_eq!(runs.load(Relaxed), 1);
    let stats = retries::get("rejections.async").unwrap();
    assert_eq!((stats.retries, stats.circuit_open), (1, 1));
}

#[retry(max_attempts = 3, initial_delay = "10ms", jitter = none)]
#[circuit_breaker(
    name = "rejections.fallback",
    failure_threshold = 1,
    recovery_timeout = "60s",
    fallback = cached
)]
async fn with_fallback(runs: &AtomicU32) -> Result<u32, CallError> {
    runs.fetch_add(1, Relaxed);
    Err(CallError::Down)
}

async fn cached(_runs: &AtomicU32) -> Result<u32, CallError> {
    Ok(7)
}

#[tokio::test(start_paused = true)]
async fn a_rejection_answered_by_the_fallback_is_not_a_rejection() {
    let runs = AtomicU32::new(0);
    assert_eq!(with_fallback(&runs).await, Ok(7));
    assert_eq!(runs.load(Relaxed), 1);
}
