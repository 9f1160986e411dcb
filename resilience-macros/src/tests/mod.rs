//! Tests of the whole expansion, run on `proc_macro2` tokens: no input makes a macro panic
//! (`no_panic`), what each attribute expands to is kept for review (`snapshots`), the values
//! the shared settings rules refuse are compile errors (`refused`), and expansions once found
//! wrong stay right (`regressions`, each test named for what must hold).

mod no_panic;
mod refused;
mod regressions;
mod snapshots;

use proc_macro2::TokenStream;

use crate::{attribute::Attribute, stack};

/// Whether `attr` is one of this crate's attributes, written as the stack recognises them:
/// bare or as `resilience::name`.
fn is_ours(attr: &syn::Attribute) -> bool {
    Attribute::of(attr).is_some()
}

/// The attribute named `name`, for tests that name them as a user writes them.
fn attribute(name: &str) -> Attribute {
    Attribute::ALL
        .into_iter()
        .find(|a| a.name() == name)
        .unwrap_or_else(|| panic!("`{name}` is not an attribute of this crate"))
}

/// The expansion of `#[name(args)]` on `item`.
fn expand(name: &str, args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(attribute(name), args, item)
}
