//! Reading and checking `#[circuit_breaker]`'s arguments.

use std::time::Duration;

use proc_macro2::Span;
use resilience_settings::{Invalid, breaker};
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path};

use crate::{
    args::{self, Errors},
    duration::DurationArg,
};

const KEYS: &[&str] = &[
    "name",
    "failure_threshold",
    "recovery_timeout",
    "half_open_max_calls",
    "success_threshold",
    "when",
    "failure_rate",
    "window",
    "minimum_calls",
    "slow_call",
    "recovery_backoff",
    "max_recovery_timeout",
    "fallback",
    "fallback_on_failure",
    "adaptive",
    "max_trial_wait",
];

/// `window = 100` (the last 100 calls) or `window = "30s"` (the calls of the last 30 s; a
/// `const` `Duration` too).
pub(crate) enum WindowArg {
    Calls(u32),
    Time(DurationArg),
}

/// `#[circuit_breaker]`'s arguments, each checked on its own and against each other.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) recovery_timeout: Option<DurationArg>,
    pub(crate) half_open_max_calls: Option<u32>,
    pub(crate) success_threshold: Option<u32>,
    pub(crate) when: Option<Path>,
    pub(crate) failure_rate: Option<(f64, Span)>,
    pub(crate) window: Option<(WindowArg, Ident)>,
    pub(crate) minimum_calls: Option<(u32, Ident)>,
    pub(crate) slow_call: Option<DurationArg>,
    pub(crate) recovery_backoff: Option<(f64, Span)>,
    pub(crate) max_recovery_timeout: Option<(DurationArg, Ident)>,
    pub(crate) fallback: Option<Path>,
    pub(crate) fallback_on_failure: Option<(bool, Ident)>,
    /// Adaptive throttling's multiplier `K`.
    pub(crate) adaptive: Option<(f64, Span)>,
    pub(crate) max_trial_wait: Option<DurationArg>,
}

impl args::KeyValueArgs for BreakerArgs {
    const ATTRIBUTE: &'static str = "circuit_breaker";
    const KEYS: &'static [&'static str] = KEYS;
    const EXAMPLE: &'static str = "name = \"payments\"";

    fn set(&mut self, name: &str, key: &Ident, value: &Expr, errors: &mut Errors) {
        // Each value is checked by its setting's rule in `resilience_settings`, which the
        // environment and configuration files apply too.
        let count = |check: fn(i128) -> Result<u32, Invalid>| {
            args::integer(name, value).and_then(|(n, span)| args::checked(span, check(n)))
        };
        let number = |check: fn(f64) -> Result<f64, Invalid>| {
            args::float(name, value)
                .and_then(|(x, span)| args::checked(span, check(x)).map(|x| (x, span)))
        };
        match name {
            "name" => {
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
            "failure_threshold" => {
                self.failure_threshold = errors.ok(count(breaker::failure_threshold))
            }
            "recovery_timeout" => {
                self.recovery_timeout =
                    errors.ok(args::checked_duration(name, value, breaker::recovery_timeout))
            }
            "half_open_max_calls" => {
                self.half_open_max_calls = errors.ok(count(breaker::half_open_max_calls))
            }
            "success_threshold" => {
                self.success_threshold = errors.ok(count(breaker::success_threshold))
            }
            "when" => self.when = errors.ok(args::path(name, value, "a `fn(&E) -> bool`")),
            "failure_rate" => self.failure_rate = errors.ok(number(breaker::failure_rate)),
            "window" => {
                self.window = errors.ok(parse_window(value)).map(|w| (w, key.clone()))
            }
            "minimum_calls" => {
                self.minimum_calls = errors
                    .ok(count(breaker::minimum_calls))
                    .map(|n| (n, key.clone()))
            }
            "slow_call" => {
                self.slow_call = errors.ok(args::checked_duration(name, value, breaker::slow_call))
            }
            "recovery_backoff" => {
                self.recovery_backoff = errors.ok(number(breaker::recovery_backoff))
            }
            "max_recovery_timeout" => {
                self.max_recovery_timeout = errors
                    .ok(args::checked_duration(
                        name,
                        value,
                        breaker::max_recovery_timeout,
                    ))
                    .map(|d| (d, key.clone()))
            }
            "fallback" => {
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
            "fallback_on_failure" => {
                self.fallback_on_failure = errors.ok(boolean(name, value)).map(|b| (b, key.clone()))
            }
            "adaptive" => self.adaptive = errors.ok(number(breaker::adaptive)),
            "max_trial_wait" => {
                self.max_trial_wait =
                    errors.ok(args::checked_duration(name, value, breaker::max_trial_wait))
            }
            _ => unreachable!("`{name}` is in KEYS but has no reader"),
        }
    }

    fn validate(&self, written: &args::Written, errors: &mut Errors) {
        if !written.contains("failure_rate") {
            if let Some((_, key)) = self
                .window
                .as_ref()
                .filter(|_| !written.contains("adaptive"))
            {
                errors.at(key, breaker::window_without_policy());
            }
            if let Some((_, key)) = &self.minimum_calls {
                errors.at(key, breaker::minimum_calls_without_rate());
            }
        }
        if let Some((minimum, key)) = &self.minimum_calls {
            // A time window holds any number of calls; a `window` refused above is not
            // compared.
            let window = match &self.window {
                Some((WindowArg::Calls(n), _)) => Some(Some(*n)),
                Some((WindowArg::Time(_), _)) => None,
                None if written.contains("window") => None,
                None => Some(None),
            };
            if let Some(window) = window
                && let Err(invalid) = breaker::minimum_calls_within_window(*minimum, window)
            {
                errors.at(key, invalid);
            }
        }
        if !written.contains("recovery_backoff") {
            if let Some((_, key)) = &self.max_recovery_timeout {
                errors.at(key, breaker::max_recovery_timeout_without_backoff());
            }
        }
        if let Some((max, key)) = &self.max_recovery_timeout {
            // Known only when both are written as strings (or `recovery_timeout` is left
            // unset); a `recovery_timeout` refused above is not compared.
            let recovery = match &self.recovery_timeout {
                None if written.contains("recovery_timeout") => None,
                None => Some(None),
                Some(d) => d.nanos().map(|nanos| Some(Duration::from_nanos(nanos))),
            };
            if let (Some(max), Some(recovery)) = (max.nanos(), recovery) {
                let max = Duration::from_nanos(max);
                if let Err(invalid) = breaker::max_recovery_timeout_within(max, recovery) {
                    errors.at(key, invalid);
                }
            }
        }
        if let Some((_, key)) = &self.fallback_on_failure {
            if !written.contains("fallback") {
                errors.at(
                    key,
                    "`fallback_on_failure` needs a `fallback = path` to call",
                );
            }
        }
    }
}

fn parse_window(value: &Expr) -> syn::Result<WindowArg> {
    match value {
        Expr::Group(group) => parse_window(&group.expr),
        Expr::Lit(ExprLit {
            lit: Lit::Int(_), ..
        })
        | Expr::Unary(_) => args::integer("window", value)
            .and_then(|(n, span)| args::checked(span, breaker::window_calls(n)))
            .map(WindowArg::Calls),
        Expr::Lit(ExprLit {
            lit: Lit::Str(_) | Lit::Float(_),
            ..
        })
        | Expr::Path(_)
        | Expr::Call(_)
        | Expr::MethodCall(_)
        | Expr::Block(_) => {
            args::checked_duration("window", value, breaker::window_time).map(WindowArg::Time)
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
