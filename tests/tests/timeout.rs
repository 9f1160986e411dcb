//! `#[timeout]` on async functions (tokio's paused clock: exact) and sync functions (a worker
//! thread; wide margins, no sleep races), the error it produces, and deadlines that nested
//! calls see.

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use resilience::{Error, deadline, retry, timeout};

#[derive(Debug, PartialEq)]
enum FetchError {
    Failed(&'static str),
    Resilience(Error),
}

impl From<Error> for FetchError {
    fn from(error: Error) -> Self {
        FetchError::Resilience(error)
    }
}

#[timeout("250ms")]
async fn sleepy(sleep_ms: u64) -> Result<u64, FetchError> {
    tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
    Ok(sleep_ms)
}

#[tokio::test(start_paused = true)]
async fn async_body_is_dropped_at_the_deadline() {
    let start = tokio::time::Instant::now();
    match sleepy(10_000).await {
        Err(FetchError::Resilience(Error::Timeout { name, limit })) => {
            assert!(name.ends_with("sleepy"), "{name}");
            assert_eq!(limit, Duration::from_millis(250));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn async_values_and_errors_pass_through() {
    assert_eq!(sleepy(100).await, Ok(100));
    #[timeout("1s")]
    async fn fails() -> Result<(), FetchError> {
        Err(FetchError::Failed("nope"))
    }
    assert_eq!(fails().await, Err(FetchError::Failed("nope")));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_body_is_really_dropped() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    #[timeout("10ms")]
    async fn holds(guard: SetOnDrop) -> Result<(), FetchError> {
        let _guard = guard;
        std::future::pending::<()>().await;
        Ok(())
    }
    let dropped = Arc::new(AtomicBool::new(false));
    assert!(holds(SetOnDrop(dropped.clone())).await.is_err());
    assert!(dropped.load(Ordering::SeqCst));
}

const LIMIT: Duration = Duration::from_millis(40);

#[timeout(LIMIT)]
async fn const_limit() -> Result<(), FetchError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[timeout(Duration::from_millis(20) * 2, name = "computed")]
async fn expression_limit() -> Result<(), FetchError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_limit_may_be_a_const_or_an_expression() {
    let start = tokio::time::Instant::now();
    assert!(matches!(
        const_limit().await,
        Err(FetchError::Resilience(Error::Timeout { .. }))
    ));
    match expression_limit().await {
        Err(FetchError::Resilience(Error::Timeout { name, limit })) => {
            assert_eq!(&*name, "computed");
            assert_eq!(limit, LIMIT);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(start.elapsed(), LIMIT * 2);
}

#[timeout("50ms")]
fn sync_sleepy(sleep_ms: u64, finished: Arc<AtomicBool>) -> io::Result<u64> {
    std::thread::sleep(Duration::from_millis(sleep_ms));
    finished.store(true, Ordering::SeqCst);
    Ok(sleep_ms)
}

#[test]
fn sync_caller_returns_at_the_deadline_and_the_body_finishes_on_its_own() {
    let finished = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let error = sync_sleepy(2_000, finished.clone()).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    assert!(!finished.load(Ordering::SeqCst));
    // The body goes on and finishes by itself.
    let waited = Instant::now();
    while !finished.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(finished.load(Ordering::SeqCst));
}

#[test]
fn sync_values_pass_through() {
    #[timeout("5s")]
    fn quick(x: u64) -> io::Result<u64> {
        Ok(x * 2)
    }
    assert_eq!(quick(21).unwrap(), 42);
}

#[tokio::test(start_paused = true)]
async fn the_body_sees_the_time_remaining() {
    assert_eq!(deadline::remaining(), None);
    #[timeout("2s")]
    async fn budgeted() -> Result<Duration, FetchError> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(deadline::remaining().expect("inside a timeout"))
    }
    assert_eq!(budgeted().await, Ok(Duration::from_millis(1500)));
    assert_eq!(
        deadline::remaining(),
        None,
        "the deadline ends with the call"
    );
}

#[tokio::test(start_paused = true)]
async fn nested_deadlines_take_the_earliest() {
    #[timeout("10s")]
    async fn outer() -> Result<Duration, FetchError> {
        inner().await
    }
    #[timeout("1s")]
    async fn inner() -> Result<Duration, FetchError> {
        Ok(deadline::remaining().unwrap())
    }
    #[timeout("300ms")]
    async fn tight_outer() -> Result<Duration, FetchError> {
        inner().await
    }
    assert_eq!(outer().await, Ok(Duration::from_secs(1)));
    assert_eq!(tight_outer().await, Ok(Duration::from_millis(300)));
}

#[retry(max_attempts = 10, backoff = constant, initial_delay = "400ms", jitter = none)]
async fn retried(attempts: &std::sync::atomic::AtomicU32) -> Result<(), FetchError> {
    attempts.fetch_add(1, Ordering::SeqCst);
    Err(FetchError::Failed("busy"))
}

#[tokio::test(start_paused = true)]
async fn a_retry_never_sleeps_past_an_enclosing_deadline() {
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), async {
        #[timeout("1s")]
        async fn within(attempts: &std::sync::atomic::AtomicU32) -> Result<(), FetchError> {
            retried(attempts).await
        }
        within(&attempts).await
    })
    .await
    .unwrap();
    // Attempts at 0, 400 and 800 ms; a fourth would start at 1200 ms, past the deadline, so
    // the retry gives up with the last error instead of sleeping into the timeout.
    assert_eq!(result, Err(FetchError::Failed("busy")));
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(800));
}

#[test]
fn sync_bodies_see_their_deadline_on_the_worker_thread() {
    #[timeout("3s")]
    fn remaining() -> io::Result<Option<Duration>> {
        Ok(deadline::remaining())
    }
    let left = remaining().unwrap().expect("a deadline on the worker");
    assert!(
        left <= Duration::from_secs(3) && left > Duration::from_secs(1),
        "{left:?}"
    );
}
