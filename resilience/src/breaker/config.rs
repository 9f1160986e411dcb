//! The breaker's configuration: plain data, buildable in a `const`.

use std::time::Duration;

use resilience_settings::breaker::Setting;

/// The largest count-based window, in calls: a window keeps one byte per call. The settings'
/// rule, which the attribute, the environment and files refuse values beyond.
pub(crate) const MAX_WINDOW_CALLS: u32 = resilience_settings::breaker::MAX_WINDOW_CALLS;

/// The shortest time-based window, as the settings' rule says.
const MIN_WINDOW_TIME: Duration = resilience_settings::breaker::MIN_WINDOW_TIME;

/// The recovery timeout unless set: the one the settings' rules compare `max_recovery_timeout`
/// with.
const DEFAULT_RECOVERY_TIMEOUT: Duration = resilience_settings::breaker::DEFAULT_RECOVERY_TIMEOUT;

/// One setting of a [`BreakerConfig`], as a `with_*` builder writes it: see
/// [`BreakerConfig::is_explicit`]. The failure rate covers its window and minimum number of
/// calls, and the recovery backoff its cap, as their builders set them together.
///
/// ```
/// use resilience::config::BreakerSetting;
/// assert_eq!(BreakerSetting::RecoveryTimeout.env_suffix(), "RECOVERY_TIMEOUT");
/// assert_eq!(BreakerSetting::RecoveryTimeout.key(), "recovery_timeout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BreakerSetting {
    /// [`BreakerConfig::with_failure_threshold`].
    FailureThreshold,
    /// [`BreakerConfig::with_recovery_timeout`].
    RecoveryTimeout,
    /// [`BreakerConfig::with_half_open_max_calls`].
    HalfOpenMaxCalls,
    /// [`BreakerConfig::with_success_threshold`].
    SuccessThreshold,
    /// [`BreakerConfig::with_failure_rate`]: rate, window and minimum calls.
    FailureRate,
    /// [`BreakerConfig::with_slow_call`].
    SlowCall,
    /// [`BreakerConfig::with_recovery_backoff`]: factor and cap.
    RecoveryBackoff,
    /// [`BreakerConfig::with_adaptive`]: the multiplier and its window.
    Adaptive,
    /// [`BreakerConfig::with_max_trial_wait`].
    MaxTrialWait,
}

impl BreakerSetting {
    /// Every setting, in the order of the attribute's argument table.
    ///
    /// ```
    /// use resilience::config::BreakerSetting;
    /// assert!(BreakerSetting::ALL.contains(&BreakerSetting::Adaptive));
    /// ```
    pub const ALL: [BreakerSetting; 9] = [
        BreakerSetting::FailureThreshold,
        BreakerSetting::RecoveryTimeout,
        BreakerSetting::HalfOpenMaxCalls,
        BreakerSetting::SuccessThreshold,
        BreakerSetting::FailureRate,
        BreakerSetting::SlowCall,
        BreakerSetting::RecoveryBackoff,
        BreakerSetting::Adaptive,
        BreakerSetting::MaxTrialWait,
    ];

    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The attribute argument (and configuration file key) that writes it.
    ///
    /// ```
    /// use resilience::config::BreakerSetting;
    /// assert_eq!(BreakerSetting::HalfOpenMaxCalls.key(), "half_open_max_calls");
    /// ```
    pub const fn key(self) -> &'static str {
        self.setting().key()
    }

    /// The end of its environment variables' names: the key in upper case.
    ///
    /// ```
    /// use resilience::config::BreakerSetting;
    /// assert_eq!(BreakerSetting::SlowCall.env_suffix(), "SLOW_CALL");
    /// ```
    pub const fn env_suffix(self) -> &'static str {
        self.setting().env_name()
    }

    /// The setting of the settings' list (`resilience_settings::breaker::Setting`) that
    /// names it: its names are that list's.
    const fn setting(self) -> Setting {
        match self {
            BreakerSetting::FailureThreshold => Setting::FailureThreshold,
            BreakerSetting::RecoveryTimeout => Setting::RecoveryTimeout,
            BreakerSetting::HalfOpenMaxCalls => Setting::HalfOpenMaxCalls,
            BreakerSetting::SuccessThreshold => Setting::SuccessThreshold,
            BreakerSetting::FailureRate => Setting::FailureRate,
            BreakerSetting::SlowCall => Setting::SlowCall,
            BreakerSetting::RecoveryBackoff => Setting::RecoveryBackoff,
            BreakerSetting::Adaptive => Setting::Adaptive,
            BreakerSetting::MaxTrialWait => Setting::MaxTrialWait,
        }
    }

    /// The builder settings that write `setting`: its own, or for a part of a policy
    /// (`window`, `minimum_calls`, `max_recovery_timeout`) the policies' it shapes.
    #[cfg(test)]
    const fn writers(setting: Setting) -> &'static [BreakerSetting] {
        match setting {
            Setting::FailureThreshold => &[BreakerSetting::FailureThreshold],
            Setting::RecoveryTimeout => &[BreakerSetting::RecoveryTimeout],
            Setting::HalfOpenMaxCalls => &[BreakerSetting::HalfOpenMaxCalls],
            Setting::SuccessThreshold => &[BreakerSetting::SuccessThreshold],
            Setting::FailureRate | Setting::MinimumCalls => &[BreakerSetting::FailureRate],
            Setting::Window => &[BreakerSetting::FailureRate, BreakerSetting::Adaptive],
            Setting::SlowCall => &[BreakerSetting::SlowCall],
            Setting::RecoveryBackoff | Setting::MaxRecoveryTimeout => {
                &[BreakerSetting::RecoveryBackoff]
            }
            Setting::Adaptive => &[BreakerSetting::Adaptive],
            Setting::MaxTrialWait => &[BreakerSetting::MaxTrialWait],
        }
    }
}

