//! Retries, circuit breakers and timeouts as one-line attributes on any function that returns
//! a `Result`, sync or `async`.
//!
//! ```
//! use std::time::Duration;
//! use resilience::retry;
//!
//! #[derive(Debug)]
//! struct Unavailable;
//!
//! #[retry(max_attempts = 4, initial_delay = "1ms", jitter = none)]
//! fn fetch(calls: &mut u32) -> Result<&'static str, Unavailable> {
//!     *calls += 1;
//!     if *calls < 3 { Err(Unavailable) } else { Ok("payload") }
//! }
//!
//! let mut calls = 0;
//! assert_eq!(fetch(&mut calls).unwrap(), "payload");
//! assert_eq!(calls, 3);
//! ```
//!
//! # What is here
//!
//! - [`macro@retry`]: run the body again when it fails, with backoff and jitter
//!   ([`RetryPolicy`], [`Backoff`], [`Jitter`]), or a preset ([`RetryPolicy::CONSERVATIVE`],
//!   [`RetryPolicy::AGGRESSIVE`], [`RetryPolicy::PATIENT`]).
//! - [`macro@circuit_breaker`]: stop calling a dependency that keeps failing.
//! - The plain-function API beside the attribute: [`RetryPolicy::call`],
//!   [`RetryPolicy::call_async`] and [`Retry`] run closures under the same engine.
//! - [`classify`]: ready answers for `when =`, which errors are transient.
//! - [`RetryAfter`]: let an error ask for its own delay (HTTP `Retry-After`).
//! - [`Error`]: what the attributes themselves produce.
//! - [`bounds`]: what the attributes require of the functions they wrap, named in their
//!   compile errors.
//! - [`macro@timeout`]: bound a call in time; [`timeout_async`] and [`timeout_sync`] beside
//!   it, and [`deadline`] for the budget nested code can see.
//! - [`CircuitBreaker`]: stop calling a dependency that keeps failing ([`BreakerConfig`],
//!   [`State`], [`BreakerStats`]); [`breakers`] is the global registry of named breakers,
//!   for operators (listing, reset, force open, disable, run-time configuration, listeners).
//! - [`config`]: configuration from the environment and, with the `serde` feature, from
//!   files, and breaker states persisted across restarts.
//! - [`BudgetConfig`] and [`RetryBudget`]: retry budgets, which keep retries from multiplying
//!   the load on a dependency that is already failing; [`budgets`] is the registry of the
//!   named ones.
//! - [`retries`]: statistics of every retry site, without any feature; [`observe`]: the
//!   `tracing` events and `metrics` series of the optional `tracing` and `metrics` features.
//!
//! # Cargo features
//!
//! All off by default; nothing of them is compiled in when off.
//!
//! - `tracing`: an event for each retry, give-up, breaker state change, rejection and timeout.
//! - `metrics`: counters, a gauge and a histogram through the `metrics` facade.
//! - `serde`: configuration structs deserialize from any format; snapshots serialize.
//!
//! # Design choices
//!
//! - **No allocation, no boxing.** The attribute expands into a loop around your body; a call
//!   that succeeds at once costs a check of its result and one count for the site's
//!   statistics. The retry state and the random number generator behind jitter are created
//!   only when a first retry needs them.
//! - **The last error, unchanged.** `#[retry]` never wraps your error: when it gives up you
//!   get what the last attempt returned.
//! - **Time from tokio in async code.** Async sleeps use tokio's timer, so tests under tokio's
//!   paused clock see exact schedules. Sync code sleeps the calling thread.
//! - **Saturating arithmetic.** Huge multipliers, attempt counts or `Duration::MAX` give the
//!   cap, never a panic.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![forbid(unsafe_code)]

mod backoff;
pub mod bounds;
mod budget;
mod budget_config;
pub mod classify;
pub mod deadline;
mod error;
mod names;
pub mod observe;
mod rejection;
pub mod retries;
mod retry;
mod state;
mod stripes;
pub mod timeout;

mod breaker;
pub mod config;
mod registry;
pub use breaker::{
    Adaptive, AdaptiveStats, BreakerConfig, BreakerStats, CircuitBreaker, FailureRate, Permit,
    Restored, When, Window,
};
pub use budget::{BudgetStats, RetryBudget};
pub use budget_config::BudgetConfig;
pub use registry::{breakers, budgets};
pub use state::{Reason, State, StateChange};

pub use backoff::{Backoff, Jitter, RetryPolicy};
pub use error::Error;
#[doc = include_str!("docs/circuit_breaker.md")]
pub use resilience_macros::circuit_breaker;
#[doc = include_str!("docs/retry.md")]
pub use resilience_macros::retry;
#[doc = include_str!("docs/timeout.md")]
pub use resilience_macros::timeout;
pub use retry::{
    AnyError, DelayHint, NoHint, NoHook, OnRetry, Retry, RetryAfter, RetryIf, UseRetryAfter,
};
pub use timeout::{timeout_async, timeout_async_named, timeout_sync, timeout_sync_named};

