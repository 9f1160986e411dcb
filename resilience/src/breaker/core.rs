//! The breaker itself: its atomics and the state behind its mutex, how it is made and
//! configured, the operator's switches, and the transitions between states, which are
//! decided behind the mutex and told to listeners after it is released.

use std::{
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use tokio::time::Instant;

use super::{
    config::{BreakerConfig, Window},
    keyed::FamilyLink,
    restore::RestoredEnd,
    stats::{Counters, Stripe, Tally},
    sync::{
        AtomicU32, AtomicU64, Mutex, MutexGuard,
        Ordering::{Acquire, Relaxed, Release},
    },
    window::{Counted, RateWindow},
    word::{self, CLOSED},
};
use crate::{Reason, State, StateChange};

/// A listener of state changes.
pub(crate) type Listener = Arc<dyn Fn(&StateChange) + Send + Sync>;

/// Listeners shared by many breakers, read at each state change: the registry's global ones,
/// handed to each breaker it makes, so that listeners added later hear every breaker.
#[derive(Default)]
pub(crate) struct Listeners(RwLock<Vec<Listener>>);

impl Listeners {
    /// No listener yet; `const`, for a `static`.
    pub(crate) const fn new() -> Self {
        Listeners(RwLock::new(Vec::new()))
    }

    /// Adds `listener`.
    pub(crate) fn push(&self, listener: Listener) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }

    /// The listeners, cloned so that they run with no lock held.
    pub(super) fn snapshot(&self) -> Vec<Listener> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What the mutex guards.
#[derive(Debug)]
pub(super) struct Inner {
    pub(super) config: BreakerConfig,
    pub(super) window: Option<RateWindow>,
    /// The adaptive throttle's window: requests, and those not accepted as "failures".
    pub(super) throttle: Option<RateWindow>,
    /// Trial calls running, of this half-open period or an earlier one.
    pub(super) trials: Vec<Trial>,
    pub(super) trial_successes: u32,
    pub(super) failed_recoveries: u32,
    pub(super) since: Instant,
    /// The throttle's draws so far: the `n` of its low-discrepancy sequence.
    pub(super) draws: u64,
    /// The counts at the last reset, which the statistics subtract.
    pub(super) baseline: Tally,
    /// Calls the throttle rejected: they count in its window, and in a failure rate's.
    pub(super) throttled: u64,
    /// The open period a restore put the breaker in, while it lasts: judged again against
    /// each new configuration.
    pub(super) restored: Option<RestoredEnd>,
}

/// A trial call running: its permit's word and start, which identify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Trial {
    pub(super) word: u64,
    pub(super) started: u64,
}

/// `flags`: a call must be timed (slow-call threshold, or a throttle's time window).
pub(super) const NEEDS_CLOCK: u32 = 1;
/// `flags`: a throttle's time window is on; every outcome goes to it (and to a failure
/// rate's window), behind the mutex.
pub(super) const RATE: u32 = 2;
/// `flags`: a window is on that takes failures behind the mutex: a count window (successes
/// are read from the stripes' count), or a failure rate's time window (successes are placed
/// by the stripes, see [`PLACE_SUCCESSES`]).
pub(super) const FAILURES: u32 = 8;
/// `flags`: a failure rate's window holds failures but fewer calls than its minimum, so the
/// success that brings it to the minimum may trip it: successes go to the mutex until it
/// does. Set and cleared with the mutex held.
pub(super) const CHECK_SUCCESSES: u32 = 16;
/// `flags`: the throttle rejects some calls now; closed-state acquisitions go to the mutex.
/// Set and cleared with the mutex held; kept by [`CircuitBreaker::reconfigure`].
pub(super) const THROTTLING: u32 = 4;
/// `flags`: a failure rate's time window is on, without a throttle's: a success is added to
/// its thread's stripe, which places it in time (see
/// [`Placement`](super::window::Placement)), with no lock and no clock read per call.
pub(super) const PLACE_SUCCESSES: u32 = 32;
/// `flags`: the counters are [compact](super::stats::Counters::compact), one stripe shared by
/// every thread (a keyed breaker's): a success takes the slow path, which adds to it
/// atomically, so that the closed-state success path of every other breaker indexes its
/// thread's own stripe without checking.
pub(super) const SHARED_STRIPE: u32 = 64;
/// `Permit::start`: the call is not timed, and no window waits for its outcome.
pub(super) const UNTIMED: u64 = u64::MAX;
/// `Permit::start`: the call is not timed; a success is placed in the time window by its
/// stripe, without the lock.
pub(super) const UNTIMED_PLACED: u64 = u64::MAX - 1;
/// `Permit::start`: the call is not timed, but a window waits for its outcome behind the
/// mutex: it takes the slow path. The smallest of the sentinels.
pub(super) const UNTIMED_WINDOWED: u64 = u64::MAX - 2;
/// The most successes a stripe holds before it reads the clock to place them.
pub(super) const MAX_STRIDE: u64 = 64;
/// `slow_nanos`: no slow-call threshold.
pub(super) const NO_SLOW: u64 = u64::MAX;

