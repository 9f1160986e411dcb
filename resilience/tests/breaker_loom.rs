//! Model-checks the breaker's state machine with loom: every interleaving of a few threads
//! racing through acquisitions, outcomes and transitions keeps the invariants.
//!
//! The breaker's atomics and mutexes are loom's when the crate is built with `--cfg loom`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p resilience --release --test breaker_loom
//! ```
#![cfg(loom)]

use std::{sync::Arc, time::Duration};

use loom::thread;
use resilience::{BreakerConfig, CircuitBreaker, State};

fn config() -> BreakerConfig {
    BreakerConfig::new()
        .with_failure_threshold(2)
        .with_recovery_timeout(Duration::ZERO)
        .with_half_open_max_calls(1)
}

fn assert_counts_add_up(breaker: &CircuitBreaker) {
    let s = breaker.stats();
    assert_eq!(s.calls, s.successes + s.failures + s.uncounted);
    assert_eq!(s.trials_in_flight, 0);
}

/// Two failures racing each other open the breaker exactly once; a racing success may
/// reset the count first, never wedge it.
#[test]
fn racing_outcomes_in_the_closed_state() {
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            BreakerConfig::new().with_failure_threshold(2),
        ));
        let opened = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let o = Arc::clone(&opened);
        breaker.on_state_change(move |_| {
            o.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
        });
        let handles: Vec<_> = [false, false, true]
            .into_iter()
            .map(|success| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        if success {
                            permit.success()
                        } else {
                            permit.failure()
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = breaker.stats();
        assert_counts_add_up(&breaker);
        assert_eq!(s.calls + s.rejections, 3);
        let transitions = opened.load(loom::sync::atomic::Ordering::SeqCst);
        assert_eq!(transitions, usize::from(breaker.state() == State::Open));
        assert!(transitions <= 1);
        if s.state == State::Closed {
            assert!(s.consecutive_failures < 2);
        }
    });
}

/// Racing callers of an open breaker past its open period: exactly one trial at a time.
#[test]
fn one_trial_at_a_time() {
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new("loom", config()));
        for _ in 0..2 {
            breaker.try_acquire().unwrap().failure();
        }
        assert_eq!(breaker.state(), State::Open);
        let running = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (breaker, running) = (Arc::clone(&breaker), Arc::clone(&running));
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        // The other thread's trial may have closed the breaker already.
                        let trial = permit.is_trial();
                        if trial {
                            let n = running.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
                            assert_eq!(n, 0, "two trials at once");
                            running.fetch_sub(1, loom::sync::atomic::Ordering::SeqCst);
                        }
                        if i == 0 {
                            permit.success()
                        } else {
                            drop(permit)
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_counts_add_up(&breaker);
        assert!(matches!(breaker.state(), State::Closed | State::HalfOpen));
    });
}

/// An operator's reset racing a failing call: the breaker ends closed or open, never stuck,
/// and a fresh call then goes through or becomes a trial.
#[test]
fn reset_racing_a_trip() {
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            config().with_failure_threshold(1),
        ));
        let b = Arc::clone(&breaker);
        let caller = thread::spawn(move || {
            if let Ok(permit) = b.try_acquire() {
                permit.failure();
            }
        });
        breaker.reset();
        caller.join().unwrap();
        assert!(matches!(breaker.state(), State::Closed | State::Open));
        // Recovery timeout is zero: whatever happened, the next call is let through.
        breaker.try_acquire().unwrap().success();
        assert_eq!(breaker.state(), State::Closed);
    });
}

/// A closed-state call that fails after the breaker opened must not reopen it while a trial
/// call closes it.
#[test]
fn a_late_failure_does_not_steer_a_trial() {
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            config().with_failure_threshold(1),
        ));
        let late = breaker.try_acquire().unwrap();
        breaker.try_acquire().unwrap().failure();
        assert_eq!(breaker.state(), State::Open);
        let b = Arc::clone(&breaker);
        let trial = thread::spawn(move || {
            let permit = b.try_acquire().unwrap();
            assert!(permit.is_trial());
            permit.success();
        });
        late.failure();
        trial.join().unwrap();
        assert_eq!(breaker.state(), State::Closed);
        assert_eq!(breaker.stats().consecutive_failures, 0);
        assert_counts_add_up(&breaker);
    });
}

