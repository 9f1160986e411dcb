//! Reading and checking `#[retry]`'s arguments.

use proc_macro2::Span;
use syn::{Expr, Ident, LitStr, Path};

use crate::{
    args::{self, Errors},
    duration::DurationArg,
};

const KEYS: &[&str] = &[
    "max_attempts",
    "backoff",
    "initial_delay",
    "multiplier",
    "max_delay",
    "jitter",
    "max_elapsed",
    "when",
    "on_retry",
    "policy",
    "name",
    "budget",
];

/// The keys that describe the schedule, which a `policy = PATH` already fixes.
const SCHEDULE_KEYS: &[&str] = &[
    "max_attempts",
    "backoff",
    "initial_delay",
    "multiplier",
    "max_delay",
    "jitter",
    "max_elapsed",
];

pub(crate) const BACKOFFS: &[&str] = &["constant", "linear", "exponential", "fibonacci"];
pub(crate) const JITTERS: &[&str] = &["none", "full", "equal", "decorrelated"];

/// `budget = "orders"`: a shared, named budget; `budget = none`: no budget.
pub(crate) enum BudgetArg {
    Named(LitStr),
    None,
}

/// `jitter = full`, or `jitter = 0.1` for ±10%.
pub(crate) enum JitterArg {
    Word(Ident),
    Proportional(f64),
}

/// `#[retry]`'s arguments, each checked on its own; [`RetryArgs::parse`] also checks them
/// against each other.
#[derive(Default)]
pub(crate) struct RetryArgs {
    pub(crate) max_attempts: Option<u32>,
    pub(crate) backoff: Option<Ident>,
    pub(crate) initial_delay: Option<DurationArg>,
    pub(crate) multiplier: Option<(f64, Span)>,
    pub(crate) max_delay: Option<DurationArg>,
    pub(crate) jitter: Option<JitterArg>,
    pub(crate) max_elapsed: Option<DurationArg>,
    pub(crate) when: Option<Path>,
    pub(crate) on_retry: Option<Path>,
    pub(crate) policy: Option<Path>,
    /// The name the call site's statistics, logs and metrics go by.
    pub(crate) name: Option<LitStr>,
    /// The retry budget; the site's own when unset.
    pub(crate) budget: Option<BudgetArg>,
}

impl args::KeyValueArgs for RetryArgs {
    const ATTRIBUTE: &'static str = "retry";
    const KEYS: &'static [&'static str] = KEYS;
    const EXAMPLE: &'static str = "max_attempts = 3";

    fn set(&mut self, name: &str, _key: &Ident, value: &Expr, errors: &mut Errors) {
        match name {
            "max_attempts" => self.max_attempts = errors.ok(args::integer(name, value, 1)),
            "backoff" => self.backoff = errors.ok(args::word(name, value, BACKOFFS)),
            "initial_delay" => self.initial_delay = errors.ok(args::duration(name, value)),
            "multiplier" => {
                self.multiplier = errors.ok(args::float(name, value).and_then(|(m, span)| {
                    if m > 1.0 {
                        Ok((m, span))
                    } else {
                        Err(syn::Error::new(
                            span,
                            format!(
                                "`multiplier` must be greater than 1, found {m}: for equal delays use `backoff = constant`"
                            ),
                        ))
                    }
                }))
            }
            "max_delay" => self.max_delay = errors.ok(args::duration(name, value)),
            "jitter" => self.jitter = errors.ok(parse_jitter(value)),
            "max_elapsed" => {
                self.max_elapsed = errors.ok(args::duration(name, value).and_then(|d| {
                    if d.is_zero() {
                        Err(syn::Error::new(
                            d.span(),
                            "`max_elapsed` of zero would never retry: use `max_attempts = 1` instead, or a positive budget",
                        ))
                    } else {
                        Ok(d)
                    }
                }))
            }
            "when" => self.when = errors.ok(args::path(name, value, "a `fn(&E) -> bool`")),
            "on_retry" => {
                self.on_retry =
                    errors.ok(args::path(name, value, "a `fn(&E, u32, Duration)`"))
            }
            "policy" => {
                self.policy = errors.ok(args::path(name, value, "a `const` `RetryPolicy`"))
            }
            "name" => {
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
            "budget" => self.budget = errors.ok(parse_budget(value)),
            _ => unreachable!("`{name}` is in KEYS but has no reader"),
        }
    }

    fn validate(&self, written: &args::Written, errors: &mut Errors) {
        if written.contains("policy") {
            let schedule = written
                .iter()
                .filter(|key| SCHEDULE_KEYS.iter().any(|k| *key == k));
            for key in schedule {
                errors.at(
                    key,
                    format!(
                        "`{key}` cannot be combined with `policy`: the policy already fixes the schedule; set it on the policy with `.with_{key}(..)` or drop `policy`"
                    ),
                );
            }
        }
        if let (Some((_, span)), Some(backoff)) = (&self.multiplier, &self.backoff) {
            if backoff != "exponential" {
                errors.at(
                    *span,
                    format!(
                        "`multiplier` only applies to `backoff = exponential`, not `{backoff}`: remove it"
                    ),
                );
            }
        }
        // Known only when both are written as strings (or `max_delay` is left at 30s).
        let max_delay = self
            .max_delay
            .as_ref()
            .map_or(Some(30_000_000_000), |d| d.nanos());
        if let (Some(initial), Some(max_delay)) = (&self.initial_delay, max_delay) {
            if initial.nanos().is_some_and(|nanos| nanos > max_delay) {
                errors.at(
                    initial.span(),
                    "`initial_delay` is longer than `max_delay` (30s unless set), so every delay would be cut to `max_delay`: raise `max_delay` or lower `initial_delay`",
                );
            }
        }
    }
}

fn parse_budget(value: &Expr) -> syn::Result<BudgetArg> {
    if let Ok(lit) = args::string("budget", value) {
        return if lit.value().trim().is_empty() {
            Err(syn::Error::new(
                lit.span(),
                "`budget` must not be empty: name the budget to share, as in `budget = \"orders\"`, or write `budget = none`",
            ))
        } else {
            Ok(BudgetArg::Named(lit))
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
    args::word("budget", value, &["none"])
        .map(|_| BudgetArg::None)
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                "`budget` takes the name of a shared budget, as in `budget = \"orders\"`, or `none` for no budget (without it, the function has a budget of its own)",
            )
        })
}

fn parse_jitter(value: &Expr) -> syn::Result<JitterArg> {
    if let Ok((fraction, span)) = args::float("jitter", value) {
        return if fraction > 0.0 && fraction <= 1.0 {
            Ok(JitterArg::Proportional(fraction))
        } else {
            Err(syn::Error::new(
                span,
                format!(
                    "a proportional `jitter` must be in (0, 1], found {fraction}: `jitter = 0.1` is ±10%"
                ),
            ))
        };
    }
    args::word("jitter", value, JITTERS)
        .map(JitterArg::Word)
        .map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("{e}, or a fraction such as `0.1` for ±10%"),
            )
        })
}
