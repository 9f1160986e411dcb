use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::advance;

use super::*;
use std::panic::AssertUnwindSafe;

use crate::{Error, Reason, State, StateChange};

type R = Result<(), Error>;

fn fail() -> R {
    Err(Error::timeout("dep", Duration::from_secs(1)))
}

fn ok() -> R {
    Ok(())
}

fn recorder(breaker: &CircuitBreaker) -> Arc<Mutex<Vec<(State, State, Reason)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    breaker.on_state_change(move |c| log.lock().unwrap().push((c.from, c.to, c.reason)));
    seen
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(3));
    let _ = b.call(fail);
    let _ = b.call(fail);
    let _ = b.call(ok);
    assert_eq!(b.stats().consecutive_failures, 0);
    let _ = b.call(fail);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().consecutive_failures, 2);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
    let mut ran = false;
    let err = b
        .call(|| {
            ran = true;
            ok()
        })
        .unwrap_err();
    assert!(!ran);
    assert!(
        matches!(err, Error::CircuitOpen { ref name, retry_in: Some(d) } if &**name == "t" && d <= Duration::from_secs(60))
    );
    let s = b.stats();
    assert_eq!(
        (s.calls, s.successes, s.failures, s.rejections),
        (6, 1, 5, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn half_open_after_the_timeout_then_closes_on_success() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND),
    );
    let seen = recorder(&b);
    let _ = b.call(fail);
    assert_eq!(b.stats().until_half_open, Some(SECOND));
    advance(Duration::from_millis(400)).await;
    assert_eq!(b.stats().until_half_open, Some(Duration::from_millis(600)));
    match b.call(ok) {
        Err(Error::CircuitOpen { retry_in, .. }) => {
            assert_eq!(retry_in, Some(Duration::from_millis(600)))
        }
        other => panic!("{other:?}"),
    }
    advance(Duration::from_millis(600)).await;
    assert_eq!(b.state(), State::Open, "until a call arrives");
    b.call(ok).unwrap();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (
                State::Closed,
                State::Open,
                Reason::ConsecutiveFailures { count: 1 }
            ),
            (State::Open, State::HalfOpen, Reason::RecoveryTimeoutElapsed),
            (
                State::HalfOpen,
                State::Closed,
                Reason::TrialsSucceeded { successes: 1 }
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_trial_opens_again_with_backoff_reset_once_closed() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_recovery_backoff(2.0, Duration::from_secs(3)),
    );
    let _ = b.call(fail);
    for expected in [2, 3, 3] {
        advance(b.stats().until_half_open.unwrap()).await;
        let _ = b.call(fail); // trial fails
        assert_eq!(b.state(), State::Open);
        assert_eq!(
            b.stats().until_half_open,
            Some(Duration::from_secs(expected))
        );
    }
    assert_eq!(b.stats().failed_recoveries, 3);
    advance(Duration::from_secs(3)).await;
    b.call(ok).unwrap();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().failed_recoveries, 0);
    let _ = b.call(fail);
    assert_eq!(
        b.stats().until_half_open,
        Some(SECOND),
        "backoff reset once closed"
    );
}

#[tokio::test(start_paused = true)]
async fn half_open_limits_trials_and_needs_enough_successes() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_half_open_max_calls(2)
            .with_success_threshold(3),
    );
    let _ = b.call(fail);
    advance(SECOND).await;
    let p1 = b.try_acquire().unwrap();
    let p2 = b.try_acquire().unwrap();
    assert!(p1.is_trial() && p2.is_trial());
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.stats().trials_in_flight, 2);
    let err = b.try_acquire().unwrap_err();
    // A slot frees at the latest when the first trial's time is up: the recovery timeout.
    assert_eq!(err, Error::circuit_open("t", Some(SECOND)));
    p1.success();
    p2.success();
    assert_eq!(b.state(), State::HalfOpen, "2 of 3 successes");
    let p3 = b.try_acquire().unwrap();
    // A dropped trial (a cancelled future) frees its slot without counting.
    drop(p3);
    assert_eq!(b.stats().trials_in_flight, 0);
    assert_eq!(b.state(), State::HalfOpen);
    b.try_acquire().unwrap().success();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().uncounted, 1);
}

