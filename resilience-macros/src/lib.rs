//! The attribute macros of the [`resilience`](https://docs.rs/resilience) crate.
//!
//! Depend on `resilience` and use the attributes from there: `use resilience::retry;`. The
//! macros only parse and check their arguments and write a few calls into the runtime crate,
//! where the logic lives and is tested.
//!
//! # What is here
//!
//! An expansion goes `lib` → `stack` → each attribute's three phases, over shared leaves that
//! import none of their users:
//!
//! - `stack`: applies the attributes written on a function at once, in the order written,
//!   and checks what they need together of its parameters.
//! - `retry/`, `breaker/`, `timeout/`: one folder per attribute, its arguments typed in
//!   `mod.rs` and its three phases in `parse.rs` (each argument on its own), `validate.rs`
//!   (the arguments against each other) and `expand.rs` (the code around a call).
//! - `item`: the annotated function, its body kept as the user's tokens.
//! - `params`: the function's parameters, the one owner of their shapes (names, patterns
//!   that destructure, `impl Trait`), with what each stack refuses of them.
//! - `context`: what a layer knows of the function and of its place in the stack.
//! - `args`: the `key = value` grammar, the key tables and the readers of values;
//!   `duration`: a duration argument, read by the settings' grammar; `errors`: every
//!   mistake collected; `attribute`: the list of this crate's attributes; `types`: what a
//!   type as written allows. An expansion spells only what its user wrote: the runtime
//!   fills in its defaults (`__private::failure_rate`, `recovery_backoff`, `adaptive`,
//!   `DEFAULT_EXPONENTIAL` for the settings written together with others).
//!
//! Each value is checked by its setting's rule in `resilience-settings`, which the runtime's
//! environment and configuration files apply too. The expansion reaches the runtime only
//! through `::resilience::__private` and `::core`.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod args;
mod attribute;
mod breaker;
mod context;
mod duration;
mod errors;
mod item;
mod params;
mod retry;
mod stack;
mod timeout;
mod types;

#[cfg(test)]
mod tests;

use attribute::Attribute;

/// Runs the function again when it returns an error. Documented in the `resilience` crate,
/// which re-exports it.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Attribute::Retry, args.into(), item.into()).into()
}

/// Puts the function behind a circuit breaker. Documented in the `resilience` crate, which
/// re-exports it.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Attribute::CircuitBreaker, args.into(), item.into()).into()
}

/// Bounds the function in time. Documented in the `resilience` crate, which re-exports it.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Attribute::Timeout, args.into(), item.into()).into()
}
