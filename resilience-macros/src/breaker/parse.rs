//! Reading and checking `#[circuit_breaker]`'s arguments.

use proc_macro2::Span;
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
            "failure_threshold" => self.failure_threshold = errors.ok(args::integer(name, value, 1)),
            "recovery_timeout" => {
                self.recovery_timeout = errors.ok(positive_duration(name, value))
            }
            "half_open_max_calls" => {
                self.half_open_max_calls = errors.ok(args::integer(name, value, 1))
            }
            "success_threshold" => self.success_threshold = errors.ok(args::integer(name, value, 1)),
            "when" => self.when = errors.ok(args::path(name, value, "a `fn(&E) -> bool`")),
            "failure_rate" => {
                self.failure_rate = errors.ok(args::float(name, value).and_then(|(rate, span)| {
                    if rate > 0.0 && rate <= 1.0 {
                        Ok((rate, span))
                    } else {
                        Err(syn::Error::new(
                            span,
                            format!(
                                "`failure_rate` is a fraction in (0, 1], found {rate}: `failure_rate = 0.5` opens at 50% failures"
                            ),
                        ))
                    }
                }))
            }
            "window" => {
                self.window = errors.ok(parse_window(value)).map(|w| (w, key.clone()))
            }
            "minimum_calls" => {
                self.minimum_calls = errors
                    .ok(args::integer(name, value, 1))
                    .map(|n| (n, key.clone()))
            }
            "slow_call" => self.slow_call = errors.ok(positive_duration(name, value)),
            "recovery_backoff" => {
                self.recovery_backoff =
                    errors.ok(args::float(name, value).and_then(|(factor, span)| {
                        if factor >= 1.0 {
                            Ok((factor, span))
                        } else {
                            Err(syn::Error::new(
                                span,
                                format!(
                                    "`recovery_backoff` is the growth of the open time per failed recovery and must be at least 1, found {factor}"
                                ),
                            ))
                        }
                    }))
            }
            "max_recovery_timeout" => {
                self.max_recovery_timeout = errors
                    .ok(positive_duration(name, value))
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
            "adaptive" => {
                self.adaptive = errors.ok(args::float(name, value).and_then(|(k, span)| {
                    if k >= 1.0 {
                        Ok((k, span))
                    } else {
                        Err(syn::Error::new(
                            span,
                            format!(
                                "`adaptive` is the multiplier K of adaptive throttling and must be at least 1, found {k}: below 1 it would reject calls to a healthy dependency; `adaptive = 2.0` is the usual choice"
                            ),
                        ))
                    }
                }))
            }
            "max_trial_wait" => {
                self.max_trial_wait = errors.ok(args::duration(name, value))
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
                errors.at(key, "`window` only applies with `failure_rate` or `adaptive`: add `failure_rate = 0.5` or `adaptive = 2.0` (for example), or remove `window`");
            }
            if let Some((_, key)) = &self.minimum_calls {
                errors.at(key, "`minimum_calls` only applies with `failure_rate`: add `failure_rate = 0.5` (for example) or remove `minimum_calls`");
            }
        }
        if let (Some((WindowArg::Calls(window), _)), Some((minimum, key))) =
            (&self.window, &self.minimum_calls)
        {
            if minimum > window {
                errors.at(
                    key,
                    format!(
                        "`minimum_calls = {minimum}` can never be reached in a window of the last {window} calls: lower it or widen `window`"
                    ),
                );
            }
        }
        if !written.contains("recovery_backoff") {
            if let Some((_, key)) = &self.max_recovery_timeout {
                errors.at(key, "`max_recovery_timeout` only applies with `recovery_backoff`: add `recovery_backoff = 2.0` (for example) or remove it");
            }
        }
        if let Some((max, key)) = &self.max_recovery_timeout {
            // Known only when both are written as strings (or `recovery_timeout` is left at
            // 60s).
            let recovery = self
                .recovery_timeout
                .as_ref()
                .map_or(Some(60_000_000_000), |d| d.nanos());
            if matches!((max.nanos(), recovery), (Some(max), Some(recovery)) if max < recovery) {
                errors.at(
                    key,
                    "`max_recovery_timeout` is shorter than `recovery_timeout` (60s unless set): raise it",
                );
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

fn positive_duration(key: &str, value: &Expr) -> syn::Result<DurationArg> {
    let d = args::duration(key, value)?;
    if d.is_zero() {
        return Err(syn::Error::new(
            d.span(),
            format!("`{key}` must be longer than zero"),
        ));
    }
    Ok(d)
}

fn parse_window(value: &Expr) -> syn::Result<WindowArg> {
    match value {
        Expr::Group(group) => parse_window(&group.expr),
        Expr::Lit(ExprLit {
            lit: Lit::Int(_), ..
        }) => args::integer("window", value, 1).map(WindowArg::Calls),
        Expr::Lit(ExprLit {
            lit: Lit::Str(_) | Lit::Float(_),
            ..
        })
        | Expr::Path(_)
        | Expr::Call(_)
        | Expr::MethodCall(_)
        | Expr::Block(_) => positive_duration("window", value).map(WindowArg::Time),
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