#[tokio::test(start_paused = true)]
async fn late_outcomes_of_an_earlier_state_do_not_steer_the_new_one() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_half_open_max_calls(1),
    );
    let slow = b.try_acquire().unwrap(); // a closed-state call still running
    let _ = b.call(fail);
    advance(SECOND).await;
    let trial = b.try_acquire().unwrap();
    slow.failure(); // counted in the stats, but not as a failed trial
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.stats().trials_in_flight, 1);
    trial.success();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().failures, 2);
}

#[test]
fn a_panic_counts_as_a_failure_and_is_propagated() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(1));
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let _: R = b.call(|| panic!("boom"));
    }));
    assert_eq!(*caught.unwrap_err().downcast::<&str>().unwrap(), "boom");
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.stats().failures, 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_future_is_released_uncounted() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(1));
    let pending = b.call_async(std::future::pending::<R>());
    let timed_out = tokio::time::timeout(SECOND, pending).await;
    assert!(timed_out.is_err());
    let s = b.stats();
    assert_eq!(
        (s.calls, s.uncounted, s.failures, s.state),
        (1, 1, 0, State::Closed)
    );
    b.call_async(async { fail() }).await.unwrap_err();
    assert_eq!(b.state(), State::Open);
}

#[test]
fn when_decides_which_errors_count() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(1));
    let only_timeouts = b.when(|e: &Error| e.is_timeout());
    let r: R = only_timeouts.call(|| Err(Error::circuit_open("x", None)));
    assert!(r.unwrap_err().is_circuit_open());
    assert_eq!(b.state(), State::Closed);
    let _ = only_timeouts.call(fail);
    assert_eq!(b.state(), State::Open);
    let s = b.stats();
    assert_eq!((s.calls, s.failures, s.uncounted), (2, 1, 1));
}

#[test]
fn permit_record_classifies() {
    let b = CircuitBreaker::new("t", BreakerConfig::new());
    b.try_acquire().unwrap().record(&Ok::<_, u8>(()), |_| true);
    b.try_acquire()
        .unwrap()
        .record(&Err::<(), _>(1u8), |e| *e == 1);
    b.try_acquire()
        .unwrap()
        .record(&Err::<(), _>(2u8), |e| *e == 1);
    b.try_acquire().unwrap().release();
    let s = b.stats();
    assert_eq!(
        (s.calls, s.successes, s.failures, s.uncounted),
        (4, 1, 1, 2)
    );
}

#[test]
fn failure_rate_over_a_count_window() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new().with_failure_rate(0.5, Window::Calls(4), 4),
    );
    let seen = recorder(&b);
    // Far more than 5 failures in a row would trip the default policy; it is off here.
    for _ in 0..3 {
        let _ = b.call(fail);
    }
    assert_eq!(b.state(), State::Closed, "below minimum calls");
    assert_eq!(b.stats().failure_rate, None);
    let _ = b.call(ok);
    assert_eq!(b.state(), State::Open);
    assert_eq!(
        seen.lock().unwrap()[0].2,
        Reason::FailureRate { rate: 0.75 },
        "3 of 4 on the 4th call"
    );
}

#[test]
fn failure_rate_stays_closed_below_the_rate() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new().with_failure_rate(0.5, Window::Calls(10), 10),
    );
    for i in 0..100 {
        let _ = b.call(if i % 3 == 0 { fail } else { ok });
    }
    assert_eq!(b.state(), State::Closed);
    let rate = b.stats().failure_rate.unwrap();
    assert!((0.3..0.5).contains(&rate), "{rate}");
}

