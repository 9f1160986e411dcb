//! The circuit breaker: a state machine in front of a dependency that keeps failing.
//!
//! # How it is built
//!
//! The hot path is lock-free. One atomic word holds the state and a generation number that
//! every transition bumps; a call reads it once to get its [`Permit`], and the permit
//! remembers the word so that an outcome reported after the breaker moved on (a call that
//! started before it opened) is counted in the statistics but does not steer the new state.
//! In the closed state with the default (consecutive-failures) policy, a successful call
//! costs loads of that word, of the policy flags and of the consecutive-failure counter,
//! and one increment of the success counter: no lock, no allocation, and no clock unless a
//! slow-call threshold or a time window is configured. The counters are striped by thread
//! over separate cache lines, so threads sharing a breaker do not contend on them.
//!
//! Everything else — transitions, half-open trial bookkeeping, the failure-rate window,
//! the configuration — is behind one mutex, held for a few instructions, never across an
//! `.await` or a user callback: listeners run after it is released. Only a thread holding
//! the mutex writes the state word, so transitions are serialised and each is decided on a
//! state that cannot change under it.
//!
//! Memory orderings: the state word is stored with `Release` and loaded with `Acquire`, so
//! a thread that sees a new state also sees what was written before it (the end of the open
//! period, the configuration's atomics). Counters are `Relaxed`: they are statistics, each
//! exact on its own, and all of them exact together once the threads that used the breaker
//! are joined. The consecutive-failure counter is `Relaxed` too: reaching the threshold only
//! sends the caller to the mutex, where the decision to open is taken again.

mod config;
mod sync;
mod window;

pub use config::{Adaptive, BreakerConfig, BreakerSetting, FailureRate, Window};

use std::{
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use self::sync::{
    AtomicU32, AtomicU64, Mutex, MutexGuard,
    Ordering::{Acquire, Relaxed, Release},
};
use self::window::RateWindow;
use crate::Error;

/// A listener of state changes.
pub(crate) type Listener = Arc<dyn Fn(&StateChange) + Send + Sync>;

/// The state of a [`CircuitBreaker`].
///
/// ```
/// use resilience::{CircuitBreaker, BreakerConfig, State};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new());
/// assert_eq!(breaker.state(), State::Closed);
/// breaker.force_open();
/// assert_eq!(breaker.state(), State::ForcedOpen);
/// assert_eq!(State::HalfOpen.to_string(), "half-open");
/// // Widths and alignment apply, for tables.
/// assert_eq!(format!("[{:<6}]", State::Open), "[open  ]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are rejected until the open period ends. The state stays `Open` past that
    /// moment until the next call, which becomes the first trial call.
    Open,
    /// A limited number of trial calls go through to see whether the dependency recovered.
    HalfOpen,
    /// Set by an operator with [`CircuitBreaker::force_open`]: every call is rejected until
    /// [`CircuitBreaker::reset`].
    ForcedOpen,
    /// Set by an operator with [`CircuitBreaker::disable`]: every call goes through and is
    /// counted in the statistics, but the breaker never opens.
    Disabled,
}

const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;
const FORCED_OPEN: u64 = 3;
const DISABLED: u64 = 4;
const TAG_BITS: u32 = 8;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

impl State {
    const fn tag(self) -> u64 {
        match self {
            State::Closed => CLOSED,
            State::Open => OPEN,
            State::HalfOpen => HALF_OPEN,
            State::ForcedOpen => FORCED_OPEN,
            State::Disabled => DISABLED,
        }
    }

    const fn of_word(word: u64) -> State {
        match word & TAG_MASK {
            CLOSED => State::Closed,
            OPEN => State::Open,
            HALF_OPEN => State::HalfOpen,
            FORCED_OPEN => State::ForcedOpen,
            _ => State::Disabled,
        }
    }

    /// The state's name in lower case, as [`Display`](fmt::Display) writes it.
    ///
    /// ```
    /// assert_eq!(resilience::State::ForcedOpen.as_str(), "forced-open");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
            State::ForcedOpen => "forced-open",
            State::Disabled => "disabled",
        }
    }
}

impl fmt::Display for State {
    /// Honours width and alignment, for tables: `format!("{:<10}", state)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a breaker changed state.
///
/// ```
/// use resilience::Reason;
/// assert_eq!(
///     Reason::ConsecutiveFailures { count: 5 }.to_string(),
///     "5 consecutive failures"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// Closed to open: this many failures in a row.
    ConsecutiveFailures {
        /// The failures counted, at least the threshold.
        count: u32,
    },
    /// Closed to open: the failure rate over the window reached the configured rate.
    FailureRate {
        /// The rate measured, in `[0, 1]`.
        rate: f64,
    },
    /// Open to half-open: the open period ended and a call arrived.
    RecoveryTimeoutElapsed,
    /// Half-open to open: a trial call failed.
    TrialFailed,
    /// Half-open to open: a trial call was still running when its time was up (see
    /// [`BreakerConfig::with_max_trial_wait`]); its slot was taken back.
    TrialTimedOut {
        /// How long the trial was allowed.
        waited: Duration,
    },
    /// Half-open to closed: enough trial calls succeeded.
    TrialsSucceeded {
        /// The successful trials counted.
        successes: u32,
    },
    /// [`CircuitBreaker::reset`].
    Reset,
    /// [`CircuitBreaker::force_open`].
    ForcedOpen,
    /// [`CircuitBreaker::disable`].
    Disabled,
    /// [`breakers::restore`](crate::breakers::restore): the state a snapshot recorded.
    Restored,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ConsecutiveFailures { count: 1 } => f.write_str("1 failure"),
            Reason::ConsecutiveFailures { count } => write!(f, "{count} consecutive failures"),
            Reason::FailureRate { rate } => write!(f, "failure rate {:.1}%", rate * 100.0),
            Reason::RecoveryTimeoutElapsed => f.write_str("recovery timeout elapsed"),
            Reason::TrialFailed => f.write_str("trial call failed"),
            Reason::TrialTimedOut { waited } => {
                write!(f, "trial call still running after {waited:?}")
            }
            Reason::TrialsSucceeded { successes: 1 } => f.write_str("1 successful trial call"),
            Reason::TrialsSucceeded { successes } => {
                write!(f, "{successes} successful trial calls")
            }
            Reason::Reset => f.write_str("reset"),
            Reason::ForcedOpen => f.write_str("forced open"),
            Reason::Disabled => f.write_str("disabled"),
            Reason::Restored => f.write_str("restored from a snapshot"),
        }
    }
}