/// The throttle's flag, read without the lock on every closed-state acquisition, is set and
/// cleared with the lock held as outcomes change the window: whatever the interleaving, once
/// the window holds no reason to reject, every call goes through, and the counts add up.
#[test]
fn the_throttle_flag_follows_its_window() {
    use resilience::Window;
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            BreakerConfig::new().with_adaptive(2.0, Window::Calls(2)),
        ));
        // One failure in the window: half the calls are rejected from now on.
        breaker.try_acquire().unwrap().failure();
        assert_eq!(breaker.stats().adaptive.unwrap().rejection_probability, 0.5);
        let handles: Vec<_> = [false, true]
            .into_iter()
            .map(|success| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || match breaker.try_acquire() {
                    Ok(permit) if success => permit.success(),
                    Ok(permit) => permit.failure(),
                    Err(e) => assert!(e.is_circuit_open()),
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let stats = breaker.stats();
        assert_counts_add_up(&breaker);
        assert_eq!(stats.calls + stats.rejections, 3);
        assert_eq!(stats.state, State::Closed, "throttling never opens it");
        if stats.adaptive.unwrap().rejection_probability == 0.0 {
            breaker
                .try_acquire()
                .expect("no reason to reject")
                .success();
        }
        // Successes bring the probability back to zero, and the flag with it.
        for _ in 0..4 {
            if let Ok(permit) = breaker.try_acquire() {
                permit.success();
            }
        }
        assert_eq!(breaker.stats().adaptive.unwrap().rejection_probability, 0.0);
        breaker
            .try_acquire()
            .expect("the flag was cleared")
            .success();
    });
}

/// The failure rate's count window: successes are read from the stripes' count with no
/// lock, failures are placed in that count with the lock held. Racing outcomes keep the
/// counts exact, open the breaker at most once, and leave a window whose rate is a rate.
#[test]
fn a_count_window_under_racing_outcomes() {
    use resilience::Window;
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            BreakerConfig::new()
                .with_failure_rate(0.5, Window::Calls(2), 2)
                .with_recovery_timeout(Duration::from_secs(60)),
        ));
        let opened = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let o = Arc::clone(&opened);
        breaker.on_state_change(move |_| {
            o.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
        });
        let handles: Vec<_> = [false, true, false]
            .into_iter()
            .map(|success| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        if success {
                            permit.success()
                        } else {
                            permit.failure()
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = breaker.stats();
        assert_counts_add_up(&breaker);
        assert_eq!(s.calls + s.rejections, 3);
        let transitions = opened.load(loom::sync::atomic::Ordering::SeqCst);
        assert!(transitions <= 1);
        assert_eq!(transitions, usize::from(s.state == State::Open));
        if let Some(rate) = s.failure_rate {
            assert!((0.0..=1.0).contains(&rate));
        }
        // Two failures of the three calls: whatever the order, the second failure finds a
        // window of two calls with at least one failure, and opens it.
        if s.failures == 2 && s.successes == 1 {
            assert_eq!(s.state, State::Open);
        }
    });
}

/// The failure rate's time window: a success is added to its thread's own stripe with no
/// lock, and placed in time by that thread (behind the lock when its slice moves on); a
/// failure is recorded behind the lock, where it reads what every stripe holds. Whatever the
/// interleaving, the counts are exact, the rate is never overstated (it never opens at 0.9
/// on a window that is never worse than 0.5), and no success is lost: the rate at the end is
/// exactly 2 in 4, the second success of the first thread still pending on its stripe.
#[test]
fn a_time_window_under_racing_outcomes() {
    use resilience::Window;
    loom::model(|| {
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            BreakerConfig::new()
                .with_failure_rate(0.9, Window::Time(Duration::from_secs(60)), 4)
                .with_recovery_timeout(Duration::from_secs(60)),
        ));
        // The first two threads own a stripe each; the third shares one.
        let handles: Vec<_> = [&[true, true][..], &[false], &[false]]
            .into_iter()
            .map(|outcomes| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    for &success in outcomes {
                        let permit = breaker.try_acquire().expect("never opens");
                        if success {
                            permit.success()
                        } else {
                            permit.failure()
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = breaker.stats();
        assert_counts_add_up(&breaker);
        assert_eq!((s.successes, s.failures), (2, 2));
        assert_eq!(s.state, State::Closed);
        assert_eq!(s.failure_rate, Some(0.5));
    });
}

/// A restore is one step as callers see it: a call racing it is let through closed (before)
/// or rejected until the restored end (after), never told the configuration's own open
/// period nor let through as a trial while the restored one runs.
#[test]
fn a_restore_is_one_step_for_callers() {
    const RESTORED: Duration = Duration::from_secs(3600);
    loom::model(|| {
        // Its own open period is one second; a backoff lets it stay open for two hours.
        let breaker = Arc::new(CircuitBreaker::new(
            "loom",
            BreakerConfig::new()
                .with_recovery_timeout(Duration::from_secs(1))
                .with_recovery_backoff(2.0, Duration::from_secs(7200)),
        ));
        let b = Arc::clone(&breaker);
        let caller = thread::spawn(move || match b.try_acquire() {
            Ok(permit) => {
                assert_eq!(
                    permit.state(),
                    State::Closed,
                    "let through while restored open"
                );
                permit.success();
            }
            Err(resilience::Error::CircuitOpen { retry_in, .. }) => {
                let left = retry_in.expect("an open breaker says when");
                assert!(
                    left > RESTORED - Duration::from_secs(60),
                    "told {left:?}, the configuration's period, not the restored one"
                );
            }
            Err(other) => panic!("{other}"),
        });
        breaker.restore(State::Open, RESTORED, 0);
        caller.join().unwrap();
        assert_eq!(breaker.state(), State::Open);
        assert!(breaker.try_acquire().is_err());
        assert_counts_add_up(&breaker);
    });
}
