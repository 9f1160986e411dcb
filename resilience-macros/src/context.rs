//! What each layer of a stack knows of the function it wraps and of its place in the stack,
//! and the pieces of code every layer writes the same way: the function's default name, its
//! error type, and the user's paths typed as functions of that error type.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Path, Type, spanned::Spanned};

use crate::item::Function;

/// What every layer needs to know about the function it wraps.
pub(crate) struct Context<'f> {
    pub(crate) function: &'f Function,
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

impl<'f> Context<'f> {
    /// The context of the innermost layer, before the stack says where each layer stands.
    pub(crate) fn new(function: &'f Function) -> Self {
        Context {
            function,
            is_async: function.is_async(),
            return_type: function.body_return_type(),
            return_type_span: function.output.span(),
            retried_outside: false,
            hears_rejections: false,
            reports_rejections: false,
            body_future: None,
        }
    }

    /// Whether `expr` can only be evaluated when the function is called: it names `self` or
    /// one of the function's arguments (which no `const` expression can). Such an argument's
    /// value is checked at run time, by the same rule as a literal.
    pub(crate) fn is_run_time(&self, expr: &syn::Expr) -> bool {
        let mut arguments = Vec::new();
        for input in &self.function.sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => arguments.push("self".to_owned()),
                syn::FnArg::Typed(typed) => idents(typed.pat.to_token_stream(), &mut arguments),
            }
        }
        let mut named = Vec::new();
        idents(expr.to_token_stream(), &mut named);
        named
            .iter()
            .any(|name| name == "self" || arguments.contains(name))
    }

    /// The function's name as a string, without `r#`.
    pub(crate) fn name(&self) -> String {
        syn::ext::IdentExt::unraw(&self.function.sig.ident).to_string()
    }

    /// `module::path::function`, the default name of retries, breakers and timeouts.
    pub(crate) fn default_name(&self) -> TokenStream {
        let ident = self.name();
        quote!(::core::concat!(::core::module_path!(), "::", #ident))
    }

    /// The function `path`, for `when = path`: a `fn(&E) -> bool` for the function's error
    /// type `E`. It is typed as that function pointer, at `path`, so that a function of
    /// another signature is one "mismatched types" error there that names the signature
    /// expected (`fn(&std::io::Error) -> bool`).
    pub(crate) fn predicate(&self, path: &Path) -> TokenStream {
        self.error_fn(path, TokenStream::new(), quote!(-> bool))
    }

    /// The function `path`, for `retry_if_ok = path`: a `fn(&T) -> bool` for the function's
    /// success type `T`, typed as [`Context::predicate`] is.
    pub(crate) fn value_predicate(&self, path: &Path) -> TokenStream {
        self.result_fn(path, quote!(Ok), TokenStream::new(), quote!(-> bool))
    }

    /// The function `path`, for `on_retry = path`: a `fn(&E, u32, Duration)`, typed as
    /// [`Context::predicate`] is.
    pub(crate) fn hook(&self, path: &Path) -> TokenStream {
        self.error_fn(
            path,
            quote!(, u32, ::core::time::Duration),
            TokenStream::new(),
        )
    }

    /// `path` as a `fn(&E <args>) <output>` pointer.
    fn error_fn(&self, path: &Path, args: TokenStream, output: TokenStream) -> TokenStream {
        self.result_fn(path, quote!(Err), args, output)
    }

    /// `path` as a `fn(&X <args>) <output>` pointer, `X` being the result's `side` (`Ok` or
    /// `Err`).
    fn result_fn(
        &self,
        path: &Path,
        side: TokenStream,
        args: TokenStream,
        output: TokenStream,
    ) -> TokenStream {
        let ty = self.function.return_type_for_its_error();
        let local = Ident::new("__resilience_fn", Span::mixed_site());
        let span = path.span();
        // All at `path`, the return type's tokens too, so that the error points at the path
        // alone.
        let fn_type = respan(
            quote!(fn(&<#ty as ::resilience::__private::ReturnsResult>::#side #args) #output),
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

    /// `function::<generics>(args)` of the runtime's hidden module, located exactly where the
    /// return type is written: a call whose bounds are on the return type then reports a
    /// return type that is not a `Result` where the check at the top of the body does, which
    /// it thereby repeats silently.
    pub(crate) fn call_at_return_type(
        &self,
        function: &str,
        generics: TokenStream,
        args: TokenStream,
    ) -> TokenStream {
        let (first, last) = self.return_type_ends();
        let function = Ident::new(function, first);
        let path = respan(quote!(::resilience::__private::#function), first);
        let mut args = Group::new(Delimiter::Parenthesis, args);
        args.set_span(last);
        quote!(#path::<#generics> #args)
    }

    /// The spans of the first and last tokens of the return type: an expression whose tokens
    /// begin at the one and end at the other is located where the return type is written.
    pub(crate) fn return_type_ends(&self) -> (Span, Span) {
        let tokens: Vec<TokenTree> = self.function.output.to_token_stream().into_iter().collect();
        let first = match tokens.first() {
            Some(TokenTree::Group(g)) => g.span_open(),
            Some(other) => other.span(),
            None => Span::call_site(),
        };
        let last = match tokens.last() {
            Some(TokenTree::Group(g)) => g.span_close(),
            Some(other) => other.span(),
            None => Span::call_site(),
        };
        (first, last)
    }
}

/// `tokens` with every token, those inside groups too, at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(group) = &tt {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tt = inner.into();
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// Every identifier in `tokens`, at any depth, as written.
fn idents(tokens: TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => idents(group.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}
