//! `Serialize` and `Deserialize` for the configuration structs and snapshots, with the
//! attribute arguments' names and durations as strings.

use std::{fmt, time::Duration, time::SystemTime};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, Visitor},
};

use super::{
    BreakerSnapshot, Config, Snapshot, check_adaptive, check_budget_ratio, check_count,
    check_factor, check_positive, check_rate, env::Fields, format_duration, parse_duration,
};
use crate::{
    Backoff, BreakerConfig, BudgetConfig, Jitter, RetryPolicy, State, Window,
    config::BreakerSetting,
};

/// A duration as a string, `"250ms"`.
#[derive(Clone, Copy)]
struct Text(Duration);

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"250ms\", \"1.5s\" or \"2m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                parse_duration(v).map(Text).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A window: an integer (calls) or a duration string.
#[derive(Clone, Copy)]
struct WindowRepr(Window);

impl Serialize for WindowRepr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Window::Calls(n) => s.serialize_u32(n),
            Window::Time(d) => Text(d).serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for WindowRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WindowRepr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of calls (integer >= 1) or a duration string such as \"30s\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WindowRepr, E> {
                check_count(v)
                    .map(|n| WindowRepr(Window::Calls(n)))
                    .map_err(|e| E::custom(format!("window: {e}")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WindowRepr, E> {
                self.visit_u64(u64::try_from(v).unwrap_or(0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WindowRepr, E> {
                parse_duration(v)
                    .map(|d| WindowRepr(Window::Time(d)))
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The file form of a [`BreakerConfig`]: the settings it writes explicitly.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakerRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_threshold: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery_timeout: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    half_open_max_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    success_threshold: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<WindowRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minimum_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slow_call: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery_backoff: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_recovery_timeout: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adaptive: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_trial_wait: Option<Text>,
}

/// Writes only the settings written explicitly, so that a configuration read back leaves
/// the same settings to the environment's global defaults.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use std::time::Duration;
/// let config = resilience::BreakerConfig::new().with_recovery_timeout(Duration::from_secs(30));
/// assert_eq!(serde_json::to_string(&config).unwrap(), r#"{"recovery_timeout":"30s"}"#);
/// # }
/// ```
impl Serialize for BreakerConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let set = |setting| self.is_explicit(setting);
        let rate = self
            .failure_rate()
            .filter(|_| set(BreakerSetting::FailureRate));
        let (factor, max) = self.recovery_backoff();
        let backoff = set(BreakerSetting::RecoveryBackoff);
        let adaptive = self.adaptive().filter(|_| set(BreakerSetting::Adaptive));
        // One `window` for both policies, as in the attribute: the failure rate's if there
        // is one.
        let window = rate
            .map(|p| p.window())
            .or(adaptive.map(|a| a.window()))
            .map(WindowRepr);
        BreakerRepr {
            failure_threshold: set(BreakerSetting::FailureThreshold)
                .then_some(u64::from(self.failure_threshold())),
            recovery_timeout: set(BreakerSetting::RecoveryTimeout)
                .then_some(Text(self.recovery_timeout())),
            half_open_max_calls: set(BreakerSetting::HalfOpenMaxCalls)
                .then_some(u64::from(self.half_open_max_calls())),
            success_threshold: set(BreakerSetting::SuccessThreshold)
                .then_some(u64::from(self.success_threshold())),
            failure_rate: rate.map(|p| p.rate()),
            window,
            minimum_calls: rate.map(|p| u64::from(p.minimum_calls())),
            slow_call: self
                .slow_call()
                .filter(|_| set(BreakerSetting::SlowCall))
                .map(Text),
            recovery_backoff: backoff.then_some(factor),
            max_recovery_timeout: backoff.then_some(Text(max)),
            adaptive: adaptive.map(|a| a.k()),
            max_trial_wait: set(BreakerSetting::MaxTrialWait)
                .then_some(Text(self.max_trial_wait())),
        }
        .serialize(s)
    }
}

/// Reads the attribute's arguments (except `name`, `when` and `fallback*`), checked as the
/// attribute checks them; the keys present are the settings written explicitly. Unknown
/// keys are errors that name them.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let config: resilience::BreakerConfig =
///     serde_json::from_str(r#"{"failure_threshold": 3, "recovery_timeout": "1.5s"}"#).unwrap();
/// assert_eq!(config.failure_threshold(), 3);
/// let err = serde_json::from_str::<resilience::BreakerConfig>(r#"{"treshold": 3}"#).unwrap_err();
/// assert!(err.to_string().contains("unknown field `treshold`"));
/// # }
/// ```
impl<'de> Deserialize<'de> for BreakerConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = BreakerRepr::deserialize(d)?;
        let count = |key: &str, n: Option<u64>| {
            n.map(check_count)
                .transpose()
                .map_err(|e| de::Error::custom(format!("{key}: {e}")))
        };
        let fields = Fields {
            failure_threshold: count("failure_threshold", repr.failure_threshold)?,
            recovery_timeout: repr.recovery_timeout.map(|t| t.0),
            half_open_max_calls: count("half_open_max_calls", repr.half_open_max_calls)?,
            success_threshold: count("success_threshold", repr.success_threshold)?,
            failure_rate: repr
                .failure_rate
                .map(check_rate)
                .transpose()
                .map_err(|e| de::Error::custom(format!("failure_rate: {e}")))?,
            window: repr.window.map(|w| w.0),
            minimum_calls: count("minimum_calls", repr.minimum_calls)?,
            slow_call: repr.slow_call.map(|t| t.0),
            recovery_backoff: repr
                .recovery_backoff
                .map(check_factor)
                .transpose()
                .map_err(|e| de::Error::custom(format!("recovery_backoff: {e}")))?,
            max_recovery_timeout: repr.max_recovery_timeout.map(|t| t.0),
            adaptive: repr
                .adaptive
                .map(check_adaptive)
                .transpose()
                .map_err(|e| de::Error::custom(format!("adaptive: {e}")))?,
            max_trial_wait: repr.max_trial_wait.map(|t| t.0),
        };
        if let Some(why) = fields.orphan() {
            return Err(de::Error::custom(why));
        }
        Ok(fields.apply(BreakerConfig::new(), false))
    }
}

/// The file form of a [`BudgetConfig`].
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_retries_per_second: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<Text>,
}

