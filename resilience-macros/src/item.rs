//! The annotated function: its signature parsed and checked for what every attribute needs,
//! its body kept as the user's tokens (as tracing-attributes' `MaybeItemFn` keeps it), and
//! the whole written back with a new body and everything else exactly as the user wrote it.
//!
//! The body is never parsed: the macros do not look inside it beyond a search for `Self`, so
//! parsing it would cost compile time on every expansion and hand rustc a reprinted copy
//! instead of the user's own tokens.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{
    Item, ReturnType, Signature, TraitItemFn, Type, Visibility,
    parse::{ParseStream, Parser},
    spanned::Spanned,
};

use crate::{attribute::Attribute, types};

/// The function an attribute is on.
pub(crate) struct Function {
    /// Its outer attributes, doc comments included; this crate's are taken off by
    /// [`Function::take_stacked`].
    pub(crate) attrs: Vec<syn::Attribute>,
    /// Its `#![...]` attributes, which stay at the top of the body.
    pub(crate) inner_attrs: Vec<syn::Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The declared return type, which [`Function::parse`] made sure is written.
    pub(crate) output: Type,
    /// The body's statements, unparsed.
    pub(crate) body: TokenStream,
    /// Where the body's braces are written.
    pub(crate) braces: Span,
}

impl Function {
    /// Parses the item an attribute was put on, or explains what it applies to.
    pub(crate) fn parse(item: TokenStream, attribute: Attribute) -> syn::Result<Self> {
        // Attributes, visibility and signature parsed; the braces' content kept as tokens.
        let function = |input: ParseStream<'_>| {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let vis: Visibility = input.parse()?;
            let sig: Signature = input.parse()?;
            let content;
            let braces = syn::braced!(content in input).span.join();
            let inner_attrs = content.call(syn::Attribute::parse_inner)?;
            let body: TokenStream = content.parse()?;
            Ok((attrs, vis, sig, braces, inner_attrs, body))
        };
        let (attrs, vis, sig, braces, inner_attrs, body) = function
            .parse2(item.clone())
            .map_err(|error| not_a_function(item, error, attribute))?;
        let output = check(&sig, attribute)?;
        Ok(Function {
            output,
            attrs,
            vis,
            sig,
            braces,
            inner_attrs,
            body,
        })
    }

    /// Whether the function is certainly inside an `impl` or a trait, where `Self` is a type:
    /// it takes `self`, or names `Self` in its signature or its body (outside the items and
    /// `macro_rules!` it defines, where `Self` could be theirs). A function in an `impl` that
    /// does neither cannot be told from a free function.
    pub(crate) fn is_method(&self) -> bool {
        let has_receiver = self.sig.receiver().is_some();
        has_receiver || names_self(self.sig.to_token_stream()) || body_names_self(&self.body)
    }

    pub(crate) fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }

    /// The return type usable inside the body: `impl Trait` becomes `_`, since a body cannot
    /// name it.
    pub(crate) fn body_return_type(&self) -> Type {
        types::erase_impl_trait(&self.output)
    }

    /// The return type with each `impl Trait` in it replaced by `()`: a type that a body can
    /// name and that has the declared error type, for checks that look at the error type only.
    pub(crate) fn return_type_for_its_error(&self) -> Type {
        types::unit_for_impl_trait(&self.output)
    }

    /// The user's block, braces included, `#![...]` attributes aside.
    pub(crate) fn block(&self) -> TokenStream {
        let mut block = Group::new(Delimiter::Brace, self.body.clone());
        block.set_span(self.braces);
        TokenTree::from(block).into()
    }

    /// Removes the attributes of this crate still on the function (those written below the
    /// one being expanded) and returns them in order, so that one expansion applies the whole
    /// stack in the order the user wrote it.
    pub(crate) fn take_stacked(&mut self) -> Vec<(Attribute, syn::Attribute)> {
        let mut stacked = Vec::new();
        self.attrs.retain(|attr| match Attribute::of(attr) {
            Some(attribute) => {
                stacked.push((attribute, attr.clone()));
                false
            }
            None => true,
        });
        stacked
    }

    /// Writes the function back with `body` as its body, after its `#![...]` attributes.
    pub(crate) fn with_body(&self, body: TokenStream) -> TokenStream {
        let Function {
            attrs,
            inner_attrs,
            vis,
            sig,
            ..
        } = self;
        quote!(#(#attrs)* #vis #sig { #(#inner_attrs)* #body })
    }

    /// Writes the function back as the user wrote it, `prelude` (items) first in its body:
    /// the user's statements in the user's braces, not in a block of their own, so that no
    /// lint sees braces the user did not write.
    pub(crate) fn as_written(&self, prelude: TokenStream) -> TokenStream {
        let Function {
            attrs,
            inner_attrs,
            vis,
            sig,
            body,
            braces,
            ..
        } = self;
        let mut block = Group::new(Delimiter::Brace, quote!(#(#inner_attrs)* #prelude #body));
        block.set_span(*braces);
        quote!(#(#attrs)* #vis #sig #block)
    }
}

/// What every attribute needs of the signature; the declared return type when all holds.
fn check(sig: &Signature, attribute: Attribute) -> syn::Result<Type> {
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            format!(
                "`#[{attribute}]` cannot wrap a `const fn`: retries, breakers and timeouts happen at run time; remove `const`"
            ),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            format!("`#[{attribute}]` cannot wrap a variadic function"),
        ));
    }
    let ReturnType::Type(_, output) = &sig.output else {
        return Err(syn::Error::new(
            sig.paren_token.span.close(),
            format!(
                "`#[{attribute}]` needs a function that returns a `Result`: add a return type such as `-> Result<T, E>`"
            ),
        ));
    };
    if let Some(found) = obviously_not_result(output) {
        return Err(syn::Error::new(
            output.span(),
            format!(
                "`#[{attribute}]` needs a function that returns a `Result`, not {found}: return `Result<T, E>` with the error type of your choice"
            ),
        ));
    }
    Ok((**output).clone())
}

