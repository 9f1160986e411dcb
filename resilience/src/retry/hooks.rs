//! What a retry asks of the caller beyond the policy's plain data: which errors to retry
//! ([`RetryIf`]), which `Ok` values to retry ([`RetryValue`]), what to do before each retry
//! ([`OnRetry`]), whether an error or a value asks for its own delay ([`DelayHint`],
//! [`RetryAfter`]), with their defaults; and how the attribute reads a [`RetryAfter`] hint
//! without a bound on the type (the `hint!` probe).

use std::{marker::PhantomData, time::Duration};

/// An error that can say how long to wait before the next try, such as an HTTP 429 or 503
/// response with a `Retry-After` header.
///
/// The hint replaces the computed delay (jitter included), capped as every delay is at the
/// policy's `max_delay` (30 s unless set), and at
/// [`max_retry_after`](crate::RetryPolicy::with_max_retry_after) if that is lower; a longer
/// hint is cut, and with the `tracing` feature a `resilience.retry_after_cut` event says so. `max_elapsed` and an enclosing deadline still refuse a sleep that would end past them.
///
/// # One rule: honoured where the type is known to implement it
///
/// A hint is honoured wherever the compiler can see that the type implements this trait.
/// `#[retry]` sees the function's concrete error type (and, with `retry_if_ok`, its value
/// type), so it honours the hint with no argument. The plain API's [`Retry`](crate::Retry) is
/// generic code, which cannot ask whether a type implements a trait: you say so, with
/// [`Retry::honor_retry_after`](crate::Retry::honor_retry_after) for errors (refused at compile
/// time for a type that does not implement it) and
/// [`Retry::ok_delay_hint`](crate::Retry::ok_delay_hint)`(RetryAfter::retry_after)` for
/// values. A function generic over its error type, under the attribute, is generic code
/// too: it uses the computed schedule.
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
/// Implemented for every `FnMut(&E) -> bool`, so a function path or a closure fits, one that
/// keeps state (a count, a log) included; see [`classify`](crate::classify) for ready-made
/// answers. It is asked about every error, the last one included, as tokio-retry's
/// `Condition` is: a predicate that logs sees each failure once.
///
/// ```
/// use resilience::RetryIf;
/// let mut transient = |e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut;
/// assert!(transient.should_retry(&std::io::ErrorKind::TimedOut.into()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot decide whether to retry errors of type `{E}`",
    label = "expected a function `fn(&{E}) -> bool`",
    note = "`when = path` names a function that takes the function's error type by reference and returns `bool`"
)]
pub trait RetryIf<E> {
    /// Whether `error` should be retried.
    fn should_retry(&mut self, error: &E) -> bool;
}

impl<E, F: FnMut(&E) -> bool> RetryIf<E> for F {
    #[inline]
    fn should_retry(&mut self, error: &E) -> bool {
        self(error)
    }
}

/// The default predicate: every error is retried.
///
/// ```
/// use resilience::{AnyError, RetryIf};
/// assert!(RetryIf::<&str>::should_retry(&mut AnyError, &"anything"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyError;

impl<E> RetryIf<E> for AnyError {
    #[inline(always)]
    fn should_retry(&mut self, _: &E) -> bool {
        true
    }
}

/// Every error of type `E` is retried: the predicate of
/// [`RetryPolicy::retrying_for`](crate::RetryPolicy::retrying_for), which fixes the error type
/// before any closure is written, so that `.when(|e| ..)` and `.on_retry(|e, n, d| ..)` infer
/// their argument types.
///
/// ```
/// use resilience::{AnyErrorOf, RetryIf};
/// let mut every = AnyErrorOf::<std::io::Error>::new();
/// assert!(every.should_retry(&std::io::ErrorKind::Other.into()));
/// ```
pub struct AnyErrorOf<E>(PhantomData<fn(&E)>);

impl<E> AnyErrorOf<E> {
    /// The predicate.
    ///
    /// ```
    /// let _ = resilience::AnyErrorOf::<String>::new();
    /// ```
    pub const fn new() -> Self {
        AnyErrorOf(PhantomData)
    }
}

impl<E> Default for AnyErrorOf<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for AnyErrorOf<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for AnyErrorOf<E> {}

impl<E> std::fmt::Debug for AnyErrorOf<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnyErrorOf<{}>", std::any::type_name::<E>())
    }
}

impl<E> RetryIf<E> for AnyErrorOf<E> {
    #[inline(always)]
    fn should_retry(&mut self, _: &E) -> bool {
        true
    }
}

/// The error type a retry's predicate is written for, once it is known: what lets
/// [`Retry::on_retry`](crate::Retry::on_retry) and a second [`Retry::when`](crate::Retry::when)
/// infer their closures' argument types.
///
/// [`AnyError`] is written for every error type (the closure's annotation then says which);
/// [`AnyErrorOf<E>`](AnyErrorOf), made by
/// [`RetryPolicy::retrying_for`](crate::RetryPolicy::retrying_for), and the [`RetryWhen`] made
/// by [`Retry::when`](crate::Retry::when) are written for one.
///
/// ```
/// use resilience::{AnyErrorOf, ForError};
/// fn fixes<W: ForError<std::io::Error>>(_: &W) {}
/// fixes(&AnyErrorOf::<std::io::Error>::new());
/// fixes(&resilience::AnyError);
/// ```
pub trait ForError<E> {}

impl<E> ForError<E> for AnyError {}

impl<E> ForError<E> for AnyErrorOf<E> {}

impl<W, E> ForError<E> for RetryWhen<W, E> {}

