//! When to retry, as plain data: [`RetryPolicy`] (attempts, delays, a time budget), its
//! presets, and the shapes of its delays ([`Backoff`], [`Jitter`]). A policy is buildable in
//! a `const`, so one policy can be shared by every call site.
//!
//! Its front doors, [`RetryPolicy::call`], [`RetryPolicy::call_async`] and
//! [`RetryPolicy::retrying`], are in `engine.rs`, beside the engine they start.

use std::time::Duration;

use super::schedule::{Schedule, fibonacci, powi_saturating, scale};

/// How the delay grows from one retry to the next, before the cap and jitter.
///
/// With `d` the initial delay and `n` the retry number (1 for the wait before the second
/// attempt):
///
/// | strategy | delay before retry `n` |
/// |---|---|
/// | `Constant` | `d` |
/// | `Linear` | `d * n` |
/// | `Exponential { multiplier: m }` | `d * m^(n-1)` |
/// | `Fibonacci` | `d * F(n)`, with F = 1, 1, 2, 3, 5, 8, ... |
///
/// ```
/// use std::time::Duration;
/// use resilience::{Backoff, Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .with_max_attempts(4)
///     .with_backoff(Backoff::Linear)
///     .with_initial_delay(Duration::from_millis(100))
///     .with_jitter(Jitter::None);
/// let delays: Vec<_> = policy.delays().take(3).collect();
/// assert_eq!(delays, [100, 200, 300].map(Duration::from_millis));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Backoff {
    /// The same delay every time.
    Constant,
    /// The initial delay times the retry number.
    Linear,
    /// The initial delay times `multiplier` to the power of the retry number minus one.
    /// A multiplier below 1 (or NaN) is taken as 1.
    Exponential {
        /// Growth factor per retry; the attribute's default is 2.0.
        multiplier: f64,
    },
    /// The initial delay times the Fibonacci numbers: gentler growth than doubling.
    Fibonacci,
}

/// How each delay is randomised, so that many clients failing together do not retry together.
///
/// With `d` the delay the [`Backoff`] strategy gives (already capped):
///
/// | jitter | actual delay |
/// |---|---|
/// | `None` | `d` |
/// | `Full` | uniform in `[0, d]` |
/// | `Equal` | `d/2` + uniform in `[0, d/2]` |
/// | `Decorrelated` | `min(cap, uniform(initial, previous * 3))`, AWS's variant, which ignores the strategy |
/// | `Proportional(f)` | `d` ± up to `f * d`, uniform; `f` is clamped to `[0, 1]` |
///
/// ```
/// use std::time::Duration;
/// use resilience::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new().with_jitter(Jitter::Equal).with_seed(7);
/// for delay in policy.delays().take(5) {
///     // The first retry waits between 50 ms and 100 ms, the next between 100 ms and 200 ms...
///     assert!(delay >= Duration::from_millis(50));
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomisation: the schedule is exact.
    None,
    /// Uniform in `[0, d]`. The best spread, and the attribute's default.
    Full,
    /// Half the delay fixed, the other half random: never retries immediately.
    Equal,
    /// Each delay random between the initial delay and three times the previous one.
    Decorrelated,
    /// `d` plus or minus a fraction of `d`; `Proportional(0.1)` is ±10%.
    Proportional(f64),
}