/// How [`CircuitBreaker::restore`] restored an open period.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, CircuitBreaker, Restored, State};
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
/// assert_eq!(breaker.restore(State::Open, Duration::from_secs(5), 0), Restored::AsSaved);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restored {
    /// As the snapshot recorded it.
    AsSaved,
    /// Open for `allowed`, the longest open period the configuration produces, rather than
    /// for the `asked` left: no breaker of this configuration stays open that long.
    Shortened {
        /// The time left the snapshot asked for.
        asked: Duration,
        /// The time left it was given.
        allowed: Duration,
    },
}

/// A state change, as given to listeners registered with
/// [`CircuitBreaker::on_state_change`] and [`breakers::on_state_change`](crate::breakers::on_state_change).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use resilience::{BreakerConfig, CircuitBreaker, State};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new().with_failure_threshold(1));
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// breaker.on_state_change(move |change| log.lock().unwrap().push(change.to_string()));
///
/// let _ = breaker.call(|| Err::<(), _>(resilience::Error::circuit_open("upstream", None)));
/// assert_eq!(*seen.lock().unwrap(), ["circuit breaker `db`: closed -> open (1 failure)"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StateChange {
    /// The breaker's name.
    pub breaker: Arc<str>,
    /// The state it left.
    pub from: State,
    /// The state it entered.
    pub to: State,
    /// Why.
    pub reason: Reason,
    /// When, on tokio's clock.
    pub at: Instant,
    /// The breaker's generation after the change: it grows by one with every transition, so
    /// changes reported concurrently can be put back in order.
    pub generation: u64,
}

impl fmt::Display for StateChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker `{}`: {} -> {} ({})",
            self.breaker, self.from, self.to, self.reason
        )
    }
}

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
    /// [`BreakerConfig::with_max_trial_wait`]), so that trial calls at once never exceed the
    /// limit.
    pub trials_in_flight: u32,
    /// Failed recoveries in a row, which lengthen the open period under a recovery backoff.
    pub failed_recoveries: u32,
    /// The breaker's generation: the number of transitions since it was created.
    pub generation: u64,
    /// The adaptive throttle's counts, with [`BreakerConfig::with_adaptive`].
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
#[derive(Debug)]
struct Counters {
    stripes: Box<[Stripe; STRIPES]>,
}

#[derive(Debug)]
#[repr(align(128))]
struct Stripe {
    successes: AtomicU64,
    failures: AtomicU64,
    uncounted: AtomicU64,
    rejections: AtomicU64,
    slow_calls: AtomicU64,
}

#[cfg(not(loom))]
use crate::stripes::{STRIPES, add_one, current as stripe};

/// One stripe under loom, added to atomically: loom's threads share the thread-locals that
/// hand out owned stripes.
#[cfg(loom)]
const STRIPES: usize = 1;

#[cfg(loom)]
fn stripe() -> usize {
    0
}

#[cfg(loom)]
fn add_one(counter: &AtomicU64, _: usize) -> u64 {
    counter.fetch_add(1, Relaxed)
}

/// The counts of a breaker, summed over the stripes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    successes: u64,
    failures: u64,
    uncounted: u64,
    rejections: u64,
    slow_calls: u64,
}

