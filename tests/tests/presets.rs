//! The dependency presets (`RetryPolicy::DATABASE`, `CLOUD_STORAGE`, `HTTP`) through the
//! attribute, with their `classify` predicates, under tokio's paused clock: how many
//! attempts each makes, what it retries, and that its delays stay within its schedule.

use std::{
    io,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use resilience::{RetryPolicy, classify, retry};
use tokio::time::Instant;

#[derive(Debug)]
struct Status(u16);

fn retryable(error: &Status) -> bool {
    classify::is_retryable_status(error.0)
}

#[retry(policy = RetryPolicy::HTTP, when = retryable, budget = none)]
async fn get(calls: &AtomicU32, status: u16) -> Result<(), Status> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(Status(status))
}

#[tokio::test(start_paused = true)]
async fn http_retries_a_503_five_times_and_a_404_never() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert!(get(&calls, 503).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    // Full jitter: each delay at most its schedule's, 0.5 + 0.75 + 1.125 + 1.6875 s.
    assert!(
        start.elapsed() <= Duration::from_millis(4_063),
        "{:?}",
        start.elapsed()
    );
    calls.store(0, Ordering::SeqCst);
    assert!(get(&calls, 404).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[retry(policy = RetryPolicy::DATABASE, when = classify::is_transient_io, budget = none)]
async fn query(calls: &AtomicU32, kind: io::ErrorKind) -> io::Result<u32> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(kind.into())
}

#[tokio::test(start_paused = true)]
async fn database_retries_a_reset_connection_three_times_within_300ms() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert!(query(&calls, io::ErrorKind::ConnectionReset).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(start.elapsed() <= Duration::from_millis(300));
    calls.store(0, Ordering::SeqCst);
    assert!(
        query(&calls, io::ErrorKind::PermissionDenied)
            .await
            .is_err()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[retry(policy = RetryPolicy::CLOUD_STORAGE, when = retryable, budget = none)]
fn put(calls: &AtomicU32, status: u16) -> Result<(), Status> {
    calls.fetch_add(1, Ordering::SeqCst);
    if calls.load(Ordering::SeqCst) < 3 {
        Err(Status(status))
    } else {
        Ok(())
    }
}

#[test]
fn cloud_storage_gets_through_two_throttled_answers() {
    let calls = AtomicU32::new(0);
    assert!(put(&calls, 429).is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn the_presets_delays_without_jitter_are_the_issues_schedules() {
    use resilience::Jitter;
    let ms = |p: RetryPolicy| -> Vec<u128> {
        p.with_jitter(Jitter::None)
            .delays()
            .map(|d| d.as_millis())
            .collect()
    };
    assert_eq!(ms(RetryPolicy::DATABASE), [100, 200]);
    assert_eq!(ms(RetryPolicy::CLOUD_STORAGE), [200, 400]);
    assert_eq!(ms(RetryPolicy::HTTP), [500, 750, 1125, 1687]);
    assert_eq!(
        ms(RetryPolicy::DATABASE.with_max_attempts(10)).last(),
        Some(&5_000),
        "capped"
    );
}
