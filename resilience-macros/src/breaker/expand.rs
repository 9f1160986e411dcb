//! The third phase of `#[circuit_breaker]`: a permit of the breaker taken around a call.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{BreakerArgs, Window};
use crate::{context::Context, params};

impl BreakerArgs {
    /// How the call site finds its breaker: the runtime function to call, and the name to
    /// pass it. A method without a `name` is named after its `Self` type as well,
    /// `module::Type::method`, so that two types' methods never share a breaker by accident;
    /// a free function keeps `module::function`.
    fn site(&self, cx: &Context<'_>) -> (TokenStream, TokenStream) {
        match &self.name {
            Some(name) => (quote!(::resilience::__private::site_breaker), quote!(#name)),
            None if cx.function.is_method() => {
                let ident = cx.name();
                (
                    quote!(::resilience::__private::method_site_breaker::<Self>),
                    quote!(::core::module_path!(), #ident),
                )
            }
            None => (
                quote!(::resilience::__private::site_breaker),
                cx.default_name(),
            ),
        }
    }

    /// `let __resilience_breaker = ..;`: the call site's breaker, or with a `key`, the breaker
    /// of this call's key in the site's family.
    fn breaker(&self, cx: &Context<'_>) -> TokenStream {
        let mixed = Span::mixed_site();
        let (site_breaker, name) = self.site(cx);
        let config = self.config();
        let site = quote!(::core::concat!(::core::file!(), ":", ::core::line!()));
        let Some((key, _)) = &self.key else {
            return quote_spanned! {mixed=>
                let __resilience_breaker = {
                    static __RESILIENCE_BREAKER: ::resilience::__private::BreakerSite =
                        ::resilience::__private::BreakerSite::new();
                    #site_breaker(
                        &__RESILIENCE_BREAKER,
                        #name,
                        // An inline `const` (promoted to a `'static`) rather than a `static`
                        // item, so that its durations may name `Self` and generics.
                        &const { #config },
                        #site,
                    )
                };
            };
        };
        let mut keyed = quote!(::resilience::__private::KeyedConfig::new());
        if let Some((n, _)) = &self.max_keys {
            let n = Literal::usize_unsuffixed(*n as usize);
            keyed.extend(quote!(.with_max_keys(#n)));
        }
        if let Some(idle) = &self.idle_timeout {
            let d = idle.0.to_tokens();
            keyed.extend(quote!(.with_idle_timeout(#d)));
        }
        // At the key, so that a key without `Display` is reported there.
        let key = quote_spanned!(key.span()=> ::resilience::__private::breaker_key(&(#key)));
        quote_spanned! {mixed=>
            // Each call (each attempt, under a `#[retry]`) takes its key's breaker, an `Arc`
            // held for the call so that its breaker is not evicted meanwhile.
            let __resilience_breaker = {
                static __RESILIENCE_FAMILY: ::resilience::__private::KeyedSite =
                    ::resilience::__private::KeyedSite::new();
                ::resilience::__private::keyed_site(
                    &__RESILIENCE_FAMILY,
                    #name,
                    &const { #config },
                    &const { #keyed },
                    #site,
                )
                .breaker(#key)
            };
        }
    }

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
        // The window of the failure rate and of the throttle, and the failure rate's minimum
        // number of calls, as written: the runtime fills in its defaults for the others.
        let none = || quote!(::core::option::Option::None);
        let window = match &self.window {
            Some((Window::Calls(n), _)) => {
                quote!(::core::option::Option::Some(::resilience::__private::Window::Calls(#n)))
            }
            Some((Window::Time(d), _)) => {
                let d = d.to_tokens();
                quote!(::core::option::Option::Some(::resilience::__private::Window::Time(#d)))
            }
            None => none(),
        };
        if let Some((rate, _)) = self.failure_rate {
            let rate = Literal::f64_suffixed(rate);
            let minimum = match &self.minimum_calls {
                Some((n, _)) => quote!(::core::option::Option::Some(#n)),
                None => none(),
            };
            config =
                quote!(::resilience::__private::failure_rate(#config, #rate, #window, #minimum));
        }
        if let Some(d) = &self.slow_call {
            let d = d.to_tokens();
            config.extend(quote!(.with_slow_call(#d)));
        }
        if let Some((factor, _)) = self.recovery_backoff {
            let factor = Literal::f64_suffixed(factor);
            // Without `max_recovery_timeout`, the runtime's cap: a multiple of the recovery
            // timeout, which is applied above.
            let max = match &self.max_recovery_timeout {
                Some((d, _)) => {
                    let d = d.to_tokens();
                    quote!(::core::option::Option::Some(#d))
                }
                None => none(),
            };
            config = quote!(::resilience::__private::recovery_backoff(#config, #factor, #max));
        }
        if let Some((k, _)) = self.adaptive {
            let k = Literal::f64_suffixed(k);
            config = quote!(::resilience::__private::adaptive(#config, #k, #window));
        }
        if let Some(d) = &self.max_trial_wait {
            let d = d.to_tokens();
            config.extend(quote!(.with_max_trial_wait(#d)));
        }
        config
    }

    /// Wraps `inner`, an expression giving one call's result, in a permit of the breaker.
    pub(crate) fn expand(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        let mixed = Span::mixed_site();
        let ty = &cx.return_type;
        let breaker = self.breaker(cx);
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
        let fallback_call = self.fallback.as_ref().map(|path| fallback_call(path, cx));
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
                #breaker
                let __resilience_counts = #counts;
                // The closed state's permit comes as an `Option`, whose three words stay apart
                // (in registers), rather than out of a `Result` in memory: an async function
                // holds it across its `.await`, and copying it whole out of memory stalls.
                '__resilience_guarded: {
                    let __resilience_permit = match ::resilience::__private::try_acquire_closed(&__resilience_breaker) {
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

/// The call of the `fallback` function with the function's own arguments, `.await`ed in an
/// async function. (A parameter that cannot be passed on was refused with the stack's checks,
/// and its error is the call.)
fn fallback_call(path: &syn::Path, cx: &Context<'_>) -> TokenStream {
    let call = params::call_with_arguments(&cx.function.sig, path)
        .unwrap_or_else(syn::Error::into_compile_error);
    if cx.is_async {
        quote!(#call.await)
    } else {
        call
    }
}
