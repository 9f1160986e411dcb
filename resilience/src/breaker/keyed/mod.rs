//! Keyed breakers: one breaker per key (a host, a tenant, a shard) under one name, sharing
//! the name's configuration, so that one dead shard does not reject calls to the healthy
//! ones. [`KeyedBreaker`] is the family; each key's breaker is a [`CircuitBreaker`] of its
//! own, with compact counters.
//!
//! - `mod.rs`: the family, its configuration ([`KeyedConfig`]) and the operator's switches,
//!   applied to every key; what a key's breaker shares with its family ([`FamilyLink`]).
//! - `map.rs`: the sharded map of keys, its bound and the sweep that evicts idle keys.
//! - `text.rs`: a key's text, written on the stack, and the hasher of the map.
//! - `stats.rs`: [`KeyedStats`].

mod map;
mod stats;
mod text;

pub use self::stats::KeyedStats;

use std::{
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc,
        atomic::{AtomicBool as StdAtomicBool, Ordering as StdOrdering},
    },
    time::Duration,
};

use resilience_settings::keyed::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_KEYS};
use tokio::time::Instant;

use self::{
    map::{Evicted, Keys, Shard},
    text::KeyText,
};
use super::{
    config::BreakerConfig,
    core::{CircuitBreaker, Listener, Listeners, lock, nanos},
    sync::{AtomicU64, AtomicUsize, Mutex, Ordering::Relaxed},
};
use crate::{BreakerStats, Error, Reason, Restored, State, StateChange};

/// How a [`KeyedBreaker`] keeps its keys: how many at most, when an unused one is evicted,
/// and whether logs and metrics name them.
///
/// Plain data with `const` builders, as [`BreakerConfig`] is:
///
/// ```
/// use std::time::Duration;
/// use resilience::KeyedConfig;
///
/// const HOSTS: KeyedConfig = KeyedConfig::new()
///     .with_max_keys(50_000)
///     .with_idle_timeout(Duration::from_secs(600));
/// assert_eq!(HOSTS.max_keys(), 50_000);
/// ```
///
/// # Default
///
/// At most 10,000 keys; a key's breaker unused for 5 minutes may be evicted; keys are not
/// named in logs and metrics (see [`with_key_labels`](Self::with_key_labels)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyedConfig {
    max_keys: usize,
    idle_timeout: Duration,
    key_labels: bool,
}

impl Default for KeyedConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyedConfig {
    /// The defaults; see `# Default`.
    ///
    /// ```
    /// assert_eq!(resilience::KeyedConfig::new().max_keys(), 10_000);
    /// ```
    pub const fn new() -> Self {
        KeyedConfig {
            max_keys: DEFAULT_MAX_KEYS as usize,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            key_labels: false,
        }
    }

    /// Keys the family holds at once (`0` is taken as 1). Once it holds this many and none
    /// can be evicted, a call for a new key goes through the family's own breaker (see
    /// [`KeyedBreaker::overflow`]) rather than one of its own.
    ///
    /// ```
    /// assert_eq!(resilience::KeyedConfig::new().with_max_keys(0).max_keys(), 1);
    /// ```
    pub const fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = if max_keys == 0 { 1 } else { max_keys };
        self
    }

    /// How long a key's breaker stays unused before it may be evicted (`Duration::ZERO` is
    /// taken as 1 ms). Only a breaker that no call is using, and that is closed, half-open
    /// with no trial running, or open past its open period, is evicted; its counts are
    /// forgotten, and the key's next call makes a new, closed one.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::KeyedConfig::new().with_idle_timeout(Duration::from_secs(60));
    /// assert_eq!(config.idle_timeout(), Duration::from_secs(60));
    /// ```
    pub const fn with_idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = if idle_timeout.is_zero() {
            Duration::from_millis(1)
        } else {
            idle_timeout
        };
        self
    }

    /// Whether `tracing` events and `metrics` series name the key (a `key` field and label)
    /// besides the family's name. Off by default: every key is a new series, and a family of
    /// host names or tenants would give a metrics backend (Prometheus) an unbounded number of
    /// them. Off, a key's state changes are logged and counted under the family's name, and
    /// the gauge [`observe::BREAKER_KEYS`](crate::observe::BREAKER_KEYS) counts its keys by
    /// state. Listeners always see the key ([`StateChange::key`]).
    ///
    /// ```
    /// assert!(resilience::KeyedConfig::new().with_key_labels(true).key_labels());
    /// ```
    pub const fn with_key_labels(mut self, on: bool) -> Self {
        self.key_labels = on;
        self
    }

    /// See [`with_max_keys`](Self::with_max_keys).
    ///
    /// ```
    /// assert_eq!(resilience::KeyedConfig::new().with_max_keys(8).max_keys(), 8);
    /// ```
    pub const fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// See [`with_idle_timeout`](Self::with_idle_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(resilience::KeyedConfig::new().idle_timeout(), Duration::from_secs(300));
    /// ```
    pub const fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// See [`with_key_labels`](Self::with_key_labels).
    ///
    /// ```
    /// assert!(!resilience::KeyedConfig::new().key_labels());
    /// ```
    pub const fn key_labels(&self) -> bool {
        self.key_labels
    }
}

