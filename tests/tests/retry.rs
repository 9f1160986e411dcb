//! `#[retry]` on sync and async functions, methods, generics and trait impls: the contract's
//! schedule, attempt count, predicate and budget, with tokio's paused clock for exact timing.

use std::{
    cell::Cell,
    io,
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use resilience::{RetryAfter, RetryPolicy, retry};
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
enum Fault {
    Transient(u32),
    Permanent,
}

fn is_transient(fault: &Fault) -> bool {
    matches!(fault, Fault::Transient(_))
}

/// Fails with `Transient(n)` for the first `failures` calls, then succeeds with the call count.
fn flaky(calls: &Cell<u32>, failures: u32) -> Result<u32, Fault> {
    let n = calls.get() + 1;
    calls.set(n);
    if n <= failures {
        Err(Fault::Transient(n))
    } else {
        Ok(n)
    }
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
fn three_attempts(calls: &Cell<u32>, failures: u32) -> Result<u32, Fault> {
    flaky(calls, failures)
}

#[test]
fn succeeds_once_the_body_does() {
    let calls = Cell::new(0);
    assert_eq!(three_attempts(&calls, 2), Ok(3));
    assert_eq!(calls.get(), 3);
}

#[test]
fn runs_at_most_max_attempts_and_returns_the_last_error_unchanged() {
    let calls = Cell::new(0);
    assert_eq!(three_attempts(&calls, 10), Err(Fault::Transient(3)));
    assert_eq!(calls.get(), 3);
}

#[test]
fn a_first_success_runs_the_body_once() {
    let calls = Cell::new(0);
    assert_eq!(three_attempts(&calls, 0), Ok(1));
    assert_eq!(calls.get(), 1);
}

#[retry(max_attempts = 5, initial_delay = "1ms", when = is_transient)]
fn only_transient(outcomes: &Mutex<Vec<Fault>>, calls: &Cell<u32>) -> Result<(), Fault> {
    calls.set(calls.get() + 1);
    Err(outcomes.lock().unwrap().remove(0))
}

#[test]
fn when_returns_other_errors_at_once() {
    let calls = Cell::new(0);
    let outcomes = Mutex::new(vec![
        Fault::Transient(1),
        Fault::Permanent,
        Fault::Transient(3),
    ]);
    assert_eq!(only_transient(&outcomes, &calls), Err(Fault::Permanent));
    assert_eq!(calls.get(), 2);
}

#[test]
fn default_policy_makes_three_attempts() {
    #[retry(initial_delay = "1ms")]
    fn defaults(calls: &Cell<u32>) -> Result<(), ()> {
        calls.set(calls.get() + 1);
        Err(())
    }
    let calls = Cell::new(0);
    assert_eq!(defaults(&calls), Err(()));
    assert_eq!(calls.get(), 3);
}

#[test]
fn max_attempts_one_never_retries() {
    #[retry(max_attempts = 1)]
    fn once(calls: &Cell<u32>) -> Result<(), ()> {
        calls.set(calls.get() + 1);
        Err(())
    }
    let calls = Cell::new(0);
    assert_eq!(once(&calls), Err(()));
    assert_eq!(calls.get(), 1);
}

// `?` and `return` end the attempt, not the function.

#[derive(Debug, PartialEq)]
struct AppError(io::ErrorKind);

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError(e.kind())
    }
}

fn read(calls: &Cell<u32>) -> io::Result<u32> {
    calls.set(calls.get() + 1);
    if calls.get() < 3 {
        Err(io::ErrorKind::ConnectionReset.into())
    } else {
        Ok(calls.get())
    }
}

#[retry(max_attempts = 4, initial_delay = "1ms")]
fn question_mark(calls: &Cell<u32>) -> Result<u32, AppError> {
    let n = read(calls)?;
    Ok(n * 10)
}

#[retry(max_attempts = 4, initial_delay = "1ms")]
fn early_return(calls: &Cell<u32>) -> Result<&'static str, AppError> {
    calls.set(calls.get() + 1);
    if calls.get() == 1 {
        return Err(AppError(io::ErrorKind::Interrupted));
    }
    if calls.get() == 2 {
        return Ok("early");
    }
    Ok("late")
}

