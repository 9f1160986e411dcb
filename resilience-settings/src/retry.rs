//! The retry policy's settings: `#[retry(...)]` arguments and the `[retry.<name>]` keys of a
//! file.
//!
//! Each setting has a check ([`max_attempts`], [`max_retries`], ...) that accepts a value or
//! says what is wrong with it, for the values known before the program runs (an attribute's
//! literal, a file's key). A value known only at run time (`#[retry(max_attempts =
//! self.retries)]`) cannot be refused: the program is running. Its setting's `*_or_nearest`
//! function gives the value to use instead (the nearest one the check accepts, or the
//! setting's default where none is nearer) with the refusal, for the runtime to report.

use std::time::Duration;

use crate::{
    Invalid,
    duration::format,
    invalid::{count, positive},
};

/// The multiplier of an exponential backoff when it is not set.
pub const DEFAULT_MULTIPLIER: f64 = 2.0;

/// `max_delay` when it is not set, which [`initial_delay_within_max_delay`] compares with.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// [`DEFAULT_MAX_DELAY`] as the documentation writes it.
const DEFAULT_MAX_DELAY_TEXT: &str = "30s";

/// `max_retry_after` when it is not set: no cap of its own. A hint is still capped at
/// `max_delay`, as every delay is; `max_retry_after` only caps hints lower.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::MAX;

/// The attempt count that stands for "no limit": `max_attempts = unlimited`. The attempts are
/// then bounded by the retry budget, `max_elapsed` and any enclosing deadline alone.
pub const UNLIMITED_ATTEMPTS: u32 = u32::MAX;

/// The word for no limit on the attempts: `max_attempts = unlimited`.
pub const UNLIMITED: &str = "unlimited";

/// The word for no cap: `max_delay = none`, `max_retry_after = none`.
pub const NO_CAP: &str = "none";

/// The largest `max_retries`: one more attempt would be [`UNLIMITED_ATTEMPTS`].
pub const MAX_RETRIES: u32 = UNLIMITED_ATTEMPTS - 2;

/// `max_attempts`: an integer >= 1, the first attempt included. [`UNLIMITED_ATTEMPTS`]
/// (`u32::MAX`) is no limit, as the word [`UNLIMITED`] writes it.
///
/// ```
/// use resilience_settings::retry::max_attempts;
/// assert_eq!(max_attempts(3), Ok(3));
/// assert!(max_attempts(0).is_err());
/// ```
pub fn max_attempts(n: i128) -> Result<u32, Invalid> {
    count("max_attempts", n)
}

/// [`max_attempts`] for a value known only at run time: the value to use, and the refusal
/// if it is not the one given. Below 1 is 1 (the body always runs once); above `u32::MAX` is
/// no limit.
///
/// ```
/// use resilience_settings::retry::{UNLIMITED_ATTEMPTS, max_attempts_or_nearest};
/// assert_eq!(max_attempts_or_nearest(5), (5, None));
/// let (used, refused) = max_attempts_or_nearest(0);
/// assert_eq!(used, 1);
/// assert!(refused.unwrap().to_string().contains("at least 1"));
/// assert_eq!(max_attempts_or_nearest(i128::MAX).0, UNLIMITED_ATTEMPTS);
/// ```
pub fn max_attempts_or_nearest(n: i128) -> (u32, Option<Invalid>) {
    match max_attempts(n) {
        Ok(n) => (n, None),
        Err(invalid) => (if n < 1 { 1 } else { UNLIMITED_ATTEMPTS }, Some(invalid)),
    }
}

/// `max_retries`: the attempts after the first, an integer from 0 to [`MAX_RETRIES`]; the
/// attempts are one more. What backon (`max_times`), tokio-retry (`.take(n)`) and
/// reqwest-retry (`build_with_max_retries`) count.
///
/// ```
/// use resilience_settings::retry::max_retries;
/// assert_eq!(max_retries(0), Ok(0));
/// assert_eq!(max_retries(3), Ok(3));
/// assert!(max_retries(-1).unwrap_err().to_string().contains("at least 0"));
/// ```
pub fn max_retries(n: i128) -> Result<u32, Invalid> {
    if n < 0 {
        return Err(Invalid::new(
            "max_retries",
            format!(
                "`max_retries` must be at least 0, found {n}: it counts the attempts after the first (0 for none)"
            ),
        ));
    }
    match u32::try_from(n) {
        Ok(n) if n <= MAX_RETRIES => Ok(n),
        _ => Err(Invalid::new(
            "max_retries",
            format!(
                "`max_retries` is too large: at most {MAX_RETRIES}, found {n}; for no limit write `max_attempts = {UNLIMITED}`"
            ),
        )),
    }
}

