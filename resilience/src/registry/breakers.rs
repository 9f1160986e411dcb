//! The global registry of named circuit breakers: the ones `#[circuit_breaker]` uses, for
//! operators to list, reset, force open, disable and configure at run time.
//!
//! A breaker is created the first time a function using its name runs (or when it is
//! configured here), then lives for the rest of the program. Functions that name the same
//! breaker share it. If their attribute arguments differ, the first call site's win (unless
//! the name was configured here, which wins over both) and the mismatch is reported once per
//! pair of call sites (see [`config::on_report`](crate::config::on_report)) and kept in
//! [`config_conflicts`].
//!
//! A name with keys (`#[circuit_breaker(name = "shards", key = shard_id)]`, or
//! [`configure_keyed`]) has a family of breakers, one per key, besides its own breaker:
//! [`keyed`] finds the family, whose keys' breakers share the name's configuration
//! ([`configure`], the environment's variables and files configure them by the name), and
//! [`get`] the name's own breaker, which calls for new keys go through while the family is
//! full (see [`KeyedBreaker`]). `get` keeps its answer (a [`CircuitBreaker`]) for every name,
//! so that code written for plain breakers reads a family's name as it reads any other.
//!
//! ```
//! use std::time::Duration;
//! use resilience::{BreakerConfig, State, breakers};
//!
//! // At start-up, before or after the first call: the run-time configuration wins.
//! let breaker = breakers::configure(
//!     "doc.payments",
//!     BreakerConfig::new().with_recovery_timeout(Duration::from_secs(5)),
//! );
//! assert_eq!(breakers::get("doc.payments").unwrap().state(), State::Closed);
//!
//! // An operator's console.
//! for stats in breakers::stats() {
//!     println!("{}: {} ({} calls)", stats.name, stats.state, stats.calls);
//! }
//! breaker.force_open();
//! breaker.reset();
//! ```

use std::{sync::Arc, time::SystemTime};

use super::{GLOBAL_LISTENERS, create, judge_restore, registry, restore_key};
pub use crate::config::{BreakerSnapshot, Config, ConfigError, Snapshot};
use crate::config::{round_up_to_millis, truncate_to_millis};
pub use crate::report::ConfigConflict;
use crate::{
    BreakerConfig, BreakerStats, CircuitBreaker, KeyedBreaker, KeyedConfig, KeyedStats, StateChange,
};

/// The breaker named `name`, once a function using it ran or it was configured. For a name
/// with keys, the name's own breaker (see [`KeyedBreaker::overflow`]); [`keyed`] gives its
/// family.
///
/// ```
/// assert!(resilience::breakers::get("doc.never-used").is_none());
/// ```
pub fn get(name: &str) -> Option<Arc<CircuitBreaker>> {
    registry()
        .breakers
        .get(name)
        .map(|e| Arc::clone(&e.breaker))
}

/// The family of keyed breakers named `name`, once a keyed function using it ran
/// (`#[circuit_breaker(name = "..", key = ..)]`) or [`configure_keyed`] made it. A key's
/// breaker, its state and statistics are then one call away.
///
/// ```
/// use resilience::{Error, State, breakers, circuit_breaker};
///
/// #[circuit_breaker(name = "doc.keyed.shards", key = shard, failure_threshold = 1)]
/// fn query(shard: u32) -> Result<u32, Error> {
///     if shard == 2 { Err(Error::timeout("query", Default::default())) } else { Ok(shard) }
/// }
///
/// let _ = (query(1), query(2));
/// let shards = breakers::keyed("doc.keyed.shards").unwrap();
/// assert_eq!(shards.get(&2).unwrap().state(), State::Open);
/// assert_eq!(shards.get(&1).unwrap().stats().successes, 1);
/// assert_eq!(shards.stats().open, 1);
/// ```
pub fn keyed(name: &str) -> Option<Arc<KeyedBreaker>> {
    registry().breakers.get(name).and_then(|e| e.family.clone())
}

