//! Reading and checking `#[retry]`'s arguments.

use std::time::Duration;

use proc_macro2::Span;
use resilience_settings::retry;
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
            // Each value is checked by its setting's rule in `resilience_settings`, which
            // configuration files apply too.
            "max_attempts" => {
                self.max_attempts = errors.ok(
                    args::integer(name, value)
                        .and_then(|(n, span)| args::checked(span, retry::max_attempts(n))),
                )
            }
            "backoff" => self.backoff = errors.ok(args::word(name, value, BACKOFFS)),
            "initial_delay" => {
                self.initial_delay =
                    errors.ok(args::checked_duration(name, value, retry::initial_delay))
            }
            "multiplier" => {
                self.multiplier = errors.ok(args::float(name, value).and_then(|(m, span)| {
                    args::checked(span, retry::multiplier(m)).map(|m| (m, span))
                }))
            }
            "max_delay" => {
                self.max_delay = errors.ok(args::checked_duration(name, value, retry::max_delay))
            }
            "jitter" => self.jitter = errors.ok(parse_jitter(value)),
            "max_elapsed" => {
                self.max_elapsed =
                    errors.ok(args::checked_duration(name, value, retry::max_elapsed))
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
                    retry::multiplier_without_exponential(&backoff.to_string()),
                );
            }
        }
        // Known only when both are written as strings (or `max_delay` is left unset); a
        // `max_delay` refused above is not compared.
        let max_delay = match &self.max_delay {
            None if written.contains("max_delay") => None,
            None => Some(None),
            Some(d) => d.nanos().map(|nanos| Some(Duration::from_nanos(nanos))),
        };
        if let (Some(initial), Some(max_delay)) = (&self.initial_delay, max_delay) {
            if let Some(nanos) = initial.nanos() {
                let within =
                    retry::initial_delay_within_max_delay(Duration::from_nanos(nanos), max_delay);
                if let Err(invalid) = within {
                    errors.at(initial.span(), invalid);
                }
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
        return args::checked(span, retry::jitter_fraction(fraction)).map(JitterArg::Proportional);
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
