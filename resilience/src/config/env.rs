//! The `RESILIENCE_BREAKER_*` and `RESILIENCE_BUDGET_*` environment variables: read once,
//! lazily, then looked up by name each time the registries (re)configure a breaker or a
//! budget. Every variable under those prefixes is applied or reported, with the reason.

use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::{OsStr, OsString},
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use resilience_settings::{Invalid, breaker, budget};

use super::{
    ConfigError,
    fields::{Fields, Key},
    parse_duration,
};
use crate::{BreakerConfig, BudgetConfig, Window};

/// The prefix of the global variables; the per-breaker ones add `_<NAME>__`.
pub(super) const BREAKER_PREFIX: &str = "RESILIENCE_BREAKER_";
/// The prefix of the retry budgets' global variables; the per-budget ones add `_<NAME>__`.
pub(super) const BUDGET_PREFIX: &str = "RESILIENCE_BUDGET_";

/// A breaker setting's `<SETTING>` and the key of its attribute argument.
const SETTINGS: [(&str, Key); 12] = [
    ("FAILURE_THRESHOLD", "failure_threshold"),
    ("RECOVERY_TIMEOUT", "recovery_timeout"),
    ("HALF_OPEN_MAX_CALLS", "half_open_max_calls"),
    ("SUCCESS_THRESHOLD", "success_threshold"),
    ("FAILURE_RATE", "failure_rate"),
    ("WINDOW", "window"),
    ("MINIMUM_CALLS", "minimum_calls"),
    ("SLOW_CALL", "slow_call"),
    ("RECOVERY_BACKOFF", "recovery_backoff"),
    ("MAX_RECOVERY_TIMEOUT", "max_recovery_timeout"),
    ("ADAPTIVE", "adaptive"),
    ("MAX_TRIAL_WAIT", "max_trial_wait"),
];

/// A retry budget setting's `<SETTING>` and its file key.
const BUDGET_SETTINGS: [(&str, Key); 3] = [
    ("RATIO", "ratio"),
    ("MIN_RETRIES_PER_SECOND", "min_retries_per_second"),
    ("WINDOW", "window"),
];

/// The `<SETTING>` `suffix` names, by its key, or why it names none.
fn setting(suffix: &str, settings: &[(&str, Key)], of: &str) -> Result<Key, String> {
    if let Some((_, key)) = settings.iter().find(|(s, _)| *s == suffix) {
        return Ok(key);
    }
    let upper = suffix.to_ascii_uppercase();
    let hint = if settings.iter().any(|(s, _)| *s == upper) {
        format!(" (settings are written in upper case: `{upper}`)")
    } else {
        String::new()
    };
    let names: Vec<&str> = settings.iter().map(|(s, _)| *s).collect();
    Err(format!(
        "unknown setting `{suffix}`{hint}; the settings {of}are {}",
        names.join(", ")
    ))
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
    /// The variable that set each field, by key.
    vars: BTreeMap<Key, Var>,
}

impl Scope {
    /// Reads the variable whose `<SETTING>` is `suffix` into its field.
    fn set(&mut self, suffix: &str, var: Var) -> Result<(), String> {
        let key = setting(suffix, &SETTINGS, "")?;
        let value = var.value.as_str();
        let f = &mut self.fields;
        let invalid = |e: Invalid| e.to_string();
        match key {
            "failure_threshold" => {
                f.failure_threshold =
                    Some(breaker::failure_threshold(integer(value)?).map_err(invalid)?)
            }
            "recovery_timeout" => {
                f.recovery_timeout =
                    Some(breaker::recovery_timeout(duration(value)?).map_err(invalid)?)
            }
            "half_open_max_calls" => {
                f.half_open_max_calls =
                    Some(breaker::half_open_max_calls(integer(value)?).map_err(invalid)?)
            }
            "success_threshold" => {
                f.success_threshold =
                    Some(breaker::success_threshold(integer(value)?).map_err(invalid)?)
            }
            "failure_rate" => {
                f.failure_rate = Some(breaker::failure_rate(number(value)?).map_err(invalid)?)
            }
            "window" => {
                f.window = Some(if value.bytes().all(|b| b.is_ascii_digit()) {
                    Window::Calls(breaker::window_calls(integer(value)?).map_err(invalid)?)
                } else {
                    let d = duration(value)
                        .map_err(|e| format!("expected a number of calls or a duration: {e}"))?;
                    Window::Time(breaker::window_time(d).map_err(invalid)?)
                })
            }
            "minimum_calls" => {
                f.minimum_calls = Some(breaker::minimum_calls(integer(value)?).map_err(invalid)?)
            }
            "slow_call" => {
                f.slow_call = Some(breaker::slow_call(duration(value)?).map_err(invalid)?)
            }
            "recovery_backoff" => {
                f.recovery_backoff =
                    Some(breaker::recovery_backoff(number(value)?).map_err(invalid)?)
            }
            "max_recovery_timeout" => {
                f.max_recovery_timeout =
                    Some(breaker::max_recovery_timeout(duration(value)?).map_err(invalid)?)
            }
            "adaptive" => f.adaptive = Some(breaker::adaptive(number(value)?).map_err(invalid)?),
            "max_trial_wait" => {
                f.max_trial_wait = Some(breaker::max_trial_wait(duration(value)?).map_err(invalid)?)
            }
            _ => return Err(format!("`{key}` has no reader")),
        }
        self.vars.insert(key, var);
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
        for (key, invalid) in refused {
            if let Some(var) = self.vars.get(key) {
                errors.push(var.error(format!("not applied to breaker `{name}`: {invalid}")));
            }
        }
        config
    }
}

