//! The `#[timeout(...)]` limit.

use std::time::Duration;

use crate::Invalid;

/// A timeout's limit: longer than zero (a zero timeout would fail every call).
///
/// ```
/// use std::time::Duration;
/// assert!(resilience_settings::timeout::limit(Duration::ZERO).is_err());
/// assert!(resilience_settings::timeout::limit(Duration::from_millis(250)).is_ok());
/// ```
pub fn limit(d: Duration) -> Result<Duration, Invalid> {
    if d.is_zero() {
        Err(Invalid::new(
            "timeout",
            "a zero timeout would fail every call: give a positive duration, as in \"250ms\"",
        ))
    } else {
        Ok(d)
    }
}
