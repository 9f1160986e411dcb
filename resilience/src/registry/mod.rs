//! The global registry of named breakers, behind [`breakers`].
//!
//! One mutex guards the name map. It is taken when a call site meets its breaker for the
//! first time (each call site then keeps it in its own `static`), and by the operator
//! functions; never on a call's hot path.
//!
//! - `mod.rs`: the map, the making of a breaker (configured from its call site, a run-time
//!   configuration and the environment), and restores.
//! - `breakers.rs`: the operators' functions, [`breakers`].
//! - `sites.rs`: what a `#[circuit_breaker]` call site calls to meet its breaker, or its
//!   keyed family.
//! - `names.rs`: the default name of a method's breaker.
//!
//! A name's entry holds its breaker and, once a keyed call site (or
//! [`breakers::configure_keyed`]) made one, its family of keyed breakers
//! ([`KeyedBreaker`]), whose own breaker is the name's: the name's configuration (from its
//! first call site, a run-time configuration and the environment) is the family's.

pub mod breakers;
mod names;
mod sites;

pub use self::sites::{BreakerSite, KeyedSite, keyed_site, method_site_breaker, site_breaker};

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use crate::{
    KeyedBreaker, KeyedConfig, Restored, State,
    breaker::{BreakerConfig, CircuitBreaker, Listeners},
    config::format_duration,
    report::{self, ConfigConflict, ConfigError, ConfigSource},
};

struct Entry {
    breaker: Arc<CircuitBreaker>,
    /// The name's keyed breakers, once a keyed call site or a run-time configuration made
    /// them; `breaker` is their family's own.
    family: Option<Arc<KeyedBreaker>>,
    /// Whether the family's [`KeyedConfig`] is known: from its first keyed call site, or
    /// [`breakers::configure_keyed`]. A family a restore made has the defaults until then.
    keyed_known: bool,
    /// The first call site that met the breaker, with its attribute configuration.
    first_site: Option<(&'static str, BreakerConfig)>,
    /// Whether [`breakers::configure`] set its configuration.
    configured: bool,
    /// The configuration in force before the environment's: the run-time one if
    /// `configured`, else the first call site's. Kept to apply the environment again.
    base: BreakerConfig,
    /// Restored from a snapshot before its configuration was known (no call site, no
    /// run-time configuration): the restored open period is judged when it is.
    restore_pending: bool,
}

impl Entry {
    /// Whether the breaker's own configuration is known: a call site's or a run-time one.
    fn configuration_known(&self) -> bool {
        self.configured || self.first_site.is_some()
    }

    /// Configures the name's breaker and its family's keys with `resolved`.
    fn reconfigure(&self, resolved: BreakerConfig) {
        match &self.family {
            Some(family) => family.reconfigure(resolved),
            None => self.breaker.reconfigure(resolved),
        }
    }

    /// The name's family, made (with `keyed`) if it has none yet, its keys configured as the
    /// name's breaker is. `keyed` is taken if `known` and none was known yet.
    fn family(&mut self, keyed: KeyedConfig, known: bool) -> Arc<KeyedBreaker> {
        let family = self.family.get_or_insert_with(|| {
            Arc::new(KeyedBreaker::in_registry(
                Arc::clone(&self.breaker),
                keyed,
                &GLOBAL_LISTENERS,
            ))
        });
        if known && !self.keyed_known {
            family.reconfigure_keys(keyed);
            self.keyed_known = true;
        }
        Arc::clone(family)
    }
}

#[derive(Default)]
struct Registry {
    breakers: BTreeMap<Arc<str>, Entry>,
    conflicts: Vec<ConfigConflict>,
    /// `(first site, other site)` pairs already reported.
    reported: BTreeSet<(&'static str, &'static str)>,
    /// Snapshot entries restored otherwise than saved.
    restore_errors: Vec<ConfigError>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    breakers: BTreeMap::new(),
    conflicts: Vec::new(),
    reported: BTreeSet::new(),
    restore_errors: Vec::new(),
});

