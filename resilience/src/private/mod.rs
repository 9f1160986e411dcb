//! What the attributes' expansions name, and nothing else: a list of re-exports, each from the
//! module that owns it. Not a public API: it changes without notice.
//!
//! The list is checked against the expansion snapshots (`resilience-macros/tests/expand`) by
//! the test in `tests.rs`: every `::resilience::__private::NAME` a snapshot uses is here, and
//! every name here is used by a snapshot, or by one of the macros listed here (`hint!` and
//! `describe!` expand to names of their own). A name the attributes stop using leaves the
//! list with them.

pub use crate::Error;
pub use crate::bounds::result::{
    attempt, attempt_async, breaker_key, from_result, into_result, reject,
};
pub use crate::bounds::{ReturnsResult, WorkerArgument, can_reject, returns_result};
pub use crate::breaker::attribute::{adaptive, failure_rate, recovery_backoff, try_acquire_closed};
pub use crate::breaker::{BreakerConfig, KeyedConfig, Window, any_error, counts_as_failure};
pub use crate::budget::BudgetSite;
pub use crate::observe::describe::{DescribeFallback, DescribeProbe, DescribeViaDebug, type_name};
pub use crate::registry::{BreakerSite, KeyedSite, keyed_site, method_site_breaker, site_breaker};
pub use crate::retry::SiteRetry as Retry;
pub use crate::retry::attribute::DEFAULT_EXPONENTIAL;
pub use crate::retry::{
    AnyError, Backoff, Clock, HintFallback, HintProbe, HintViaRetryAfter, Jitter, NoHook,
    RetryPolicy, RetrySite, RuntimePolicy, Step, retry_started, sleep_task, sleep_thread,
};
pub use crate::timeout::{attribute::timeout_async_into, timeout_sync};
pub use crate::{__resilience_describe as describe, __resilience_hint as hint};

#[cfg(test)]
mod tests;
