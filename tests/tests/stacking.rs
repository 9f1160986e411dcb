//! The three attributes stacked: they apply top to bottom, outermost first, and each of the
//! six orders means what a reader of the page expects.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use resilience::{Error, State, breakers, circuit_breaker, retry, timeout};
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum CallError {
    Failed,
    Resilience(Error),
}

impl From<Error> for CallError {
    fn from(error: Error) -> Self {
        CallError::Resilience(error)
    }
}

fn is_timeout(result: &Result<(), CallError>) -> bool {
    matches!(result, Err(CallError::Resilience(Error::Timeout { .. })))
}

fn is_rejection(result: &Result<(), CallError>) -> bool {
    matches!(
        result,
        Err(CallError::Resilience(Error::CircuitOpen { .. }))
    )
}

/// A body that fails after `work_ms`, counting its runs.
async fn work(runs: &AtomicU32, work_ms: u64) -> Result<(), CallError> {
    runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(work_ms)).await;
    Err(CallError::Failed)
}

// retry > breaker > timeout: the contract's example. Each attempt passes through the breaker
// and is bounded by the timeout; timeouts count as failures, and once the breaker opens the
// retry stops: the rejection is returned at once, not retried after the usual delay.
#[retry(max_attempts = 6, backoff = constant, initial_delay = "10ms", jitter = none)]
#[circuit_breaker(name = "rbt", failure_threshold = 3)]
#[timeout("100ms")]
async fn retry_breaker_timeout(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 1_000).await
}

#[tokio::test(start_paused = true)]
async fn retry_over_breaker_over_timeout() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    let result = retry_breaker_timeout(&runs).await;
    assert!(is_rejection(&result), "{result:?}");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "the body stops running once open"
    );
    // Three timed-out attempts of 100 ms and three delays of 10 ms; the fourth attempt is
    // rejected (the breaker lets no trial through for 60 s) and returned at once.
    assert_eq!(start.elapsed(), Duration::from_millis(3 * 100 + 3 * 10));
    assert_eq!(breakers::get("rbt").unwrap().state(), State::Open);
}

// retry > timeout > breaker: the breaker sees only calls that finish within the timeout; a
// call cut off by the timeout is dropped, its permit released uncounted, so slowness alone
// does not open this breaker (put `slow_call` on it, or the breaker above the timeout).
#[retry(max_attempts = 4, backoff = constant, initial_delay = "10ms", jitter = none)]
#[timeout("100ms")]
#[circuit_breaker(name = "rtb", failure_threshold = 2)]
async fn retry_timeout_breaker(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 1_000).await
}

#[tokio::test(start_paused = true)]
async fn retry_over_timeout_over_breaker() {
    let runs = AtomicU32::new(0);
    let result = retry_timeout_breaker(&runs).await;
    assert!(is_timeout(&result), "{result:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 4, "every attempt ran");
    assert_eq!(breakers::get("rtb").unwrap().state(), State::Closed);
}

// breaker > retry > timeout: the breaker counts whole retry loops, each attempt bounded.
#[circuit_breaker(name = "brt", failure_threshold = 2)]
#[retry(max_attempts = 3, backoff = constant, initial_delay = "10ms", jitter = none)]
#[timeout("100ms")]
async fn breaker_retry_timeout(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 1_000).await
}

#[tokio::test(start_paused = true)]
async fn breaker_over_retry_over_timeout() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    assert!(is_timeout(&breaker_retry_timeout(&runs).await));
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(3 * 100 + 2 * 10),
        "each attempt bounded"
    );
    assert_eq!(
        breakers::get("brt").unwrap().state(),
        State::Closed,
        "one loop is one failure"
    );
    assert!(is_timeout(&breaker_retry_timeout(&runs).await));
    assert_eq!(breakers::get("brt").unwrap().state(), State::Open);
    assert_eq!(runs.load(Ordering::SeqCst), 6);
    assert!(is_rejection(&breaker_retry_timeout(&runs).await));
    assert_eq!(runs.load(Ordering::SeqCst), 6);
}

// breaker > timeout > retry: the timeout bounds the whole loop, sleeps included; the breaker
// counts each bounded loop.
#[circuit_breaker(name = "btr", failure_threshold = 1)]
#[timeout("250ms")]
#[retry(max_attempts = 10, backoff = constant, initial_delay = "10ms", jitter = none)]
async fn breaker_timeout_retry(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 100).await
}

#[tokio::test(start_paused = true)]
async fn breaker_over_timeout_over_retry() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    let result = breaker_timeout_retry(&runs).await;
    // Attempts run [0, 100], [110, 210], [220, 320]: the third is cut at 250 ms.
    assert!(is_timeout(&result), "{result:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(breakers::get("btr").unwrap().state(), State::Open);
}

// timeout > retry > breaker: the whole loop is bounded, sleeps included, and the breaker
// inside sees every attempt.
#[timeout("250ms")]
#[retry(max_attempts = 10, backoff = constant, initial_delay = "10ms", jitter = none)]
#[circuit_breaker(name = "trb", failure_threshold = 100)]
async fn timeout_retry_breaker(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 100).await
}

