//! What a retry asks of the caller beyond the policy's plain data: which errors to retry
//! ([`RetryIf`]), what to do before each retry ([`OnRetry`]), whether an error asks for its
//! own delay ([`DelayHint`], [`RetryAfter`]), with their defaults; and how the attribute reads
//! an error's [`RetryAfter`] hint without a bound on the error type (the `hint!` probe).

use std::time::Duration;

/// An error that can say how long to wait before the next try, such as an HTTP 429 or 503
/// response with a `Retry-After` header.
///
/// `#[retry]` honours the hint of any error type that implements this trait, with no argument
/// needed; the hint replaces the computed delay (jitter included) and is still capped at
/// `max_delay`. With the plain API, opt in with [`Retry::honor_retry_after`](crate::Retry::honor_retry_after).
///
/// ```
/// use std::time::Duration;
/// use resilience::{RetryAfter, RetryPolicy};
///
/// #[derive(Debug)]
/// struct HttpError { status: u16, retry_after: Option<Duration> }
///
/// impl RetryAfter for HttpError {
///     fn retry_after(&self) -> Option<Duration> {
///         self.retry_after
///     }
/// }
///
/// let waits = std::cell::RefCell::new(Vec::new());
/// let mut calls = 0;
/// let result: Result<(), HttpError> = RetryPolicy::new()
///     .with_max_attempts(2)
///     .retrying()
///     .honor_retry_after()
///     .on_retry(|_: &HttpError, _attempt, delay| waits.borrow_mut().push(delay))
///     .call(|| {
///         calls += 1;
///         Err(HttpError { status: 429, retry_after: Some(Duration::ZERO) })
///     });
/// assert_eq!(calls, 2);
/// assert_eq!(waits.into_inner(), [Duration::ZERO]);
/// ```
///
/// Generic functions see the hint only when the error type is known where the attribute is
/// written; a function generic over its error type uses the computed schedule.
pub trait RetryAfter {
    /// The delay this error asks for, or `None` to use the policy's schedule.
    fn retry_after(&self) -> Option<Duration>;
}

/// Decides whether an error is worth another attempt.
///
/// Implemented for every `Fn(&E) -> bool`, so a function path or a closure fits; see
/// [`classify`](crate::classify) for ready-made answers.
///
/// ```
/// use resilience::RetryIf;
/// let transient = |e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut;
/// assert!(transient.should_retry(&std::io::ErrorKind::TimedOut.into()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot decide whether to retry errors of type `{E}`",
    label = "expected a function `fn(&{E}) -> bool`",
    note = "`when = path` names a function that takes the function's error type by reference and returns `bool`"
)]
pub trait RetryIf<E> {
    /// Whether `error` should be retried.
    fn should_retry(&self, error: &E) -> bool;
}

impl<E, F: Fn(&E) -> bool> RetryIf<E> for F {
    fn should_retry(&self, error: &E) -> bool {
        self(error)
    }
}

/// The default predicate: every error is retried.
///
/// ```
/// use resilience::{AnyError, RetryIf};
/// assert!(RetryIf::<&str>::should_retry(&AnyError, &"anything"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyError;

impl<E> RetryIf<E> for AnyError {
    fn should_retry(&self, _: &E) -> bool {
        true
    }
}

/// Called before each retry with the error, the number of the attempt that failed (1 for the
/// first call) and the delay about to be slept: the place for a log line.
///
/// Implemented for every `Fn(&E, u32, Duration)`.
///
/// ```
/// use std::time::Duration;
/// use resilience::OnRetry;
/// let log = |e: &String, attempt: u32, delay: Duration| {
///     eprintln!("attempt {attempt} failed: {e}; retrying in {delay:?}");
/// };
/// log.on_retry(&"refused".to_string(), 1, Duration::from_millis(100));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot observe retries of errors of type `{E}`",
    label = "expected a function `fn(&{E}, u32, Duration)`",
    note = "`on_retry = path` names a function taking the error by reference, the attempt number that failed and the delay about to be slept"
)]
pub trait OnRetry<E> {
    /// Observes a retry about to happen.
    fn on_retry(&self, error: &E, attempt: u32, delay: Duration);
}

