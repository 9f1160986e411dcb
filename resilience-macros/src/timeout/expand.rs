//! The third phase of `#[timeout]`: a deadline around a call.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::TimeoutArgs;
use crate::{context::Context, params};

impl TimeoutArgs {
    /// Wraps `inner`, an expression giving one call's result, in the time limit.
    pub(crate) fn expand(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        let mixed = Span::mixed_site();
        let name = match &self.name {
            Some(name) => quote!(#name),
            None => cx.default_name(),
        };
        let limit = self.limit.to_tokens();
        // Explicit, so that an error type without `From<resilience::Error>` is reported once,
        // at the return type, by the check there.
        let error = cx.error_type();
        if cx.is_async {
            let future = match &cx.body_future {
                Some(future) => future.clone(),
                None => quote_spanned!(mixed=> async { #inner }),
            };
            // The conversion of the timeout error is written where the return type is, so
            // that an error type without `From<resilience::Error>` is reported there once, by
            // the check at the top. A function pointer: a function item would bring its
            // `From` bound along to the call, to be reported again there.
            let (first, last) = cx.return_type_ends();
            let from = Ident::new("from", last);
            let convert = quote_spanned!(first=> ::core::convert::From::#from);
            let into = Ident::new("__resilience_into", mixed);
            quote_spanned! {mixed=>
                {
                    let #into: fn(::resilience::__private::Error) -> #error = #convert;
                    ::resilience::__private::timeout_async_into(#name, #limit, #future, #into)
                        .await
                }
            }
        } else {
            // The body moves to a worker thread, and each argument with it: under a retry
            // each attempt takes its own copy of them.
            let copies = if cx.retried_outside {
                clone_arguments(cx)
            } else {
                TokenStream::new()
            };
            let moves = move_arguments_to_worker(cx);
            quote_spanned! {mixed=>
                {
                    #copies
                    #moves
                    ::resilience::__private::timeout_sync::<_, #error, _>(#name, #limit, move || #inner)
                }
            }
        }
    }
}

/// `let a = <A as WorkerArgument>::to_worker(a);` for each name the arguments bind, before the
/// body moves to a worker thread: the identity, whose bound reports an argument that is not
/// `Send + 'static` at the argument, with why and what to do, instead of at the attribute,
/// inside a closure.
fn move_arguments_to_worker(cx: &Context<'_>) -> TokenStream {
    let mut moves = TokenStream::new();
    for binding in params::bindings(&cx.function.sig) {
        // A `ref` binding borrows from the argument: the compiler's own error says so.
        if binding.pat.by_ref.is_some() {
            continue;
        }
        let ident = &binding.pat.ident;
        let ty = binding.nameable_type();
        // A `mut` argument stays mutable; borrowing it once keeps the user's `mut` used.
        let mutability = &binding.pat.mutability;
        if mutability.is_some() {
            moves.extend(quote_spanned!(binding.span=> let _ = &mut #ident;));
        }
        moves.extend(quote_spanned! {binding.span=>
            let #mutability #ident =
                <#ty as ::resilience::__private::WorkerArgument>::to_worker(#ident);
        });
    }
    moves
}

/// `let a = a.clone();` for each name the arguments bind, so that a body moved to another
/// thread takes its own copy. (`params::check_copied_per_attempt` refused `self` and `mut`.)
fn clone_arguments(cx: &Context<'_>) -> TokenStream {
    let mut copies = TokenStream::new();
    for binding in params::bindings(&cx.function.sig) {
        let ident = &binding.pat.ident;
        // Spanned on the argument's type, where a missing `Clone` is reported; without
        // writing the type, which may be an `impl Trait` that a `let` cannot name.
        copies.extend(quote_spanned! {binding.span=>
            let #ident = ::core::clone::Clone::clone(&#ident);
        });
    }
    copies
}