/// Names the return type when it is written as something that cannot be a `Result` (an
/// alias could be one, so only the unmistakable cases are caught here; the rest are caught
/// by the type checker at the same span).
fn obviously_not_result(ty: &Type) -> Option<String> {
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => Some("`()`".into()),
        Type::Tuple(_) => Some("a tuple".into()),
        Type::Reference(_) => Some("a reference".into()),
        Type::Array(_) | Type::Slice(_) => Some("an array".into()),
        Type::Never(_) => Some("`!`".into()),
        Type::ImplTrait(_) => Some("`impl Trait`".into()),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?.ident.to_string();
            const NOT_RESULT: &[&str] = &[
                "Option", "bool", "char", "str", "String", "Vec", "Box", "u8", "u16", "u32", "u64",
                "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
            ];
            NOT_RESULT
                .contains(&last.as_str())
                .then(|| format!("`{last}`"))
        }
        _ => None,
    }
}

/// The error for an item that is not a function with a body: what it is, and where the
/// attribute goes instead. Parsed only on this path, to name the item.
fn not_a_function(item: TokenStream, error: syn::Error, attribute: Attribute) -> syn::Error {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Verbatim(tokens)) => match syn::parse2::<TraitItemFn>(tokens.clone()) {
            Ok(f) if f.default.is_none() => missing_body(&f, attribute),
            _ => syn::Error::new_spanned(
                tokens,
                format!(
                    "`#[{attribute}]` applies to functions: put it on a `fn` or `async fn` that returns a `Result`"
                ),
            ),
        },
        // A function whose signature or braces did not parse above: syn's own error.
        Ok(Item::Fn(_)) => error,
        Ok(other) => syn::Error::new(item_span(&other), {
            let (kind, advice) = item_kind(&other);
            format!("`#[{attribute}]` applies to functions, not to {kind}: {advice}")
        }),
        Err(error) => match syn::parse2::<TraitItemFn>(item) {
            Ok(f) if f.default.is_none() => missing_body(&f, attribute),
            _ => error,
        },
    }
}

fn missing_body(f: &TraitItemFn, attribute: Attribute) -> syn::Error {
    syn::Error::new(
        f.semi_token.map_or(f.sig.span(), |s| s.span()),
        format!(
            "`#[{attribute}]` needs a function body to wrap, and a declaration (in a trait or an `extern` block) has none: put it on a function with a body, such as the trait's implementation or a Rust wrapper around the foreign function"
        ),
    )
}

/// What the item is, and where the attribute should go instead.
fn item_kind(item: &Item) -> (&'static str, &'static str) {
    const ON_A_FUNCTION: &str = "put it on a `fn` or `async fn` that returns a `Result`";
    let kind = match item {
        Item::Const(_) => "a `const`",
        Item::Enum(_) => "an `enum`",
        Item::ExternCrate(_) => "an `extern crate`",
        Item::ForeignMod(_) => {
            return (
                "an `extern` block",
                "put it on a Rust function with a body that calls into it",
            );
        }
        Item::Impl(_) => {
            return (
                "an `impl` block",
                "put it on each method that returns a `Result`",
            );
        }
        Item::Trait(_) => {
            return (
                "a trait",
                "put it on the methods of an `impl` block that returns a `Result`",
            );
        }
        Item::Macro(_) => "a macro invocation",
        Item::Mod(_) => "a module",
        Item::Static(_) => "a `static`",
        Item::Struct(_) => "a `struct`",
        Item::TraitAlias(_) => "a trait alias",
        Item::Type(_) => "a type alias",
        Item::Union(_) => "a `union`",
        Item::Use(_) => "a `use`",
        // `syn::Item` is non-exhaustive.
        _ => "this item",
    };
    (kind, ON_A_FUNCTION)
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Use(u) => u.use_token.span,
        Item::Union(u) => u.union_token.span,
        Item::ForeignMod(f) => f.abi.extern_token.span,
        other => other.span(),
    }
}

/// Whether `Self` appears anywhere in `tokens`.
fn names_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Group(group) => names_self(group.stream()),
        _ => false,
    })
}