/// When to retry: how many attempts, how long to wait between them, and for how long in all.
///
/// A policy is plain data and every builder is a `const fn`, so a policy can be a `const`
/// shared by many functions, `#[retry(policy = PATH)]` included:
///
/// ```
/// use std::time::Duration;
/// use resilience::{Jitter, RetryPolicy};
///
/// const DATABASE: RetryPolicy = RetryPolicy::new()
///     .with_max_attempts(5)
///     .with_initial_delay(Duration::from_millis(50))
///     .with_max_delay(Duration::from_secs(2))
///     .with_max_elapsed(Duration::from_secs(10));
///
/// let mut calls = 0;
/// let result: Result<u32, &str> = DATABASE
///     .with_initial_delay(Duration::ZERO) // keep the example fast
///     .call(|| {
///         calls += 1;
///         if calls < 3 { Err("busy") } else { Ok(calls) }
///     });
/// assert_eq!(result, Ok(3));
/// ```
///
/// # Default
///
/// The defaults are the `#[retry]` attribute's: 3 attempts (2 retries), exponential backoff
/// from 100 ms with multiplier 2, each delay capped at 30 s (a `Retry-After` hint's too), full
/// jitter, no time budget. The [porting guide](crate::porting) sets them
/// beside backon's, tokio-retry's and reqwest-retry's.
///
/// # Counting
///
/// A policy counts *attempts*, the first included: `with_max_attempts(3)` is one call and two
/// retries. Crates that count retries port with [`with_max_retries`](Self::with_max_retries)
/// (`with_max_retries(2)` is the same policy). [`forever`](Self::forever) sets no limit; the
/// retry budget, [`max_elapsed`](Self::with_max_elapsed) and an enclosing deadline still end
/// the call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// [`UNLIMITED_ATTEMPTS`] for no limit.
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) initial_delay: Duration,
    /// `Duration::MAX` for no cap.
    pub(crate) max_delay: Duration,
    pub(crate) jitter: Jitter,
    pub(crate) max_elapsed: Option<Duration>,
    /// `Duration::MAX` for no cap.
    pub(crate) max_retry_after: Duration,
    pub(crate) seed: Option<u64>,
}

