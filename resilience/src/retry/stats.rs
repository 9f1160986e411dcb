//! Statistics of every retry site, beside the breakers' registry: how often each retried
//! function was called, how many attempts it took, how long it slept.
//!
//! A `#[retry]` function is a site, named by its module path and name
//! (`my_crate::db::load`) or by `#[retry(name = "...")]`. The plain API counts under a name
//! given with [`Retry::named`](crate::Retry::named); unnamed plain calls are not counted here.
//! Sites that share a name are listed once, their counts added up.
//!
//! Counting costs the call that succeeds at once one relaxed increment of a counter its thread
//! owns: a plain load and store, without the locked read-modify-write of a shared atomic
//! (which costs more than a whole retried call otherwise). The first eight threads alive at
//! once each own a stripe, handed on when they exit; threads beyond them share one more with
//! an atomic increment. Everything else is counted on the failure path, which
//! sleeps anyway.
//!
//! ```
//! use resilience::{retries, retry};
//!
//! #[retry(name = "doc.retries.fetch", max_attempts = 3, initial_delay = "1ms")]
//! fn fetch(calls: &mut u32) -> Result<u32, &'static str> {
//!     *calls += 1;
//!     if *calls == 1 { Err("busy") } else { Ok(*calls) }
//! }
//!
//! let mut calls = 0;
//! fetch(&mut calls).unwrap(); // one failure, then a success
//! fetch(&mut calls).unwrap(); // a success at once
//!
//! let stats = retries::get("doc.retries.fetch").unwrap();
//! assert_eq!(stats.calls, 2);
//! assert_eq!(stats.attempts, 3);
//! assert_eq!(stats.first_try_successes, 1);
//! assert_eq!(stats.successes_after_retries, 1);
//! assert_eq!(stats.give_ups, 0);
//! assert!(retries::all().iter().any(|s| s.name == "doc.retries.fetch"));
//! ```

use std::{fmt, time::Duration};

use super::site;

/// A snapshot of one retry site's counts, from [`all`] or [`get`].
///
/// The counts are read one after the other while calls may be finishing, so a snapshot taken
/// under load can be off by the calls in flight; each count on its own only grows.
///
/// ```
/// let stats = resilience::RetryPolicy::new()
///     .retrying()
///     .named("doc.retry-stats")
///     .call(|| Ok::<_, ()>(1))
///     .map(|_| resilience::retries::get("doc.retry-stats").unwrap())
///     .unwrap();
/// assert_eq!((stats.calls, stats.attempts, stats.first_try_successes), (1, 1, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryStats {
    /// The site's name: the function's module path and name, or the name given.
    pub name: &'static str,
    /// Calls that finished: `first_try_successes + successes_after_retries + give_ups`.
    pub calls: u64,
    /// Runs of the body, first attempts included.
    pub attempts: u64,
    /// Calls whose first attempt succeeded.
    pub first_try_successes: u64,
    /// Calls that succeeded after one retry or more.
    pub successes_after_retries: u64,
    /// Calls that returned an error: attempts, time or retry budget used up, an error `when`
    /// does not retry, or a breaker's rejection.
    pub give_ups: u64,
    /// Calls that returned their error because the retry budget refused a retry (among
    /// `give_ups`).
    pub budget_exhausted: u64,
    /// Calls that returned a breaker's rejection at once instead of retrying it blindly
    /// (among `give_ups`).
    pub circuit_open: u64,
    /// Retries: attempts after the first, each counted when its attempt starts. A retry
    /// whose call is dropped during its sleep, or whose `on_retry` hook panics, never
    /// starts and is not counted (its retry budget's withdrawal, made when the retry was
    /// decided, stays spent: see [`RetryBudget`](crate::RetryBudget)).
    pub retries: u64,
    /// The delays slept before the retries counted in `retries`, added up.
    pub slept: Duration,
}

/// Every retry site that has been called, by name.
///
/// ```
/// let _ = resilience::RetryPolicy::new().retrying().named("doc.all").call(|| Ok::<_, ()>(()));
/// assert!(resilience::retries::all().iter().any(|s| s.name == "doc.all"));
/// ```
pub fn all() -> Vec<RetryStats> {
    let sites = site::listed();
    let mut stats: Vec<RetryStats> = Vec::new();
    for site in sites {
        let snapshot = site.snapshot();
        match stats.iter_mut().find(|s| s.name == snapshot.name) {
            Some(total) => total.add(&snapshot),
            None => stats.push(snapshot),
        }
    }
    stats.sort_by(|a, b| a.name.cmp(b.name));
    stats
}

/// The counts of the sites named `name`, once one of them has been called.
///
/// ```
/// assert!(resilience::retries::get("doc.never-called").is_none());
/// ```
pub fn get(name: &str) -> Option<RetryStats> {
    all().into_iter().find(|s| s.name == name)
}

impl RetryStats {
    fn add(&mut self, other: &RetryStats) {
        self.calls += other.calls;
        self.attempts += other.attempts;
        self.first_try_successes += other.first_try_successes;
        self.successes_after_retries += other.successes_after_retries;
        self.give_ups += other.give_ups;
        self.budget_exhausted += other.budget_exhausted;
        self.circuit_open += other.circuit_open;
        self.retries += other.retries;
        self.slept += other.slept;
    }
}

impl fmt::Display for RetryStats {
    /// One line for a log or a status page.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} calls, {} attempts ({} first-try successes, {} after retries, {} give-ups), slept {:?}",
            self.name,
            self.calls,
            self.attempts,
            self.first_try_successes,
            self.successes_after_retries,
            self.give_ups,
            self.slept
        )
    }
}
