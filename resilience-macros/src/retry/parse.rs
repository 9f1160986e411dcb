//! The first phase of `#[retry]`: each argument read on its own and checked by its setting's
//! rule in `resilience_settings`, which configuration files apply too.

use resilience_settings::retry;
use syn::{Expr, Ident};

use super::{Attempts, BACKOFFS, Budget, Cap, JITTERS, Jitter, KEYS, Key, RetryArgs};
use crate::{
    args::{self, KeyValueArgs},
    attribute::Attribute,
    errors::Errors,
};

impl KeyValueArgs for RetryArgs {
    type Key = Key;
    const ATTRIBUTE: Attribute = Attribute::Retry;
    const KEYS: args::Table<Key> = KEYS;
    const EXAMPLE: &'static str = "max_attempts = 3";

    fn set(&mut self, key: Key, ident: &Ident, value: &Expr, errors: &mut Errors) {
        let name = &ident.to_string();
        match key {
            Key::MaxAttempts => self.attempts = errors.ok(max_attempts(value)),
            Key::MaxRetries if is_expression(value) => {
                self.attempts = Some(Attempts::RetriesAt(Box::new(value.clone())))
            }
            Key::MaxRetries => {
                self.attempts = errors.ok(
                    args::integer(name, value)
                        .and_then(|(n, span)| args::checked(span, retry::max_retries(n)))
                        .map(Attempts::Retries),
                )
            }
            Key::Backoff => self.backoff = errors.ok(args::word(name, value, BACKOFFS)),
            Key::InitialDelay => {
                self.initial_delay =
                    errors.ok(args::checked_duration(name, value, retry::initial_delay))
            }
            Key::Multiplier if is_expression(value) => {
                self.multiplier_at = Some(Box::new(value.clone()))
            }
            Key::Multiplier => {
                self.multiplier = errors.ok(args::float(name, value).and_then(|(m, span)| {
                    args::checked(span, retry::multiplier(m)).map(|m| (m, span))
                }))
            }
            Key::MaxDelay => self.max_delay = errors.ok(cap(name, value, retry::max_delay)),
            Key::MaxRetryAfter => {
                self.max_retry_after = errors.ok(cap(name, value, retry::max_retry_after))
            }
            Key::Jitter => self.jitter = errors.ok(jitter(value)),
            Key::MaxElapsed => {
                self.max_elapsed =
                    errors.ok(args::checked_duration(name, value, retry::max_elapsed))
            }
            Key::When => self.when = errors.ok(args::path(name, value, "a `fn(&E) -> bool`")),
            Key::RetryIfOk => {
                self.retry_if_ok = errors.ok(args::path(name, value, "a `fn(&T) -> bool`"))
            }
            Key::OnRetry => {
                self.on_retry = errors.ok(args::path(name, value, "a `fn(&E, u32, Duration)`"))
            }
            Key::Policy => {
                self.policy = errors.ok(args::path(name, value, "a `const` `RetryPolicy`"))
            }
            Key::Name => {
                self.name = errors.ok(args::string(name, value).and_then(|lit| {
                    if lit.value().trim().is_empty() {
                        Err(syn::Error::new(
                            lit.span(),
                            "`name` must not be empty: name what is retried, as in `name = \"load_user\"`, or drop it to use the function's path",
                        ))
                    } else {
                        Ok(lit)
                    }
                }))
            }
            Key::Budget => self.budget = errors.ok(budget(value)),
        }
    }
}

/// Whether `value` is the bare word `word`.
fn is_word(value: &Expr, word: &str) -> bool {
    matches!(value, Expr::Path(p) if p.qself.is_none() && p.path.is_ident(word))
}

/// Whether a number's `value` is an expression to evaluate when the function is called
/// (`self.retries`, an argument, a constant), rather than a literal the macro checks now.
fn is_expression(value: &Expr) -> bool {
    match value {
        Expr::Lit(_) => false,
        Expr::Group(group) => is_expression(&group.expr),
        Expr::Paren(paren) => is_expression(&paren.expr),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => is_expression(&unary.expr),
        _ => true,
    }
}

/// `max_attempts = N` (checked by its setting's rule), `max_attempts = unlimited`, or an
/// expression checked at run time.
fn max_attempts(value: &Expr) -> syn::Result<Attempts> {
    if is_word(value, retry::UNLIMITED) {
        return Ok(Attempts::Unlimited);
    }
    if is_expression(value) {
        return Ok(Attempts::TotalAt(Box::new(value.clone())));
    }
    let (n, span) = args::integer("max_attempts", value).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "{e}, `max_attempts = {}` for no limit (the retry budget and `max_elapsed` still bound it), or an expression such as `self.retries`",
                retry::UNLIMITED
            ),
        )
    })?;
    args::checked(span, retry::max_attempts(n)).map(Attempts::Total)
}

/// A cap on a delay: a duration `check` accepts, or the bare word `none` for no cap.
fn cap(
    key: &str,
    value: &Expr,
    check: fn(std::time::Duration) -> Result<std::time::Duration, resilience_settings::Invalid>,
) -> syn::Result<Cap> {
    if is_word(value, retry::NO_CAP) {
        return Ok(Cap::None);
    }
    args::checked_duration(key, value, check).map(Cap::At)
}

fn budget(value: &Expr) -> syn::Result<Budget> {
    if let Ok(lit) = args::string("budget", value) {
        return if lit.value().trim().is_empty() {
            Err(syn::Error::new(
                lit.span(),
                "`budget` must not be empty: name the budget to share, as in `budget = \"orders\"`, or write `budget = none`",
            ))
        } else {
            Ok(Budget::Named(lit))
        };
    }
    if let Expr::Path(p) = value {
        if let Some(ident) = p.path.get_ident().filter(|i| *i != "none") {
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "`budget` names a budget with a string: write `budget = \"{ident}\"` to share the budget `{ident}`, or `budget = none` for no budget"
                ),
            ));
        }
    }
    args::word("budget", value, &[("none", ())])
        .map(|_| Budget::None)
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "`budget` takes the name of a shared budget, as in `budget = \"orders\"`, or `none` for no budget (without it, the function has a budget of its own)",
            )
        })
}

fn jitter(value: &Expr) -> syn::Result<Jitter> {
    if let Ok((fraction, span)) = args::float("jitter", value) {
        return args::checked(span, retry::jitter_fraction(fraction)).map(Jitter::Proportional);
    }
    args::word("jitter", value, JITTERS)
        .map(|(jitter, _)| jitter)
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("{e}, or a fraction such as `0.1` for ±10%"),
            )
        })
}