/// The listeners of every breaker of the registry, handed to each breaker when it is made.
static GLOBAL_LISTENERS: Listeners = Listeners::new();

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The breaker `name` for the call site `site` (`file:line`) whose attribute configures it
/// with `config`: made on its first call site's first call, its mismatches with the first
/// call site's arguments reported.
fn register_site(name: &str, config: BreakerConfig, site: &'static str) -> Arc<CircuitBreaker> {
    let mut guard = registry();
    let reg = &mut *guard;
    if let Some(entry) = reg.breakers.get_mut(name) {
        match entry.first_site {
            None => {
                entry.first_site = Some((site, config));
                if !entry.configured {
                    // Created by a restore: the site's arguments are the first to come.
                    entry.base = config;
                    let resolved = crate::env::current().resolve(name, config);
                    entry.reconfigure(resolved);
                }
                judge_restore(&mut reg.restore_errors, entry);
            }
            Some((first_site, first)) if first_site != site && first != config => {
                if reg.reported.insert((first_site, site)) {
                    let conflict = ConfigConflict {
                        name: entry.breaker.name_arc(),
                        first_site,
                        first,
                        site,
                        config,
                        configured: entry.configured,
                    };
                    report::conflict(&conflict);
                    reg.conflicts.push(conflict);
                }
            }
            Some(_) => {}
        }
        return Arc::clone(&entry.breaker);
    }
    let resolved = crate::env::current().resolve(name, config);
    create(guard, name, resolved, Some((site, config)), false, config)
}

/// The keyed family `name` for the keyed call site `site`, whose attribute configures its
/// keys' breakers with `config` and keeps its keys as `keyed`: as [`register_site`] for the
/// name's configuration; the first keyed call site's `keyed` is the family's (unless
/// [`breakers::configure_keyed`] set it).
fn register_keyed_site(
    name: &str,
    config: BreakerConfig,
    keyed: KeyedConfig,
    site: &'static str,
) -> Arc<KeyedBreaker> {
    // The name's breaker, as for any call site's; then its family.
    let own = register_site(name, config, site);
    let mut reg = registry();
    match reg.breakers.get_mut(name) {
        Some(entry) => entry.family(keyed, true),
        // The registry never forgets a name.
        None => Arc::new(KeyedBreaker::in_registry(own, keyed, &GLOBAL_LISTENERS)),
    }
}

/// Restores the registry's breaker `name` as a snapshot recorded it (see
/// [`CircuitBreaker::restore`]). A breaker no one used or configured yet is created with the
/// built-in defaults and the environment, and restored before it enters the registry: no
/// call sees it closed first. A call site that comes later brings its arguments, keeping the
/// state.
fn restore(name: &str, state: State, open_for: Duration, failed_recoveries: u32) {
    let known = registry()
        .breakers
        .get(name)
        .map(|e| Arc::clone(&e.breaker));
    let breaker = match known {
        Some(breaker) => breaker,
        None => {
            let base = BreakerConfig::new();
            let resolved = crate::env::current().resolve(name, base);
            let breaker = Arc::new(CircuitBreaker::with_global_listeners(
                name.into(),
                resolved,
                &GLOBAL_LISTENERS,
            ));
            let (change, _) = breaker.restore_quietly(state, open_for, failed_recoveries);
            let mut reg = registry();
            if !reg.breakers.contains_key(name) {
                reg.breakers.insert(
                    breaker.name_arc(),
                    Entry {
                        breaker: Arc::clone(&breaker),
                        family: None,
                        keyed_known: false,
                        first_site: None,
                        configured: false,
                        base,
                        restore_pending: true,
                    },
                );
                drop(reg);
                crate::observe::registered(breaker.name(), breaker.state());
                breaker.emit(change);
                return;
            }
            // Created meanwhile by a call: restored below, as a breaker already known.
            Arc::clone(&reg.breakers[name].breaker)
        }
    };
    let (change, _) = breaker.restore_quietly(state, open_for, failed_recoveries);
    {
        let mut guard = registry();
        let reg = &mut *guard;
        if let Some(entry) = reg.breakers.get_mut(name) {
            entry.restore_pending = true;
            if entry.configuration_known() {
                judge_restore(&mut reg.restore_errors, entry);
            }
        }
    }
    breaker.emit(change);
}

