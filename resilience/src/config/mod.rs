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
//! either applied or reported, never ignored in silence. A report never stops the program,
//! and nothing is written to standard error: each [`ConfigError`] (the variable, its value
//! and the reason) is kept in [`breakers::config_errors`](crate::breakers::config_errors) (or
//! [`budgets::config_errors`](crate::budgets::config_errors)), handed once to the listeners
//! of [`on_report`], and with the `tracing` feature logged once as a `resilience.config`
//! warning; the variable is ignored: the next source in the order above applies.
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
//! period is **reported** as configuration is (see [`on_report`]), and kept in
//! [`breakers::config_errors`](crate::breakers::config_errors) as a [`ConfigError`] whose
//! [`source`](ConfigError::source) is [`ConfigSource::Snapshot`]. It is judged against the
//! breaker's own configuration, which for a breaker the restore creates is known only when
//! its first call site runs (or [`breakers::configure`](crate::breakers::configure) is
//! called): it is judged then, before any call is decided.

//!
//! # Reports
//!
//! What could not be used as given is reported, never written to standard error: register a
//! listener with [`on_report`] to log it where your program logs (`on_report(|report|
//! eprintln!("warning: {report}"))` writes what earlier versions wrote), or read the lists
//! that keep it. With the `tracing` feature each report is also a `resilience.config`
//! warning event.
//!
//! # What is where
//!
//! - `mod.rs`: [`Config`], a file's contents; `duration.rs`: the duration syntax;
//!   `snapshot.rs`: [`Snapshot`]; `serde_impls.rs`: the file forms, with the `serde`
//!   feature, read through the environment's readers of each setting (`crate::env::fields`).
//! - The environment itself is read in `crate::env`, and what cannot be used is reported by
//!   `crate::report`; this module gives their public items their public paths.

mod duration;
#[cfg(feature = "serde")]
mod serde_impls;
mod snapshot;

use std::collections::BTreeMap;

pub use self::duration::{DurationError, format_duration, parse_duration};
pub use self::snapshot::{BreakerSnapshot, Snapshot};
pub(crate) use self::snapshot::{round_up_to_millis, truncate_to_millis};
pub use crate::breaker::BreakerSetting;
pub use crate::env::{EnvNameError, budget_env_prefix, env_prefix};
pub use crate::report::{ConfigError, ConfigSource, Report, on_report};
use crate::{BreakerConfig, BudgetConfig, RetryPolicy};

/// Configuration for the registry's breakers and budgets and for named retry policies, as
/// read from a file with the `serde` feature (see the [module](self)'s example), or built in
/// code. [`Config::apply`] configures the registry with it.
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

#[cfg(test)]
mod tests;
