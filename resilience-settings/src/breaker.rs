//! The circuit breaker's settings: `#[circuit_breaker(...)]` arguments, the
//! `RESILIENCE_BREAKER_*` variables and the `[breakers.<name>]` keys of a file.

use std::time::Duration;

use crate::{
    Invalid,
    duration::format,
    invalid::{count, positive},
};

crate::table::settings! {
    /// A circuit breaker setting, by the names each front door writes it with: the
    /// attribute's argument and the file's key (`failure_threshold`), and the `<SETTING>` of
    /// its variables (`FAILURE_THRESHOLD`). The one list of them: the attribute, the
    /// environment and files all read names through it.
    ///
    /// ```
    /// use resilience_settings::breaker::Setting;
    /// assert_eq!(Setting::from_key("slow_call"), Some(Setting::SlowCall));
    /// assert_eq!(Setting::from_env_name("SLOW_CALL"), Some(Setting::SlowCall));
    /// assert_eq!(Setting::SlowCall.key(), "slow_call");
    /// assert!(Setting::from_key("treshold").is_none());
    /// assert_eq!(Setting::ALL.len(), Setting::KEYS.len());
    /// ```
    pub enum Setting {
        /// [`failure_threshold`]: consecutive failures that open the breaker.
        FailureThreshold = "failure_threshold", "FAILURE_THRESHOLD";
        /// [`recovery_timeout`]: how long the breaker stays open.
        RecoveryTimeout = "recovery_timeout", "RECOVERY_TIMEOUT";
        /// [`half_open_max_calls`]: trial calls at once while half-open.
        HalfOpenMaxCalls = "half_open_max_calls", "HALF_OPEN_MAX_CALLS";
        /// [`success_threshold`]: successful trials that close the breaker.
        SuccessThreshold = "success_threshold", "SUCCESS_THRESHOLD";
        /// [`failure_rate`]: the failure rate that opens the breaker.
        FailureRate = "failure_rate", "FAILURE_RATE";
        /// [`window_calls`] or [`window_time`]: the window of the failure rate and the
        /// throttle.
        Window = "window", "WINDOW";
        /// [`minimum_calls`]: calls the window holds before the rate counts.
        MinimumCalls = "minimum_calls", "MINIMUM_CALLS";
        /// [`slow_call`]: calls at least this long count as failures.
        SlowCall = "slow_call", "SLOW_CALL";
        /// [`recovery_backoff`]: growth of the open time per failed recovery.
        RecoveryBackoff = "recovery_backoff", "RECOVERY_BACKOFF";
        /// [`max_recovery_timeout`]: the cap of the recovery backoff.
        MaxRecoveryTimeout = "max_recovery_timeout", "MAX_RECOVERY_TIMEOUT";
        /// [`adaptive`]: adaptive throttling's multiplier.
        Adaptive = "adaptive", "ADAPTIVE";
        /// [`max_trial_wait`]: how long a trial call may run.
        MaxTrialWait = "max_trial_wait", "MAX_TRIAL_WAIT";
    }
}

/// `recovery_timeout` when it is not set, which the checks across settings compare with.
pub const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// [`DEFAULT_RECOVERY_TIMEOUT`] as the documentation writes it.
const DEFAULT_RECOVERY_TIMEOUT_TEXT: &str = "60s";

/// `window` when it is not set, in calls, which [`minimum_calls_within_window`] compares
/// with.
pub const DEFAULT_WINDOW_CALLS: u32 = 100;

/// `minimum_calls` of a failure rate when it is not set (lowered to the window when the
/// window is narrower).
pub const DEFAULT_MINIMUM_CALLS: u32 = 10;

/// The longest open period of a recovery backoff set without `max_recovery_timeout`: this
/// many times the recovery timeout.
pub const DEFAULT_RECOVERY_CAP_FACTOR: u32 = 10;

/// The largest count-based window, in calls: a window keeps one byte per call.
pub const MAX_WINDOW_CALLS: u32 = 1 << 16;

/// The shortest time-based window: it slides in 32 steps, each at least 31.25 µs.
pub const MIN_WINDOW_TIME: Duration = Duration::from_millis(1);

/// `failure_threshold`: an integer >= 1.
///
/// ```
/// use resilience_settings::breaker::failure_threshold;
/// assert_eq!(failure_threshold(5), Ok(5));
/// assert!(failure_threshold(0).is_err());
/// ```
pub fn failure_threshold(n: i128) -> Result<u32, Invalid> {
    count("failure_threshold", n)
}

/// `half_open_max_calls`: an integer >= 1.
///
/// ```
/// assert!(resilience_settings::breaker::half_open_max_calls(-1).is_err());
/// ```
pub fn half_open_max_calls(n: i128) -> Result<u32, Invalid> {
    count("half_open_max_calls", n)
}

