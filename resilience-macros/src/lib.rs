//! The attribute macros of the [`resilience`](https://docs.rs/resilience) crate.
//!
//! Depend on `resilience` and use the attributes from there: `use resilience::retry;`. The
//! macros only parse and check their arguments and write a few calls into the runtime crate,
//! where the logic lives and is tested.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod args;
mod breaker;
mod duration;
mod item;
mod loop_borrow;
mod retry;
mod stack;
mod timeout;

#[cfg(test)]
mod tests;

/// Runs the function again when it returns an error. Documented in the `resilience` crate,
/// which re-exports it.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand("retry", args.into(), item.into()).into()
}

/// Puts the function behind a circuit breaker. Documented in the `resilience` crate, which
/// re-exports it.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand("circuit_breaker", args.into(), item.into()).into()
}

/// Bounds the function in time. Documented in the `resilience` crate, which re-exports it.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand("timeout", args.into(), item.into()).into()
}
