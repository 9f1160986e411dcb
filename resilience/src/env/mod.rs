//! The `RESILIENCE_BREAKER_*` and `RESILIENCE_BUDGET_*` environment variables: read once,
//! lazily, then looked up by name each time the registry (re)configures a breaker or a
//! budget resolves its configuration. Every variable under those prefixes is applied or
//! reported, with the reason; see the [`config`](crate::config) module's documentation.
//!
//! - `fields.rs`: the settings one source gives, each read and checked by its rule (the
//!   reader configuration files use too).
//! - `names.rs`: how a breaker's or a budget's name is written in a variable's name.

pub(crate) mod fields;
mod names;

use std::{
    collections::BTreeMap,
    ffi::{OsStr, OsString},
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use resilience_settings::{
    Invalid,
    breaker::{self, Setting},
    budget::Setting as BudgetSetting,
};

use self::fields::{BudgetFields, Fields, Source, WindowValue};
pub use self::names::{EnvNameError, budget_env_prefix, env_prefix};
use self::names::{mangle, scoped};
use crate::{
    BreakerConfig, Window,
    report::{self, ConfigError},
};

/// The prefix of the global variables; the per-breaker ones add `_<NAME>__`.
const BREAKER_PREFIX: &str = "RESILIENCE_BREAKER_";
/// The prefix of the retry budgets' global variables; the per-budget ones add `_<NAME>__`.
const BUDGET_PREFIX: &str = "RESILIENCE_BUDGET_";

/// The setting whose `<SETTING>` is `suffix`, among `all`, or why none is: `of` names the
/// list in the message.
fn setting<S: Copy>(
    suffix: &str,
    all: &[S],
    env_name: fn(S) -> &'static str,
    of: &str,
) -> Result<S, String> {
    if let Some(&setting) = all.iter().find(|&&s| env_name(s) == suffix) {
        return Ok(setting);
    }
    let upper = suffix.to_ascii_uppercase();
    let hint = if all.iter().any(|&s| env_name(s) == upper) {
        format!(" (settings are written in upper case: `{upper}`)")
    } else {
        String::new()
    };
    let names: Vec<&str> = all.iter().map(|&s| env_name(s)).collect();
    Err(format!(
        "unknown setting `{suffix}`{hint}; the settings {of}are {}",
        names.join(", ")
    ))
}

/// A breaker setting named by `suffix`.
fn breaker_setting(suffix: &str) -> Result<Setting, String> {
    setting(suffix, Setting::ALL, Setting::env_name, "")
}

/// A retry budget setting named by `suffix`.
fn budget_setting(suffix: &str) -> Result<BudgetSetting, String> {
    setting(
        suffix,
        BudgetSetting::ALL,
        BudgetSetting::env_name,
        "of a retry budget ",
    )
}

/// A variable's value, as a [`Source`] of a setting.
struct Text<'a>(&'a str);

impl Source for Text<'_> {
    type Error = String;

    fn integer(self) -> Result<i128, String> {
        let value = self.0;
        match value.parse::<i128>() {
            Ok(n) => Ok(n),
            Err(_) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(i128::MAX)
            }
            Err(_) => Err(format!("expected an integer, found \"{value}\"")),
        }
    }

    fn number(self) -> Result<f64, String> {
        self.0
            .parse::<f64>()
            .map_err(|_| format!("expected a number, found \"{}\"", self.0))
    }

    fn duration(self) -> Result<Duration, String> {
        resilience_settings::duration::parse(self.0).map_err(|e| e.to_string())
    }

    /// Digits alone are a number of calls; anything else a duration.
    fn window(self) -> Result<WindowValue, String> {
        if self.0.bytes().all(|b| b.is_ascii_digit()) {
            Ok(WindowValue::Calls(self.integer()?))
        } else {
            let d = self
                .duration()
                .map_err(|e| format!("expected a number of calls or a duration: {e}"))?;
            Ok(WindowValue::Time(d))
        }
    }

    fn refused(invalid: Invalid) -> String {
        invalid.to_string()
    }
}

/// A variable as it was set, for its reports.
#[derive(Debug, Clone)]
struct Var {
    variable: String,
    value: String,
}

impl Var {
    fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::environment(self.variable.clone(), self.value.clone(), reason.into())
    }
}

/// The breaker variables of one scope (the global defaults, or one breaker's), each checked.
#[derive(Debug, Default)]
struct Scope {
    fields: Fields,
    /// The variable that set each field, by setting.
    vars: BTreeMap<Setting, Var>,
}

impl Scope {
    /// Reads the variable whose `<SETTING>` is `suffix` into its field.
    fn set(&mut self, suffix: &str, var: Var) -> Result<(), String> {
        let setting = breaker_setting(suffix)?;
        self.fields.read(setting, Text(&var.value))?;
        self.vars.insert(setting, var);
        Ok(())
    }