/// The attempt count that stands for no limit: [`RetryPolicy::forever`].
const UNLIMITED_ATTEMPTS: u32 = resilience_settings::retry::UNLIMITED_ATTEMPTS;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// The attribute's defaults; see [`RetryPolicy`]'s `# Default` section.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new();
    /// assert_eq!(policy.max_attempts(), 3);
    /// ```
    pub const fn new() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::Exponential {
                multiplier: resilience_settings::retry::DEFAULT_MULTIPLIER,
            },
            initial_delay: Duration::from_millis(100),
            // The settings' rules compare `initial_delay` with it.
            max_delay: resilience_settings::retry::DEFAULT_MAX_DELAY,
            jitter: Jitter::Full,
            max_elapsed: None,
            max_retry_after: resilience_settings::retry::DEFAULT_MAX_RETRY_AFTER,
            seed: None,
        }
    }

    /// A policy that never stops for want of attempts: the attribute's other defaults, with
    /// no limit on the attempts (`#[retry(max_attempts = unlimited)]`). What ends the call
    /// then is a success, an error the predicate does not retry, the retry budget (on by
    /// default: a dependency that keeps failing gets at most about 1.2 times its load),
    /// [`max_elapsed`](Self::with_max_elapsed), or an enclosing deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    ///
    /// let policy = RetryPolicy::forever().with_max_elapsed(Duration::from_secs(30));
    /// assert!(policy.is_unlimited());
    /// assert_eq!(policy.max_retries(), None);
    /// ```
    pub const fn forever() -> Self {
        Self::new().with_unlimited_attempts()
    }

    /// No limit on the attempts; see [`forever`](Self::forever).
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::CONSERVATIVE.with_unlimited_attempts();
    /// assert!(policy.is_unlimited());
    /// ```
    pub const fn with_unlimited_attempts(mut self) -> Self {
        self.max_attempts = UNLIMITED_ATTEMPTS;
        self
    }

    /// The attempts after the first: `with_max_retries(n)` is `with_max_attempts(n + 1)`, as
    /// backon's `max_times`, tokio-retry's `.take(n)` and reqwest-retry's
    /// `build_with_max_retries(n)` count. `0` makes one attempt; a count too large to add one
    /// to is no limit.
    ///
    /// ```
    /// use resilience::RetryPolicy;
    /// assert_eq!(RetryPolicy::new().with_max_retries(2), RetryPolicy::new().with_max_attempts(3));
    /// assert_eq!(RetryPolicy::new().with_max_retries(0).max_attempts(), 1);
    /// ```
    pub const fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_attempts = max_retries.saturating_add(1);
        self
    }

    /// No cap on the delays: each one grows as the backoff says (`#[retry(max_delay = none)]`,
    /// tokio-retry's default). Arithmetic still saturates rather than overflows; bound the
    /// whole call with [`with_max_elapsed`](Self::with_max_elapsed).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Jitter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new().without_max_delay().with_jitter(Jitter::None);
    /// assert_eq!(policy.max_delay(), Duration::MAX);
    /// assert_eq!(policy.base_delay(12), Duration::from_millis(100 * 2048)); // past 30 s
    /// ```
    pub const fn without_max_delay(mut self) -> Self {
        self.max_delay = Duration::MAX;
        self
    }

    /// A cap on the delay an error's or a value's `Retry-After` hint is honoured for, below
    /// [`max_delay`](Self::with_max_delay), which caps every delay, a hint's included: a hint
    /// asking for more than either is cut (and, with the `tracing` feature, a
    /// `resilience.retry_after_cut` event says so). None unless set: a hint is then capped at
    /// `max_delay` alone. To honour longer hints, raise `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = resilience::RetryPolicy::new().with_max_retry_after(Duration::from_secs(300));
    /// assert_eq!(policy.max_retry_after(), Duration::from_secs(300));
    /// ```
    pub const fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// No cap of its own on the delay a `Retry-After` hint asks for
    /// (`#[retry(max_retry_after = none)]`, the default): a hint is capped at `max_delay`, as
    /// every delay is, and `max_elapsed` and an enclosing deadline still refuse a sleep that
    /// would end past them.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = resilience::RetryPolicy::new().without_max_retry_after();
    /// assert_eq!(policy.max_retry_after(), Duration::MAX);
    /// ```
    pub const fn without_max_retry_after(mut self) -> Self {
        self.max_retry_after = Duration::MAX;
        self
    }

    /// Total calls, the first included. `0` is taken as `1`: the body always runs once;
    /// `u32::MAX` is no limit, as [`with_unlimited_attempts`](Self::with_unlimited_attempts).
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new().with_max_attempts(5);
    /// assert_eq!(policy.max_attempts(), 5);
    /// ```
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = if max_attempts == 0 { 1 } else { max_attempts };
        self
    }

    /// How the delay grows; see [`Backoff`].
    ///
    /// ```
    /// use resilience::{Backoff, RetryPolicy};
    /// let policy = RetryPolicy::new().with_backoff(Backoff::Constant);
    /// ```
    pub const fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Shorthand for `with_backoff(Backoff::Exponential { multiplier })`.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new().with_multiplier(1.5);
    /// ```
    pub const fn with_multiplier(self, multiplier: f64) -> Self {
        self.with_backoff(Backoff::Exponential { multiplier })
    }

    /// The delay before the second attempt, from which the others grow.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new()
    ///     .with_initial_delay(std::time::Duration::from_millis(20));
    /// ```
    pub const fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The cap on any one delay, jitter included; a [`RetryAfter`](crate::RetryAfter) hint is
    /// capped too.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new()
    ///     .with_max_delay(std::time::Duration::from_secs(5));
    /// ```
    pub const fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How each delay is randomised; see [`Jitter`].
    ///
    /// ```
    /// use resilience::{Jitter, RetryPolicy};
    /// let policy = RetryPolicy::new().with_jitter(Jitter::Decorrelated);
    /// ```
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// A time budget: no new attempt starts once this much time has passed since the first,
    /// and no delay is slept that would end past it (the call gives up with the last error
    /// instead).
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new()
    ///     .with_max_elapsed(std::time::Duration::from_secs(10));
    /// ```
    pub const fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = Some(budget);
        self
    }

    /// Seeds the jitter's random number generator, so that the schedule is the same on every
    /// run: for tests and for reproducing an incident. Unseeded policies draw a fresh seed
    /// per call.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new().with_seed(42);
    /// let a: Vec<_> = policy.delays().take(4).collect();
    /// let b: Vec<_> = policy.delays().take(4).collect();
    /// assert_eq!(a, b);
    /// ```
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Total calls, the first included; `u32::MAX` when there is no limit.
    ///
    /// ```
    /// assert_eq!(resilience::RetryPolicy::new().max_attempts(), 3);
    /// ```
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The attempts after the first, or `None` when there is no limit.
    ///
    /// ```
    /// use resilience::RetryPolicy;
    /// assert_eq!(RetryPolicy::new().max_retries(), Some(2));
    /// assert_eq!(RetryPolicy::forever().max_retries(), None);
    /// ```
    pub const fn max_retries(&self) -> Option<u32> {
        if self.is_unlimited() {
            None
        } else {
            Some(self.max_attempts - 1)
        }
    }

    /// Whether the attempts have no limit; see [`forever`](Self::forever).
    ///
    /// ```
    /// assert!(!resilience::RetryPolicy::new().is_unlimited());
    /// ```
    pub const fn is_unlimited(&self) -> bool {
        self.max_attempts == UNLIMITED_ATTEMPTS
    }

    /// Whether attempt `attempt` (1 for the first) is the last the count allows. Never true
    /// without a limit.
    #[inline]
    pub(crate) const fn is_last_attempt(&self, attempt: u32) -> bool {
        !self.is_unlimited() && attempt >= self.max_attempts
    }

    /// The growth strategy.
    ///
    /// ```
    /// use resilience::{Backoff, RetryPolicy};
    /// assert_eq!(RetryPolicy::new().backoff(), Backoff::Exponential { multiplier: 2.0 });
    /// ```
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The delay before the second attempt.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::RetryPolicy::new().initial_delay(), Duration::from_millis(100));
    /// ```
    pub const fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The cap on any one delay; `Duration::MAX` for none.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::RetryPolicy::new().max_delay(), Duration::from_secs(30));
    /// ```
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The jitter.
    ///
    /// ```
    /// use resilience::{Jitter, RetryPolicy};
    /// assert_eq!(RetryPolicy::new().jitter(), Jitter::Full);
    /// ```
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The time budget, if any.
    ///
    /// ```
    /// assert_eq!(resilience::RetryPolicy::new().max_elapsed(), None);
    /// ```
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The cap on `Retry-After` hints alone, `Duration::MAX` for none (the default: hints are
    /// then capped at [`max_delay`](Self::max_delay), as every delay is).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::RetryPolicy::new().max_retry_after(), Duration::MAX);
    /// ```
    pub const fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The longest delay a `Retry-After` hint is honoured for: `max_delay`, which caps every
    /// delay, or a lower `max_retry_after`.
    pub(crate) const fn hint_cap(&self) -> Duration {
        if self.max_retry_after.as_nanos() < self.max_delay.as_nanos() {
            self.max_retry_after
        } else {
            self.max_delay
        }
    }

    /// The delay before retry `retry` (1-based) without jitter, capped at `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = resilience::RetryPolicy::new(); // exponential, 100 ms, x2, cap 30 s
    /// assert_eq!(policy.base_delay(1), Duration::from_millis(100));
    /// assert_eq!(policy.base_delay(4), Duration::from_millis(800));
    /// assert_eq!(policy.base_delay(1_000), Duration::from_secs(30));
    /// ```
    pub fn base_delay(&self, retry: u32) -> Duration {
        let n = retry.max(1);
        let d = self.initial_delay;
        let raw = match self.backoff {
            Backoff::Constant => d,
            Backoff::Linear => d.saturating_mul(n),
            Backoff::Exponential { multiplier } => scale(d, powi_saturating(multiplier, n - 1)),
            Backoff::Fibonacci => d.saturating_mul(fibonacci(n)),
        };
        raw.min(self.max_delay)
    }

    /// The delays this policy would sleep, one per retry, for as long as it allows retries
    /// (without end for a policy [without a limit](Self::forever)).
    /// Jitter is applied, so two calls give two schedules unless the policy is
    /// [seeded](Self::with_seed). `max_elapsed` is not applied: it depends on how long the
    /// attempts themselves take.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Jitter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new().with_max_attempts(4).with_jitter(Jitter::None);
    /// let delays: Vec<_> = policy.delays().collect();
    /// assert_eq!(delays, [100, 200, 400].map(Duration::from_millis));
    /// ```
    pub fn delays(&self) -> impl Iterator<Item = Duration> + '_ {
        let mut schedule = Schedule::new(self);
        let retries = self.max_retries().unwrap_or(u32::MAX);
        (1..=retries)
            .chain(std::iter::repeat(u32::MAX).take_while(|_| self.is_unlimited()))
            .map(move |retry| schedule.delay(retry))
    }
}

