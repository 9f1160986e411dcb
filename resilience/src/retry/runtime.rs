//! A `#[retry]` whose settings are known only at run time, from a struct's fields or a
//! function's arguments (`#[retry(max_attempts = self.retries, initial_delay = self.delay)]`):
//! its policy is built on each call from the policy of its literal arguments and the values
//! given, each checked by its setting's rule in `resilience_settings`, the rule the attribute
//! applies to a literal when the code compiles.
//!
//! A program that is running cannot refuse a value: a value its rule refuses is replaced by
//! the nearest one the rule accepts (or the setting's default where none is nearer: a
//! multiplier of 1, a zero `max_retry_after`) and reported once per site, key, value and
//! reason, as a configuration that could not be used as given is: to the listeners of
//! [`config::on_report`](crate::config::on_report) (as a [`ConfigError`] whose source is
//! [`ConfigSource::Argument`](crate::config::ConfigSource::Argument)), and with the `tracing`
//! feature as a `resilience.config` event. A value the rule accepts costs its check alone.

use std::{fmt, time::Duration};

use resilience_settings::{Invalid, retry};

use super::{policy::RetryPolicy, site::RetrySite};
use crate::report::{self, ConfigError};

/// An integer a run-time `max_attempts` or `max_retries` may be given: every primitive
/// integer type.
///
/// ```
/// use resilience::SettingInt;
/// assert_eq!(7u8.to_i128(), 7);
/// assert_eq!(usize::MAX.to_i128(), usize::MAX as i128);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integer: `max_attempts` and `max_retries` take an integer",
    label = "an integer expression, such as `self.retries`"
)]
pub trait SettingInt: Copy {
    /// The value, for its setting's rule.
    fn to_i128(self) -> i128;
}

macro_rules! setting_int {
    ($($t:ty),*) => {$(
        impl SettingInt for $t {
            #[inline]
            fn to_i128(self) -> i128 {
                // Every value but `u128`'s largest fits; those saturate, and are refused as
                // too large all the same.
                i128::try_from(self).unwrap_or(i128::MAX)
            }
        }
    )*};
}

setting_int!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// The policy of a `#[retry]` with run-time settings, as its expansion builds it
/// (`__private::RuntimePolicy`).
#[derive(Debug, Clone, Copy)]
pub struct RuntimePolicy {
    policy: RetryPolicy,
    site: &'static RetrySite,
    /// Whether `initial_delay` or `max_delay` was given at run time: they are then compared
    /// at [`finish`](Self::finish), as the attribute compares literals.
    delays_given: bool,
}

impl RuntimePolicy {
    /// Starts from `policy`, the literal arguments', for the site `site`.
    #[inline]
    pub const fn new(policy: RetryPolicy, site: &'static RetrySite) -> Self {
        RuntimePolicy {
            policy,
            site,
            delays_given: false,
        }
    }

    /// `max_attempts = expr`.
    #[inline]
    pub fn max_attempts(mut self, n: impl SettingInt) -> Self {
        let (used, refused) = retry::max_attempts_or_nearest(n.to_i128());
        self.report(refused, n.to_i128(), used);
        self.policy = self.policy.with_max_attempts(used);
        self
    }

    /// `max_retries = expr`.
    #[inline]
    pub fn max_retries(mut self, n: impl SettingInt) -> Self {
        let (used, refused) = retry::max_retries_or_nearest(n.to_i128());
        self.report(refused, n.to_i128(), used);
        self.policy = self.policy.with_max_retries(used);
        self
    }

    /// `multiplier = expr`.
    #[inline]
    pub fn multiplier(mut self, m: impl Into<f64>) -> Self {
        let m = m.into();
        let (used, refused) = retry::multiplier_or_default(m);
        self.report(refused, m, used);
        self.policy = self.policy.with_multiplier(used);
        self
    }

    /// `initial_delay = expr`.
    #[inline]
    pub fn initial_delay(mut self, d: Duration) -> Self {
        self.policy = self.policy.with_initial_delay(d);
        self.delays_given = true;
        self
    }

    /// `max_delay = expr`.
    #[inline]
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.policy = self.policy.with_max_delay(d);
        self.delays_given = true;
        self
    }

    /// `max_elapsed = expr`: zero is taken as not set.
    #[inline]
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        let (used, refused) = retry::max_elapsed_or_unset(d);
        self.report(refused, Show(d), Show(used));
        self.policy.max_elapsed = used;
        self
    }

    /// `max_retry_after = expr`.
    #[inline]
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        let (used, refused) = retry::max_retry_after_or_default(d);
        self.report(refused, Show(d), Show(used));
        self.policy = self.policy.with_max_retry_after(used);
        self
    }

    /// The policy, once the settings given at run time are compared with each other: an
    /// `initial_delay` above `max_delay` is cut to it.
    #[inline]
    pub fn finish(mut self) -> RetryPolicy {
        if self.delays_given {
            let initial = self.policy.initial_delay();
            let (used, refused) = retry::initial_delay_within_max_delay_or_nearest(
                initial,
                Some(self.policy.max_delay()),
            );
            self.report(refused, Show(initial), Show(used));
            self.policy = self.policy.with_initial_delay(used);
        }
        self.policy
    }

    /// Reports a refused value, if any: `given`, and the value `used` instead.
    #[inline]
    fn report(&self, refused: Option<Invalid>, given: impl fmt::Debug, used: impl fmt::Debug) {
        if let Some(invalid) = refused {
            refuse(
                self.site,
                &invalid,
                &format!("{given:?}"),
                &format!("{used:?}"),
            );
        }
    }
}

/// A duration as a report writes it; `None` for a setting left unset.
struct Show<T>(T);

impl fmt::Debug for Show<Duration> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Debug for Show<Option<Duration>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, "{d:?}"),
            None => f.write_str("not set"),
        }
    }
}

/// Reports a run-time argument its rule refused, once per site, key, value and reason.
#[cold]
#[inline(never)]
fn refuse(site: &'static RetrySite, invalid: &Invalid, given: &str, used: &str) {
    report::config_error(&ConfigError::argument(
        format!("#[retry] {} {}", site.name(), invalid.key()),
        given.to_owned(),
        format!("{invalid}; using {used}"),
    ));
}
