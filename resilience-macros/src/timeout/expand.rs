//! Writing `#[timeout]` as a deadline around the attempt.

use proc_macro2::{Span, TokenStream};
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
        // The error type is all the check needs: an `impl Trait` elsewhere in the return type,
        // which a body can only write as `_` and nothing here would infer, is written `()`.
        let ty = cx.function.return_type_for_its_error();
        let check = quote_spanned! {cx.return_type_span=>
            ::resilience::__private::can_reject::<#ty>();
        };
        if cx.is_async {
            let future = match &cx.body_future {
                Some(future) => future.clone(),
                None => quote_spanned!(mixed=> async { #inner }),
            };
            quote_spanned! {mixed=>
                {
                    #check
                    ::resilience::__private::timeout_async(#name, #limit, #future).await
                }
            }
        } else {
            // The body moves to a worker thread; under a retry each attempt takes its own
            // copy of the arguments.
            let copies = if cx.retried_outside {
                cx.clone_arguments()
            } else {
                TokenStream::new()
            };
            quote_spanned! {mixed=>
                {
                    #check
                    #copies
                    ::resilience::__private::timeout_sync(#name, #limit, move || #inner)
                }
            }
        }
    }
}
