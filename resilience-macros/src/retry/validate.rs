//! The second phase of `#[retry]`: the arguments checked against each other.

use resilience_settings::retry;
use syn::spanned::Spanned;

use super::{Backoff, Key, RetryArgs};
use crate::{args::Written, errors::Errors};

impl RetryArgs {
    /// Records what the arguments, each valid on its own, say wrong together, knowing which
    /// keys were `written` (a value refused on its own is not compared).
    pub(super) fn validate(&self, written: &Written<Key>, errors: &mut Errors) {
        if written.contains(Key::Policy) {
            for (_, ident) in written.iter().filter(|(key, _)| key.is_schedule()) {
                errors.at(
                    ident,
                    format!(
                        "`{ident}` cannot be combined with `policy`: the policy already fixes the schedule; set it on the policy with `.with_{ident}(..)` or drop `policy`"
                    ),
                );
            }
        }
        if let (true, Some(retries)) = (
            written.contains(Key::MaxAttempts),
            written.get(Key::MaxRetries),
        ) {
            errors.at(retries, retry::max_retries_beside_max_attempts());
        }
        let multiplier = (self.multiplier.as_ref().map(|(_, span)| *span))
            .or_else(|| self.multiplier_at.as_ref().map(|expr| expr.span()));
        if let (Some(span), Some((backoff, ident))) = (multiplier, &self.backoff) {
            if *backoff != Backoff::Exponential {
                errors.at(
                    span,
                    retry::multiplier_without_exponential(&ident.to_string()),
                );
            }
        }
        // Known only when both are written as strings (or `max_delay` is left unset, to be
        // compared with the settings' default).
        let max_delay = match &self.max_delay {
            None if written.contains(Key::MaxDelay) => None,
            None => Some(None),
            Some(cap) => cap.known(),
        };
        let initial = self.initial_delay.as_ref();
        if let (Some(initial), Some(max_delay)) = (initial, max_delay) {
            if let Some(known) = initial.known() {
                if let Err(invalid) = retry::initial_delay_within_max_delay(known, max_delay) {
                    errors.at(initial.span(), invalid);
                }
            }
        }
    }
}
