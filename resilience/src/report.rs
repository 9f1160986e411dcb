//! Operator configuration that could not be used as given, and where it is reported.
//!
//! A report never stops the program and is never written to standard error: a library does
//! not write to its process's output unasked. Each is kept for the functions that list them
//! ([`breakers::config_errors`](crate::breakers::config_errors),
//! [`budgets::config_errors`](crate::budgets::config_errors),
//! [`breakers::config_conflicts`](crate::breakers::config_conflicts)), handed to the
//! listeners of [`on_report`] once, and with the `tracing` feature logged once as a
//! `resilience.config` event (see [`observe`](crate::observe)).

use std::{
    collections::BTreeSet,
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use crate::BreakerConfig;

/// Operator configuration that could not be used as given: an environment variable, from
/// [`breakers::config_errors`](crate::breakers::config_errors) and
/// [`budgets::config_errors`](crate::budgets::config_errors), or a breaker's entry of a
/// restored snapshot, from [`breakers::restore`](crate::breakers::restore). Each is also
/// reported once (see [`on_report`](crate::config::on_report)). See the
/// [`config`](crate::config) module's documentation for what is applied, reported or refused.
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
    /// A `#[retry]` argument known only at run time (`max_attempts = self.retries`): the
    /// value the reason says was used instead.
    Argument,
}

impl ConfigError {
    /// A `#[retry]` argument given at run time, refused by its rule: `variable` names the
    /// site and the key.
    pub(crate) fn argument(variable: String, value: String, reason: String) -> Self {
        ConfigError {
            variable,
            value,
            reason,
            source: ConfigSource::Argument,
        }
    }

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
            ConfigSource::Argument => write!(
                f,
                "{} = {} at run time: {}",
                self.variable, self.value, self.reason
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Two call sites sharing a breaker with different attribute configurations, from
/// [`breakers::config_conflicts`](crate::breakers::config_conflicts).
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

/// Something about the operator's configuration the library could not use as given, as
/// handed to the listeners of [`on_report`](crate::config::on_report).
///
/// ```
/// use resilience::config::{ConfigSource, Report};
///
/// fn log(report: &Report<'_>) {
///     match report {
///         Report::Config(error) if error.source == ConfigSource::Snapshot => {
///             eprintln!("restore: {error}")
///         }
///         other => eprintln!("configuration: {other}"),
///     }
/// }
/// resilience::config::on_report(log);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Report<'a> {
    /// An environment variable ignored, or a snapshot's entry restored otherwise than saved.
    Config(&'a ConfigError),
    /// Two call sites of one breaker with different arguments.
    Conflict(&'a ConfigConflict),
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Config(error) => error.fmt(f),
            Report::Conflict(conflict) => conflict.fmt(f),
        }
    }
}

type Listener = Arc<dyn Fn(&Report<'_>) + Send + Sync>;

static LISTENERS: RwLock<Vec<Listener>> = RwLock::new(Vec::new());

/// Calls `listener` with each report from now on, once each, outside any lock: an
/// environment variable that cannot be used (when the environment is read, or when a
/// variable is refused for a breaker it is applied to), a snapshot's open period shortened
/// by a restore, two call sites of one breaker with different arguments. A listener that
/// panics is ignored.
///
/// Nothing is written to standard error: register a listener (at start-up, before the first
/// breaker or budget is used, which reads the environment) to log reports where your
/// program logs, or read the lists that keep them at any time
/// ([`breakers::config_errors`](crate::breakers::config_errors),
/// [`budgets::config_errors`](crate::budgets::config_errors),
/// [`breakers::config_conflicts`](crate::breakers::config_conflicts)). With the `tracing`
/// feature each report is also a `resilience.config` warning event.
///
/// ```
/// resilience::config::on_report(|report| eprintln!("warning: {report}"));
/// ```
pub fn on_report(listener: impl Fn(&Report<'_>) + Send + Sync + 'static) {
    LISTENERS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::new(listener));
}

/// Reports `error`, once per process for one variable, value and reason.
pub(crate) fn config_error(error: &ConfigError) {
    /// `(variable, value, reason)` already reported.
    static REPORTED: Mutex<BTreeSet<(String, String, String)>> = Mutex::new(BTreeSet::new());
    let key = (
        error.variable.clone(),
        error.value.clone(),
        error.reason.clone(),
    );
    let first = REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key);
    if first {
        let source = match error.source {
            ConfigSource::Environment => "environment",
            ConfigSource::Snapshot => "snapshot",
            ConfigSource::Argument => "argument",
        };
        crate::observe::config_report(source, error);
        tell(&Report::Config(error));
    }
}

/// Reports each of `errors`; see [`config_error`].
pub(crate) fn config_errors(errors: &[ConfigError]) {
    errors.iter().for_each(config_error);
}

/// Reports `conflict`: the registry does so once per pair of call sites.
pub(crate) fn conflict(conflict: &ConfigConflict) {
    crate::observe::config_report("call_sites", conflict);
    tell(&Report::Conflict(conflict));
}

fn tell(report: &Report<'_>) {
    let listeners = LISTENERS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for listener in listeners {
        // A listener's panic must not reach the code that happened to read the configuration.
        let _ = catch_unwind(AssertUnwindSafe(|| listener(report)));
    }
}
