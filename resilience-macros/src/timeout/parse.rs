//! Reading and checking `#[timeout]`'s arguments: one duration, a string literal or any
//! expression of type `Duration`, and an optional `name`.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, LitStr};

use crate::{
    args::{self, ArgList, Errors},
    duration::DurationArg,
};

const KEYS: &[&str] = &["name"];

/// What a timeout's limit may be besides a string: evaluated on each call, so any expression.
const EXPRESSION: &str = "an expression of type `Duration`";

pub(crate) struct TimeoutArgs {
    pub(crate) limit: DurationArg,
    pub(crate) name: Option<LitStr>,
}

impl TimeoutArgs {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        if tokens.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]`",
            ));
        }
        let ArgList(list) = syn::parse2(tokens)?;
        let mut errors = Errors::default();
        let mut limit = None::<Option<DurationArg>>;
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
                // A duration that failed to parse still takes the first place, so that a
                // second one is reported as a second one.
                limit = Some(errors.ok(parse_limit(&value)));
            },
            |key, _, value, errors| match key {
                "name" => name = errors.ok(args::string(key, &value)),
                _ => unreachable!("`{key}` is in KEYS but has no reader"),
            },
        );
        let missing = || {
            syn::Error::new(
                Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]` first",
            )
        };
        let limit = match limit {
            Some(limit) => limit,
            None => {
                errors.push(missing());
                None
            }
        };
        errors.finish()?;
        // Without a limit an error was reported above; this only keeps the macro panic-free.
        let limit = limit.ok_or_else(missing)?;
        Ok(TimeoutArgs { limit, name })
    }
}

fn parse_limit(value: &Expr) -> syn::Result<DurationArg> {
    let limit = DurationArg::parse("a timeout", EXPRESSION, value)?;
    if limit.is_zero() {
        return Err(syn::Error::new(
            limit.span(),
            "a zero timeout would fail every call: give a positive duration",
        ));
    }
    Ok(limit)
}
