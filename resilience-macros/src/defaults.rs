//! The runtime's defaults that an expansion still spells out. The macros emit only what the
//! user wrote, and the runtime fills in the rest, except where a runtime builder takes a
//! default together with a setting the user wrote: `with_failure_rate(rate, window,
//! minimum_calls)`, `with_adaptive(k, window)`, `with_recovery_backoff(factor, max)` and
//! `Backoff::Exponential { multiplier }`.
//!
//! Each value comes from `resilience-settings`, which the runtime reads too, where that crate
//! has it. The values it does not have yet are kept here, each naming where the runtime keeps
//! its own, until the settings crate holds them or the runtime takes each setting by a
//! builder of its own; the integration tests pin the two against each other.

use std::time::Duration;

use resilience_settings::breaker;

/// The window of a failure rate or a throttle written without one, in calls.
pub(crate) const WINDOW_CALLS: u32 = breaker::DEFAULT_WINDOW_CALLS;

/// The minimum number of calls of a failure rate written without one, taken as the window
/// when the window is smaller. The runtime's is `DEFAULT_MINIMUM_CALLS` in
/// `resilience/src/config/fields.rs`.
pub(crate) const MINIMUM_CALLS: u32 = 10;

/// The open time's cap, for a recovery backoff written without `max_recovery_timeout`: this
/// many times the recovery timeout. The runtime's is in `Fields::apply`, in
/// `resilience/src/config/fields.rs`.
pub(crate) const RECOVERY_CAP_FACTOR: u32 = 10;

/// The recovery timeout unless written, from which the open time's cap is computed.
pub(crate) const RECOVERY_TIMEOUT: Duration = breaker::DEFAULT_RECOVERY_TIMEOUT;

/// The multiplier of `backoff = exponential` written without one. The runtime's is in
/// `RetryPolicy::new`, in `resilience/src/backoff.rs`.
pub(crate) const MULTIPLIER: f64 = 2.0;
