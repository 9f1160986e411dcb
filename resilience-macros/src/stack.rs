//! Applying a stack of attributes: the first of this crate's attributes that rustc expands
//! takes the ones written below it off the function and applies all of them at once, top to
//! bottom, outermost first. The order on the page is the order of wrapping, whatever order
//! rustc would have expanded them in.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{FnArg, Ident, Pat, Path, Type, spanned::Spanned};

use crate::{
    args::{Errors, KeyValueArgs},
    breaker::BreakerArgs,
    item::{Function, attribute_args},
    retry::RetryArgs,
    timeout::TimeoutArgs,
};

/// One attribute of the stack, parsed and checked.
pub(crate) enum Layer {
    Retry(RetryArgs),
    Breaker(BreakerArgs),
    Timeout(TimeoutArgs),
}

impl Layer {
    fn parse(attribute: &str, args: TokenStream) -> syn::Result<Layer> {
        match attribute {
            "retry" => RetryArgs::parse(args).map(Layer::Retry),
            "circuit_breaker" => BreakerArgs::parse(args).map(Layer::Breaker),
            "timeout" => TimeoutArgs::parse(args).map(Layer::Timeout),
            other => unreachable!("`{other}` is not an attribute of this crate"),
        }
    }

    fn wrap(&self, inner: TokenStream, cx: &Context<'_>) -> TokenStream {
        match self {
            Layer::Retry(args) => args.wrap(inner, cx),
            Layer::Breaker(args) => args.wrap(inner, cx),
            Layer::Timeout(args) => args.wrap(inner, cx),
        }
    }
}

/// What every layer needs to know about the function it wraps.
pub(crate) struct Context<'f> {
    pub(crate) function: &'f Function,
    pub(crate) name: Ident,
    pub(crate) is_async: bool,
    /// The return type as the body can name it (`impl Trait` erased to `_`).
    pub(crate) return_type: Type,
    /// Where the return type is written, for type errors about it.
    pub(crate) return_type_span: Span,
    /// Whether a `#[retry]` is written above the layer being expanded.
    pub(crate) retried_outside: bool,
    /// For a `#[retry]`: whether a `#[circuit_breaker]` below it hands its rejections over.
    pub(crate) hears_rejections: bool,
    /// For a `#[circuit_breaker]`: whether a `#[retry]` above it hears its rejections.
    pub(crate) reports_rejections: bool,
    /// For the layer right around an async body: the body's future itself, so that a layer
    /// that takes a future need not wrap `inner` in another `async` block.
    pub(crate) body_future: Option<TokenStream>,
}

