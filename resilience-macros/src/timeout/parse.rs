//! Reading and checking `#[timeout]`'s arguments: one duration, a string literal or any
//! expression of type `Duration`, and an optional `name`.

use proc_macro2::TokenStream;
use syn::{Expr, ExprLit, Lit, LitStr};

use crate::{
    args::{self, ArgList, Errors},
    duration::DurationLit,
};

const KEYS: &[&str] = &["name"];

/// The time limit as written.
pub(crate) enum Limit {
    /// `"250ms"`: checked now.
    Literal(DurationLit),
    /// `LIMIT` or `Duration::from_millis(250)`: checked by the type checker.
    Expr(Expr),
}

pub(crate) struct TimeoutArgs {
    pub(crate) limit: Limit,
    pub(crate) name: Option<LitStr>,
}

impl TimeoutArgs {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        if tokens.is_empty() {
            return Err(syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]`",
            ));
        }
        let ArgList(list) = syn::parse2(tokens)?;
        let mut errors = Errors::default();
        let mut limit = None::<Limit>;
        let mut name = None;
        args::for_each_key(
            "timeout",
            KEYS,
            list,
            &mut errors,
            |value, errors| {
                if limit.is_some() {
                    errors.at(&value, "`#[timeout]` takes one duration: remove this one");
                    return;
                }
                limit = errors.ok(parse_limit(value));
                if limit.is_none() {
                    // Keep the first duration's place so that a second one is not reported.
                    limit = Some(Limit::Literal(DurationLit::placeholder()));
                }
            },
            |key, _, value, errors| match key {
                "name" => name = errors.ok(args::string(key, &value)),
                _ => unreachable!("`{key}` is in KEYS but has no reader"),
            },
        );
        let Some(limit) = limit else {
            errors.push(syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]` first",
            ));
            errors.finish()?;
            unreachable!("an error was pushed");
        };
        errors.finish()?;
        Ok(TimeoutArgs { limit, name })
    }
}

fn parse_limit(value: Expr) -> syn::Result<Limit> {
    match &value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            let d = DurationLit::parse(lit)?;
            if d.is_zero() {
                return Err(syn::Error::new(
                    lit.span(),
                    "a zero timeout would fail every call: give a positive duration",
                ));
            }
            Ok(Limit::Literal(d))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => Err(syn::Error::new(
            int.span(),
            format!(
                "a timeout needs a unit: write `\"{0}ms\"` or `\"{0}s\"` (a string with a unit), or a `Duration`",
                int.base10_digits()
            ),
        )),
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => Err(syn::Error::new(
            f.span(),
            format!(
                "a timeout needs a unit: write `\"{}s\"` (a string with a unit), or a `Duration`",
                f.base10_digits()
            ),
        )),
        Expr::Lit(_) => Err(syn::Error::new_spanned(
            &value,
            "`#[timeout]` takes a duration string such as \"250ms\", or an expression of type `Duration`",
        )),
        _ => Ok(Limit::Expr(value)),
    }
}