/// Every setting, by the names of [`BudgetConfig`]'s builders.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let config = resilience::BudgetConfig::new();
/// assert_eq!(
///     serde_json::to_string(&config).unwrap(),
///     r#"{"ratio":0.2,"min_retries_per_second":10,"window":"10s"}"#
/// );
/// # }
/// ```
impl Serialize for BudgetConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BudgetRepr {
            ratio: Some(self.ratio()),
            min_retries_per_second: Some(self.min_retries_per_second()),
            window: Some(Text(self.window())),
        }
        .serialize(s)
    }
}

/// Reads `ratio`, `min_retries_per_second` and `window`, each optional (the defaults fill
/// in the others), checked as the environment checks them.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let config: resilience::BudgetConfig = serde_json::from_str(r#"{"ratio": 0.1}"#).unwrap();
/// assert_eq!((config.ratio(), config.min_retries_per_second()), (0.1, 10));
/// assert!(serde_json::from_str::<resilience::BudgetConfig>(r#"{"window": "0s"}"#).is_err());
/// # }
/// ```
impl<'de> Deserialize<'de> for BudgetConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = BudgetRepr::deserialize(d)?;
        let mut config = BudgetConfig::new();
        if let Some(ratio) = repr.ratio {
            let ratio =
                check_budget_ratio(ratio).map_err(|e| de::Error::custom(format!("ratio: {e}")))?;
            config = config.with_ratio(ratio);
        }
        if let Some(n) = repr.min_retries_per_second {
            config = config.with_min_retries_per_second(n);
        }
        if let Some(window) = repr.window {
            let window =
                check_positive(window.0).map_err(|e| de::Error::custom(format!("window: {e}")))?;
            config = config.with_window(window);
        }
        Ok(config)
    }
}

/// How each delay is randomised: a name, or a fraction for `Proportional`.
#[derive(Clone, Copy)]
struct JitterRepr(Jitter);

impl Serialize for JitterRepr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Jitter::None => s.serialize_str("none"),
            Jitter::Full => s.serialize_str("full"),
            Jitter::Equal => s.serialize_str("equal"),
            Jitter::Decorrelated => s.serialize_str("decorrelated"),
            Jitter::Proportional(f) => s.serialize_f64(f),
        }
    }
}

