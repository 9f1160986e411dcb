//! `Serialize` and `Deserialize` for the configuration structs and snapshots, with the
//! attribute arguments' names and durations as strings.

use std::{fmt, marker::PhantomData, time::Duration, time::SystemTime};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, MapAccess, Visitor},
    ser::SerializeStruct,
};

use resilience_settings::{Invalid, breaker::Setting, budget::Setting as BudgetSetting, retry};

use super::{BreakerSnapshot, Config, Snapshot, format_duration, parse_duration};
use crate::{
    Backoff, BreakerConfig, BudgetConfig, Jitter, RetryPolicy, State, Window,
    env::fields::{BudgetFields, Fields, Source, Value, WindowValue},
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

/// A cap on a delay: a duration string, or `"none"` for no cap (`Duration::MAX`).
#[derive(Clone, Copy)]
struct CapRepr(Duration);

impl Serialize for CapRepr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == Duration::MAX {
            s.serialize_str(retry::NO_CAP)
        } else {
            Text(self.0).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for CapRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Option<Duration>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"30s\", or \"none\" for no cap")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Duration>, E> {
                if v == retry::NO_CAP {
                    return Ok(None);
                }
                parse_duration(v).map(Some).map_err(E::custom)
            }
        }
        Ok(CapRepr(d.deserialize_str(V)?.unwrap_or(Duration::MAX)))
    }
}

/// `max_attempts`: an integer, or `"unlimited"`.
#[derive(Clone, Copy)]
struct AttemptsRepr(i128);

impl Serialize for AttemptsRepr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == i128::from(retry::UNLIMITED_ATTEMPTS) {
            s.serialize_str(retry::UNLIMITED)
        } else {
            s.serialize_i64(i64::try_from(self.0).unwrap_or(i64::MAX))
        }
    }
}