/// The retry-budget settings one source gives, each checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct BudgetFields {
    pub(crate) ratio: Option<f64>,
    pub(crate) min_retries_per_second: Option<u32>,
    pub(crate) window: Option<Duration>,
}

impl BudgetFields {
    /// Writes these settings into `config`.
    pub(crate) fn apply(&self, mut config: BudgetConfig) -> BudgetConfig {
        if let Some(ratio) = self.ratio {
            config = config.with_ratio(ratio);
        }
        if let Some(n) = self.min_retries_per_second {
            config = config.with_min_retries_per_second(n);
        }
        if let Some(window) = self.window {
            config = config.with_window(window);
        }
        config
    }

    /// Reads the value of the variable whose `<SETTING>` is `suffix` into its field.
    fn set(&mut self, suffix: &str, value: &str) -> Result<(), String> {
        let invalid = |e: Invalid| e.to_string();
        match setting(suffix, &BUDGET_SETTINGS, "of a retry budget ")? {
            "ratio" => self.ratio = Some(budget::ratio(number(value)?).map_err(invalid)?),
            "min_retries_per_second" => {
                self.min_retries_per_second =
                    Some(budget::min_retries_per_second(integer(value)?).map_err(invalid)?)
            }
            "window" => self.window = Some(budget::window(duration(value)?).map_err(invalid)?),
            key => return Err(format!("`{key}` has no reader")),
        }
        Ok(())
    }
}

/// An integer, for a setting's rule to check. Digits too many for any integer read as the
/// largest, which every rule refuses as too large.
fn integer(value: &str) -> Result<i128, String> {
    match value.parse::<i128>() {
        Ok(n) => Ok(n),
        Err(_) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => Ok(i128::MAX),
        Err(_) => Err(format!("expected an integer, found \"{value}\"")),
    }
}

fn number(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .map_err(|_| format!("expected a number, found \"{value}\""))
}

fn duration(value: &str) -> Result<Duration, String> {
    parse_duration(value).map_err(|e| e.to_string())
}

