//! The circuit breaker: a state machine in front of a dependency that keeps failing.
//!
//! # How it is built
//!
//! The hot path is lock-free. One atomic word holds the state and a generation number that
//! every transition bumps; a call reads it once to get its [`Permit`], and the permit
//! remembers the word so that an outcome reported after the breaker moved on (a call that
//! started before it opened) is counted in the statistics but does not steer the new state.
//! In the closed state with the default (consecutive-failures) policy, a successful call
//! costs loads of that word, of the policy flags and of the consecutive-failure counter,
//! and one increment of the success counter: no lock, no allocation, and no clock unless a
//! slow-call threshold or a time window is configured. The counters are striped by thread
//! over separate cache lines, so threads sharing a breaker do not contend on them.
//!
//! Everything else — transitions, half-open trial bookkeeping, the failure-rate window,
//! the configuration — is behind one mutex, held for a few instructions, never across an
//! `.await` or a user callback: listeners run after it is released. Only a thread holding
//! the mutex writes the state word, so transitions are serialised and each is decided on a
//! state that cannot change under it.
//!
//! Memory orderings: the state word is stored with `Release` and loaded with `Acquire`, so
//! a thread that sees a new state also sees what was written before it (the end of the open
//! period, the configuration's atomics). Counters are `Relaxed`: they are statistics, each
//! exact on its own, and all of them exact together once the threads that used the breaker
//! are joined. The consecutive-failure counter is `Relaxed` too: reaching the threshold only
//! sends the caller to the mutex, where the decision to open is taken again.
//!
//! # What is where
//!
//! - `core.rs`: the breaker's atomics and what its mutex guards, making and configuring it,
//!   the operator's switches, and the transitions, told to listeners after the lock is
//!   released.
//! - `acquire.rs`: letting a call through (the closed state's lock-free path, half-open
//!   trials, the adaptive throttle) or rejecting it.
//! - `outcome.rs`: what a call's outcome does to the counts, the windows and the state.
//! - `permit.rs`: [`Permit`], the right to make one call, and the plain API on it
//!   ([`CircuitBreaker::call`], [`When`]).
//! - `stats.rs`: [`BreakerStats`] and the counters behind it, on the crate's stripes.
//! - `restore.rs`: putting a breaker back in a snapshot's state ([`Restored`]).
//! - `word.rs`: the state word, a state's tag and the generation in one atomic.
//! - `config.rs`: [`BreakerConfig`], plain data; `window.rs`: the sliding windows of the
//!   failure rate and the throttle; `sync.rs`: std's or loom's primitives.
//! - `keyed/`: [`KeyedBreaker`], a family of breakers, one per key, each a
//!   [`CircuitBreaker`] with compact counters; its sharded map and the eviction of idle
//!   keys.
//!
//! The state types ([`State`](crate::State), [`Reason`](crate::Reason),
//! [`StateChange`](crate::StateChange)) are plain data of their own module, `crate::state`,
//! which the registry, snapshots and `observe` read without the breaker.

mod acquire;
mod config;
mod core;
mod keyed;
mod outcome;
mod permit;
mod restore;
mod stats;
mod sync;
mod window;
mod word;

/// What the `#[circuit_breaker]` attribute calls, from the modules that own it.
pub(crate) mod attribute {
    pub use super::acquire::attribute::try_acquire_closed;
    pub use super::config::attribute::{adaptive, failure_rate, recovery_backoff};
}
pub use self::config::{Adaptive, BreakerConfig, BreakerSetting, FailureRate, Window};
pub use self::core::CircuitBreaker;
pub(crate) use self::core::Listeners;
pub use self::keyed::{KeyedBreaker, KeyedConfig, KeyedStats};
pub use self::permit::{OthersAsSuccess, Permit, When, any_error, counts_as_failure};
pub use self::restore::Restored;
pub use self::stats::{AdaptiveStats, BreakerStats};

#[cfg(all(test, not(loom)))]
mod tests;
