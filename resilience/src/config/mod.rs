//! Operator configuration: the environment, configuration files, and the duration syntax
//! they share with the attributes.
//!
//! A breaker's settings can come from five places. The first that sets a setting wins:
//!
//! 1. **Per-breaker environment**: `RESILIENCE_BREAKER__<NAME>__<SETTING>`, for one breaker.
//! 2. **Run-time configuration**: [`breakers::configure`](crate::breakers::configure), or a
//!    file applied with [`Config::apply`]. It replaces the attribute's arguments as a whole.
//! 3. **Attribute arguments**: `#[circuit_breaker(failure_threshold = 3)]`, the settings
//!    written there only.
//! 4. **Global environment default**: `RESILIENCE_BREAKER_<SETTING>`, for every breaker of
//!    the registry, for the settings that 2 or 3 did not write (see
//!    [`BreakerConfig::is_explicit`](crate::BreakerConfig::is_explicit)), as if they had
//!    been written there.
//! 5. **Built-in default**: the attribute's defaults, as in [`BreakerConfig::new`](crate::BreakerConfig::new).
//!
//! The environment applies to the breakers of the registry ([`breakers`](crate::breakers)),
//! not to a [`CircuitBreaker::new`](crate::CircuitBreaker::new) of your own.
//!
//! # Environment variables
//!
//! | `<SETTING>` | value | as the attribute's |
//! |---|---|---|
//! | `FAILURE_THRESHOLD` | integer >= 1 | `failure_threshold` |
//! | `RECOVERY_TIMEOUT` | duration > 0 | `recovery_timeout` |
//! | `HALF_OPEN_MAX_CALLS` | integer >= 1 | `half_open_max_calls` |
//! | `SUCCESS_THRESHOLD` | integer >= 1 | `success_threshold` |
//! | `FAILURE_RATE` | fraction in (0, 1] | `failure_rate` |
//! | `WINDOW` | integer from 1 to 65536 (calls), or duration >= 1 ms | `window` (of the failure rate and the throttle) |
//! | `MINIMUM_CALLS` | integer >= 1, at most the window's calls | `minimum_calls` |
//! | `SLOW_CALL` | duration > 0 | `slow_call` |
//! | `RECOVERY_BACKOFF` | finite number >= 1 | `recovery_backoff` |
//! | `MAX_RECOVERY_TIMEOUT` | duration > 0, at least the recovery timeout | `max_recovery_timeout` |
//! | `ADAPTIVE` | finite number >= 1 | `adaptive` |
//! | `MAX_TRIAL_WAIT` | duration (`0s`: no limit) | `max_trial_wait` |
//!
//! Durations are written as in the attributes: an integer or decimal and a unit, `ns`, `us`,
//! `ms`, `s`, `m` or `h` (`"250ms"`, `"1.5s"`, `"2m"`); see [`parse_duration`]. Each value is
//! checked by the rule its attribute argument is checked by when the code compiles (one
//! implementation of each rule, in the `resilience-settings` crate, which the attributes,
//! the environment and configuration files all call), and refused with the same words.
//!
//! `WINDOW` and `MINIMUM_CALLS` shape a failure-rate policy (`WINDOW` the throttle's too),
//! and `MAX_RECOVERY_TIMEOUT` caps a recovery backoff: per breaker, alone, they change the
//! policy the breaker has, and are reported for a breaker that has none; as global defaults
//! they need `FAILURE_RATE` (or `ADAPTIVE`, or `RECOVERY_BACKOFF`) beside them, and are
//! reported otherwise. A global default acts as if it were written in the breaker's
//! attribute: a global `FAILURE_RATE` gives a breaker without a rate policy one (window 100
//! calls, minimum 10 calls, unless set), which, as with the attribute, replaces the
//! consecutive-failures policy unless a `FAILURE_THRESHOLD` is given too; a global
//! `RECOVERY_BACKOFF` caps the open time at 10 × the recovery timeout unless set.
//!
//! `<NAME>` is the breaker's name in upper case, each run of characters other than ASCII
//! letters and digits (`::`, `-`, `.`, `_`, spaces, any non-ASCII character...) replaced by
//! one `_`, with none at either end: `payments` is `PAYMENTS`, `inventory-db` is
//! `INVENTORY_DB`, `my_app::db::query` is `MY_APP_DB_QUERY` (see [`env_prefix`]). The name
//! never holds `__`, so the double underscores around it are unambiguous. Names that differ
//! only in those characters or in case share their variables. A name with no ASCII letter or
//! digit at all (`支付`, `::`) leaves nothing to write: such a breaker cannot be configured
//! from the environment ([`env_prefix`] says so, and so does the report of a variable
//! without a `<NAME>`); configure it with [`breakers::configure`](crate::breakers::configure)
//! or a file. No encoding of such names is offered: a variable name an operator cannot read
//! or type from the breaker's name is no better than none, and files take any name as it is.
//!
//! ```text
//! RESILIENCE_BREAKER_RECOVERY_TIMEOUT=30s               # every breaker, unless its attribute says otherwise
//! RESILIENCE_BREAKER__PAYMENTS__FAILURE_THRESHOLD=10    # `payments`, whatever else says otherwise
//! RESILIENCE_BREAKER__INVENTORY_DB__SLOW_CALL=1.5s      # `inventory-db`
//! ```
//!
//! The environment is read once, when the registry creates its first breaker, and again
//! only by [`breakers::reload_env`](crate::breakers::reload_env).
//!
//! # Applied, reported or refused
//!
//! Every variable whose name starts with `RESILIENCE_BREAKER_` or `RESILIENCE_BUDGET_` is
//! either applied or reported, never ignored in silence. A report never stops the program:
//! it is written once on standard error and kept in
//! [`breakers::config_errors`](crate::breakers::config_errors) (or
//! [`budgets::config_errors`](crate::budgets::config_errors)), each [`ConfigError`] with the
//! variable, its value and the reason, and the variable is ignored: the next source in the
//! order above applies.
//!
//! - **Applied**: a variable with a known `<SETTING>`, a `<NAME>` written as above (per
//!   breaker or budget), and a value its rule accepts, to every breaker (or budget) whose
//!   name is written so, each time the registry configures one. A `<NAME>` that no breaker
//!   of the program has yet is kept for the breaker that will have it.
//! - **Reported when read**, because it can reach no breaker:
//!   - an unknown `<SETTING>`, or one in lower case (the report gives the spelling);
//!   - a value that is not UTF-8, that does not parse, or that its rule refuses (the
//!     table above), as the attribute refuses it;
//!   - a `<NAME>` that no name is written as: with lower-case letters, with `__`, starting
//!     or ending with `_`, with other characters, not UTF-8 (the report gives the
//!     spelling to use), or missing (a name without ASCII letters or digits);
//!   - settings of one breaker's (or the global) variables that contradict each other as
//!     the attribute's arguments would: a `MINIMUM_CALLS` above its `WINDOW`, a
//!     `MAX_RECOVERY_TIMEOUT` below its `RECOVERY_TIMEOUT` (the second is reported);
//!   - a global `WINDOW`, `MINIMUM_CALLS` or `MAX_RECOVERY_TIMEOUT` without the global
//!     policy it shapes (see above).
//! - **Reported for one breaker when applied to it**, because what it means depends on
//!   that breaker's own configuration (kept in `config_errors` until the breaker is
//!   configured again, when it is judged again):
//!   - its own `WINDOW`, `MINIMUM_CALLS` or `MAX_RECOVERY_TIMEOUT` when it has no failure
//!     rate (or throttle), no failure rate, no recovery backoff: they would change nothing;
//!   - a variable, its own or global, that contradicts its configuration: a
//!     `MINIMUM_CALLS` above the window in force, a `MAX_RECOVERY_TIMEOUT` below the
//!     recovery timeout in force. (A `WINDOW` narrower than the breaker's minimum number of
//!     calls lowers that minimum to the window, as the attribute's default does.)
//! - **Not reported**: a global default that a breaker's own configuration overrides. That
//!   is the order of precedence at work, not a mistake.
//!
//! # Retry budgets
//!
//! A retry budget's settings (see [`BudgetConfig`]) come from four
//! places; the first that sets a setting wins:
//!
//! 1. **Per-budget environment**: `RESILIENCE_BUDGET__<NAME>__<SETTING>`, `<NAME>` written
//!    as for breakers. A `#[retry]` site's own budget goes by the site's name.
//! 2. **Run-time configuration**: [`budgets::configure`](crate::budgets::configure), or a
//!    file's `[budgets.<name>]` applied with [`Config::apply`], as a whole.
//! 3. **Global environment default**: `RESILIENCE_BUDGET_<SETTING>`, for every budget not
//!    configured at run time, the sites' own budgets included.
//! 4. **Built-in default**: [`BudgetConfig::new`](crate::BudgetConfig::new).
//!
//! | `<SETTING>` | value | |
//! |---|---|---|
//! | `RATIO` | number in [0, 1000] | retries per call made |
//! | `MIN_RETRIES_PER_SECOND` | integer from 0 to 4294967295 | the floor |
//! | `WINDOW` | duration >= 1 ms | how far back calls and retries count |
//!
//! ```text
//! RESILIENCE_BUDGET_RATIO=0.1                  # every budget: retries add at most 10%
//! RESILIENCE_BUDGET__ORDERS__WINDOW=30s        # `#[retry(budget = "orders")]`
//! ```
//!
//! Variables that cannot be used are reported when read, as the breakers' are (an unknown
//! `<SETTING>`, a value its rule refuses, a `<NAME>` no budget is written as), and kept in
//! [`budgets::config_errors`](crate::budgets::config_errors).
//!
//! # Configuration files
//!
//! With the `serde` feature, [`Config`], [`BreakerConfig`] and
//! [`RetryPolicy`] implement `Deserialize` and `Serialize`, with the
//! attribute arguments' names and durations as strings, so that a file in any format
//! `serde` reads (TOML, YAML, JSON...) configures the registry in one call.
//!
//! A file is applied or refused as a whole: reading it fails, with an error that names the
//! key and says what is wrong and how to fix it, on an unknown key, and on any value or
//! combination the attribute refuses, checked by the same rules: each value by its
//! setting's rule (the tables above, and the attributes' for `[retry]`), then, within one
//! table, a `window` or `minimum_calls` without `failure_rate` (or `adaptive` for
//! `window`), a `max_recovery_timeout` without `recovery_backoff`, a `minimum_calls` above
//! the window (100 calls unless set), a `max_recovery_timeout` below `recovery_timeout`
//! (60 s unless set), an `initial_delay` above `max_delay` (30 s unless set), and a
//! `multiplier` beside a `backoff` other than `exponential`. Nothing is clamped in silence:
//! `window = 100000` is refused, not taken as 65536.
//!
//! ```toml
//! [breakers.payments]
//! failure_threshold = 3
//! recovery_timeout = "30s"
//!
//! [breakers.inventory-db]
//! failure_rate = 0.5
//! window = "1m"          # or a number of calls: window = 100
//! minimum_calls = 20
//! recovery_backoff = 2.0
//! max_recovery_timeout = "10m"
//!
//! [budgets.orders]
//! ratio = 0.1
//! min_retries_per_second = 5
//! window = "30s"
//!
//! [retry.database]
//! max_attempts = 5
//! backoff = "exponential" # constant, linear, exponential or fibonacci
//! multiplier = 2.0
//! initial_delay = "50ms"
//! max_delay = "2s"
//! jitter = "full"         # none, full, equal, decorrelated, or a fraction for ± that much
//! max_elapsed = "10s"
//! ```
//!
//! # Snapshots
//!
//! [`breakers::snapshot`](crate::breakers::snapshot) records every breaker's state, and
//! [`breakers::restore`](crate::breakers::restore) brings it back after a restart
//! ([`Snapshot`], serializable with the `serde` feature). A snapshot is read as given, with
//! one exception: an open period longer than any the breaker's configuration produces (its
//! recovery timeout, or a recovery backoff's cap) is shortened to the longest it produces,
//! since it can only come from another configuration or from clocks that disagree (an
//! `open_until` a day ahead would otherwise keep the breaker open for a day). Each shortened
//! period is **reported** as configuration is: once on standard error, and in
//! [`breakers::config_errors`](crate::breakers::config_errors) as a [`ConfigError`] whose
//! [`source`](ConfigError::source) is [`ConfigSource::Snapshot`]. It is judged against the
//! breaker's own configuration, which for a breaker the restore creates is known only when
//! its first call site runs (or [`breakers::configure`](crate::breakers::configure) is
//! called): it is judged then, before any call is decided.