#[tokio::test(start_paused = true)]
async fn timeout_over_retry_over_breaker() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    assert!(is_timeout(&timeout_retry_breaker(&runs).await));
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    let stats = breakers::get("trb").unwrap().stats();
    assert_eq!(
        stats.failures, 2,
        "two attempts finished and failed; the third was cut off"
    );
}

// timeout > breaker > retry: the timeout bounds the breaker-guarded loop; the retry gives up
// early rather than sleep past the deadline it can see.
#[timeout("250ms")]
#[circuit_breaker(name = "tbr", failure_threshold = 1)]
#[retry(max_attempts = 10, backoff = constant, initial_delay = "200ms", jitter = none)]
async fn timeout_breaker_retry(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 10).await
}

#[tokio::test(start_paused = true)]
async fn timeout_over_breaker_over_retry() {
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    // Attempt 1 ends at 10 ms, a 200 ms sleep would end at 210: it fits. Attempt 2 ends at
    // 220 ms; another sleep would pass the 250 ms deadline, so the loop returns its error.
    assert_eq!(timeout_breaker_retry(&runs).await, Err(CallError::Failed));
    assert_eq!(start.elapsed(), Duration::from_millis(220));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(breakers::get("tbr").unwrap().state(), State::Open);
}

// The same order whatever order rustc would expand the attributes in: written with paths.
#[resilience::retry(max_attempts = 2, initial_delay = "1ms", jitter = none)]
#[resilience::timeout("1s")]
async fn written_with_paths(runs: &AtomicU32) -> Result<(), CallError> {
    work(runs, 0).await
}

#[tokio::test(start_paused = true)]
async fn attributes_written_with_paths_stack_too() {
    let runs = AtomicU32::new(0);
    assert_eq!(written_with_paths(&runs).await, Err(CallError::Failed));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

// Sync: retry over a sync timeout gives each attempt its own copy of the arguments.
#[retry(max_attempts = 3, initial_delay = "1ms", jitter = none)]
#[timeout("50ms")]
fn sync_retry_timeout(label: String, sleep_ms: u64) -> std::io::Result<String> {
    std::thread::sleep(Duration::from_millis(sleep_ms));
    Ok(label)
}

#[test]
fn sync_retry_over_timeout() {
    let started = std::time::Instant::now();
    let error = sync_retry_timeout("slow".into(), 2_000).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sync_retry_timeout("fast".into(), 0).unwrap(), "fast");
}

// A `mut` argument is one variable for the whole call under every stack that retries: each
// attempt sees what the attempts before it changed. (A sync `#[timeout]` below the `#[retry]`
// gives each attempt its own copy on a worker thread, so there a `mut` argument is refused at
// compile time: `tests/ui/timeout/mut_argument_under_retry.rs`.)

/// Records the attempt in `seen`; succeeds once three attempts are recorded, with what it saw.
fn record(seen: &mut Vec<u32>) -> Result<Vec<u32>, CallError> {
    seen.push(seen.len() as u32 + 1);
    if seen.len() < 3 {
        Err(CallError::Failed)
    } else {
        Ok(seen.clone())
    }
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
fn retried(mut seen: Vec<u32>) -> Result<Vec<u32>, CallError> {
    record(&mut seen)
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[circuit_breaker(name = "mut.retry_breaker", failure_threshold = 10)]
fn retried_through_a_breaker(mut seen: Vec<u32>) -> Result<Vec<u32>, CallError> {
    record(&mut seen)
}

#[timeout("5s")]
#[retry(max_attempts = 3, initial_delay = "1ms")]
fn retried_under_a_sync_timeout(mut seen: Vec<u32>) -> Result<Vec<u32>, CallError> {
    record(&mut seen)
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
async fn retried_async(mut seen: Vec<u32>) -> Result<Vec<u32>, CallError> {
    record(&mut seen)
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[circuit_breaker(name = "mut.retry_breaker_timeout", failure_threshold = 10)]
#[timeout("1s")]
async fn retried_async_with_a_timeout(mut seen: Vec<u32>) -> Result<Vec<u32>, CallError> {
    record(&mut seen)
}

#[test]
fn a_mut_argument_carries_changes_across_attempts_sync() {
    let expected = Ok(vec![1, 2, 3]);
    assert_eq!(retried(Vec::new()), expected);
    assert_eq!(retried_through_a_breaker(Vec::new()), expected);
    assert_eq!(retried_under_a_sync_timeout(Vec::new()), expected);
}

#[tokio::test(start_paused = true)]
async fn a_mut_argument_carries_changes_across_attempts_async() {
    let expected = Ok(vec![1, 2, 3]);
    assert_eq!(retried_async(Vec::new()).await, expected);
    assert_eq!(retried_async_with_a_timeout(Vec::new()).await, expected);
}
