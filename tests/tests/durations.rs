//! Durations, wherever the attributes take one: a string with a unit, or a `const` expression
//! of type `Duration` (a constant, `Self::X`, `Duration::from_millis(..)`). Timings under
//! tokio's paused clock, so they are exact.

use std::{sync::Mutex, time::Duration};

use resilience::{Error, State, breakers, circuit_breaker, retry, timeout};
use tokio::time::Instant;

const FIRST_DELAY: Duration = Duration::from_millis(40);
const RECOVERY: Duration = Duration::from_secs(7);

/// Fails every time, recording when it ran.
fn failing(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Error> {
    times.lock().unwrap().push(start.elapsed());
    Err(Error::CircuitOpen {
        name: "downstream".into(),
        retry_in: None,
    })
}

#[retry(max_attempts = 4, backoff = linear, initial_delay = FIRST_DELAY, max_delay = Duration::from_millis(100), jitter = none)]
async fn by_constant(times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Error> {
    failing(times, start)
}

#[tokio::test(start_paused = true)]
async fn retry_delays_may_be_constants_and_duration_expressions() {
    let times = Mutex::new(Vec::new());
    assert!(by_constant(&times, Instant::now()).await.is_err());
    // 40ms, then 80ms, then 120ms capped at `max_delay` 100ms.
    assert_eq!(
        *times.lock().unwrap(),
        [0, 40, 120, 220].map(Duration::from_millis)
    );
}

struct Gateway;

impl Gateway {
    const DELAY: Duration = Duration::from_millis(25);
    const LIMIT: Duration = Duration::from_millis(60);

    #[retry(max_attempts = 3, backoff = constant, initial_delay = Self::DELAY, jitter = none)]
    #[timeout(Self::LIMIT)]
    async fn call(&self, times: &Mutex<Vec<Duration>>, start: Instant) -> Result<(), Error> {
        times.lock().unwrap().push(start.elapsed());
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_method_takes_its_durations_from_associated_constants() {
    let times = Mutex::new(Vec::new());
    let result = Gateway.call(&times, Instant::now()).await;
    assert!(matches!(result, Err(Error::Timeout { limit, .. }) if limit == Gateway::LIMIT));
    // Each attempt is cut at 60ms, then 25ms of delay.
    assert_eq!(
        *times.lock().unwrap(),
        [0, 85, 170].map(Duration::from_millis)
    );
}

#[circuit_breaker(name = "durations.recovery", failure_threshold = 1, recovery_timeout = RECOVERY)]
async fn recovering(outcome: Result<(), Error>) -> Result<(), Error> {
    outcome
}

#[tokio::test(start_paused = true)]
async fn a_breaker_recovers_after_a_constant_recovery_timeout() {
    let down = Err(Error::Timeout {
        name: "downstream".into(),
        limit: Duration::ZERO,
    });
    assert!(recovering(down).await.is_err());
    assert_eq!(
        breakers::get("durations.recovery").unwrap().state(),
        State::Open
    );
    tokio::time::advance(RECOVERY - Duration::from_millis(1)).await;
    assert!(matches!(
        recovering(Ok(())).await,
        Err(Error::CircuitOpen { .. })
    ));
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        recovering(Ok(())).await,
        Ok(()),
        "a trial call goes through"
    );
}

#[circuit_breaker(
    name = "durations.window",
    failure_rate = 0.5,
    window = Duration::from_secs(30),
    minimum_calls = 2,
    slow_call = Duration::from_secs(5)
)]
fn windowed(outcome: Result<(), Error>) -> Result<(), Error> {
    outcome
}

#[test]
fn a_breaker_window_may_be_a_duration_expression() {
    assert_eq!(windowed(Ok(())), Ok(()));
    let config = breakers::get("durations.window").unwrap().config();
    assert_eq!(config.slow_call(), Some(Duration::from_secs(5)));
    let rate = config.failure_rate().expect("a failure-rate policy");
    assert_eq!(
        rate.window(),
        resilience::Window::Time(Duration::from_secs(30))
    );
}
