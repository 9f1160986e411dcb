//! The breaker settings one source gives (a scope of the environment, a file's table), each
//! checked by its rule in `resilience_settings`, and how they apply to a configuration.

use std::time::Duration;

use resilience_settings::{Invalid, breaker};

use crate::{BreakerConfig, Window, config::BreakerSetting};

/// The window of a failure rate set without one: the attribute's default.
const DEFAULT_WINDOW: Window = Window::Calls(breaker::DEFAULT_WINDOW_CALLS);
/// The minimum number of calls of a failure rate set without one: the attribute's default.
const DEFAULT_MINIMUM_CALLS: u32 = 10;

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

/// A setting these fields hold, by the key of its attribute argument.
pub(crate) type Key = &'static str;

impl Fields {
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

    /// Forgets the setting `key`, refused.
    pub(crate) fn remove(&mut self, key: Key) {
        match key {
            "failure_threshold" => self.failure_threshold = None,
            "recovery_timeout" => self.recovery_timeout = None,
            "half_open_max_calls" => self.half_open_max_calls = None,
            "success_threshold" => self.success_threshold = None,
            "failure_rate" => self.failure_rate = None,
            "window" => self.window = None,
            "minimum_calls" => self.minimum_calls = None,
            "slow_call" => self.slow_call = None,
            "recovery_backoff" => self.recovery_backoff = None,
            "max_recovery_timeout" => self.max_recovery_timeout = None,
            "adaptive" => self.adaptive = None,
            "max_trial_wait" => self.max_trial_wait = None,
            _ => {}
        }
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
    ) -> (BreakerConfig, Vec<(Key, Invalid)>) {
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
                if let (Some(m), Some(calls)) = (minimum, calls)
                    && let Err(invalid) = breaker::minimum_calls_within_window(m, calls)
                {
                    refused.push(("minimum_calls", invalid));
                    minimum = None;
                }
                let window = window.unwrap_or(DEFAULT_WINDOW);
                // A minimum from `config` (or the default) above a narrower window is taken
                // as the window, as the builder and the attribute's default do.
                let minimum = minimum
                    .or(current.map(|p| p.minimum_calls()))
                    .unwrap_or(DEFAULT_MINIMUM_CALLS);
                config = config.with_failure_rate(rate, window, minimum);
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
                let window = self
                    .window
                    .or(current.map(|a| a.window()))
                    .unwrap_or(DEFAULT_WINDOW);
                config = config.with_adaptive(k, window);
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
            if let Some(m) = own_max
                && let Err(invalid) = breaker::max_recovery_timeout_within(m, recovery)
            {
                refused.push(("max_recovery_timeout", invalid));
                own_max = None;
            }
            // Ten times the first open period unless set, as the attribute does.
            let max = own_max
                .or(had_backoff.then_some(max))
                .unwrap_or_else(|| config.recovery_timeout().saturating_mul(10));
            config = config.with_recovery_backoff(factor, max);
            max_used = true;
        }
        if !only_unset {
            if self.window.is_some() && !window_used {
                refused.push(("window", breaker::window_without_policy()));
            }
            if self.minimum_calls.is_some() && !minimum_used {
                refused.push(("minimum_calls", breaker::minimum_calls_without_rate()));
            }
            if self.max_recovery_timeout.is_some() && !max_used {
                refused.push((
                    "max_recovery_timeout",
                    breaker::max_recovery_timeout_without_backoff(),
                ));
            }
        }
        (config, refused)
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
        let keys: Vec<_> = refused.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, ["window", "max_recovery_timeout"]);
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
