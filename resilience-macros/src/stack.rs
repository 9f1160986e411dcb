//! Applying a stack of attributes: the first of this crate's attributes that rustc expands
//! takes the ones written below it off the function and applies all of them at once, top to
//! bottom, outermost first. The order on the page is the order of wrapping, whatever order
//! rustc would have expanded them in.
//!
//! Each attribute goes through its three phases (parse, validate, expand); between the
//! second and the third, the stack checks what its layers together need of the function's
//! parameters (`params`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

use crate::{
    attribute::{self, Attribute},
    breaker::BreakerArgs,
    context::Context,
    errors::Errors,
    item::Function,
    params,
    retry::RetryArgs,
    timeout::TimeoutArgs,
};

/// One attribute of the stack, parsed and checked.
enum Layer {
    Retry(RetryArgs),
    Breaker(BreakerArgs),
    Timeout(TimeoutArgs),
}

impl Layer {
    fn parse(attribute: Attribute, args: TokenStream) -> syn::Result<Layer> {
        match attribute {
            Attribute::Retry => RetryArgs::parse(args).map(Layer::Retry),
            Attribute::CircuitBreaker => BreakerArgs::parse(args).map(Layer::Breaker),
            Attribute::Timeout => TimeoutArgs::parse(args).map(Layer::Timeout),
        }
    }

    fn expand(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        match self {
            Layer::Retry(args) => args.expand(inner, cx),
            Layer::Breaker(args) => args.expand(inner, cx),
            Layer::Timeout(args) => args.expand(inner, cx),
        }
    }
}

