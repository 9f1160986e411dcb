//! Tests of the whole expansion, run on `proc_macro2` tokens: no input makes a macro panic
//! (`no_panic`), what each attribute expands to is kept for review (`snapshots`), and the
//! values the shared settings rules refuse are compile errors (`refused`).
//! `known_issues` keeps the expansions found wrong, ignored until fixed.

mod known_issues;
mod no_panic;
mod refused;
mod snapshots;

use crate::item::ATTRIBUTES;

/// Whether `attr` is one of this crate's attributes, written as the stack recognises them:
/// bare or as `resilience::name`.
fn is_ours(attr: &syn::Attribute) -> bool {
    let segments = &attr.path().segments;
    let last = segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let ours = match segments.len() {
        1 => true,
        2 => segments[0].ident == "resilience",
        _ => false,
    };
    ours && ATTRIBUTES.contains(&last.as_str())
}
