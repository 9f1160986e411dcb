//! Applying a stack of attributes: the first of this crate's attributes that rustc expands
//! takes the ones written below it off the function and applies all of them at once, top to
//! bottom, outermost first. The order on the page is the order of wrapping, whatever order
//! rustc would have expanded them in.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Type;

use crate::{
    args::Errors,
    item::{Function, attribute_args},
    retry::RetryArgs,
};

/// One attribute of the stack, parsed and checked.
pub(crate) enum Layer {
    Retry(RetryArgs),
}

impl Layer {
    fn parse(attribute: &str, args: TokenStream) -> syn::Result<Layer> {
        match attribute {
            "retry" => RetryArgs::parse(args).map(Layer::Retry),
            other => unreachable!("`{other}` is not an attribute of this crate"),
        }
    }

    fn wrap(&self, inner: TokenStream, cx: &Context) -> TokenStream {
        match self {
            Layer::Retry(args) => args.wrap(inner, cx),
        }
    }
}

/// What every layer needs to know about the function it wraps.
pub(crate) struct Context {
    pub(crate) is_async: bool,
    /// The return type as the body can name it (`impl Trait` erased to `_`).
    pub(crate) return_type: Type,
}

/// The whole expansion of `#[attribute(args)]` on `item`.
pub(crate) fn expand(attribute: &str, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut function = match Function::parse(item.clone(), attribute) {
        Ok(function) => function,
        Err(error) => {
            // Keep the item so that the rest of the crate still sees it.
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let stacked = function.take_stacked();
    let mut errors = Errors::default();
    let mut layers = Vec::with_capacity(1 + stacked.len());
    layers.extend(errors.ok(Layer::parse(attribute, args)));
    for (name, attr) in stacked {
        layers.extend(errors.ok(attribute_args(&attr).and_then(|args| Layer::parse(&name, args))));
    }
    if let Err(error) = errors.finish() {
        // The function as written (without this crate's attributes), so that its callers
        // still type-check and only the attribute's mistakes are reported.
        let error = error.to_compile_error();
        return quote!(#error #function);
    }
    function.with_body(body(&function, &layers))
}

/// The new body: the user's block as the innermost attempt, each layer around it.
fn body(function: &Function, layers: &[Layer]) -> TokenStream {
    let cx = Context {
        is_async: function.is_async(),
        return_type: function.body_return_type(),
    };
    let block = &function.block;
    let ty = &cx.return_type;
    let mixed = Span::mixed_site();
    // The body runs in a closure (or an async block) so that its `return` and `?` end the
    // attempt, not the function; the turbofish gives `?` its target type.
    let mut inner = if cx.is_async {
        quote_spanned!(mixed=> ::resilience::__private::attempt_async::<#ty, _>(async #block).await)
    } else {
        quote_spanned!(mixed=> ::resilience::__private::attempt::<#ty, _>(|| #block))
    };
    for layer in layers.iter().rev() {
        inner = layer.wrap(inner, &cx);
    }
    // A return type that is not a `Result` fails here, at the user's return type, with a
    // message that says so. (`impl Trait` inside it cannot be named in a body; such a type is
    // spelled as a `Result` anyway.)
    let declared = function.return_type();
    let check = if declared.to_token_stream().to_string() == ty.to_token_stream().to_string() {
        quote_spanned! {syn::spanned::Spanned::span(declared)=>
            ::resilience::__private::returns_result::<#ty>();
        }
    } else {
        TokenStream::new()
    };
    quote!(#check #inner)
}