/// `success_threshold`: an integer >= 1.
///
/// ```
/// assert_eq!(resilience_settings::breaker::success_threshold(2), Ok(2));
/// ```
pub fn success_threshold(n: i128) -> Result<u32, Invalid> {
    count("success_threshold", n)
}

/// `minimum_calls`: an integer >= 1. See also [`minimum_calls_within_window`].
///
/// ```
/// assert!(resilience_settings::breaker::minimum_calls(u64::MAX.into()).is_err());
/// ```
pub fn minimum_calls(n: i128) -> Result<u32, Invalid> {
    count("minimum_calls", n)
}

/// `recovery_timeout`: longer than zero.
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::breaker::recovery_timeout(Duration::ZERO).is_err());
/// ```
pub fn recovery_timeout(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "recovery_timeout",
        d,
        "it is how long the breaker stays open, as in \"30s\"",
    )
}

/// `slow_call`: longer than zero (at zero every call would count as slow, and so as failed).
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::breaker::slow_call(Duration::ZERO).is_err());
/// assert!(resilience_settings::breaker::slow_call(Duration::from_secs(2)).is_ok());
/// ```
pub fn slow_call(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "slow_call",
        d,
        "at zero every call would count as slow, and so as failed; give the duration from which a call counts as slow, as in \"2s\"",
    )
}

/// `max_recovery_timeout`: longer than zero. See also [`max_recovery_timeout_within`].
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::breaker::max_recovery_timeout(Duration::ZERO).is_err());
/// ```
pub fn max_recovery_timeout(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "max_recovery_timeout",
        d,
        "it is the longest the open time grows to, as in \"10m\"",
    )
}

/// `max_trial_wait`: any duration; zero lets trial calls run for as long as they take.
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::breaker::max_trial_wait(Duration::ZERO).is_ok());
/// ```
pub fn max_trial_wait(d: Duration) -> Result<Duration, Invalid> {
    Ok(d)
}

/// `failure_rate`: a fraction in (0, 1].
///
/// ```
/// use resilience_settings::breaker::failure_rate;
/// assert_eq!(failure_rate(0.5), Ok(0.5));
/// assert!(failure_rate(0.0).is_err() && failure_rate(1.5).is_err() && failure_rate(f64::NAN).is_err());
/// ```
pub fn failure_rate(rate: f64) -> Result<f64, Invalid> {
    if rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(Invalid::new(
            "failure_rate",
            format!(
                "`failure_rate` is a fraction in (0, 1], found {rate}: 0.5 opens the breaker at 50% failures"
            ),
        ))
    }
}

/// `window` as a number of calls: from 1 to [`MAX_WINDOW_CALLS`].
///
/// ```
/// use resilience_settings::breaker::window_calls;
/// assert_eq!(window_calls(100), Ok(100));
/// assert!(window_calls(0).is_err());
/// assert!(window_calls(100_000).unwrap_err().to_string().contains("65536"));
/// ```
pub fn window_calls(n: i128) -> Result<u32, Invalid> {
    if n < 1 {
        return Err(Invalid::new(
            "window",
            format!("`window` must be at least 1 call, found {n}"),
        ));
    }
    match u32::try_from(n) {
        Ok(n) if n <= MAX_WINDOW_CALLS => Ok(n),
        _ => Err(Invalid::new(
            "window",
            format!(
                "`window` holds at most {MAX_WINDOW_CALLS} calls, found {n} (a window keeps one byte per call): for a longer view, give a time window, as in \"1m\""
            ),
        )),
    }
}

/// `window` as a duration: at least [`MIN_WINDOW_TIME`].
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::breaker::window_time;
/// assert!(window_time(Duration::from_secs(30)).is_ok());
/// assert!(window_time(Duration::from_micros(500)).is_err());
/// ```
pub fn window_time(d: Duration) -> Result<Duration, Invalid> {
    if d >= MIN_WINDOW_TIME {
        Ok(d)
    } else {
        Err(Invalid::new(
            "window",
            format!(
                "`window` must be at least {}, found {}: give the time the rate is computed over, as in \"30s\"",
                format(MIN_WINDOW_TIME),
                format(d)
            ),
        ))
    }
}

/// `recovery_backoff`: a finite number >= 1, the growth of the open time per failed
/// recovery.
///
/// ```
/// use resilience_settings::breaker::recovery_backoff;
/// assert_eq!(recovery_backoff(2.0), Ok(2.0));
/// assert!(recovery_backoff(0.5).is_err() && recovery_backoff(f64::INFINITY).is_err());
/// ```
pub fn recovery_backoff(factor: f64) -> Result<f64, Invalid> {
    if factor.is_finite() && factor >= 1.0 {
        Ok(factor)
    } else {
        Err(Invalid::new(
            "recovery_backoff",
            format!(
                "`recovery_backoff` is the growth of the open time per failed recovery and must be a finite number of at least 1, found {factor}: 2.0 doubles it each time"
            ),
        ))
    }
}