    /// Applies this scope to the breaker `name`'s `config` (see [`Fields::apply`]), recording
    /// the variables refused for it.
    fn apply(
        &self,
        name: &str,
        config: BreakerConfig,
        only_unset: bool,
        errors: &mut Vec<ConfigError>,
    ) -> BreakerConfig {
        let (config, refused) = self.fields.apply(config, only_unset);
        for (setting, invalid) in refused {
            if let Some(var) = self.vars.get(&setting) {
                errors.push(var.error(format!("not applied to breaker `{name}`: {invalid}")));
            }
        }
        config
    }
}

/// The checks across settings of one scope as it is read: those that need no breaker's own
/// configuration. The global defaults' parts without their policy can reach no breaker (a
/// breaker whose configuration sets the policy sets its parts too); a breaker's own parts
/// are judged against its configuration, when they are applied to it.
fn check_scope(f: &Fields, global: bool) -> Result<(), Invalid> {
    if global {
        if f.failure_rate.is_none() {
            if f.window.is_some() && f.adaptive.is_none() {
                return Err(breaker::window_without_policy());
            }
            if f.minimum_calls.is_some() {
                return Err(breaker::minimum_calls_without_rate());
            }
        }
        if f.max_recovery_timeout.is_some() && f.recovery_backoff.is_none() {
            return Err(breaker::max_recovery_timeout_without_backoff());
        }
    }
    if let Some(minimum) = f.minimum_calls {
        match f.window {
            Some(Window::Calls(window)) => {
                breaker::minimum_calls_within_window(minimum, Some(window))?
            }
            // A global failure rate reaches only breakers without one: its window is the
            // default unless set.
            None if global => breaker::minimum_calls_within_window(minimum, None)?,
            _ => {}
        }
    }
    if let (Some(max), Some(recovery)) = (f.max_recovery_timeout, f.recovery_timeout) {
        breaker::max_recovery_timeout_within(max, Some(recovery))?;
    }
    Ok(())
}

/// What the environment says, as read once.
#[derive(Debug, Default)]
pub(crate) struct EnvConfig {
    global: Scope,
    /// By mangled breaker name.
    per_breaker: BTreeMap<String, Scope>,
    /// The `RESILIENCE_BREAKER_*` variables that could not be used, as read.
    read_errors: Vec<ConfigError>,
    /// The variables refused when applied to a breaker, by breaker name: replaced each time
    /// the breaker is configured again.
    refused: Mutex<BTreeMap<String, Vec<ConfigError>>>,
    budget_global: BudgetFields,
    /// By mangled budget name.
    per_budget: BTreeMap<String, BudgetFields>,
    /// The `RESILIENCE_BUDGET_*` variables that could not be used.
    pub(crate) budget_errors: Vec<ConfigError>,
}

