//! `#[timeout(...)]`: bound a call in time.
//!
//! Three phases: [`parse`] reads the duration and the `name`, [`validate`] makes sure the
//! duration is there, and [`expand`] writes the deadline around a call.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::duration::DurationArg;

/// `#[timeout]`'s arguments, checked.
pub(crate) struct TimeoutArgs {
    limit: DurationArg,
    name: Option<LitStr>,
}

/// `#[timeout]`'s arguments as written, each checked on its own.
#[derive(Default)]
struct Written {
    /// The first bare value: `None` when there is none, `Some(None)` when it was refused.
    limit: Option<Option<DurationArg>>,
    name: Option<LitStr>,
}

crate::args::spelled! {
    /// The one `key = value` argument of `#[timeout]`.
    enum Key in KEYS {
        Name = "name",
    }
}

impl TimeoutArgs {
    /// Reads and checks `#[timeout]`'s arguments, reporting every mistake at once.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let (written, errors) = Written::parse(tokens)?;
        written.validate(errors)
    }
}