/// The sliding window over which a failure-rate policy computes its rate.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, Window};
///
/// // Trip when half of the last 20 calls failed, once at least 10 calls were seen.
/// let by_calls = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(20), 10);
/// // Trip when a quarter of the calls of the last 30 seconds failed, over at least 50 calls.
/// let by_time =
///     BreakerConfig::new().with_failure_rate(0.25, Window::Time(Duration::from_secs(30)), 50);
/// assert_ne!(by_calls, by_time);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Window {
    /// The last `n` calls. `0` is taken as `1`; more than 65 536 as 65 536.
    Calls(u32),
    /// The calls that finished in the last `d`. Less than 1 ms is taken as 1 ms. The window
    /// slides in 32 steps of `d / 32`.
    ///
    /// A success is not timed when it finishes: its thread counts it, and reads the clock
    /// only every few successes (more seldom the faster they come, at most every 64) to
    /// place those it counted in the step of that moment, the latest they can belong to.
    /// So a success costs no lock and no clock read, and the rate is never overstated; it
    /// is understated by at most the successes each thread made since it last read the
    /// clock, which after a burst of successes and a quiet spell may delay a trip by as many
    /// failures (at most 63 a thread). Failures are timed, behind the breaker's lock. Beside
    /// a throttle's time window (`with_adaptive` over a [`Window::Time`]) every outcome is
    /// timed behind the lock instead.
    Time(Duration),
}

impl Window {
    const fn clamped(self) -> Self {
        match self {
            Window::Calls(0) => Window::Calls(1),
            Window::Calls(n) if n > MAX_WINDOW_CALLS => Window::Calls(MAX_WINDOW_CALLS),
            Window::Calls(n) => Window::Calls(n),
            Window::Time(d) => {
                if d.as_nanos() < MIN_WINDOW_TIME.as_nanos() {
                    Window::Time(MIN_WINDOW_TIME)
                } else {
                    Window::Time(d)
                }
            }
        }
    }
}

/// A failure-rate trip policy, as given to [`BreakerConfig::with_failure_rate`].
///
/// ```
/// use resilience::{BreakerConfig, Window};
///
/// let config = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(10), 4);
/// let policy = config.failure_rate().unwrap();
/// assert_eq!(policy.rate(), 0.5);
/// assert_eq!(policy.window(), Window::Calls(10));
/// assert_eq!(policy.minimum_calls(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureRate {
    pub(crate) rate: f64,
    pub(crate) window: Window,
    pub(crate) minimum_calls: u32,
}

impl FailureRate {
    /// The failure rate, in `[0, 1]`, at or above which the breaker opens.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_failure_rate(2.0, Window::Calls(10), 1);
    /// assert_eq!(config.failure_rate().unwrap().rate(), 1.0); // clamped
    /// ```
    pub const fn rate(&self) -> f64 {
        self.rate
    }

    /// The window the rate is computed over.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(0), 1);
    /// assert_eq!(config.failure_rate().unwrap().window(), Window::Calls(1)); // clamped
    /// ```
    pub const fn window(&self) -> Window {
        self.window
    }

    /// How many calls the window must hold before the rate counts.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(10), 50);
    /// assert_eq!(config.failure_rate().unwrap().minimum_calls(), 10); // at most the window
    /// ```
    pub const fn minimum_calls(&self) -> u32 {
        self.minimum_calls
    }
}