/// Whether a body names `Self` outside the items it defines (a nested `fn`, `impl`, `struct`,
/// `const`..., whose `Self` is their own or an error) and its `macro_rules!` (whose `Self` is
/// the expansion site's). A macro call's tokens count whole: they are not Rust yet.
fn body_names_self(body: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Ident(ident) if ident == "Self" => return true,
            TokenTree::Ident(ident) if ident == "macro_rules" && punct(tokens.get(at + 1), '!') => {
                at = past_item(&tokens, at);
                continue;
            }
            TokenTree::Ident(_) if starts_item(&tokens, at) => {
                at = past_item(&tokens, at);
                continue;
            }
            TokenTree::Punct(p) if p.as_char() == '!' => {
                if let Some(TokenTree::Group(call)) = tokens.get(at + 1) {
                    if names_self(call.stream()) {
                        return true;
                    }
                    at += 1;
                }
            }
            TokenTree::Group(group) if body_names_self(&group.stream()) => return true,
            _ => {}
        }
        at += 1;
    }
    false
}

fn punct(tt: Option<&TokenTree>, c: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn ident(tt: Option<&TokenTree>) -> Option<String> {
    match tt {
        Some(TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    }
}

/// Whether the keyword at `at` begins an item nested in the body.
fn starts_item(tokens: &[TokenTree], at: usize) -> bool {
    let Some(keyword) = ident(tokens.get(at)) else {
        return false;
    };
    let next = ident(tokens.get(at + 1));
    let after_punct = |c| at > 0 && punct(tokens.get(at - 1), c);
    match keyword.as_str() {
        // `fn name`: not a `fn(u8) -> Self` pointer type, which names the outer `Self`.
        "fn" => next.is_some(),
        "impl" | "trait" | "struct" | "enum" | "mod" | "use" | "type" | "extern" => true,
        // `union` is a keyword only before the union's name.
        "union" => next.is_some(),
        // `const NAME` and `const _`, not `*const T`, `&raw const x`, `const { .. }` or
        // `const fn` (whose `fn` is met next).
        "const" => {
            let named =
                next.is_some_and(|n| !matches!(n.as_str(), "fn" | "unsafe" | "async" | "extern"));
            let raw = at > 0 && ident(tokens.get(at - 1)).as_deref() == Some("raw");
            named && !after_punct('*') && !raw
        }
        // `static NAME`, not `'static`.
        "static" => next.is_some() && !after_punct('\''),
        _ => false,
    }
}

/// The index past the item beginning at `at`: past its `;` or its braced body.
fn past_item(tokens: &[TokenTree], at: usize) -> usize {
    let mut at = at;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => return at + 1,
            TokenTree::Punct(p) if p.as_char() == ';' => return at + 1,
            _ => at += 1,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::Function;
    use crate::attribute::Attribute;

    fn is_method(function: &str) -> bool {
        Function::parse(function.parse().expect("lexes"), Attribute::Retry)
            .unwrap_or_else(|e| panic!("`{function}`: {e}"))
            .is_method()
    }

    #[test]
    fn a_receiver_or_self_in_the_signature_or_body_makes_a_method() {
        for function in [
            "fn f(&self) -> Result<(), E> { Ok(()) }",
            "fn f() -> Result<Self, E> { todo!() }",
            "fn f() -> Result<u8, E> { Self::get() }",
            "fn f() -> Result<u8, E> { let x: Vec<Self> = Vec::new(); Ok(0) }",
            "fn f() -> Result<u8, E> { if ok() { Ok(Self::N) } else { Err(E) } }",
            "fn f() -> Result<u8, E> { let p: *const Self = ptr(); Ok(0) }",
            "fn f() -> Result<u8, E> { let s: &'static Self = get(); Ok(0) }",
            "fn f() -> Result<u8, E> { let g: fn() -> Self = Self::new; Ok(0) }",
            "fn f() -> Result<u8, E> { println!(\"{:?}\", Self::N); Ok(0) }",
            "fn f() -> Result<u8, E> { const { Self::N }; Ok(0) }",
        ] {
            assert!(is_method(function), "{function}");
        }
    }

    #[test]
    fn self_of_a_nested_item_does_not_make_a_method() {
        for function in [
            "fn f() -> Result<u8, E> { Ok(0) }",
            "fn f() -> Result<u8, E> { struct S; impl S { fn new() -> Self { S } } Ok(0) }",
            "fn f() -> Result<u8, E> { fn g() -> Self { todo!() } Ok(0) }",
            "fn f() -> Result<u8, E> { struct L { next: Option<Box<Self>> } Ok(0) }",
            "fn f() -> Result<u8, E> { trait T { fn t() -> Self; } Ok(0) }",
            "fn f() -> Result<u8, E> { enum A { B(Box<Self>) } Ok(0) }",
            "fn f() -> Result<u8, E> { macro_rules! m { () => { Self::new() } } Ok(0) }",
            "fn f() -> Result<u8, E> { const N: usize = 1; static S: u8 = 2; Ok(0) }",
        ] {
            assert!(!is_method(function), "{function}");
        }
    }
}