pub(super) fn nanos(d: Duration) -> u64 {
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
    pub(super) name: Arc<str>,
    /// `generation << 8 | state tag`. Stored (`Release`) only with `inner` locked; loaded
    /// (`Acquire`) without it.
    pub(super) word: AtomicU64,
    /// Failures in a row while closed.
    pub(super) consecutive: AtomicU32,
    /// The consecutive-failures threshold, `0` when that policy is off.
    pub(super) threshold: AtomicU32,
    /// `NEEDS_CLOCK | RATE | FAILURES | CHECK_SUCCESSES | THROTTLING | PLACE_SUCCESSES |
    /// SHARED_STRIPE`.
    pub(super) flags: AtomicU32,
    /// The slices of a failure rate's time window, in nanoseconds, while
    /// [`PLACE_SUCCESSES`] is set; 0 otherwise.
    pub(super) slice_width: AtomicU64,
    pub(super) slow_nanos: AtomicU64,
    /// End of the open period, in nanoseconds since `base`. Written before the state word.
    pub(super) open_until: AtomicU64,
    pub(super) counters: Counters,
    pub(super) base: Instant,
    /// The global listeners, for a breaker of the registry.
    pub(super) global: Option<&'static Listeners>,
    /// A keyed breaker's key, as its family names it (see [`KeyedBreaker`](crate::KeyedBreaker)).
    pub(super) key: Option<Arc<str>>,
    /// A keyed breaker's family: its listeners, and whether logs and metrics name the key.
    pub(super) family: Option<Arc<FamilyLink>>,
    pub(super) inner: Mutex<Inner>,
    pub(super) listeners: Mutex<Vec<Listener>>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
        Self::build(name.into(), config, None, None, Counters::new())
    }

    /// A breaker that `global` hears besides its own listeners: the registry hands each of
    /// its breakers its global listeners when it makes them, so that the breaker needs
    /// nothing of the registry.
    pub(crate) fn with_global_listeners(
        name: Arc<str>,
        config: BreakerConfig,
        global: &'static Listeners,
    ) -> Self {
        Self::build(name, config, Some(global), None, Counters::new())
    }

    /// The breaker of `key` in a family named `name`: its counters on one stripe that every
    /// thread shares (a family holds many breakers, most of them used by few threads at
    /// once, and the per-thread stripes would be most of each one's memory), its changes
    /// heard by the family's listeners.
    pub(crate) fn keyed(
        name: Arc<str>,
        key: Arc<str>,
        config: BreakerConfig,
        family: Arc<FamilyLink>,
    ) -> Self {
        Self::build(name, config, None, Some((key, family)), Counters::compact())
    }

    fn build(
        name: Arc<str>,
        config: BreakerConfig,
        global: Option<&'static Listeners>,
        keyed: Option<(Arc<str>, Arc<FamilyLink>)>,
        counters: Counters,
    ) -> Self {
        let base = Instant::now();
        let (key, family) = keyed.unzip();
        let breaker = CircuitBreaker {
            name,
            word: AtomicU64::new(CLOSED),
            consecutive: AtomicU32::new(0),
            threshold: AtomicU32::new(0),
            flags: AtomicU32::new(0),
            slice_width: AtomicU64::new(0),
            slow_nanos: AtomicU64::new(NO_SLOW),
            open_until: AtomicU64::new(0),
            counters,
            base,
            global,
            key,
            family,
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

    /// The key of a breaker of a [`KeyedBreaker`](crate::KeyedBreaker) family; `None` for any
    /// other breaker.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, KeyedBreaker, KeyedConfig};
    /// assert_eq!(CircuitBreaker::new("a", BreakerConfig::new()).key(), None);
    /// let shards = KeyedBreaker::new("shards", BreakerConfig::new(), KeyedConfig::new());
    /// assert_eq!(shards.breaker(&7).key(), Some("7"));
    /// ```
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The key as logs and metrics may name it: a keyed breaker's key when its family was
    /// asked to label them with it, else `None`. Always `None` without the `tracing` and
    /// `metrics` features, where nothing reads it: the family's switch is an atomic load,
    /// which the compiler would otherwise keep on the rejection path.
    #[inline]
    pub(crate) fn key_label(&self) -> Option<&str> {
        if cfg!(not(any(feature = "tracing", feature = "metrics"))) {
            return None;
        }
        self.family
            .as_ref()
            .filter(|family| family.key_labels())
            .and(self.key.as_deref())
    }

    /// The current state. An open breaker reports [`State::Open`] until the first call after
    /// its open period, which makes it half-open.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// assert_eq!(CircuitBreaker::new("a", BreakerConfig::new()).state(), State::Closed);
    /// ```
    pub fn state(&self) -> State {
        word::state(self.word.load(Acquire))
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
        let now = self.now_nanos();
        if old_window != new_window || inner.window.is_none() {
            inner.window = new_window.map(|w| RateWindow::new(w, now, total));
        }
        let old_throttle = inner.config.adaptive.map(|a| a.window);
        let new_throttle = config.adaptive.map(|a| a.window);
        if old_throttle != new_throttle || inner.throttle.is_none() {
            inner.throttle = new_throttle.map(|w| RateWindow::new(w, now, total));
        }
        inner.config = config;
        let threshold = if config.consecutive_policy() {
            config.failure_threshold.max(1)
        } else {
            0
        };
        // A throttle's time window takes every outcome behind the mutex, and a failure
        // rate's beside it then does too; alone, a failure rate's time window has its
        // successes placed by the stripes.
        let throttle_time = matches!(new_throttle, Some(Window::Time(_)));
        let place = !throttle_time && matches!(new_window, Some(Window::Time(_)));
        let count_window = matches!(new_window, Some(Window::Calls(_)))
            || matches!(new_throttle, Some(Window::Calls(_)));
        let timed = config.slow_call.is_some() || throttle_time;
        let flags = if timed { NEEDS_CLOCK } else { 0 }
            | if throttle_time { RATE } else { 0 }
            | if count_window || place { FAILURES } else { 0 }
            | if place { PLACE_SUCCESSES } else { 0 }
            | if self.counters.is_compact() {
                SHARED_STRIPE
            } else {
                0
            };
        let width = inner.window.as_ref().and_then(RateWindow::slice_width);
        self.slice_width
            .store(if place { width.unwrap_or(0) } else { 0 }, Relaxed);
        self.threshold.store(threshold, Relaxed);
        self.slow_nanos
            .store(config.slow_call.map_or(NO_SLOW, nanos), Relaxed);
        // The dynamic flags are kept until their windows are looked at below, so that a
        // call racing this one is never let past a throttle that was rejecting, nor a
        // success past the trip check it needs.
        let dynamic = self.flags.load(Relaxed) & (THROTTLING | CHECK_SUCCESSES);
        self.flags.store(flags | dynamic, Relaxed);
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
        // The dynamic flags follow their windows, which may have changed: set or cleared.
        self.update_throttle(&inner, now);
        let counted = self.counted(&inner, now);
        self.update_success_checks(&inner, now, counted);
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

    /// Calls counted so far, by the windows' count: those that finished with an outcome
    /// (successes and failures, on the stripes) and those the throttle rejected.
    pub(super) fn calls_counted(&self, inner: &Inner) -> u64 {
        let counters = &self.counters;
        counters
            .sum(|s| &s.successes)
            .wrapping_add(counters.sum(|s| &s.failures))
            .wrapping_add(inner.throttled)
    }

    /// What the windows read beside what they hold: the calls counted so far, and the
    /// successes the stripes hold for a failure rate's time window. With the mutex held.
    pub(super) fn counted(&self, inner: &Inner, now: u64) -> Counted {
        let calls = self.calls_counted(inner);
        let unplaced = match &inner.window {
            Some(window) if self.flags.load(Relaxed) & PLACE_SUCCESSES != 0 => {
                window.unplaced(now, self.counters.stripes.iter().map(Stripe::placement))
            }
            _ => 0,
        };
        Counted { calls, unplaced }
    }

    pub(super) fn now_nanos(&self) -> u64 {
        nanos(Instant::now().saturating_duration_since(self.base))
    }

    /// Moves to `to`; `None` when it was already there (the generation still moves on, so
    /// that calls in flight no longer steer the state).
    pub(super) fn transition(
        &self,
        inner: &mut Inner,
        to: State,
        reason: Reason,
    ) -> Option<StateChange> {
        self.transition_until(inner, to, reason, None)
    }

    /// [`transition`](Self::transition); to open, until `until` (nanoseconds since `base`)
    /// rather than for the configuration's open period. The end is written before the state
    /// word, whose `Release` store publishes both.
    pub(super) fn transition_until(
        &self,
        inner: &mut Inner,
        to: State,
        reason: Reason,
        until: Option<u64>,
    ) -> Option<StateChange> {
        let old = self.word.load(Relaxed);
        let from = word::state(old);
        let generation = word::generation(old) + 1;
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
                let now = nanos(at.saturating_duration_since(self.base));
                if let Some(window) = &mut inner.window {
                    window.clear(now, total);
                }
                // A closed breaker starts afresh: so does its throttle.
                if let Some(window) = &mut inner.throttle {
                    window.clear(now, total);
                }
                self.flags
                    .fetch_and(!(THROTTLING | CHECK_SUCCESSES), Relaxed);
            }
            _ => {}
        }
        inner.trial_successes = 0;
        inner.since = at;
        self.word.store(word::word(generation, to), Release);
        (from != to).then(|| StateChange {
            breaker: Arc::clone(&self.name),
            key: self.key.clone(),
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
        crate::observe::state_change(&change, self.key_label().is_some());
        let mut listeners = lock(&self.listeners).clone();
        if let Some(global) = self.global {
            listeners.extend(global.snapshot());
        }
        if let Some(family) = &self.family {
            family.extend(&mut listeners);
        }
        for listener in listeners {
            // A listener's panic must not reach the call that happened to trigger the change.
            let _ = catch_unwind(AssertUnwindSafe(|| listener(&change)));
        }
    }
}