/// Ready-made policies for the common cases, as associated `const`s so that they read as
/// what they are wherever a policy goes: `#[retry(policy = resilience::RetryPolicy::PATIENT)]`,
/// `RetryPolicy::AGGRESSIVE.call(..)`, or a starting point for `const` builders. All
/// back off exponentially with full jitter, the spread that best keeps many clients failing
/// together from retrying together.
///
/// | preset | attempts | first delay | growth | cap | for |
/// |---|---|---|---|---|---|
/// | [`CONSERVATIVE`](Self::CONSERVATIVE) | 3 | 1 s | x2 | 16 s | a dependency you do not want to add load to |
/// | [`AGGRESSIVE`](Self::AGGRESSIVE) | 5 | 0.5 s | x1.5 | 8 s | short blips where a quick answer matters |
/// | [`PATIENT`](Self::PATIENT) | 4 | 2 s | x2.5 | 60 s | background work that can wait for a slow recovery |
/// | [`DATABASE`](Self::DATABASE) | 3 | 100 ms | x2 | 5 s | a database: lost connections, failovers, deadlocks; `when =` [`classify::is_transient_io`](crate::classify::is_transient_io) or the driver's own |
/// | [`CLOUD_STORAGE`](Self::CLOUD_STORAGE) | 3 | 200 ms | x2 | 10 s | object stores (S3, GCS, Azure Blob): throttling and 5xx; `when =` [`classify::is_retryable_status`](crate::classify::is_retryable_status) on the status |
/// | [`HTTP`](Self::HTTP) | 5 | 500 ms | x1.5 | 30 s | an HTTP API: 429, 503, resets; `when =` [`classify::is_retryable_status`](crate::classify::is_retryable_status), or the `reqwest` integration's `classify` |
///
/// The last three are for one kind of dependency each: the first delay and cap are of the
/// order of how long that kind takes to recover (a database fails over in seconds; an HTTP
/// API's rate limit resets in tens of seconds), and each retries only what its `when` says
/// is worth retrying: an error that will not go away (a constraint violation, a 404) is
/// returned at once.
///
/// ```
/// use resilience::{RetryPolicy, retry};
///
/// #[retry(policy = RetryPolicy::CONSERVATIVE)]
/// fn load() -> Result<u32, std::io::Error> {
///     Ok(1)
/// }
/// assert_eq!(load().unwrap(), 1);
/// ```
impl RetryPolicy {
    /// 3 attempts; exponential from 1 s, x2, capped at 16 s; full jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Jitter, RetryPolicy};
    /// let p = RetryPolicy::CONSERVATIVE;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (3, Duration::from_secs(1)));
    /// assert_eq!((p.max_delay(), p.jitter()), (Duration::from_secs(16), Jitter::Full));
    /// ```
    pub const CONSERVATIVE: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_delay(Duration::from_secs(1))
        .with_multiplier(2.0)
        .with_max_delay(Duration::from_secs(16))
        .with_jitter(Jitter::Full);

