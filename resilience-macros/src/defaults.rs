//! The runtime's defaults that an expansion still spells out, where a runtime builder takes
//! a default together with a setting the user wrote: `with_failure_rate(rate, window,
//! minimum_calls)`, `with_adaptive(k, window)`, `with_recovery_backoff(factor, max)` and
//! `Backoff::Exponential { multiplier }`. Each is the `resilience-settings` constant the
//! runtime reads too, so the two cannot drift.

use std::time::Duration;

use resilience_settings::{breaker, retry};

/// The window of a failure rate or a throttle written without one, in calls.
pub(crate) const WINDOW_CALLS: u32 = breaker::DEFAULT_WINDOW_CALLS;

/// The minimum number of calls of a failure rate written without one, taken as the window
/// when the window is smaller.
pub(crate) const MINIMUM_CALLS: u32 = breaker::DEFAULT_MINIMUM_CALLS;

/// The open time's cap, for a recovery backoff written without `max_recovery_timeout`: this
/// many times the recovery timeout.
pub(crate) const RECOVERY_CAP_FACTOR: u32 = breaker::DEFAULT_RECOVERY_CAP_FACTOR;

/// The recovery timeout unless written, from which the open time's cap is computed.
pub(crate) const RECOVERY_TIMEOUT: Duration = breaker::DEFAULT_RECOVERY_TIMEOUT;

/// The multiplier of `backoff = exponential` written without one.
pub(crate) const MULTIPLIER: f64 = retry::DEFAULT_MULTIPLIER;
