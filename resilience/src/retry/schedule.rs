//! The delay before each retry: a [`Schedule`] per call computes them from its policy, and
//! holds what it must remember between delays (the previous delay, for decorrelated jitter,
//! and a random number generator, created only when the first delay is needed so that a
//! call that succeeds at once never pays for it).
//!
//! All arithmetic saturates: a huge multiplier, a huge attempt number or `Duration::MAX`
//! yields the cap, never a panic or an overflow.

use std::time::Duration;

use rand::{Rng, SeedableRng, rngs::SmallRng};

use super::policy::{Jitter, RetryPolicy};

/// The per-call state of a schedule: the previous delay and the random number generator.
#[derive(Debug)]
pub(super) struct Schedule<'p> {
    policy: &'p RetryPolicy,
    previous: Duration,
    rng: Option<SmallRng>,
}

impl<'p> Schedule<'p> {
    pub(super) const fn new(policy: &'p RetryPolicy) -> Self {
        Schedule {
            policy,
            previous: Duration::ZERO,
            rng: None,
        }
    }

    /// The jittered, capped delay before retry `retry` (1-based).
    pub(super) fn delay(&mut self, retry: u32) -> Duration {
        let policy = self.policy;
        let base = policy.base_delay(retry);
        let cap = policy.max_delay;
        let delay = match policy.jitter {
            Jitter::None => base,
            Jitter::Full => self.uniform(Duration::ZERO, base),
            Jitter::Equal => {
                let half = base / 2;
                half + self.uniform(Duration::ZERO, base - half)
            }
            Jitter::Decorrelated => {
                let low = policy.initial_delay.min(cap);
                let previous = if self.previous.is_zero() {
                    low
                } else {
                    self.previous
                };
                let high = previous.saturating_mul(3).min(cap).max(low);
                self.uniform(low, high)
            }
            Jitter::Proportional(fraction) => {
                let fraction = if fraction.is_nan() {
                    0.0
                } else {
                    fraction.clamp(0.0, 1.0)
                };
                let spread = scale(base, fraction);
                let low = base.saturating_sub(spread);
                let high = base.saturating_add(spread);
                self.uniform(low, high)
            }
        }
        .min(cap);
        self.previous = delay;
        delay
    }

    /// A uniform duration in `[low, high]`, in whole nanoseconds.
    fn uniform(&mut self, low: Duration, high: Duration) -> Duration {
        if high <= low {
            return low;
        }
        let seed = self.policy.seed;
        let rng = self.rng.get_or_insert_with(|| match seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_rng(&mut rand::rng()),
        });
        let span = high - low;
        // `as_nanos` is u128; durations beyond u64 nanoseconds (584 years) are drawn in whole
        // microseconds instead, which keeps the draw exact for every sane delay.
        match u64::try_from(span.as_nanos()) {
            Ok(nanos) => low + Duration::from_nanos(rng.random_range(0..=nanos)),
            Err(_) => {
                let micros = u64::try_from(span.as_micros()).unwrap_or(u64::MAX);
                low.saturating_add(Duration::from_micros(rng.random_range(0..=micros)))
            }
        }
    }
}

/// `base^exp` for a growth factor, saturating at infinity; below 1 or NaN counts as 1.
pub(super) fn powi_saturating(base: f64, exp: u32) -> f64 {
    if base.is_nan() || base <= 1.0 {
        return 1.0;
    }
    base.powi(i32::try_from(exp).unwrap_or(i32::MAX))
}

