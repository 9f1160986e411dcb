//! The shared test corpus of the crates that use these rules: every front door (the
//! attributes, the environment, configuration files) runs it through its own syntax, so
//! that a value one of them refuses is refused by all, with the same words. Not an API.

/// Duration strings, each with its value in nanoseconds or words its error says.
pub const DURATIONS: &[(&str, Result<u64, &str>)] = &[
    ("250ms", Ok(250_000_000)),
    ("1.5s", Ok(1_500_000_000)),
    ("2m", Ok(120_000_000_000)),
    ("1h", Ok(3_600_000_000_000)),
    ("10us", Ok(10_000)),
    ("7ns", Ok(7)),
    ("0ms", Ok(0)),
    ("0s", Ok(0)),
    ("0.001s", Ok(1_000_000)),
    ("0.25h", Ok(900_000_000_000)),
    ("007s", Ok(7_000_000_000)),
    ("18446744073709551615ns", Ok(u64::MAX)),
    ("250", Err("has no unit")),
    ("1.5", Err("has no unit")),
    ("ms", Err("does not start with a number")),
    ("", Err("empty")),
    ("5 s", Err("unexpected space")),
    (" 5s", Err("unexpected space")),
    ("5s ", Err("unexpected space")),
    ("5secs", Err("use \"s\"")),
    ("2mins", Err("use \"m\"")),
    ("1hr", Err("use \"h\"")),
    ("3µs", Err("use \"us\"")),
    ("3millis", Err("use \"ms\"")),
    ("5d", Err("24h")),
    ("5x", Err("unknown unit")),
    ("5S", Err("unknown unit")),
    ("5MS", Err("unknown unit")),
    ("1.s", Err("malformed")),
    ("1..2s", Err("malformed")),
    (".5s", Err("malformed")),
    ("1.2.3s", Err("malformed")),
    ("1.5ns", Err("finer than a nanosecond")),
    ("0.0000000001s", Err("finer than a nanosecond")),
    ("0.1234567890123456789s", Err("more decimals")),
    ("99999999999h", Err("too long")),
    ("18446744073709551616ns", Err("too long")),
    (
        "999999999999999999999999999999999999999999s",
        Err("too long"),
    ),
    ("-1s", Err("does not start with a number")),
    ("+1s", Err("does not start with a number")),
];

/// A value as written, rendered by each front door in its own syntax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An integer: `3`.
    Int(i64),
    /// A number with a fractional part: `1.5`.
    Float(f64),
    /// A duration string: `"0s"`.
    Duration(&'static str),
    /// A word: `linear` in an attribute, `"linear"` in a file.
    Word(&'static str),
}

/// Which settings a case configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `#[circuit_breaker]`, `RESILIENCE_BREAKER_*`, `[breakers.<name>]`.
    Breaker,
    /// `#[retry]`, `[retry.<name>]` (not configured from the environment).
    Retry,
    /// `RESILIENCE_BUDGET_*`, `[budgets.<name>]` (not an attribute's).
    Budget,
}

/// Settings written together, one of which every front door refuses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refused {
    /// Which settings.
    pub target: Target,
    /// The settings written, by key, in order.
    pub settings: &'static [(&'static str, Value)],
    /// The key of the setting refused.
    pub refused: &'static str,
    /// Words the refusal says.
    pub says: &'static str,
}

const fn case(
    target: Target,
    settings: &'static [(&'static str, Value)],
    refused: &'static str,
    says: &'static str,
) -> Refused {
    Refused {
        target,
        settings,
        refused,
        says,
    }
}

use Target::{Breaker, Budget, Retry};
use Value::{Duration as D, Float as F, Int as I, Word as W};

