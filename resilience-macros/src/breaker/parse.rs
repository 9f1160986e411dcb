//! The first phase of `#[circuit_breaker]`: each argument read on its own and checked by its
//! setting's rule in `resilience_settings`, which the environment and configuration files
//! apply too.

use resilience_settings::{Invalid, breaker, keyed};
use syn::{Expr, ExprLit, Ident, Lit};

use super::{BreakerArgs, KEYS, Key, Window};
use crate::{
    args::{self, KeyValueArgs},
    attribute::Attribute,
    errors::Errors,
};

impl KeyValueArgs for BreakerArgs {
    type Key = Key;
    const ATTRIBUTE: Attribute = Attribute::CircuitBreaker;
    const KEYS: args::Table<Key> = KEYS;
    const EXAMPLE: &'static str = "name = \"payments\"";

    fn set(&mut self, key: Key, ident: &Ident, value: &Expr, errors: &mut Errors) {
        let name = &ident.to_string();
        // Each value is checked by its setting's rule in `resilience_settings`, which the
        // environment and configuration files apply too.
        let count = |check: fn(i128) -> Result<u32, Invalid>| {
            args::integer(name, value).and_then(|(n, span)| args::checked(span, check(n)))
        };
        let number = |check: fn(f64) -> Result<f64, Invalid>| {
            args::float(name, value)
                .and_then(|(x, span)| args::checked(span, check(x)).map(|x| (x, span)))
        };
        match key {
            // A bare word is most likely a name without its quotes: `args::string` says so.
            Key::Name if !matches!(value, Expr::Lit(_) | Expr::Path(_)) => {
                // A breaker's name is fixed where the function is written; a value known at
                // run time picks a breaker of a family instead.
                errors.push(syn::Error::new_spanned(
                    value,
                    "`name` takes a string literal: a breaker's name is fixed where the function is written. For one breaker per value known at run time (a host, a tenant, a shard), keep a literal name and give the value as the key, as in `name = \"clients\", key = self.host`",
                ));
            }
            Key::Name => {
                self.name = errors.ok(args::string(name, value).and_then(|lit| {
                    if lit.value().trim().is_empty() {
                        Err(syn::Error::new(
                            lit.span(),
                            "`name` must not be empty: name the dependency, as in `name = \"payments\"`",
                        ))
                    } else {
                        Ok(lit)
                    }
                }))
            }
            Key::FailureThreshold => {
                self.failure_threshold = errors.ok(count(breaker::failure_threshold))
            }
            Key::RecoveryTimeout => {
                self.recovery_timeout =
                    errors.ok(args::checked_duration(name, value, breaker::recovery_timeout))
            }
            Key::HalfOpenMaxCalls => {
                self.half_open_max_calls = errors.ok(count(breaker::half_open_max_calls))
            }
            Key::SuccessThreshold => {
                self.success_threshold = errors.ok(count(breaker::success_threshold))
            }
            Key::When => self.when = errors.ok(args::path(name, value, "a `fn(&E) -> bool`")),
            Key::FailureRate => self.failure_rate = errors.ok(number(breaker::failure_rate)),
            Key::Window => {
                self.window = errors.ok(window(value)).map(|w| (w, ident.clone()))
            }
            Key::MinimumCalls => {
                self.minimum_calls = errors
                    .ok(count(breaker::minimum_calls))
                    .map(|n| (n, ident.clone()))
            }
            Key::SlowCall => {
                self.slow_call = errors.ok(args::checked_duration(name, value, breaker::slow_call))
            }
            Key::RecoveryBackoff => {
                self.recovery_backoff = errors.ok(number(breaker::recovery_backoff))
            }
            Key::MaxRecoveryTimeout => {
                self.max_recovery_timeout = errors
                    .ok(args::checked_duration(
                        name,
                        value,
                        breaker::max_recovery_timeout,
                    ))
                    .map(|d| (d, ident.clone()))
            }
            Key::Fallback => {
                self.fallback = errors.ok(
                    args::path(
                        name,
                        value,
                        "a function taking the same arguments and returning the same type",
                    )
                    .and_then(|path| {
                        let last = path.segments.last().map(|s| s.ident.to_string());
                        match last.as_deref() {
                            Some(keyword @ ("self" | "Self" | "crate" | "super")) => Err(syn::Error::new_spanned(
                                &path,
                                format!("`fallback` takes the name of a function or method, not `{keyword}`: as in `fallback = cached_price`"),
                            )),
                            _ => Ok(path),
                        }
                    }),
                )
            }
            Key::FallbackOnFailure => {
                self.fallback_on_failure = errors.ok(boolean(name, value)).map(|b| (b, ident.clone()))
            }
            Key::Adaptive => self.adaptive = errors.ok(number(breaker::adaptive)),
            Key::MaxTrialWait => {
                self.max_trial_wait =
                    errors.ok(args::checked_duration(name, value, breaker::max_trial_wait))
            }
            // Any expression: whether it uses the function's arguments is checked with the
            // function's signature (`params::check_key`), its type by the compiler.
            Key::Keyed => self.key = Some((Box::new(value.clone()), ident.clone())),
            Key::MaxKeys => {
                self.max_keys = errors
                    .ok(count(keyed::max_keys))
                    .map(|n| (n, ident.clone()))
            }
            Key::IdleTimeout => {
                self.idle_timeout = errors
                    .ok(args::checked_duration(name, value, keyed::idle_timeout))
                    .map(|d| Box::new((d, ident.clone())))
            }
        }
    }
}

fn window(value: &Expr) -> syn::Result<Window> {
    match value {
        Expr::Group(group) => window(&group.expr),
        Expr::Lit(ExprLit {
            lit: Lit::Int(_), ..
        })
        | Expr::Unary(_) => args::integer("window", value)
            .and_then(|(n, span)| args::checked(span, breaker::window_calls(n)))
            .map(Window::Calls),
        Expr::Lit(ExprLit {
            lit: Lit::Str(_) | Lit::Float(_),
            ..
        })
        | Expr::Path(_)
        | Expr::Call(_)
        | Expr::MethodCall(_)
        | Expr::Block(_) => {
            args::checked_duration("window", value, breaker::window_time).map(Window::Time)
        }
        _ => Err(syn::Error::new_spanned(
            value,
            "`window` takes a number of calls (`window = 100`), or a duration: a string (`window = \"30s\"`) or a `const` of type `Duration`",
        )),
    }
}

fn boolean(key: &str, value: &Expr) -> syn::Result<bool> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{key}` takes `true` or `false`"),
        )),
    }
}
