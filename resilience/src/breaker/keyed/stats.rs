//! A keyed family's figures, from [`KeyedBreaker::stats`](super::KeyedBreaker::stats).

use std::sync::Arc;

/// A snapshot of a [`KeyedBreaker`](crate::KeyedBreaker) family: its keys by state, its
/// bound, and what it made, evicted and sent through its own breaker. Each figure is exact
/// on its own; they are read one after the other while calls go on. The statistics of each
/// key's breaker are in [`KeyedBreaker::key_stats`](crate::KeyedBreaker::key_stats).
///
/// ```
/// use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
///
/// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new().with_max_keys(2));
/// for host in ["a", "b", "c"] {
///     let _ = hosts.call(host, || Ok::<_, resilience::Error>(()));
/// }
/// let stats = hosts.stats();
/// assert_eq!((stats.keys, stats.max_keys, stats.closed), (2, 2, 2));
/// assert_eq!((stats.created, stats.overflowed), (2, 1)); // "c" went through the family's own
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyedStats {
    /// The family's name.
    pub name: Arc<str>,
    /// Keys alive.
    pub keys: usize,
    /// The most keys it holds at once.
    pub max_keys: usize,
    /// Keys whose breaker is closed.
    pub closed: usize,
    /// Keys whose breaker is open.
    pub open: usize,
    /// Keys whose breaker is half-open.
    pub half_open: usize,
    /// Keys whose breaker an operator forced open.
    pub forced_open: usize,
    /// Keys whose breaker an operator disabled.
    pub disabled: usize,
    /// Keys' breakers made since the family was.
    pub created: u64,
    /// Keys' breakers evicted, idle.
    pub evicted: u64,
    /// Calls for a new key that went through the family's own breaker, the family being
    /// full with no key to evict.
    pub overflowed: u64,
}
