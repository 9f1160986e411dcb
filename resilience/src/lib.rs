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
//!   [`RetryPolicy::AGGRESSIVE`], [`RetryPolicy::PATIENT`]; per kind of dependency
//!   [`RetryPolicy::DATABASE`], [`RetryPolicy::CLOUD_STORAGE`], [`RetryPolicy::HTTP`]).
//! - [`macro@circuit_breaker`]: stop calling a dependency that keeps failing; with `key`, one
//!   breaker per host, tenant or shard ([`KeyedBreaker`]).
//! - The plain-function API beside the attribute: [`RetryPolicy::call`],
//!   [`RetryPolicy::call_async`] and [`Retry`] run closures under the same engine.
//! - [`classify`]: ready answers for `when =`, which errors are transient.
//! - [`RetryAfter`]: let an error ask for its own delay (HTTP `Retry-After`).
//! - [`porting`]: coming from backon, tokio-retry, reqwest-retry or failsafe.
//! - [`Error`]: what the attributes themselves produce.
//! - [`bounds`]: what the attributes require of the functions they wrap, named in their
//!   compile errors.
//! - [`macro@timeout`]: bound a call in time; [`timeout_async`] and [`timeout_sync`] beside
//!   it, and [`deadline`] for the budget nested code can see.
//! - [`CircuitBreaker`]: stop calling a dependency that keeps failing ([`BreakerConfig`],
//!   [`State`], [`BreakerStats`]); [`breakers`] is the global registry of named breakers,
//!   for operators (listing, reset, force open, disable, run-time configuration, listeners).
//! - [`config`]: configuration from the environment and, with the `serde` feature, from
//!   files, and breaker states persisted across restarts; what cannot be used is reported
//!   to [`config::on_report`]'s listeners (never to standard error).
//! - [`BudgetConfig`] and [`RetryBudget`]: retry budgets, which keep retries from multiplying
//!   the load on a dependency that is already failing; [`budgets`] is the registry of the
//!   named ones.
//! - [`retries`]: statistics of every retry site, without any feature; [`observe`]: the
//!   `tracing` events and `metrics` series of the optional `tracing` and `metrics` features.
//!
//! # Where it lives
//!
//! Each module imports only modules above it in this list, so none imports one that imports
//! it back.
//!
//! | source | what |
//! |---|---|
//! | `error.rs`, `state.rs` | [`Error`]; a breaker's [`State`], [`Reason`] and [`StateChange`], plain data |
//! | `stripes.rs`, `rejection.rs`, `deadline.rs` | counters striped by thread; a breaker's rejection told to the retry loop around it; [`deadline`] |
//! | `observe/` | [`observe`]: logs and metrics, from plain data the engines hand it; `describe.rs`, how an error is written in a log |
//! | `bounds.rs`, `classify.rs` | [`bounds`] (and the helpers that type a body's result, `bounds::result`); [`classify`] |
//! | `breaker/` | [`CircuitBreaker`]: `core.rs` (its state and transitions), `acquire.rs`, `outcome.rs`, `permit.rs` ([`Permit`], [`When`], `call`), `stats.rs`, `restore.rs`, `word.rs` (the state word), `config.rs` ([`BreakerConfig`]), `window.rs`; `keyed/` ([`KeyedBreaker`]: a breaker per key, its sharded map, the eviction of idle keys) |
//! | `report.rs` | [`config::ConfigError`], [`breakers::ConfigConflict`], and where reports go |
//! | `env/` | the environment's variables; `fields.rs`, the one reader of every setting, for the environment and files |
//! | `budget/` | [`RetryBudget`], its ledger, [`BudgetConfig`], and [`budgets`] |
//! | `retry/` | `policy.rs` ([`RetryPolicy`], [`Backoff`], [`Jitter`]), `schedule.rs`, `hooks.rs` ([`RetryIf`], [`OnRetry`], [`RetryAfter`]...), `core.rs` (a retry's plain data), `attempts.rs` (one call's state machine), `engine.rs` ([`Retry`], [`RetryPolicy::call`]), `outcome.rs` ([`Attempt`], [`RetryOutcome`]), `site.rs` and `stats.rs` ([`retries`]) |
//! | `timeout.rs` | [`timeout`](mod@timeout): [`timeout_async`], [`timeout_sync`] and their worker pool |
//! | `config/` | [`config`]: [`config::Config`], snapshots, the duration syntax, the file forms |
//! | `registry/` | [`breakers`], and what a `#[circuit_breaker]` call site calls to meet its breaker (or its keyed family) |
//! | `private/` | what the attributes' expansions name, a list checked against them |
//! | `integrations/` | with the `tower` or `reqwest` feature: `http.rs` (`resilience::http`: `Retry-After`, idempotent methods), `tower/` and `reqwest/`, over the public API above |
//!
//! # Cargo features
//!
//! All off by default; nothing of them is compiled in when off.
//!
//! - `tracing`: an event for each retry, give-up, breaker state change, rejection and timeout.
//! - `metrics`: counters, a gauge and a histogram through the `metrics` facade.
//! - `serde`: configuration structs deserialize from any format; snapshots serialize.
//! - `tower`: the module `resilience::tower`, layers over the same engines (retries, named
//!   breakers, timeouts with deadlines) for `tower::ServiceBuilder` stacks, hyper and axum
//!   clients.
//! - `reqwest`: the module `resilience::reqwest`, helpers for reqwest (transient-error rules,
//!   `Retry-After`) and a `reqwest-middleware` middleware over the same engines.
//!
//! Both integrations share `resilience::http`: the `Retry-After` header in both of its forms
//! and the idempotent methods.
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

pub mod bounds;
mod breaker;
mod budget;
pub mod classify;
pub mod config;
pub mod deadline;
mod env;
mod error;
pub mod observe;
#[doc = include_str!("docs/porting.md")]
pub mod porting {}
mod registry;
mod rejection;
mod report;
mod retry;
mod state;
mod stripes;
pub mod timeout;

#[cfg(any(feature = "tower", feature = "reqwest"))]
mod integrations;
#[cfg(any(feature = "tower", feature = "reqwest"))]
pub use integrations::http;
#[cfg(feature = "reqwest")]
pub use integrations::reqwest;
#[cfg(feature = "tower")]
pub use integrations::tower;

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;

pub use breaker::{
    Adaptive, AdaptiveStats, BreakerConfig, BreakerStats, CircuitBreaker, FailureRate,
    KeyedBreaker, KeyedConfig, KeyedStats, OthersAsSuccess, Permit, Restored, When, Window,
};
pub use budget::{BudgetConfig, BudgetStats, RetryBudget, budgets};
pub use error::Error;
pub use observe::GiveUp;
pub use registry::breakers;
#[doc = include_str!("docs/circuit_breaker.md")]
pub use resilience_macros::circuit_breaker;
#[doc = include_str!("docs/retry.md")]
pub use resilience_macros::retry;
#[doc = include_str!("docs/timeout.md")]
pub use resilience_macros::timeout;
pub use retry::stats as retries;
pub use retry::{
    AcceptOk, AnyError, AnyErrorOf, Attempt, Backoff, DelayHint, ForError, Jitter, NoHint, NoHook,
    OnRetry, Retry, RetryAfter, RetryIf, RetryOk, RetryOutcome, RetryPolicy, RetryValue, RetryWhen,
    SettingInt, UseRetryAfter,
};
pub use state::{Reason, State, StateChange};
pub use timeout::{timeout_async, timeout_async_named, timeout_sync, timeout_sync_named};