#[test]
fn rate_and_explicit_threshold_both_apply() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_rate(0.9, Window::Calls(100), 100)
            .with_failure_threshold(2),
    );
    let _ = b.call(fail);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn failure_rate_over_a_time_window() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new().with_failure_rate(0.5, Window::Time(Duration::from_secs(10)), 4),
    );
    for _ in 0..3 {
        let _ = b.call(fail);
    }
    advance(Duration::from_secs(11)).await; // those fall out of the window
    for _ in 0..3 {
        let _ = b.call(ok);
    }
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Closed, "1 of 4 in the window");
    assert_eq!(b.stats().failure_rate, Some(0.25));
    let _ = b.call(fail);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open, "3 of 6");
}

/// A time window's successes are placed in time by their thread's stripe, without the lock:
/// under a steady mix the rate is never overstated (45% of failures never trips a 50%
/// threshold), and a mix above the threshold trips it within a few calls of the exact point.
#[tokio::test(start_paused = true)]
async fn a_time_window_trips_at_its_rate_not_before() {
    let config =
        BreakerConfig::new().with_failure_rate(0.5, Window::Time(Duration::from_secs(10)), 20);
    let below = CircuitBreaker::new("below", config);
    // 9 failures in every 20 calls, spread out.
    for i in 0..20_000u32 {
        let _ = below.call(if (i * 9) % 20 < 9 { fail } else { ok });
        advance(Duration::from_millis(1)).await;
    }
    assert_eq!(below.state(), State::Closed, "45% never trips 50%");
    let rate = below.stats().failure_rate.unwrap();
    assert!((0.43..=0.46).contains(&rate), "{rate}");

    let above = CircuitBreaker::new("above", config);
    // A long healthy stretch, then 60% of calls fail.
    for _ in 0..20_000 {
        let _ = above.call(ok);
        advance(Duration::from_millis(1)).await;
    }
    let mut calls = 0u32;
    while above.state() == State::Closed {
        let _ = above.call(if calls % 5 < 3 { fail } else { ok });
        advance(Duration::from_millis(1)).await;
        calls += 1;
    }
    // Exactly, the window (10 s, 10,000 calls) reaches 50% once 60% of the calls failed for
    // 5 of its 6 parts (every 1 ms call of the last 10 s counts): after about 8,300 calls.
    assert!(
        (8_000..=8_700).contains(&calls),
        "opened after {calls} calls"
    );
}

/// The successes a thread made since it last read the clock are counted in the window,
/// wherever in time they were: after a burst of successes and a quiet spell longer than the
/// window, the failures that follow trip the breaker a few calls later than the exact rate
/// would (at most 63 for the thread), never sooner.
#[tokio::test(start_paused = true)]
async fn successes_not_yet_placed_in_time_delay_a_trip_by_at_most_a_stride() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new().with_failure_rate(0.5, Window::Time(Duration::from_secs(10)), 4),
    );
    for _ in 0..1_000 {
        let _ = b.call(ok);
    }
    advance(Duration::from_secs(60)).await;
    let mut failures = 0;
    while b.state() == State::Closed {
        let _ = b.call(fail);
        failures += 1;
    }
    assert!(
        (4..=64).contains(&failures),
        "opened after {failures} failures"
    );
}

#[tokio::test(start_paused = true)]
async fn slow_calls_count_as_failures() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(2)
            .with_slow_call(Duration::from_millis(100)),
    );
    b.call_async(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        ok()
    })
    .await
    .unwrap();
    for _ in 0..2 {
        b.call_async(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            ok()
        })
        .await
        .unwrap(); // the result is the caller's; the breaker still counts it as a failure
    }
    let s = b.stats();
    assert_eq!(
        (s.successes, s.failures, s.slow_calls, s.state),
        (1, 2, 2, State::Open)
    );
}