/// What a key's breaker shares with its family: the family's listeners (and, in the
/// registry, the global ones), and whether logs and metrics may name its key.
pub(crate) struct FamilyLink {
    listeners: Listeners,
    global: Option<&'static Listeners>,
    key_labels: StdAtomicBool,
}

impl FamilyLink {
    /// Whether logs and metrics may name the family's keys.
    pub(crate) fn key_labels(&self) -> bool {
        self.key_labels.load(StdOrdering::Relaxed)
    }

    /// Adds the family's listeners (and the registry's) to `out`.
    pub(super) fn extend(&self, out: &mut Vec<Listener>) {
        out.extend(self.listeners.snapshot());
        if let Some(global) = self.global {
            out.extend(global.snapshot());
        }
    }
}

/// An operator's switch, applied to the whole family: to every key's breaker, to the keys
/// made after it, and to the family's own breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    ForcedOpen,
    Disabled,
}

/// What the keys made next are made with.
#[derive(Debug, Clone, Copy)]
struct Settings {
    config: BreakerConfig,
    keyed: KeyedConfig,
    mode: Mode,
    /// Bumped by each change of the above, so that a key inserted while one was made
    /// catches up with it.
    generation: u64,
}

/// A family of circuit breakers, one per key, under one name: calls for the shard `eu-1`
/// go through `eu-1`'s breaker, so that one dead shard (host, tenant) opens its own breaker
/// and the others keep calling theirs. Every key's breaker has the family's configuration.
///
/// ```
/// use resilience::{BreakerConfig, Error, KeyedBreaker, KeyedConfig, State};
///
/// let shards = KeyedBreaker::new(
///     "shards",
///     BreakerConfig::new().with_failure_threshold(2),
///     KeyedConfig::new().with_max_keys(1_000),
/// );
/// let query = |shard: u32| -> Result<&'static str, Error> {
///     if shard == 3 { Err(Error::timeout("query", Default::default())) } else { Ok("rows") }
/// };
/// for shard in [1, 2, 3, 3, 3] {
///     let _ = shards.call(&shard, || query(shard));
/// }
/// // Shard 3 failed twice: its breaker is open, and rejects without calling it.
/// assert_eq!(shards.get(&3).unwrap().state(), State::Open);
/// assert!(matches!(shards.call(&3, || query(3)), Err(Error::CircuitOpen { .. })));
/// // The other shards are not affected.
/// assert_eq!(shards.call(&1, || query(1)), Ok("rows"));
/// assert_eq!(shards.len(), 3);
/// ```
///
/// # Keys
///
/// A key is any value that implements `Display` (`u32`, `&str`, `String`, `IpAddr`, your
/// own types), and is known by its text: `7u32` and `"7"` are the same key. The text is
/// what operators look a key up by, what snapshots keep and listeners see, so it is the
/// key's identity wherever it is named. It is written on the stack for each look-up, and
/// stored once, when the key's breaker is made.
///
/// # Bounded
///
/// A family holds at most [`KeyedConfig::max_keys`] keys (10,000 by default). A key whose
/// breaker is unused for [`KeyedConfig::idle_timeout`] (5 minutes by default) is evicted,
/// if it is closed, half-open with no trial running, or open past its open period: never an
/// open breaker before its recovery timeout, nor one an operator forced open or disabled,
/// nor one a call is using. Evictions happen as keys are added (each shard of the map is
/// swept at most every quarter of the idle timeout) and at [`evict_idle`](Self::evict_idle).
///
/// When the family is full and no key can be evicted, a call for a new key goes through the
/// family's own breaker, [`overflow`](Self::overflow), which every such call shares: it
/// still protects the dependency (and rejects once those calls fail), as one breaker for
/// the whole name would, rather than refusing calls to healthy keys because the map is
/// full. Each such call is counted ([`KeyedStats::overflowed`], and the metric
/// [`observe::BREAKER_KEY_OVERFLOW`](crate::observe::BREAKER_KEY_OVERFLOW)); the first after
/// a key was added logs a `resilience.breaker.keys_full` warning.
///
/// # Cost
///
/// Looking up a key whose breaker exists writes its text on the stack, hashes it and takes
/// the read lock of one of 64 shards: no lock every call shares, no allocation. A key's
/// breaker keeps its counts on one stripe that every thread adds to (a breaker of its own
/// has one per thread), so that it costs a few hundred bytes: `BENCHMARKS.md` has both
/// figures.
///
/// # In the registry
///
/// `#[circuit_breaker(name = "shards", key = shard_id)]` makes its family in the registry,
/// where [`breakers::keyed`](crate::breakers::keyed) finds it by name (and
/// [`breakers::configure_keyed`](crate::breakers::configure_keyed) makes one for the plain
/// API). [`breakers::get`](crate::breakers::get) gives the name's own breaker (the family's
/// [`overflow`](Self::overflow)), as for any name.
pub struct KeyedBreaker {
    name: Arc<str>,
    keys: Keys,
    /// The name's own breaker: calls for new keys while the family is full.
    own: Arc<CircuitBreaker>,
    link: Arc<FamilyLink>,
    settings: Mutex<Settings>,
    /// `settings.keyed`'s bound and idle timeout, read without the mutex.
    max_keys: AtomicUsize,
    idle_nanos: AtomicU64,
    base: Instant,
    /// When every shard was last swept for room, in nanoseconds since `base`.
    swept_all: AtomicU64,
    /// Whether the last call for a new key found the family full (for its report).
    full: StdAtomicBool,
    created: AtomicU64,
    evicted: AtomicU64,
    overflowed: AtomicU64,
}