/// [`max_retries`] for a value known only at run time: the value to use, and the refusal if
/// it is not the one given. Below 0 is 0; above [`MAX_RETRIES`] is [`MAX_RETRIES`].
///
/// ```
/// use resilience_settings::retry::max_retries_or_nearest;
/// assert_eq!(max_retries_or_nearest(2), (2, None));
/// assert_eq!(max_retries_or_nearest(-5).0, 0);
/// ```
pub fn max_retries_or_nearest(n: i128) -> (u32, Option<Invalid>) {
    match max_retries(n) {
        Ok(n) => (n, None),
        Err(invalid) => (if n < 0 { 0 } else { MAX_RETRIES }, Some(invalid)),
    }
}

/// `max_retries` beside `max_attempts`: both set the number of attempts.
///
/// ```
/// let err = resilience_settings::retry::max_retries_beside_max_attempts();
/// assert_eq!(err.key(), "max_retries");
/// assert!(err.to_string().contains("keep one"));
/// ```
pub fn max_retries_beside_max_attempts() -> Invalid {
    Invalid::new(
        "max_retries",
        "`max_retries` and `max_attempts` both set how many attempts are made: keep one (`max_retries = N` is `max_attempts = N + 1`)",
    )
}

/// `multiplier`: a finite number greater than 1 (at 1 the backoff is constant).
///
/// ```
/// use resilience_settings::retry::multiplier;
/// assert_eq!(multiplier(2.0), Ok(2.0));
/// assert!(multiplier(1.0).unwrap_err().to_string().contains("backoff = constant"));
/// ```
pub fn multiplier(m: f64) -> Result<f64, Invalid> {
    if m.is_finite() && m > 1.0 {
        Ok(m)
    } else {
        Err(Invalid::new(
            "multiplier",
            format!(
                "`multiplier` must be a finite number greater than 1, found {m}: for equal delays use `backoff = constant`"
            ),
        ))
    }
}

/// [`multiplier`] for a value known only at run time: the value to use, and the refusal if
/// it is not the one given. There is no nearest multiplier above 1: a refused one is
/// [`DEFAULT_MULTIPLIER`].
///
/// ```
/// use resilience_settings::retry::{DEFAULT_MULTIPLIER, multiplier_or_default};
/// assert_eq!(multiplier_or_default(1.5), (1.5, None));
/// assert_eq!(multiplier_or_default(0.5).0, DEFAULT_MULTIPLIER);
/// ```
pub fn multiplier_or_default(m: f64) -> (f64, Option<Invalid>) {
    match multiplier(m) {
        Ok(m) => (m, None),
        Err(invalid) => (DEFAULT_MULTIPLIER, Some(invalid)),
    }
}

/// `multiplier` beside a backoff other than `exponential`, which has none.
///
/// ```
/// let err = resilience_settings::retry::multiplier_without_exponential("linear");
/// assert!(err.to_string().contains("not `linear`"));
/// ```
pub fn multiplier_without_exponential(backoff: &str) -> Invalid {
    Invalid::new(
        "multiplier",
        format!("`multiplier` only applies to `backoff = exponential`, not `{backoff}`: remove it"),
    )
}

/// A proportional `jitter`: a fraction in (0, 1], each delay varying by ± that much.
///
/// ```
/// use resilience_settings::retry::jitter_fraction;
/// assert_eq!(jitter_fraction(0.1), Ok(0.1));
/// assert!(jitter_fraction(0.0).unwrap_err().to_string().contains("none"));
/// assert!(jitter_fraction(1.5).is_err());
/// ```
pub fn jitter_fraction(fraction: f64) -> Result<f64, Invalid> {
    if fraction > 0.0 && fraction <= 1.0 {
        return Ok(fraction);
    }
    let fix = if fraction == 0.0 {
        "for no jitter write `none`"
    } else {
        "0.1 is ±10%"
    };
    Err(Invalid::new(
        "jitter",
        format!("a proportional `jitter` must be in (0, 1], found {fraction}: {fix}"),
    ))
}

/// `initial_delay`: any duration.
///
/// ```
/// assert!(resilience_settings::retry::initial_delay(std::time::Duration::ZERO).is_ok());
/// ```
pub fn initial_delay(d: Duration) -> Result<Duration, Invalid> {
    Ok(d)
}

/// `max_delay`: any duration. See also [`initial_delay_within_max_delay`].
///
/// ```
/// assert!(resilience_settings::retry::max_delay(std::time::Duration::from_secs(5)).is_ok());
/// ```
pub fn max_delay(d: Duration) -> Result<Duration, Invalid> {
    Ok(d)
}