/// Every family of keyed breakers of the registry, by name.
///
/// ```
/// use resilience::{BreakerConfig, KeyedConfig, breakers};
/// breakers::configure_keyed("doc.all_keyed", BreakerConfig::new(), KeyedConfig::new());
/// assert!(breakers::all_keyed().iter().any(|f| f.name() == "doc.all_keyed"));
/// ```
pub fn all_keyed() -> Vec<Arc<KeyedBreaker>> {
    registry()
        .breakers
        .values()
        .filter_map(|e| e.family.clone())
        .collect()
}

/// A [`KeyedStats`] summary of every family of keyed breakers, by name.
///
/// ```
/// use resilience::{BreakerConfig, KeyedConfig, breakers};
/// breakers::configure_keyed("doc.keyed_stats", BreakerConfig::new(), KeyedConfig::new());
/// assert!(breakers::keyed_stats().iter().any(|s| &*s.name == "doc.keyed_stats" && s.keys == 0));
/// ```
pub fn keyed_stats() -> Vec<KeyedStats> {
    all_keyed().iter().map(|f| f.stats()).collect()
}

/// Configures the name `name` as [`configure`] does, and makes its family of keyed breakers
/// if it has none (for the plain API: `breakers::configure_keyed(..).call(&key, op)`), its
/// keys kept as `keyed` says. Both win over the arguments of every keyed function using the
/// name, before or after their first call. Returns the family.
///
/// ```
/// use resilience::{BreakerConfig, KeyedConfig, breakers};
///
/// let tenants = breakers::configure_keyed(
///     "doc.configure_keyed",
///     BreakerConfig::new().with_failure_threshold(2),
///     KeyedConfig::new().with_max_keys(500),
/// );
/// let n: Result<u32, resilience::Error> = tenants.call("acme", || Ok(7));
/// assert_eq!(n.unwrap(), 7);
/// assert_eq!(tenants.get("acme").unwrap().config().failure_threshold(), 2);
/// assert!(std::sync::Arc::ptr_eq(&tenants, &breakers::keyed("doc.configure_keyed").unwrap()));
/// ```
pub fn configure_keyed(name: &str, config: BreakerConfig, keyed: KeyedConfig) -> Arc<KeyedBreaker> {
    configure(name, config);
    let mut reg = registry();
    let Some(entry) = reg.breakers.get_mut(name) else {
        unreachable!("`configure` made the name's breaker")
    };
    let family = entry.family(keyed, false);
    family.reconfigure_keys(keyed);
    entry.keyed_known = true;
    family
}

/// Every breaker of the registry, by name.
///
/// ```
/// use resilience::{BreakerConfig, breakers};
/// breakers::configure("doc.all", BreakerConfig::new());
/// assert!(breakers::all().iter().any(|b| b.name() == "doc.all"));
/// ```
pub fn all() -> Vec<Arc<CircuitBreaker>> {
    registry()
        .breakers
        .values()
        .map(|e| Arc::clone(&e.breaker))
        .collect()
}

/// A [`BreakerStats`] snapshot of every breaker of the registry, by name.
///
/// ```
/// use resilience::{BreakerConfig, breakers};
/// breakers::configure("doc.stats", BreakerConfig::new());
/// let stats = breakers::stats();
/// assert!(stats.iter().any(|s| &*s.name == "doc.stats" && s.calls == 0));
/// ```
pub fn stats() -> Vec<BreakerStats> {
    // Snapshots are taken after the registry's lock is released.
    all().iter().map(|b| b.stats()).collect()
}

/// Sets the configuration of the breaker `name`, creating it if no function used it
/// yet. It wins over the attribute arguments of every function using the name, before
/// or after their first call. Returns the breaker. A name with keys has its keys'
/// breakers configured too (see [`keyed`]).
///
/// ```
/// use resilience::{BreakerConfig, breakers};
/// let config = BreakerConfig::new().with_failure_threshold(2);
/// let breaker = breakers::configure("doc.configure", config);
/// assert_eq!(breaker.config(), config);
/// ```
pub fn configure(name: &str, config: BreakerConfig) -> Arc<CircuitBreaker> {
    let resolved = crate::env::current().resolve(name, config);
    let mut guard = registry();
    let reg = &mut *guard;
    if let Some(entry) = reg.breakers.get_mut(name) {
        entry.configured = true;
        entry.base = config;
        let breaker = Arc::clone(&entry.breaker);
        // Under the registry's lock, so that two configurations of one name land in
        // the order of their `base`.
        entry.reconfigure(resolved);
        judge_restore(&mut reg.restore_errors, entry);
        return breaker;
    }
    create(guard, name, resolved, None, true, config)
}

