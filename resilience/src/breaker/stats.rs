//! What a breaker counts: the public snapshot ([`BreakerStats`]) and the counters behind it,
//! striped by thread over the crate's stripes (`crate::stripes`).

use std::{sync::Arc, time::Duration};

use tokio::time::Instant;

use super::{
    core::{CircuitBreaker, lock},
    sync::{
        AtomicU64,
        Ordering::{Acquire, Relaxed},
    },
    window::{Counted, NO_SLICE, Placement},
    word,
};
use crate::{State, stripes};

/// A snapshot of a breaker's state and counts, from [`CircuitBreaker::stats`].
///
/// Each count is exact, though they are read one after the other while calls may be
/// finishing. A call is counted when it finishes, exactly once, as a success, a failure or
/// uncounted (by the policy). [`CircuitBreaker::reset`] sets them back to zero.
///
/// ```
/// use resilience::{BreakerConfig, CircuitBreaker, State};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new());
/// let _ = breaker.call(|| Ok::<_, resilience::Error>(1));
/// let stats = breaker.stats();
/// assert_eq!((stats.state, stats.calls, stats.successes), (State::Closed, 1, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BreakerStats {
    /// The breaker's name.
    pub name: Arc<str>,
    /// The key of a breaker of a [`KeyedBreaker`](crate::KeyedBreaker) family, `None` for
    /// any other breaker.
    pub key: Option<Arc<str>>,
    /// The current state.
    pub state: State,
    /// When the breaker entered it (or was created), on tokio's clock.
    pub since: Instant,
    /// Calls let through (trial calls included) that have finished: `successes + failures +
    /// uncounted`. A call still running is not counted yet.
    pub calls: u64,
    /// Calls that succeeded.
    pub successes: u64,
    /// Calls that failed: an error that counts, a panic, or a slow call.
    pub failures: u64,
    /// Calls released without counting: errors that do not count, dropped futures.
    pub uncounted: u64,
    /// Calls rejected without running.
    pub rejections: u64,
    /// Calls that took at least the slow-call threshold (all of them also in `failures`).
    pub slow_calls: u64,
    /// Failures in a row in the closed state.
    pub consecutive_failures: u32,
    /// The failure rate over the window, once it holds the minimum number of calls; `None`
    /// without a failure-rate policy.
    pub failure_rate: Option<f64>,
    /// While open: the time left until the next call is let through as a trial.
    pub until_half_open: Option<Duration>,
    /// Trial calls running, those of an earlier half-open period included: they keep their
    /// slots until they finish (or their time is up, see
    /// [`BreakerConfig::with_max_trial_wait`](crate::BreakerConfig::with_max_trial_wait)), so that trial calls at once never exceed the
    /// limit.
    pub trials_in_flight: u32,
    /// Failed recoveries in a row, which lengthen the open period under a recovery backoff.
    pub failed_recoveries: u32,
    /// The breaker's generation: the number of transitions since it was created.
    pub generation: u64,
    /// The adaptive throttle's counts, with [`BreakerConfig::with_adaptive`](crate::BreakerConfig::with_adaptive).
    pub adaptive: Option<AdaptiveStats>,
}

/// The counts of a breaker's adaptive throttle over its window, in [`BreakerStats`].
///
/// ```
/// use resilience::{BreakerConfig, CircuitBreaker, Window};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new().with_adaptive(2.0, Window::Calls(100)));
/// for _ in 0..9 {
///     let _ = breaker.call(|| Err::<(), _>(resilience::Error::timeout("db", Default::default())));
/// }
/// let adaptive = breaker.stats().adaptive.unwrap();
/// assert_eq!((adaptive.requests, adaptive.accepts), (9, 0));
/// assert_eq!(adaptive.rejection_probability, 0.9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct AdaptiveStats {
    /// Calls the breaker saw in the window, those it rejected included.
    pub requests: u64,
    /// Calls that succeeded in the window.
    pub accepts: u64,
    /// The probability that the next call is rejected.
    pub rejection_probability: f64,
}

/// Counters, striped by thread over the crate's counter stripes (`crate::stripes`): a thread
/// adds to a stripe it owns with a plain load and store, so that threads sharing a breaker
/// neither fight over one cache line nor pay for a locked instruction on every call. Only the
/// owner writes a stripe, so [`CircuitBreaker::reset`] does not zero them: it records their
/// totals as a baseline, which the statistics subtract.
///
/// A [compact](Counters::compact) set has one stripe, which every thread adds to atomically:
/// the breakers of a keyed family, many and each used by few threads at once, where the
/// stripes would be most of a breaker's memory.
#[derive(Debug)]
pub(super) struct Counters {
    /// `stripes::STRIPES` stripes, or one.
    pub(super) stripes: Box<[Stripe]>,
}

#[derive(Debug)]
#[repr(align(128))]
pub(super) struct Stripe {
    pub(super) successes: AtomicU64,
    pub(super) failures: AtomicU64,
    pub(super) uncounted: AtomicU64,
    pub(super) rejections: AtomicU64,
    pub(super) slow_calls: AtomicU64,
    /// The successes this stripe holds for a failure rate's time window (see
    /// [`Placement`](super::window::Placement)). Written by the stripe's owner only: the
    /// counts without the lock, the slice with it.
    pub(super) slice: AtomicU64,
    pub(super) placed: AtomicU64,
    pub(super) pending: AtomicU64,
    /// Successes between two reads of the clock.
    pub(super) stride: AtomicU64,
    /// When the owner last read the clock (nanoseconds on the breaker's clock).
    pub(super) looked: AtomicU64,
}