impl<'de> Deserialize<'de> for AttemptsRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AttemptsRepr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer >= 1, or \"unlimited\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AttemptsRepr, E> {
                Ok(AttemptsRepr(i128::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AttemptsRepr, E> {
                Ok(AttemptsRepr(i128::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AttemptsRepr, E> {
                if v == retry::UNLIMITED {
                    Ok(AttemptsRepr(i128::from(retry::UNLIMITED_ATTEMPTS)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A window: an integer (calls) or a duration string, for its setting's rule to check.
struct WindowRepr(WindowValue);

impl<'de> Deserialize<'de> for WindowRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WindowRepr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of calls (integer >= 1) or a duration string such as \"30s\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WindowRepr, E> {
                Ok(WindowRepr(WindowValue::Calls(i128::from(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WindowRepr, E> {
                Ok(WindowRepr(WindowValue::Calls(i128::from(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WindowRepr, E> {
                let d = parse_duration(v).map_err(E::custom)?;
                Ok(WindowRepr(WindowValue::Time(d)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The value of the map's entry whose key was just read, as a [`Source`] of its setting.
struct Next<'a, 'de, A>(&'a mut A, PhantomData<&'de ()>);

impl<'de, A: MapAccess<'de>> Source for Next<'_, 'de, A> {
    type Error = A::Error;

    fn integer(self) -> Result<i128, A::Error> {
        self.0.next_value::<i64>().map(i128::from)
    }

    fn number(self) -> Result<f64, A::Error> {
        self.0.next_value::<f64>()
    }

    fn duration(self) -> Result<Duration, A::Error> {
        self.0.next_value::<Text>().map(|text| text.0)
    }

    fn window(self) -> Result<WindowValue, A::Error> {
        self.0.next_value::<WindowRepr>().map(|window| window.0)
    }

    fn refused(invalid: Invalid) -> A::Error {
        de::Error::custom(invalid)
    }
}

/// A setting's value, as a file writes it.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Count(n) => s.serialize_i64(i64::from(n)),
            Value::Number(x) => s.serialize_f64(x),
            Value::Duration(d) => Text(d).serialize(s),
            Value::Window(Window::Calls(n)) => s.serialize_u32(n),
            Value::Window(Window::Time(d)) => Text(d).serialize(s),
        }
    }
}

/// The settings of one table of a file, a breaker's or a budget's: its list of names, and
/// the fields each setting is read into and written from (`crate::env::fields`).
trait Table: Default {
    /// The settings' list, one table in `resilience_settings`.
    type Setting: Copy + 'static;
    /// Every setting of the list.
    const ALL: &'static [Self::Setting];
    /// Every key, for the error about an unknown one.
    const KEYS: &'static [&'static str];
    /// The name serde gives the table.
    const NAME: &'static str;
    fn setting(key: &str) -> Option<Self::Setting>;
    fn key(setting: Self::Setting) -> &'static str;
    fn value(&self, setting: Self::Setting) -> Option<Value>;
    fn read<S: Source>(&mut self, setting: Self::Setting, source: S) -> Result<(), S::Error>;
}

impl Table for Fields {
    type Setting = Setting;
    const ALL: &'static [Setting] = Setting::ALL;
    const KEYS: &'static [&'static str] = Setting::KEYS;
    const NAME: &'static str = "BreakerConfig";
    fn setting(key: &str) -> Option<Setting> {
        Setting::from_key(key)
    }
    fn key(setting: Setting) -> &'static str {
        setting.key()
    }
    fn value(&self, setting: Setting) -> Option<Value> {
        Fields::value(self, setting)
    }
    fn read<S: Source>(&mut self, setting: Setting, source: S) -> Result<(), S::Error> {
        Fields::read(self, setting, source)
    }
}

impl Table for BudgetFields {
    type Setting = BudgetSetting;
    const ALL: &'static [BudgetSetting] = BudgetSetting::ALL;
    const KEYS: &'static [&'static str] = BudgetSetting::KEYS;
    const NAME: &'static str = "BudgetConfig";
    fn setting(key: &str) -> Option<BudgetSetting> {
        BudgetSetting::from_key(key)
    }
    fn key(setting: BudgetSetting) -> &'static str {
        setting.key()
    }
    fn value(&self, setting: BudgetSetting) -> Option<Value> {
        BudgetFields::value(self, setting)
    }
    fn read<S: Source>(&mut self, setting: BudgetSetting, source: S) -> Result<(), S::Error> {
        BudgetFields::read(self, setting, source)
    }
}

/// A key of a `T` table: a setting of its list, or the error serde gives an unknown field,
/// with the list.
struct Key<T: Table>(T::Setting);

impl<'de, T: Table> Deserialize<'de> for Key<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Table> Visitor<'_> for V<T> {
            type Value = Key<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a setting's name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<T>, E> {
                T::setting(v)
                    .map(Key)
                    .ok_or_else(|| E::unknown_field(v, T::KEYS))
            }
        }
        d.deserialize_identifier(V(PhantomData))
    }
}

/// Reads a `T` table, each value by its setting's rule, as the attribute (or the
/// environment) checks it: what a file's table gives.
fn read_table<'de, T: Table, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: Table> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "a table of settings, the keys of which are {}",
                T::KEYS.join(", ")
            )
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut table = T::default();
            while let Some(Key(setting)) = map.next_key::<Key<T>>()? {
                if table.value(setting).is_some() {
                    return Err(de::Error::duplicate_field(T::key(setting)));
                }
                table.read(setting, Next(&mut map, PhantomData))?;
            }
            Ok(table)
        }
    }
    d.deserialize_struct(T::NAME, T::KEYS, V(PhantomData))
}

/// Writes the settings `table` holds, in the order of its list.
fn write_table<T: Table, S: Serializer>(table: &T, s: S) -> Result<S::Ok, S::Error> {
    let written = || {
        T::ALL
            .iter()
            .filter_map(|&setting| table.value(setting).map(|value| (T::key(setting), value)))
    };
    let mut out = s.serialize_struct(T::NAME, written().count())?;
    for (key, value) in written() {
        out.serialize_field(key, &value)?;
    }
    out.end()
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
        write_table(&Fields::written(self), s)
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
        let fields: Fields = read_table(d)?;
        // Then against each other, as the attribute checks them.
        fields.check_together().map_err(de::Error::custom)?;
        let (config, refused) = fields.apply(BreakerConfig::new(), false);
        match refused.into_iter().next() {
            None => Ok(config),
            Some((_, invalid)) => Err(de::Error::custom(invalid)),
        }
    }
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
        write_table(&BudgetFields::written(self), s)
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
        let fields: BudgetFields = read_table(d)?;
        Ok(BudgetConfig::new().with_fields(&fields))
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
    max_attempts: Option<AttemptsRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_retries: Option<i64>,
    #[serde(default)]
    backoff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multiplier: Option<f64>,
    #[serde(default)]
    initial_delay: Option<Text>,
    #[serde(default)]
    max_delay: Option<CapRepr>,
    #[serde(default)]
    max_retry_after: Option<CapRepr>,
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
            max_attempts: Some(AttemptsRepr(i128::from(self.max_attempts()))),
            max_retries: None,
            backoff: Some(backoff.to_owned()),
            multiplier,
            initial_delay: Some(Text(self.initial_delay())),
            max_delay: Some(CapRepr(self.max_delay())),
            max_retry_after: Some(CapRepr(self.max_retry_after())),
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
        if repr.max_attempts.is_some() && repr.max_retries.is_some() {
            return Err(de::Error::custom(retry::max_retries_beside_max_attempts()));
        }
        if let Some(AttemptsRepr(n)) = repr.max_attempts {
            let n = retry::max_attempts(n).map_err(de::Error::custom)?;
            policy = policy.with_max_attempts(n);
        }
        if let Some(n) = repr.max_retries {
            let n = retry::max_retries(i128::from(n)).map_err(de::Error::custom)?;
            policy = policy.with_max_retries(n);
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
            // No cap (`"none"`) is above any first delay.
            retry::initial_delay_within_max_delay(d, max_delay).map_err(de::Error::custom)?;
            policy = policy.with_initial_delay(d);
        }
        if let Some(d) = max_delay {
            policy = policy.with_max_delay(d);
        }
        if let Some(CapRepr(d)) = repr.max_retry_after {
            if d != Duration::MAX {
                policy = policy
                    .with_max_retry_after(retry::max_retry_after(d).map_err(de::Error::custom)?);
            } else {
                policy = policy.without_max_retry_after();
            }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
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

/// Times as Unix milliseconds (`taken_at_unix_ms`, `open_until_unix_ms`); a keyed
/// breaker's `key` beside its family's `name`.
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
                    key: b.key.clone(),
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
                    key: b.key,
                    state: b.state,
                    open_until: b.open_until_unix_ms.map(of_millis),
                    failed_recoveries: b.failed_recoveries,
                })
                .collect(),
        })
    }
}