/// Configures every breaker and budget of `config` at once; see [`Config::apply`].
///
/// ```
/// use resilience::{BreakerConfig, breakers, config::Config};
/// let mut config = Config::default();
/// config.breakers.insert("doc.breakers.apply".into(), BreakerConfig::new().with_success_threshold(2));
/// breakers::apply(&config);
/// assert_eq!(breakers::get("doc.breakers.apply").unwrap().config().success_threshold(), 2);
/// ```
pub fn apply(config: &Config) {
    config.apply();
}

/// Reads the `RESILIENCE_BREAKER_*` environment variables again (see
/// [`config`](crate::config)) and applies them to every breaker of the registry, in the
/// documented order of precedence. The environment is otherwise read once, when the
/// registry creates its first breaker. For tests, and for operators whose process can
/// change its own environment. Returns the variables that could not be used, as
/// [`config_errors`] does.
///
/// ```
/// let errors = resilience::breakers::reload_env();
/// # assert!(errors.is_empty());
/// ```
pub fn reload_env() -> Vec<ConfigError> {
    let env = crate::env::reload();
    let reg = registry();
    for (name, entry) in &reg.breakers {
        entry.reconfigure(env.resolve(name, entry.base));
    }
    drop(reg);
    config_errors()
}

/// The `RESILIENCE_BREAKER_*` environment variables that could not be used, each with
/// its value and the reason: those refused when the environment was last read, then
/// those refused for a breaker when applied to it (until it is configured again); see
/// [`config`](crate::config)'s "Applied, reported or refused". Each was also reported
/// once (see [`config::on_report`](crate::config::on_report)), and ignored: the next
/// source in the order of precedence applies. Then the open periods of restored snapshots that were shortened (see
/// [`restore`]).
///
/// ```
/// for error in resilience::breakers::config_errors() {
///     eprintln!("{error}");
/// }
/// ```
pub fn config_errors() -> Vec<ConfigError> {
    let mut errors = crate::env::current().errors();
    errors.extend(registry().restore_errors.iter().cloned());
    errors
}

/// The state of every breaker of the registry, to persist and [`restore`] after a
/// restart: each name's, then the keys of each family that are not closed.
///
/// ```
/// use resilience::{BreakerConfig, breakers};
/// breakers::configure("doc.breakers.snapshot", BreakerConfig::new());
/// let snapshot = breakers::snapshot();
/// assert!(snapshot.breakers.iter().any(|b| b.name == "doc.breakers.snapshot"));
/// ```
pub fn snapshot() -> Snapshot {
    let now = SystemTime::now();
    let keys = all_keyed().into_iter().flat_map(|family| {
        family
            .breakers()
            .into_iter()
            .filter(|b| b.state() != crate::State::Closed)
            .map(|b| b.stats())
            .collect::<Vec<_>>()
    });
    let breakers = stats()
        .into_iter()
        .chain(keys)
        .map(|stats| BreakerSnapshot {
            name: stats.name.to_string(),
            key: stats.key.as_deref().map(str::to_owned),
            state: stats.state,
            open_until: stats
                .until_half_open
                .and_then(|left| now.checked_add(left))
                .map(round_up_to_millis),
            failed_recoveries: stats.failed_recoveries,
        })
        .collect();
    Snapshot {
        taken_at: truncate_to_millis(now),
        breakers,
    }
}