#[test]
fn operator_states() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(1));
    let seen = recorder(&b);
    b.force_open();
    assert_eq!(b.call(ok).unwrap_err(), Error::circuit_open("t", None));
    b.disable();
    for _ in 0..5 {
        let _ = b.call(fail);
    }
    assert_eq!(b.state(), State::Disabled);
    let s = b.stats();
    assert_eq!((s.calls, s.failures, s.rejections), (5, 5, 1));
    b.reset();
    assert_eq!(b.state(), State::Closed);
    let s = b.stats();
    assert_eq!(
        (s.calls, s.failures, s.rejections, s.consecutive_failures),
        (0, 0, 0, 0)
    );
    b.reset(); // closed to closed: no event
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (State::Closed, State::ForcedOpen, Reason::ForcedOpen),
            (State::ForcedOpen, State::Disabled, Reason::Disabled),
            (State::Disabled, State::Closed, Reason::Reset),
        ]
    );
    assert_eq!(b.stats().generation, 4);
}

#[test]
fn reconfigure_changes_policy_live() {
    let b = CircuitBreaker::new("t", BreakerConfig::new());
    let _ = b.call(fail);
    b.reconfigure(BreakerConfig::new().with_failure_threshold(2));
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
    b.reset();
    b.reconfigure(BreakerConfig::new().with_failure_rate(1.0, Window::Calls(2), 2));
    let _ = b.call(fail);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
    assert!(!b.config().consecutive_policy());
}

#[test]
fn a_panicking_listener_does_not_wedge_the_breaker() {
    let b = CircuitBreaker::new("t", BreakerConfig::new().with_failure_threshold(1));
    b.on_state_change(|_| panic!("listener"));
    let seen = recorder(&b);
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
    b.reset();
    b.call(ok).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn state_change_display_and_debug() {
    let b = CircuitBreaker::new("db", BreakerConfig::new());
    assert!(format!("{b:?}").contains("Closed"));
    assert_eq!(
        Reason::FailureRate { rate: 0.5 }.to_string(),
        "failure rate 50.0%"
    );
    assert_eq!(State::Disabled.to_string(), "disabled");
}

#[test]
fn permits_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Permit<'static>>();
    check::<CircuitBreaker>();
    check::<StateChange>();
}

#[test]
fn zero_recovery_timeout_goes_half_open_at_once() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::ZERO),
    );
    let _ = b.call(fail);
    assert_eq!(b.state(), State::Open);
    b.call(ok).unwrap();
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_trial_of_an_earlier_half_open_period_keeps_its_slot() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_half_open_max_calls(2)
            .with_max_trial_wait(10 * SECOND),
    );
    let _ = b.call(fail);
    advance(SECOND).await;
    let old = b.try_acquire().unwrap();
    b.try_acquire().unwrap().failure(); // reopens
    advance(SECOND).await;
    let new = b.try_acquire().unwrap();
    assert!(new.is_trial());
    assert!(
        b.try_acquire().is_err(),
        "`old` still runs: two trials at once already"
    );
    assert_eq!(b.stats().trials_in_flight, 2);
    old.success(); // frees its slot, but does not close the new period
    assert_eq!(b.state(), State::HalfOpen);
    let third = b.try_acquire().unwrap();
    new.success();
    third.release();
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().trials_in_flight, 0);
}

