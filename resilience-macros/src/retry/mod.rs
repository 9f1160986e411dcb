//! `#[retry(...)]`: run the body again when it returns an error.
//!
//! Three phases: [`parse`] reads each argument into [`RetryArgs`], [`validate`] checks them
//! against each other, and [`expand`] writes the retry loop around an attempt.

mod expand;
mod parse;
mod validate;

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Ident, LitStr, Path};

use crate::{args, duration::DurationArg};

/// `#[retry]`'s arguments, each checked on its own.
#[derive(Default)]
pub(crate) struct RetryArgs {
    /// `max_attempts` or `max_retries` (both written is refused in `validate`).
    attempts: Option<Attempts>,
    backoff: Option<(Backoff, Ident)>,
    initial_delay: Option<DurationArg>,
    multiplier: Option<(f64, Span)>,
    /// `multiplier = expr`, checked at run time.
    multiplier_at: Option<Box<Expr>>,
    max_delay: Option<Cap>,
    /// The cap on a `Retry-After` hint's delay.
    max_retry_after: Option<Cap>,
    jitter: Option<Jitter>,
    max_elapsed: Option<DurationArg>,
    when: Option<Path>,
    /// Which `Ok` values are retried.
    retry_if_ok: Option<Path>,
    on_retry: Option<Path>,
    policy: Option<Path>,
    /// The name the call site's statistics, logs and metrics go by.
    name: Option<LitStr>,
    /// The retry budget; the site's own when unset.
    budget: Option<Budget>,
}

args::spelled! {
    /// An argument of `#[retry]`.
    pub(crate) enum Key in KEYS {
        MaxAttempts = "max_attempts",
        MaxRetries = "max_retries",
        Backoff = "backoff",
        InitialDelay = "initial_delay",
        Multiplier = "multiplier",
        MaxDelay = "max_delay",
        MaxRetryAfter = "max_retry_after",
        Jitter = "jitter",
        MaxElapsed = "max_elapsed",
        When = "when",
        RetryIfOk = "retry_if_ok",
        OnRetry = "on_retry",
        Policy = "policy",
        Name = "name",
        Budget = "budget",
    }
}

impl Key {
    /// Whether it describes the schedule, which a `policy = PATH` already fixes.
    fn is_schedule(self) -> bool {
        match self {
            Key::MaxAttempts
            | Key::MaxRetries
            | Key::MaxRetryAfter
            | Key::Backoff
            | Key::InitialDelay
            | Key::Multiplier
            | Key::MaxDelay
            | Key::Jitter
            | Key::MaxElapsed => true,
            Key::When | Key::RetryIfOk | Key::OnRetry | Key::Policy | Key::Name | Key::Budget => {
                false
            }
        }
    }
}

args::spelled! {
    /// `backoff = ...`: how the delay grows.
    enum Backoff in BACKOFFS {
        Constant = "constant",
        Linear = "linear",
        Exponential = "exponential",
        Fibonacci = "fibonacci",
    }
}

/// `jitter = full`, or `jitter = 0.1` for ±10%.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
    Proportional(f64),
}

/// The jitters written as a word (all but `Proportional`, written as a number).
const JITTERS: args::Table<Jitter> = &[
    ("none", Jitter::None),
    ("full", Jitter::Full),
    ("equal", Jitter::Equal),
    ("decorrelated", Jitter::Decorrelated),
];

/// How many attempts: `max_attempts = N`, `max_attempts = unlimited` or `max_retries = N`.
enum Attempts {
    /// `max_attempts = N`: the first included.
    Total(u32),
    /// `max_retries = N`: the attempts after the first.
    Retries(u32),
    /// `max_attempts = unlimited`.
    Unlimited,
    /// `max_attempts = expr`, checked at run time.
    TotalAt(Box<Expr>),
    /// `max_retries = expr`, checked at run time.
    RetriesAt(Box<Expr>),
}

/// A cap on a delay: a duration, or `none` for no cap.
enum Cap {
    At(DurationArg),
    None,
}

impl Cap {
    /// The cap, when written as a string; `Some(None)` for `none`; `None` when an expression.
    fn known(&self) -> Option<Option<std::time::Duration>> {
        match self {
            Cap::At(d) => d.known().map(Some),
            Cap::None => Some(None),
        }
    }
}

/// `budget = "orders"`: a shared, named budget; `budget = none`: no budget.
enum Budget {
    Named(LitStr),
    None,
}

impl RetryArgs {
    /// Reads and checks `#[retry]`'s arguments, reporting every mistake at once.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let (retry, written, mut errors) = args::key_values::<RetryArgs>(tokens)?;
        retry.validate(&written, &mut errors);
        errors.finish().map(|()| retry)
    }
}