/// Brings back the states of `snapshot`, typically at start-up. A keyed breaker (with a
/// [`key`](BreakerSnapshot::key)) is restored in its family, made as the first keyed call
/// site would make it if needed (its keys kept as [`KeyedConfig::new`] says, until a keyed
/// call site or [`configure_keyed`] brings its own); a key the family has no room for is
/// reported and left. A breaker recorded as
/// open stays open until its recorded wall-clock time (converted to the time left on
/// the monotonic clock; a time already past lets the next call through as a trial),
/// then goes half-open as usual; one recorded half-open is open with its period over.
/// A name no function used yet is created with the built-in defaults and the
/// environment, already in its restored state, so that its first call sees the state;
/// the first call site's arguments (or a run-time configuration) then apply, keeping
/// the state. Each restore is one step as callers see it (see
/// [`CircuitBreaker::restore`]).
///
/// An open period longer than any its configuration produces (the recovery timeout, or
/// a recovery backoff's cap) is shortened to the longest it produces: a snapshot's
/// `open_until` a day ahead, or at the end of time, comes from another configuration or
/// from clocks that disagree, and would otherwise keep the breaker open for that long.
/// It is judged against the breaker's own configuration: at once when it has one (a
/// call site ran, or a run-time configuration), else when its first call site (or
/// [`configure`]) brings it. Each shortened period is reported once (see
/// [`config::on_report`](crate::config::on_report)) and kept in [`config_errors`], as a
/// [`ConfigError`] whose `source` is
/// [`ConfigSource::Snapshot`](crate::config::ConfigSource::Snapshot).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use resilience::{State, breakers, config::{BreakerSnapshot, Snapshot}};
///
/// let saved = BreakerSnapshot::new("doc.restore", State::Open)
///     .with_open_until(SystemTime::now() + Duration::from_secs(30));
/// breakers::restore(&Snapshot::new(vec![saved]));
/// let breaker = breakers::get("doc.restore").unwrap();
/// assert_eq!(breaker.state(), State::Open);
/// assert!(breaker.try_acquire().is_err());
/// ```
pub fn restore(snapshot: &Snapshot) {
    let now = SystemTime::now();
    for saved in &snapshot.breakers {
        let open_for = saved
            .open_until
            .and_then(|until| until.duration_since(now).ok())
            .unwrap_or_default();
        match &saved.key {
            Some(key) => restore_key(
                &saved.name,
                key,
                saved.state,
                open_for,
                saved.failed_recoveries,
            ),
            None => super::restore(&saved.name, saved.state, open_for, saved.failed_recoveries),
        }
    }
}

/// Calls `listener` after every state change of every breaker of the registry, outside
/// any lock. A listener that panics is ignored.
///
/// ```
/// resilience::breakers::on_state_change(|change| {
///     eprintln!("{change}"); // or a log line, a metric, an alert
/// });
/// ```
pub fn on_state_change(listener: impl Fn(&StateChange) + Send + Sync + 'static) {
    GLOBAL_LISTENERS.push(Arc::new(listener));
}

/// Every mismatch of attribute configurations seen so far between call sites that
/// share a breaker, once per pair of call sites.
///
/// ```
/// // Empty unless two `#[circuit_breaker]`s with one name have different arguments.
/// let conflicts = resilience::breakers::config_conflicts();
/// # assert!(conflicts.is_empty());
/// ```
pub fn config_conflicts() -> Vec<ConfigConflict> {
    registry().conflicts.clone()
}

impl Config {
    /// Configures every breaker of [`breakers`](Self::breakers) in the registry, as
    /// [`breakers::configure`](crate::breakers::configure) does: it wins over their
    /// attribute arguments, and loses to their per-breaker environment variables. Configures
    /// every retry budget of [`budgets`](Self::budgets) the same way.
    ///
    /// ```
    /// use resilience::{BreakerConfig, config::Config};
    /// let mut config = Config::default();
    /// config.breakers.insert("doc.apply".into(), BreakerConfig::new().with_failure_threshold(2));
    /// config.apply();
    /// assert_eq!(resilience::breakers::get("doc.apply").unwrap().config().failure_threshold(), 2);
    /// ```
    pub fn apply(&self) {
        for (name, config) in &self.breakers {
            crate::breakers::configure(name, *config);
        }
        for (name, config) in &self.budgets {
            crate::budgets::configure(name, *config);
        }
    }
}