impl<E, F: Fn(&E, u32, Duration)> OnRetry<E> for F {
    fn on_retry(&self, error: &E, attempt: u32, delay: Duration) {
        self(error, attempt, delay)
    }
}

/// The default hook: does nothing.
///
/// ```
/// use resilience::{NoHook, OnRetry};
/// OnRetry::<()>::on_retry(&NoHook, &(), 1, std::time::Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl<E> OnRetry<E> for NoHook {
    fn on_retry(&self, _: &E, _: u32, _: Duration) {}
}

/// Reads a delay requested by an error; see [`RetryAfter`].
///
/// Implemented for every `Fn(&E) -> Option<Duration>`.
///
/// ```
/// use std::time::Duration;
/// use resilience::DelayHint;
/// let hint = |_: &()| Some(Duration::from_secs(1));
/// assert_eq!(hint.delay_hint(&()), Some(Duration::from_secs(1)));
/// ```
pub trait DelayHint<E> {
    /// The delay `error` asks for, if any.
    fn delay_hint(&self, error: &E) -> Option<Duration>;
}

impl<E, F: Fn(&E) -> Option<Duration>> DelayHint<E> for F {
    fn delay_hint(&self, error: &E) -> Option<Duration> {
        self(error)
    }
}

/// The default: errors' hints are ignored.
///
/// ```
/// use resilience::{DelayHint, NoHint};
/// assert_eq!(DelayHint::<()>::delay_hint(&NoHint, &()), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHint;

impl<E> DelayHint<E> for NoHint {
    fn delay_hint(&self, _: &E) -> Option<Duration> {
        None
    }
}

/// Honours [`RetryAfter`]; set by [`Retry::honor_retry_after`](crate::Retry::honor_retry_after).
///
/// ```
/// use std::time::Duration;
/// use resilience::{DelayHint, RetryAfter, UseRetryAfter};
/// struct Busy;
/// impl RetryAfter for Busy {
///     fn retry_after(&self) -> Option<Duration> { Some(Duration::from_secs(2)) }
/// }
/// assert_eq!(UseRetryAfter.delay_hint(&Busy), Some(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct UseRetryAfter;

impl<E: RetryAfter> DelayHint<E> for UseRetryAfter {
    fn delay_hint(&self, error: &E) -> Option<Duration> {
        error.retry_after()
    }
}

/// Wraps an error to read its [`RetryAfter`] hint where the error type
/// implements it, and `None` where it does not (autoref specialisation: with both traits
/// in scope, `(&HintProbe(e)).resilience_hint()` picks the trait impl when it applies).
pub struct HintProbe<'a, E>(pub &'a E);

/// Picked when the error implements [`RetryAfter`].
pub trait HintViaRetryAfter {
    /// The error's hint.
    fn resilience_hint(&self) -> Option<Duration>;
}

impl<E: RetryAfter> HintViaRetryAfter for HintProbe<'_, E> {
    #[inline]
    fn resilience_hint(&self) -> Option<Duration> {
        self.0.retry_after()
    }
}

/// Picked otherwise.
pub trait HintFallback {
    /// No hint.
    fn resilience_hint(&self) -> Option<Duration>;
}

impl<E> HintFallback for &HintProbe<'_, E> {
    #[inline]
    fn resilience_hint(&self) -> Option<Duration> {
        None
    }
}

/// The hint of a result's error, for the attribute's loop.
#[macro_export]
#[doc(hidden)]
macro_rules! __resilience_hint {
    ($result:expr) => {
        match $result {
            ::core::result::Result::Err(error) => {
                #[allow(unused_imports)]
                use $crate::__private::{HintFallback as _, HintViaRetryAfter as _};
                (&$crate::__private::HintProbe(error)).resilience_hint()
            }
            ::core::result::Result::Ok(_) => ::core::option::Option::None,
        }
    };
}
