//! The `RESILIENCE_BREAKER_*` environment variables: read once, lazily, then looked up by
//! breaker name each time the registry (re)configures a breaker.

use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::OsString,
    sync::{
        Arc, Mutex, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use super::{ConfigError, check_count, check_factor, check_rate, parse_duration};
use crate::{BreakerConfig, BudgetConfig, Window, config::BreakerSetting};

/// The prefix of the global variables; the per-breaker ones add `_<NAME>__`.
pub(super) const BREAKER_PREFIX: &str = "RESILIENCE_BREAKER_";
/// The prefix of the retry budgets' global variables; the per-budget ones add `_<NAME>__`.
pub(super) const BUDGET_PREFIX: &str = "RESILIENCE_BUDGET_";

/// The window of a failure rate set without one: the attribute's default.
const DEFAULT_WINDOW: Window = Window::Calls(100);
/// The minimum number of calls of a failure rate set without one: the attribute's default.
const DEFAULT_MINIMUM_CALLS: u32 = 10;

/// The breaker settings one source gives, each checked. Shared by the environment (one per
/// scope) and by configuration files.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Fields {
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) recovery_timeout: Option<Duration>,
    pub(crate) half_open_max_calls: Option<u32>,
    pub(crate) success_threshold: Option<u32>,
    pub(crate) failure_rate: Option<f64>,
    pub(crate) window: Option<Window>,
    pub(crate) minimum_calls: Option<u32>,
    pub(crate) slow_call: Option<Duration>,
    pub(crate) recovery_backoff: Option<f64>,
    pub(crate) max_recovery_timeout: Option<Duration>,
    pub(crate) adaptive: Option<f64>,
    pub(crate) max_trial_wait: Option<Duration>,
}

impl Fields {
    /// Writes these settings into `config`: all of them, or (`only_unset`) those `config`
    /// did not write explicitly.
    pub(crate) fn apply(&self, mut config: BreakerConfig, only_unset: bool) -> BreakerConfig {
        let free = |config: &BreakerConfig, setting| !only_unset || !config.is_explicit(setting);
        if let Some(n) = self.failure_threshold
            && free(&config, BreakerSetting::FailureThreshold)
        {
            config = config.with_failure_threshold(n);
        }
        if let Some(d) = self.recovery_timeout
            && free(&config, BreakerSetting::RecoveryTimeout)
        {
            config = config.with_recovery_timeout(d);
        }
        if let Some(n) = self.half_open_max_calls
            && free(&config, BreakerSetting::HalfOpenMaxCalls)
        {
            config = config.with_half_open_max_calls(n);
        }
        if let Some(n) = self.success_threshold
            && free(&config, BreakerSetting::SuccessThreshold)
        {
            config = config.with_success_threshold(n);
        }
        let shapes_rate =
            self.failure_rate.is_some() || self.window.is_some() || self.minimum_calls.is_some();
        if shapes_rate && free(&config, BreakerSetting::FailureRate) {
            let current = config.failure_rate();
            if let Some(rate) = self.failure_rate.or(current.map(|p| p.rate())) {
                let window = self
                    .window
                    .or(current.map(|p| p.window()))
                    .unwrap_or(DEFAULT_WINDOW);
                let minimum = self
                    .minimum_calls
                    .or(current.map(|p| p.minimum_calls()))
                    .unwrap_or(DEFAULT_MINIMUM_CALLS);
                config = config.with_failure_rate(rate, window, minimum);
            }
        }
        if let Some(d) = self.slow_call
            && free(&config, BreakerSetting::SlowCall)
        {
            config = config.with_slow_call(d);
        }
        // `window` shapes the throttle too, as in the attribute.
        let current = config.adaptive();
        let shapes_throttle =
            self.adaptive.is_some() || (self.window.is_some() && current.is_some());
        if shapes_throttle && free(&config, BreakerSetting::Adaptive) {
            if let Some(k) = self.adaptive.or(current.map(|a| a.k())) {
                let window = self
                    .window
                    .or(current.map(|a| a.window()))
                    .unwrap_or(DEFAULT_WINDOW);
                config = config.with_adaptive(k, window);
            }
        }
        if let Some(d) = self.max_trial_wait
            && free(&config, BreakerSetting::MaxTrialWait)
        {
            config = config.with_max_trial_wait(d);
        }
        let shapes_backoff = self.recovery_backoff.is_some() || self.max_recovery_timeout.is_some();
        if shapes_backoff && free(&config, BreakerSetting::RecoveryBackoff) {
            let (factor, max) = config.recovery_backoff();
            let had_backoff = config.is_explicit(BreakerSetting::RecoveryBackoff);
            let factor = self.recovery_backoff.unwrap_or(factor);
            // Ten times the first open period unless set, as the attribute does.
            let max = self
                .max_recovery_timeout
                .or(had_backoff.then_some(max))
                .unwrap_or_else(|| config.recovery_timeout().saturating_mul(10));
            config = config.with_recovery_backoff(factor, max);
        }
        config
    }

