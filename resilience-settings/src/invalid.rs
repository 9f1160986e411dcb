//! What is wrong with a setting's value.

use std::fmt;

/// A value a setting does not take: which setting, and a message that says what is wrong
/// and how to fix it. The message names the setting by its attribute argument and file key
/// (`` `slow_call` ``); the environment's variables are those keys in upper case.
///
/// ```
/// let err = resilience_settings::breaker::failure_rate(1.5).unwrap_err();
/// assert_eq!(err.key(), "failure_rate");
/// assert_eq!(err.to_string(), err.message());
/// assert!(err.message().starts_with("`failure_rate`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    key: &'static str,
    message: String,
}

impl Invalid {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            key,
            message: message.into(),
        }
    }

    /// The setting, by its attribute argument and file key: `"slow_call"`.
    ///
    /// ```
    /// assert_eq!(resilience_settings::retry::max_attempts(0).unwrap_err().key(), "max_attempts");
    /// ```
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// What is wrong, and how to fix it.
    ///
    /// ```
    /// let err = resilience_settings::retry::max_attempts(0).unwrap_err();
    /// assert_eq!(err.message(), "`max_attempts` must be at least 1, found 0");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// A count that must be at least 1 and fit in a `u32`: thresholds, attempts, calls.
pub(crate) fn count(key: &'static str, n: i128) -> Result<u32, Invalid> {
    if n < 1 {
        return Err(Invalid::new(
            key,
            format!("`{key}` must be at least 1, found {n}"),
        ));
    }
    u32::try_from(n).map_err(|_| {
        Invalid::new(
            key,
            format!("`{key}` is too large: at most {}, found {n}", u32::MAX),
        )
    })
}

/// A duration that must be longer than zero; `why` says what zero would do, and how to fix
/// it.
pub(crate) fn positive(
    key: &'static str,
    d: std::time::Duration,
    why: &str,
) -> Result<std::time::Duration, Invalid> {
    if d.is_zero() {
        Err(Invalid::new(
            key,
            format!("`{key}` must be longer than zero: {why}"),
        ))
    } else {
        Ok(d)
    }
}