impl fmt::Debug for KeyedBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedBreaker")
            .field("name", &self.name)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl KeyedBreaker {
    /// A family named `name`, outside the global registry: each key's breaker configured
    /// with `config`, its keys kept as `keyed` says.
    ///
    /// ```
    /// use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let tenants = KeyedBreaker::new("tenants", BreakerConfig::new(), KeyedConfig::new());
    /// assert_eq!(tenants.name(), "tenants");
    /// assert!(tenants.is_empty());
    /// ```
    pub fn new(name: impl Into<Arc<str>>, config: BreakerConfig, keyed: KeyedConfig) -> Self {
        let name = name.into();
        let own = Arc::new(CircuitBreaker::new(Arc::clone(&name), config));
        Self::build(own, config, keyed, None)
    }

    /// The family of the registry's breaker `own`, whose global listeners hear its keys too.
    pub(crate) fn in_registry(
        own: Arc<CircuitBreaker>,
        keyed: KeyedConfig,
        global: &'static Listeners,
    ) -> Self {
        let config = own.config();
        Self::build(own, config, keyed, Some(global))
    }

    fn build(
        own: Arc<CircuitBreaker>,
        config: BreakerConfig,
        keyed: KeyedConfig,
        global: Option<&'static Listeners>,
    ) -> Self {
        let link = Arc::new(FamilyLink {
            listeners: Listeners::new(),
            global,
            key_labels: StdAtomicBool::new(keyed.key_labels),
        });
        // The family's listeners hear its own breaker too.
        let forward = Arc::clone(&link);
        own.on_state_change(move |change| {
            for listener in forward.listeners.snapshot() {
                let _ = catch_unwind(AssertUnwindSafe(|| listener(change)));
            }
        });
        KeyedBreaker {
            name: own.name_arc(),
            keys: Keys::new(),
            own,
            link,
            settings: Mutex::new(Settings {
                config,
                keyed,
                mode: Mode::Normal,
                generation: 0,
            }),
            max_keys: AtomicUsize::new(keyed.max_keys),
            idle_nanos: AtomicU64::new(nanos(keyed.idle_timeout)),
            base: Instant::now(),
            swept_all: AtomicU64::new(0),
            full: StdAtomicBool::new(false),
            created: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            overflowed: AtomicU64::new(0),
        }
    }

    /// The family's name.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// assert_eq!(hosts.name(), "hosts");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The breaker of `key`, made (closed, with the family's configuration) on the key's
    /// first call. While the family is full with no key to evict, a new key gets the
    /// family's own breaker, [`overflow`](Self::overflow) (whose [`key`](CircuitBreaker::key)
    /// is `None`).
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let breaker = hosts.breaker("db-1.internal");
    /// assert_eq!(breaker.key(), Some("db-1.internal"));
    /// assert!(std::sync::Arc::ptr_eq(&breaker, &hosts.breaker("db-1.internal")));
    /// ```
    #[inline]
    pub fn breaker<K: fmt::Display + ?Sized>(&self, key: &K) -> Arc<CircuitBreaker> {
        let text = KeyText::of(key);
        let key = text.as_bytes();
        let shard = self.keys.shard(key);
        match self.keys.find(shard, key) {
            Some(breaker) => breaker,
            None => self
                .insert(shard, key)
                .unwrap_or_else(|max| self.overflowing(max)),
        }
    }

    /// The breaker of `key` if it has one, without making it, nor counting as a use.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// assert!(hosts.get("a").is_none());
    /// hosts.breaker("a");
    /// assert_eq!(hosts.get("a").unwrap().key(), Some("a"));
    /// ```
    pub fn get<K: fmt::Display + ?Sized>(&self, key: &K) -> Option<Arc<CircuitBreaker>> {
        self.keys.get(KeyText::of(key).as_bytes())
    }

    /// Runs `op` through the breaker of `key`; every error counts as a failure. See
    /// [`CircuitBreaker::call`], and [`CircuitBreaker::when`] to choose which errors count:
    /// `family.breaker(&key).when(counts).call(op)`.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let n: Result<u32, resilience::Error> = hosts.call("a", || Ok(4));
    /// assert_eq!(n.unwrap(), 4);
    /// ```
    pub fn call<K, T, E>(&self, key: &K, op: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        K: fmt::Display + ?Sized,
        E: From<Error>,
    {
        self.breaker(key).call(op)
    }

    /// Runs the future `op` through the breaker of `key`; see
    /// [`CircuitBreaker::call_async`].
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let n: Result<u32, resilience::Error> = hosts.call_async("a", async { Ok(4) }).await;
    /// assert_eq!(n.unwrap(), 4);
    /// # });
    /// ```
    pub async fn call_async<K, T, E, F>(&self, key: &K, op: F) -> Result<T, E>
    where
        K: fmt::Display + ?Sized,
        E: From<Error>,
        F: Future<Output = Result<T, E>>,
    {
        let breaker = self.breaker(key);
        breaker.call_async(op).await
    }

    /// The family's own breaker: calls for new keys go through it while the family is full
    /// with no key to evict (see `# Bounded`). In the registry it is the name's breaker,
    /// which [`breakers::get`](crate::breakers::get) gives, and which a `#[circuit_breaker]`
    /// naming the family without a `key` uses.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new().with_max_keys(1));
    /// hosts.breaker("a");
    /// let b = hosts.breaker("b"); // full
    /// assert!(std::ptr::eq(&*b, hosts.overflow()));
    /// assert_eq!(hosts.stats().overflowed, 1);
    /// ```
    pub fn overflow(&self) -> &CircuitBreaker {
        &self.own
    }

    /// Keys alive.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.breaker("a");
    /// hosts.breaker(&"a".to_string());
    /// assert_eq!(hosts.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the family has no key.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// assert!(KeyedBreaker::new("h", BreakerConfig::new(), KeyedConfig::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key alive, in no particular order.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.breaker("a");
    /// hosts.breaker(&2);
    /// let mut keys: Vec<_> = hosts.keys().iter().map(|k| k.to_string()).collect();
    /// keys.sort();
    /// assert_eq!(keys, ["2", "a"]);
    /// ```
    pub fn keys(&self) -> Vec<Arc<str>> {
        self.keys
            .breakers()
            .iter()
            .filter_map(|b| b.key.clone())
            .collect()
    }

    /// Every key's breaker, in no particular order.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.breaker("a").force_open();
    /// assert_eq!(hosts.breakers()[0].state(), resilience::State::ForcedOpen);
    /// ```
    pub fn breakers(&self) -> Vec<Arc<CircuitBreaker>> {
        self.keys.breakers()
    }

    /// The configuration of every key's breaker.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let config = BreakerConfig::new().with_failure_threshold(3);
    /// assert_eq!(KeyedBreaker::new("h", config, KeyedConfig::new()).config(), config);
    /// ```
    pub fn config(&self) -> BreakerConfig {
        lock(&self.settings).config
    }

    /// How the family keeps its keys.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let keyed = KeyedConfig::new().with_max_keys(5);
    /// assert_eq!(KeyedBreaker::new("h", BreakerConfig::new(), keyed).keyed_config(), keyed);
    /// ```
    pub fn keyed_config(&self) -> KeyedConfig {
        lock(&self.settings).keyed
    }

    /// Configures every key's breaker (and those made later, and the family's own) with
    /// `config`, as [`CircuitBreaker::reconfigure`] does one. In the registry,
    /// [`breakers::configure`](crate::breakers::configure) does this by name, with the
    /// environment's variables applied.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let a = hosts.breaker("a");
    /// hosts.reconfigure(BreakerConfig::new().with_failure_threshold(1));
    /// assert_eq!(a.config().failure_threshold(), 1);
    /// assert_eq!(hosts.breaker("b").config().failure_threshold(), 1);
    /// ```
    pub fn reconfigure(&self, config: BreakerConfig) {
        self.update(|s| s.config = config);
        self.own.reconfigure(config);
        for breaker in self.keys.breakers() {
            breaker.reconfigure(config);
        }
    }

    /// Changes how the family keeps its keys. A lower maximum evicts nothing at once: new
    /// keys go through [`overflow`](Self::overflow) until evictions bring the keys below
    /// it.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.reconfigure_keys(KeyedConfig::new().with_max_keys(2));
    /// assert_eq!(hosts.keyed_config().max_keys(), 2);
    /// ```
    pub fn reconfigure_keys(&self, keyed: KeyedConfig) {
        self.update(|s| s.keyed = keyed);
        self.max_keys.store(keyed.max_keys, Relaxed);
        self.idle_nanos.store(nanos(keyed.idle_timeout), Relaxed);
        self.link
            .key_labels
            .store(keyed.key_labels, StdOrdering::Relaxed);
    }

    /// Back to closed, counts cleared: every key's breaker, and the family's own; ends a
    /// [`force_open`](Self::force_open) or a [`disable`](Self::disable) of the family. To
    /// reset one key: `family.get(&key)` and [`CircuitBreaker::reset`].
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig, State};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.force_open();
    /// hosts.reset();
    /// assert_eq!(hosts.breaker("a").state(), State::Closed);
    /// ```
    pub fn reset(&self) {
        self.switch(Mode::Normal, CircuitBreaker::reset);
    }

    /// Operator switch: every key's breaker, those made later and the family's own reject
    /// every call until [`reset`](Self::reset). To force one key open:
    /// `family.breaker(&key).force_open()` (forced open, it is never evicted).
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig, State};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.force_open();
    /// assert_eq!(hosts.breaker("new").state(), State::ForcedOpen);
    /// ```
    pub fn force_open(&self) {
        self.switch(Mode::ForcedOpen, CircuitBreaker::force_open);
    }

    /// Operator switch: every key's breaker, those made later and the family's own let
    /// every call through, counting them, until [`reset`](Self::reset).
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig, State};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.disable();
    /// assert_eq!(hosts.breaker("new").state(), State::Disabled);
    /// ```
    pub fn disable(&self) {
        self.switch(Mode::Disabled, CircuitBreaker::disable);
    }

    /// Calls `listener` after every state change of a key's breaker (its
    /// [`StateChange::key`] names the key) and of the family's own, outside any lock. A
    /// listener that panics is ignored.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// use std::sync::{Arc, Mutex};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// hosts.on_state_change(move |change| log.lock().unwrap().push(change.to_string()));
    /// hosts.breaker("db-1").force_open();
    /// assert_eq!(
    ///     *seen.lock().unwrap(),
    ///     ["circuit breaker `hosts` key `db-1`: closed -> forced-open (forced open)"]
    /// );
    /// ```
    pub fn on_state_change(&self, listener: impl Fn(&StateChange) + Send + Sync + 'static) {
        self.link.listeners.push(Arc::new(listener));
    }

    /// Evicts now every key whose breaker may be evicted (see `# Bounded`) and was unused
    /// for the idle timeout; returns how many. Evictions otherwise happen as keys are added.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.breaker("a");
    /// assert_eq!(hosts.evict_idle(), 0); // used just now
    /// ```
    pub fn evict_idle(&self) -> usize {
        let now = self.now();
        let idle = self.idle_nanos.load(Relaxed);
        let mut evicted = Vec::new();
        for shard in self.keys.shards() {
            self.keys.sweep(shard, now, idle, &mut evicted);
        }
        self.swept_all.store(now, Relaxed);
        self.report_evicted(evicted)
    }

    /// The family's figures: its keys by state, and its keys made, evicted and overflowed.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// hosts.breaker("a");
    /// hosts.breaker("b").force_open();
    /// let stats = hosts.stats();
    /// assert_eq!((stats.keys, stats.closed, stats.forced_open, stats.created), (2, 1, 1, 2));
    /// ```
    pub fn stats(&self) -> KeyedStats {
        let [closed, open, half_open, forced_open, disabled] = self.keys.count_states();
        KeyedStats {
            name: Arc::clone(&self.name),
            keys: self.keys.len(),
            max_keys: self.max_keys.load(Relaxed),
            closed,
            open,
            half_open,
            forced_open,
            disabled,
            created: self.created.load(Relaxed),
            evicted: self.evicted.load(Relaxed),
            overflowed: self.overflowed.load(Relaxed),
        }
    }

    /// A [`BreakerStats`] snapshot of every key's breaker (each with its
    /// [`key`](BreakerStats::key)), in no particular order.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};
    /// let hosts = KeyedBreaker::new("hosts", BreakerConfig::new(), KeyedConfig::new());
    /// let _ = hosts.call("a", || Ok::<_, resilience::Error>(()));
    /// let stats = hosts.key_stats();
    /// assert_eq!((stats[0].key.as_deref(), stats[0].successes), (Some("a"), 1));
    /// ```
    pub fn key_stats(&self) -> Vec<BreakerStats> {
        self.keys.breakers().iter().map(|b| b.stats()).collect()
    }

    /// Puts the breaker of `key` in the state a snapshot recorded (see
    /// [`CircuitBreaker::restore`]), making it if needed; `None` when the family is full.
    /// The state change is the caller's to [`emit`](CircuitBreaker::emit).
    pub(crate) fn restore_quietly(
        &self,
        key: &str,
        state: State,
        open_for: Duration,
        failed_recoveries: u32,
    ) -> Option<(Arc<CircuitBreaker>, Option<StateChange>, Restored)> {
        // Not a call: a full family restores nothing, and counts no overflowed call.
        let bytes = key.as_bytes();
        let shard = self.keys.shard(bytes);
        let breaker = match self.keys.find(shard, bytes) {
            Some(breaker) => breaker,
            None => self.insert(shard, bytes).ok()?,
        };
        let (change, restored) = breaker.restore_quietly(state, open_for, failed_recoveries);
        Some((breaker, change, restored))
    }

    /// Nanoseconds since the family was made, on tokio's clock (paused in tests).
    fn now(&self) -> u64 {
        nanos(Instant::now().saturating_duration_since(self.base))
    }

    /// Changes the settings new keys are made with.
    fn update(&self, change: impl FnOnce(&mut Settings)) {
        let mut settings = lock(&self.settings);
        change(&mut settings);
        settings.generation += 1;
    }

    /// An operator's switch for the family: recorded for the keys made from now on, then
    /// applied to every key and to the family's own breaker, with no lock held (listeners
    /// run).
    fn switch(&self, mode: Mode, apply: fn(&CircuitBreaker)) {
        self.update(|s| s.mode = mode);
        apply(&self.own);
        for breaker in self.keys.breakers() {
            apply(&breaker);
        }
    }

    /// A key's breaker made and inserted, room made by evicting idle keys if needed; the
    /// maximum number of keys as the error if there is no room.
    #[cold]
    #[inline(never)]
    fn insert(&self, shard: &Shard, key: &[u8]) -> Result<Arc<CircuitBreaker>, usize> {
        let now = self.now();
        let idle = self.idle_nanos.load(Relaxed);
        let interval = (idle / 4).max(1);
        let mut evicted = Vec::new();
        if self.keys.due(shard, now, interval) {
            self.keys.sweep(shard, now, idle, &mut evicted);
        }
        let max = self.max_keys.load(Relaxed);
        let mut reserved = self.keys.reserve(max);
        if !reserved && self.claim_full_sweep(now, interval) {
            for shard in self.keys.shards() {
                self.keys.sweep(shard, now, idle, &mut evicted);
            }
            reserved = self.keys.reserve(max);
        }
        self.report_evicted(evicted);
        if !reserved {
            return Err(max);
        }
        if self.full.load(StdOrdering::Relaxed) {
            self.full.store(false, StdOrdering::Relaxed);
        }
        let settings = *lock(&self.settings);
        // Written by `KeyText` from `&str`s: the lossy conversion never replaces anything.
        let key: Arc<str> = Arc::from(String::from_utf8_lossy(key).as_ref());
        let breaker = Arc::new(CircuitBreaker::keyed(
            Arc::clone(&self.name),
            Arc::clone(&key),
            settings.config,
            Arc::clone(&self.link),
        ));
        // Made in the family's operator state, before anyone can see it: no change to tell.
        quietly(&breaker, settings.mode);
        Ok(match self.keys.insert(shard, key, breaker, now) {
            Err(found) => found,
            Ok(breaker) => {
                self.created.fetch_add(1, Relaxed);
                crate::observe::key_added(&self.name, breaker.key_label(), breaker.state());
                self.catch_up(&breaker, settings);
                breaker
            }
        })
    }

    /// Whether this thread sweeps every shard for room now: not more often than `interval`,
    /// so that calls for new keys to a full family do not each walk every key.
    fn claim_full_sweep(&self, now: u64, interval: u64) -> bool {
        let last = self.swept_all.load(Relaxed);
        now.saturating_sub(last) >= interval
            && self
                .swept_all
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok()
    }

    /// A call for a new key while the family is full: the family's own breaker.
    #[cold]
    fn overflowing(&self, max: usize) -> Arc<CircuitBreaker> {
        self.overflowed.fetch_add(1, Relaxed);
        let first = !self.full.swap(true, StdOrdering::Relaxed);
        crate::observe::key_overflow(&self.name, max, first);
        Arc::clone(&self.own)
    }

    /// Brings a key's breaker, made with `made`, up to the settings changed since: an
    /// operator's switch or a configuration that came while it was made, and that went
    /// over the keys before it was inserted.
    fn catch_up(&self, breaker: &CircuitBreaker, mut made: Settings) {
        loop {
            let now = *lock(&self.settings);
            if now.generation == made.generation {
                return;
            }
            if now.config != made.config {
                breaker.reconfigure(now.config);
            }
            if now.mode != made.mode {
                match now.mode {
                    Mode::Normal => breaker.reset(),
                    Mode::ForcedOpen => breaker.force_open(),
                    Mode::Disabled => breaker.disable(),
                }
            }
            made = now;
        }
    }

    /// Counts and reports the breakers a sweep evicted, then drops them: with no lock held,
    /// since the metrics recorder and the breakers' listeners are the user's code.
    fn report_evicted(&self, evicted: Evicted) -> usize {
        let count = evicted.len();
        if count > 0 {
            self.evicted.fetch_add(count as u64, Relaxed);
            for breaker in &evicted {
                crate::observe::key_evicted(&self.name, breaker.state());
            }
        }
        count
    }
}

/// Puts a breaker no one has seen yet in the family's operator state, telling no one.
fn quietly(breaker: &CircuitBreaker, mode: Mode) {
    let (to, reason) = match mode {
        Mode::Normal => return,
        Mode::ForcedOpen => (State::ForcedOpen, Reason::ForcedOpen),
        Mode::Disabled => (State::Disabled, Reason::Disabled),
    };
    let mut inner = lock(&breaker.inner);
    let _ = breaker.transition(&mut inner, to, reason);
}

#[cfg(all(test, not(loom)))]
mod tests;
