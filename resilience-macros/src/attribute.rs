//! This crate's attributes: the one list of them, which the entry points, the stack and the
//! tests all read.

use std::fmt;

use proc_macro2::TokenStream;

/// One of this crate's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    Retry,
    CircuitBreaker,
    Timeout,
}

impl Attribute {
    /// Every attribute, in the order of the crate's documentation.
    pub(crate) const ALL: [Attribute; 3] = [
        Attribute::Retry,
        Attribute::CircuitBreaker,
        Attribute::Timeout,
    ];

    /// Its name as a user writes it: `retry`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Attribute::Retry => "retry",
            Attribute::CircuitBreaker => "circuit_breaker",
            Attribute::Timeout => "timeout",
        }
    }

    /// The attribute `attr` is, when it is one of this crate's: written bare (`#[retry]`) or
    /// as `#[resilience::retry]`, as the stack recognises them below the one expanded.
    pub(crate) fn of(attr: &syn::Attribute) -> Option<Attribute> {
        let segments = &attr.path().segments;
        let ours = match segments.len() {
            1 => true,
            2 => segments[0].ident == "resilience",
            _ => false,
        };
        let last = &segments.last()?.ident;
        Attribute::ALL
            .into_iter()
            .find(|attribute| ours && last == attribute.name())
    }
}

/// Shown as written in messages: `` `#[{attribute}]` ``.
impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The arguments of an attribute written on the function, as tokens: empty for a bare
/// `#[timeout]`, a mistake for `#[retry = ..]`.
pub(crate) fn arguments(attr: &syn::Attribute) -> syn::Result<TokenStream> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(TokenStream::new()),
        syn::Meta::List(list) => Ok(list.tokens.clone()),
        syn::Meta::NameValue(nv) => Err(syn::Error::new(
            syn::spanned::Spanned::span(&nv.eq_token),
            "write the arguments in parentheses, as in `#[retry(max_attempts = 3)]`",
        )),
    }
}