impl EnvConfig {
    /// Reads the `RESILIENCE_BREAKER_*` and `RESILIENCE_BUDGET_*` variables of `vars`,
    /// keeping what can be used and recording the rest.
    pub(crate) fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut env = EnvConfig::default();
        // Sorted, so that errors come in a stable order.
        let vars: BTreeMap<_, _> = vars.into_iter().collect();
        for (key, value) in &vars {
            let lossy_value = || value.to_string_lossy().into_owned();
            let Some(key) = key.to_str() else {
                // A name under a prefix but not UTF-8 names nothing: reported all the same.
                let name = key.to_string_lossy();
                let errors = if name.starts_with(BUDGET_PREFIX) {
                    &mut env.budget_errors
                } else if name.starts_with(BREAKER_PREFIX) {
                    &mut env.read_errors
                } else {
                    continue;
                };
                errors.push(ConfigError::environment(
                    name.into_owned(),
                    lossy_value(),
                    "the variable's name is not valid UTF-8, so it names nothing: write its \
                     name in ASCII, as `resilience::config::env_prefix` gives it"
                        .into(),
                ));
                continue;
            };
            if let Some(rest) = key.strip_prefix(BUDGET_PREFIX) {
                env.read_budget_variable(key, rest, value);
                continue;
            }
            let Some(rest) = key.strip_prefix(BREAKER_PREFIX) else {
                continue;
            };
            let result = match value.to_str() {
                None => Err("the value is not valid UTF-8".to_owned()),
                Some(text) => {
                    let var = Var {
                        variable: key.to_owned(),
                        value: text.to_owned(),
                    };
                    match rest.strip_prefix('_') {
                        None => env.global.set(rest, var),
                        Some(rest) => scoped(
                            rest,
                            "breaker",
                            BREAKER_PREFIX,
                            "PAYMENTS__FAILURE_THRESHOLD",
                            |suffix| breaker_setting(suffix).map(drop),
                        )
                        .and_then(|(name, suffix)| {
                            env.per_breaker
                                .entry(name.to_owned())
                                .or_default()
                                .set(suffix, var)
                        }),
                    }
                }
            };
            if let Err(reason) = result {
                env.read_errors.push(ConfigError::environment(
                    key.to_owned(),
                    lossy_value(),
                    reason,
                ));
            }
        }
        refuse_contradictions(
            &mut env.global,
            true,
            " (a global default applies only to breakers whose own configuration leaves the \
             whole policy unset)",
            &mut env.read_errors,
        );
        for scope in env.per_breaker.values_mut() {
            refuse_contradictions(scope, false, "", &mut env.read_errors);
        }
        env
    }

    /// Reads one `RESILIENCE_BUDGET_*` variable, `rest` being its name after the prefix.
    fn read_budget_variable(&mut self, key: &str, rest: &str, value: &OsStr) {
        let result = match value.to_str() {
            None => Err("the value is not valid UTF-8".to_owned()),
            Some(value) => match rest.strip_prefix('_') {
                None => read_budget(&mut self.budget_global, rest, value),
                Some(rest) => scoped(rest, "budget", BUDGET_PREFIX, "ORDERS__RATIO", |suffix| {
                    budget_setting(suffix).map(drop)
                })
                .and_then(|(name, suffix)| {
                    read_budget(
                        self.per_budget.entry(name.to_owned()).or_default(),
                        suffix,
                        value,
                    )
                }),
            },
        };
        if let Err(reason) = result {
            self.budget_errors.push(ConfigError::environment(
                key.to_owned(),
                value.to_string_lossy().into_owned(),
                reason,
            ));
        }
    }

    /// Every `RESILIENCE_BREAKER_*` variable that could not be used: as read, then as
    /// applied to each breaker configured since.
    pub(crate) fn errors(&self) -> Vec<ConfigError> {
        let refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        self.read_errors
            .iter()
            .chain(refused.values().flatten())
            .cloned()
            .collect()
    }

    /// The variables of the retry budget `name`: the global defaults, and its own if it has
    /// any. The budget applies them (see `crate::budget`): its own win over a run-time
    /// configuration, which wins over the global ones, which win over the built-in defaults.
    pub(crate) fn budget_fields(&self, name: &str) -> (&BudgetFields, Option<&BudgetFields>) {
        (&self.budget_global, self.per_budget.get(&mangle(name)))
    }

    /// The configuration of the breaker `name` whose own configuration (its attribute's, or
    /// its run-time one) is `base`. The variables refused for it (see [`Fields::apply`]) are
    /// reported, and kept among [`errors`](Self::errors) until it is configured again.
    pub(crate) fn resolve(&self, name: &str, base: BreakerConfig) -> BreakerConfig {
        let mut errors = Vec::new();
        let config = self.global.apply(name, base, true, &mut errors);
        let config = match self.per_breaker.get(&mangle(name)) {
            Some(own) => own.apply(name, config, false, &mut errors),
            None => config,
        };
        report::config_errors(&errors);
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        if errors.is_empty() {
            refused.remove(name);
        } else {
            refused.insert(name.to_owned(), errors);
        }
        config
    }
}

/// Refuses the settings of `scope` that [`check_scope`] refuses, each reported with `note`
/// after its reason.
fn refuse_contradictions(
    scope: &mut Scope,
    global: bool,
    note: &str,
    errors: &mut Vec<ConfigError>,
) {
    while let Err(invalid) = check_scope(&scope.fields, global) {
        // Every check across settings refuses one of the list's settings.
        let Some(setting) = Setting::from_key(invalid.key()) else {
            unreachable!(
                "a check across breaker settings refused `{}`",
                invalid.key()
            )
        };
        scope.fields.remove(setting);
        match scope.vars.remove(&setting) {
            Some(var) => errors.push(var.error(format!("{invalid}{note}"))),
            None => break, // not this scope's to refuse
        }
    }
}

static ENV: RwLock<Option<Arc<EnvConfig>>> = RwLock::new(None);

/// The environment as read at the first call (or the last [`reload`]).
pub(crate) fn current() -> Arc<EnvConfig> {
    if let Some(env) = &*ENV.read().unwrap_or_else(PoisonError::into_inner) {
        return Arc::clone(env);
    }
    let mut slot = ENV.write().unwrap_or_else(PoisonError::into_inner);
    match &*slot {
        Some(env) => Arc::clone(env),
        None => {
            let env = read();
            *slot = Some(Arc::clone(&env));
            env
        }
    }
}

/// Bumped each time the environment is read again, so that what was resolved against the
/// old one is resolved again.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The number of times the environment was read again; see [`GENERATION`].
pub(crate) fn generation() -> u64 {
    GENERATION.load(Relaxed)
}

/// Reads the environment again and makes it current.
pub(crate) fn reload() -> Arc<EnvConfig> {
    let env = read();
    *ENV.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&env));
    GENERATION.fetch_add(1, Relaxed);
    env
}

fn read() -> Arc<EnvConfig> {
    let env = EnvConfig::from_vars(std::env::vars_os());
    report::config_errors(&env.read_errors);
    report::config_errors(&env.budget_errors);
    Arc::new(env)
}

/// Reads the variable whose `<SETTING>` is `suffix` into `fields`.
fn read_budget(fields: &mut BudgetFields, suffix: &str, value: &str) -> Result<(), String> {
    fields.read(budget_setting(suffix)?, Text(value))
}

#[cfg(test)]
mod tests;