impl<'de> Deserialize<'de> for JitterRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JitterRepr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "\"none\", \"full\", \"equal\", \"decorrelated\", or a fraction in [0, 1]",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JitterRepr, E> {
                Ok(JitterRepr(match v {
                    "none" => Jitter::None,
                    "full" => Jitter::Full,
                    "equal" => Jitter::Equal,
                    "decorrelated" => Jitter::Decorrelated,
                    _ => {
                        return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                    }
                }))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JitterRepr, E> {
                if (0.0..=1.0).contains(&v) {
                    Ok(JitterRepr(Jitter::Proportional(v)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JitterRepr, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JitterRepr, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_any(V)
    }
}

/// The file form of a [`RetryPolicy`]: the `#[retry]` arguments' names.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryRepr {
    #[serde(default)]
    max_attempts: Option<u64>,
    #[serde(default)]
    backoff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multiplier: Option<f64>,
    #[serde(default)]
    initial_delay: Option<Text>,
    #[serde(default)]
    max_delay: Option<Text>,
    #[serde(default)]
    jitter: Option<JitterRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_elapsed: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

/// Writes every setting, so that the file says what the policy does.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let json = serde_json::to_string(&resilience::RetryPolicy::new()).unwrap();
/// assert!(json.contains(r#""backoff":"exponential","multiplier":2.0"#));
/// # }
/// ```
impl Serialize for RetryPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (backoff, multiplier) = match self.backoff() {
            Backoff::Constant => ("constant", None),
            Backoff::Linear => ("linear", None),
            Backoff::Exponential { multiplier } => ("exponential", Some(multiplier)),
            Backoff::Fibonacci => ("fibonacci", None),
        };
        RetryRepr {
            max_attempts: Some(u64::from(self.max_attempts())),
            backoff: Some(backoff.to_owned()),
            multiplier,
            initial_delay: Some(Text(self.initial_delay())),
            max_delay: Some(Text(self.max_delay())),
            jitter: Some(JitterRepr(self.jitter())),
            max_elapsed: self.max_elapsed().map(Text),
            seed: self.seed,
        }
        .serialize(s)
    }
}

/// Reads the `#[retry]` arguments (except `when` and `on_retry`) and `seed`; missing keys
/// keep the attribute's defaults. Unknown keys are errors that name them.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let policy: resilience::RetryPolicy = serde_json::from_str(
///     r#"{"max_attempts": 5, "backoff": "linear", "initial_delay": "50ms", "jitter": "none"}"#,
/// ).unwrap();
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(policy.initial_delay(), std::time::Duration::from_millis(50));
/// # }
/// ```
impl<'de> Deserialize<'de> for RetryPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = RetryRepr::deserialize(d)?;
        let mut policy = RetryPolicy::new();
        if let Some(n) = repr.max_attempts {
            let n = check_count(n).map_err(|e| de::Error::custom(format!("max_attempts: {e}")))?;
            policy = policy.with_max_attempts(n);
        }
        let multiplier = repr
            .multiplier
            .map(check_factor)
            .transpose()
            .map_err(|e| de::Error::custom(format!("multiplier: {e}")))?;
        let backoff = match repr.backoff.as_deref() {
            None | Some("exponential") => Backoff::Exponential {
                multiplier: multiplier.unwrap_or(2.0),
            },
            Some(other) => {
                if multiplier.is_some() {
                    return Err(de::Error::custom(format!(
                        "multiplier applies to the exponential backoff only, not `{other}`"
                    )));
                }
                match other {
                    "constant" => Backoff::Constant,
                    "linear" => Backoff::Linear,
                    "fibonacci" => Backoff::Fibonacci,
                    _ => {
                        return Err(de::Error::unknown_variant(
                            other,
                            &["constant", "linear", "exponential", "fibonacci"],
                        ));
                    }
                }
            }
        };
        policy = policy.with_backoff(backoff);
        if let Some(d) = repr.initial_delay {
            policy = policy.with_initial_delay(d.0);
        }
        if let Some(d) = repr.max_delay {
            policy = policy.with_max_delay(d.0);
        }
        if let Some(j) = repr.jitter {
            policy = policy.with_jitter(j.0);
        }
        if let Some(d) = repr.max_elapsed {
            policy = policy.with_max_elapsed(d.0);
        }
        if let Some(seed) = repr.seed {
            policy = policy.with_seed(seed);
        }
        Ok(policy)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRepr {
    #[serde(default)]
    breakers: std::collections::BTreeMap<String, BreakerConfig>,
    #[serde(default)]
    retry: std::collections::BTreeMap<String, RetryPolicy>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    budgets: std::collections::BTreeMap<String, BudgetConfig>,
}

/// `[breakers.<name>]`, `[retry.<name>]` and `[budgets.<name>]` tables; see the
/// [module](super)'s example.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let config: resilience::config::Config =
///     serde_json::from_str(r#"{"breakers": {"payments": {"failure_threshold": 3}}}"#).unwrap();
/// assert_eq!(config.breakers["payments"].failure_threshold(), 3);
/// # }
/// ```
impl Serialize for Config {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ConfigRepr {
            breakers: self.breakers.clone(),
            retry: self.retry.clone(),
            budgets: self.budgets.clone(),
        }
        .serialize(s)
    }
}