/// What the attributes' expansions call. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    use std::time::Duration;

    pub use crate::Error;
    pub use crate::backoff::{Backoff, Jitter, RetryPolicy};
    pub use crate::retry::{AnyError, Attempts, BudgetSite, Clock, NoHook, Retry, Step};
    pub use crate::timeout::{attribute::timeout_async_into, timeout_sync};
    pub use ::core;

    pub use crate::breaker::{
        BreakerConfig, CircuitBreaker, Permit, Window, any_error, counts_as_failure,
    };
    pub use crate::names::method_site_breaker;
    use std::sync::{Arc, OnceLock};

    /// Called by each `#[circuit_breaker]` call site with its own `static SITE:
    /// OnceLock<Arc<CircuitBreaker>>`; the hot path is just `SITE.get()`, the registry's
    /// lock is only taken the first time. `site` is `"file:line"`.
    #[inline]
    pub fn site_breaker(
        cell: &'static OnceLock<Arc<CircuitBreaker>>,
        name: &'static str,
        config: &'static BreakerConfig,
        site: &'static str,
    ) -> &'static CircuitBreaker {
        match cell.get() {
            Some(breaker) => breaker,
            None => crate::registry::site_breaker(cell, name, config, site),
        }
    }

    /// A call site's cached breaker: filled on the site's first call.
    pub type BreakerSite = OnceLock<Arc<CircuitBreaker>>;

    pub use crate::bounds::{
        CarriesError, ReturnsResult, WorkerArgument, can_reject, returns_result,
    };

    /// The rejection of an open breaker, as the function's return type.
    #[cold]
    pub fn reject<R: ReturnsResult>(error: crate::Error) -> R
    where
        R::Err: CarriesError,
    {
        R::from_result(Err(R::Err::from(error)))
    }

    /// Runs one sync attempt. The turbofish on the return type gives the body's `?` its
    /// target type, as the function's signature would; the result is a `Result` even where
    /// `R` failed to be one (which the check at the return type reports), so that the code
    /// around it adds no errors of its own.
    #[inline(always)]
    pub fn attempt<R: ReturnsResult, F: FnOnce() -> R>(body: F) -> Result<R::Ok, R::Err> {
        body().into_result()
    }

    /// The result of an async attempt, as [`attempt`] gives it.
    #[inline(always)]
    pub fn into_result<R: ReturnsResult>(result: R) -> Result<R::Ok, R::Err> {
        result.into_result()
    }

    /// The result of the whole call as the declared return type (the identity).
    #[inline(always)]
    pub fn from_result<R: ReturnsResult>(result: Result<R::Ok, R::Err>) -> R {
        R::from_result(result)
    }

    /// Types one async attempt, as [`attempt`] does for sync bodies.
    #[inline(always)]
    pub fn attempt_async<R, F: Future<Output = R>>(body: F) -> F {
        body
    }

    /// Sleeps the calling thread between sync attempts.
    #[inline]
    pub fn sleep_thread(delay: Duration) {
        std::thread::sleep(delay);
    }

    /// Sleeps the task between async attempts, on tokio's timer.
    #[inline]
    pub fn sleep_task(delay: Duration) -> tokio::time::Sleep {
        tokio::time::sleep(delay)
    }

    /// Counts the retry whose attempt starts now, after a sleep of `delay`: a retry whose
    /// call is dropped during its sleep, or whose hook panics, never gets here.
    #[inline]
    pub fn retry_started<W, H, D>(retry: &Retry<W, H, D>, delay: Duration) {
        retry.retry_started(delay);
    }

    /// Wraps an error to read its [`RetryAfter`](crate::RetryAfter) hint where the error type
    /// implements it, and `None` where it does not (autoref specialisation: with both traits
    /// in scope, `(&HintProbe(e)).resilience_hint()` picks the trait impl when it applies).
    pub struct HintProbe<'a, E>(pub &'a E);

    /// Picked when the error implements [`RetryAfter`](crate::RetryAfter).
    pub trait HintViaRetryAfter {
        /// The error's hint.
        fn resilience_hint(&self) -> Option<Duration>;
    }

    impl<E: crate::RetryAfter> HintViaRetryAfter for HintProbe<'_, E> {
        #[inline]
        fn resilience_hint(&self) -> Option<Duration> {
            self.0.retry_after()
        }
    }

    /// Picked otherwise.
    pub trait HintFallback {
        /// No hint.
        fn resilience_hint(&self) -> Option<Duration>;
    }

    impl<E> HintFallback for &HintProbe<'_, E> {
        #[inline]
        fn resilience_hint(&self) -> Option<Duration> {
            None
        }
    }

    /// The hint of a result's error, for the attribute's loop.
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __resilience_hint {
        ($result:expr) => {
            match $result {
                ::core::result::Result::Err(error) => {
                    #[allow(unused_imports)]
                    use $crate::__private::{HintFallback as _, HintViaRetryAfter as _};
                    (&$crate::__private::HintProbe(error)).resilience_hint()
                }
                ::core::result::Result::Ok(_) => ::core::option::Option::None,
            }
        };
    }
    pub use __resilience_hint as hint;

    pub use crate::retries::RetrySite;

    pub use crate::__resilience_describe as describe;
    pub use crate::observe::describe::{
        DescribeFallback, DescribeProbe, DescribeViaDebug, type_name,
    };
}