/// Reports the open period a restore gave `entry`'s breaker, if its configuration, now
/// known, shortened it (see [`CircuitBreaker::restore`]): once (see
/// [`config::on_report`](crate::config::on_report)), and in [`breakers::config_errors`].
fn judge_restore(errors: &mut Vec<ConfigError>, entry: &mut Entry) {
    if !std::mem::take(&mut entry.restore_pending) {
        return;
    }
    if let Restored::Shortened { asked, allowed } = entry.breaker.restored() {
        let error = shortened(entry.breaker.name(), None, asked, allowed);
        report::config_error(&error);
        errors.push(error);
    }
}

/// The report of a snapshot's open period that a restore shortened to `allowed`.
fn shortened(name: &str, key: Option<&str>, asked: Duration, allowed: Duration) -> ConfigError {
    let key = key.map(|key| format!(" key {key:?}")).unwrap_or_default();
    ConfigError {
        variable: format!("snapshot breaker {name:?}{key} open_until"),
        // To the millisecond, as snapshots keep time.
        value: format_duration(Duration::from_millis(
            u64::try_from(asked.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX),
        )),
        reason: format!(
            "no breaker of its configuration stays open longer than {}: restored open for \
             that long (a snapshot of another configuration, or clocks that disagree)",
            format_duration(allowed)
        ),
        source: ConfigSource::Snapshot,
    }
}

/// Restores the breaker of `key` in the family `name` as a snapshot recorded it. A name
/// no one used or configured yet gets its breaker as [`restore`] makes one (closed), and a
/// family with the default [`KeyedConfig`] until a keyed call site (or
/// [`breakers::configure_keyed`]) brings its own; each key's open period is judged against
/// the configuration the family has, and again at each new one (see
/// [`CircuitBreaker::restore`]). A key the family has no room for is not restored, and
/// reported, as is a shortened open period.
fn restore_key(name: &str, key: &str, state: State, open_for: Duration, failed_recoveries: u32) {
    let mut reg = registry();
    if !reg.breakers.contains_key(name) {
        let base = BreakerConfig::new();
        let resolved = crate::env::current().resolve(name, base);
        create(reg, name, resolved, None, false, base);
        reg = registry();
    }
    let Some(entry) = reg.breakers.get_mut(name) else {
        unreachable!("the registry keeps every breaker it made")
    };
    let family = entry.family(KeyedConfig::new(), false);
    drop(reg);
    let error = match family.restore_quietly(key, state, open_for, failed_recoveries) {
        Some((breaker, change, restored)) => {
            breaker.emit(change);
            match restored {
                Restored::Shortened { asked, allowed } => {
                    Some(shortened(name, Some(key), asked, allowed))
                }
                Restored::AsSaved => None,
            }
        }
        None => Some(ConfigError {
            variable: format!("snapshot breaker {name:?} key {key:?}"),
            value: state.to_string(),
            reason: format!(
                "the family holds its maximum of {} keys, none idle: not restored",
                family.keyed_config().max_keys()
            ),
            source: ConfigSource::Snapshot,
        }),
    };
    if let Some(error) = error {
        report::config_error(&error);
        registry().restore_errors.push(error);
    }
}

