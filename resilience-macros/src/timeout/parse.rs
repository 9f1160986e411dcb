//! Reading and checking `#[timeout]`'s arguments: one duration first, a string literal or any
//! expression of type `Duration`, then an optional `name`.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, ExprLit, Ident, LitStr};

use crate::{
    args::{self, Arg, ArgList, Errors},
    duration::DurationArg,
};

const KEYS: &[&str] = &["name"];

/// Keys a user may reach for to give the duration itself, which `#[timeout]` takes without a
/// key.
const DURATION_KEYS: &[&str] = &[
    "duration", "limit", "timeout", "after", "deadline", "time", "within", "secs", "seconds", "ms",
    "millis", "value",
];

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
                "name" => name = errors.ok(args::name(key, &value, "`name = \"inventory\"`")),
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

/// Whether `key = value` is the duration given a key: a key that names it, or a key that is
/// no misspelling of `name` with a duration string as its value.
fn is_duration_key(key: &Ident, value: &Expr) -> bool {
    let key = key.to_string();
    if KEYS.contains(&key.as_str()) || args::closest(&key, KEYS).is_some() {
        return false;
    }
    DURATION_KEYS.contains(&key.as_str())
        || matches!(
            DurationArg::parse("", EXPRESSION, value),
            Ok(DurationArg::Literal(_))
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

fn parse_limit(value: &Expr) -> syn::Result<DurationArg> {
    let limit = DurationArg::parse("a timeout", EXPRESSION, value)?;
    if let Some(nanos) = limit.nanos() {
        let checked = resilience_settings::timeout::limit(std::time::Duration::from_nanos(nanos));
        args::checked(limit.span(), checked)?;
    }
    Ok(limit)
}
