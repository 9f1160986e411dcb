//! Properties of the backoff engine over thousands of random policies, including extreme
//! values: delays never exceed the cap, the attempt bound always holds, and `max_elapsed` is
//! never overrun by a sleep. Inputs come from a seeded generator, so a failure reproduces;
//! the seed and the case are printed with it.

use std::{sync::Mutex, time::Duration};

use rand::{Rng, SeedableRng, rngs::SmallRng};
use resilience::{Backoff, Jitter, RetryPolicy};

const CASES: u64 = 2_000;

fn duration(rng: &mut SmallRng) -> Duration {
    match rng.random_range(0..10) {
        0 => Duration::ZERO,
        1 => Duration::MAX,
        2 => Duration::from_nanos(rng.random_range(0..1_000)),
        3 => Duration::from_secs(rng.random_range(0..u64::MAX / 2)),
        _ => Duration::from_millis(rng.random_range(0..100_000)),
    }
}

fn policy(rng: &mut SmallRng) -> RetryPolicy {
    let backoff = match rng.random_range(0..6) {
        0 => Backoff::Constant,
        1 => Backoff::Linear,
        2 => Backoff::Fibonacci,
        3 => Backoff::Exponential {
            multiplier: [f64::MAX, f64::INFINITY, f64::NAN, -1.0, 0.5][rng.random_range(0..5)],
        },
        _ => Backoff::Exponential {
            multiplier: rng.random_range(1.0..10.0),
        },
    };
    let jitter = match rng.random_range(0..6) {
        0 => Jitter::None,
        1 => Jitter::Full,
        2 => Jitter::Equal,
        3 => Jitter::Decorrelated,
        4 => Jitter::Proportional(rng.random_range(-1.0..2.0)),
        _ => Jitter::Proportional(f64::NAN),
    };
    let attempts = match rng.random_range(0..4) {
        0 => rng.random_range(0..3),
        1 => u32::MAX,
        _ => rng.random_range(1..40),
    };
    RetryPolicy::new()
        .with_max_attempts(attempts)
        .with_backoff(backoff)
        .with_jitter(jitter)
        .with_initial_delay(duration(rng))
        .with_max_delay(duration(rng))
        .with_seed(rng.random())
}

#[test]
fn delays_never_exceed_the_cap_and_never_panic() {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    for case in 0..CASES {
        let policy = policy(&mut rng);
        for (retry, delay) in policy.delays().take(64).enumerate() {
            assert!(
                delay <= policy.max_delay(),
                "case {case}, retry {}: {delay:?} > cap in {policy:?}",
                retry + 1
            );
        }
        for retry in [1, 2, 63, 64, 1_000, u32::MAX] {
            assert!(
                policy.base_delay(retry) <= policy.max_delay(),
                "case {case}: {policy:?}"
            );
        }
    }
}

#[test]
fn the_body_runs_at_most_max_attempts_times() {
    let mut rng = SmallRng::seed_from_u64(0xa77e);
    for case in 0..CASES {
        let policy = policy(&mut rng)
            .with_max_attempts(rng.random_range(0..12))
            .with_initial_delay(Duration::ZERO)
            .with_max_delay(Duration::ZERO);
        let mut calls = 0u32;
        // Without a budget: the property is the schedule's, not the budget's.
        let result: Result<(), u32> = policy.retrying().without_budget().call(|| {
            calls += 1;
            Err(calls)
        });
        let expected = policy.max_attempts();
        assert_eq!(calls, expected, "case {case}: {policy:?}");
        assert_eq!(result, Err(expected), "the last error, unchanged");
    }
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_is_never_overrun_by_a_sleep() {
    let mut rng = SmallRng::seed_from_u64(0xb0d9e7);
    for case in 0..CASES / 4 {
        let budget = Duration::from_millis(rng.random_range(1..5_000));
        let policy = policy(&mut rng)
            .with_max_attempts(rng.random_range(1..50))
            .with_initial_delay(Duration::from_millis(rng.random_range(0..500)))
            .with_max_delay(Duration::from_millis(rng.random_range(0..2_000)))
            .with_max_elapsed(budget);
        let attempt_time = Duration::from_millis(rng.random_range(0..300));
        let starts = Mutex::new(Vec::new());
        let origin = tokio::time::Instant::now();
        let _: Result<(), ()> = policy
            .call_async(|| async {
                starts.lock().unwrap().push(origin.elapsed());
                tokio::time::sleep(attempt_time).await;
                Err(())
            })
            .await;
        let starts = starts.into_inner().unwrap();
        assert!(starts.len() as u32 <= policy.max_attempts());
        for start in &starts[1..] {
            assert!(
                *start < budget,
                "case {case}: an attempt started at {start:?}, past the {budget:?} budget ({policy:?})"
            );
        }
    }
}