/// Adds the breaker `name`, configured with `resolved`, to the registry (the other arguments
/// are its [`Entry`]'s), then releases the lock and tells the metrics recorder (with the
/// `metrics` feature): its state gauge reads closed from the start rather than appearing at
/// its first change. The recorder is user code, so it runs with no lock held.
fn create(
    mut reg: MutexGuard<'static, Registry>,
    name: &str,
    resolved: BreakerConfig,
    first_site: Option<(&'static str, BreakerConfig)>,
    configured: bool,
    base: BreakerConfig,
) -> Arc<CircuitBreaker> {
    let breaker = Arc::new(CircuitBreaker::with_global_listeners(
        name.into(),
        resolved,
        &GLOBAL_LISTENERS,
    ));
    reg.breakers.insert(
        breaker.name_arc(),
        Entry {
            breaker: Arc::clone(&breaker),
            family: None,
            keyed_known: false,
            first_site,
            configured,
            base,
            restore_pending: false,
        },
    );
    drop(reg);
    crate::observe::registered(breaker.name(), breaker.state());
    breaker
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::{breakers, site_breaker};
    use crate::{BreakerConfig, State};

    #[test]
    fn sites_share_one_breaker_and_report_mismatches_once() {
        static A: OnceLock<Arc<crate::CircuitBreaker>> = OnceLock::new();
        static B: OnceLock<Arc<crate::CircuitBreaker>> = OnceLock::new();
        static C: OnceLock<Arc<crate::CircuitBreaker>> = OnceLock::new();
        static CONF_A: BreakerConfig = BreakerConfig::new().with_failure_threshold(2);
        static CONF_B: BreakerConfig = BreakerConfig::new().with_failure_threshold(9);
        assert!(breakers::get("unit.shared").is_none());
        let a = site_breaker(&A, "unit.shared", &CONF_A, "a.rs:1");
        let b = site_breaker(&B, "unit.shared", &CONF_B, "b.rs:2");
        let b2 = site_breaker(&B, "unit.shared", &CONF_B, "b.rs:2");
        let c = site_breaker(&C, "unit.shared", &CONF_A, "c.rs:3");
        assert!(std::ptr::eq(a, b) && std::ptr::eq(b, b2) && std::ptr::eq(a, c));
        assert_eq!(a.config(), CONF_A);
        let conflicts: Vec<_> = breakers::config_conflicts()
            .into_iter()
            .filter(|c| &*c.name == "unit.shared")
            .collect();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(
            (conflicts[0].first_site, conflicts[0].site),
            ("a.rs:1", "b.rs:2")
        );
        assert!(conflicts[0].to_string().contains("a.rs:1 and at b.rs:2"));
        let got = breakers::get("unit.shared").unwrap();
        assert!(std::ptr::eq(&*got, a));
    }

    #[test]
    fn configuration_wins_before_and_after_first_use() {
        static BEFORE: OnceLock<Arc<crate::CircuitBreaker>> = OnceLock::new();
        static AFTER: OnceLock<Arc<crate::CircuitBreaker>> = OnceLock::new();
        static ATTR: BreakerConfig = BreakerConfig::new().with_failure_threshold(7);
        let run_time = BreakerConfig::new().with_failure_threshold(1);

        breakers::configure("unit.before", run_time);
        let b = site_breaker(&BEFORE, "unit.before", &ATTR, "x.rs:1");
        assert_eq!(b.config(), run_time);

        let a = site_breaker(&AFTER, "unit.after", &ATTR, "x.rs:2");
        assert_eq!(a.config(), ATTR);
        let configured = breakers::configure("unit.after", run_time);
        assert!(std::ptr::eq(&*configured, a));
        assert_eq!(a.config(), run_time);
        let _ = a.call(|| Err::<(), _>(crate::Error::timeout("t", Default::default())));
        assert_eq!(breakers::get("unit.after").unwrap().state(), State::Open);
        assert!(breakers::all().iter().any(|b| b.name() == "unit.after"));
        assert!(
            breakers::stats()
                .iter()
                .any(|s| &*s.name == "unit.after" && s.failures == 1)
        );
    }
}
