//! Every mistake in a function's attributes, collected so that they are reported together
//! (as serde's `Ctxt` does) rather than one per compile.

use std::fmt;

use syn::spanned::Spanned;

/// The errors found so far, combined into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Records `message` at `span`.
    pub(crate) fn at(&mut self, span: impl Spanned, message: impl fmt::Display) {
        self.push(syn::Error::new(span.span(), message));
    }

    /// Keeps the value of `result`, recording its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// `Ok` when nothing was recorded, else every error.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }

    /// Every error recorded, if any.
    pub(crate) fn into_error(self) -> Option<syn::Error> {
        self.0
    }
}