/// `max_elapsed`: longer than zero (at zero no retry would ever be made).
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::retry::max_elapsed(Duration::ZERO).is_err());
/// ```
pub fn max_elapsed(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "max_elapsed",
        d,
        "zero would never retry; write `max_attempts = 1` for no retry, or give the time retries may take, as in \"10s\"",
    )
}

/// [`max_elapsed`] for a value known only at run time: the value to use (`None`: no time
/// budget), and the refusal if it is not the one given. Zero has no nearest value that
/// would still retry: it is taken as not set.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::retry::max_elapsed_or_unset;
/// assert_eq!(max_elapsed_or_unset(Duration::from_secs(5)), (Some(Duration::from_secs(5)), None));
/// assert_eq!(max_elapsed_or_unset(Duration::ZERO).0, None);
/// ```
pub fn max_elapsed_or_unset(d: Duration) -> (Option<Duration>, Option<Invalid>) {
    match max_elapsed(d) {
        Ok(d) => (Some(d), None),
        Err(invalid) => (None, Some(invalid)),
    }
}

/// `max_retry_after`: a cap on the delay a `Retry-After` hint may ask for, below `max_delay`
/// (which caps every delay, a hint's included), longer than zero; [`NO_CAP`] for none.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::retry::max_retry_after;
/// assert!(max_retry_after(Duration::from_secs(120)).is_ok());
/// assert!(max_retry_after(Duration::ZERO).unwrap_err().to_string().contains("none"));
/// ```
pub fn max_retry_after(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "max_retry_after",
        d,
        "it caps the delay a `Retry-After` hint asks for, and zero would retry at once whatever the hint says; write a cap such as \"2m\", or `none` for no cap",
    )
}

/// [`max_retry_after`] for a value known only at run time: the value to use, and the refusal
/// if it is not the one given. Zero is [`DEFAULT_MAX_RETRY_AFTER`].
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::retry::{DEFAULT_MAX_RETRY_AFTER, max_retry_after_or_default};
/// assert_eq!(max_retry_after_or_default(Duration::ZERO).0, DEFAULT_MAX_RETRY_AFTER);
/// ```
pub fn max_retry_after_or_default(d: Duration) -> (Duration, Option<Invalid>) {
    match max_retry_after(d) {
        Ok(d) => (d, None),
        Err(invalid) => (DEFAULT_MAX_RETRY_AFTER, Some(invalid)),
    }
}

/// `initial_delay` against `max_delay` (`None`: not set, so [`DEFAULT_MAX_DELAY`]): a first
/// delay above the cap would have every delay cut to the cap.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::retry::initial_delay_within_max_delay;
/// assert!(initial_delay_within_max_delay(Duration::from_secs(1), None).is_ok());
/// assert!(initial_delay_within_max_delay(Duration::from_secs(120), None).is_err());
/// ```
pub fn initial_delay_within_max_delay(
    initial: Duration,
    max_delay: Option<Duration>,
) -> Result<(), Invalid> {
    if initial <= max_delay.unwrap_or(DEFAULT_MAX_DELAY) {
        return Ok(());
    }
    let (max, set) = match max_delay {
        Some(d) => (format(d), ""),
        None => (DEFAULT_MAX_DELAY_TEXT.to_owned(), " unless set"),
    };
    Err(Invalid::new(
        "initial_delay",
        format!(
            "`initial_delay` ({}) is longer than `max_delay` ({max}{set}), so every delay would be cut to `max_delay`: raise `max_delay` or lower `initial_delay`",
            format(initial),
        ),
    ))
}

/// [`initial_delay_within_max_delay`] for values known only at run time: the initial delay
/// to use, and the refusal if it is not the one given. Above the cap is the cap.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::retry::initial_delay_within_max_delay_or_nearest;
/// let (used, refused) = initial_delay_within_max_delay_or_nearest(
///     Duration::from_secs(5),
///     Some(Duration::from_secs(1)),
/// );
/// assert_eq!(used, Duration::from_secs(1));
/// assert!(refused.is_some());
/// ```
pub fn initial_delay_within_max_delay_or_nearest(
    initial: Duration,
    max_delay: Option<Duration>,
) -> (Duration, Option<Invalid>) {
    match initial_delay_within_max_delay(initial, max_delay) {
        Ok(()) => (initial, None),
        Err(invalid) => (max_delay.unwrap_or(DEFAULT_MAX_DELAY), Some(invalid)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_is_written_as_it_is() {
        assert_eq!(
            crate::duration::parse(super::DEFAULT_MAX_DELAY_TEXT),
            Ok(super::DEFAULT_MAX_DELAY)
        );
    }
}