impl Context<'_> {
    /// `module::path::function`, the default name of breakers and timeouts.
    pub(crate) fn default_name(&self) -> TokenStream {
        let ident = syn::ext::IdentExt::unraw(&self.name).to_string();
        quote!(::core::concat!(::core::module_path!(), "::", #ident))
    }

    /// How a breaker's call site finds its breaker: the runtime function to call, and the
    /// name to pass it. A method without a `name` is named after its `Self` type as well,
    /// `module::Type::method`, so that two types' methods never share a breaker by accident;
    /// a free function keeps `module::function`.
    pub(crate) fn breaker_site(&self, name: Option<&syn::LitStr>) -> (TokenStream, TokenStream) {
        match name {
            Some(name) => (quote!(::resilience::__private::site_breaker), quote!(#name)),
            None if self.function.is_method() => {
                let ident = syn::ext::IdentExt::unraw(&self.name).to_string();
                (
                    quote!(::resilience::__private::method_site_breaker::<Self>),
                    quote!(::core::module_path!(), #ident),
                )
            }
            None => (
                quote!(::resilience::__private::site_breaker),
                self.default_name(),
            ),
        }
    }

    /// The function `path`, for `when = path`: a `fn(&E) -> bool` for the function's error
    /// type `E`. It is typed as that function pointer, at `path`, so that a function of
    /// another signature is one "mismatched types" error there that names the signature
    /// expected (`fn(&std::io::Error) -> bool`).
    pub(crate) fn predicate(&self, path: &Path) -> TokenStream {
        self.error_fn(path, quote!(-> bool))
    }

    /// The function `path`, for `on_retry = path`: a `fn(&E, u32, Duration)`, typed as
    /// [`Context::predicate`] is.
    pub(crate) fn hook(&self, path: &Path) -> TokenStream {
        self.error_fn(path, quote!(, u32, ::core::time::Duration))
    }

    /// `path` as a `fn(&E <rest>` pointer, `rest` completing the signature.
    fn error_fn(&self, path: &Path, rest: TokenStream) -> TokenStream {
        let ty = self.function.return_type_for_its_error();
        let local = Ident::new("__resilience_fn", Span::mixed_site());
        let span = path.span();
        let (args, output) = match rest.to_string().starts_with("->") {
            true => (TokenStream::new(), rest),
            false => (rest, TokenStream::new()),
        };
        // All at `path`, the return type's tokens too, so that the error points at the path
        // alone.
        let fn_type = respan(
            quote!(fn(&<#ty as ::resilience::__private::ReturnsResult>::Err #args) #output),
            span,
        );
        quote_spanned! {span=>
            {
                let #local: #fn_type = #path;
                #local
            }
        }
    }

    /// The error type of the return type, `<R as ReturnsResult>::Err`, written so that the
    /// compiler locates it exactly where the return type is written: a runtime function
    /// given it explicitly then reports an error type without `From<resilience::Error>` at
    /// the same place as the check at the top of the body, which it thereby repeats silently.
    pub(crate) fn error_type(&self) -> TokenStream {
        let ty = self.function.return_type_for_its_error();
        let (first, last) = self.return_type_ends();
        let open = respan(quote!(<), first);
        let rest = respan(
            quote!(as ::resilience::__private::ReturnsResult>::Err),
            last,
        );
        quote!(#open #ty #rest)
    }

    /// `path(args)`, located exactly where the return type is written: a call whose bounds
    /// are on the return type then reports a return type that is not a `Result` where the
    /// check at the top of the body does, which it thereby repeats silently.
    pub(crate) fn call_at_return_type(
        &self,
        function: &str,
        generics: TokenStream,
        args: TokenStream,
    ) -> TokenStream {
        let (first, last) = self.return_type_ends();
        let function = Ident::new(function, first);
        let path = respan(quote!(::resilience::__private::#function), first);
        let mut args = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, args);
        args.set_span(last);
        quote!(#path::<#generics> #args)
    }

    /// The spans of the first and last tokens of the return type: an expression whose tokens
    /// begin at the one and end at the other is located where the return type is written.
    pub(crate) fn return_type_ends(&self) -> (Span, Span) {
        let tokens: Vec<proc_macro2::TokenTree> = self
            .function
            .return_type()
            .to_token_stream()
            .into_iter()
            .collect();
        let first = match tokens.first() {
            Some(proc_macro2::TokenTree::Group(g)) => g.span_open(),
            Some(other) => other.span(),
            None => Span::call_site(),
        };
        let last = match tokens.last() {
            Some(proc_macro2::TokenTree::Group(g)) => g.span_close(),
            Some(other) => other.span(),
            None => Span::call_site(),
        };
        (first, last)
    }

    /// A call of `path` with the function's own arguments: `self.path(a, b)` for a method and
    /// a bare name, `path(a, b)` otherwise; `.await`ed in an async function.
    pub(crate) fn call_alike(&self, path: &Path) -> TokenStream {
        let mut args = Vec::new();
        let mut receiver = None;
        for input in &self.function.sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.self_token),
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(p) => args.push(p.ident.to_token_stream()),
                    other => {
                        return syn::Error::new(
                            other.span(),
                            "`fallback` passes the function's arguments on by name: bind this argument to a name and destructure it in the body",
                        )
                        .to_compile_error();
                    }
                },
            }
        }
        let call = match (receiver, path.get_ident()) {
            (Some(self_token), Some(method)) => quote!(#self_token.#method(#(#args),*)),
            (Some(self_token), None) => quote!(#path(#self_token, #(#args),*)),
            (None, _) => quote!(#path(#(#args),*)),
        };
        if self.is_async {
            quote!(#call.await)
        } else {
            call
        }
    }

    /// `let a = <A as WorkerArgument>::to_worker(a);` for each name the arguments bind, before
    /// the body moves to a worker thread: the identity, whose bound reports an argument that
    /// is not `Send + 'static` at the argument, with why and what to do, instead of at the
    /// attribute, inside a closure.
    pub(crate) fn move_arguments_to_worker(&self) -> TokenStream {
        let mut moves = TokenStream::new();
        for binding in self.function.bindings() {
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
    /// thread takes its own copy. ([`check_copied_per_attempt`] refused `self` and `mut`.)
    pub(crate) fn clone_arguments(&self) -> TokenStream {
        let mut copies = TokenStream::new();
        for binding in self.function.bindings() {
            let ident = &binding.pat.ident;
            // Spanned on the argument's type, where a missing `Clone` is reported; without
            // writing the type, which may be an `impl Trait` that a `let` cannot name.
            copies.extend(quote_spanned! {binding.span=>
                let #ident = ::core::clone::Clone::clone(&#ident);
            });
        }
        copies
    }
}

/// Under a `#[retry]` above a sync `#[timeout]`, each attempt runs on a worker thread with its
/// own copy of the arguments: `self` cannot be copied, and a `mut` argument would lose the
/// changes that elsewhere carry from one attempt to the next.
fn check_copied_per_attempt(function: &Function) -> syn::Result<()> {
    let mut errors = Errors::default();
    for input in &function.sig.inputs {
        if let FnArg::Receiver(r) = input {
            errors.at(
                r,
                "a sync `#[timeout]` under `#[retry]` runs each attempt on a worker thread with its own copy of the arguments, and `self` cannot be copied per attempt: make the function `async`, put `#[timeout]` above `#[retry]` (one deadline for the whole loop), or pass the value as a named argument",
            );
        }
    }
    for binding in function.bindings() {
        if let Some(mutability) = &binding.pat.mutability {
            let name = &binding.pat.ident;
            errors.at(
                mutability,
                format!(
                    "under `#[retry]` a `mut` argument is one variable for the whole call, each attempt seeing the changes of the one before, but a sync `#[timeout]` below the `#[retry]` gives each attempt its own copy on a worker thread: drop `mut` and begin the body with `let mut {name} = {name};` (each attempt then changes its own copy), put `#[timeout]` above `#[retry]`, or make the function `async`"
                ),
            );
        }
    }
    errors.finish()
}

/// The whole expansion of `#[attribute(args)]` on `item`.
pub(crate) fn expand(attribute: &str, args: TokenStream, item: TokenStream) -> TokenStream {
    let attribute_ident = Ident::new(attribute, Span::call_site());
    let mut function = match Function::parse(item.clone(), attribute) {
        Ok(function) => function,
        Err(error) => {
            // Keep the item so that the rest of the crate still sees it.
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let stacked = function.take_stacked();
    // Every attribute of the stack with where it was written (the one being expanded at the
    // call site), to report repeats.
    let stacked_names: Vec<(String, TokenStream)> =
        std::iter::once((attribute.to_string(), quote!(#[#attribute_ident])))
            .chain(
                stacked
                    .iter()
                    .map(|(name, attr)| (name.clone(), attr.to_token_stream())),
            )
            .collect();
    let mut errors = Errors::default();
    let mut layers = Vec::with_capacity(1 + stacked.len());
    layers.extend(errors.ok(Layer::parse(attribute, args)));
    for (name, attr) in &stacked {
        layers.extend(errors.ok(attribute_args(attr).and_then(|args| Layer::parse(name, args))));
    }
    for (index, (name, attr)) in stacked_names.iter().enumerate() {
        if stacked_names[..index]
            .iter()
            .any(|(earlier, _)| earlier == name)
        {
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "`#[{name}]` is written twice on this function: keep one (two would multiply its effect, such as retries of retries or every call counted twice)"
                ),
            ));
        }
    }
    if layers.iter().any(|l| matches!(l, Layer::Retry(_))) {
        errors.ok(crate::loop_borrow::check(&function.sig));
    }
    if !function.is_async() {
        let timeout = layers.iter().position(|l| matches!(l, Layer::Timeout(_)));
        if timeout.is_some() {
            errors.ok(function.check_owned_arguments());
        }
        let retry = layers.iter().position(|l| matches!(l, Layer::Retry(_)));
        if matches!((retry, timeout), (Some(retry), Some(timeout)) if retry < timeout) {
            errors.ok(check_copied_per_attempt(&function));
        }
    }
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
        let block = &function.block;
        let function = function.with_body(quote!(#uses #block));
        return quote!(#error #function);
    }
    let body = body(&function, &layers);
    function.with_body(quote!(#uses #body))
}

/// The new body: the user's block as the innermost attempt, each layer around it.
fn body(function: &Function, layers: &[Layer]) -> TokenStream {
    let mut cx = Context {
        function,
        name: function.sig.ident.clone(),
        is_async: function.is_async(),
        return_type: function.body_return_type(),
        return_type_span: function.return_type().span(),
        retried_outside: false,
        hears_rejections: false,
        reports_rejections: false,
        body_future: None,
    };
    let block = &function.block;
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
        inner = layer.wrap(inner, &cx);
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

/// `tokens` with every token, those inside groups too, at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(group) = &tt {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tt = inner.into();
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
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

/// Whether an argument's type borrows from the caller: a reference or a lifetime anywhere in
/// it, other than `'static`.
pub(crate) fn borrows(ty: &Type) -> bool {
    fn any_borrow(tokens: TokenStream) -> bool {
        let tokens: Vec<_> = tokens.into_iter().collect();
        tokens.iter().enumerate().any(|(i, tt)| {
            let is_static_lifetime = |at: usize| {
                matches!(tokens.get(at), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '\'')
                    && matches!(tokens.get(at + 1), Some(proc_macro2::TokenTree::Ident(id)) if id == "static")
            };
            match tt {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '&' => !is_static_lifetime(i + 1),
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '\'' => !is_static_lifetime(i),
                proc_macro2::TokenTree::Group(g) => any_borrow(g.stream()),
                _ => false,
            }
        })
    }
    any_borrow(ty.to_token_stream())
}
