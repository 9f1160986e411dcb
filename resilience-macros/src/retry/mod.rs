//! `#[retry(...)]`: run the body again when it returns an error.

mod expand;
mod parse;

pub(crate) use parse::RetryArgs;
