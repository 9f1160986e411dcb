//! Many threads and tokio tasks hammer one breaker with random outcomes, panics and dropped
//! futures; the breaker's invariants must hold throughout and its counts add up exactly.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, AtomicU64, Ordering::SeqCst},
    },
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::SmallRng};
use resilience::{BreakerConfig, CircuitBreaker, Error, Reason, State, StateChange, Window};

const MAX_TRIALS: u32 = 2;

/// What the callers saw, to compare with the breaker's own counts.
#[derive(Default)]
struct Tally {
    ran: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    uncounted: AtomicU64,
    rejections: AtomicU64,
    trials_running: AtomicU32,
    max_trials_running: AtomicU32,
    /// Whether trials can run past their time (then more may run at once than the limit:
    /// the late ones no longer hold a slot).
    trials_expire: std::sync::atomic::AtomicBool,
}

fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"injected") {
                default(info);
            }
        }));
    });
}

enum Draw {
    Ok,
    Fail,
    Ignored,
    Panic,
    Drop,
}

fn draw(rng: &mut SmallRng) -> Draw {
    match rng.random_range(0..100) {
        0..60 => Draw::Ok,
        60..85 => Draw::Fail,
        85..92 => Draw::Ignored,
        92..96 => Draw::Panic,
        _ => Draw::Drop,
    }
}

fn counts(e: &&str) -> bool {
    *e != "ignored"
}

/// One call through the permit API, keeping the tally.
fn thread_call(breaker: &CircuitBreaker, tally: &Tally, rng: &mut SmallRng) {
    let permit = match breaker.try_acquire() {
        Ok(permit) => permit,
        Err(e) => {
            assert!(e.is_circuit_open());
            tally.rejections.fetch_add(1, SeqCst);
            return;
        }
    };
    tally.ran.fetch_add(1, SeqCst);
    let trial = permit.is_trial();
    if trial {
        let running = tally.trials_running.fetch_add(1, SeqCst) + 1;
        tally.max_trials_running.fetch_max(running, SeqCst);
        assert!(
            running <= MAX_TRIALS || tally.trials_expire.load(SeqCst),
            "{running} trials at once"
        );
    }
    let outcome = draw(rng);
    if rng.random_bool(0.05) {
        std::thread::yield_now();
    }
    if trial {
        tally.trials_running.fetch_sub(1, SeqCst);
    }
    match outcome {
        Draw::Ok => {
            tally.successes.fetch_add(1, SeqCst);
            permit.record(&Ok::<(), &str>(()), counts);
        }
        Draw::Fail => {
            tally.failures.fetch_add(1, SeqCst);
            permit.record(&Err::<(), _>("down"), counts);
        }
        Draw::Ignored => {
            tally.uncounted.fetch_add(1, SeqCst);
            permit.record(&Err::<(), _>("ignored"), counts);
        }
        Draw::Panic => {
            tally.failures.fetch_add(1, SeqCst);
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                let _held = permit;
                panic!("injected");
            }));
            assert!(caught.is_err());
        }
        Draw::Drop => {
            tally.uncounted.fetch_add(1, SeqCst);
            drop(permit);
        }
    }
}

/// One call through `call_async`, in a task.
async fn task_call(breaker: &CircuitBreaker, tally: &Tally, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let outcome = draw(&mut rng);
    let body = async {
        tally.ran.fetch_add(1, SeqCst);
        tokio::task::yield_now().await;
        match outcome {
            Draw::Ok => Ok(()),
            Draw::Fail => Err(E::Down),
            Draw::Ignored => Err(E::Ignored),
            Draw::Panic => panic!("injected"),
            Draw::Drop => std::future::pending().await,
        }
    };
    let guarded = breaker.when(|e: &E| *e != E::Ignored);
    let call = guarded.call_async(body);
    // `Draw::Drop` never finishes: it is dropped after its first poll, as by a timeout.
    let result = if matches!(outcome, Draw::Drop) {
        tokio::select! {
            biased;
            result = call => Some(result),
            () = std::future::ready(()) => None,
        }
    } else {
        Some(call.await)
    };
    match (result, outcome) {
        (Some(Err(E::Open)), _) => {
            tally.rejections.fetch_add(1, SeqCst);
        }
        (Some(Ok(())), Draw::Ok) => {
            tally.successes.fetch_add(1, SeqCst);
        }
        (Some(Err(E::Down)), Draw::Fail) => {
            tally.failures.fetch_add(1, SeqCst);
        }
        (Some(Err(E::Ignored)), Draw::Ignored) => {
            tally.uncounted.fetch_add(1, SeqCst);
        }
        (None, Draw::Drop) => {
            tally.uncounted.fetch_add(1, SeqCst);
        }
        (other, _) => panic!("unexpected {other:?}"),
    }
}

#[derive(Debug, PartialEq)]
enum E {
    Open,
    Down,
    Ignored,
}

impl From<Error> for E {
    fn from(e: Error) -> Self {
        assert!(e.is_circuit_open());
        E::Open
    }
}

