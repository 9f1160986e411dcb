//! Running a call again when it fails: the one engine behind `#[retry]` and the plain API.
//!
//! [`Retry`] pairs a [`RetryPolicy`] with the per-error decisions a policy cannot hold as plain
//! data: which errors to retry ([`Retry::when`]), what to do before each retry
//! ([`Retry::on_retry`]) and whether an error asks for its own delay ([`Retry::delay_hint`]).
//! [`Retry::call`] and [`Retry::call_async`] are the front doors; both drive the same
//! state machine (`engine::Attempts`), which the `#[retry]` attribute drives too, so the
//! three behave identically.
//!
//! # What is where
//!
//! - `policy.rs`: [`RetryPolicy`], plain data, with [`Backoff`], [`Jitter`] and the presets.
//! - `schedule.rs`: the delays a policy gives, one call at a time.
//! - `hooks.rs`: [`RetryIf`], [`OnRetry`], [`DelayHint`], [`RetryAfter`] and their defaults.
//! - `core.rs`: what every call of a retry shares, as plain data (policy, site, budget).
//! - `attempts.rs`: the state machine of one call after its first failure, which every
//!   front door drives.
//! - `engine.rs`: [`Retry`] and its front doors, [`RetryPolicy::call`] and
//!   [`RetryPolicy::call_async`], and the call site's door the attribute's loop uses.
//! - `outcome.rs`: what a call learns of its retries, [`Attempt`] and [`RetryOutcome`].
//! - `runtime.rs`: the policy of a `#[retry]` whose settings are known at run time.
//! - `site.rs`: a retry site's counters; `stats.rs`: their public listing,
//!   [`retries`](crate::retries).

mod attempts;
mod core;
mod engine;
mod hooks;
mod outcome;
mod policy;
mod runtime;
mod schedule;
mod site;
pub mod stats;

pub use self::attempts::Step;
pub use self::core::Clock;
pub use self::engine::{Retry, SiteRetry, retry_started, sleep_task, sleep_thread};
pub use self::hooks::{
    AcceptOk, AnyError, AnyErrorOf, DelayHint, ForError, HintFallback, HintProbe,
    HintViaRetryAfter, NoHint, NoHook, OnRetry, RetryAfter, RetryIf, RetryOk, RetryValue,
    RetryWhen, UseRetryAfter,
};
pub use self::outcome::{Attempt, RetryOutcome};
pub(crate) use self::policy::attribute;
pub use self::policy::{Backoff, Jitter, RetryPolicy};
pub use self::runtime::{RuntimePolicy, SettingInt};
pub use self::site::RetrySite;
