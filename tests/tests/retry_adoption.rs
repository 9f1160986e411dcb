//! What code ported from backon, tokio-retry, reqwest-retry or a hand loop relies on: counts
//! of retries, no limit, no cap, closures that infer and keep state, `Ok` values retried with
//! their own delay, the outcome of a call, and `Retry-After`'s own cap. Timing on tokio's
//! paused clock.

use std::{
    io,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use resilience::{GiveUp, Jitter, RetryAfter, RetryPolicy, retries, retry};
use tokio::time::Instant;

const EXACT: RetryPolicy = RetryPolicy::new().with_jitter(Jitter::None);

// Counting and limits.

#[test]
fn max_retries_counts_the_attempts_after_the_first() {
    let mut calls = 0;
    let _: Result<(), ()> = EXACT
        .with_max_retries(4)
        .with_initial_delay(Duration::ZERO)
        .retrying()
        .without_budget()
        .call(|| {
            calls += 1;
            Err(())
        });
    assert_eq!(calls, 5);
}

#[tokio::test(start_paused = true)]
async fn forever_stops_only_at_max_elapsed() {
    let start = Instant::now();
    let mut calls = 0u32;
    let outcome = RetryPolicy::forever()
        .with_jitter(Jitter::None)
        .with_backoff(resilience::Backoff::Constant)
        .with_initial_delay(Duration::from_secs(1))
        .with_max_elapsed(Duration::from_millis(100_500))
        .retrying()
        .without_budget()
        .call_async_with_outcome(|| {
            calls += 1;
            async { Err::<(), _>("down") }
        })
        .await;
    // Far past the default 3 attempts: 101 attempts, 100 sleeps of 1 s.
    assert_eq!(calls, 101);
    assert_eq!(outcome.attempts, 101);
    assert_eq!(outcome.gave_up, Some(GiveUp::MaxElapsed));
    assert_eq!(start.elapsed(), Duration::from_secs(100));
}

#[test]
fn without_max_delay_lets_delays_grow_past_30_seconds() {
    let delays: Vec<_> = EXACT
        .with_max_attempts(12)
        .without_max_delay()
        .delays()
        .collect();
    assert_eq!(delays.last(), Some(&Duration::from_millis(100 << 10)));
}

static ATTRIBUTE_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(max_retries = 5, initial_delay = "1s", max_delay = none, jitter = none, budget = none)]
async fn five_retries_uncapped() -> Result<(), io::Error> {
    ATTRIBUTE_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(io::ErrorKind::TimedOut.into())
}

#[tokio::test(start_paused = true)]
async fn the_attribute_counts_retries_without_a_cap() {
    let start = Instant::now();
    let _ = five_retries_uncapped().await;
    assert_eq!(ATTRIBUTE_CALLS.load(Ordering::SeqCst), 6);
    // 1 + 2 + 4 + 8 + 16 s: no cap at 30 s needed here, but none cut the schedule either.
    assert_eq!(start.elapsed(), Duration::from_secs(31));
}

#[retry(max_attempts = unlimited, initial_delay = "10ms", max_elapsed = "1s", jitter = none, budget = none)]
async fn until_time_runs_out(calls: &AtomicU32) -> Result<(), &'static str> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err("down")
}

#[tokio::test(start_paused = true)]
async fn the_attribute_retries_without_a_limit_until_max_elapsed() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let _ = until_time_runs_out(&calls).await;
    // 10 + 20 + 40 + 80 + 160 + 320 ms = 630 ms; another 640 ms would pass 1 s.
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(start.elapsed(), Duration::from_millis(630));
}

// Closures.

