//! The second phase of `#[timeout]`: the duration is written.

use proc_macro2::Span;

use super::{TimeoutArgs, Written};
use crate::errors::Errors;

impl Written {
    /// The arguments, when the duration is written and nothing was refused; else every
    /// mistake, the missing duration included.
    pub(super) fn validate(self, mut errors: Errors) -> syn::Result<TimeoutArgs> {
        let missing = || {
            syn::Error::new(
                Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]` first",
            )
        };
        match self.limit {
            Some(Some(limit)) => errors.finish().map(|()| TimeoutArgs {
                limit,
                name: self.name,
            }),
            // Refused, and reported, when it was read.
            Some(None) => Err(errors.into_error().unwrap_or_else(missing)),
            None => {
                errors.push(missing());
                Err(errors.into_error().unwrap_or_else(missing))
            }
        }
    }
}
