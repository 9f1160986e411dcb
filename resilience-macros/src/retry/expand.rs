//! The third phase of `#[retry]`: the retry loop written around an attempt.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{Attempts, Backoff, Budget, Cap, Jitter, RetryArgs};
use crate::{context::Context, duration::DurationArg};

impl RetryArgs {
    /// The policy: as a `const` expression (`policy = PATH`, or the arguments written applied
    /// to the runtime's defaults with its `const` builders), and the calls of
    /// `__private::RuntimePolicy` that apply the arguments known only when the function is
    /// called (empty when there are none: the policy is then built at compile time).
    fn policy(&self, cx: &Context<'_>) -> (TokenStream, TokenStream) {
        if let Some(path) = &self.policy {
            return (quote!(#path), TokenStream::new());
        }
        let mut policy = quote!(::resilience::__private::RetryPolicy::new());
        let mut at_run_time = TokenStream::new();
        // A run-time argument, typed by the runtime's method at the user's expression.
        let mut run_time = |method: &str, expr: &syn::Expr| {
            let value = stray_word(cx, method, expr).unwrap_or_else(|| quote!(#expr));
            let method = syn::Ident::new(method, expr.span());
            at_run_time.extend(quote_spanned!(expr.span()=> .#method(#value)));
        };
        match &self.attempts {
            Some(Attempts::Total(n)) => policy.extend(quote!(.with_max_attempts(#n))),
            Some(Attempts::Retries(n)) => policy.extend(quote!(.with_max_retries(#n))),
            Some(Attempts::Unlimited) => policy.extend(quote!(.with_unlimited_attempts())),
            Some(Attempts::TotalAt(expr)) => run_time("max_attempts", expr),
            Some(Attempts::RetriesAt(expr)) => run_time("max_retries", expr),
            None => {}
        }
        // `multiplier` implies exponential; setting it below says so once.
        let multiplier_written = self.multiplier.is_some() || self.multiplier_at.is_some();
        if let Some((backoff, _)) = self.backoff.as_ref().filter(|_| !multiplier_written) {
            // Exponential without a multiplier: the runtime's default one.
            let backoff = match backoff {
                Backoff::Constant => quote!(Backoff::Constant),
                Backoff::Linear => quote!(Backoff::Linear),
                Backoff::Fibonacci => quote!(Backoff::Fibonacci),
                Backoff::Exponential => quote!(DEFAULT_EXPONENTIAL),
            };
            policy.extend(quote!(.with_backoff(::resilience::__private::#backoff)));
        }
        if let Some((multiplier, _)) = self.multiplier {
            let m = Literal::f64_suffixed(multiplier);
            policy.extend(quote!(.with_multiplier(#m)));
        }
        if let Some(expr) = &self.multiplier_at {
            run_time("multiplier", expr);
        }
        let mut durations = Vec::new();
        if let Some(d) = &self.initial_delay {
            durations.push((d, "initial_delay"));
        }
        match &self.max_delay {
            Some(Cap::At(d)) => durations.push((d, "max_delay")),
            Some(Cap::None) => policy.extend(quote!(.without_max_delay())),
            None => {}
        }
        match &self.max_retry_after {
            Some(Cap::At(d)) => durations.push((d, "max_retry_after")),
            Some(Cap::None) => policy.extend(quote!(.without_max_retry_after())),
            None => {}
        }
        if let Some(d) = &self.max_elapsed {
            durations.push((d, "max_elapsed"));
        }
        // A duration that names `self` or an argument is given at run time; any other is a
        // `const` expression, evaluated at compile time as before.
        for (d, key) in durations {
            match d {
                DurationArg::Expr(expr) if cx.is_run_time(expr) => run_time(key, expr),
                DurationArg::Expr(expr) if stray_word(cx, key, expr).is_some() => {
                    let error = stray_word(cx, key, expr);
                    let method = syn::Ident::new(&format!("with_{key}"), Span::call_site());
                    policy.extend(quote!(.#method(#error)));
                }
                d => {
                    let d = d.to_tokens();
                    let method = syn::Ident::new(&format!("with_{key}"), Span::call_site());
                    policy.extend(quote!(.#method(#d)));
                }
            }
        }
        if let Some(jitter) = &self.jitter {
            let jitter = match jitter {
                Jitter::None => quote!(None),
                Jitter::Full => quote!(Full),
                Jitter::Equal => quote!(Equal),
                Jitter::Decorrelated => quote!(Decorrelated),
                Jitter::Proportional(fraction) => {
                    let f = Literal::f64_suffixed(*fraction);
                    quote!(Proportional(#f))
                }
            };
            policy.extend(quote!(.with_jitter(::resilience::__private::Jitter::#jitter)));
        }
        (policy, at_run_time)
    }

    /// Wraps `inner`, an expression giving one attempt's result, in the retry loop.
    pub(crate) fn expand(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        let (policy, at_run_time) = self.policy(cx);
        // The call site's statistics, in a `static` of its own: counting a success at once
        // is one relaxed increment, and the site lists itself on its first call.
        let name = match &self.name {
            Some(name) => quote!(#name),
            None => cx.default_name(),
        };
        // A named budget is looked up on the site's first call and kept in a `static`, as a
        // breaker is.
        let (budget_site, budget) = match &self.budget {
            None => (TokenStream::new(), TokenStream::new()),
            Some(Budget::None) => (TokenStream::new(), quote!(.without_budget())),
            Some(Budget::Named(budget)) => (
                quote! {
                    static __RESILIENCE_BUDGET: ::resilience::__private::BudgetSite =
                        ::resilience::__private::BudgetSite::new();
                },
                quote!(.budget_site(&__RESILIENCE_BUDGET, #budget)),
            ),
        };
        let policy_local = syn::Ident::new("__resilience_policy", Span::mixed_site());
        // At the user's path, so that a constant of another type is one error there.
        let policy_type = match &self.policy {
            Some(path) => quote_spanned!(path.span()=> ::resilience::__private::RetryPolicy),
            None => quote!(::resilience::__private::RetryPolicy),
        };
        // Each path is typed as a function of the declared error type, at the path, so that
        // a function of the wrong signature is one error there naming the one expected.
        let when = match &self.when {
            Some(when) => cx.predicate(when),
            None => quote!(::resilience::__private::AnyError),
        };
        let hook = match &self.on_retry {
            Some(hook) => cx.hook(hook),
            None => quote!(::resilience::__private::NoHook),
        };
        // The whole retry is an inline `const` block, borrowed for `'static`: evaluated at
        // compile time, able to name `Self` and the function's generics (which a `const` item
        // could not), and held by an async function's future as a pointer, not a copy.
        let site = quote! {
            static __RESILIENCE_SITE: ::resilience::__private::RetrySite =
                ::resilience::__private::RetrySite::new(#name);
            #budget_site
        };
        let retry = if at_run_time.is_empty() {
            quote! {
                {
                    #site
                    &const {
                        ::resilience::__private::Retry::for_site(
                            {
                                let #policy_local: #policy_type = #policy;
                                #policy_local
                            },
                            &__RESILIENCE_SITE,
                            #when,
                            #hook,
                        )
                        #budget
                    }
                }
            }
        } else {
            // Arguments known only when the function is called: the retry is built on each
            // call, its run-time values checked by their settings' rules.
            quote! {
                &{
                    #site
                    ::resilience::__private::Retry::for_site(
                        ::resilience::__private::RuntimePolicy::new(
                            {
                                let #policy_local: #policy_type = #policy;
                                #policy_local
                            },
                            &__RESILIENCE_SITE,
                        )
                        #at_run_time
                        .finish(),
                        &__RESILIENCE_SITE,
                        #when,
                        #hook,
                    )
                    #budget
                }
            }
        };
        let mixed = Span::mixed_site();
        let (clock, sleep) = if cx.is_async {
            (
                quote!(Tokio),
                quote_spanned!(mixed=> ::resilience::__private::sleep_task(__resilience_delay).await),
            )
        } else {
            (
                quote!(Thread),
                quote_spanned!(mixed=> ::resilience::__private::sleep_thread(__resilience_delay)),
            )
        };
        // With a `#[circuit_breaker]` below, its rejection is handed over in a local: it is
        // not retried blindly (see `Attempts::next_rejected`).
        let (rejection, next) = if cx.hears_rejections {
            (
                quote_spanned! {mixed=>
                    let mut __resilience_rejected: ::core::option::Option<
                        ::core::option::Option<::core::time::Duration>,
                    > = ::core::option::Option::None;
                },
                quote_spanned! {mixed=>
                    match __resilience_rejected.take() {
                        ::core::option::Option::Some(__resilience_retry_in) => __resilience_state
                            .next_rejected(
                                __resilience_result,
                                __resilience_retry_in,
                                __resilience_describe,
                            ),
                        ::core::option::Option::None => __resilience_state.next_described(
                            __resilience_result,
                            __resilience_hint,
                            __resilience_describe,
                        ),
                    }
                },
            )
        } else {
            (
                TokenStream::new(),
                quote_spanned! {mixed=>
                    __resilience_state.next_described(
                        __resilience_result,
                        __resilience_hint,
                        __resilience_describe,
                    )
                },
            )
        };
        // With `retry_if_ok`, a value it picks goes to the state machine as an error would,
        // with the hint its `RetryAfter` gives (where its type implements it).
        // The attempt's block is then labelled, to leave it with the delay from that arm,
        // and so is the loop, which a `break` inside a labelled block must name.
        let (label, loop_label, exit, retried_value) = match &self.retry_if_ok {
            None => (
                TokenStream::new(),
                TokenStream::new(),
                TokenStream::new(),
                TokenStream::new(),
            ),
            Some(path) => {
                let predicate = cx.value_predicate(path);
                let label = syn::Lifetime::new("'__resilience_attempt", mixed);
                let exit = syn::Lifetime::new("'__resilience_retry", mixed);
                (
                    quote!(#label:),
                    quote!(#exit:),
                    quote!(#exit),
                    quote_spanned! {mixed=>
                        ::core::result::Result::Ok(__resilience_value)
                            if (#predicate)(&__resilience_value) =>
                        {
                            let __resilience_hint = {
                                #[allow(unused_imports)]
                                use ::resilience::__private::{
                                    HintFallback as _, HintViaRetryAfter as _,
                                };
                                (&::resilience::__private::HintProbe(&__resilience_value))
                                    .resilience_hint()
                            };
                            let __resilience_state =
                                __resilience_attempts.get_or_insert_with(|| {
                                    __resilience_retry.start_at(
                                        ::resilience::__private::Clock::#clock,
                                        __resilience_started,
                                    )
                                });
                            match __resilience_state.next_value(__resilience_value, __resilience_hint) {
                                ::resilience::__private::Step::Done(__resilience_result) => {
                                    break #exit __resilience_result;
                                }
                                ::resilience::__private::Step::Wait(__resilience_delay) => {
                                    break #label __resilience_delay;
                                }
                            }
                        }
                    },
                )
            }
        };
        // After a label, a path starting `::` would read as the label of a block (`'a: {`) to
        // a parser of the expansion: the qualified form starts with `<` instead.
        let ok = if self.retry_if_ok.is_some() {
            quote!(<::core::result::Result<_, _>>::Ok)
        } else {
            quote!(::core::result::Result::Ok)
        };
        quote_spanned! {mixed=>
            {
                let __resilience_retry = #retry;
                let __resilience_started =
                    __resilience_retry.started(::resilience::__private::Clock::#clock);
                // Made on the first failure: a call that succeeds at once never builds it.
                let mut __resilience_attempts = ::core::option::Option::None;
                #rejection
                #loop_label loop {
                    // The attempt's result lives in this block only, not across the sleep:
                    // an async fn's state machine then keeps it out of the future, and the
                    // success path moves it in registers.
                    let __resilience_delay = #label {
                        // Taken apart and put back together rather than borrowed and moved
                        // on, so that a success is not copied out of memory whole (a copy
                        // whose wide loads stall on the narrow stores that wrote it).
                        let __resilience_result = match #inner {
                            #retried_value
                            ::core::result::Result::Ok(__resilience_value) => {
                                __resilience_retry.record_ok(&__resilience_attempts);
                                break #exit #ok(__resilience_value);
                            }
                            ::core::result::Result::Err(__resilience_error) => {
                                ::core::result::Result::Err(__resilience_error)
                            }
                        };
                        let __resilience_hint =
                            ::resilience::__private::hint!(&__resilience_result);
                        let __resilience_describe =
                            ::resilience::__private::describe!(&__resilience_result);
                        let __resilience_state = __resilience_attempts.get_or_insert_with(|| {
                            __resilience_retry.start_at(
                                ::resilience::__private::Clock::#clock,
                                __resilience_started,
                            )
                        });
                        match #next {
                            ::resilience::__private::Step::Done(__resilience_result) => {
                                break #exit __resilience_result;
                            }
                            ::resilience::__private::Step::Wait(__resilience_delay) => {
                                __resilience_delay
                            }
                        }
                    };
                    #sleep;
                    // Counted when its attempt starts: not if the call is dropped during
                    // the sleep, nor if the hook panicked.
                    ::resilience::__private::retry_started(
                        &__resilience_retry,
                        __resilience_delay,
                    );
                }
            }
        }
    }
}

/// The error for a value of `key` that is a bare word in lower case naming none of the
/// function's arguments: most likely a misspelt keyword (`unlimted`, `nnone`) or a value
/// written without its quotes, which rustc would answer only with "cannot find value". A
/// constant (named in upper case, or by a path) or an argument is taken as written.
fn stray_word(cx: &Context<'_>, key: &str, expr: &syn::Expr) -> Option<TokenStream> {
    let syn::Expr::Path(path) = expr else {
        return None;
    };
    let ident = path.path.get_ident().filter(|_| path.qself.is_none())?;
    let word = ident.to_string();
    if !word.starts_with(|c: char| c.is_lowercase() || c == '_') || cx.is_run_time(expr) {
        return None;
    }
    let (takes, keywords): (&str, &[&str]) = match key {
        "max_attempts" => (
            "an integer, as in `max_attempts = 3`, or `unlimited`",
            &["unlimited"],
        ),
        "max_retries" => ("an integer, as in `max_retries = 2`", &[]),
        "multiplier" => ("a number, as in `multiplier = 1.5`", &[]),
        "max_delay" | "max_retry_after" => ("a duration, as in `\"30s\"`, or `none`", &["none"]),
        _ => ("a duration, as in `\"100ms\"`", &[]),
    };
    let message = if key == "max_retries" && word == "unlimited" {
        "`max_retries` has no `unlimited`: write `max_attempts = unlimited` for no limit (the retry budget and `max_elapsed` still bound it)".to_owned()
    } else {
        let hint = match crate::args::closest(&word, keywords) {
            Some(keyword) => format!(": did you mean `{keyword}`?"),
            None => format!(
                ": `{word}` is not an argument of `{}`; write a literal, a constant, or an expression over the arguments",
                cx.name()
            ),
        };
        format!("`{key}` takes {takes}, or an expression{hint}")
    };
    Some(syn::Error::new(ident.span(), message).to_compile_error())
}