    /// Why these settings cannot stand alone, if they cannot: the parts of a failure-rate
    /// policy or of a recovery backoff without the policy itself.
    pub(crate) fn orphan(&self) -> Option<&'static str> {
        if self.failure_rate.is_none() && self.minimum_calls.is_some() {
            Some("`minimum_calls` shapes a failure rate: set `failure_rate` too")
        } else if self.failure_rate.is_none() && self.adaptive.is_none() && self.window.is_some() {
            Some(
                "`window` shapes a failure rate or adaptive throttling: set `failure_rate` or `adaptive` too",
            )
        } else if self.recovery_backoff.is_none() && self.max_recovery_timeout.is_some() {
            Some("`max_recovery_timeout` caps a recovery backoff: set `recovery_backoff` too")
        } else {
            None
        }
    }

    /// Parses the value of the variable whose `<SETTING>` is `suffix` into its field.
    fn set(&mut self, suffix: &str, value: &str) -> Result<(), String> {
        let count = |value: &str| -> Result<u32, String> {
            let n: u64 = value
                .parse()
                .map_err(|_| format!("expected an integer >= 1, found \"{value}\""))?;
            check_count(n)
        };
        let duration = |value: &str| parse_duration(value).map_err(|e| e.to_string());
        let number = |value: &str| -> Result<f64, String> {
            value
                .parse::<f64>()
                .map_err(|_| format!("expected a number, found \"{value}\""))
        };
        match suffix {
            "FAILURE_THRESHOLD" => self.failure_threshold = Some(count(value)?),
            "RECOVERY_TIMEOUT" => self.recovery_timeout = Some(duration(value)?),
            "HALF_OPEN_MAX_CALLS" => self.half_open_max_calls = Some(count(value)?),
            "SUCCESS_THRESHOLD" => self.success_threshold = Some(count(value)?),
            "FAILURE_RATE" => self.failure_rate = Some(check_rate(number(value)?)?),
            "WINDOW" => {
                self.window =
                    Some(if value.bytes().all(|b| b.is_ascii_digit()) {
                        Window::Calls(count(value)?)
                    } else {
                        Window::Time(duration(value).map_err(|e| {
                            format!("expected a number of calls or a duration: {e}")
                        })?)
                    })
            }
            "MINIMUM_CALLS" => self.minimum_calls = Some(count(value)?),
            "SLOW_CALL" => self.slow_call = Some(duration(value)?),
            "RECOVERY_BACKOFF" => self.recovery_backoff = Some(check_factor(number(value)?)?),
            "MAX_RECOVERY_TIMEOUT" => self.max_recovery_timeout = Some(duration(value)?),
            "ADAPTIVE" => self.adaptive = Some(super::check_adaptive(number(value)?)?),
            "MAX_TRIAL_WAIT" => self.max_trial_wait = Some(duration(value)?),
            _ => {
                return Err(format!(
                    "unknown setting `{suffix}`; the settings are {}",
                    SUFFIXES.join(", ")
                ));
            }
        }
        Ok(())
    }
}

const SUFFIXES: [&str; 12] = [
    "FAILURE_THRESHOLD",
    "RECOVERY_TIMEOUT",
    "HALF_OPEN_MAX_CALLS",
    "SUCCESS_THRESHOLD",
    "FAILURE_RATE",
    "WINDOW",
    "MINIMUM_CALLS",
    "SLOW_CALL",
    "RECOVERY_BACKOFF",
    "MAX_RECOVERY_TIMEOUT",
    "ADAPTIVE",
    "MAX_TRIAL_WAIT",
];

/// The retry-budget settings one source gives, each checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct BudgetFields {
    pub(crate) ratio: Option<f64>,
    pub(crate) min_retries_per_second: Option<u32>,
    pub(crate) window: Option<Duration>,
}

