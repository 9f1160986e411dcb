//! `Serialize` and `Deserialize` for the configuration structs and snapshots, with the
//! attribute arguments' names and durations as strings.

use std::{fmt, time::Duration, time::SystemTime};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, Visitor},
};

use resilience_settings::{Invalid, breaker, budget, retry};

use super::{BreakerSnapshot, Config, Snapshot, fields::Fields, format_duration, parse_duration};
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
                breaker::window_calls(i128::from(v))
                    .map(|n| WindowRepr(Window::Calls(n)))
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WindowRepr, E> {
                breaker::window_calls(i128::from(v))
                    .map(|n| WindowRepr(Window::Calls(n)))
                    .map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WindowRepr, E> {
                let d = parse_duration(v).map_err(E::custom)?;
                breaker::window_time(d)
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
    failure_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery_timeout: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    half_open_max_calls: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    success_threshold: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<WindowRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minimum_calls: Option<i64>,
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
                .then_some(i64::from(self.failure_threshold())),
            recovery_timeout: set(BreakerSetting::RecoveryTimeout)
                .then_some(Text(self.recovery_timeout())),
            half_open_max_calls: set(BreakerSetting::HalfOpenMaxCalls)
                .then_some(i64::from(self.half_open_max_calls())),
            success_threshold: set(BreakerSetting::SuccessThreshold)
                .then_some(i64::from(self.success_threshold())),
            failure_rate: rate.map(|p| p.rate()),
            window,
            minimum_calls: rate.map(|p| i64::from(p.minimum_calls())),
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
        // Each value by its setting's rule, as the attribute checks it.
        let count = |n: Option<i64>, check: fn(i128) -> Result<u32, Invalid>| {
            n.map(|n| check(i128::from(n)))
                .transpose()
                .map_err(de::Error::custom)
        };
        let duration = |d: Option<Text>, check: fn(Duration) -> Result<Duration, Invalid>| {
            d.map(|d| check(d.0)).transpose().map_err(de::Error::custom)
        };
        let number = |x: Option<f64>, check: fn(f64) -> Result<f64, Invalid>| {
            x.map(check).transpose().map_err(de::Error::custom)
        };
        let fields = Fields {
            failure_threshold: count(repr.failure_threshold, breaker::failure_threshold)?,
            recovery_timeout: duration(repr.recovery_timeout, breaker::recovery_timeout)?,
            half_open_max_calls: count(repr.half_open_max_calls, breaker::half_open_max_calls)?,
            success_threshold: count(repr.success_threshold, breaker::success_threshold)?,
            failure_rate: number(repr.failure_rate, breaker::failure_rate)?,
            window: repr.window.map(|w| w.0),
            minimum_calls: count(repr.minimum_calls, breaker::minimum_calls)?,
            slow_call: duration(repr.slow_call, breaker::slow_call)?,
            recovery_backoff: number(repr.recovery_backoff, breaker::recovery_backoff)?,
            max_recovery_timeout: duration(
                repr.max_recovery_timeout,
                breaker::max_recovery_timeout,
            )?,
            adaptive: number(repr.adaptive, breaker::adaptive)?,
            max_trial_wait: duration(repr.max_trial_wait, breaker::max_trial_wait)?,
        };
        // Then against each other, as the attribute checks them.
        fields.check_together().map_err(de::Error::custom)?;
        let (config, refused) = fields.apply(BreakerConfig::new(), false);
        match refused.into_iter().next() {
            None => Ok(config),
            Some((_, invalid)) => Err(de::Error::custom(invalid)),
        }
    }
}

/// The file form of a [`BudgetConfig`].
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_retries_per_second: Option<i64>,
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
            min_retries_per_second: Some(i64::from(self.min_retries_per_second())),
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
            config = config.with_ratio(budget::ratio(ratio).map_err(de::Error::custom)?);
        }
        if let Some(n) = repr.min_retries_per_second {
            let n = budget::min_retries_per_second(i128::from(n)).map_err(de::Error::custom)?;
            config = config.with_min_retries_per_second(n);
        }
        if let Some(window) = repr.window {
            config = config.with_window(budget::window(window.0).map_err(de::Error::custom)?);
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
                    "\"none\", \"full\", \"equal\", \"decorrelated\", or a fraction in (0, 1]",
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
                retry::jitter_fraction(v)
                    .map(|f| JitterRepr(Jitter::Proportional(f)))
                    .map_err(E::custom)
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
    max_attempts: Option<i64>,
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
            max_attempts: Some(i64::from(self.max_attempts())),
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
        // Each value by its setting's rule, then against each other, as the attribute
        // checks them.
        let mut policy = RetryPolicy::new();
        if let Some(n) = repr.max_attempts {
            let n = retry::max_attempts(i128::from(n)).map_err(de::Error::custom)?;
            policy = policy.with_max_attempts(n);
        }
        let multiplier = repr
            .multiplier
            .map(retry::multiplier)
            .transpose()
            .map_err(de::Error::custom)?;
        let backoff = match repr.backoff.as_deref() {
            None | Some("exponential") => Backoff::Exponential {
                multiplier: multiplier.unwrap_or(2.0),
            },
            Some(other) => {
                if multiplier.is_some() {
                    return Err(de::Error::custom(retry::multiplier_without_exponential(
                        other,
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
        let max_delay = repr
            .max_delay
            .map(|d| retry::max_delay(d.0))
            .transpose()
            .map_err(de::Error::custom)?;
        if let Some(d) = repr.initial_delay {
            let d = retry::initial_delay(d.0).map_err(de::Error::custom)?;
            retry::initial_delay_within_max_delay(d, max_delay).map_err(de::Error::custom)?;
            policy = policy.with_initial_delay(d);
        }
        if let Some(d) = max_delay {
            policy = policy.with_max_delay(d);
        }
        if let Some(j) = repr.jitter {
            policy = policy.with_jitter(j.0);
        }
        if let Some(d) = repr.max_elapsed {
            let d = retry::max_elapsed(d.0).map_err(de::Error::custom)?;
            policy = policy.with_max_elapsed(d);
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

/// `ms` after the epoch; beyond what the platform's clock holds, the year 9999, which a
/// restore then shortens to the longest open period the configuration allows.
fn of_millis(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or_else(|| SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799))
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
