//! What a call can learn of its retries: the attempt it is in ([`Attempt`], handed to the
//! operation by [`Retry::call_with_attempt`](crate::Retry::call_with_attempt)) and, once it
//! ends, how it went ([`RetryOutcome`], from
//! [`Retry::call_with_outcome`](crate::Retry::call_with_outcome)), without wrapping the
//! caller's error.

use std::time::Duration;

use super::policy::RetryPolicy;
use crate::observe::GiveUp;

/// The attempt an operation is in: its number, and whether the policy's count allows
/// another after it. Handed to the operation by
/// [`Retry::call_with_attempt`](crate::Retry::call_with_attempt) and
/// [`Retry::call_async_with_attempt`](crate::Retry::call_async_with_attempt), to log
/// "attempt 2 of 5", raise a timeout on the last try, or send an attempt header.
///
/// ```
/// use std::time::Duration;
/// use resilience::RetryPolicy;
///
/// let mut seen = Vec::new();
/// let _: Result<(), &str> = RetryPolicy::new()
///     .with_initial_delay(Duration::ZERO)
///     .retrying()
///     .without_budget()
///     .call_with_attempt(|attempt| {
///         seen.push((attempt.number(), attempt.is_last()));
///         Err("down")
///     });
/// assert_eq!(seen, [(1, false), (2, false), (3, true)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attempt {
    number: u32,
    last: bool,
}

impl Attempt {
    /// Attempt `number` (1 for the first) under `policy`.
    #[inline]
    pub(crate) const fn new(number: u32, policy: &RetryPolicy) -> Self {
        Attempt {
            number,
            last: policy.is_last_attempt(number),
        }
    }

    /// The attempt's number: 1 for the first call, 2 for the first retry.
    ///
    /// ```
    /// # use resilience::RetryPolicy;
    /// let _: Result<u32, ()> = RetryPolicy::new().retrying().call_with_attempt(|a| Ok(a.number()));
    /// ```
    pub const fn number(&self) -> u32 {
        self.number
    }

    /// Whether this is the first attempt (no retry yet).
    ///
    /// ```
    /// # use resilience::RetryPolicy;
    /// let first = RetryPolicy::new().retrying().call_with_attempt(|a| Ok::<_, ()>(a.is_first()));
    /// assert_eq!(first, Ok(true));
    /// ```
    pub const fn is_first(&self) -> bool {
        self.number == 1
    }

    /// Whether the policy's attempt count allows no attempt after this one. The retry budget,
    /// `max_elapsed` or a deadline may still end the call sooner, which no attempt can know
    /// in advance; a policy without a limit never has a last attempt.
    ///
    /// ```
    /// # use resilience::RetryPolicy;
    /// let policy = RetryPolicy::new().with_max_attempts(1);
    /// assert_eq!(policy.retrying().call_with_attempt(|a| Ok::<_, ()>(a.is_last())), Ok(true));
    /// ```
    pub const fn is_last(&self) -> bool {
        self.last
    }
}

/// How a call went: its result, unchanged, with the attempts made, the time slept between
/// them and why the retries stopped short of a success; from
/// [`Retry::call_with_outcome`](crate::Retry::call_with_outcome) and
/// [`Retry::call_async_with_outcome`](crate::Retry::call_async_with_outcome). What
/// reqwest-retry reports in its error, without wrapping yours.
///
/// ```
/// use std::time::Duration;
/// use resilience::{GiveUp, RetryPolicy};
///
/// let outcome = RetryPolicy::new()
///     .with_initial_delay(Duration::ZERO)
///     .retrying()
///     .without_budget()
///     .call_with_outcome(|| Err::<(), _>("down"));
/// assert_eq!(outcome.result, Err("down"));
/// assert_eq!(outcome.attempts, 3);
/// assert_eq!(outcome.gave_up, Some(GiveUp::Exhausted));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryOutcome<T, E> {
    /// What the last attempt returned.
    pub result: Result<T, E>,
    /// The attempts made, the first included.
    pub attempts: u32,
    /// The time slept between them.
    pub slept: Duration,
    /// Why no further attempt was made, when the last attempt's result was one the retry
    /// would have tried again (an error, or a value `retry_if_ok` retries) or an error it does
    /// not retry ([`GiveUp::NotRetryable`]); `None` when the call ended with a value it
    /// accepts.
    pub gave_up: Option<GiveUp>,
}

impl<T, E> RetryOutcome<T, E> {
    /// A call whose first attempt succeeded.
    #[inline]
    pub(crate) fn first(value: T) -> Self {
        RetryOutcome {
            result: Ok(value),
            attempts: 1,
            slept: Duration::ZERO,
            gave_up: None,
        }
    }

    /// The retries made: the attempts after the first.
    ///
    /// ```
    /// let outcome = resilience::RetryPolicy::new().retrying().call_with_outcome(|| Ok::<_, ()>(1));
    /// assert_eq!(outcome.retries(), 0);
    /// ```
    pub const fn retries(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }

    /// The result, for `?`.
    ///
    /// ```
    /// let outcome = resilience::RetryPolicy::new().retrying().call_with_outcome(|| Ok::<_, ()>(1));
    /// assert_eq!(outcome.into_result(), Ok(1));
    /// ```
    pub fn into_result(self) -> Result<T, E> {
        self.result
    }
}