/// `adaptive`: adaptive throttling's multiplier K, a finite number >= 1.
///
/// ```
/// use resilience_settings::breaker::adaptive;
/// assert_eq!(adaptive(2.0), Ok(2.0));
/// assert!(adaptive(0.5).is_err());
/// ```
pub fn adaptive(k: f64) -> Result<f64, Invalid> {
    if k.is_finite() && k >= 1.0 {
        Ok(k)
    } else {
        Err(Invalid::new(
            "adaptive",
            format!(
                "`adaptive` is the multiplier K of adaptive throttling and must be a finite number of at least 1, found {k}: below 1 it would reject calls to a healthy dependency; 2.0 is the usual choice"
            ),
        ))
    }
}

/// `minimum_calls` against a `window` of `window` calls (`None`: not set, so
/// [`DEFAULT_WINDOW_CALLS`]): a minimum the window cannot hold would never let the rate count.
/// A time window holds any number of calls: there is nothing to compare.
///
/// ```
/// use resilience_settings::breaker::minimum_calls_within_window;
/// assert!(minimum_calls_within_window(10, Some(100)).is_ok());
/// assert!(minimum_calls_within_window(20, Some(10)).unwrap_err().to_string().contains("never be reached"));
/// assert!(minimum_calls_within_window(200, None).unwrap_err().to_string().contains("unless set"));
/// ```
pub fn minimum_calls_within_window(minimum: u32, window: Option<u32>) -> Result<(), Invalid> {
    let calls = window.unwrap_or(DEFAULT_WINDOW_CALLS);
    if minimum <= calls {
        return Ok(());
    }
    let set = if window.is_some() {
        ""
    } else {
        " (`window` unless set)"
    };
    Err(Invalid::new(
        "minimum_calls",
        format!(
            "`minimum_calls = {minimum}` can never be reached in a window of the last {calls} calls{set}: lower it or widen `window`"
        ),
    ))
}

/// `max_recovery_timeout` against `recovery_timeout` (`None`: not set, so
/// [`DEFAULT_RECOVERY_TIMEOUT`]): a cap below the first open period would never let the
/// open time grow.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::breaker::max_recovery_timeout_within;
/// let s = Duration::from_secs;
/// assert!(max_recovery_timeout_within(s(600), Some(s(30))).is_ok());
/// assert!(max_recovery_timeout_within(s(10), None).unwrap_err().to_string().contains("60s unless set"));
/// ```
pub fn max_recovery_timeout_within(
    max: Duration,
    recovery_timeout: Option<Duration>,
) -> Result<(), Invalid> {
    let recovery = recovery_timeout.unwrap_or(DEFAULT_RECOVERY_TIMEOUT);
    if max >= recovery {
        return Ok(());
    }
    let (recovery, set) = match recovery_timeout {
        Some(d) => (format(d), ""),
        None => (DEFAULT_RECOVERY_TIMEOUT_TEXT.to_owned(), " unless set"),
    };
    Err(Invalid::new(
        "max_recovery_timeout",
        format!(
            "`max_recovery_timeout` ({}) is shorter than `recovery_timeout` ({recovery}{set}), so the open time could never grow: raise it to at least {recovery}",
            format(max),
        ),
    ))
}

/// `window` without a failure rate or adaptive throttling, whose window it is: it changes
/// nothing.
///
/// ```
/// assert_eq!(resilience_settings::breaker::window_without_policy().key(), "window");
/// ```
pub fn window_without_policy() -> Invalid {
    Invalid::new(
        "window",
        "`window` only applies with `failure_rate` or `adaptive`: add `failure_rate = 0.5` or `adaptive = 2.0` (for example), or remove `window`",
    )
}

/// `minimum_calls` without a failure rate: it changes nothing.
///
/// ```
/// assert_eq!(resilience_settings::breaker::minimum_calls_without_rate().key(), "minimum_calls");
/// ```
pub fn minimum_calls_without_rate() -> Invalid {
    Invalid::new(
        "minimum_calls",
        "`minimum_calls` only applies with `failure_rate`: add `failure_rate = 0.5` (for example) or remove `minimum_calls`",
    )
}

/// `max_recovery_timeout` without a recovery backoff, whose cap it is: it changes nothing.
///
/// ```
/// let err = resilience_settings::breaker::max_recovery_timeout_without_backoff();
/// assert_eq!(err.key(), "max_recovery_timeout");
/// ```
pub fn max_recovery_timeout_without_backoff() -> Invalid {
    Invalid::new(
        "max_recovery_timeout",
        "`max_recovery_timeout` only applies with `recovery_backoff`: add `recovery_backoff = 2.0` (for example) or remove `max_recovery_timeout`",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_is_written_as_it_is() {
        assert_eq!(
            crate::duration::parse(super::DEFAULT_RECOVERY_TIMEOUT_TEXT),
            Ok(super::DEFAULT_RECOVERY_TIMEOUT)
        );
    }
}