/// `d * factor`, saturating at `Duration::MAX`; a non-finite or negative factor is handled
/// without panicking (infinity saturates, negative or NaN gives zero).
pub(super) fn scale(d: Duration, factor: f64) -> Duration {
    if factor.is_nan() || factor <= 0.0 {
        return Duration::ZERO;
    }
    if factor == 1.0 {
        return d;
    }
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// The `n`-th Fibonacci number (F(1) = F(2) = 1), saturating at `u32::MAX`.
pub(super) fn fibonacci(n: u32) -> u32 {
    let (mut a, mut b) = (0u32, 1u32);
    for _ in 1..n {
        let next = a.saturating_add(b);
        a = b;
        b = next;
        if b == u32::MAX {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backoff;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn exact(policy: RetryPolicy) -> RetryPolicy {
        policy.with_jitter(Jitter::None)
    }

    #[test]
    fn constant_linear_exponential_fibonacci_schedules() {
        let p = exact(RetryPolicy::new().with_max_attempts(6));
        let base: Vec<_> = p.with_backoff(Backoff::Constant).delays().collect();
        assert_eq!(base, [100, 100, 100, 100, 100].map(MS));
        let base: Vec<_> = p.with_backoff(Backoff::Linear).delays().collect();
        assert_eq!(base, [100, 200, 300, 400, 500].map(MS));
        let base: Vec<_> = p.delays().collect();
        assert_eq!(base, [100, 200, 400, 800, 1600].map(MS));
        let base: Vec<_> = p.with_backoff(Backoff::Fibonacci).delays().collect();
        assert_eq!(base, [100, 100, 200, 300, 500].map(MS));
    }

    #[test]
    fn fractional_multiplier_is_exact_to_the_microsecond() {
        let p = exact(RetryPolicy::new().with_multiplier(1.5));
        assert_eq!(p.base_delay(4), Duration::from_micros(337_500));
        assert_eq!(p.base_delay(5), Duration::from_micros(506_250));
    }

    #[test]
    fn every_strategy_is_capped() {
        for backoff in [
            Backoff::Constant,
            Backoff::Linear,
            Backoff::Exponential { multiplier: 3.0 },
            Backoff::Fibonacci,
        ] {
            let p = exact(RetryPolicy::new())
                .with_backoff(backoff)
                .with_initial_delay(MS(700))
                .with_max_delay(MS(1000));
            for retry in [1, 2, 3, 10, 100, u32::MAX] {
                assert!(p.base_delay(retry) <= MS(1000), "{backoff:?} retry {retry}");
            }
            assert_eq!(
                p.base_delay(50),
                MS(if backoff == Backoff::Constant {
                    700
                } else {
                    1000
                })
            );
        }
    }

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let huge = RetryPolicy::new()
            .with_initial_delay(Duration::MAX)
            .with_max_delay(Duration::MAX);
        for backoff in [
            Backoff::Constant,
            Backoff::Linear,
            Backoff::Exponential {
                multiplier: f64::MAX,
            },
            Backoff::Exponential {
                multiplier: f64::INFINITY,
            },
            Backoff::Exponential {
                multiplier: f64::NAN,
            },
            Backoff::Exponential { multiplier: -3.0 },
            Backoff::Fibonacci,
        ] {
            for jitter in [
                Jitter::None,
                Jitter::Full,
                Jitter::Equal,
                Jitter::Decorrelated,
                Jitter::Proportional(1.0),
                Jitter::Proportional(f64::NAN),
            ] {
                let p = huge.with_backoff(backoff).with_jitter(jitter);
                let mut s = Schedule::new(&p);
                for retry in [1, 2, 64, u32::MAX] {
                    let _ = s.delay(retry);
                }
            }
        }
        assert_eq!(fibonacci(u32::MAX), u32::MAX);
        assert_eq!(fibonacci(1), 1);
        assert_eq!(fibonacci(2), 1);
        assert_eq!(fibonacci(10), 55);
    }

    #[test]
    fn multiplier_below_one_is_constant() {
        let p = exact(RetryPolicy::new().with_multiplier(0.5));
        assert_eq!(p.base_delay(5), MS(100));
    }

    #[test]
    fn zero_attempts_means_one() {
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
        assert_eq!(RetryPolicy::new().with_max_attempts(1).delays().count(), 0);
    }

    fn sample(p: RetryPolicy, retries: u32) -> Vec<Duration> {
        let mut all = Vec::new();
        for seed in 0..200 {
            let p = p.with_seed(seed);
            let mut s = Schedule::new(&p);
            for retry in 1..=retries {
                all.push((retry, s.delay(retry)));
            }
        }
        all.into_iter().map(|(_, d)| d).collect()
    }

    #[test]
    fn full_jitter_stays_in_zero_to_base() {
        let p = RetryPolicy::new()
            .with_jitter(Jitter::Full)
            .with_max_attempts(8);
        for seed in 0..200 {
            let p = p.with_seed(seed);
            let mut s = Schedule::new(&p);
            for retry in 1..8 {
                assert!(s.delay(retry) <= p.base_delay(retry));
            }
        }
        // It actually spreads: not all delays equal the base.
        let d = sample(p, 1);
        assert!(d.iter().any(|&d| d < MS(50)) && d.iter().any(|&d| d > MS(50)));
    }

    #[test]
    fn equal_jitter_stays_in_half_to_base() {
        let p = RetryPolicy::new().with_jitter(Jitter::Equal);
        for seed in 0..200 {
            let p = p.with_seed(seed);
            let mut s = Schedule::new(&p);
            for retry in 1..10 {
                let d = s.delay(retry);
                let base = p.base_delay(retry);
                assert!(d >= base / 2 && d <= base, "{d:?} vs {base:?}");
            }
        }
    }

    #[test]
    fn decorrelated_jitter_stays_between_initial_and_three_times_previous() {
        let p = RetryPolicy::new()
            .with_jitter(Jitter::Decorrelated)
            .with_max_delay(Duration::from_secs(5));
        for seed in 0..200 {
            let p = p.with_seed(seed);
            let mut s = Schedule::new(&p);
            let mut previous = p.initial_delay;
            for retry in 1..20 {
                let d = s.delay(retry);
                assert!(d >= p.initial_delay, "{d:?}");
                assert!(
                    d <= (previous * 3).min(p.max_delay),
                    "{d:?} after {previous:?}"
                );
                previous = d;
            }
        }
    }

    #[test]
    fn proportional_jitter_stays_within_the_fraction() {
        let p = RetryPolicy::new().with_jitter(Jitter::Proportional(0.1));
        for seed in 0..200 {
            let p = p.with_seed(seed);
            let mut s = Schedule::new(&p);
            for retry in 1..8 {
                let d = s.delay(retry);
                let base = p.base_delay(retry);
                assert!(d >= base.mul_f64(0.9) && d <= base.mul_f64(1.1).min(p.max_delay));
            }
        }
    }

    #[test]
    fn jitter_never_exceeds_the_cap() {
        for jitter in [
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
            Jitter::Proportional(1.0),
        ] {
            let p = RetryPolicy::new()
                .with_jitter(jitter)
                .with_max_delay(MS(250))
                .with_max_attempts(30);
            for seed in 0..50 {
                assert!(
                    p.with_seed(seed).delays().all(|d| d <= MS(250)),
                    "{jitter:?}"
                );
            }
        }
    }

    #[test]
    fn seeded_schedules_repeat_and_seeds_differ() {
        let p = RetryPolicy::new().with_max_attempts(10).with_seed(1);
        let a: Vec<_> = p.delays().collect();
        let b: Vec<_> = p.delays().collect();
        let c: Vec<_> = p.with_seed(2).delays().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