/// The whole expansion of `#[attribute(args)]` on `item`.
pub(crate) fn expand(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
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
    for (attribute, attr) in &stacked {
        layers.extend(
            errors.ok(attribute::arguments(attr).and_then(|args| Layer::parse(*attribute, args))),
        );
    }
    check_repeats(attribute, &stacked, &mut errors);
    check_parameters(&function, &layers, &mut errors);
    // The attributes applied here are never expanded by rustc, so their imports would look
    // unused: name each one once, inside the body, where it changes nothing.
    let uses: TokenStream = stacked
        .iter()
        .map(|(_, attr)| {
            let path = attr.path();
            quote!(#[allow(unused_imports)] use #path as _;)
        })
        .collect();
    if let Err(error) = errors.finish() {
        // The function as written (without this crate's attributes), so that its callers
        // still type-check and only the attribute's mistakes are reported.
        let error = error.to_compile_error();
        let function = function.as_written(uses);
        return quote!(#error #function);
    }
    let body = body(&function, &layers);
    function.with_body(quote!(#uses #body))
}

/// An attribute written twice would multiply its effect.
fn check_repeats(
    expanded: Attribute,
    stacked: &[(Attribute, syn::Attribute)],
    errors: &mut Errors,
) {
    // Every attribute of the stack with where it was written: the one being expanded at the
    // call site.
    let expanded_ident = syn::Ident::new(expanded.name(), Span::call_site());
    let written: Vec<(Attribute, TokenStream)> =
        std::iter::once((expanded, quote!(#[#expanded_ident])))
            .chain(
                stacked
                    .iter()
                    .map(|(attribute, attr)| (*attribute, attr.to_token_stream())),
            )
            .collect();
    for (index, (attribute, attr)) in written.iter().enumerate() {
        if written[..index]
            .iter()
            .any(|(earlier, _)| earlier == attribute)
        {
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "`#[{attribute}]` is written twice on this function: keep one (two would multiply its effect, such as retries of retries or every call counted twice)"
                ),
            ));
        }
    }
}

/// What the layers together need of the function's parameters.
fn check_parameters(function: &Function, layers: &[Layer], errors: &mut Errors) {
    let sig = &function.sig;
    let position = |is: fn(&Layer) -> bool| layers.iter().position(is);
    let retry = position(|l| matches!(l, Layer::Retry(_)));
    let timeout = position(|l| matches!(l, Layer::Timeout(_)));
    if retry.is_some() {
        errors.ok(params::check_no_mut_borrow_across_attempts(sig));
    }
    if !function.is_async() {
        if timeout.is_some() {
            errors.ok(params::check_owned(sig));
        }
        if matches!((retry, timeout), (Some(retry), Some(timeout)) if retry < timeout) {
            errors.ok(params::check_copied_per_attempt(sig));
        }
    }
    for layer in layers {
        if let Layer::Breaker(breaker) = layer {
            if let Some(fallback) = breaker.fallback() {
                errors.ok(params::call_with_arguments(sig, fallback));
            }
            if let Some(key) = breaker.key() {
                errors.ok(params::check_key(sig, key));
            }
        }
    }
}

/// The new body: the user's block as the innermost attempt, each layer around it.
fn body(function: &Function, layers: &[Layer]) -> TokenStream {
    let mut cx = Context::new(function);
    let block = function.block();
    let ty = cx.return_type.clone();
    let mixed = Span::mixed_site();
    // The body runs in a closure (or an async block) so that its `return` and `?` end the
    // attempt, not the function; the turbofish gives `?` its target type.
    let body_future =
        quote_spanned!(mixed=> ::resilience::__private::attempt_async::<#ty, _>(async #block));
    let mut inner = if cx.is_async {
        cx.call_at_return_type(
            "into_result",
            quote!(#ty),
            quote_spanned!(mixed=> #body_future.await),
        )
    } else {
        cx.call_at_return_type("attempt", quote!(#ty, _), quote_spanned!(mixed=> || #block))
    };
    for (index, layer) in layers.iter().enumerate().rev() {
        cx.retried_outside = layers[..index].iter().any(|l| matches!(l, Layer::Retry(_)));
        cx.hears_rejections = matches!(layer, Layer::Retry(_))
            && layers[index + 1..]
                .iter()
                .position(|l| matches!(l, Layer::Breaker(_)))
                .is_some_and(|at| hands_over(cx.is_async, &layers[index + 1..][..at]));
        cx.reports_rejections = matches!(layer, Layer::Breaker(_))
            && layers[..index]
                .iter()
                .rposition(|l| matches!(l, Layer::Retry(_)))
                .is_some_and(|at| hands_over(cx.is_async, &layers[at + 1..index]));
        let innermost = index + 1 == layers.len();
        cx.body_future = (cx.is_async && innermost).then(|| body_future.clone());
        inner = layer.expand(inner, &cx);
    }
    // A return type that is not a `Result`, or whose error type cannot carry the errors of a
    // breaker or a timeout, fails here, at the user's return type, with a message that says
    // so. The type is checked for its error type only, so an `impl Trait` in it is replaced
    // by a type the body can name. The runtime's own bounds on the same type, met later at the
    // same tokens, then add no second error.
    let checked = function.return_type_for_its_error();
    let mut check = quote_spanned! {cx.return_type_span=>
        ::resilience::__private::returns_result::<#checked>();
    };
    if layers
        .iter()
        .any(|l| matches!(l, Layer::Breaker(_) | Layer::Timeout(_)))
    {
        check.extend(quote_spanned! {cx.return_type_span=>
            ::resilience::__private::can_reject::<#checked>();
        });
    }
    let whole = cx.call_at_return_type("from_result", quote!(#ty), inner);
    quote!(#check #whole)
}

/// Whether a breaker's rejection reaches the retry above it through the layers `between`
/// them: not through another retry (which hears it first), nor through a sync `#[timeout]`,
/// whose body runs on a worker thread.
fn hands_over(is_async: bool, between: &[Layer]) -> bool {
    between.iter().all(|l| match l {
        Layer::Retry(_) | Layer::Breaker(_) => false,
        Layer::Timeout(_) => is_async,
    })
}