    /// 5 attempts; exponential from 0.5 s, x1.5, capped at 8 s; full jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Backoff, RetryPolicy};
    /// let p = RetryPolicy::AGGRESSIVE;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (5, Duration::from_millis(500)));
    /// assert_eq!(p.backoff(), Backoff::Exponential { multiplier: 1.5 });
    /// assert_eq!(p.max_delay(), Duration::from_secs(8));
    /// ```
    pub const AGGRESSIVE: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(5)
        .with_initial_delay(Duration::from_millis(500))
        .with_multiplier(1.5)
        .with_max_delay(Duration::from_secs(8))
        .with_jitter(Jitter::Full);

    /// 4 attempts; exponential from 2 s, x2.5, capped at 60 s; full jitter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Backoff, RetryPolicy};
    /// let p = RetryPolicy::PATIENT;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (4, Duration::from_secs(2)));
    /// assert_eq!(p.backoff(), Backoff::Exponential { multiplier: 2.5 });
    /// assert_eq!(p.max_delay(), Duration::from_secs(60));
    /// ```
    pub const PATIENT: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(4)
        .with_initial_delay(Duration::from_secs(2))
        .with_multiplier(2.5)
        .with_max_delay(Duration::from_secs(60))
        .with_jitter(Jitter::Full);

