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
//! | `RECOVERY_TIMEOUT` | duration | `recovery_timeout` |
//! | `HALF_OPEN_MAX_CALLS` | integer >= 1 | `half_open_max_calls` |
//! | `SUCCESS_THRESHOLD` | integer >= 1 | `success_threshold` |
//! | `FAILURE_RATE` | fraction in (0, 1] | `failure_rate` |
//! | `WINDOW` | integer (calls) or duration | `window` (of the failure rate and the throttle) |
//! | `MINIMUM_CALLS` | integer >= 1 | `minimum_calls` |
//! | `SLOW_CALL` | duration | `slow_call` |
//! | `RECOVERY_BACKOFF` | number >= 1 | `recovery_backoff` |
//! | `MAX_RECOVERY_TIMEOUT` | duration | `max_recovery_timeout` |
//! | `ADAPTIVE` | number >= 1 | `adaptive` |
//! | `MAX_TRIAL_WAIT` | duration (`0s`: no limit) | `max_trial_wait` |
//!
//! Durations are written as in the attributes: an integer or decimal and a unit, `ns`, `us`,
//! `ms`, `s`, `m` or `h` (`"250ms"`, `"1.5s"`, `"2m"`); see [`parse_duration`].
//! `WINDOW` and `MINIMUM_CALLS` shape a failure-rate policy, and `MAX_RECOVERY_TIMEOUT` caps
//! a recovery backoff: per breaker, alone, they change the policy the breaker has; as global
//! defaults they need `FAILURE_RATE` (or `RECOVERY_BACKOFF`) beside them, and are reported
//! otherwise. A global default acts as if it were written in the breaker's attribute: a
//! global `FAILURE_RATE` gives a breaker without a rate policy one (window 100 calls,
//! minimum 10 calls, unless set), which, as with the attribute, replaces the
//! consecutive-failures policy unless a `FAILURE_THRESHOLD` is given too; a global
//! `RECOVERY_BACKOFF` caps the open time at 10 × the recovery timeout unless set.
//!
//! `<NAME>` is the breaker's name in upper case, each run of characters other than ASCII
//! letters and digits (`::`, `-`, `.`, `_`, spaces...) replaced by one `_`, with none at
//! either end: `payments` is `PAYMENTS`, `inventory-db` is `INVENTORY_DB`,
//! `my_app::db::query` is `MY_APP_DB_QUERY` (see [`env_prefix`]). The name never holds
//! `__`, so the double underscores around it are unambiguous. Names that differ only in
//! those characters or in case share their variables.
//!
//! ```text
//! RESILIENCE_BREAKER_RECOVERY_TIMEOUT=30s               # every breaker, unless its attribute says otherwise
//! RESILIENCE_BREAKER__PAYMENTS__FAILURE_THRESHOLD=10    # `payments`, whatever else says otherwise
//! RESILIENCE_BREAKER__INVENTORY_DB__SLOW_CALL=1.5s      # `inventory-db`
//! ```
//!
//! The environment is read once, when the registry creates its first breaker, and again
//! only by [`breakers::reload_env`](crate::breakers::reload_env). A variable that cannot be
//! used — a bad value, an unknown `<SETTING>`, a malformed name — never stops the program
//! and is never ignored in silence: it is reported once on standard error and kept in
//! [`breakers::config_errors`](crate::breakers::config_errors), and the next source in the
//! order above applies.
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
//! | `MIN_RETRIES_PER_SECOND` | integer >= 0 | the floor |
//! | `WINDOW` | duration > 0 | how far back calls and retries count |
//!
//! ```text
//! RESILIENCE_BUDGET_RATIO=0.1                  # every budget: retries add at most 10%
//! RESILIENCE_BUDGET__ORDERS__WINDOW=30s        # `#[retry(budget = "orders")]`
//! ```
//!
//! Variables that cannot be used are reported as the breakers' are, and kept in
//! [`budgets::config_errors`](crate::budgets::config_errors).
//!
//! # Configuration files
//!
//! With the `serde` feature, [`Config`], [`BreakerConfig`] and
//! [`RetryPolicy`] implement `Deserialize` and `Serialize`, with the
//! attribute arguments' names and durations as strings, so that a file in any format
//! `serde` reads (TOML, YAML, JSON...) configures the registry in one call. Unknown keys
//! are errors that name them.
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

