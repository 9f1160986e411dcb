//! The second phase of `#[circuit_breaker]`: the arguments checked against each other, by
//! the rules across settings in `resilience_settings`.

use resilience_settings::breaker;

use super::{BreakerArgs, Key, Window};
use crate::{args::Written, errors::Errors};

impl BreakerArgs {
    /// Records what the arguments, each valid on its own, say wrong together, knowing which
    /// keys were `written` (a value refused on its own is not compared).
    pub(super) fn validate(&self, written: &Written<Key>, errors: &mut Errors) {
        if !written.contains(Key::FailureRate) {
            if let Some((_, ident)) = self
                .window
                .as_ref()
                .filter(|_| !written.contains(Key::Adaptive))
            {
                errors.at(ident, breaker::window_without_policy());
            }
            if let Some((_, ident)) = &self.minimum_calls {
                errors.at(ident, breaker::minimum_calls_without_rate());
            }
        }
        if let Some((minimum, ident)) = &self.minimum_calls {
            // A time window holds any number of calls; an unset one is the settings'
            // default.
            let window = match &self.window {
                Some((Window::Calls(n), _)) => Some(Some(*n)),
                Some((Window::Time(_), _)) => None,
                None if written.contains(Key::Window) => None,
                None => Some(None),
            };
            if let Some(window) = window {
                if let Err(invalid) = breaker::minimum_calls_within_window(*minimum, window) {
                    errors.at(ident, invalid);
                }
            }
        }
        if !written.contains(Key::RecoveryBackoff) {
            if let Some((_, ident)) = &self.max_recovery_timeout {
                errors.at(ident, breaker::max_recovery_timeout_without_backoff());
            }
        }
        if let Some((max, ident)) = &self.max_recovery_timeout {
            // Known only when both are written as strings (or `recovery_timeout` is left
            // unset, to be compared with the settings' default).
            let recovery = match &self.recovery_timeout {
                None if written.contains(Key::RecoveryTimeout) => None,
                None => Some(None),
                Some(d) => d.known().map(Some),
            };
            if let (Some(max), Some(recovery)) = (max.known(), recovery) {
                if let Err(invalid) = breaker::max_recovery_timeout_within(max, recovery) {
                    errors.at(ident, invalid);
                }
            }
        }
        if let Some((_, ident)) = &self.key {
            if !written.contains(Key::Name) {
                errors.at(
                    ident,
                    "a keyed breaker needs a `name`, which its family of breakers is found and configured by: add one, as in `name = \"shards\", key = shard_id`",
                );
            }
        }
        if !written.contains(Key::Keyed) {
            for key in [Key::MaxKeys, Key::IdleTimeout] {
                if let Some(ident) = written.get(key) {
                    errors.at(
                        ident,
                        format!(
                            "`{ident}` bounds the keys of a keyed breaker, and this one has no `key`: add one, as in `key = shard_id`, or remove `{ident}`"
                        ),
                    );
                }
            }
        }
        if let Some((_, ident)) = &self.fallback_on_failure {
            if !written.contains(Key::Fallback) {
                errors.at(
                    ident,
                    "`fallback_on_failure` needs a `fallback = path` to call",
                );
            }
        }
    }
}