#[test]
fn closures_infer_once_the_error_type_is_fixed_and_may_keep_state() {
    let mut seen = Vec::new();
    let mut asked = 0;
    let result: Result<(), io::Error> = EXACT
        .with_initial_delay(Duration::ZERO)
        .retrying_for::<io::Error>()
        .without_budget()
        .when(|e| {
            asked += 1; // an FnMut predicate, as tokio-retry's condition
            e.kind() == io::ErrorKind::TimedOut
        })
        .on_retry(|e, attempt, delay| seen.push((e.kind(), attempt, delay)))
        .call(|| Err(io::ErrorKind::TimedOut.into()));
    assert!(result.is_err());
    // Asked about every error, the last one included.
    assert_eq!(asked, 3);
    assert_eq!(
        seen,
        [
            (io::ErrorKind::TimedOut, 1, Duration::ZERO),
            (io::ErrorKind::TimedOut, 2, Duration::ZERO)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn async_closures_borrow_per_attempt_and_see_their_attempt() {
    let mut extensions: Vec<u32> = Vec::new();
    let outcome = EXACT
        .retrying()
        .call_async_mut(async |attempt| {
            extensions.push(attempt.number());
            tokio::task::yield_now().await;
            if attempt.is_last() {
                Ok(extensions.len())
            } else {
                Err("busy")
            }
        })
        .await;
    assert_eq!(outcome.result, Ok(3));
    assert_eq!(extensions, [1, 2, 3]);
}

// `Ok` values.

#[derive(Debug, Clone, Copy, PartialEq)]
struct Response {
    status: u16,
    retry_after: Option<Duration>,
}

impl RetryAfter for Response {
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

fn is_throttled(response: &Response) -> bool {
    matches!(response.status, 429 | 503)
}

static RESPONSES: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 3, initial_delay = "100ms", jitter = none, retry_if_ok = is_throttled, name = "adoption.throttled")]
async fn fetch_throttled() -> Result<Response, io::Error> {
    let n = RESPONSES.fetch_add(1, Ordering::SeqCst);
    Ok(Response {
        status: 429,
        retry_after: (n == 0).then(|| Duration::from_secs(2)),
    })
}

#[tokio::test(start_paused = true)]
async fn the_attribute_retries_ok_values_honours_their_hint_and_returns_the_last() {
    let start = Instant::now();
    let last = fetch_throttled().await.unwrap();
    assert_eq!(
        last.status, 429,
        "the last value, when the attempts run out"
    );
    assert_eq!(RESPONSES.load(Ordering::SeqCst), 3);
    // The first response asked for 2 s; the second had no hint: the schedule's 200 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(2200));
    let stats = retries::get("adoption.throttled").unwrap();
    assert_eq!((stats.attempts, stats.retries, stats.give_ups), (3, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn the_plain_api_retries_ok_values_and_reports_the_outcome() {
    let mut statuses = [503, 503, 200].into_iter();
    let outcome = EXACT
        .retrying()
        .named("adoption.plain_ok")
        .retry_if_ok(|status: &u16| *status == 503)
        .call_async_with_outcome(|| {
            std::future::ready(Ok::<_, io::Error>(statuses.next().unwrap()))
        })
        .await;
    assert_eq!(outcome.result.as_ref().unwrap(), &200);
    assert_eq!((outcome.attempts, outcome.retries()), (3, 2));
    assert_eq!(outcome.slept, Duration::from_millis(300));
    assert_eq!(outcome.gave_up, None);
    let stats = retries::get("adoption.plain_ok").unwrap();
    assert_eq!((stats.successes_after_retries, stats.retries), (1, 2));
}

// `Retry-After`'s own cap.

#[derive(Debug)]
struct Throttled(Duration);

impl RetryAfter for Throttled {
    fn retry_after(&self) -> Option<Duration> {
        Some(self.0)
    }
}

#[tokio::test(start_paused = true)]
async fn a_hint_is_cut_to_max_delay_and_to_a_lower_max_retry_after() {
    let start = Instant::now();
    let _ = EXACT
        .with_max_attempts(2)
        .with_max_delay(Duration::from_secs(90))
        .retrying()
        .honor_retry_after()
        .call_async(|| async { Err::<(), _>(Throttled(Duration::from_secs(120))) })
        .await;
    // `max_delay` caps every delay, a hint's included.
    assert_eq!(start.elapsed(), Duration::from_secs(90));
    let start = Instant::now();
    let _ = EXACT
        .with_max_attempts(2)
        .with_max_delay(Duration::from_secs(90))
        .with_max_retry_after(Duration::from_secs(20))
        .retrying()
        .honor_retry_after()
        .call_async(|| async { Err::<(), _>(Throttled(Duration::from_secs(120))) })
        .await;
    // `max_retry_after` caps hints lower.
    assert_eq!(start.elapsed(), Duration::from_secs(20));
}

// Settings known at run time.

struct Client {
    retries: u32,
    delay: Duration,
    calls: AtomicU32,
}

impl Client {
    #[retry(max_retries = self.retries, initial_delay = self.delay, jitter = none, budget = none)]
    async fn get(&self) -> Result<(), &'static str> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err("down")
    }
}

#[tokio::test(start_paused = true)]
async fn the_attribute_reads_settings_from_fields_on_each_call() {
    for (retries, delay_ms, elapsed_ms) in [(3, 10, 10 + 20 + 40), (1, 500, 500)] {
        let client = Client {
            retries,
            delay: Duration::from_millis(delay_ms),
            calls: AtomicU32::new(0),
        };
        let start = Instant::now();
        let _ = client.get().await;
        assert_eq!(client.calls.load(Ordering::SeqCst), retries + 1);
        assert_eq!(start.elapsed(), Duration::from_millis(elapsed_ms));
    }
}

static REPORTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[retry(max_attempts = attempts, multiplier = factor, initial_delay = "1ms", jitter = none, budget = none, name = "adoption.run_time")]
fn configured(attempts: i64, factor: f64, calls: &AtomicU32) -> Result<(), &'static str> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err("down")
}

#[test]
fn a_run_time_value_its_rule_refuses_is_clamped_and_reported() {
    resilience::config::on_report(|report| REPORTS.lock().unwrap().push(report.to_string()));
    let calls = AtomicU32::new(0);
    // Zero attempts would never run the body: one attempt is made, and the value reported.
    let _ = configured(0, 3.0, &calls);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let reports = REPORTS.lock().unwrap().clone();
    let refused: Vec<_> = reports
        .iter()
        .filter(|r| r.contains("adoption.run_time max_attempts"))
        .collect();
    assert_eq!(refused.len(), 1, "{reports:?}");
    assert!(
        refused[0].contains("at least 1") && refused[0].contains("using 1"),
        "{refused:?}"
    );
    // A valid value is used as given, and not reported.
    let calls = AtomicU32::new(0);
    let _ = configured(4, 3.0, &calls);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(REPORTS.lock().unwrap().len(), reports.len());
}