/// See [`Config`]'s `Serialize`: the same tables, both optional.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let err = serde_json::from_str::<resilience::config::Config>(r#"{"breaker": {}}"#).unwrap_err();
/// assert!(err.to_string().contains("unknown field `breaker`"));
/// # }
/// ```
impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = ConfigRepr::deserialize(d)?;
        Ok(Config {
            breakers: repr.breakers,
            retry: repr.retry,
            budgets: repr.budgets,
        })
    }
}

/// `"closed"`, `"open"`, `"half-open"`, `"forced-open"` or `"disabled"`, as
/// [`State::as_str`] writes them.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// assert_eq!(serde_json::to_string(&resilience::State::HalfOpen).unwrap(), r#""half-open""#);
/// # }
/// ```
impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// See [`State`]'s `Serialize`.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let state: resilience::State = serde_json::from_str(r#""forced-open""#).unwrap();
/// assert_eq!(state, resilience::State::ForcedOpen);
/// # }
/// ```
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const NAMES: &[&str] = &["closed", "open", "half-open", "forced-open", "disabled"];
        let name = String::deserialize(d)?;
        [
            State::Closed,
            State::Open,
            State::HalfOpen,
            State::ForcedOpen,
            State::Disabled,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| de::Error::unknown_variant(&name, NAMES))
    }
}

fn to_millis(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

fn of_millis(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakerSnapshotRepr {
    name: String,
    state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    open_until_unix_ms: Option<u64>,
    #[serde(default)]
    failed_recoveries: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotRepr {
    taken_at_unix_ms: u64,
    #[serde(default)]
    breakers: Vec<BreakerSnapshotRepr>,
}

/// Times as Unix milliseconds (`taken_at_unix_ms`, `open_until_unix_ms`).
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let json = serde_json::to_string(&resilience::breakers::snapshot()).unwrap();
/// assert!(json.starts_with(r#"{"taken_at_unix_ms":"#));
/// # }
/// ```
impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SnapshotRepr {
            taken_at_unix_ms: to_millis(self.taken_at),
            breakers: self
                .breakers
                .iter()
                .map(|b| BreakerSnapshotRepr {
                    name: b.name.clone(),
                    state: b.state,
                    open_until_unix_ms: b.open_until.map(to_millis),
                    failed_recoveries: b.failed_recoveries,
                })
                .collect(),
        }
        .serialize(s)
    }
}

/// See [`Snapshot`]'s `Serialize`.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// let snapshot: resilience::config::Snapshot = serde_json::from_str(
///     r#"{"taken_at_unix_ms": 0, "breakers": [{"name": "db", "state": "open", "open_until_unix_ms": 1000}]}"#,
/// ).unwrap();
/// assert_eq!(snapshot.breakers[0].state, resilience::State::Open);
/// # }
/// ```
impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = SnapshotRepr::deserialize(d)?;
        Ok(Snapshot {
            taken_at: of_millis(repr.taken_at_unix_ms),
            breakers: repr
                .breakers
                .into_iter()
                .map(|b| BreakerSnapshot {
                    name: b.name,
                    state: b.state,
                    open_until: b.open_until_unix_ms.map(of_millis),
                    failed_recoveries: b.failed_recoveries,
                })
                .collect(),
        })
    }
}