/// A predicate written for errors of type `E`: what [`Retry::when`](crate::Retry::when) keeps,
/// so that the closures given after it know `E`.
///
/// ```
/// use resilience::{RetryIf, RetryWhen};
/// let mut busy = RetryWhen::new(|code: &u16| *code == 503);
/// assert!(busy.should_retry(&503));
/// ```
pub struct RetryWhen<W, E> {
    when: W,
    error: PhantomData<fn(&E)>,
}

impl<W, E> RetryWhen<W, E> {
    /// `when`, written for errors of type `E`.
    ///
    /// ```
    /// let _ = resilience::RetryWhen::new(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// ```
    pub const fn new(when: W) -> Self
    where
        W: FnMut(&E) -> bool,
    {
        RetryWhen {
            when,
            error: PhantomData,
        }
    }
}

impl<W: Clone, E> Clone for RetryWhen<W, E> {
    fn clone(&self) -> Self {
        RetryWhen {
            when: self.when.clone(),
            error: PhantomData,
        }
    }
}

impl<W: Copy, E> Copy for RetryWhen<W, E> {}

impl<W, E> std::fmt::Debug for RetryWhen<W, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RetryWhen<{}>", std::any::type_name::<E>())
    }
}

impl<W: FnMut(&E) -> bool, E> RetryIf<E> for RetryWhen<W, E> {
    #[inline]
    fn should_retry(&mut self, error: &E) -> bool {
        (self.when)(error)
    }
}

/// Decides whether an `Ok` value is worth another attempt: an HTTP client's `Ok(response)`
/// with a 429 or 503 status, a job API's "not ready yet". A value it retries is counted as a
/// failed attempt; when the attempts (or the budget, or the time) run out, the last value is
/// returned, as `Ok`.
///
/// [`AcceptOk`] (the default) accepts every value; [`RetryOk`], made by
/// [`Retry::retry_if_ok`](crate::Retry::retry_if_ok), retries those its predicate picks,
/// with the delay its hint asks for.
///
/// ```
/// use resilience::{AcceptOk, RetryValue};
/// assert!(!RetryValue::<u16>::should_retry(&mut AcceptOk, &503));
/// ```
pub trait RetryValue<T> {
    /// Whether `value` should be retried.
    fn should_retry(&mut self, value: &T) -> bool;

    /// The delay `value` asks for, if any, when it is retried.
    fn delay_hint(&self, value: &T) -> Option<Duration>;
}

/// The default: every `Ok` value ends the call.
///
/// ```
/// use resilience::{AcceptOk, RetryValue};
/// assert_eq!(RetryValue::<u8>::delay_hint(&AcceptOk, &1), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptOk;

impl<T> RetryValue<T> for AcceptOk {
    #[inline(always)]
    fn should_retry(&mut self, _: &T) -> bool {
        false
    }

    #[inline(always)]
    fn delay_hint(&self, _: &T) -> Option<Duration> {
        None
    }
}

/// Retries the `Ok` values `retry` picks, waiting what `hint` asks for (else the computed
/// delay); made by [`Retry::retry_if_ok`](crate::Retry::retry_if_ok) and
/// [`Retry::ok_delay_hint`](crate::Retry::ok_delay_hint).
///
/// ```
/// use std::time::Duration;
/// use resilience::{RetryOk, RetryValue};
/// let mut busy = RetryOk::new(|status: &u16| *status == 503, |_: &u16| Some(Duration::from_secs(1)));
/// assert!(busy.should_retry(&503));
/// assert_eq!(busy.delay_hint(&503), Some(Duration::from_secs(1)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryOk<P, D = NoHint> {
    retry: P,
    hint: D,
}

impl<P, D> RetryOk<P, D> {
    /// Retries the values `retry` picks, with `hint`'s delays.
    ///
    /// ```
    /// let _ = resilience::RetryOk::new(|n: &u8| *n == 0, resilience::NoHint);
    /// ```
    pub const fn new(retry: P, hint: D) -> Self {
        RetryOk { retry, hint }
    }

    /// The same predicate, with another hint.
    pub(crate) fn with_hint<D2>(self, hint: D2) -> RetryOk<P, D2> {
        RetryOk {
            retry: self.retry,
            hint,
        }
    }
}

impl<T, P: FnMut(&T) -> bool, D: DelayHint<T>> RetryValue<T> for RetryOk<P, D> {
    #[inline]
    fn should_retry(&mut self, value: &T) -> bool {
        (self.retry)(value)
    }

    #[inline]
    fn delay_hint(&self, value: &T) -> Option<Duration> {
        self.hint.delay_hint(value)
    }
}

/// Called before each retry of an error with the error, the number of the attempt that failed
/// (1 for the first call) and the delay about to be slept: the place for a log line. Not
/// called for a retried `Ok` value (see [`RetryValue`]), which the hook could not be given.
///
/// Implemented for every `FnMut(&E, u32, Duration)`.
///
/// ```
/// use std::time::Duration;
/// use resilience::OnRetry;
/// let mut log = |e: &String, attempt: u32, delay: Duration| {
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
    fn on_retry(&mut self, error: &E, attempt: u32, delay: Duration);
}

impl<E, F: FnMut(&E, u32, Duration)> OnRetry<E> for F {
    #[inline]
    fn on_retry(&mut self, error: &E, attempt: u32, delay: Duration) {
        self(error, attempt, delay)
    }
}

/// The default hook: does nothing.
///
/// ```
/// use resilience::{NoHook, OnRetry};
/// OnRetry::<()>::on_retry(&mut NoHook, &(), 1, std::time::Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl<E> OnRetry<E> for NoHook {
    #[inline(always)]
    fn on_retry(&mut self, _: &E, _: u32, _: Duration) {}
}

/// Reads a delay requested by an error (or, for [`RetryOk`], by a value); see [`RetryAfter`].
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