/// The `<SETTING>`s of a retry budget's variables.
const BUDGET_SUFFIXES: [&str; 3] = ["RATIO", "MIN_RETRIES_PER_SECOND", "WINDOW"];

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

    /// Parses the value of the variable whose `<SETTING>` is `suffix` into its field.
    fn set(&mut self, suffix: &str, value: &str) -> Result<(), String> {
        match suffix {
            "RATIO" => self.ratio = Some(super::check_budget_ratio(number(value)?)?),
            "MIN_RETRIES_PER_SECOND" => {
                self.min_retries_per_second = Some(value.parse().map_err(|_| {
                    format!(
                        "expected an integer >= 0 (at most {}), found \"{value}\"",
                        u32::MAX
                    )
                })?)
            }
            "WINDOW" => {
                self.window = Some(super::check_positive(
                    parse_duration(value).map_err(|e| e.to_string())?,
                )?)
            }
            _ => {
                return Err(format!(
                    "unknown setting `{suffix}`; the settings of a retry budget are {}",
                    BUDGET_SUFFIXES.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn number(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .map_err(|_| format!("expected a number, found \"{value}\""))
}

/// A breaker name as it appears in variable names: upper case, each run of characters other
/// than ASCII letters and digits as one `_`, none at either end.
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

/// What the environment says, as read once.
#[derive(Debug, Default)]
pub(crate) struct EnvConfig {
    global: Fields,
    /// By mangled breaker name.
    per_breaker: BTreeMap<String, Fields>,
    pub(crate) errors: Vec<ConfigError>,
    budget_global: BudgetFields,
    /// By mangled budget name.
    per_budget: BTreeMap<String, BudgetFields>,
    /// The `RESILIENCE_BUDGET_*` variables that could not be used.
    pub(crate) budget_errors: Vec<ConfigError>,
}

impl EnvConfig {
    /// Reads the `RESILIENCE_BREAKER_*` variables of `vars`, keeping what can be used and
    /// recording the rest.
    pub(crate) fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut env = EnvConfig::default();
        // Sorted, so that errors come in a stable order.
        let vars: BTreeMap<_, _> = vars.into_iter().collect();
        for (key, value) in &vars {
            let Some(key) = key.to_str() else { continue };
            if let Some(rest) = key.strip_prefix(BUDGET_PREFIX) {
                env.read_budget_variable(key, rest, value);
                continue;
            }
            let Some(rest) = key.strip_prefix(BREAKER_PREFIX) else {
                continue;
            };
            let result = match value.to_str() {
                None => Err("the value is not valid UTF-8".to_owned()),
                Some(value) => match rest.strip_prefix('_') {
                    None => env.global.set(rest, value),
                    Some(rest) => match rest.rsplit_once("__") {
                        Some((name, suffix)) if !name.is_empty() => env
                            .per_breaker
                            .entry(name.to_owned())
                            .or_default()
                            .set(suffix, value),
                        _ => Err(format!(
                            "a per-breaker variable is named \
                             {BREAKER_PREFIX}_<NAME>__<SETTING>, as in \
                             {BREAKER_PREFIX}_PAYMENTS__FAILURE_THRESHOLD"
                        )),
                    },
                },
            };
            if let Err(reason) = result {
                env.errors.push(ConfigError {
                    variable: key.to_owned(),
                    value: value.to_string_lossy().into_owned(),
                    reason,
                });
            }
        }
        // The global parts of a policy cannot reach any breaker without the policy: a
        // breaker whose own configuration sets the policy set its parts too.
        if let Some(reason) = env.global.orphan() {
            let orphans = [
                (
                    "WINDOW",
                    env.global.window.is_some()
                        && env.global.failure_rate.is_none()
                        && env.global.adaptive.is_none(),
                ),
                (
                    "MINIMUM_CALLS",
                    env.global.minimum_calls.is_some() && env.global.failure_rate.is_none(),
                ),
                (
                    "MAX_RECOVERY_TIMEOUT",
                    env.global.max_recovery_timeout.is_some()
                        && env.global.recovery_backoff.is_none(),
                ),
            ];
            for (suffix, orphan) in orphans {
                if orphan {
                    let variable = format!("{BREAKER_PREFIX}{suffix}");
                    let value = vars
                        .get(std::ffi::OsStr::new(&variable))
                        .map(|v| v.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    env.errors.push(ConfigError {
                        variable,
                        value,
                        reason: format!(
                            "{reason} (a global default applies only to breakers whose own \
                             configuration leaves the whole policy unset)"
                        ),
                    });
                }
            }
        }
        env
    }

    /// Reads one `RESILIENCE_BUDGET_*` variable, `rest` being its name after the prefix.
    fn read_budget_variable(&mut self, key: &str, rest: &str, value: &std::ffi::OsStr) {
        let result = match value.to_str() {
            None => Err("the value is not valid UTF-8".to_owned()),
            Some(value) => match rest.strip_prefix('_') {
                None => self.budget_global.set(rest, value),
                Some(rest) => match rest.rsplit_once("__") {
                    Some((name, suffix)) if !name.is_empty() => self
                        .per_budget
                        .entry(name.to_owned())
                        .or_default()
                        .set(suffix, value),
                    _ => Err(format!(
                        "a per-budget variable is named {BUDGET_PREFIX}_<NAME>__<SETTING>, \
                         as in {BUDGET_PREFIX}_ORDERS__RATIO"
                    )),
                },
            },
        };
        if let Err(reason) = result {
            self.budget_errors.push(ConfigError {
                variable: key.to_owned(),
                value: value.to_string_lossy().into_owned(),
                reason,
            });
        }
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
    /// its run-time one) is `base`.
    pub(crate) fn resolve(&self, name: &str, base: BreakerConfig) -> BreakerConfig {
        let config = self.global.apply(base, true);
        match self.per_breaker.get(&mangle(name)) {
            Some(own) => own.apply(config, false),
            None => config,
        }
    }
}

static ENV: RwLock<Option<Arc<EnvConfig>>> = RwLock::new(None);

/// `(variable, value)` pairs already reported on standard error.
static REPORTED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

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
    let mut reported = REPORTED.lock().unwrap_or_else(PoisonError::into_inner);
    for error in env.errors.iter().chain(&env.budget_errors) {
        if reported.insert((error.variable.clone(), error.value.clone())) {
            eprintln!("warning: {error}");
        }
    }
    Arc::new(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_vars(vars.iter().map(|(k, v)| (k.into(), v.into())))
    }

    #[test]
    fn mangles_names() {
        assert_eq!(mangle("payments"), "PAYMENTS");
        assert_eq!(mangle("my_app::db::query"), "MY_APP_DB_QUERY");
        assert_eq!(mangle("inventory-db.v2"), "INVENTORY_DB_V2");
        assert_eq!(mangle("::a--b__"), "A_B");
        assert_eq!(mangle("café"), "CAF");
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
        assert!(env.errors.is_empty(), "{:?}", env.errors);
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
        let errors: Vec<_> = env.errors.iter().map(|e| e.variable.as_str()).collect();
        assert_eq!(
            errors,
            [
                "RESILIENCE_BREAKER_FAILURE_THRESHOLD",
                "RESILIENCE_BREAKER_FAILURE_TRESHOLD",
                "RESILIENCE_BREAKER_RECOVERY_TIMEOUT",
                "RESILIENCE_BREAKER__DB",
                "RESILIENCE_BREAKER__DB__FAILURE_RATE",
                "RESILIENCE_BREAKER_WINDOW",
            ]
        );
        let said = |variable: &str| {
            let e = env.errors.iter().find(|e| e.variable == variable).unwrap();
            e.to_string()
        };
        assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("has no unit"));
        assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("\"30\""));
        assert!(said("RESILIENCE_BREAKER_FAILURE_THRESHOLD").contains(">= 1"));
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

    #[test]
    fn policies_take_their_parts_from_every_level() {
        let env = env(&[
            ("RESILIENCE_BREAKER_FAILURE_RATE", "0.5"),
            ("RESILIENCE_BREAKER_RECOVERY_BACKOFF", "2"),
            ("RESILIENCE_BREAKER__TUNED__WINDOW", "30s"),
            ("RESILIENCE_BREAKER__TUNED__MAX_RECOVERY_TIMEOUT", "1m"),
        ]);
        assert!(env.errors.is_empty(), "{:?}", env.errors);
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
        assert!(errors[0].contains("integer >= 0"), "{errors:?}");
        assert!(errors[1].contains("unknown setting `RATE`"), "{errors:?}");
        assert!(errors[2].contains("[0, 1000]"), "{errors:?}");
        assert!(errors[3].contains("longer than zero"), "{errors:?}");
        assert!(errors[4].contains("_<NAME>__<SETTING>"), "{errors:?}");
        assert!(env.errors.is_empty(), "the breakers' variables are apart");
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
        assert_eq!(env.errors.len(), 1, "{:?}", env.errors);
        assert!(env.errors[0].reason.contains(">= 1"));
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
            env.errors[0].reason.contains("`adaptive`"),
            "{:?}",
            env.errors
        );
    }
}