fn check_transitions(mut changes: Vec<StateChange>) {
    assert!(!changes.is_empty(), "the breaker never moved");
    changes.sort_by_key(|c| c.generation);
    let mut state = State::Closed;
    for (i, change) in changes.iter().enumerate() {
        assert_eq!(change.generation, i as u64 + 1, "no transition missing");
        assert_eq!(change.from, state, "chained transitions");
        let legal = matches!(
            (change.from, change.to),
            (State::Closed, State::Open)
                | (State::Open, State::HalfOpen)
                | (State::HalfOpen, State::Open)
                | (State::HalfOpen, State::Closed)
        );
        if let Reason::TrialTimedOut { .. } = change.reason {
            assert_eq!((change.from, change.to), (State::HalfOpen, State::Open));
        }
        assert!(legal, "illegal transition {change}");
        state = change.to;
    }
}

fn hammer(config: BreakerConfig) -> Vec<StateChange> {
    let breaker = Arc::new(CircuitBreaker::new("stress", config));
    let changes = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&changes);
    breaker.on_state_change(move |c| log.lock().unwrap().push(c.clone()));
    let tally = Arc::new(Tally::default());
    tally
        .trials_expire
        .store(!config.max_trial_wait().is_zero(), SeqCst);

    // Threads on the permit API...
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (breaker, tally) = (Arc::clone(&breaker), Arc::clone(&tally));
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(t);
                for _ in 0..50_000 {
                    thread_call(&breaker, &tally, &mut rng);
                }
            })
        })
        .collect();

    // ...while tasks on a multi-threaded runtime use `call_async`.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..64u64)
            .map(|t| {
                let (breaker, tally) = (Arc::clone(&breaker), Arc::clone(&tally));
                tokio::spawn(async move {
                    for i in 0..100 {
                        task_call(&breaker, &tally, t * 1000 + i).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            // Injected panics end a task; its permit counted as a failure.
            if let Err(e) = task.await {
                assert!(e.is_panic());
                tally.failures.fetch_add(1, SeqCst);
            }
        }
    });
    for thread in threads {
        thread.join().unwrap();
    }

    let stats = breaker.stats();
    assert_eq!(
        stats.calls,
        tally.ran.load(SeqCst),
        "every call let through ran"
    );
    assert_eq!(
        stats.calls,
        stats.successes + stats.failures + stats.uncounted
    );
    assert_eq!(stats.successes, tally.successes.load(SeqCst));
    assert_eq!(stats.failures, tally.failures.load(SeqCst));
    assert_eq!(stats.uncounted, tally.uncounted.load(SeqCst));
    assert_eq!(stats.rejections, tally.rejections.load(SeqCst));
    assert_eq!(stats.trials_in_flight, 0, "no trial slot leaked");
    assert!(
        tally.max_trials_running.load(SeqCst) <= MAX_TRIALS || !config.max_trial_wait().is_zero()
    );
    check_transitions(changes.lock().unwrap().clone());

    // Once quiet, the breaker still recovers: no slot leaked, nothing wedged.
    std::thread::sleep(config.open_duration(stats.failed_recoveries));
    for _ in 0..config.success_threshold() {
        breaker.try_acquire().unwrap().success();
    }
    assert_eq!(breaker.state(), State::Closed);
    changes.lock().unwrap().clone()
}

#[test]
fn consecutive_policy_under_contention() {
    quiet_injected_panics();
    hammer(
        BreakerConfig::new()
            .with_failure_threshold(3)
            .with_recovery_timeout(Duration::from_micros(200))
            .with_half_open_max_calls(MAX_TRIALS)
            .with_success_threshold(2)
            .with_max_trial_wait(Duration::ZERO),
    );
}

/// Trials whose time is up give their slots back while they still run, and their late
/// outcomes are ignored: the counts stay exact and no slot leaks.
#[test]
fn trials_timed_out_under_contention() {
    quiet_injected_panics();
    let changes = hammer(
        BreakerConfig::new()
            .with_failure_threshold(3)
            .with_recovery_timeout(Duration::from_micros(200))
            .with_max_trial_wait(Duration::from_micros(20))
            .with_half_open_max_calls(MAX_TRIALS)
            .with_success_threshold(2),
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c.reason, Reason::TrialTimedOut { .. })),
        "some trial ran past its time"
    );
}

#[test]
fn failure_rate_policy_under_contention() {
    quiet_injected_panics();
    hammer(
        BreakerConfig::new()
            .with_failure_rate(0.4, Window::Calls(20), 10)
            .with_failure_threshold(6)
            .with_recovery_timeout(Duration::from_micros(200))
            .with_recovery_backoff(1.5, Duration::from_millis(2))
            .with_half_open_max_calls(MAX_TRIALS)
            .with_success_threshold(2)
            .with_max_trial_wait(Duration::ZERO),
    );
}

#[test]
fn time_window_and_slow_calls_under_contention() {
    quiet_injected_panics();
    hammer(
        BreakerConfig::new()
            .with_failure_rate(0.25, Window::Time(Duration::from_millis(5)), 10)
            .with_slow_call(Duration::from_secs(3600))
            .with_recovery_timeout(Duration::from_micros(200))
            .with_half_open_max_calls(MAX_TRIALS)
            .with_success_threshold(2)
            .with_max_trial_wait(Duration::ZERO),
    );
}

#[test]
fn time_window_placed_by_the_stripes_under_contention() {
    quiet_injected_panics();
    hammer(
        BreakerConfig::new()
            .with_failure_rate(0.25, Window::Time(Duration::from_millis(5)), 10)
            .with_recovery_timeout(Duration::from_micros(200))
            .with_half_open_max_calls(MAX_TRIALS)
            .with_success_threshold(2)
            .with_max_trial_wait(Duration::ZERO),
    );
}