/// Client-side adaptive throttling, as given to [`BreakerConfig::with_adaptive`]: each call
/// is rejected with probability `max(0, (requests - k * accepts) / (requests + 1))` over the
/// window, `requests` being the calls the breaker saw (those it rejected included) and
/// `accepts` those that succeeded.
///
/// ```
/// use resilience::{BreakerConfig, Window};
/// let config = BreakerConfig::new().with_adaptive(2.0, Window::Calls(100));
/// let adaptive = config.adaptive().unwrap();
/// assert_eq!((adaptive.k(), adaptive.window()), (2.0, Window::Calls(100)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptive {
    pub(crate) k: f64,
    pub(crate) window: Window,
}

impl Adaptive {
    /// The multiplier `k`: the breaker never rejects while at least `1 / k` of the calls
    /// succeed, and lets `k` times the accepted calls through under overload.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_adaptive(0.5, Window::Calls(10));
    /// assert_eq!(config.adaptive().unwrap().k(), 1.0); // clamped
    /// ```
    pub const fn k(&self) -> f64 {
        self.k
    }

    /// The window `requests` and `accepts` are counted over.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_adaptive(2.0, Window::Calls(0));
    /// assert_eq!(config.adaptive().unwrap().window(), Window::Calls(1)); // clamped
    /// ```
    pub const fn window(&self) -> Window {
        self.window
    }

    /// The probability of rejecting a call, given the `requests` and `accepts` of the window.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, Window};
    /// let adaptive = BreakerConfig::new().with_adaptive(2.0, Window::Calls(100)).adaptive().unwrap();
    /// assert_eq!(adaptive.rejection_probability(100, 50), 0.0); // half succeed: no rejection
    /// assert_eq!(adaptive.rejection_probability(99, 0), 0.99); // none succeed: 1 in 100 goes through
    /// ```
    pub fn rejection_probability(&self, requests: u64, accepts: u64) -> f64 {
        let requests = requests as f64;
        ((requests - self.k * accepts as f64) / (requests + 1.0)).max(0.0)
    }
}

/// How a [`CircuitBreaker`](crate::CircuitBreaker) decides to open, how long it stays open
/// and how it closes again.
///
/// Plain data, and every builder is a `const fn`, so a configuration can be a `const` or a
/// `static` (the `#[circuit_breaker]` attribute builds one per call site that way):
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, Window};
///
/// const PAYMENTS: BreakerConfig = BreakerConfig::new()
///     .with_failure_threshold(3)
///     .with_recovery_timeout(Duration::from_secs(10))
///     .with_half_open_max_calls(2)
///     .with_success_threshold(2)
///     .with_slow_call(Duration::from_secs(2))
///     .with_recovery_backoff(2.0, Duration::from_secs(300));
///
/// assert_eq!(PAYMENTS.failure_threshold(), 3);
/// ```
///
/// # Trip policies
///
/// - **Consecutive failures** (the default): the breaker opens after `failure_threshold`
///   failures in a row; a success resets the count.
/// - **Failure rate** ([`with_failure_rate`](Self::with_failure_rate)): the breaker opens
///   when the share of failures in a sliding [`Window`] reaches a rate. Setting it turns the
///   consecutive policy off, unless [`with_failure_threshold`](Self::with_failure_threshold)
///   is also called (in either order), in which case whichever trips first opens it.
/// - **Adaptive throttling** ([`with_adaptive`](Self::with_adaptive)): the breaker never
///   opens on its account; while closed, it rejects a share of the calls that grows as the
///   share of successes falls below `1 / k` (see [`Adaptive`]). Setting it turns the
///   consecutive policy off too, unless a failure threshold is written; with a failure
///   rate or a failure threshold beside it, those open the breaker as usual and the
///   throttle works while it is closed. Its rejections are not failures of the
///   dependency: they never count toward the consecutive policy. A failure rate beside it
///   counts them as calls that did not succeed, so that the two open the breaker when the
///   dependency accepts less than `1 - rate` of the calls (a dependency that is down),
///   which the throttle alone would only trickle on; closing starts both afresh.
///
/// # Clamping
///
/// No value makes a builder panic: thresholds and counts of `0` are taken as `1`, a rate is
/// clamped to `[0, 1]` (NaN is taken as 1), a backoff factor below 1 (or NaN) as 1, and a
/// backoff cap below the recovery timeout as the recovery timeout.
///
/// # Default
///
/// The defaults are the `#[circuit_breaker]` attribute's: `failure_threshold` 5 consecutive
/// failures, `recovery_timeout` 60 s, `half_open_max_calls` 1, `success_threshold` 1, no
/// failure-rate policy, no adaptive throttling, no slow-call threshold, no recovery backoff,
/// and a trial call may run for the recovery timeout before its slot is taken back.
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    pub(crate) failure_threshold: u32,
    /// The settings written explicitly, one bit per [`BreakerSetting`]: the environment's
    /// global defaults fill in only the others.
    pub(crate) explicit: u16,
    pub(crate) recovery_timeout: Duration,
    pub(crate) half_open_max_calls: u32,
    pub(crate) success_threshold: u32,
    pub(crate) failure_rate: Option<FailureRate>,
    pub(crate) slow_call: Option<Duration>,
    pub(crate) backoff_factor: f64,
    pub(crate) backoff_max: Duration,
    pub(crate) adaptive: Option<Adaptive>,
    /// `None`: the recovery timeout.
    pub(crate) max_trial_wait: Option<Duration>,
}

