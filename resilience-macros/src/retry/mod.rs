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

/// An argument of `#[retry]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    MaxAttempts,
    Backoff,
    InitialDelay,
    Multiplier,
    MaxDelay,
    Jitter,
    MaxElapsed,
    When,
    OnRetry,
    Policy,
    Name,
    Budget,
}

/// Every argument, in the order messages list them.
const KEYS: args::Table<Key> = &[
    ("max_attempts", Key::MaxAttempts),
    ("backoff", Key::Backoff),
    ("initial_delay", Key::InitialDelay),
    ("multiplier", Key::Multiplier),
    ("max_delay", Key::MaxDelay),
    ("jitter", Key::Jitter),
    ("max_elapsed", Key::MaxElapsed),
    ("when", Key::When),
    ("on_retry", Key::OnRetry),
    ("policy", Key::Policy),
    ("name", Key::Name),
    ("budget", Key::Budget),
];

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

/// `backoff = ...`: how the delay grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backoff {
    Constant,
    Linear,
    Exponential,
    Fibonacci,
}

const BACKOFFS: args::Table<Backoff> = &[
    ("constant", Backoff::Constant),
    ("linear", Backoff::Linear),
    ("exponential", Backoff::Exponential),
    ("fibonacci", Backoff::Fibonacci),
];

/// `jitter = full`, or `jitter = 0.1` for ±10%.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
    Proportional(f64),
}

/// The jitters written as a word.
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