impl Tally {
    fn since(self, baseline: Tally) -> Tally {
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
    fn new() -> Self {
        let stripes = Box::new(std::array::from_fn(|_| Stripe {
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            uncounted: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            slow_calls: AtomicU64::new(0),
        }));
        Counters { stripes }
    }

    /// Adds one to the counter `which` picks in the calling thread's stripe.
    #[inline]
    fn add(&self, which: impl Fn(&Stripe) -> &AtomicU64) {
        let index = stripe();
        add_one(which(&self.stripes[index]), index);
    }

    fn sum(&self, counter: impl Fn(&Stripe) -> &AtomicU64) -> u64 {
        self.stripes
            .iter()
            .map(|s| counter(s).load(Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Every count since the breaker was made.
    fn totals(&self) -> Tally {
        Tally {
            successes: self.sum(|s| &s.successes),
            failures: self.sum(|s| &s.failures),
            uncounted: self.sum(|s| &s.uncounted),
            rejections: self.sum(|s| &s.rejections),
            slow_calls: self.sum(|s| &s.slow_calls),
        }
    }
}

/// What the mutex guards.
#[derive(Debug)]
struct Inner {
    config: BreakerConfig,
    window: Option<RateWindow>,
    /// The adaptive throttle's window: requests, and those not accepted as "failures".
    throttle: Option<RateWindow>,
    /// Trial calls running, of this half-open period or an earlier one.
    trials: Vec<Trial>,
    trial_successes: u32,
    failed_recoveries: u32,
    since: Instant,
    /// The throttle's draws so far: the `n` of its low-discrepancy sequence.
    draws: u64,
    /// The counts at the last reset, which the statistics subtract.
    baseline: Tally,
    /// Calls the throttle rejected: they count in its window, and in a failure rate's.
    throttled: u64,
    /// The open period a restore put the breaker in, while it lasts: judged again against
    /// each new configuration.
    restored: Option<RestoredEnd>,
}

/// An open period [`CircuitBreaker::restore`] started: its state word, when, and the end
/// the snapshot asked for, which the configuration may have shortened.
#[derive(Debug, Clone, Copy)]
struct RestoredEnd {
    word: u64,
    at: u64,
    asked: u64,
}

/// The rounding a snapshot's end is allowed: it is saved rounded up to the millisecond.
const SNAPSHOT_ROUNDING: u64 = 1_000_000;

impl RestoredEnd {
    /// The end that `config` allows: the end asked for, unless it is later than the longest
    /// open period `config` produces (and the snapshot's rounding), then that period.
    fn end(&self, config: &BreakerConfig) -> u64 {
        let limit = self
            .at
            .saturating_add(nanos(config.longest_open_duration()));
        if self.asked > limit.saturating_add(SNAPSHOT_ROUNDING) {
            limit
        } else {
            self.asked
        }
    }
}

impl Inner {
    /// The throttle's next draw in `[0, 1)`: the fractional parts of `n / φ`, a sequence
    /// that covers the interval evenly (at most about `log n / n` away from uniform over any
    /// `n` draws), so that the share of calls rejected follows the probability closely
    /// even over a few calls, and the same calls give the same decisions.
    fn draw(&mut self) -> f64 {
        const INVERSE_GOLDEN_RATIO: u64 = 0x9E37_79B9_7F4A_7C15;
        self.draws = self.draws.wrapping_add(1);
        (self.draws.wrapping_mul(INVERSE_GOLDEN_RATIO) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A trial call running: its permit's word and start, which identify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Trial {
    word: u64,
    started: u64,
}

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Released,
}

/// `flags`: a call must be timed (slow-call threshold or time window).
const NEEDS_CLOCK: u32 = 1;
/// `flags`: a time window (of a failure rate or a throttle) is on; every outcome goes to it,
/// behind the mutex.
const RATE: u32 = 2;
/// `flags`: a count window is on; failures go to it, behind the mutex (successes are read
/// from the stripes' count).
const FAILURES: u32 = 8;
/// `flags`: a count window holds failures but fewer calls than its minimum, so the success
/// that brings it to the minimum may trip it: successes go to the mutex until it does.
/// Set and cleared with the mutex held.
const CHECK_SUCCESSES: u32 = 16;
/// `flags`: the throttle rejects some calls now; closed-state acquisitions go to the mutex.
/// Set and cleared with the mutex held; kept by [`CircuitBreaker::reconfigure`].
const THROTTLING: u32 = 4;
/// `Permit::start`: the call is not timed, and no window waits for its outcome.
const UNTIMED: u64 = u64::MAX;
/// `Permit::start`: the call is not timed, but a window waits for its outcome: it takes the
/// slow path.
const UNTIMED_WINDOWED: u64 = u64::MAX - 1;
/// `slow_nanos`: no slow-call threshold.
const NO_SLOW: u64 = u64::MAX;

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A circuit breaker: it lets calls through while they succeed, rejects them at once for a
/// while after too many failed, then lets a few trial calls through to decide whether to
/// close again.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, CircuitBreaker, Error, State};
///
/// let breaker = CircuitBreaker::new(
///     "inventory",
///     BreakerConfig::new().with_failure_threshold(2).with_recovery_timeout(Duration::from_secs(30)),
/// );
/// for _ in 0..2 {
///     let _ = breaker.call(|| Err::<(), _>(std::io::Error::other("down")));
/// }
/// assert_eq!(breaker.state(), State::Open);
///
/// // The body does not run: the call is rejected at once.
/// let result: Result<(), std::io::Error> = breaker.call(|| unreachable!());
/// let err = result.unwrap_err();
/// let inner = err.get_ref().unwrap().downcast_ref::<Error>().unwrap();
/// assert!(inner.is_circuit_open());
/// ```
///
/// Time comes from [`tokio::time::Instant::now`]: under a paused tokio clock
/// (`#[tokio::test(start_paused = true)]`, `tokio::time::advance`) the open period follows
/// it; outside a runtime it is the real clock.
///
/// For the `#[circuit_breaker]` attribute, breakers live in the global registry
/// ([`breakers`](crate::breakers)); a breaker made with [`CircuitBreaker::new`] is your own,
/// and is typically shared through an `Arc` or a `static`.
pub struct CircuitBreaker {
    name: Arc<str>,
    /// `generation << 8 | state tag`. Stored (`Release`) only with `inner` locked; loaded
    /// (`Acquire`) without it.
    word: AtomicU64,
    /// Failures in a row while closed.
    consecutive: AtomicU32,
    /// The consecutive-failures threshold, `0` when that policy is off.
    threshold: AtomicU32,
    /// `NEEDS_CLOCK | RATE | THROTTLING`.
    flags: AtomicU32,
    slow_nanos: AtomicU64,
    /// End of the open period, in nanoseconds since `base`. Written before the state word.
    open_until: AtomicU64,
    counters: Counters,
    base: Instant,
    registered: bool,
    inner: Mutex<Inner>,
    listeners: Mutex<Vec<Listener>>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics with these locks held; recover anyway rather than wedge the breaker.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CircuitBreaker {
    /// A closed breaker named `name`, outside the global registry.
    ///
    /// ```
    /// use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("search", BreakerConfig::new());
    /// assert_eq!(breaker.name(), "search");
    /// ```
    pub fn new(name: impl Into<Arc<str>>, config: BreakerConfig) -> Self {
        Self::build(name.into(), config, false)
    }

    /// A breaker of the registry: the global listeners hear it.
    pub(crate) fn registered(name: Arc<str>, config: BreakerConfig) -> Self {
        Self::build(name, config, true)
    }

    fn build(name: Arc<str>, config: BreakerConfig, registered: bool) -> Self {
        let base = Instant::now();
        let breaker = CircuitBreaker {
            name,
            word: AtomicU64::new(CLOSED),
            consecutive: AtomicU32::new(0),
            threshold: AtomicU32::new(0),
            flags: AtomicU32::new(0),
            slow_nanos: AtomicU64::new(NO_SLOW),
            open_until: AtomicU64::new(0),
            counters: Counters::new(),
            base,
            registered,
            inner: Mutex::new(Inner {
                config,
                window: None,
                throttle: None,
                trials: Vec::new(),
                trial_successes: 0,
                failed_recoveries: 0,
                since: base,
                draws: 0,
                baseline: Tally::default(),
                throttled: 0,
                restored: None,
            }),
            listeners: Mutex::new(Vec::new()),
        };
        breaker.reconfigure(config);
        breaker
    }

    /// The breaker's name.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// assert_eq!(CircuitBreaker::new("a", BreakerConfig::new()).name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The breaker's name, shared.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let name = CircuitBreaker::new("a", BreakerConfig::new()).name_arc();
    /// assert_eq!(&*name, "a");
    /// ```
    pub fn name_arc(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }

    /// The current state. An open breaker reports [`State::Open`] until the first call after
    /// its open period, which makes it half-open.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// assert_eq!(CircuitBreaker::new("a", BreakerConfig::new()).state(), State::Closed);
    /// ```
    pub fn state(&self) -> State {
        State::of_word(self.word.load(Acquire))
    }

    /// The configuration in force.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let config = BreakerConfig::new().with_failure_threshold(2);
    /// assert_eq!(CircuitBreaker::new("a", config).config(), config);
    /// ```
    pub fn config(&self) -> BreakerConfig {
        lock(&self.inner).config
    }

    /// Replaces the configuration. The state is kept; a failure-rate window is started
    /// afresh if its shape changed. An open period already running keeps its end, unless
    /// [`restore`](Self::restore) started it: its end is the restored one, judged against
    /// the new configuration.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.reconfigure(BreakerConfig::new().with_failure_threshold(1));
    /// assert_eq!(breaker.config().failure_threshold(), 1);
    /// ```
    pub fn reconfigure(&self, config: BreakerConfig) {
        let mut inner = lock(&self.inner);
        let old_window = inner.config.failure_rate.map(|p| p.window);
        let new_window = config.failure_rate.map(|p| p.window);
        let total = self.calls_counted(&inner);
        if old_window != new_window || inner.window.is_none() {
            inner.window = new_window.map(|w| RateWindow::new(w, total));
        }
        let old_throttle = inner.config.adaptive.map(|a| a.window);
        let new_throttle = config.adaptive.map(|a| a.window);
        if old_throttle != new_throttle || inner.throttle.is_none() {
            inner.throttle = new_throttle.map(|w| RateWindow::new(w, total));
        }
        inner.config = config;
        let threshold = if config.consecutive_policy() {
            config.failure_threshold.max(1)
        } else {
            0
        };
        let time_window = matches!(new_window, Some(Window::Time(_)))
            || matches!(new_throttle, Some(Window::Time(_)));
        let count_window = matches!(new_window, Some(Window::Calls(_)))
            || matches!(new_throttle, Some(Window::Calls(_)));
        let timed = config.slow_call.is_some() || time_window;
        let flags = if timed { NEEDS_CLOCK } else { 0 }
            | if time_window { RATE } else { 0 }
            | if count_window { FAILURES } else { 0 };
        self.threshold.store(threshold, Relaxed);
        self.slow_nanos
            .store(config.slow_call.map_or(NO_SLOW, nanos), Relaxed);
        self.flags.store(flags, Relaxed);
        // A restored open period is judged again against the new configuration: the first
        // call site of a breaker that a restore created brings its own.
        let word = self.word.load(Relaxed);
        if let Some(restored) = inner.restored.filter(|r| r.word == word) {
            let end = restored.end(&config);
            if end != self.open_until.load(Relaxed) {
                self.open_until.store(end, Relaxed);
                // Published again, so that whoever sees the open state sees this end.
                self.word.store(word, Release);
            }
        }
        // The dynamic flags follow their windows, which may have changed.
        let now = self.now_nanos();
        self.update_throttle(&inner, now);
        let total = self.calls_counted(&inner);
        self.update_success_checks(&inner, now, total);
    }

    /// Back to [`State::Closed`] with every count at zero, from any state, the operator
    /// states included. Calls in flight finish uncounted by the policy.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.force_open();
    /// breaker.reset();
    /// assert_eq!(breaker.state(), State::Closed);
    /// assert_eq!(breaker.stats().rejections, 0);
    /// ```
    pub fn reset(&self) {
        let change = {
            let mut inner = lock(&self.inner);
            inner.baseline = self.counters.totals();
            inner.failed_recoveries = 0;
            // Trials still running lose their slots: their late outcomes are ignored.
            inner.trials.clear();
            self.transition(&mut inner, State::Closed, Reason::Reset)
        };
        self.emit(change);
    }

    /// Operator switch: rejects every call until [`reset`](Self::reset).
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.force_open();
    /// assert!(breaker.try_acquire().is_err());
    /// ```
    pub fn force_open(&self) {
        let change = {
            let mut inner = lock(&self.inner);
            self.transition(&mut inner, State::ForcedOpen, Reason::ForcedOpen)
        };
        self.emit(change);
    }

    /// Operator switch: lets every call through and keeps counting them, but never opens,
    /// until [`reset`](Self::reset).
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new().with_failure_threshold(1));
    /// breaker.disable();
    /// for _ in 0..3 {
    ///     let _ = breaker.call(|| Err::<(), _>(resilience::Error::circuit_open("x", None)));
    /// }
    /// assert_eq!(breaker.state(), State::Disabled);
    /// assert_eq!(breaker.stats().failures, 3);
    /// ```
    pub fn disable(&self) {
        let change = {
            let mut inner = lock(&self.inner);
            self.transition(&mut inner, State::Disabled, Reason::Disabled)
        };
        self.emit(change);
    }

    /// Puts the breaker in `state`, as a snapshot of it recorded it (see
    /// [`breakers::restore`](crate::breakers::restore), which does this for the registry):
    /// an open breaker (or a half-open one) stays open for `open_for`, then lets a trial
    /// call through as usual; `failed_recoveries` lengthen the open periods after it under a
    /// recovery backoff.
    ///
    /// An `open_for` longer than any open period the configuration produces (its recovery
    /// timeout, or the backoff's cap) cannot come from this configuration: a snapshot of
    /// another configuration, or a clock that disagrees with the one that took it. It is
    /// shortened to that longest period, and returned as [`Restored::Shortened`]. Each new
    /// configuration ([`reconfigure`](Self::reconfigure)) judges the restored end again,
    /// while it runs.
    ///
    /// A restore is one step as callers see it: the open period's end is written before
    /// the state is, so a call racing it either goes through as before or is rejected
    /// until the restored end.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{BreakerConfig, CircuitBreaker, Restored, State};
    ///
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new()); // open 60 s at most
    /// let day = Duration::from_secs(86_400);
    /// assert_eq!(
    ///     breaker.restore(State::Open, day, 0),
    ///     Restored::Shortened { asked: day, allowed: Duration::from_secs(60) }
    /// );
    /// assert_eq!(breaker.state(), State::Open);
    /// assert!(breaker.stats().until_half_open.unwrap() <= Duration::from_secs(60));
    /// assert_eq!(breaker.restore(State::Closed, Duration::ZERO, 0), Restored::AsSaved);
    /// ```
    pub fn restore(&self, state: State, open_for: Duration, failed_recoveries: u32) -> Restored {
        let (change, restored) = self.restore_quietly(state, open_for, failed_recoveries);
        self.emit(change);
        restored
    }

    /// [`restore`](Self::restore), leaving the state change for the caller to
    /// [`emit`](Self::emit): the registry restores a breaker before others can see it.
    pub(crate) fn restore_quietly(
        &self,
        state: State,
        open_for: Duration,
        failed_recoveries: u32,
    ) -> (Option<StateChange>, Restored) {
        let mut inner = lock(&self.inner);
        let to = match state {
            State::HalfOpen => State::Open,
            other => other,
        };
        let (change, restored) = if to == State::Open {
            let now = self.now_nanos();
            let end = RestoredEnd {
                word: 0,
                at: now,
                asked: now.saturating_add(nanos(open_for)),
            };
            let until = end.end(&inner.config);
            // One step: the end is written before the state word publishes it.
            let change = self.transition_until(&mut inner, to, Reason::Restored, Some(until));
            inner.restored = Some(RestoredEnd {
                word: self.word.load(Relaxed),
                ..end
            });
            (change, self.restored_now(&inner))
        } else {
            let change = self.transition(&mut inner, to, Reason::Restored);
            (change, Restored::AsSaved)
        };
        inner.failed_recoveries = failed_recoveries;
        (change, restored)
    }

    /// Whether the open period a restore started, still running, was shortened by the
    /// configuration in force.
    pub(crate) fn restored(&self) -> Restored {
        self.restored_now(&lock(&self.inner))
    }

    fn restored_now(&self, inner: &Inner) -> Restored {
        match inner.restored {
            Some(r) if r.word == self.word.load(Relaxed) && r.end(&inner.config) != r.asked => {
                Restored::Shortened {
                    asked: Duration::from_nanos(r.asked.saturating_sub(r.at)),
                    allowed: inner.config.longest_open_duration(),
                }
            }
            _ => Restored::AsSaved,
        }
    }

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
        let state = State::of_word(word);
        let now = self.now_nanos();
        let counts = self.counters.totals().since(inner.baseline);
        let total = self.calls_counted(&inner);
        BreakerStats {
            name: Arc::clone(&self.name),
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
                .and_then(|(policy, window)| window.rate(&policy, now, total)),
            until_half_open: (state == State::Open)
                .then(|| Duration::from_nanos(self.open_until.load(Relaxed).saturating_sub(now))),
            trials_in_flight: u32::try_from(inner.trials.len()).unwrap_or(u32::MAX),
            failed_recoveries: inner.failed_recoveries,
            generation: word >> TAG_BITS,
            adaptive: inner.config.adaptive.zip(inner.throttle.as_ref()).map(
                |(adaptive, window)| {
                    let (requests, rejected) = window.totals(now, total);
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

    /// Calls `listener` after every state change of this breaker, outside any lock. A
    /// listener that panics is ignored (its panic is caught), and the breaker carries on.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.on_state_change(|change| eprintln!("{change}"));
    /// breaker.force_open(); // prints "circuit breaker `a`: closed -> forced-open (forced open)"
    /// ```
    pub fn on_state_change(&self, listener: impl Fn(&StateChange) + Send + Sync + 'static) {
        lock(&self.listeners).push(Arc::new(listener));
    }

    /// Asks to make one call. On `Ok`, make the call and report its outcome through the
    /// [`Permit`]; on `Err` ([`Error::CircuitOpen`]), do not make it.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let permit = breaker.try_acquire().expect("closed");
    /// let result: Result<u32, std::io::Error> = Ok(7);
    /// permit.record(&result, |_| true);
    /// assert_eq!(breaker.stats().successes, 1);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Error> {
        let word = self.word.load(Acquire);
        if word & TAG_MASK == CLOSED {
            let flags = self.flags.load(Relaxed);
            if flags & THROTTLING == 0 {
                return Ok(self.grant(word, flags));
            }
        }
        self.try_acquire_slow(word)
    }

    /// [`try_acquire`](Self::try_acquire)'s closed-state path alone: `None` when the call
    /// must go through the slow path (any other state, or a throttle). An `Option` of a permit
    /// keeps the permit's three words apart, so that code holding the permit across an
    /// `.await` stores them from registers rather than copying a `Result` from memory.
    #[doc(hidden)]
    #[inline(always)]
    pub fn try_acquire_closed(&self) -> Option<Permit<'_>> {
        let word = self.word.load(Acquire);
        if word & TAG_MASK == CLOSED {
            let flags = self.flags.load(Relaxed);
            if flags & THROTTLING == 0 {
                return Some(self.grant(word, flags));
            }
        }
        None
    }

    #[inline(never)]
    fn try_acquire_slow(&self, mut word: u64) -> Result<Permit<'_>, Error> {
        loop {
            match word & TAG_MASK {
                CLOSED => {
                    let flags = self.flags.load(Relaxed);
                    if flags & THROTTLING == 0 {
                        return Ok(self.grant(word, flags));
                    }
                    match self.throttle(word) {
                        Some(Ok(())) => return Ok(self.grant(word, flags)),
                        Some(Err(error)) => return Err(error),
                        None => {
                            word = self.word.load(Acquire);
                            continue;
                        }
                    }
                }
                DISABLED => return Ok(self.grant(word, self.flags.load(Relaxed))),
                FORCED_OPEN => return Err(self.reject(None)),
                OPEN => {
                    let until = self.open_until.load(Relaxed);
                    let now = self.now_nanos();
                    if now < until {
                        return Err(self.reject(Some(Duration::from_nanos(until - now))));
                    }
                }
                _ => {}
            }
            // Open past its period, or half-open: decided behind the lock.
            let (result, changes) = {
                let mut inner = lock(&self.inner);
                let current = self.word.load(Relaxed);
                if current != word {
                    word = current;
                    continue;
                }
                let now = self.now_nanos();
                let mut changes = [None, None];
                // Trials whose time is up give their slots back; if one of this half-open
                // period's did, the breaker opens again.
                if inner.trials.len() >= inner.config.half_open_max_calls as usize {
                    changes[0] = self.expire_trials(&mut inner, now);
                }
                let result = if State::of_word(self.word.load(Relaxed)) == State::Open {
                    let until = self.open_until.load(Relaxed);
                    if changes[0].is_some() || now < until {
                        // Opened again just now: the next trial waits for the new period.
                        Err(Some(Duration::from_nanos(until.saturating_sub(now))))
                    } else {
                        changes[1] = self.transition(
                            &mut inner,
                            State::HalfOpen,
                            Reason::RecoveryTimeoutElapsed,
                        );
                        self.admit_trial(&mut inner, now)
                    }
                } else {
                    self.admit_trial(&mut inner, now)
                };
                (result, changes)
            };
            for change in changes {
                self.emit(change);
            }
            return match result {
                Ok(trial) => Ok(Permit {
                    breaker: self,
                    word: trial.word,
                    start: trial.started,
                }),
                Err(retry_in) => Err(self.reject(retry_in)),
            };
        }
    }

    /// A trial slot while half-open, if one is free. Else a hint of when to ask again: the
    /// time until the first running trial's time is up (a slot frees then at the latest), or
    /// the recovery timeout if sooner, since trials usually answer well within their limit
    /// and asking again costs the dependency nothing; `None` if trials are not timed. Trials
    /// of an earlier half-open period that are still running hold their slots: trial calls
    /// at once never exceed the limit.
    fn admit_trial(&self, inner: &mut Inner, now: u64) -> Result<Trial, Option<Duration>> {
        if inner.trials.len() >= inner.config.half_open_max_calls as usize {
            let wait = inner.config.trial_wait().map(nanos);
            let retry_in = wait.and_then(|wait| {
                let first_end = inner
                    .trials
                    .iter()
                    .map(|t| t.started.saturating_add(wait))
                    .min()?;
                let until_free = Duration::from_nanos(first_end.saturating_sub(now));
                Some(until_free.min(inner.config.recovery_timeout))
            });
            return Err(retry_in);
        }
        // The start identifies the trial: it is made unique among those running.
        let mut started = now;
        while inner.trials.iter().any(|t| t.started == started) {
            started += 1;
        }
        let trial = Trial {
            word: self.word.load(Relaxed),
            started,
        };
        inner.trials.push(trial);
        Ok(trial)
    }

    /// Takes back the slots of trials that ran past their time; their late outcomes are
    /// ignored. Opens the breaker again if one of them was this half-open period's.
    fn expire_trials(&self, inner: &mut Inner, now: u64) -> Option<StateChange> {
        let wait = inner.config.trial_wait()?;
        let limit = nanos(wait);
        let word = self.word.load(Relaxed);
        let before = inner.trials.len();
        let mut current_expired = false;
        inner.trials.retain(|trial| {
            let expired = now.saturating_sub(trial.started) >= limit;
            current_expired |= expired && trial.word == word;
            !expired
        });
        if inner.trials.len() == before
            || !current_expired
            || State::of_word(word) != State::HalfOpen
        {
            return None;
        }
        inner.failed_recoveries = inner.failed_recoveries.saturating_add(1);
        self.transition(inner, State::Open, Reason::TrialTimedOut { waited: wait })
    }

    /// The adaptive throttle's decision for a closed-state call: `Some(Ok)` to let it
    /// through, `Some(Err)` to reject it, `None` if the breaker moved on meanwhile.
    fn throttle(&self, word: u64) -> Option<Result<(), Error>> {
        let now = self.now_nanos();
        let (rejected, change) = {
            let mut inner = lock(&self.inner);
            if self.word.load(Relaxed) != word {
                return None;
            }
            let probability = self.rejection_probability(&inner, now);
            let rejected = probability > 0.0 && inner.draw() < probability;
            let mut change = None;
            if rejected {
                inner.throttled += 1;
                let total = self.calls_counted(&inner);
                // A request that was not accepted.
                if let Some(window) = &mut inner.throttle {
                    window.record(true, now, total);
                }
                // Beside a failure rate, a rejected call is a call that did not succeed:
                // otherwise the throttle, shedding nearly every call of a dependency that is
                // down, would starve the failure rate's window of the failures that open the
                // breaker.
                let policy = inner.config.failure_rate;
                if let Some(window) = &mut inner.window {
                    window.record(true, now, total);
                    let trips = policy.and_then(|policy| window.trips(&policy, now, total));
                    if let Some(rate) = trips {
                        change =
                            self.transition(&mut inner, State::Open, Reason::FailureRate { rate });
                    }
                }
            }
            self.update_throttle(&inner, now);
            (rejected, change)
        };
        self.emit(change);
        Some(if rejected {
            Err(self.reject(None))
        } else {
            Ok(())
        })
    }

    /// Sets or clears [`CHECK_SUCCESSES`] after the failure rate's window changed. With the
    /// mutex held.
    fn update_success_checks(&self, inner: &Inner, now: u64, total: u64) {
        let pending = match (&inner.config.failure_rate, &inner.window) {
            (Some(policy), Some(window @ RateWindow::Calls { .. })) => {
                let (calls, failures) = window.totals(now, total);
                failures > 0 && calls < u64::from(policy.minimum_calls)
            }
            _ => false,
        };
        if pending {
            self.flags.fetch_or(CHECK_SUCCESSES, Relaxed);
        } else if self.flags.load(Relaxed) & CHECK_SUCCESSES != 0 {
            self.flags.fetch_and(!CHECK_SUCCESSES, Relaxed);
        }
    }

    /// Calls counted so far, by the windows' count: those that finished with an outcome
    /// (successes and failures, on the stripes) and those the throttle rejected.
    fn calls_counted(&self, inner: &Inner) -> u64 {
        let counters = &self.counters;
        counters
            .sum(|s| &s.successes)
            .wrapping_add(counters.sum(|s| &s.failures))
            .wrapping_add(inner.throttled)
    }

    /// The throttle's rejection probability now; 0 without a throttle.
    fn rejection_probability(&self, inner: &Inner, now: u64) -> f64 {
        match (&inner.config.adaptive, &inner.throttle) {
            (Some(adaptive), Some(window)) => {
                let (requests, rejected) = window.totals(now, self.calls_counted(inner));
                adaptive.rejection_probability(requests, requests - rejected)
            }
            _ => 0.0,
        }
    }

    /// Sets or clears [`THROTTLING`] after the throttle's window changed. With the mutex held.
    fn update_throttle(&self, inner: &Inner, now: u64) {
        if self.rejection_probability(inner, now) > 0.0 {
            self.flags.fetch_or(THROTTLING, Relaxed);
        } else if self.flags.load(Relaxed) & THROTTLING != 0 {
            self.flags.fetch_and(!THROTTLING, Relaxed);
        }
    }

    #[inline]
    fn grant(&self, word: u64, flags: u32) -> Permit<'_> {
        let start = if flags & NEEDS_CLOCK != 0 {
            self.now_nanos()
        } else if flags & (RATE | CHECK_SUCCESSES) != 0 {
            UNTIMED_WINDOWED
        } else {
            UNTIMED
        };
        Permit {
            breaker: self,
            word,
            start,
        }
    }

    #[cold]
    fn reject(&self, retry_in: Option<Duration>) -> Error {
        self.counters.add(|s| &s.rejections);
        crate::observe::rejected(&self.name, retry_in);
        crate::rejection::note(retry_in);
        Error::CircuitOpen {
            name: Arc::clone(&self.name),
            retry_in,
        }
    }

    /// Runs `op` through the breaker; every error counts as a failure. See
    /// [`when`](Self::when) to choose which errors count.
    ///
    /// A panic in `op` counts as a failure and goes on unwinding unchanged.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let n: Result<u32, resilience::Error> = breaker.call(|| Ok(4));
    /// assert_eq!(n.unwrap(), 4);
    /// ```
    #[inline]
    pub fn call<T, E: From<Error>>(&self, op: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.when(crate::__private::any_error).call(op)
    }

    /// Runs the future `op` through the breaker; every error counts as a failure. If the
    /// returned future is dropped before `op` finishes, the call is released uncounted.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let n: Result<u32, resilience::Error> = breaker.call_async(async { Ok(4) }).await;
    /// assert_eq!(n.unwrap(), 4);
    /// # });
    /// ```
    pub async fn call_async<T, E, F>(&self, op: F) -> Result<T, E>
    where
        E: From<Error>,
        F: Future<Output = Result<T, E>>,
    {
        self.when(crate::__private::any_error).call_async(op).await
    }

    /// The plain API with a choice of which errors count as failures: errors for which
    /// `counts` returns `false` pass through without counting.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use resilience::{BreakerConfig, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let not_found = |e: &Error| e.kind() != ErrorKind::NotFound;
    /// let _ = breaker.when(not_found).call(|| Err::<(), _>(Error::from(ErrorKind::NotFound)));
    /// assert_eq!(breaker.stats().failures, 0);
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    #[inline]
    pub fn when<P>(&self, counts: P) -> When<'_, P> {
        When {
            breaker: self,
            counts,
        }
    }

    fn now_nanos(&self) -> u64 {
        nanos(Instant::now().saturating_duration_since(self.base))
    }

    /// Moves to `to`; `None` when it was already there (the generation still moves on, so
    /// that calls in flight no longer steer the state).
    fn transition(&self, inner: &mut Inner, to: State, reason: Reason) -> Option<StateChange> {
        self.transition_until(inner, to, reason, None)
    }

    /// [`transition`](Self::transition); to open, until `until` (nanoseconds since `base`)
    /// rather than for the configuration's open period. The end is written before the state
    /// word, whose `Release` store publishes both.
    fn transition_until(
        &self,
        inner: &mut Inner,
        to: State,
        reason: Reason,
        until: Option<u64>,
    ) -> Option<StateChange> {
        let old = self.word.load(Relaxed);
        let from = State::of_word(old);
        let generation = (old >> TAG_BITS) + 1;
        let at = Instant::now();
        inner.restored = None;
        match to {
            State::Open => {
                let until = until.unwrap_or_else(|| {
                    let open_for = inner.config.open_duration(inner.failed_recoveries);
                    nanos(at.saturating_duration_since(self.base)).saturating_add(nanos(open_for))
                });
                self.open_until.store(until, Relaxed);
            }
            State::Closed => {
                self.consecutive.store(0, Relaxed);
                inner.failed_recoveries = 0;
                let total = self.calls_counted(inner);
                if let Some(window) = &mut inner.window {
                    window.clear(total);
                }
                // A closed breaker starts afresh: so does its throttle.
                if let Some(window) = &mut inner.throttle {
                    window.clear(total);
                }
                self.flags
                    .fetch_and(!(THROTTLING | CHECK_SUCCESSES), Relaxed);
            }
            _ => {}
        }
        inner.trial_successes = 0;
        inner.since = at;
        self.word.store(generation << TAG_BITS | to.tag(), Release);
        (from != to).then(|| StateChange {
            breaker: Arc::clone(&self.name),
            from,
            to,
            reason,
            at,
            generation,
        })
    }

    /// Tells the listeners about `change`, with no lock held.
    pub(crate) fn emit(&self, change: Option<StateChange>) {
        let Some(change) = change else { return };
        crate::observe::state_change(&change);
        let mut listeners = lock(&self.listeners).clone();
        if self.registered {
            listeners.extend(crate::registry::global_listeners());
        }
        for listener in listeners {
            // A listener's panic must not reach the call that happened to trigger the change.
            let _ = catch_unwind(AssertUnwindSafe(|| listener(&change)));
        }
    }

    /// Reports the outcome of the call a permit was given for.
    #[inline]
    fn finish(&self, word: u64, start: u64, outcome: Outcome) {
        // The closed-state success path, lock-free and inlined into the caller. `UNTIMED` says
        // the call was neither timed nor bound for a window when it was let through.
        if word & TAG_MASK == CLOSED && start == UNTIMED && outcome == Outcome::Success {
            self.counters.add(|s| &s.successes);
            // One load when nothing failed lately.
            if self.consecutive.load(Relaxed) != 0 && self.word.load(Relaxed) == word {
                self.consecutive.store(0, Relaxed);
            }
            return;
        }
        self.finish_slow(word, start, outcome);
    }

    #[inline(never)]
    fn finish_slow(&self, word: u64, start: u64, mut outcome: Outcome) {
        let mut now = None;
        if start < UNTIMED_WINDOWED && outcome != Outcome::Released {
            let end = self.now_nanos();
            now = Some(end);
            let slow = self.slow_nanos.load(Relaxed);
            if slow != NO_SLOW && end.saturating_sub(start) >= slow {
                self.counters.add(|s| &s.slow_calls);
                outcome = Outcome::Failure;
            }
        }
        match outcome {
            Outcome::Success => self.counters.add(|s| &s.successes),
            Outcome::Failure => self.counters.add(|s| &s.failures),
            Outcome::Released => self.counters.add(|s| &s.uncounted),
        }
        match word & TAG_MASK {
            CLOSED => self.finish_closed(word, outcome, now),
            HALF_OPEN => self.finish_trial(word, start, outcome),
            _ => {}
        }
    }

    fn finish_closed(&self, word: u64, outcome: Outcome, now: Option<u64>) {
        let flags = self.flags.load(Relaxed);
        let rate = flags & (RATE | CHECK_SUCCESSES) != 0;
        let windowed = flags & (RATE | FAILURES) != 0;
        let mut counted = false;
        match outcome {
            Outcome::Released => return,
            Outcome::Success if !rate => {
                if self.consecutive.load(Relaxed) != 0 && self.word.load(Relaxed) == word {
                    self.consecutive.store(0, Relaxed);
                }
                return;
            }
            Outcome::Failure if !windowed => {
                if self.word.load(Acquire) != word {
                    return; // the breaker moved on while the call ran
                }
                let count = self.consecutive.fetch_add(1, Relaxed).saturating_add(1);
                let threshold = self.threshold.load(Relaxed);
                if threshold == 0 || count < threshold {
                    return;
                }
                counted = true;
            }
            _ => {}
        }
        let change = {
            let mut inner = lock(&self.inner);
            if self.word.load(Relaxed) != word {
                return;
            }
            let failure = outcome == Outcome::Failure;
            if !counted {
                if failure {
                    self.consecutive.fetch_add(1, Relaxed);
                } else {
                    self.consecutive.store(0, Relaxed);
                }
            }
            let now = now.unwrap_or_else(|| self.now_nanos());
            let total = self.calls_counted(&inner);
            let policy = inner.config.failure_rate;
            if let Some(window) = &mut inner.window {
                window.record(failure, now, total);
            }
            if let Some(throttle) = &mut inner.throttle {
                throttle.record(failure, now, total);
                self.update_throttle(&inner, now);
            }
            self.update_success_checks(&inner, now, total);
            let count = self.consecutive.load(Relaxed);
            let reason = if failure
                && inner.config.consecutive_policy()
                && count >= inner.config.failure_threshold
            {
                Some(Reason::ConsecutiveFailures { count })
            } else {
                policy
                    .zip(inner.window.as_ref())
                    .and_then(|(policy, window)| window.trips(&policy, now, total))
                    .map(|rate| Reason::FailureRate { rate })
            };
            match reason {
                Some(reason) => self.transition(&mut inner, State::Open, reason),
                None => return,
            }
        };
        self.emit(change);
    }

    fn finish_trial(&self, word: u64, started: u64, outcome: Outcome) {
        let change = {
            let mut inner = lock(&self.inner);
            let trial = Trial { word, started };
            let Some(index) = inner.trials.iter().position(|t| *t == trial) else {
                return; // its time was up, or the breaker was reset: its slot is gone
            };
            inner.trials.swap_remove(index);
            if self.word.load(Relaxed) != word {
                return; // a trial of an earlier half-open period: it no longer decides
            }
            match outcome {
                Outcome::Released => return,
                Outcome::Success => {
                    inner.trial_successes += 1;
                    let successes = inner.trial_successes;
                    if successes < inner.config.success_threshold {
                        return;
                    }
                    self.transition(
                        &mut inner,
                        State::Closed,
                        Reason::TrialsSucceeded { successes },
                    )
                }
                Outcome::Failure => {
                    inner.failed_recoveries = inner.failed_recoveries.saturating_add(1);
                    self.transition(&mut inner, State::Open, Reason::TrialFailed)
                }
            }
        };
        self.emit(change);
    }
}

/// The right to make one call through a [`CircuitBreaker`], from
/// [`CircuitBreaker::try_acquire`]. Report the call's outcome with [`record`](Self::record),
/// [`success`](Self::success) or [`failure`](Self::failure).
///
/// A permit dropped without a report is never lost: while the thread panics it counts as a
/// failure; otherwise (a future dropped, a task cancelled) it is released uncounted, and a
/// half-open trial slot it held is freed. A permit is `Send + Sync`, so it can be held across
/// an `.await`.
///
/// ```
/// # use resilience::{BreakerConfig, CircuitBreaker};
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
/// drop(breaker.try_acquire().unwrap());
/// assert_eq!(breaker.stats().uncounted, 1);
/// ```
#[must_use = "a permit is for one call: report its outcome, or drop it to release it uncounted"]
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    word: u64,
    /// When the call started, in nanoseconds on the breaker's clock, if it is timed.
    start: u64,
}

impl Permit<'_> {
    /// Reports a call's result: `Ok` is a success, an `Err` for which `counts` is `true` a
    /// failure, any other `Err` is released uncounted.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let result: Result<(), u16> = Err(404);
    /// breaker.try_acquire().unwrap().record(&result, |status| *status >= 500);
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    pub fn record<T, E>(self, result: &Result<T, E>, counts: impl Fn(&E) -> bool) {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) if counts(e) => Outcome::Failure,
            Err(_) => Outcome::Released,
        };
        self.finish(outcome);
    }

    /// Reports `result`'s outcome as [`record`](Self::record) does and gives the result
    /// back, taken apart and put back together rather than borrowed: a result borrowed for
    /// the report stays in memory and is then copied whole, and the copy's wide loads stall
    /// on the narrow stores that just wrote it.
    #[inline]
    fn report<T, E>(self, result: Result<T, E>, counts: impl Fn(&E) -> bool) -> Result<T, E> {
        match result {
            Ok(value) => {
                self.success();
                Ok(value)
            }
            Err(error) => {
                if counts(&error) {
                    self.failure();
                } else {
                    self.release();
                }
                Err(error)
            }
        }
    }

    /// Reports a success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().success();
    /// assert_eq!(breaker.stats().successes, 1);
    /// ```
    #[inline]
    pub fn success(self) {
        self.finish(Outcome::Success);
    }

    /// Reports a failure.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.stats().failures, 1);
    /// ```
    #[inline]
    pub fn failure(self) {
        self.finish(Outcome::Failure);
    }

    /// Releases the permit without counting the call, as dropping it does outside a panic.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().release();
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    #[inline]
    pub fn release(self) {
        self.finish(Outcome::Released);
    }

    /// Whether this is a half-open trial call.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// assert!(!breaker.try_acquire().unwrap().is_trial());
    /// ```
    pub fn is_trial(&self) -> bool {
        State::of_word(self.word) == State::HalfOpen
    }

    /// The state the breaker was in when it gave the permit.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// assert_eq!(breaker.try_acquire().unwrap().state(), State::Closed);
    /// ```
    pub fn state(&self) -> State {
        State::of_word(self.word)
    }

    /// Reports the outcome once: the permit is consumed without running its `Drop`.
    ///
    /// No flag marks a reported permit: a flag would make the permit a 25-byte value whose
    /// copies, byte by byte, stall the reload that follows the user's call (measured in
    /// `cargo bench -p resilience-benches --bench breaker`).
    #[inline]
    fn finish(self, outcome: Outcome) {
        let permit = std::mem::ManuallyDrop::new(self);
        permit.breaker.finish(permit.word, permit.start, outcome);
    }
}

