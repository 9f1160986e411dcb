//! `#[circuit_breaker(...)]`: stop calling a dependency that keeps failing.

mod expand;
mod parse;

pub(crate) use parse::BreakerArgs;