#[tokio::test(start_paused = true)]
async fn a_hung_trial_gives_its_slot_back_when_its_time_is_up() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_max_trial_wait(3 * SECOND),
    );
    let seen = recorder(&b);
    let _ = b.call(fail);
    advance(SECOND).await;
    let hung = b.try_acquire().unwrap();
    assert!(hung.is_trial());
    advance(2 * SECOND).await;
    assert_eq!(
        b.try_acquire().unwrap_err(),
        Error::circuit_open("t", Some(SECOND)),
        "the slot frees in 1 s"
    );
    advance(SECOND).await;
    // Its time is up: the breaker opens again, and this call waits for the new period.
    assert_eq!(
        b.try_acquire().unwrap_err(),
        Error::circuit_open("t", Some(SECOND))
    );
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.stats().trials_in_flight, 0);
    assert_eq!(b.stats().failed_recoveries, 1);
    advance(SECOND).await;
    let trial = b.try_acquire().unwrap();
    // The hung call's late outcome is ignored: it decides nothing, and frees no slot.
    hung.failure();
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.stats().trials_in_flight, 1);
    trial.success();
    assert_eq!(b.state(), State::Closed);
    let reasons: Vec<_> = seen.lock().unwrap().iter().map(|c| c.2).collect();
    assert_eq!(
        reasons,
        [
            Reason::ConsecutiveFailures { count: 1 },
            Reason::RecoveryTimeoutElapsed,
            Reason::TrialTimedOut { waited: 3 * SECOND },
            Reason::RecoveryTimeoutElapsed,
            Reason::TrialsSucceeded { successes: 1 },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn trials_wait_the_recovery_timeout_by_default_and_forever_when_told() {
    let config = BreakerConfig::new()
        .with_failure_threshold(1)
        .with_recovery_timeout(SECOND);
    assert_eq!(config.max_trial_wait(), SECOND);
    let forever = CircuitBreaker::new("t", config.with_max_trial_wait(Duration::ZERO));
    let _ = forever.call(fail);
    advance(SECOND).await;
    let _hung = forever.try_acquire().unwrap();
    advance(1000 * SECOND).await;
    assert_eq!(
        forever.try_acquire().unwrap_err(),
        Error::circuit_open("t", None),
        "no time limit: no hint"
    );
    assert_eq!(forever.state(), State::HalfOpen);
}

#[tokio::test(start_paused = true)]
async fn reset_takes_back_the_slot_of_a_hung_trial() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SECOND)
            .with_max_trial_wait(Duration::ZERO),
    );
    let _ = b.call(fail);
    advance(SECOND).await;
    let hung = b.try_acquire().unwrap();
    b.reset();
    assert_eq!(b.stats().trials_in_flight, 0);
    let _ = b.call(fail);
    advance(SECOND).await;
    let trial = b
        .try_acquire()
        .expect("the hung trial's slot was taken back");
    hung.success();
    assert_eq!(
        b.state(),
        State::HalfOpen,
        "the late outcome decides nothing"
    );
    trial.success();
    assert_eq!(b.state(), State::Closed);
}

fn adaptive(k: f64, window: Window) -> CircuitBreaker {
    CircuitBreaker::new("t", BreakerConfig::new().with_adaptive(k, window))
}

/// Makes `calls` calls with `outcome(i)` deciding each call's result; returns how many ran.
fn drive(b: &CircuitBreaker, calls: usize, outcome: impl Fn(usize) -> bool) -> usize {
    let mut ran = 0;
    for i in 0..calls {
        match b.try_acquire() {
            Ok(permit) => {
                ran += 1;
                if outcome(i) {
                    permit.success()
                } else {
                    permit.failure()
                }
            }
            Err(e) => assert!(e.is_circuit_open()),
        }
    }
    ran
}

#[test]
fn the_throttle_never_rejects_while_a_kth_of_the_calls_succeed() {
    for (k, successes_in_5) in [(2.0, 3), (2.0, 5), (1.25, 4), (5.0, 1)] {
        let b = adaptive(k, Window::Calls(100));
        let ran = drive(&b, 10_000, |i| i % 5 < successes_in_5);
        assert_eq!(ran, 10_000, "k = {k}, {successes_in_5} in 5 succeed");
        assert_eq!(b.stats().rejections, 0);
    }
}

