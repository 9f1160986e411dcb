//! `#[retry(...)]`: run the body again when it returns an error.
//!
//! Three phases: [`parse`] reads each argument into [`RetryArgs`], [`validate`] checks them
//! against each other, and [`expand`] writes the retry loop around an attempt.

mod expand;
mod parse;
mod validate;

use proc_macro2::{Span, TokenStream};
use syn::{Ident, LitStr, Path};

use crate::{args, duration::DurationArg};

/// `#[retry]`'s arguments, each checked on its own.
#[derive(Default)]
pub(crate) struct RetryArgs {
    max_attempts: Option<u32>,
    backoff: Option<(Backoff, Ident)>,
    initial_delay: Option<DurationArg>,
    multiplier: Option<(f64, Span)>,
    max_delay: Option<DurationArg>,
    jitter: Option<Jitter>,
    max_elapsed: Option<DurationArg>,
    when: Option<Path>,
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
        Backoff = "backoff",
        InitialDelay = "initial_delay",
        Multiplier = "multiplier",
        MaxDelay = "max_delay",
        Jitter = "jitter",
        MaxElapsed = "max_elapsed",
        When = "when",
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
            | Key::Backoff
            | Key::InitialDelay
            | Key::Multiplier
            | Key::MaxDelay
            | Key::Jitter
            | Key::MaxElapsed => true,
            Key::When | Key::OnRetry | Key::Policy | Key::Name | Key::Budget => false,
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
