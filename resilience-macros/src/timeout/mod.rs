//! `#[timeout(...)]`: bound a call in time.

mod expand;
mod parse;

pub(crate) use parse::TimeoutArgs;