#[test]
fn the_throttle_lets_a_trickle_through_a_dependency_that_is_down() {
    let b = adaptive(2.0, Window::Calls(100));
    // Nothing accepted: the probability is requests / (requests + 1).
    for n in 1..=5u64 {
        drive(&b, 1, |_| false);
        let adaptive = b.stats().adaptive.unwrap();
        assert_eq!((adaptive.requests, adaptive.accepts), (n, 0));
        assert_eq!(adaptive.rejection_probability, n as f64 / (n + 1) as f64);
    }
    // Once the window is full, one call in 101 goes through, closely: the draws are spread
    // evenly, not at random.
    drive(&b, 1_000, |_| false);
    let ran = drive(&b, 10_100, |_| false);
    assert!((95..=105).contains(&ran), "{ran} of 10,100 calls ran");
    let stats = b.stats();
    assert_eq!(
        stats.state,
        State::Closed,
        "throttling never opens the breaker"
    );
    assert_eq!(stats.calls + stats.rejections, 5 + 1_000 + 10_100);
    assert_eq!(stats.failures, stats.calls, "rejections are not failures");
    // A throttled call is told nothing of when to come back: it is a matter of chance.
    let rejected = (0..10).find_map(|_| b.try_acquire().err()).unwrap();
    assert_eq!(rejected, Error::circuit_open("t", None));
}

#[test]
fn the_throttle_lets_the_load_up_again_as_the_dependency_recovers() {
    let b = adaptive(2.0, Window::Calls(100));
    drive(&b, 2_000, |_| false);
    assert!(b.stats().adaptive.unwrap().rejection_probability > 0.98);
    // Back: the trickle's successes lower the probability until no call is rejected.
    let mut calls = 0;
    while b.stats().adaptive.unwrap().rejection_probability > 0.0 {
        drive(&b, 1, |_| true);
        calls += 1;
        assert!(calls < 2_000, "still throttling after {calls} calls");
    }
    assert_eq!(drive(&b, 1_000, |_| true), 1_000);
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_and_the_throttle_stops() {
    let b = adaptive(2.0, Window::Time(Duration::from_secs(10)));
    drive(&b, 20, |_| false);
    assert!(b.stats().adaptive.unwrap().rejection_probability > 0.9);
    advance(Duration::from_secs(11)).await;
    let adaptive = b.stats().adaptive.unwrap();
    assert_eq!(
        (adaptive.requests, adaptive.rejection_probability),
        (0, 0.0)
    );
    assert_eq!(drive(&b, 100, |_| true), 100);
}

#[test]
fn the_throttle_beside_other_policies() {
    // With a written failure threshold, consecutive failures still open the breaker; the
    // throttle's rejections are not failures and do not count toward it.
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_adaptive(2.0, Window::Calls(10))
            .with_failure_threshold(3),
    );
    assert!(b.config().consecutive_policy());
    drive(&b, 2, |_| false);
    assert!(b.try_acquire().is_err(), "2 of 2 failed: 2 in 3 rejected");
    assert_eq!(b.stats().consecutive_failures, 2);
    assert_eq!(b.state(), State::Closed);
    drive(&b, 20, |_| false);
    assert_eq!(b.state(), State::Open);
    // Closing starts the throttle afresh.
    b.reset();
    assert_eq!(b.stats().adaptive.unwrap().requests, 0);
    assert_eq!(drive(&b, 2, |_| true), 2);
}

#[test]
fn reconfiguring_the_throttle_away_stops_it() {
    let b = adaptive(2.0, Window::Calls(100));
    drive(&b, 200, |_| false);
    assert!(b.try_acquire().is_err() || b.try_acquire().is_err());
    b.reconfigure(BreakerConfig::new().with_failure_threshold(1_000));
    assert!(b.stats().adaptive.is_none());
    assert_eq!(drive(&b, 100, |_| false), 100);
}