impl Stripe {
    /// What the stripe holds for a time window, read behind the breaker's lock.
    pub(super) fn placement(&self) -> Placement {
        Placement {
            slice: self.slice.load(Relaxed),
            placed: self.placed.load(Relaxed),
            pending: self.pending.load(Relaxed),
        }
    }
}

/// The counts of a breaker, summed over the stripes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub(super) successes: u64,
    pub(super) failures: u64,
    pub(super) uncounted: u64,
    pub(super) rejections: u64,
    pub(super) slow_calls: u64,
}

impl Tally {
    pub(super) fn since(self, baseline: Tally) -> Tally {
        Tally {
            successes: self.successes.wrapping_sub(baseline.successes),
            failures: self.failures.wrapping_sub(baseline.failures),
            uncounted: self.uncounted.wrapping_sub(baseline.uncounted),
            rejections: self.rejections.wrapping_sub(baseline.rejections),
            slow_calls: self.slow_calls.wrapping_sub(baseline.slow_calls),
        }
    }
}

impl Counters {
    pub(super) fn new() -> Self {
        Self::with_stripes(stripes::STRIPES)
    }

    /// One stripe, shared by every thread.
    pub(super) fn compact() -> Self {
        Self::with_stripes(1)
    }

    fn with_stripes(n: usize) -> Self {
        let stripes = (0..n)
            .map(|_| Stripe {
                successes: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                uncounted: AtomicU64::new(0),
                rejections: AtomicU64::new(0),
                slow_calls: AtomicU64::new(0),
                slice: AtomicU64::new(NO_SLICE),
                placed: AtomicU64::new(0),
                pending: AtomicU64::new(0),
                stride: AtomicU64::new(1),
                looked: AtomicU64::new(0),
            })
            .collect();
        Counters { stripes }
    }

    /// The calling thread's stripe and its index in `crate::stripes` terms: the last stripe,
    /// added to atomically (index `stripes::SHARED`), for a thread that owns none of these
    /// (every thread, in a compact set).
    #[inline]
    pub(super) fn mine(&self) -> (&Stripe, usize) {
        let len = self.stripes.len();
        let index = stripes::current().min(len - 1);
        // Without branches: a full set's stripes are the crate's (the owner is the index); a
        // compact set's one stripe is the shared one (index 0, owner `SHARED`).
        let owner = index + (stripes::STRIPES - len);
        (&self.stripes[index], owner)
    }

    /// The calling thread's stripe and its index, in a set that is not compact.
    #[inline]
    pub(super) fn owned(&self) -> (&Stripe, usize) {
        let index = stripes::current();
        (&self.stripes[index], index)
    }

    /// Whether this is a [compact](Self::compact) set.
    pub(super) fn is_compact(&self) -> bool {
        self.stripes.len() == 1
    }

    /// Adds one to the counter `which` picks in the calling thread's stripe.
    #[inline]
    pub(super) fn add(&self, which: impl Fn(&Stripe) -> &AtomicU64) {
        let (stripe, index) = self.mine();
        stripes::add_one(which(stripe), index);
    }

    pub(super) fn sum(&self, counter: impl Fn(&Stripe) -> &AtomicU64) -> u64 {
        self.stripes
            .iter()
            .map(|s| counter(s).load(Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Every count since the breaker was made.
    pub(super) fn totals(&self) -> Tally {
        Tally {
            successes: self.sum(|s| &s.successes),
            failures: self.sum(|s| &s.failures),
            uncounted: self.sum(|s| &s.uncounted),
            rejections: self.sum(|s| &s.rejections),
            slow_calls: self.sum(|s| &s.slow_calls),
        }
    }
}

impl CircuitBreaker {
    /// A snapshot of the state and counts; see [`BreakerStats`].
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let stats = CircuitBreaker::new("a", BreakerConfig::new()).stats();
    /// assert_eq!(stats.calls, 0);
    /// ```
    pub fn stats(&self) -> BreakerStats {
        let inner = lock(&self.inner);
        let word = self.word.load(Acquire);
        let state = word::state(word);
        let now = self.now_nanos();
        let counts = self.counters.totals().since(inner.baseline);
        let counted = self.counted(&inner, now);
        BreakerStats {
            name: Arc::clone(&self.name),
            key: self.key.clone(),
            state,
            since: inner.since,
            calls: counts.successes + counts.failures + counts.uncounted,
            successes: counts.successes,
            failures: counts.failures,
            uncounted: counts.uncounted,
            rejections: counts.rejections,
            slow_calls: counts.slow_calls,
            consecutive_failures: self.consecutive.load(Relaxed),
            failure_rate: inner
                .config
                .failure_rate
                .zip(inner.window.as_ref())
                .and_then(|(policy, window)| window.rate(&policy, now, counted)),
            until_half_open: (state == State::Open)
                .then(|| Duration::from_nanos(self.open_until.load(Relaxed).saturating_sub(now))),
            trials_in_flight: u32::try_from(inner.trials.len()).unwrap_or(u32::MAX),
            failed_recoveries: inner.failed_recoveries,
            generation: word::generation(word),
            adaptive: inner.config.adaptive.zip(inner.throttle.as_ref()).map(
                |(adaptive, window)| {
                    let (requests, rejected) = window.totals(now, Counted::calls(counted.calls));
                    let accepts = requests - rejected;
                    AdaptiveStats {
                        requests,
                        accepts,
                        rejection_probability: adaptive.rejection_probability(requests, accepts),
                    }
                },
            ),
        }
    }
}