mod env;
#[cfg(feature = "serde")]
mod serde_impls;
mod snapshot;

use std::{collections::BTreeMap, fmt, time::Duration};

pub use crate::breaker::BreakerSetting;
use crate::{BreakerConfig, BudgetConfig, RetryPolicy};
pub(crate) use env::{current as current_env, generation as env_generation, reload as reload_env};
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

/// An environment variable that could not be used, from
/// [`breakers::config_errors`](crate::breakers::config_errors). It was ignored: the next
/// source in the order of precedence applies.
///
/// ```
/// for error in resilience::breakers::config_errors() {
///     eprintln!("{error}"); // which variable, which value, and why
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// The variable's name.
    pub variable: String,
    /// Its value, lossily decoded if it was not UTF-8.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ignoring environment variable {}={:?}: {}",
            self.variable, self.value, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

/// The prefix of the per-breaker environment variables of the breaker `name`: add a
/// `<SETTING>` (see the [module](self)'s table) to get a variable's name.
///
/// ```
/// use resilience::config::env_prefix;
/// assert_eq!(env_prefix("payments"), "RESILIENCE_BREAKER__PAYMENTS__");
/// assert_eq!(env_prefix("my_app::db::query"), "RESILIENCE_BREAKER__MY_APP_DB_QUERY__");
/// assert_eq!(env_prefix("inventory-db.v2"), "RESILIENCE_BREAKER__INVENTORY_DB_V2__");
/// ```
pub fn env_prefix(name: &str) -> String {
    format!("{}_{}__", env::BREAKER_PREFIX, env::mangle(name))
}

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

/// Checks a count that must be at least 1.
pub(crate) fn check_count(n: u64) -> Result<u32, String> {
    match u32::try_from(n) {
        Ok(0) => Err("must be an integer >= 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{n} is too large (at most {})", u32::MAX)),
    }
}

/// Checks a failure rate: a fraction in (0, 1].
pub(crate) fn check_rate(rate: f64) -> Result<f64, String> {
    if rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(format!("{rate} is not a fraction in (0, 1]"))
    }
}

/// Checks a retry budget's ratio: a finite number in [0, 1000].
pub(crate) fn check_budget_ratio(ratio: f64) -> Result<f64, String> {
    if (0.0..=1000.0).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(format!(
            "{ratio} is not a number of retries per call in [0, 1000]: 0.2 lets retries add 20%"
        ))
    }
}

/// Checks a duration that must be longer than zero.
pub(crate) fn check_positive(duration: Duration) -> Result<Duration, String> {
    if duration.is_zero() {
        Err("must be longer than zero".into())
    } else {
        Ok(duration)
    }
}

/// Checks adaptive throttling's multiplier: a finite number >= 1.
pub(crate) fn check_adaptive(k: f64) -> Result<f64, String> {
    if k.is_finite() && k >= 1.0 {
        Ok(k)
    } else {
        Err(format!(
            "{k} is not a finite number >= 1 (below 1, the throttle would reject calls to a healthy dependency)"
        ))
    }
}

/// Checks a growth factor: a finite number >= 1.
pub(crate) fn check_factor(factor: f64) -> Result<f64, String> {
    if factor.is_finite() && factor >= 1.0 {
        Ok(factor)
    } else {
        Err(format!("{factor} is not a finite number >= 1"))
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn checks_values() {
        assert!(check_count(0).is_err());
        assert_eq!(check_count(3), Ok(3));
        assert!(check_count(u64::MAX).is_err());
        assert!(
            check_rate(0.0).is_err() && check_rate(1.5).is_err() && check_rate(f64::NAN).is_err()
        );
        assert_eq!(check_rate(1.0), Ok(1.0));
        assert!(check_factor(0.5).is_err() && check_factor(f64::INFINITY).is_err());
    }
}