mod env;
mod fields;
#[cfg(feature = "serde")]
mod serde_impls;
mod snapshot;

use std::{collections::BTreeMap, fmt, time::Duration};

pub use crate::breaker::BreakerSetting;
use crate::{BreakerConfig, BudgetConfig, RetryPolicy};
pub(crate) use env::{
    current as current_env, generation as env_generation, reload as reload_env,
    report as report_errors,
};
pub use snapshot::{BreakerSnapshot, Snapshot};
pub(crate) mod snapshot_support {
    pub(crate) use super::snapshot::{round_up_to_millis, truncate_to_millis};
}

/// Configuration for the registry's breakers and for named retry policies, as read from a
/// file with the `serde` feature (see the [module](self)'s example), or built in code.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, breakers, config::Config};
///
/// let mut config = Config::default();
/// config.breakers.insert(
///     "doc.config.payments".into(),
///     BreakerConfig::new().with_recovery_timeout(Duration::from_secs(30)),
/// );
/// config.apply();
/// let breaker = breakers::get("doc.config.payments").unwrap();
/// assert_eq!(breaker.config().recovery_timeout(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Breaker configurations by breaker name, applied as run-time configuration.
    pub breakers: BTreeMap<String, BreakerConfig>,
    /// Retry policies by a name of your choice, for your code to look up with
    /// [`retry_policy`](Self::retry_policy).
    pub retry: BTreeMap<String, RetryPolicy>,
    /// Retry budget configurations by budget name, applied as run-time configuration (see
    /// [`budgets::configure`](crate::budgets::configure)).
    pub budgets: BTreeMap<String, BudgetConfig>,
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

    /// The retry policy named `name`.
    ///
    /// ```
    /// use resilience::{RetryPolicy, config::Config};
    /// let mut config = Config::default();
    /// config.retry.insert("db".into(), RetryPolicy::new().with_max_attempts(5));
    /// assert_eq!(config.retry_policy("db").unwrap().max_attempts(), 5);
    /// assert!(config.retry_policy("search").is_none());
    /// ```
    pub fn retry_policy(&self, name: &str) -> Option<RetryPolicy> {
        self.retry.get(name).copied()
    }
}