#[tokio::test(start_paused = true)]
async fn beside_a_failure_rate_the_throttle_s_rejections_open_a_breaker_that_is_down() {
    let b = CircuitBreaker::new(
        "t",
        BreakerConfig::new()
            .with_adaptive(2.0, Window::Calls(100))
            .with_failure_rate(0.9, Window::Calls(100), 10)
            .with_recovery_timeout(Duration::from_millis(50)),
    );
    // Half of the calls succeed: neither the throttle nor the rate does anything.
    drive(&b, 1_000, |i| i % 2 == 0);
    assert_eq!(b.stats().rejections, 0);
    // Down: the throttle soon sheds nearly every call, and its rejections fill the rate's
    // window with calls that did not succeed, so the breaker opens within the window.
    let ran = drive(&b, 100, |_| false);
    assert_eq!(b.state(), State::Open);
    assert!(ran < 100, "{ran}");
    assert_eq!(b.stats().generation, 1, "opened once");
    // Back: the first trial closes it, and both windows start afresh.
    advance(Duration::from_millis(50)).await;
    assert_eq!(drive(&b, 100, |_| true), 100);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.stats().adaptive.unwrap().requests, 99);
}

/// Issue 13, point 5: a restored `open_until` a day ahead (or at the end of time) kept the
/// breaker open that long, beyond anything its configuration produces.
#[tokio::test(start_paused = true)]
async fn a_restored_open_period_is_no_longer_than_the_configuration_allows() {
    let config = BreakerConfig::new()
        .with_recovery_timeout(SECOND)
        .with_recovery_backoff(2.0, 30 * SECOND);
    let b = CircuitBreaker::new("t", config);
    let day = Duration::from_secs(86_400);
    assert_eq!(
        b.restore(State::Open, day, 3),
        Restored::Shortened {
            asked: day,
            allowed: 30 * SECOND
        }
    );
    assert_eq!(b.stats().until_half_open, Some(30 * SECOND));
    advance(30 * SECOND).await;
    assert!(b.try_acquire().unwrap().is_trial());

    for asked in [Duration::MAX, Duration::from_nanos(u64::MAX)] {
        let b = CircuitBreaker::new("t", config);
        assert!(matches!(
            b.restore(State::Open, asked, u32::MAX),
            Restored::Shortened { .. }
        ));
        advance(30 * SECOND).await;
        assert!(b.try_acquire().unwrap().is_trial(), "{asked:?}");
    }

    // Within the longest period, and the millisecond a snapshot rounds up: as saved.
    let b = CircuitBreaker::new("t", config);
    let saved = 30 * SECOND + Duration::from_micros(999);
    assert_eq!(b.restore(State::Open, saved, 0), Restored::AsSaved);
    assert_eq!(b.stats().until_half_open, Some(saved));
}

#[tokio::test(start_paused = true)]
async fn a_restored_open_period_is_judged_again_by_a_new_configuration() {
    // Created with the defaults (open 60 s at most), as the registry creates a breaker that
    // no call site has met yet, then configured by its call site (open up to 10 min).
    let b = CircuitBreaker::new("t", BreakerConfig::new());
    let saved = Duration::from_secs(240);
    assert!(matches!(
        b.restore(State::Open, saved, 1),
        Restored::Shortened { .. }
    ));
    let site = BreakerConfig::new()
        .with_recovery_timeout(Duration::from_secs(60))
        .with_recovery_backoff(2.0, Duration::from_secs(600));
    b.reconfigure(site);
    assert_eq!(b.restored(), Restored::AsSaved);
    assert_eq!(b.stats().until_half_open, Some(saved));
    advance(Duration::from_secs(239)).await;
    assert!(b.try_acquire().is_err(), "open for the restored period");
    // Shortened again by a configuration that cannot produce it.
    b.reconfigure(BreakerConfig::new().with_recovery_timeout(SECOND));
    assert!(matches!(b.restored(), Restored::Shortened { .. }));
    assert!(b.try_acquire().unwrap().is_trial());
    // Once the breaker moves on, the restored period is over: a new configuration keeps
    // the end of the period it is in.
    b.reconfigure(site);
    assert_eq!(b.restored(), Restored::AsSaved);
    assert_eq!(b.state(), State::HalfOpen);
}
