//! The retry policy's settings: `#[retry(...)]` arguments and the `[retry.<name>]` keys of a
//! file.

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

/// `max_attempts`: an integer >= 1, the first attempt included.
///
/// ```
/// use resilience_settings::retry::max_attempts;
/// assert_eq!(max_attempts(3), Ok(3));
/// assert!(max_attempts(0).is_err());
/// ```
pub fn max_attempts(n: i128) -> Result<u32, Invalid> {
    count("max_attempts", n)
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
