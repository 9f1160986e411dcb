//! Writing `#[timeout]` as a deadline around the attempt.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::parse::TimeoutArgs;
use crate::stack::Context;

impl TimeoutArgs {
    /// Wraps `inner`, an expression giving one call's result, in the time limit.
    pub(crate) fn wrap(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
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
                cx.clone_arguments()
            } else {
                TokenStream::new()
            };
            let moves = cx.move_arguments_to_worker();
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
