//! Writing `#[circuit_breaker]` as a permit around the attempt.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::parse::{BreakerArgs, WindowArg};
use crate::{duration::DurationArg, stack::Context};

impl BreakerArgs {
    /// The configuration as a `const` expression built with the runtime's `const` builders.
    fn config(&self) -> TokenStream {
        let mut config = quote!(::resilience::__private::BreakerConfig::new());
        if let Some(n) = self.failure_threshold {
            config.extend(quote!(.with_failure_threshold(#n)));
        }
        if let Some(d) = &self.recovery_timeout {
            let d = d.to_tokens();
            config.extend(quote!(.with_recovery_timeout(#d)));
        }
        if let Some(n) = self.half_open_max_calls {
            config.extend(quote!(.with_half_open_max_calls(#n)));
        }
        if let Some(n) = self.success_threshold {
            config.extend(quote!(.with_success_threshold(#n)));
        }
        // Default: the last 100 calls.
        let (window, default_minimum) = match &self.window {
            Some((WindowArg::Calls(n), _)) => (
                quote!(::resilience::__private::Window::Calls(#n)),
                (*n).min(10),
            ),
            Some((WindowArg::Time(d), _)) => {
                let d = d.to_tokens();
                (quote!(::resilience::__private::Window::Time(#d)), 10)
            }
            None => (quote!(::resilience::__private::Window::Calls(100u32)), 10),
        };
        if let Some((rate, _)) = self.failure_rate {
            let rate = Literal::f64_suffixed(rate);
            // At least 10 calls (or the whole window when it is smaller) before the rate
            // counts.
            let minimum = self
                .minimum_calls
                .as_ref()
                .map_or(default_minimum, |(n, _)| *n);
            config.extend(quote!(.with_failure_rate(#rate, #window, #minimum)));
        }
        if let Some(d) = &self.slow_call {
            let d = d.to_tokens();
            config.extend(quote!(.with_slow_call(#d)));
        }
        if let Some((factor, _)) = self.recovery_backoff {
            let factor = Literal::f64_suffixed(factor);
            let max = match &self.max_recovery_timeout {
                Some((d, _)) => d.to_tokens(),
                // Ten times the first open period unless set.
                None => match &self.recovery_timeout {
                    Some(d @ DurationArg::Expr(_)) => {
                        let d = d.to_tokens();
                        quote!(::core::time::Duration::saturating_mul(#d, 10))
                    }
                    known => {
                        let base = known.as_ref().and_then(|d| d.nanos());
                        let max = base.unwrap_or(60_000_000_000u64).saturating_mul(10);
                        quote!(::core::time::Duration::from_nanos(#max))
                    }
                },
            };
            config.extend(quote!(.with_recovery_backoff(#factor, #max)));
        }
        if let Some((k, _)) = self.adaptive {
            let k = Literal::f64_suffixed(k);
            config.extend(quote!(.with_adaptive(#k, #window)));
        }
        if let Some(d) = &self.max_trial_wait {
            let d = d.to_tokens();
            config.extend(quote!(.with_max_trial_wait(#d)));
        }
        config
    }

    /// Wraps `inner`, an expression giving one call's result, in a permit of the breaker.
    pub(crate) fn wrap(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        let mixed = Span::mixed_site();
        let ty = &cx.return_type;
        let (site_breaker, name) = cx.breaker_site(self.name.as_ref());
        let config = self.config();
        let counts = match &self.when {
            Some(when) => cx.predicate(when),
            None => quote!(::resilience::__private::any_error),
        };
        // Spanned on the return type, so that an error type without
        // `From<resilience::Error>` is reported there.
        let reject = quote_spanned!(cx.return_type_span=> ::resilience::__private::reject::<#ty>);
        // Under a `#[retry]` that hears it, the rejection is handed over so that it is not
        // retried blindly.
        let rejected = if cx.reports_rejections {
            quote_spanned! {mixed=>
                {
                    __resilience_rejected = ::core::option::Option::Some(
                        ::resilience::__private::Error::retry_in(&__resilience_error),
                    );
                    #reject(__resilience_error)
                }
            }
        } else {
            quote_spanned!(mixed=> #reject(__resilience_error))
        };
        let fallback_call = self.fallback.as_ref().map(|path| cx.call_alike(path));
        let on_rejection = match &fallback_call {
            Some(call) => {
                quote_spanned!(mixed=> { let _ = __resilience_error; #call })
            }
            None => rejected,
        };
        let record = match (&fallback_call, &self.fallback_on_failure) {
            (Some(call), Some((true, _))) => quote_spanned! {mixed=>
                // `when` runs once: the permit records the answer already known.
                let __resilience_failed =
                    ::resilience::__private::counts_as_failure(&__resilience_result, &__resilience_counts);
                __resilience_permit.record(&__resilience_result, |_| __resilience_failed);
                if __resilience_failed { #call } else { __resilience_result }
            },
            // Taken apart and put back together rather than borrowed and moved on: a
            // result borrowed for the report stays in memory and is then copied whole, and
            // the copy's wide loads stall on the narrow stores that just wrote it.
            _ => quote_spanned! {mixed=>
                match __resilience_result {
                    ::core::result::Result::Ok(__resilience_value) => {
                        __resilience_permit.success();
                        ::core::result::Result::Ok(__resilience_value)
                    }
                    ::core::result::Result::Err(__resilience_error) => {
                        if __resilience_counts(&__resilience_error) {
                            __resilience_permit.failure();
                        } else {
                            __resilience_permit.release();
                        }
                        ::core::result::Result::Err(__resilience_error)
                    }
                }
            },
        };
        quote_spanned! {mixed=>
            {
                let __resilience_breaker = {
                    static __RESILIENCE_BREAKER: ::resilience::__private::BreakerSite =
                        ::resilience::__private::BreakerSite::new();
                    #site_breaker(
                        &__RESILIENCE_BREAKER,
                        #name,
                        // An inline `const` (promoted to a `'static`) rather than a `static`
                        // item, so that its durations may name `Self` and generics.
                        &const { #config },
                        ::core::concat!(::core::file!(), ":", ::core::line!()),
                    )
                };
                let __resilience_counts = #counts;
                // The closed state's permit comes as an `Option`, whose three words stay apart
                // (in registers), rather than out of a `Result` in memory: an async function
                // holds it across its `.await`, and copying it whole out of memory stalls.
                '__resilience_guarded: {
                    let __resilience_permit = match __resilience_breaker.try_acquire_closed() {
                        ::core::option::Option::Some(__resilience_permit) => __resilience_permit,
                        ::core::option::Option::None => match __resilience_breaker.try_acquire() {
                            ::core::result::Result::Ok(__resilience_permit) => __resilience_permit,
                            ::core::result::Result::Err(__resilience_error) => {
                                break '__resilience_guarded { #on_rejection };
                            }
                        },
                    };
                    let __resilience_result = #inner;
                    #record
                }
            }
        }
    }
}