/// A breaker (or budget) name as it appears in variable names: upper case, each run of
/// characters other than ASCII letters and digits as one `_`, none at either end. Empty for
/// a name without ASCII letters or digits, which no variable can name.
pub(super) fn mangle(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_uppercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Why `part`, the `<NAME>` of a per-breaker (`what` = "breaker") or per-budget variable,
/// can name nothing: every name is written as [`mangle`] writes it.
fn check_name_part(part: &str, what: &str) -> Result<(), String> {
    let mangled = mangle(part);
    if mangled == part {
        return Ok(());
    }
    if mangled.is_empty() {
        return Err(format!(
            "the {what} name `{part}` has no ASCII letter or digit, so it names no {what}: a \
             {what} whose name has none cannot be configured from the environment (configure \
             it in code or in a configuration file)"
        ));
    }
    let why = if part.chars().any(|c| c.is_ascii_lowercase()) {
        "has lower-case letters"
    } else if part.contains("__") {
        "contains `__`"
    } else if part.starts_with('_') || part.ends_with('_') {
        "starts or ends with `_`"
    } else {
        "has characters other than ASCII letters, digits and `_`"
    };
    Err(format!(
        "the {what} name `{part}` {why}, so it names no {what}: names are written in upper \
         case, each run of other characters as one `_`, none at either end (see \
         `resilience::config::env_prefix`); write `{mangled}`"
    ))
}

/// Splits `rest`, the end of a per-breaker (or per-budget) variable's name after its prefix
/// and `_`, into its `<NAME>` and `<SETTING>`, or says why it cannot be split so.
fn scoped<'a>(
    rest: &'a str,
    what: &str,
    prefix: &str,
    example: &str,
    settings: &[(&str, Key)],
) -> Result<(&'a str, &'a str), String> {
    let form = format!(
        "a per-{what} variable is named {prefix}_<NAME>__<SETTING>, as in {prefix}_{example}"
    );
    match rest.rsplit_once("__") {
        Some(("", _)) => Err(format!(
            "{form}; this one has no <NAME> (a {what} whose name has no ASCII letter or digit \
             cannot be configured from the environment)"
        )),
        Some((name, suffix)) => {
            let of = if what == "budget" {
                "of a retry budget "
            } else {
                ""
            };
            setting(suffix, settings, of)?;
            check_name_part(name, what)?;
            Ok((name, suffix))
        }
        None => Err(form),
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
                            &SETTINGS,
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
                None => self.budget_global.set(rest, value),
                Some(rest) => scoped(
                    rest,
                    "budget",
                    BUDGET_PREFIX,
                    "ORDERS__RATIO",
                    &BUDGET_SETTINGS,
                )
                .and_then(|(name, suffix)| {
                    self.per_budget
                        .entry(name.to_owned())
                        .or_default()
                        .set(suffix, value)
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

    /// The configuration of the retry budget `name`, configured at run time with
    /// `configured` (if it was): its own variables win over the run-time configuration,
    /// which wins over the global variables, which win over the built-in defaults.
    pub(crate) fn resolve_budget(
        &self,
        name: &str,
        configured: Option<BudgetConfig>,
    ) -> BudgetConfig {
        let config = configured.unwrap_or_else(|| self.budget_global.apply(BudgetConfig::new()));
        match self.per_budget.get(&mangle(name)) {
            Some(own) => own.apply(config),
            None => config,
        }
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
        report(&errors);
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
        let key = invalid.key();
        scope.fields.remove(key);
        match scope.vars.remove(key) {
            Some(var) => errors.push(var.error(format!("{invalid}{note}"))),
            None => break, // not this scope's to refuse
        }
    }
}

static ENV: RwLock<Option<Arc<EnvConfig>>> = RwLock::new(None);

/// `(variable, value, reason)` already reported on standard error.
static REPORTED: Mutex<BTreeSet<(String, String, String)>> = Mutex::new(BTreeSet::new());

/// Reports each of `errors` on standard error, once per process.
pub(crate) fn report(errors: &[ConfigError]) {
    if errors.is_empty() {
        return;
    }
    let mut reported = REPORTED.lock().unwrap_or_else(PoisonError::into_inner);
    for error in errors {
        let key = (
            error.variable.clone(),
            error.value.clone(),
            error.reason.clone(),
        );
        if reported.insert(key) {
            eprintln!("warning: {error}");
        }
    }
}

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
    report(&env.read_errors);
    report(&env.budget_errors);
    Arc::new(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_vars(vars.iter().map(|(k, v)| (k.into(), v.into())))
    }

    fn said(errors: &[ConfigError], variable: &str) -> String {
        errors
            .iter()
            .find(|e| e.variable == variable)
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("{variable} not reported: {errors:?}"))
    }

    #[test]
    fn mangles_names() {
        assert_eq!(mangle("payments"), "PAYMENTS");
        assert_eq!(mangle("my_app::db::query"), "MY_APP_DB_QUERY");
        assert_eq!(mangle("inventory-db.v2"), "INVENTORY_DB_V2");
        assert_eq!(mangle("::a--b__"), "A_B");
        assert_eq!(mangle("café"), "CAF");
        assert_eq!(mangle("支付"), "");
        assert!(!mangle("a__b::_c").contains("__"));
    }

    #[test]
    fn precedence_of_every_source() {
        let env = env(&[
            ("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "7"),
            ("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "5s"),
            ("RESILIENCE_BREAKER_SUCCESS_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER__PAYMENTS_API__RECOVERY_TIMEOUT", "1m"),
        ]);
        assert!(env.errors().is_empty(), "{:?}", env.errors());
        // Built-in defaults lose to the global environment.
        let c = env.resolve("search", BreakerConfig::new());
        assert_eq!(c.failure_threshold(), 7);
        assert_eq!(c.recovery_timeout(), Duration::from_secs(5));
        assert_eq!(c.half_open_max_calls(), 1);
        // Attribute arguments (or a run-time configuration) win over the global environment.
        let attr = BreakerConfig::new()
            .with_failure_threshold(3)
            .with_success_threshold(1);
        let c = env.resolve("search", attr);
        assert_eq!((c.failure_threshold(), c.success_threshold()), (3, 1));
        assert_eq!(c.recovery_timeout(), Duration::from_secs(5));
        // The per-breaker environment wins over everything, whatever the name's spelling.
        let explicit = attr.with_recovery_timeout(Duration::from_millis(1));
        for name in ["payments-api", "payments::api", "Payments.API"] {
            let c = env.resolve(name, explicit);
            assert_eq!(c.recovery_timeout(), Duration::from_secs(60), "{name}");
            assert_eq!(c.failure_threshold(), 3);
        }
    }

    #[test]
    fn bad_values_are_reported_and_skipped() {
        let env = env(&[
            ("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "30"),
            ("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "0"),
            ("RESILIENCE_BREAKER_FAILURE_TRESHOLD", "4"),
            ("RESILIENCE_BREAKER__DB__FAILURE_RATE", "1.5"),
            ("RESILIENCE_BREAKER__DB", "1"),
            ("RESILIENCE_BREAKER__DB__SLOW_CALL", "2s"),
            ("RESILIENCE_BREAKER_WINDOW", "20"),
            ("OTHER_VARIABLE", "x"),
        ]);
        let errors = env.errors();
        let names: Vec<_> = errors.iter().map(|e| e.variable.as_str()).collect();
        assert_eq!(
            names,
            [
                "RESILIENCE_BREAKER_FAILURE_THRESHOLD",
                "RESILIENCE_BREAKER_FAILURE_TRESHOLD",
                "RESILIENCE_BREAKER_RECOVERY_TIMEOUT",
                "RESILIENCE_BREAKER__DB",
                "RESILIENCE_BREAKER__DB__FAILURE_RATE",
                "RESILIENCE_BREAKER_WINDOW",
            ]
        );
        let said = |variable| said(&errors, variable);
        assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("has no unit"));
        assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("\"30\""));
        assert!(said("RESILIENCE_BREAKER_FAILURE_THRESHOLD").contains("at least 1, found 0"));
        assert!(said("RESILIENCE_BREAKER_FAILURE_TRESHOLD").contains("unknown setting"));
        assert!(said("RESILIENCE_BREAKER__DB__FAILURE_RATE").contains("(0, 1]"));
        assert!(said("RESILIENCE_BREAKER_WINDOW").contains("failure_rate"));
        // The next source applies: here the built-in defaults, and the valid variable.
        let c = env.resolve("db", BreakerConfig::new());
        assert_eq!(
            c,
            BreakerConfig::new().with_slow_call(Duration::from_secs(2))
        );
    }

    /// Issue 13, point 1: names no breaker can have were kept in silence for no one.
    #[test]
    fn a_name_no_breaker_has_is_reported_with_the_spelling_to_use() {
        let vars: Vec<(OsString, OsString)> = [
            ("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER__A__B__FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER__PAYMENTS___FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER___PAYMENTS__FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER__PAY-MENTS__FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER____FAILURE_THRESHOLD", "2"),
            ("RESILIENCE_BREAKER__PAYMENTS__failure_threshold", "2"),
            ("RESILIENCE_BUDGET__orders__RATIO", "0.1"),
            ("RESILIENCE_BUDGET__ORDERS___RATIO", "0.1"),
        ]
        .iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let env = EnvConfig::from_vars(vars);
        let errors = env.errors();
        let said = |variable| said(&errors, variable);
        assert!(
            said("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD")
                .contains("lower-case letters, so it names no breaker")
        );
        assert!(
            said("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD")
                .contains("write `ROB_ENV_LOWER`")
        );
        assert!(said("RESILIENCE_BREAKER__A__B__FAILURE_THRESHOLD").contains("contains `__`"));
        assert!(
            said("RESILIENCE_BREAKER__PAYMENTS___FAILURE_THRESHOLD")
                .contains("starts or ends with `_`")
        );
        assert!(
            said("RESILIENCE_BREAKER___PAYMENTS__FAILURE_THRESHOLD").contains("write `PAYMENTS`")
        );
        assert!(
            said("RESILIENCE_BREAKER__PAY-MENTS__FAILURE_THRESHOLD").contains("write `PAY_MENTS`")
        );
        assert!(
            said("RESILIENCE_BREAKER____FAILURE_THRESHOLD")
                .contains("cannot be configured from the environment")
        );
        assert!(
            said("RESILIENCE_BREAKER__PAYMENTS__failure_threshold")
                .contains("upper case: `FAILURE_THRESHOLD`")
        );
        assert_eq!(errors.len(), 7, "{errors:#?}");
        let budget = &env.budget_errors;
        assert!(said_in(budget, "RESILIENCE_BUDGET__orders__RATIO").contains("write `ORDERS`"));
        assert!(said_in(budget, "RESILIENCE_BUDGET__ORDERS___RATIO").contains("write `ORDERS`"));
        assert_eq!(budget.len(), 2, "{budget:#?}");
        // Nothing was applied on the way.
        assert_eq!(
            env.resolve("payments", BreakerConfig::new()),
            BreakerConfig::new()
        );
        assert_eq!(env.resolve_budget("orders", None), BudgetConfig::new());
    }

    fn said_in(errors: &[ConfigError], variable: &str) -> String {
        said(errors, variable)
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_reported() {
        use std::os::unix::ffi::OsStringExt;
        let name = |bytes: &[u8]| OsString::from_vec(bytes.to_vec());
        let env = EnvConfig::from_vars([
            (
                name(b"RESILIENCE_BREAKER__CAF\xE9__FAILURE_THRESHOLD"),
                "2".into(),
            ),
            (name(b"RESILIENCE_BUDGET__\xFF__RATIO"), "0.1".into()),
            (name(b"UNRELATED_\xFF"), "x".into()),
        ]);
        let errors = env.errors();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            said(
                &errors,
                "RESILIENCE_BREAKER__CAF\u{FFFD}__FAILURE_THRESHOLD"
            )
            .contains("not valid UTF-8")
        );
        assert_eq!(env.budget_errors.len(), 1, "{:#?}", env.budget_errors);
        assert!(
            said(&env.budget_errors, "RESILIENCE_BUDGET__\u{FFFD}__RATIO")
                .contains("not valid UTF-8")
        );
    }

    /// Issue 13, point 3: a breaker's own `WINDOW` or `MAX_RECOVERY_TIMEOUT` without the
    /// policy they shape changed nothing, in silence.
    #[test]
    fn a_breaker_part_without_its_policy_is_reported_for_that_breaker() {
        let env = env(&[
            ("RESILIENCE_BREAKER__PLAIN__WINDOW", "50"),
            ("RESILIENCE_BREAKER__PLAIN__MINIMUM_CALLS", "5"),
            ("RESILIENCE_BREAKER__PLAIN__MAX_RECOVERY_TIMEOUT", "10m"),
        ]);
        assert!(
            env.errors().is_empty(),
            "judged per breaker: {:?}",
            env.errors()
        );
        let c = env.resolve("plain", BreakerConfig::new());
        assert_eq!(c, BreakerConfig::new());
        let errors = env.errors();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            said(&errors, "RESILIENCE_BREAKER__PLAIN__WINDOW")
                .contains("not applied to breaker `plain`: `window` only applies with")
        );
        assert!(
            said(&errors, "RESILIENCE_BREAKER__PLAIN__MINIMUM_CALLS")
                .contains("`minimum_calls` only applies with `failure_rate`")
        );
        assert!(
            said(&errors, "RESILIENCE_BREAKER__PLAIN__MAX_RECOVERY_TIMEOUT")
                .contains("only applies with `recovery_backoff`")
        );
        // Configured again with the policies, the same variables apply, and the reports go.
        let with_policies = BreakerConfig::new()
            .with_failure_rate(0.5, Window::Calls(20), 10)
            .with_recovery_backoff(2.0, Duration::from_secs(60));
        let c = env.resolve("plain", with_policies);
        let rate = c.failure_rate().unwrap();
        assert_eq!(
            (rate.window(), rate.minimum_calls()),
            (Window::Calls(50), 5)
        );
        assert_eq!(c.recovery_backoff().1, Duration::from_secs(600));
        assert!(env.errors().is_empty(), "{:?}", env.errors());
    }

    #[test]
    fn a_part_against_the_breakers_own_settings_is_refused_for_it() {
        let env = env(&[
            ("RESILIENCE_BREAKER__DB__MAX_RECOVERY_TIMEOUT", "10s"),
            ("RESILIENCE_BREAKER__DB__MINIMUM_CALLS", "30"),
            ("RESILIENCE_BREAKER_RECOVERY_BACKOFF", "2"),
            ("RESILIENCE_BREAKER_MAX_RECOVERY_TIMEOUT", "40s"),
        ]);
        assert!(env.errors().is_empty(), "{:?}", env.errors());
        let own = BreakerConfig::new()
            .with_recovery_timeout(Duration::from_secs(30))
            .with_failure_rate(0.5, Window::Calls(20), 10)
            .with_recovery_backoff(2.0, Duration::from_secs(120));
        assert_eq!(env.resolve("db", own), own);
        let errors = env.errors();
        assert!(
            said(&errors, "RESILIENCE_BREAKER__DB__MAX_RECOVERY_TIMEOUT")
                .contains("shorter than `recovery_timeout` (30s)")
        );
        assert!(said(&errors, "RESILIENCE_BREAKER__DB__MINIMUM_CALLS").contains("last 20 calls"));
        // A global default against a breaker's own recovery timeout: refused for it only.
        let long = BreakerConfig::new().with_recovery_timeout(Duration::from_secs(50));
        let c = env.resolve("slow", long);
        assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(500)));
        assert!(
            said(&env.errors(), "RESILIENCE_BREAKER_MAX_RECOVERY_TIMEOUT")
                .contains("not applied to breaker `slow`")
        );
        let c = env.resolve(
            "fast",
            BreakerConfig::new().with_recovery_timeout(Duration::from_secs(5)),
        );
        assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(40)));
    }

    /// Issue 13, point 9 (and point 2 for the environment): values the attribute refuses.
    #[test]
    fn values_the_attribute_refuses_are_refused() {
        let env = env(&[
            ("RESILIENCE_BREAKER__DB__SLOW_CALL", "0s"),
            ("RESILIENCE_BREAKER__DB__FAILURE_RATE", "0.5"),
            ("RESILIENCE_BREAKER__DB__WINDOW", "100000"),
            ("RESILIENCE_BREAKER__DB__RECOVERY_TIMEOUT", "0s"),
        ]);
        let errors = env.errors();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(said(&errors, "RESILIENCE_BREAKER__DB__SLOW_CALL").contains("longer than zero"));
        assert!(said(&errors, "RESILIENCE_BREAKER__DB__WINDOW").contains("at most 65536 calls"));
        let c = env.resolve("db", BreakerConfig::new());
        assert_eq!(c.slow_call(), None);
        assert_eq!(c.failure_rate().unwrap().window(), Window::Calls(100));
        assert_eq!(c.recovery_timeout(), Duration::from_secs(60));
    }

    #[test]
    fn policies_take_their_parts_from_every_level() {
        let env = env(&[
            ("RESILIENCE_BREAKER_FAILURE_RATE", "0.5"),
            ("RESILIENCE_BREAKER_RECOVERY_BACKOFF", "2"),
            ("RESILIENCE_BREAKER__TUNED__WINDOW", "30s"),
            ("RESILIENCE_BREAKER__TUNED__MAX_RECOVERY_TIMEOUT", "1m"),
        ]);
        assert!(env.errors().is_empty(), "{:?}", env.errors());
        let c = env.resolve("plain", BreakerConfig::new());
        let rate = c.failure_rate().unwrap();
        assert_eq!(
            (rate.rate(), rate.window(), rate.minimum_calls()),
            (0.5, Window::Calls(100), 10)
        );
        assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(600)));
        assert!(
            !c.consecutive_policy(),
            "a rate alone replaces the consecutive policy"
        );
        // The attribute's own policy wins over the global one; the per-breaker parts win.
        let attr = BreakerConfig::new().with_failure_rate(0.2, Window::Calls(50), 5);
        let c = env.resolve("tuned", attr);
        let rate = c.failure_rate().unwrap();
        assert_eq!(
            (rate.rate(), rate.window(), rate.minimum_calls()),
            (0.2, Window::Time(Duration::from_secs(30)), 5)
        );
        assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(60)));
        assert!(env.errors().is_empty(), "{:?}", env.errors());
    }

    #[test]
    fn budgets_take_their_settings_from_every_level() {
        let env = env(&[
            ("RESILIENCE_BUDGET_RATIO", "0.1"),
            ("RESILIENCE_BUDGET_WINDOW", "30s"),
            ("RESILIENCE_BUDGET__ORDERS__MIN_RETRIES_PER_SECOND", "0"),
            ("RESILIENCE_BUDGET__ORDERS__RATIO", "0.5"),
        ]);
        assert!(env.budget_errors.is_empty(), "{:?}", env.budget_errors);
        // The global variables over the built-in defaults.
        let c = env.resolve_budget("search", None);
        assert_eq!((c.ratio(), c.min_retries_per_second()), (0.1, 10));
        assert_eq!(c.window(), Duration::from_secs(30));
        // A run-time configuration wins over the global variables, as a whole.
        let configured = BudgetConfig::new().with_ratio(0.3);
        let c = env.resolve_budget("search", Some(configured));
        assert_eq!(c, configured);
        // The budget's own variables win over everything, whatever the name's spelling.
        for name in ["orders", "Orders", "my-app::orders"] {
            let c = env.resolve_budget(name, Some(configured));
            let own = name != "my-app::orders";
            assert_eq!(c.ratio(), if own { 0.5 } else { 0.3 }, "{name}");
        }
        let c = env.resolve_budget("orders", None);
        assert_eq!((c.ratio(), c.min_retries_per_second()), (0.5, 0));
        assert_eq!(c.window(), Duration::from_secs(30));
    }

    #[test]
    fn bad_budget_variables_are_reported_and_skipped() {
        let env = env(&[
            ("RESILIENCE_BUDGET_RATIO", "-1"),
            ("RESILIENCE_BUDGET_WINDOW", "0s"),
            ("RESILIENCE_BUDGET_MIN_RETRIES_PER_SECOND", "ten"),
            ("RESILIENCE_BUDGET_RATE", "0.2"),
            ("RESILIENCE_BUDGET__ORDERS", "1"),
        ]);
        let errors: Vec<_> = env.budget_errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("expected an integer"), "{errors:?}");
        assert!(errors[1].contains("unknown setting `RATE`"), "{errors:?}");
        assert!(errors[2].contains("[0, 1000]"), "{errors:?}");
        assert!(errors[3].contains("at least 1ms"), "{errors:?}");
        assert!(errors[4].contains("_<NAME>__<SETTING>"), "{errors:?}");
        assert!(env.errors().is_empty(), "the breakers' variables are apart");
        assert_eq!(env.resolve_budget("x", None), BudgetConfig::new());
    }

    #[test]
    fn the_throttle_and_the_trial_wait_from_the_environment() {
        let env = env(&[
            ("RESILIENCE_BREAKER_ADAPTIVE", "2"),
            ("RESILIENCE_BREAKER__TUNED__WINDOW", "50"),
            ("RESILIENCE_BREAKER__TUNED__MAX_TRIAL_WAIT", "5s"),
            ("RESILIENCE_BREAKER__BAD__ADAPTIVE", "0.5"),
        ]);
        assert_eq!(env.errors().len(), 1, "{:?}", env.errors());
        assert!(env.errors()[0].reason.contains("at least 1"));
        let c = env.resolve("plain", BreakerConfig::new());
        let adaptive = c.adaptive().unwrap();
        assert_eq!((adaptive.k(), adaptive.window()), (2.0, Window::Calls(100)));
        assert!(!c.consecutive_policy());
        let c = env.resolve("tuned", BreakerConfig::new());
        assert_eq!(c.adaptive().unwrap().window(), Window::Calls(50));
        assert_eq!(c.max_trial_wait(), Duration::from_secs(5));
        // A window alone, globally, shapes nothing: reported.
        let env = super::EnvConfig::from_vars([("RESILIENCE_BREAKER_WINDOW".into(), "9".into())]);
        assert!(
            env.errors()[0].reason.contains("`adaptive`"),
            "{:?}",
            env.errors()
        );
    }
}