/// Equal when they behave the same: an explicit `with_failure_threshold(5)` equals the
/// default, so call sites that spell the default out do not look like a mismatch. Which
/// settings were written explicitly is not compared.
impl PartialEq for BreakerConfig {
    fn eq(&self, other: &Self) -> bool {
        self.failure_threshold == other.failure_threshold
            && self.consecutive_policy() == other.consecutive_policy()
            && self.recovery_timeout == other.recovery_timeout
            && self.half_open_max_calls == other.half_open_max_calls
            && self.success_threshold == other.success_threshold
            && self.failure_rate == other.failure_rate
            && self.slow_call == other.slow_call
            && self.backoff_factor == other.backoff_factor
            && (self.backoff_factor == 1.0 || self.backoff_max == other.backoff_max)
            && self.adaptive == other.adaptive
            && self.trial_wait() == other.trial_wait()
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::new()
    }
}

const fn at_least_one(n: u32) -> u32 {
    if n == 0 { 1 } else { n }
}

impl BreakerConfig {
    /// The attribute's defaults; see [`BreakerConfig`]'s `# Default` section.
    ///
    /// ```
    /// let config = resilience::BreakerConfig::new();
    /// assert_eq!(config.failure_threshold(), 5);
    /// assert_eq!(config.recovery_timeout(), std::time::Duration::from_secs(60));
    /// ```
    pub const fn new() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            explicit: 0,
            recovery_timeout: DEFAULT_RECOVERY_TIMEOUT,
            half_open_max_calls: 1,
            success_threshold: 1,
            failure_rate: None,
            slow_call: None,
            backoff_factor: 1.0,
            backoff_max: DEFAULT_RECOVERY_TIMEOUT,
            adaptive: None,
            max_trial_wait: None,
        }
    }

    /// Consecutive failures that open the breaker. `0` is taken as `1`.
    ///
    /// ```
    /// let config = resilience::BreakerConfig::new().with_failure_threshold(0);
    /// assert_eq!(config.failure_threshold(), 1);
    /// ```
    pub const fn with_failure_threshold(mut self, failure_threshold: u32) -> Self {
        self.failure_threshold = at_least_one(failure_threshold);
        self.explicit |= BreakerSetting::FailureThreshold.bit();
        self
    }

    /// How long the breaker stays open before it lets trial calls through. `Duration::ZERO`
    /// lets the next call through as a trial at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config =
    ///     resilience::BreakerConfig::new().with_recovery_timeout(Duration::from_secs(5));
    /// assert_eq!(config.recovery_timeout(), Duration::from_secs(5));
    /// ```
    pub const fn with_recovery_timeout(mut self, recovery_timeout: Duration) -> Self {
        self.recovery_timeout = recovery_timeout;
        self.explicit |= BreakerSetting::RecoveryTimeout.bit();
        self
    }

    /// Trial calls allowed at once while half-open; further calls are rejected. `0` is taken
    /// as `1`.
    ///
    /// ```
    /// let config = resilience::BreakerConfig::new().with_half_open_max_calls(3);
    /// assert_eq!(config.half_open_max_calls(), 3);
    /// ```
    pub const fn with_half_open_max_calls(mut self, half_open_max_calls: u32) -> Self {
        self.half_open_max_calls = at_least_one(half_open_max_calls);
        self.explicit |= BreakerSetting::HalfOpenMaxCalls.bit();
        self
    }

    /// Successful trial calls that close the breaker again. `0` is taken as `1`.
    ///
    /// ```
    /// let config = resilience::BreakerConfig::new().with_success_threshold(2);
    /// assert_eq!(config.success_threshold(), 2);
    /// ```
    pub const fn with_success_threshold(mut self, success_threshold: u32) -> Self {
        self.success_threshold = at_least_one(success_threshold);
        self.explicit |= BreakerSetting::SuccessThreshold.bit();
        self
    }

    /// Opens the breaker when at least `rate` of the calls in `window` failed, once the
    /// window holds at least `minimum_calls` calls (and one failure), as checked after every
    /// counted call. See the `# Trip
    /// policies` and `# Clamping` sections of [`BreakerConfig`]; `minimum_calls` is also
    /// capped at a count-based window's size.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{BreakerConfig, Window};
    ///
    /// let config =
    ///     BreakerConfig::new().with_failure_rate(0.5, Window::Time(Duration::from_secs(10)), 20);
    /// assert!(config.failure_rate().is_some());
    /// ```
    pub const fn with_failure_rate(
        mut self,
        rate: f64,
        window: Window,
        minimum_calls: u32,
    ) -> Self {
        let rate = if rate.is_nan() {
            1.0
        } else if rate < 0.0 {
            0.0
        } else if rate > 1.0 {
            1.0
        } else {
            rate
        };
        let window = window.clamped();
        let mut minimum_calls = at_least_one(minimum_calls);
        if let Window::Calls(n) = window {
            if minimum_calls > n {
                minimum_calls = n;
            }
        }
        self.failure_rate = Some(FailureRate {
            rate,
            window,
            minimum_calls,
        });
        self.explicit |= BreakerSetting::FailureRate.bit();
        self
    }

    /// Calls that take at least `threshold` count as failures, whatever they return, and are
    /// counted in [`BreakerStats::slow_calls`](crate::BreakerStats::slow_calls). Timing a call
    /// reads the clock twice per call.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new().with_slow_call(Duration::from_secs(1));
    /// assert_eq!(config.slow_call(), Some(Duration::from_secs(1)));
    /// ```
    pub const fn with_slow_call(mut self, threshold: Duration) -> Self {
        self.slow_call = Some(threshold);
        self.explicit |= BreakerSetting::SlowCall.bit();
        self
    }

    /// Each failed recovery (a trial call that fails) multiplies the next open duration by
    /// `factor`, up to `max`; once the breaker closes, the open duration is
    /// `recovery_timeout` again. A factor below 1 (or NaN) is taken as 1.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new()
    ///     .with_recovery_timeout(Duration::from_secs(1))
    ///     .with_recovery_backoff(2.0, Duration::from_secs(30));
    /// // Open for 1 s, then 2 s, 4 s, ... up to 30 s while trials keep failing.
    /// assert_eq!(config.recovery_backoff(), (2.0, Duration::from_secs(30)));
    /// ```
    pub const fn with_recovery_backoff(mut self, factor: f64, max: Duration) -> Self {
        self.backoff_factor = if factor.is_nan() || factor < 1.0 {
            1.0
        } else {
            factor
        };
        self.backoff_max = max;
        self.explicit |= BreakerSetting::RecoveryBackoff.bit();
        self
    }

    /// Client-side adaptive throttling with multiplier `k` over `window` (see [`Adaptive`]
    /// and the `# Trip policies` section): while the dependency accepts at least `1 / k` of
    /// the calls nothing is rejected; below that, the breaker rejects calls locally (as
    /// [`Error::CircuitOpen`](crate::Error::CircuitOpen)) so that about `k` times the accepted
    /// calls still reach it, and a trickle reaches it while it is down, so that its recovery
    /// is seen without a fixed recovery timeout. `k` below 1 (or NaN) is taken as 1; `2.0` is
    /// the usual choice.
    ///
    /// ```
    /// use resilience::{BreakerConfig, Window};
    /// let config = BreakerConfig::new().with_adaptive(2.0, Window::Calls(100));
    /// assert!(!config.consecutive_policy(), "throttling replaces the consecutive policy");
    /// ```
    pub const fn with_adaptive(mut self, k: f64, window: Window) -> Self {
        let k = if k.is_nan() || k < 1.0 { 1.0 } else { k };
        self.adaptive = Some(Adaptive {
            k,
            window: window.clamped(),
        });
        self.explicit |= BreakerSetting::Adaptive.bit();
        self
    }

    /// How long a half-open trial call may run before its slot is taken back: the breaker
    /// then opens again (the trial counts as a failed recovery) and the call's late outcome
    /// is ignored. Without it, a trial that never returns would keep the breaker rejecting
    /// every call. `Duration::ZERO` lets trials run for as long as they take.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new().with_max_trial_wait(Duration::from_secs(5));
    /// assert_eq!(config.max_trial_wait(), Duration::from_secs(5));
    /// ```
    pub const fn with_max_trial_wait(mut self, wait: Duration) -> Self {
        self.max_trial_wait = Some(wait);
        self.explicit |= BreakerSetting::MaxTrialWait.bit();
        self
    }

    /// See [`with_adaptive`](Self::with_adaptive).
    ///
    /// ```
    /// assert!(resilience::BreakerConfig::new().adaptive().is_none());
    /// ```
    pub const fn adaptive(&self) -> Option<Adaptive> {
        self.adaptive
    }

    /// See [`with_max_trial_wait`](Self::with_max_trial_wait): the recovery timeout unless
    /// set.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new().with_recovery_timeout(Duration::from_secs(9));
    /// assert_eq!(config.max_trial_wait(), Duration::from_secs(9));
    /// ```
    pub const fn max_trial_wait(&self) -> Duration {
        match self.max_trial_wait {
            Some(wait) => wait,
            None => self.recovery_timeout,
        }
    }

    /// How long a trial may run, `None` when it may run for ever.
    pub(crate) const fn trial_wait(&self) -> Option<Duration> {
        let wait = self.max_trial_wait();
        if wait.is_zero() { None } else { Some(wait) }
    }

    /// See [`with_failure_threshold`](Self::with_failure_threshold).
    ///
    /// ```
    /// assert_eq!(resilience::BreakerConfig::new().failure_threshold(), 5);
    /// ```
    pub const fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// Whether the consecutive-failures policy is on: always, unless a failure-rate policy or
    /// adaptive throttling was set without an explicit failure threshold.
    ///
    /// ```
    /// use resilience::{BreakerConfig, Window};
    /// assert!(BreakerConfig::new().consecutive_policy());
    /// let rate_only = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(10), 5);
    /// assert!(!rate_only.consecutive_policy());
    /// assert!(rate_only.with_failure_threshold(8).consecutive_policy());
    /// ```
    pub const fn consecutive_policy(&self) -> bool {
        (self.failure_rate.is_none() && self.adaptive.is_none())
            || self.is_explicit(BreakerSetting::FailureThreshold)
    }

    /// Whether `setting` was written explicitly, by its `with_*` builder (or an attribute
    /// argument, or a configuration file), rather than left at its default. The global
    /// environment defaults (`RESILIENCE_BREAKER_*`, see [`config`](crate::config)) apply
    /// only to the settings that were not.
    ///
    /// ```
    /// use resilience::{BreakerConfig, config::BreakerSetting};
    /// let config = BreakerConfig::new().with_failure_threshold(5);
    /// assert!(config.is_explicit(BreakerSetting::FailureThreshold));
    /// assert!(!config.is_explicit(BreakerSetting::RecoveryTimeout));
    /// assert_eq!(config, BreakerConfig::new()); // equality compares behaviour only
    /// ```
    pub const fn is_explicit(&self, setting: BreakerSetting) -> bool {
        self.explicit & setting.bit() != 0
    }

    /// See [`with_recovery_timeout`](Self::with_recovery_timeout).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::BreakerConfig::new().recovery_timeout(), Duration::from_secs(60));
    /// ```
    pub const fn recovery_timeout(&self) -> Duration {
        self.recovery_timeout
    }

    /// See [`with_half_open_max_calls`](Self::with_half_open_max_calls).
    ///
    /// ```
    /// assert_eq!(resilience::BreakerConfig::new().half_open_max_calls(), 1);
    /// ```
    pub const fn half_open_max_calls(&self) -> u32 {
        self.half_open_max_calls
    }

    /// See [`with_success_threshold`](Self::with_success_threshold).
    ///
    /// ```
    /// assert_eq!(resilience::BreakerConfig::new().success_threshold(), 1);
    /// ```
    pub const fn success_threshold(&self) -> u32 {
        self.success_threshold
    }

    /// See [`with_failure_rate`](Self::with_failure_rate).
    ///
    /// ```
    /// assert!(resilience::BreakerConfig::new().failure_rate().is_none());
    /// ```
    pub const fn failure_rate(&self) -> Option<FailureRate> {
        self.failure_rate
    }

    /// See [`with_slow_call`](Self::with_slow_call).
    ///
    /// ```
    /// assert!(resilience::BreakerConfig::new().slow_call().is_none());
    /// ```
    pub const fn slow_call(&self) -> Option<Duration> {
        self.slow_call
    }

    /// The recovery backoff as `(factor, max)`; a factor of 1 means none.
    ///
    /// ```
    /// assert_eq!(resilience::BreakerConfig::new().recovery_backoff().0, 1.0);
    /// ```
    pub const fn recovery_backoff(&self) -> (f64, Duration) {
        (self.backoff_factor, self.backoff_max)
    }

    /// The longest the breaker stays open at once: the recovery timeout, or under a
    /// recovery backoff its cap (when longer). A restored open period is never longer.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new().with_recovery_timeout(Duration::from_secs(1));
    /// assert_eq!(config.longest_open_duration(), Duration::from_secs(1));
    /// let config = config.with_recovery_backoff(2.0, Duration::from_secs(30));
    /// assert_eq!(config.longest_open_duration(), Duration::from_secs(30));
    /// ```
    pub fn longest_open_duration(&self) -> Duration {
        self.open_duration(u32::MAX)
    }

    /// How long the breaker stays open after `failed_recoveries` failed trials in a row.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BreakerConfig::new()
    ///     .with_recovery_timeout(Duration::from_secs(1))
    ///     .with_recovery_backoff(3.0, Duration::from_secs(20));
    /// assert_eq!(config.open_duration(0), Duration::from_secs(1));
    /// assert_eq!(config.open_duration(2), Duration::from_secs(9));
    /// assert_eq!(config.open_duration(10), Duration::from_secs(20));
    /// ```
    pub fn open_duration(&self, failed_recoveries: u32) -> Duration {
        let base = self.recovery_timeout;
        if self.backoff_factor <= 1.0 || failed_recoveries == 0 {
            return base;
        }
        let cap = self.backoff_max.max(base);
        let exp = i32::try_from(failed_recoveries).unwrap_or(i32::MAX);
        let secs = base.as_secs_f64() * self.backoff_factor.powi(exp);
        Duration::try_from_secs_f64(secs).map_or(cap, |d| d.min(cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_attribute() {
        let c = BreakerConfig::new();
        assert_eq!(c, BreakerConfig::default());
        assert_eq!(c.failure_threshold(), 5);
        assert_eq!(c.recovery_timeout(), Duration::from_secs(60));
        assert_eq!(c.half_open_max_calls(), 1);
        assert_eq!(c.success_threshold(), 1);
        assert!(c.consecutive_policy());
        assert_eq!(c.failure_rate(), None);
        assert_eq!(c.slow_call(), None);
        assert_eq!(c.open_duration(7), Duration::from_secs(60));
    }

    #[test]
    fn zero_and_invalid_values_are_clamped() {
        let c = BreakerConfig::new()
            .with_failure_threshold(0)
            .with_half_open_max_calls(0)
            .with_success_threshold(0)
            .with_failure_rate(f64::NAN, Window::Calls(0), 0)
            .with_recovery_backoff(f64::NAN, Duration::ZERO);
        assert_eq!(c.failure_threshold(), 1);
        assert_eq!(c.half_open_max_calls(), 1);
        assert_eq!(c.success_threshold(), 1);
        let rate = c.failure_rate().unwrap();
        assert_eq!(
            (rate.rate(), rate.window(), rate.minimum_calls()),
            (1.0, Window::Calls(1), 1)
        );
        assert_eq!(c.recovery_backoff().0, 1.0);
        let c = BreakerConfig::new().with_failure_rate(-3.0, Window::Calls(u32::MAX), 7);
        let rate = c.failure_rate().unwrap();
        assert_eq!(rate.rate(), 0.0);
        assert_eq!(rate.window(), Window::Calls(MAX_WINDOW_CALLS));
        let c = BreakerConfig::new().with_failure_rate(0.5, Window::Time(Duration::ZERO), 1);
        assert_eq!(
            c.failure_rate().unwrap().window(),
            Window::Time(MIN_WINDOW_TIME)
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        let c = BreakerConfig::new()
            .with_recovery_timeout(Duration::from_millis(100))
            .with_recovery_backoff(2.0, Duration::from_millis(500));
        let got: Vec<_> = (0..5).map(|k| c.open_duration(k).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 500, 500]);
        assert_eq!(c.open_duration(u32::MAX), Duration::from_millis(500));
        // A cap below the timeout never shortens it.
        let c = c.with_recovery_backoff(2.0, Duration::ZERO);
        assert_eq!(c.open_duration(3), Duration::from_millis(100));
        let c = BreakerConfig::new().with_recovery_backoff(f64::INFINITY, Duration::MAX);
        assert_eq!(c.open_duration(1), Duration::MAX);
    }

    #[test]
    fn consecutive_policy_is_order_independent() {
        let w = Window::Calls(4);
        let a = BreakerConfig::new()
            .with_failure_threshold(3)
            .with_failure_rate(0.5, w, 2);
        let b = BreakerConfig::new()
            .with_failure_rate(0.5, w, 2)
            .with_failure_threshold(3);
        assert!(a.consecutive_policy() && b.consecutive_policy());
        assert_eq!(a, b);
    }

    #[test]
    fn equality_is_behaviour() {
        let explicit = BreakerConfig::new().with_failure_threshold(5);
        assert_eq!(explicit, BreakerConfig::new());
        let no_backoff = BreakerConfig::new().with_recovery_backoff(0.5, Duration::from_secs(1));
        assert_eq!(no_backoff, BreakerConfig::new());
        assert_ne!(
            BreakerConfig::new().with_failure_threshold(4),
            BreakerConfig::new()
        );
        let w = Window::Calls(4);
        assert_ne!(
            BreakerConfig::new().with_failure_rate(0.5, w, 2),
            BreakerConfig::new()
                .with_failure_rate(0.5, w, 2)
                .with_failure_threshold(5)
        );
    }

    #[test]
    fn builders_record_what_was_written() {
        let none = BreakerConfig::new();
        assert!(BreakerSetting::ALL.iter().all(|&s| !none.is_explicit(s)));
        let all = BreakerConfig::new()
            .with_failure_threshold(5)
            .with_recovery_timeout(Duration::from_secs(60))
            .with_half_open_max_calls(1)
            .with_success_threshold(1)
            .with_failure_rate(0.5, Window::Calls(10), 5)
            .with_slow_call(Duration::from_secs(1))
            .with_recovery_backoff(2.0, Duration::from_secs(10))
            .with_adaptive(2.0, Window::Calls(10))
            .with_max_trial_wait(Duration::from_secs(1));
        assert!(BreakerSetting::ALL.iter().all(|&s| all.is_explicit(s)));
        let one = BreakerConfig::new().with_success_threshold(1);
        assert!(one.is_explicit(BreakerSetting::SuccessThreshold));
        assert_eq!(one, none, "explicitness is not behaviour");
    }

    /// `ALL` holds every setting a builder writes: each setting of the settings' list (one
    /// table, complete by construction) is written by settings of `ALL`, and each of `ALL`
    /// is named by its own entry of the list.
    #[test]
    fn all_holds_every_builder_setting() {
        for &setting in Setting::ALL {
            let writers = BreakerSetting::writers(setting);
            assert!(!writers.is_empty(), "{setting:?}");
            for writer in writers {
                assert!(
                    BreakerSetting::ALL.contains(writer),
                    "{writer:?} is not in ALL"
                );
            }
        }
        for setting in BreakerSetting::ALL {
            assert_eq!(BreakerSetting::writers(setting.setting()), [setting]);
        }
    }

    #[test]
    fn builds_in_const() {
        const C: BreakerConfig = BreakerConfig::new()
            .with_slow_call(Duration::from_millis(5))
            .with_failure_rate(0.3, Window::Time(Duration::from_secs(1)), 3);
        assert_eq!(C.slow_call(), Some(Duration::from_millis(5)));
    }
}

/// What the `#[circuit_breaker]` attribute calls, reached through `__private`: the builders
/// that take a setting together with others the user may not have written, each filling
/// what is missing with the runtime's default, so that an expansion spells only what its
/// user wrote.
pub(crate) mod attribute {
    use super::{BreakerConfig, Duration, Window};
    use resilience_settings::breaker::{
        DEFAULT_MINIMUM_CALLS, DEFAULT_RECOVERY_CAP_FACTOR, DEFAULT_WINDOW_CALLS,
    };

    /// The window of a failure rate or a throttle written without one.
    const DEFAULT_WINDOW: Window = Window::Calls(DEFAULT_WINDOW_CALLS);

    /// `failure_rate` with `window` and `minimum_calls` as written; the defaults where not
    /// (a minimum above a count window is taken as the window, as
    /// [`BreakerConfig::with_failure_rate`] does).
    pub const fn failure_rate(
        config: BreakerConfig,
        rate: f64,
        window: Option<Window>,
        minimum_calls: Option<u32>,
    ) -> BreakerConfig {
        let window = match window {
            Some(window) => window,
            None => DEFAULT_WINDOW,
        };
        let minimum_calls = match minimum_calls {
            Some(n) => n,
            None => DEFAULT_MINIMUM_CALLS,
        };
        config.with_failure_rate(rate, window, minimum_calls)
    }

    /// `adaptive` with `window` as written, or the default window.
    pub const fn adaptive(config: BreakerConfig, k: f64, window: Option<Window>) -> BreakerConfig {
        let window = match window {
            Some(window) => window,
            None => DEFAULT_WINDOW,
        };
        config.with_adaptive(k, window)
    }

    /// `recovery_backoff` with `max_recovery_timeout` as written, or a multiple of the
    /// recovery timeout `config` has (so its `recovery_timeout` is applied first).
    pub const fn recovery_backoff(
        config: BreakerConfig,
        factor: f64,
        max: Option<Duration>,
    ) -> BreakerConfig {
        let max = match max {
            Some(max) => max,
            None => config
                .recovery_timeout
                .saturating_mul(DEFAULT_RECOVERY_CAP_FACTOR),
        };
        config.with_recovery_backoff(factor, max)
    }
}
