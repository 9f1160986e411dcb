//! `#[circuit_breaker(...)]`: stop calling a dependency that keeps failing.
//!
//! Three phases: [`parse`] reads each argument into [`BreakerArgs`], [`validate`] checks them
//! against each other, and [`expand`] writes the permit around a call.

mod expand;
mod parse;
mod validate;

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Ident, LitStr, Path};

use crate::{args, duration::DurationArg};

/// `#[circuit_breaker]`'s arguments, each checked on its own.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    name: Option<LitStr>,
    failure_threshold: Option<u32>,
    recovery_timeout: Option<DurationArg>,
    half_open_max_calls: Option<u32>,
    success_threshold: Option<u32>,
    when: Option<Path>,
    failure_rate: Option<(f64, Span)>,
    window: Option<(Window, Ident)>,
    minimum_calls: Option<(u32, Ident)>,
    slow_call: Option<DurationArg>,
    recovery_backoff: Option<(f64, Span)>,
    max_recovery_timeout: Option<(DurationArg, Ident)>,
    fallback: Option<Path>,
    fallback_on_failure: Option<(bool, Ident)>,
    /// Adaptive throttling's multiplier `K`.
    adaptive: Option<(f64, Span)>,
    max_trial_wait: Option<DurationArg>,
    /// A keyed breaker's key: an expression over the function's arguments.
    key: Option<(Box<Expr>, Ident)>,
    /// The most keys of a keyed breaker's family.
    max_keys: Option<(u32, Ident)>,
    /// How long a key's breaker is kept unused.
    idle_timeout: Option<Box<(DurationArg, Ident)>>,
}

args::spelled! {
    /// An argument of `#[circuit_breaker]`.
    pub(crate) enum Key in KEYS {
        Name = "name",
        FailureThreshold = "failure_threshold",
        RecoveryTimeout = "recovery_timeout",
        HalfOpenMaxCalls = "half_open_max_calls",
        SuccessThreshold = "success_threshold",
        When = "when",
        FailureRate = "failure_rate",
        Window = "window",
        MinimumCalls = "minimum_calls",
        SlowCall = "slow_call",
        RecoveryBackoff = "recovery_backoff",
        MaxRecoveryTimeout = "max_recovery_timeout",
        Fallback = "fallback",
        FallbackOnFailure = "fallback_on_failure",
        Adaptive = "adaptive",
        MaxTrialWait = "max_trial_wait",
        Keyed = "key",
        MaxKeys = "max_keys",
        IdleTimeout = "idle_timeout",
    }
}

/// `window = 100` (the last 100 calls) or `window = "30s"` (the calls of the last 30 s; a
/// `const` `Duration` too).
enum Window {
    Calls(u32),
    Time(DurationArg),
}

impl BreakerArgs {
    /// Reads and checks `#[circuit_breaker]`'s arguments, reporting every mistake at once.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let (breaker, written, mut errors) = args::key_values::<BreakerArgs>(tokens)?;
        breaker.validate(&written, &mut errors);
        errors.finish().map(|()| breaker)
    }

    /// The `fallback` function, if one is written.
    pub(crate) fn fallback(&self) -> Option<&Path> {
        self.fallback.as_ref()
    }

    /// The `key` expression of a keyed breaker, if one is written.
    pub(crate) fn key(&self) -> Option<&Expr> {
        self.key.as_ref().map(|(expr, _)| &**expr)
    }
}