/// Operator configuration that could not be used as given: an environment variable, from
/// [`breakers::config_errors`](crate::breakers::config_errors) and
/// [`budgets::config_errors`](crate::budgets::config_errors), or a breaker's entry of a
/// restored snapshot, from [`breakers::restore`](crate::breakers::restore). Each is also
/// reported once on standard error. See the [module](self)'s documentation for what is
/// applied, reported or refused.
///
/// ```
/// for error in resilience::breakers::config_errors() {
///     eprintln!("{error}"); // which variable, which value, and why
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// Where the value was read: the variable's name, or for a snapshot the breaker's entry,
    /// as in `snapshot breaker "payments" open_until`.
    pub variable: String,
    /// The value, lossily decoded if it was not UTF-8; for a snapshot's `open_until`, the
    /// time it left.
    pub value: String,
    /// What is wrong with it, and what was done instead.
    pub reason: String,
    /// What the value was read from.
    pub source: ConfigSource,
}

/// What a [`ConfigError`]'s value was read from.
///
/// ```
/// use resilience::config::ConfigSource;
/// assert_ne!(ConfigSource::Environment, ConfigSource::Snapshot);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigSource {
    /// An environment variable: it was ignored, and the next source in the order of
    /// precedence applies.
    Environment,
    /// A breaker's entry of a snapshot given to
    /// [`breakers::restore`](crate::breakers::restore): it was restored as the reason says.
    Snapshot,
}