impl Drop for Permit<'_> {
    /// A permit dropped unreported: the call panicked, or its future was dropped.
    #[inline]
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            Outcome::Failure
        } else {
            Outcome::Released
        };
        self.breaker.finish(self.word, self.start, outcome);
    }
}

/// A breaker with a choice of which errors count, from [`CircuitBreaker::when`].
///
/// ```
/// use resilience::{BreakerConfig, CircuitBreaker};
///
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new().with_failure_threshold(1));
/// let transient = |e: &resilience::Error| e.is_timeout();
/// let guarded = breaker.when(transient);
/// let _ = guarded.call(|| Err::<(), _>(resilience::Error::circuit_open("x", None)));
/// assert_eq!(breaker.state(), resilience::State::Closed); // did not count
/// ```
#[derive(Debug, Clone, Copy)]
pub struct When<'a, P> {
    breaker: &'a CircuitBreaker,
    counts: P,
}

impl<P> When<'_, P> {
    /// As [`CircuitBreaker::call`], counting only the errors `counts` accepts.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let r: Result<(), resilience::Error> = breaker.when(|_: &resilience::Error| true).call(|| Ok(()));
    /// assert!(r.is_ok());
    /// ```
    #[inline]
    pub fn call<T, E>(&self, op: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
    {
        let permit = match self.breaker.try_acquire_closed() {
            Some(permit) => permit,
            None => self.breaker.try_acquire()?,
        };
        permit.report(op(), &self.counts)
    }

    /// As [`CircuitBreaker::call_async`], counting only the errors `counts` accepts.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let r: Result<(), resilience::Error> =
    ///     breaker.when(|_: &resilience::Error| true).call_async(async { Ok(()) }).await;
    /// assert!(r.is_ok());
    /// # });
    /// ```
    pub async fn call_async<T, E, F>(&self, op: F) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        let permit = match self.breaker.try_acquire_closed() {
            Some(permit) => permit,
            None => self.breaker.try_acquire()?,
        };
        permit.report(op.await, &self.counts)
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