    /// For a database: 3 attempts; exponential from 100 ms, x2, capped at 5 s; full jitter.
    /// A lost connection or a failover clears in well under a few seconds, and a query that
    /// waits longer holds its caller's connection and transaction. Pair it with the errors
    /// worth retrying: [`classify::is_transient_io`](crate::classify::is_transient_io) for
    /// an `io::Error`, or the driver's own test (serialization failures and deadlocks, not
    /// constraint violations).
    ///
    /// ```
    /// use std::{io, time::Duration};
    /// use resilience::{RetryPolicy, classify, retry};
    ///
    /// #[retry(policy = RetryPolicy::DATABASE, when = classify::is_transient_io)]
    /// fn query() -> io::Result<u32> {
    ///     Ok(7)
    /// }
    /// assert_eq!(query().unwrap(), 7);
    /// let p = RetryPolicy::DATABASE;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (3, Duration::from_millis(100)));
    /// assert_eq!(p.max_delay(), Duration::from_secs(5));
    /// ```
    pub const DATABASE: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_delay(Duration::from_millis(100))
        .with_multiplier(2.0)
        .with_max_delay(Duration::from_secs(5))
        .with_jitter(Jitter::Full);

    /// For an object store (S3, GCS, Azure Blob): 3 attempts; exponential from 200 ms, x2,
    /// capped at 10 s; full jitter. Stores throttle with 429 or 503 ("slow down") and answer
    /// the odd 500: a short pause and a doubling clear both. Pair it with
    /// [`classify::is_retryable_status`](crate::classify::is_retryable_status) on the
    /// response's status (and [`classify::is_transient_io`](crate::classify::is_transient_io)
    /// for the connection's errors).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Backoff, RetryPolicy, classify, retry};
    ///
    /// struct StoreError { status: u16 }
    /// fn worth_retrying(e: &StoreError) -> bool { classify::is_retryable_status(e.status) }
    ///
    /// #[retry(policy = RetryPolicy::CLOUD_STORAGE, when = worth_retrying)]
    /// fn put(object: &str) -> Result<usize, StoreError> {
    ///     Ok(object.len())
    /// }
    /// assert_eq!(put("a/b").ok(), Some(3));
    /// let p = RetryPolicy::CLOUD_STORAGE;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (3, Duration::from_millis(200)));
    /// assert_eq!(p.backoff(), Backoff::Exponential { multiplier: 2.0 });
    /// assert_eq!(p.max_delay(), Duration::from_secs(10));
    /// ```
    pub const CLOUD_STORAGE: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_delay(Duration::from_millis(200))
        .with_multiplier(2.0)
        .with_max_delay(Duration::from_secs(10))
        .with_jitter(Jitter::Full);

    /// For an HTTP API: 5 attempts; exponential from 500 ms, x1.5, capped at 30 s; full
    /// jitter. A rate limit or a restarting upstream takes seconds to tens of seconds to
    /// clear, and a gentler growth spreads more attempts over that time. Pair it with
    /// [`classify::is_retryable_status`](crate::classify::is_retryable_status) (408, 425,
    /// 429, 500, 502, 503, 504), or with the `reqwest` integration, whose middleware
    /// classifies responses and honours `Retry-After`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{Backoff, RetryPolicy};
    /// let p = RetryPolicy::HTTP;
    /// assert_eq!((p.max_attempts(), p.initial_delay()), (5, Duration::from_millis(500)));
    /// assert_eq!(p.backoff(), Backoff::Exponential { multiplier: 1.5 });
    /// assert_eq!(p.max_delay(), Duration::from_secs(30));
    /// ```
    pub const HTTP: RetryPolicy = RetryPolicy::new()
        .with_max_attempts(5)
        .with_initial_delay(Duration::from_millis(500))
        .with_multiplier(1.5)
        .with_max_delay(Duration::from_secs(30))
        .with_jitter(Jitter::Full);
}

/// What the `#[retry]` attribute names, reached through `__private`.
pub(crate) mod attribute {
    use super::Backoff;

    /// `backoff = exponential` written without a `multiplier`: the runtime's.
    pub const DEFAULT_EXPONENTIAL: Backoff = Backoff::Exponential {
        multiplier: resilience_settings::retry::DEFAULT_MULTIPLIER,
    };
}
