//! The settings one source gives (a scope of the environment, a file's table), each read and
//! checked here by its rule in `resilience_settings`, one match per setting list: the
//! environment and configuration files both read through it, each from its own syntax (a
//! [`Source`]), and files write through it. Then how the settings apply to a configuration.

use std::time::Duration;

use resilience_settings::{
    Invalid,
    breaker::{self, Setting},
    budget::{self, Setting as BudgetSetting},
};

use crate::breaker::{BreakerConfig, BreakerSetting, Window, attribute};

/// A setting's value as a source writes it, read in the shape its setting asks for, before
/// the setting's rule checks it: a variable's text, a file's value.
pub(crate) trait Source {
    /// Why a value could not be read, or was refused.
    type Error;
    /// An integer. Digits too many for any integer may read as the largest, which every
    /// rule refuses as too large.
    fn integer(self) -> Result<i128, Self::Error>;
    /// A number.
    fn number(self) -> Result<f64, Self::Error>;
    /// A duration, in the attributes' syntax.
    fn duration(self) -> Result<Duration, Self::Error>;
    /// A window: a number of calls, or a duration.
    fn window(self) -> Result<WindowValue, Self::Error>;
    /// The error of a value its setting's rule refuses.
    fn refused(invalid: Invalid) -> Self::Error;
}

/// A window as a source writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum WindowValue {
    /// A number of calls.
    Calls(i128),
    /// A duration.
    Time(Duration),
}

/// A setting's value as files write it.
#[cfg(feature = "serde")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    /// An integer.
    Count(u32),
    /// A number.
    Number(f64),
    /// A duration.
    Duration(Duration),
    /// A window: calls or a duration.
    Window(Window),
}

