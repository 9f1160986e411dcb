//! The global registries of named breakers, behind [`breakers`], and of named retry budgets,
//! behind [`budgets`].
//!
//! One mutex guards each name map. It is taken when a call site meets its breaker (or its
//! budget) for the first time (each call site then keeps it in its own `static`), and by the
//! operator functions; never on a call's hot path.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError},
    time::Duration,
};

use crate::{
    Restored, State,
    breaker::{BreakerConfig, CircuitBreaker, Listeners},
    config::{ConfigError, ConfigSource, format_duration},
};

struct Entry {
    breaker: Arc<CircuitBreaker>,
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
}

#[derive(Default)]
struct Registry {
    breakers: BTreeMap<Arc<str>, Entry>,
    conflicts: Vec<breakers::ConfigConflict>,
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

/// The slow path of `__private::site_breaker`: the first call from one call site.
#[cold]
pub(crate) fn site_breaker(
    cell: &'static OnceLock<Arc<CircuitBreaker>>,
    name: &'static str,
    config: &'static BreakerConfig,
    site: &'static str,
) -> &'static CircuitBreaker {
    cell.get_or_init(|| register_site(name, *config, site))
}

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
                    let resolved = crate::config::current_env().resolve(name, config);
                    entry.breaker.reconfigure(resolved);
                }
                judge_restore(&mut reg.restore_errors, entry);
            }
            Some((first_site, first)) if first_site != site && first != config => {
                if reg.reported.insert((first_site, site)) {
                    let conflict = breakers::ConfigConflict {
                        name: entry.breaker.name_arc(),
                        first_site,
                        first,
                        site,
                        config,
                        configured: entry.configured,
                    };
                    eprintln!("warning: {conflict}");
                    reg.conflicts.push(conflict);
                }
            }
            Some(_) => {}
        }
        return Arc::clone(&entry.breaker);
    }
    let resolved = crate::config::current_env().resolve(name, config);
    create(guard, name, resolved, Some((site, config)), false, config)
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
            let resolved = crate::config::current_env().resolve(name, base);
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
/// known, shortened it (see [`CircuitBreaker::restore`]): on standard error once, and in
/// [`breakers::config_errors`].
fn judge_restore(errors: &mut Vec<ConfigError>, entry: &mut Entry) {
    if !std::mem::take(&mut entry.restore_pending) {
        return;
    }
    if let Restored::Shortened { asked, allowed } = entry.breaker.restored() {
        let error = ConfigError {
            variable: format!("snapshot breaker {:?} open_until", entry.breaker.name()),
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
        };
        crate::config::report_errors(std::slice::from_ref(&error));
        errors.push(error);
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

/// The global registry of named circuit breakers: the ones `#[circuit_breaker]` uses, for
/// operators to list, reset, force open, disable and configure at run time.
///
/// A breaker is created the first time a function using its name runs (or when it is
/// configured here), then lives for the rest of the program. Functions that name the same
/// breaker share it. If their attribute arguments differ, the first call site's win (unless
/// the name was configured here, which wins over both) and the mismatch is reported once per
/// pair of call sites, on standard error and in [`config_conflicts`](breakers::config_conflicts).
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, State, breakers};
///
/// // At start-up, before or after the first call: the run-time configuration wins.
/// let breaker = breakers::configure(
///     "doc.payments",
///     BreakerConfig::new().with_recovery_timeout(Duration::from_secs(5)),
/// );
/// assert_eq!(breakers::get("doc.payments").unwrap().state(), State::Closed);
///
/// // An operator's console.
/// for stats in breakers::stats() {
///     println!("{}: {} ({} calls)", stats.name, stats.state, stats.calls);
/// }
/// breaker.force_open();
/// breaker.reset();
/// ```
pub mod breakers {
    use std::{fmt, sync::Arc, time::SystemTime};

    use super::{GLOBAL_LISTENERS, create, judge_restore, registry};
    use crate::config::snapshot_support::{round_up_to_millis, truncate_to_millis};
    pub use crate::config::{BreakerSnapshot, Config, ConfigError, Snapshot};
    use crate::{BreakerConfig, BreakerStats, CircuitBreaker, StateChange};

    /// The breaker named `name`, once a function using it ran or it was configured.
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
    /// or after their first call. Returns the breaker.
    ///
    /// ```
    /// use resilience::{BreakerConfig, breakers};
    /// let config = BreakerConfig::new().with_failure_threshold(2);
    /// let breaker = breakers::configure("doc.configure", config);
    /// assert_eq!(breaker.config(), config);
    /// ```
    pub fn configure(name: &str, config: BreakerConfig) -> Arc<CircuitBreaker> {
        let resolved = crate::config::current_env().resolve(name, config);
        let mut guard = registry();
        let reg = &mut *guard;
        if let Some(entry) = reg.breakers.get_mut(name) {
            entry.configured = true;
            entry.base = config;
            let breaker = Arc::clone(&entry.breaker);
            // Under the registry's lock, so that two configurations of one name land in
            // the order of their `base`.
            breaker.reconfigure(resolved);
            judge_restore(&mut reg.restore_errors, entry);
            return breaker;
        }
        create(guard, name, resolved, None, true, config)
    }

    /// Configures every breaker of `config` at once; see [`Config::apply`].
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
        let env = crate::config::reload_env();
        let reg = registry();
        for (name, entry) in &reg.breakers {
            entry.breaker.reconfigure(env.resolve(name, entry.base));
        }
        drop(reg);
        config_errors()
    }

    /// The `RESILIENCE_BREAKER_*` environment variables that could not be used, each with
    /// its value and the reason: those refused when the environment was last read, then
    /// those refused for a breaker when applied to it (until it is configured again); see
    /// [`config`](crate::config)'s "Applied, reported or refused". Each was also reported
    /// once on standard error, and ignored: the next source in the order of precedence
    /// applies. Then the open periods of restored snapshots that were shortened (see
    /// [`restore`]).
    ///
    /// ```
    /// for error in resilience::breakers::config_errors() {
    ///     eprintln!("{error}");
    /// }
    /// ```
    pub fn config_errors() -> Vec<ConfigError> {
        let mut errors = crate::config::current_env().errors();
        errors.extend(registry().restore_errors.iter().cloned());
        errors
    }

    /// The state of every breaker of the registry, to persist and [`restore`] after a
    /// restart.
    ///
    /// ```
    /// use resilience::{BreakerConfig, breakers};
    /// breakers::configure("doc.breakers.snapshot", BreakerConfig::new());
    /// let snapshot = breakers::snapshot();
    /// assert!(snapshot.breakers.iter().any(|b| b.name == "doc.breakers.snapshot"));
    /// ```
    pub fn snapshot() -> Snapshot {
        let now = SystemTime::now();
        let breakers = stats()
            .into_iter()
            .map(|stats| BreakerSnapshot {
                name: stats.name.to_string(),
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

    /// Brings back the states of `snapshot`, typically at start-up. A breaker recorded as
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
    /// [`configure`]) brings it. Each shortened period is reported once on standard error
    /// and kept in [`config_errors`], as a [`ConfigError`] whose `source` is
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
            super::restore(&saved.name, saved.state, open_for, saved.failed_recoveries);
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

    /// Two call sites sharing a breaker with different attribute configurations, from
    /// [`config_conflicts`].
    ///
    /// ```
    /// for conflict in resilience::breakers::config_conflicts() {
    ///     eprintln!("{conflict}");
    /// }
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct ConfigConflict {
        /// The breaker's name.
        pub name: Arc<str>,
        /// The call site (`file:line`) that created the breaker.
        pub first_site: &'static str,
        /// Its configuration, the one in force unless `configured`.
        pub first: BreakerConfig,
        /// The call site with a different configuration.
        pub site: &'static str,
        /// Its configuration, not used.
        pub config: BreakerConfig,
        /// Whether a run-time configuration was in force when the mismatch was seen.
        pub configured: bool,
    }

    impl fmt::Display for ConfigConflict {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "circuit breaker `{}` is declared with different arguments at {} and at {}; ",
                self.name, self.first_site, self.site
            )?;
            if self.configured {
                f.write_str("both use its run-time configuration")?;
            } else {
                write!(f, "both use the arguments of {}", self.first_site)?;
            }
            write!(
                f,
                " (give them the same arguments, different names, or configure it with \
                 `resilience::breakers::configure`): {:?} vs {:?}",
                self.first, self.config
            )
        }
    }
}

/// The global registry of named retry budgets: the ones `#[retry(budget = "...")]` and
/// [`Retry::budget`](crate::Retry::budget) share, for operators to list, inspect and
/// configure at run time.
///
/// A named budget is created the first time a call site using the name runs (or when it is
/// configured here), then lives for the rest of the program. Every site that names it draws
/// its retries from it and deposits its calls into it, so that one budget bounds the retries
/// of all the functions that call one dependency.
///
/// The budgets of sites that name none (each `#[retry]` site has one of its own) are not
/// listed here: their refusals are counted in [`retries`](crate::retries).
///
/// ```
/// use resilience::{BudgetConfig, budgets, retry};
///
/// // At start-up: the run-time configuration wins over the defaults.
/// budgets::configure("doc.orders", BudgetConfig::new().with_ratio(0.1));
///
/// #[retry(budget = "doc.orders", initial_delay = "1ms")]
/// fn place_order() -> Result<(), std::io::Error> {
///     Ok(())
/// }
///
/// place_order().unwrap();
/// let stats = budgets::get("doc.orders").unwrap().stats();
/// assert_eq!((stats.calls, stats.config.ratio()), (1, 0.1));
/// for stats in budgets::stats() {
///     println!("{stats}");
/// }
/// ```
pub mod budgets {
    use std::{
        collections::BTreeMap,
        sync::{Mutex, MutexGuard, OnceLock, PoisonError},
    };

    use crate::{BudgetConfig, BudgetStats, RetryBudget, config::ConfigError};

    static BUDGETS: Mutex<BTreeMap<&'static str, &'static RetryBudget>> =
        Mutex::new(BTreeMap::new());

    fn registry() -> MutexGuard<'static, BTreeMap<&'static str, &'static RetryBudget>> {
        BUDGETS.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The budget named `name`, once a site using it ran or it was configured.
    ///
    /// ```
    /// assert!(resilience::budgets::get("doc.budgets.never-used").is_none());
    /// ```
    pub fn get(name: &str) -> Option<&'static RetryBudget> {
        registry().get(name).copied()
    }

    /// The budget named `name`, created with the default configuration if no one used or
    /// configured it yet. For the plain API: `retry.budget(budgets::named("orders"))`. Takes a
    /// global lock: look a budget up once and keep it (it is `&'static`).
    ///
    /// ```
    /// use resilience::budgets;
    /// let a = budgets::named("doc.budgets.named");
    /// let b = budgets::named("doc.budgets.named");
    /// assert!(std::ptr::eq(a, b));
    /// ```
    pub fn named(name: &str) -> &'static RetryBudget {
        let mut budgets = registry();
        if let Some(budget) = budgets.get(name) {
            return budget;
        }
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let budget: &'static RetryBudget = Box::leak(Box::new(RetryBudget::new(name)));
        budgets.insert(name, budget);
        budget
    }

    /// Sets the configuration of the budget named `name`, creating it if no site used it yet.
    /// It wins over the environment's global defaults, and loses to the budget's own variables
    /// (see [`config`](crate::config)). Returns the budget.
    ///
    /// ```
    /// use resilience::{BudgetConfig, budgets};
    /// let config = BudgetConfig::new().with_min_retries_per_second(1);
    /// assert_eq!(budgets::configure("doc.budgets.configure", config).config(), config);
    /// ```
    pub fn configure(name: &str, config: BudgetConfig) -> &'static RetryBudget {
        let budget = named(name);
        budget.configure(config);
        budget
    }

    /// Every named budget, by name.
    ///
    /// ```
    /// use resilience::budgets;
    /// budgets::named("doc.budgets.all");
    /// assert!(budgets::all().iter().any(|b| b.name() == "doc.budgets.all"));
    /// ```
    pub fn all() -> Vec<&'static RetryBudget> {
        registry().values().copied().collect()
    }

    /// A [`BudgetStats`] snapshot of every named budget, by name.
    ///
    /// ```
    /// use resilience::budgets;
    /// budgets::named("doc.budgets.stats");
    /// assert!(budgets::stats().iter().any(|s| s.name == "doc.budgets.stats"));
    /// ```
    pub fn stats() -> Vec<BudgetStats> {
        // Snapshots are taken after the registry's lock is released.
        all().iter().map(|b| b.stats()).collect()
    }

    /// The `RESILIENCE_BUDGET_*` environment variables that could not be used when the
    /// environment was last read, each with its value and the reason; see
    /// [`config`](crate::config). Each was also reported once on standard error, and ignored.
    ///
    /// ```
    /// for error in resilience::budgets::config_errors() {
    ///     eprintln!("{error}");
    /// }
    /// ```
    pub fn config_errors() -> Vec<ConfigError> {
        crate::config::current_env().budget_errors.clone()
    }

    /// The slow path of `__private::site_budget`: the first call from one call site.
    #[cold]
    pub(crate) fn site_budget(
        cell: &'static OnceLock<&'static RetryBudget>,
        name: &'static str,
    ) -> &'static RetryBudget {
        cell.get_or_init(|| named(name))
    }
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
