//! The first phase of `#[timeout]`: its arguments read, each checked on its own. One
//! duration first, a string literal or any expression of type `Duration`, then an optional
//! `name`.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, ExprLit, Ident};

use super::{KEYS, Key, Written};
use crate::{
    args::{self, Arg},
    attribute::Attribute,
    duration::DurationArg,
    errors::Errors,
};

/// Keys a user may reach for to give the duration itself, which `#[timeout]` takes without a
/// key.
const DURATION_KEYS: &[&str] = &[
    "duration", "limit", "timeout", "after", "deadline", "time", "within", "secs", "seconds", "ms",
    "millis", "value",
];

/// What a timeout's limit may be besides a string: evaluated on each call, so any expression.
const EXPRESSION: &str = "an expression of type `Duration`";

impl Written {
    pub(super) fn parse(tokens: TokenStream) -> syn::Result<(Self, Errors)> {
        if tokens.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[timeout]` needs a duration: write `#[timeout(\"250ms\")]`",
            ));
        }
        let list = args::list(tokens)?;
        let mut errors = Errors::default();
        // `duration = "1s"`: reported once, with the spelling to use, and then read as the
        // duration so that its absence is not reported too.
        let list = list
            .into_iter()
            .map(|arg| match arg {
                Arg::KeyValue { key, value } if is_duration_key(&key, &value) => {
                    errors.at(
                        &key,
                        format!(
                            "`#[timeout]` takes its duration first, without a key: `#[timeout({})]`",
                            example(&value)
                        ),
                    );
                    Arg::Bare(value)
                }
                other => other,
            })
            .collect();
        let mut written = Written::default();
        args::for_each_key(
            Attribute::Timeout,
            KEYS,
            list,
            &mut errors,
            |value, errors| {
                if written.limit.is_some() {
                    errors.at(&value, "`#[timeout]` takes one duration: remove this one");
                    return;
                }
                // A duration that failed to parse still takes the first place, so that a
                // second one is reported as a second one.
                written.limit = Some(errors.ok(limit(&value)));
            },
            |key, ident, value, errors| match key {
                Key::Name => {
                    written.name = errors.ok(args::name(
                        &ident.to_string(),
                        &value,
                        "`name = \"inventory\"`",
                    ))
                }
            },
        );
        Ok((written, errors))
    }
}

/// Whether `key = value` is the duration given a key: a key that names it, or a key that is
/// no misspelling of `name` with a duration string as its value.
fn is_duration_key(key: &Ident, value: &Expr) -> bool {
    let key = key.to_string();
    let keys: Vec<&str> = KEYS.iter().map(|(name, _)| *name).collect();
    if keys.contains(&key.as_str()) || args::closest(&key, &keys).is_some() {
        return false;
    }
    DURATION_KEYS.contains(&key.as_str())
        || matches!(
            DurationArg::parse("", EXPRESSION, value),
            Ok(DurationArg::Literal { .. })
        )
}

/// The value as the user should write it in first place: the literal or constant itself, or
/// a placeholder for a longer expression.
fn example(value: &Expr) -> String {
    match value {
        Expr::Group(group) => example(&group.expr),
        Expr::Lit(ExprLit { lit, .. }) => quote::ToTokens::to_token_stream(lit).to_string(),
        Expr::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        _ => "\"250ms\"".into(),
    }
}

fn limit(value: &Expr) -> syn::Result<DurationArg> {
    let limit = DurationArg::parse("a timeout", EXPRESSION, value)?;
    if let Some(known) = limit.known() {
        args::checked(limit.span(), resilience_settings::timeout::limit(known))?;
    }
    Ok(limit)
}