/// The breaker settings one source gives, each checked.
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
    /// Reads `setting` from `source` and checks it by its rule: the one reader of every
    /// breaker setting.
    pub(crate) fn read<S: Source>(&mut self, setting: Setting, source: S) -> Result<(), S::Error> {
        let refused = S::refused;
        match setting {
            Setting::FailureThreshold => {
                let n = breaker::failure_threshold(source.integer()?).map_err(refused)?;
                self.failure_threshold = Some(n);
            }
            Setting::RecoveryTimeout => {
                let d = breaker::recovery_timeout(source.duration()?).map_err(refused)?;
                self.recovery_timeout = Some(d);
            }
            Setting::HalfOpenMaxCalls => {
                let n = breaker::half_open_max_calls(source.integer()?).map_err(refused)?;
                self.half_open_max_calls = Some(n);
            }
            Setting::SuccessThreshold => {
                let n = breaker::success_threshold(source.integer()?).map_err(refused)?;
                self.success_threshold = Some(n);
            }
            Setting::FailureRate => {
                let rate = breaker::failure_rate(source.number()?).map_err(refused)?;
                self.failure_rate = Some(rate);
            }
            Setting::Window => {
                let window = match source.window()? {
                    WindowValue::Calls(n) => {
                        Window::Calls(breaker::window_calls(n).map_err(refused)?)
                    }
                    WindowValue::Time(d) => Window::Time(breaker::window_time(d).map_err(refused)?),
                };
                self.window = Some(window);
            }
            Setting::MinimumCalls => {
                let n = breaker::minimum_calls(source.integer()?).map_err(refused)?;
                self.minimum_calls = Some(n);
            }
            Setting::SlowCall => {
                let d = breaker::slow_call(source.duration()?).map_err(refused)?;
                self.slow_call = Some(d);
            }
            Setting::RecoveryBackoff => {
                let factor = breaker::recovery_backoff(source.number()?).map_err(refused)?;
                self.recovery_backoff = Some(factor);
            }
            Setting::MaxRecoveryTimeout => {
                let d = breaker::max_recovery_timeout(source.duration()?).map_err(refused)?;
                self.max_recovery_timeout = Some(d);
            }
            Setting::Adaptive => {
                let k = breaker::adaptive(source.number()?).map_err(refused)?;
                self.adaptive = Some(k);
            }
            Setting::MaxTrialWait => {
                let d = breaker::max_trial_wait(source.duration()?).map_err(refused)?;
                self.max_trial_wait = Some(d);
            }
        }
        Ok(())
    }

    /// The value of `setting`, if these fields hold it.
    #[cfg(feature = "serde")]
    pub(crate) fn value(&self, setting: Setting) -> Option<Value> {
        match setting {
            Setting::FailureThreshold => self.failure_threshold.map(Value::Count),
            Setting::RecoveryTimeout => self.recovery_timeout.map(Value::Duration),
            Setting::HalfOpenMaxCalls => self.half_open_max_calls.map(Value::Count),
            Setting::SuccessThreshold => self.success_threshold.map(Value::Count),
            Setting::FailureRate => self.failure_rate.map(Value::Number),
            Setting::Window => self.window.map(Value::Window),
            Setting::MinimumCalls => self.minimum_calls.map(Value::Count),
            Setting::SlowCall => self.slow_call.map(Value::Duration),
            Setting::RecoveryBackoff => self.recovery_backoff.map(Value::Number),
            Setting::MaxRecoveryTimeout => self.max_recovery_timeout.map(Value::Duration),
            Setting::Adaptive => self.adaptive.map(Value::Number),
            Setting::MaxTrialWait => self.max_trial_wait.map(Value::Duration),
        }
    }

    /// Forgets `setting`, refused.
    pub(crate) fn remove(&mut self, setting: Setting) {
        match setting {
            Setting::FailureThreshold => self.failure_threshold = None,
            Setting::RecoveryTimeout => self.recovery_timeout = None,
            Setting::HalfOpenMaxCalls => self.half_open_max_calls = None,
            Setting::SuccessThreshold => self.success_threshold = None,
            Setting::FailureRate => self.failure_rate = None,
            Setting::Window => self.window = None,
            Setting::MinimumCalls => self.minimum_calls = None,
            Setting::SlowCall => self.slow_call = None,
            Setting::RecoveryBackoff => self.recovery_backoff = None,
            Setting::MaxRecoveryTimeout => self.max_recovery_timeout = None,
            Setting::Adaptive => self.adaptive = None,
            Setting::MaxTrialWait => self.max_trial_wait = None,
        }
    }

    /// The settings `config` writes explicitly (see [`BreakerConfig::is_explicit`]), as a
    /// file writes them: a policy's parts with it, and one `window` for both policies, the
    /// failure rate's if there is one, as in the attribute.
    #[cfg(feature = "serde")]
    pub(crate) fn written(config: &BreakerConfig) -> Fields {
        let set = |setting| config.is_explicit(setting);
        let rate = config
            .failure_rate()
            .filter(|_| set(BreakerSetting::FailureRate));
        let adaptive = config.adaptive().filter(|_| set(BreakerSetting::Adaptive));
        let backoff = set(BreakerSetting::RecoveryBackoff);
        let (factor, max) = config.recovery_backoff();
        Fields {
            failure_threshold: set(BreakerSetting::FailureThreshold)
                .then_some(config.failure_threshold()),
            recovery_timeout: set(BreakerSetting::RecoveryTimeout)
                .then_some(config.recovery_timeout()),
            half_open_max_calls: set(BreakerSetting::HalfOpenMaxCalls)
                .then_some(config.half_open_max_calls()),
            success_threshold: set(BreakerSetting::SuccessThreshold)
                .then_some(config.success_threshold()),
            failure_rate: rate.map(|p| p.rate()),
            window: rate.map(|p| p.window()).or(adaptive.map(|a| a.window())),
            minimum_calls: rate.map(|p| p.minimum_calls()),
            slow_call: config.slow_call().filter(|_| set(BreakerSetting::SlowCall)),
            recovery_backoff: backoff.then_some(factor),
            max_recovery_timeout: backoff.then_some(max),
            adaptive: adaptive.map(|a| a.k()),
            max_trial_wait: set(BreakerSetting::MaxTrialWait).then_some(config.max_trial_wait()),
        }
    }

    /// The checks across settings that the attribute makes, on these settings alone, with
    /// the attribute's defaults for the others: the first refusal, by the key refused. For a
    /// file's table.
    #[cfg(feature = "serde")]
    pub(crate) fn check_together(&self) -> Result<(), Invalid> {
        if self.failure_rate.is_none() {
            if self.window.is_some() && self.adaptive.is_none() {
                return Err(breaker::window_without_policy());
            }
            if self.minimum_calls.is_some() {
                return Err(breaker::minimum_calls_without_rate());
            }
        }
        if let Some(minimum) = self.minimum_calls {
            match self.window {
                Some(Window::Calls(window)) => {
                    breaker::minimum_calls_within_window(minimum, Some(window))?
                }
                Some(Window::Time(_)) => {}
                None => breaker::minimum_calls_within_window(minimum, None)?,
            }
        }
        if let Some(max) = self.max_recovery_timeout {
            if self.recovery_backoff.is_none() {
                return Err(breaker::max_recovery_timeout_without_backoff());
            }
            breaker::max_recovery_timeout_within(max, self.recovery_timeout)?;
        }
        Ok(())
    }

    /// Writes these settings into `config`: all of them, or (`only_unset`) those `config` did
    /// not write explicitly. Returns the configuration and the settings it refused, each
    /// with why: a setting that, beside what `config` already says, makes a combination the
    /// attribute refuses (a `minimum_calls` above the window in force, a
    /// `max_recovery_timeout` below the recovery timeout in force), and, unless
    /// `only_unset`, a setting that would change nothing (a `window` without a failure rate
    /// or a throttle, a `minimum_calls` without a failure rate, a `max_recovery_timeout`
    /// without a recovery backoff). The global defaults (`only_unset`) do not apply to a
    /// breaker that writes the policy itself, which is not a mistake, so they are not
    /// reported for it.
    pub(crate) fn apply(
        &self,
        mut config: BreakerConfig,
        only_unset: bool,
    ) -> (BreakerConfig, Vec<(Setting, Invalid)>) {
        let mut refused = Vec::new();
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
        // Whether `window`, `minimum_calls` and `max_recovery_timeout` found their policy.
        let (mut window_used, mut minimum_used, mut max_used) = (false, false, false);
        let shapes_rate =
            self.failure_rate.is_some() || self.window.is_some() || self.minimum_calls.is_some();
        if shapes_rate && free(&config, BreakerSetting::FailureRate) {
            let current = config.failure_rate();
            if let Some(rate) = self.failure_rate.or(current.map(|p| p.rate())) {
                let window = self.window.or(current.map(|p| p.window()));
                let mut minimum = self.minimum_calls;
                let calls = match window {
                    Some(Window::Calls(n)) => Some(Some(n)),
                    Some(Window::Time(_)) => None,
                    None => Some(None), // the default
                };
                let checked = match (minimum, calls) {
                    (Some(m), Some(calls)) => breaker::minimum_calls_within_window(m, calls),
                    _ => Ok(()),
                };
                if let Err(invalid) = checked {
                    refused.push((Setting::MinimumCalls, invalid));
                    minimum = None;
                }
                // What is set neither here nor in `config` takes the runtime's defaults, as
                // in the attribute; a minimum above a narrower window is taken as the window.
                let minimum = minimum.or(current.map(|p| p.minimum_calls()));
                config = attribute::failure_rate(config, rate, window, minimum);
                window_used = true;
                minimum_used = true;
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
                let window = self.window.or(current.map(|a| a.window()));
                config = attribute::adaptive(config, k, window);
                window_used = true;
            }
        }
        if let Some(d) = self.max_trial_wait
            && free(&config, BreakerSetting::MaxTrialWait)
        {
            config = config.with_max_trial_wait(d);
        }
        let had_backoff = config.is_explicit(BreakerSetting::RecoveryBackoff);
        let shapes_backoff =
            self.recovery_backoff.is_some() || (self.max_recovery_timeout.is_some() && had_backoff);
        if shapes_backoff && free(&config, BreakerSetting::RecoveryBackoff) {
            let (factor, max) = config.recovery_backoff();
            let factor = self.recovery_backoff.unwrap_or(factor);
            let mut own_max = self.max_recovery_timeout;
            let recovery = config
                .is_explicit(BreakerSetting::RecoveryTimeout)
                .then(|| config.recovery_timeout());
            let checked = own_max.map_or(Ok(()), |m| {
                breaker::max_recovery_timeout_within(m, recovery)
            });
            if let Err(invalid) = checked {
                refused.push((Setting::MaxRecoveryTimeout, invalid));
                own_max = None;
            }
            // The runtime's cap unless set, as in the attribute.
            let max = own_max.or(had_backoff.then_some(max));
            config = attribute::recovery_backoff(config, factor, max);
            max_used = true;
        }
        if !only_unset {
            if self.window.is_some() && !window_used {
                refused.push((Setting::Window, breaker::window_without_policy()));
            }
            if self.minimum_calls.is_some() && !minimum_used {
                refused.push((Setting::MinimumCalls, breaker::minimum_calls_without_rate()));
            }
            if self.max_recovery_timeout.is_some() && !max_used {
                refused.push((
                    Setting::MaxRecoveryTimeout,
                    breaker::max_recovery_timeout_without_backoff(),
                ));
            }
        }
        (config, refused)
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
    /// Reads `setting` from `source` and checks it by its rule: the one reader of every
    /// retry budget setting.
    pub(crate) fn read<S: Source>(
        &mut self,
        setting: BudgetSetting,
        source: S,
    ) -> Result<(), S::Error> {
        let refused = S::refused;
        match setting {
            BudgetSetting::Ratio => {
                self.ratio = Some(budget::ratio(source.number()?).map_err(refused)?);
            }
            BudgetSetting::MinRetriesPerSecond => {
                let n = budget::min_retries_per_second(source.integer()?).map_err(refused)?;
                self.min_retries_per_second = Some(n);
            }
            BudgetSetting::Window => {
                self.window = Some(budget::window(source.duration()?).map_err(refused)?);
            }
        }
        Ok(())
    }

    /// The value of `setting`, if these fields hold it.
    #[cfg(feature = "serde")]
    pub(crate) fn value(&self, setting: BudgetSetting) -> Option<Value> {
        match setting {
            BudgetSetting::Ratio => self.ratio.map(Value::Number),
            BudgetSetting::MinRetriesPerSecond => self.min_retries_per_second.map(Value::Count),
            BudgetSetting::Window => self.window.map(Value::Duration),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_without_its_policy_changes_nothing_and_says_so() {
        let fields = Fields {
            window: Some(Window::Calls(50)),
            max_recovery_timeout: Some(Duration::from_secs(600)),
            ..Fields::default()
        };
        let (config, refused) = fields.apply(BreakerConfig::new(), false);
        assert_eq!(config, BreakerConfig::new());
        assert!(!config.is_explicit(BreakerSetting::RecoveryBackoff));
        let refused: Vec<_> = refused.iter().map(|(setting, _)| *setting).collect();
        assert_eq!(refused, [Setting::Window, Setting::MaxRecoveryTimeout]);
        // The same parts find the breaker's own policies.
        let own = BreakerConfig::new()
            .with_failure_rate(0.5, Window::Calls(10), 5)
            .with_recovery_backoff(2.0, Duration::from_secs(120));
        let (config, refused) = fields.apply(own, false);
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(config.failure_rate().unwrap().window(), Window::Calls(50));
        assert_eq!(config.recovery_backoff().1, Duration::from_secs(600));
    }

    #[test]
    fn a_part_that_contradicts_the_breaker_is_refused() {
        let own = BreakerConfig::new()
            .with_recovery_timeout(Duration::from_secs(30))
            .with_failure_rate(0.5, Window::Calls(10), 5)
            .with_recovery_backoff(2.0, Duration::from_secs(120));
        let fields = Fields {
            minimum_calls: Some(20),
            max_recovery_timeout: Some(Duration::from_secs(10)),
            ..Fields::default()
        };
        let (config, refused) = fields.apply(own, false);
        assert_eq!(config, own);
        let said: Vec<_> = refused.iter().map(|(_, why)| why.to_string()).collect();
        assert!(said[0].contains("never be reached"), "{said:?}");
        assert!(
            said[1].contains("shorter than `recovery_timeout` (30s)"),
            "{said:?}"
        );
    }
}