impl ConfigError {
    pub(crate) fn environment(variable: String, value: String, reason: String) -> Self {
        ConfigError {
            variable,
            value,
            reason,
            source: ConfigSource::Environment,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            ConfigSource::Environment => write!(
                f,
                "ignoring environment variable {}={:?}: {}",
                self.variable, self.value, self.reason
            ),
            ConfigSource::Snapshot => write!(
                f,
                "restoring {} ({} left): {}",
                self.variable, self.value, self.reason
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The prefix of the per-breaker environment variables of the breaker `name`: add a
/// `<SETTING>` (see the [module](self)'s table) to get a variable's name. A name without
/// any ASCII letter or digit cannot be written in a variable's name: such a breaker cannot
/// be configured from the environment (configure it in code or in a configuration file),
/// and the error says so.
///
/// ```
/// use resilience::config::env_prefix;
/// assert_eq!(env_prefix("payments").unwrap(), "RESILIENCE_BREAKER__PAYMENTS__");
/// assert_eq!(env_prefix("my_app::db::query").unwrap(), "RESILIENCE_BREAKER__MY_APP_DB_QUERY__");
/// assert_eq!(env_prefix("inventory-db.v2").unwrap(), "RESILIENCE_BREAKER__INVENTORY_DB_V2__");
/// let err = env_prefix("支付").unwrap_err();
/// assert!(err.to_string().contains("cannot be configured from the environment"));
/// ```
pub fn env_prefix(name: &str) -> Result<String, EnvNameError> {
    scoped_prefix(env::BREAKER_PREFIX, name, "breaker")
}

/// The prefix of the per-budget environment variables of the retry budget `name`, as
/// [`env_prefix`] gives the breakers'.
///
/// ```
/// use resilience::config::budget_env_prefix;
/// assert_eq!(budget_env_prefix("orders").unwrap(), "RESILIENCE_BUDGET__ORDERS__");
/// assert!(budget_env_prefix("--").is_err());
/// ```
pub fn budget_env_prefix(name: &str) -> Result<String, EnvNameError> {
    scoped_prefix(env::BUDGET_PREFIX, name, "retry budget")
}

fn scoped_prefix(prefix: &str, name: &str, what: &'static str) -> Result<String, EnvNameError> {
    let mangled = env::mangle(name);
    if mangled.is_empty() {
        return Err(EnvNameError {
            name: name.to_owned(),
            what,
        });
    }
    Ok(format!("{prefix}_{mangled}__"))
}

/// A name that no environment variable can spell, from [`env_prefix`]: it has no ASCII
/// letter or digit.
///
/// ```
/// let err = resilience::config::env_prefix("::").unwrap_err();
/// assert_eq!(err.name(), "::");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvNameError {
    name: String,
    what: &'static str,
}

impl EnvNameError {
    /// The name.
    ///
    /// ```
    /// assert_eq!(resilience::config::env_prefix("支付").unwrap_err().name(), "支付");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for EnvNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} `{}` cannot be configured from the environment: a variable names it by \
             its ASCII letters and digits, and it has none; configure it in code or in a \
             configuration file, or give it a name with ASCII letters or digits",
            self.what, self.name
        )
    }
}

impl std::error::Error for EnvNameError {}

/// A duration string that [`parse_duration`] could not read.
///
/// ```
/// let err = resilience::config::parse_duration("250").unwrap_err();
/// assert!(err.to_string().contains("has no unit"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration written as in the attributes: an integer or decimal and a unit, `ns`,
/// `us`, `ms`, `s`, `m` or `h`, with no space. The grammar is the attributes' own (one
/// implementation, which the attributes run when the code compiles and this runs at run time),
/// so that a value moves between code, the environment and a file unchanged.
///
/// ```
/// use std::time::Duration;
/// use resilience::config::parse_duration;
///
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert!(parse_duration("5 s").is_err());
/// assert!(parse_duration("5secs").unwrap_err().to_string().contains("use \"s\""));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    resilience_settings::duration::parse(text).map_err(|e| DurationError(e.to_string()))
}

/// Writes a duration in the syntax [`parse_duration`] reads, exactly, in the largest unit
/// that holds it in whole numbers. Durations beyond what the syntax holds (about 584 years)
/// are written as the largest it holds.
///
/// ```
/// use std::time::Duration;
/// use resilience::config::format_duration;
///
/// assert_eq!(format_duration(Duration::from_secs(120)), "2m");
/// assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
/// assert_eq!(format_duration(Duration::ZERO), "0s");
/// ```
pub fn format_duration(duration: Duration) -> String {
    resilience_settings::duration::format(duration)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn reads_the_shared_corpus() {
        for (text, expected) in resilience_settings::corpus::DURATIONS {
            match (parse_duration(text), expected) {
                (Ok(d), Ok(nanos)) => assert_eq!(d, Duration::from_nanos(*nanos), "{text:?}"),
                (Err(err), Err(says)) => assert!(err.to_string().contains(says), "{text:?}: {err}"),
                (got, want) => panic!("{text:?}: got {got:?}, expected {want:?}"),
            }
        }
        let d = Duration::from_millis(1500);
        assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }
}