/// Values the attributes refuse, and so the environment and files too.
pub const REFUSED: &[Refused] = &[
    case(
        Breaker,
        &[("failure_threshold", I(0))],
        "failure_threshold",
        "at least 1",
    ),
    case(
        Breaker,
        &[("half_open_max_calls", I(0))],
        "half_open_max_calls",
        "at least 1",
    ),
    case(
        Breaker,
        &[("success_threshold", I(-1))],
        "success_threshold",
        "at least 1",
    ),
    case(
        Breaker,
        &[("recovery_timeout", D("0s"))],
        "recovery_timeout",
        "longer than zero",
    ),
    case(
        Breaker,
        &[("slow_call", D("0s"))],
        "slow_call",
        "longer than zero",
    ),
    case(
        Breaker,
        &[("failure_rate", F(1.5))],
        "failure_rate",
        "(0, 1]",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.0))],
        "failure_rate",
        "(0, 1]",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.5)), ("window", I(0))],
        "window",
        "at least 1 call",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.5)), ("window", I(100_000))],
        "window",
        "at most 65536 calls",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.5)), ("window", D("500us"))],
        "window",
        "at least 1ms",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.5)), ("minimum_calls", I(0))],
        "minimum_calls",
        "at least 1",
    ),
    case(
        Breaker,
        &[
            ("failure_rate", F(0.5)),
            ("window", I(10)),
            ("minimum_calls", I(20)),
        ],
        "minimum_calls",
        "never be reached",
    ),
    case(
        Breaker,
        &[("failure_rate", F(0.5)), ("minimum_calls", I(200))],
        "minimum_calls",
        "last 100 calls (`window` unless set)",
    ),
    case(
        Breaker,
        &[("recovery_backoff", F(0.5))],
        "recovery_backoff",
        "at least 1",
    ),
    case(
        Breaker,
        &[
            ("recovery_backoff", F(2.0)),
            ("max_recovery_timeout", D("0s")),
        ],
        "max_recovery_timeout",
        "longer than zero",
    ),
    case(
        Breaker,
        &[
            ("recovery_timeout", D("10s")),
            ("recovery_backoff", F(2.0)),
            ("max_recovery_timeout", D("5s")),
        ],
        "max_recovery_timeout",
        "shorter than `recovery_timeout` (10s)",
    ),
    case(
        Breaker,
        &[
            ("recovery_backoff", F(2.0)),
            ("max_recovery_timeout", D("30s")),
        ],
        "max_recovery_timeout",
        "(60s unless set)",
    ),
    case(Breaker, &[("adaptive", F(0.5))], "adaptive", "at least 1"),
    case(Breaker, &[("window", I(50))], "window", "only applies with"),
    case(
        Breaker,
        &[("minimum_calls", I(5))],
        "minimum_calls",
        "only applies with",
    ),
    case(
        Breaker,
        &[("max_recovery_timeout", D("10m"))],
        "max_recovery_timeout",
        "only applies with",
    ),
    case(
        Retry,
        &[("max_attempts", I(0))],
        "max_attempts",
        "at least 1",
    ),
    case(
        Retry,
        &[("multiplier", F(1.0))],
        "multiplier",
        "greater than 1",
    ),
    case(
        Retry,
        &[("backoff", W("linear")), ("multiplier", F(2.0))],
        "multiplier",
        "only applies to `backoff = exponential`",
    ),
    case(
        Retry,
        &[("max_elapsed", D("0s"))],
        "max_elapsed",
        "longer than zero",
    ),
    case(
        Retry,
        &[("initial_delay", D("2m"))],
        "initial_delay",
        "longer than `max_delay`",
    ),
    case(
        Retry,
        &[("initial_delay", D("2s")), ("max_delay", D("1s"))],
        "initial_delay",
        "longer than `max_delay` (1s)",
    ),
    case(
        Retry,
        &[("max_retries", I(-1))],
        "max_retries",
        "at least 0",
    ),
    case(
        Retry,
        &[("max_attempts", I(4)), ("max_retries", I(3))],
        "max_retries",
        "keep one",
    ),
    case(
        Retry,
        &[("max_attempts", W("unlimited")), ("max_retries", I(3))],
        "max_retries",
        "keep one",
    ),
    case(
        Retry,
        &[("max_retry_after", D("0s"))],
        "max_retry_after",
        "longer than zero",
    ),
    case(Retry, &[("jitter", F(1.5))], "jitter", "(0, 1]"),
    case(Retry, &[("jitter", F(0.0))], "jitter", "write `none`"),
    case(Budget, &[("ratio", F(-1.0))], "ratio", "[0, 1000]"),
    case(Budget, &[("ratio", F(1001.0))], "ratio", "[0, 1000]"),
    case(
        Budget,
        &[("min_retries_per_second", I(-1))],
        "min_retries_per_second",
        "from 0",
    ),
    case(Budget, &[("window", D("0s"))], "window", "at least 1ms"),
    case(Budget, &[("window", D("500us"))], "window", "at least 1ms"),
];
