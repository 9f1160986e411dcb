//! The settings of a keyed breaker family (`#[circuit_breaker(name = "..", key = ..)]`): how
//! many keys it holds at most, and after how long unused a key's breaker is evicted.

use std::time::Duration;

use crate::{
    Invalid,
    invalid::{count, positive},
};

/// `max_keys` when it is not set: keys a family holds at once. A keyed breaker costs well
/// under a kilobyte, so the default bounds a family to a few megabytes.
pub const DEFAULT_MAX_KEYS: u32 = 10_000;

/// `idle_timeout` when it is not set: a key's breaker unused this long may be evicted.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// `max_keys`: an integer >= 1.
///
/// ```
/// use resilience_settings::keyed::max_keys;
/// assert_eq!(max_keys(100), Ok(100));
/// assert!(max_keys(0).is_err());
/// ```
pub fn max_keys(n: i128) -> Result<u32, Invalid> {
    count("max_keys", n)
}

/// `idle_timeout`: longer than zero.
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::keyed::idle_timeout;
/// assert!(idle_timeout(Duration::ZERO).is_err());
/// assert!(idle_timeout(Duration::from_secs(60)).is_ok());
/// ```
pub fn idle_timeout(d: Duration) -> Result<Duration, Invalid> {
    positive(
        "idle_timeout",
        d,
        "every key's breaker would be evicted as soon as it is not in use, forgetting its \
         failures; write how long an unused key is kept, as in `idle_timeout = \"5m\"`",
    )
}