#[test]
fn question_mark_and_return_end_one_attempt() {
    let calls = Cell::new(0);
    assert_eq!(question_mark(&calls), Ok(30));
    let calls = Cell::new(0);
    assert_eq!(early_return(&calls), Ok("early"));
    assert_eq!(calls.get(), 2);
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn io_alias(calls: &Cell<u32>) -> io::Result<u32> {
    read(calls)
}

#[test]
fn result_aliases_work() {
    let calls = Cell::new(0);
    assert_eq!(
        io_alias(&calls).unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(calls.get(), 2);
}

// Methods, generics, `impl Trait`.

struct Client {
    name: String,
    calls: u32,
}

impl Client {
    #[retry(max_attempts = 3, initial_delay = "1ms")]
    fn name(&self, calls: &Cell<u32>) -> Result<&str, Fault> {
        flaky(calls, 1).map(|_| self.name.as_str())
    }

    #[retry(max_attempts = 3, initial_delay = "1ms")]
    fn bump(&mut self) -> Result<u32, Fault> {
        self.calls += 1;
        if self.calls < 3 {
            Err(Fault::Transient(self.calls))
        } else {
            Ok(self.calls)
        }
    }

    #[retry(max_attempts = 3, initial_delay = "1ms")]
    fn into_name(self) -> Result<String, Fault> {
        // A by-value `self` can be retried as long as the body only borrows it.
        if self.name.is_empty() {
            Err(Fault::Permanent)
        } else {
            Ok(self.name.clone())
        }
    }

    #[retry(max_attempts = 2, initial_delay = "1ms")]
    async fn fetch(&self, key: &str) -> Result<String, Fault> {
        tokio::task::yield_now().await;
        Ok(format!("{}:{key}", self.name))
    }
}

#[test]
fn methods_with_every_receiver() {
    let mut client = Client {
        name: "db".into(),
        calls: 0,
    };
    let calls = Cell::new(0);
    assert_eq!(client.name(&calls), Ok("db"));
    assert_eq!(calls.get(), 2);
    assert_eq!(client.bump(), Ok(3));
    assert_eq!(client.into_name(), Ok("db".to_string()));
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn generic<'a, T, U: Clone>(items: &'a [T], fallback: U) -> Result<(&'a T, U), Fault>
where
    T: PartialEq,
{
    items
        .first()
        .map(|first| (first, fallback.clone()))
        .ok_or(Fault::Permanent)
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn impl_trait_return(calls: &Cell<u32>) -> Result<impl std::fmt::Display, Fault> {
    flaky(calls, 1)
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn impl_trait_argument(calls: &Cell<u32>, label: impl AsRef<str>) -> Result<String, Fault> {
    flaky(calls, 1).map(|n| format!("{}{n}", label.as_ref()))
}

#[test]
fn generics_lifetimes_and_impl_trait() {
    assert_eq!(generic(&[1, 2], "x"), Ok((&1, "x")));
    assert_eq!(generic::<u8, u8>(&[], 0), Err(Fault::Permanent));
    let calls = Cell::new(0);
    assert_eq!(impl_trait_return(&calls).unwrap().to_string(), "2");
    let calls = Cell::new(0);
    assert_eq!(impl_trait_argument(&calls, "n="), Ok("n=2".into()));
}

// Async: exact schedules on tokio's paused clock.

static ASYNC_CALLS: AtomicU32 = AtomicU32::new(0);

async fn record_call(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Fault> {
    times.lock().unwrap().push(start.elapsed());
    Err(Fault::Transient(times.lock().unwrap().len() as u32))
}

macro_rules! schedule_test {
    ($name:ident, $attr:meta, $expected_ms:expr) => {
        #[tokio::test(start_paused = true)]
        async fn $name() {
            #[$attr]
            async fn body(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Fault> {
                record_call(times, start).await
            }
            let times = Mutex::new(Vec::new());
            let start = Instant::now();
            assert!(body(&times, start).await.is_err());
            let expected: Vec<Duration> = $expected_ms
                .into_iter()
                .map(Duration::from_millis)
                .collect();
            assert_eq!(*times.lock().unwrap(), expected);
        }
    };
}

schedule_test!(
    exponential_schedule_is_exact,
    retry(max_attempts = 5, initial_delay = "100ms", jitter = none),
    [0, 100, 300, 700, 1500]
);
// `backoff = exponential` written alone grows as the default does: the expansion spells the
// multiplier out (the runtime takes it with the backoff), and it must be the runtime's.
schedule_test!(
    exponential_written_alone_grows_as_the_default,
    retry(
        max_attempts = 5,
        backoff = exponential,
        initial_delay = "100ms",
        jitter = none
    ),
    [0, 100, 300, 700, 1500]
);
schedule_test!(
    exponential_multiplier_and_cap,
    retry(
        max_attempts = 5,
        initial_delay = "100ms",
        multiplier = 3.0,
        max_delay = "500ms",
        jitter = none
    ),
    [0, 100, 400, 900, 1400]
);
schedule_test!(
    linear_schedule_is_exact,
    retry(
        max_attempts = 4,
        backoff = linear,
        initial_delay = "50ms",
        jitter = none
    ),
    [0, 50, 150, 300]
);
schedule_test!(
    constant_schedule_is_exact,
    retry(
        max_attempts = 4,
        backoff = constant,
        initial_delay = "1s",
        jitter = none
    ),
    [0, 1000, 2000, 3000]
);
schedule_test!(
    fibonacci_schedule_is_exact,
    retry(
        max_attempts = 6,
        backoff = fibonacci,
        initial_delay = "10ms",
        jitter = none
    ),
    [0, 10, 20, 40, 70, 120]
);
schedule_test!(
    max_elapsed_stops_new_attempts,
    retry(
        max_attempts = 100,
        backoff = constant,
        initial_delay = "1s",
        jitter = none,
        max_elapsed = "3500ms"
    ),
    [0, 1000, 2000, 3000]
);

#[tokio::test(start_paused = true)]
async fn full_jitter_waits_at_most_the_base_delay() {
    #[retry(max_attempts = 4, initial_delay = "100ms")]
    async fn jittered(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Fault> {
        record_call(times, start).await
    }
    for _ in 0..20 {
        let times = Mutex::new(Vec::new());
        let start = Instant::now();
        let _ = jittered(&times, start).await;
        let times = times.into_inner().unwrap();
        let gaps: Vec<_> = times.windows(2).map(|w| w[1] - w[0]).collect();
        for (gap, base) in gaps.iter().zip([100, 200, 400]) {
            assert!(*gap <= Duration::from_millis(base), "{gap:?} > {base} ms");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn async_success_after_failures() {
    #[retry(max_attempts = 3, initial_delay = "10ms", jitter = none)]
    async fn eventually() -> Result<u32, Fault> {
        let n = ASYNC_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        if n < 3 {
            Err(Fault::Transient(n))
        } else {
            Ok(n)
        }
    }
    let start = Instant::now();
    assert_eq!(eventually().await, Ok(3));
    assert_eq!(start.elapsed(), Duration::from_millis(30));
}

// Errors that ask for their own delay.

#[derive(Debug, PartialEq)]
struct TooManyRequests {
    retry_after: Duration,
}

impl RetryAfter for TooManyRequests {
    fn retry_after(&self) -> Option<Duration> {
        Some(self.retry_after)
    }
}

/// Records when it was called, and asks for 2 s the first time, 60 s after.
fn throttled(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), TooManyRequests> {
    let mut times = times.lock().unwrap();
    times.push(start.elapsed());
    let retry_after = Duration::from_secs(if times.len() == 1 { 2 } else { 60 });
    Err(TooManyRequests { retry_after })
}

#[tokio::test(start_paused = true)]
async fn retry_after_hint_replaces_the_delay_and_is_capped_at_max_delay() {
    #[retry(max_attempts = 3, initial_delay = "10ms", max_delay = "5s", jitter = none)]
    async fn limited(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), TooManyRequests> {
        throttled(times, start)
    }
    let times = Mutex::new(Vec::new());
    let _ = limited(&times, Instant::now()).await;
    assert_eq!(
        *times.lock().unwrap(),
        [0, 2000, 7000].map(Duration::from_millis)
    );
}

#[tokio::test(start_paused = true)]
async fn max_retry_after_caps_hints_below_max_delay() {
    #[retry(
        max_attempts = 3,
        initial_delay = "10ms",
        max_delay = "1m",
        max_retry_after = "5s",
        jitter = none
    )]
    async fn limited(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), TooManyRequests> {
        throttled(times, start)
    }
    let times = Mutex::new(Vec::new());
    let _ = limited(&times, Instant::now()).await;
    assert_eq!(
        *times.lock().unwrap(),
        [0, 2000, 7000].map(Duration::from_millis)
    );
}

// `policy = PATH` and `on_retry = PATH`.

const FAST: RetryPolicy = RetryPolicy::new()
    .with_max_attempts(4)
    .with_initial_delay(Duration::from_millis(5))
    .with_jitter(resilience::Jitter::None);

static RETRIES: Mutex<Vec<(u32, Duration)>> = Mutex::new(Vec::new());

fn log_retry(_: &Fault, attempt: u32, delay: Duration) {
    RETRIES.lock().unwrap().push((attempt, delay));
}

#[retry(policy = FAST, on_retry = log_retry)]
fn with_policy(calls: &Cell<u32>) -> Result<u32, Fault> {
    flaky(calls, 10)
}

#[test]
fn policy_and_on_retry_paths() {
    let calls = Cell::new(0);
    assert_eq!(with_policy(&calls), Err(Fault::Transient(4)));
    assert_eq!(calls.get(), 4);
    assert_eq!(
        *RETRIES.lock().unwrap(),
        [
            (1, Duration::from_millis(5)),
            (2, Duration::from_millis(10)),
            (3, Duration::from_millis(20))
        ]
    );
}

// Trait impls with `async fn`, and `Send` futures.

trait Store {
    async fn load(&self, key: u32) -> Result<u32, Fault>;
}

struct Memory;

impl Store for Memory {
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    async fn load(&self, key: u32) -> Result<u32, Fault> {
        tokio::task::yield_now().await;
        Ok(key + 1)
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test]
async fn async_fn_in_trait_impl_and_send_futures() {
    assert_eq!(Memory.load(1).await, Ok(2));
    let client = Client {
        name: "api".into(),
        calls: 0,
    };
    let fut = assert_send(client.fetch("k"));
    assert_eq!(fut.await, Ok("api:k".to_string()));
    // Spawning needs `Send + 'static`: the attribute keeps an owned future spawnable.
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    async fn owned(n: u32) -> Result<u32, Fault> {
        tokio::task::yield_now().await;
        Ok(n)
    }
    assert_eq!(tokio::spawn(owned(5)).await.unwrap(), Ok(5));
}

#[test]
fn attributes_and_docs_are_kept() {
    /// Documented.
    #[retry(max_attempts = 2)]
    #[must_use = "check it"]
    #[allow(clippy::unnecessary_wraps)]
    pub(crate) fn kept() -> Result<u8, ()> {
        Ok(1)
    }
    assert_eq!(kept(), Ok(1));
}

// A policy path passed through a `macro_rules!` fragment is still a path.
macro_rules! retried_with {
    ($policy:path, $name:ident) => {
        #[retry(policy = $policy)]
        fn $name(calls: &Cell<u32>) -> Result<u32, Fault> {
            flaky(calls, 10)
        }
    };
}

retried_with!(FAST, through_a_macro);

#[test]
fn policy_paths_from_macro_fragments() {
    let calls = Cell::new(0);
    assert!(through_a_macro(&calls).is_err());
    assert_eq!(calls.get(), 4);
}
