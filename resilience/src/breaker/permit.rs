//! The right to make one call ([`Permit`]), and the plain API built on it:
//! [`CircuitBreaker::call`], [`CircuitBreaker::call_async`] and [`When`].

use super::core::CircuitBreaker;
use super::word;
use crate::{Error, State};

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Success,
    Failure,
    Released,
}

/// The default `when` of `#[circuit_breaker]` and of [`CircuitBreaker::call`]: every error
/// counts.
#[inline(always)]
pub fn any_error<E>(_: &E) -> bool {
    true
}

/// Whether a result is a failure that the breaker counts: for the attribute's expansion.
#[inline]
pub fn counts_as_failure<T, E>(result: &Result<T, E>, counts: &impl Fn(&E) -> bool) -> bool {
    matches!(result, Err(error) if counts(error))
}

impl CircuitBreaker {
    /// Runs `op` through the breaker; every error counts as a failure. See
    /// [`when`](Self::when) to choose which errors count.
    ///
    /// A panic in `op` counts as a failure and goes on unwinding unchanged.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let n: Result<u32, resilience::Error> = breaker.call(|| Ok(4));
    /// assert_eq!(n.unwrap(), 4);
    /// ```
    #[inline]
    pub fn call<T, E: From<Error>>(&self, op: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.when(any_error).call(op)
    }

    /// Runs the future `op` through the breaker; every error counts as a failure. If the
    /// returned future is dropped before `op` finishes, the call is released uncounted.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let n: Result<u32, resilience::Error> = breaker.call_async(async { Ok(4) }).await;
    /// assert_eq!(n.unwrap(), 4);
    /// # });
    /// ```
    pub async fn call_async<T, E, F>(&self, op: F) -> Result<T, E>
    where
        E: From<Error>,
        F: Future<Output = Result<T, E>>,
    {
        self.when(any_error).call_async(op).await
    }

    /// The plain API with a choice of which errors count as failures: errors for which
    /// `counts` returns `false` pass through without counting.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use resilience::{BreakerConfig, CircuitBreaker};
    ///
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let not_found = |e: &Error| e.kind() != ErrorKind::NotFound;
    /// let _ = breaker.when(not_found).call(|| Err::<(), _>(Error::from(ErrorKind::NotFound)));
    /// assert_eq!(breaker.stats().failures, 0);
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    #[inline]
    pub fn when<P>(&self, counts: P) -> When<'_, P> {
        When {
            breaker: self,
            counts,
        }
    }

    /// As [`call`](Self::call), for an error type without `From<resilience::Error>`:
    /// `rejected` turns the breaker's rejection into the caller's error. Every error counts.
    ///
    /// ```
    /// use resilience::{BreakerConfig, CircuitBreaker};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum ApiError { Down, Unavailable }
    ///
    /// let breaker = CircuitBreaker::new("doc.call_or_else", BreakerConfig::new().with_failure_threshold(1));
    /// let _ = breaker.call_or_else(|_| ApiError::Unavailable, || Err::<(), _>(ApiError::Down));
    /// let second = breaker.call_or_else(|_| ApiError::Unavailable, || Ok(()));
    /// assert_eq!(second, Err(ApiError::Unavailable), "open: the call did not run");
    /// ```
    #[inline]
    pub fn call_or_else<T, E>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.when(any_error).call_or_else(rejected, op)
    }

    /// As [`call_async`](Self::call_async), for an error type without
    /// `From<resilience::Error>`: `rejected` turns the rejection into the caller's error.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc.call_async_or_else", BreakerConfig::new());
    /// let n: Result<u32, String> = breaker
    ///     .call_async_or_else(|rejection| rejection.to_string(), async { Ok(4) })
    ///     .await;
    /// assert_eq!(n, Ok(4));
    /// # });
    /// ```
    pub async fn call_async_or_else<T, E, F>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: F,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        self.when(any_error).call_async_or_else(rejected, op).await
    }
}

/// The right to make one call through a [`CircuitBreaker`], from
/// [`CircuitBreaker::try_acquire`]. Report the call's outcome with [`record`](Self::record),
/// [`success`](Self::success) or [`failure`](Self::failure).
///
/// A permit dropped without a report is never lost: while the thread panics it counts as a
/// failure; otherwise (a future dropped, a task cancelled) it is released uncounted, and a
/// half-open trial slot it held is freed. A permit is `Send + Sync`, so it can be held across
/// an `.await`.
///
/// ```
/// # use resilience::{BreakerConfig, CircuitBreaker};
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
/// drop(breaker.try_acquire().unwrap());
/// assert_eq!(breaker.stats().uncounted, 1);
/// ```
#[must_use = "a permit is for one call: report its outcome, or drop it to release it uncounted"]
#[derive(Debug)]
pub struct Permit<'a> {
    pub(super) breaker: &'a CircuitBreaker,
    pub(super) word: u64,
    /// When the call started, in nanoseconds on the breaker's clock, if it is timed.
    pub(super) start: u64,
}

impl Permit<'_> {
    /// Reports a call's result: `Ok` is a success, an `Err` for which `counts` is `true` a
    /// failure, any other `Err` is released uncounted.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let result: Result<(), u16> = Err(404);
    /// breaker.try_acquire().unwrap().record(&result, |status| *status >= 500);
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    pub fn record<T, E>(self, result: &Result<T, E>, counts: impl Fn(&E) -> bool) {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) if counts(e) => Outcome::Failure,
            Err(_) => Outcome::Released,
        };
        self.finish(outcome);
    }

    /// Reports `result`'s outcome as [`record`](Self::record) does and gives the result
    /// back, taken apart and put back together rather than borrowed: a result borrowed for
    /// the report stays in memory and is then copied whole, and the copy's wide loads stall
    /// on the narrow stores that just wrote it.
    #[inline]
    fn report<T, E>(self, result: Result<T, E>, counts: impl Fn(&E) -> bool) -> Result<T, E> {
        match result {
            Ok(value) => {
                self.success();
                Ok(value)
            }
            Err(error) => {
                if counts(&error) {
                    self.failure();
                } else {
                    self.release();
                }
                Err(error)
            }
        }
    }

    /// Reports a success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().success();
    /// assert_eq!(breaker.stats().successes, 1);
    /// ```
    #[inline]
    pub fn success(self) {
        self.finish(Outcome::Success);
    }

    /// Reports a failure.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.stats().failures, 1);
    /// ```
    #[inline]
    pub fn failure(self) {
        self.finish(Outcome::Failure);
    }

    /// Releases the permit without counting the call, as dropping it does outside a panic.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// breaker.try_acquire().unwrap().release();
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    #[inline]
    pub fn release(self) {
        self.finish(Outcome::Released);
    }

    /// Whether this is a half-open trial call.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// assert!(!breaker.try_acquire().unwrap().is_trial());
    /// ```
    pub fn is_trial(&self) -> bool {
        word::state(self.word) == State::HalfOpen
    }

    /// The state the breaker was in when it gave the permit.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker, State};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// assert_eq!(breaker.try_acquire().unwrap().state(), State::Closed);
    /// ```
    pub fn state(&self) -> State {
        word::state(self.word)
    }

    /// Reports the outcome once: the permit is consumed without running its `Drop`.
    ///
    /// No flag marks a reported permit: a flag would make the permit a 25-byte value whose
    /// copies, byte by byte, stall the reload that follows the user's call (measured in
    /// `cargo bench -p resilience-benches --bench breaker`).
    #[inline]
    fn finish(self, outcome: Outcome) {
        let permit = std::mem::ManuallyDrop::new(self);
        permit.breaker.finish(permit.word, permit.start, outcome);
    }
}

impl Drop for Permit<'_> {
    /// A permit dropped unreported: the call panicked, or its future was dropped.
    #[inline]
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            Outcome::Failure
        } else {
            Outcome::Released
        };
        self.breaker.finish(self.word, self.start, outcome);
    }
}

/// A breaker with a choice of which errors count, from [`CircuitBreaker::when`].
///
/// ```
/// use resilience::{BreakerConfig, CircuitBreaker};
///
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new().with_failure_threshold(1));
/// let transient = |e: &resilience::Error| e.is_timeout();
/// let guarded = breaker.when(transient);
/// let _ = guarded.call(|| Err::<(), _>(resilience::Error::circuit_open("x", None)));
/// assert_eq!(breaker.state(), resilience::State::Closed); // did not count
/// ```
#[derive(Debug, Clone, Copy)]
pub struct When<'a, P> {
    pub(super) breaker: &'a CircuitBreaker,
    pub(super) counts: P,
}

impl<P> When<'_, P> {
    /// As [`CircuitBreaker::call`], counting only the errors `counts` accepts.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let r: Result<(), resilience::Error> = breaker.when(|_: &resilience::Error| true).call(|| Ok(()));
    /// assert!(r.is_ok());
    /// ```
    #[inline]
    pub fn call<T, E>(&self, op: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
    {
        let permit = self.breaker.permit_or_else(E::from)?;
        permit.report(op(), &self.counts)
    }

    /// As [`CircuitBreaker::call_async`], counting only the errors `counts` accepts.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let r: Result<(), resilience::Error> =
    ///     breaker.when(|_: &resilience::Error| true).call_async(async { Ok(()) }).await;
    /// assert!(r.is_ok());
    /// # });
    /// ```
    pub async fn call_async<T, E, F>(&self, op: F) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        let permit = self.breaker.permit_or_else(E::from)?;
        permit.report(op.await, &self.counts)
    }
}

impl<'a, P> When<'a, P> {
    /// Counts an error `counts` does not accept as a *success*, rather than passing it
    /// through uncounted: failsafe's rule, where such an error resets the count of
    /// consecutive failures. The default (uncounted) lets an error that says nothing of the
    /// dependency's health (a 404, a validation error) neither open nor close the breaker;
    /// this option suits a dependency whose answering at all, even with such an error, shows
    /// that it is up.
    ///
    /// ```
    /// use resilience::{BreakerConfig, CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::new("doc.others_as_success", BreakerConfig::new().with_failure_threshold(2));
    /// let guarded = breaker.when(|status: &u16| *status >= 500).others_as_success();
    /// let _ = guarded.call_or_else(|_| 503, || Err::<(), _>(500));
    /// let _ = guarded.call_or_else(|_| 503, || Err::<(), _>(404)); // an answer: resets the count
    /// let _ = guarded.call_or_else(|_| 503, || Err::<(), _>(500));
    /// assert_eq!(breaker.state(), State::Closed);
    /// assert_eq!(breaker.stats().successes, 1);
    /// ```
    pub fn others_as_success(self) -> OthersAsSuccess<'a, P> {
        OthersAsSuccess { when: self }
    }

    /// As [`call`](Self::call), for an error type without `From<resilience::Error>`:
    /// `rejected` turns the breaker's rejection into the caller's error.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("doc.when.call_or_else", BreakerConfig::new());
    /// let r = breaker.when(|code: &u16| *code >= 500).call_or_else(|_| 503, || Err::<(), _>(404));
    /// assert_eq!(r, Err(404));
    /// assert_eq!(breaker.stats().uncounted, 1);
    /// ```
    #[inline]
    pub fn call_or_else<T, E>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        P: Fn(&E) -> bool,
    {
        let permit = self.breaker.permit_or_else(rejected)?;
        permit.report(op(), &self.counts)
    }

    /// As [`call_async`](Self::call_async), for an error type without
    /// `From<resilience::Error>`.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc.when.call_async_or_else", BreakerConfig::new());
    /// let r = breaker
    ///     .when(|code: &u16| *code >= 500)
    ///     .call_async_or_else(|_| 503, async { Ok::<_, u16>(()) })
    ///     .await;
    /// assert_eq!(r, Ok(()));
    /// # });
    /// ```
    pub async fn call_async_or_else<T, E, F>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: F,
    ) -> Result<T, E>
    where
        P: Fn(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        let permit = self.breaker.permit_or_else(rejected)?;
        permit.report(op.await, &self.counts)
    }
}

/// A breaker that counts the errors its predicate accepts as failures and every other
/// result as a success, from [`When::others_as_success`]: failsafe's rule.
///
/// ```
/// use resilience::{BreakerConfig, CircuitBreaker};
/// let breaker = CircuitBreaker::new("doc.OthersAsSuccess", BreakerConfig::new());
/// let r = breaker.when(|_: &resilience::Error| false).others_as_success().call(|| Err::<(), _>(resilience::Error::circuit_open("x", None)));
/// assert!(r.is_err());
/// assert_eq!(breaker.stats().successes, 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OthersAsSuccess<'a, P> {
    when: When<'a, P>,
}

impl<P> OthersAsSuccess<'_, P> {
    /// As [`CircuitBreaker::call`], counting an error `counts` does not accept as a success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("doc.OthersAsSuccess.call", BreakerConfig::new());
    /// let r: Result<u8, resilience::Error> = breaker.when(|_: &resilience::Error| true).others_as_success().call(|| Ok(1));
    /// assert_eq!(r.unwrap(), 1);
    /// ```
    #[inline]
    pub fn call<T, E>(&self, op: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
    {
        self.call_or_else(E::from, op)
    }

    /// As [`When::call_or_else`], counting an error `counts` does not accept as a success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("doc.OthersAsSuccess.call_or_else", BreakerConfig::new());
    /// let r = breaker.when(|code: &u16| *code >= 500).others_as_success().call_or_else(|_| 503, || Err::<(), _>(404));
    /// assert_eq!((r, breaker.stats().successes), (Err(404), 1));
    /// ```
    #[inline]
    pub fn call_or_else<T, E>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        P: Fn(&E) -> bool,
    {
        let permit = self.when.breaker.permit_or_else(rejected)?;
        permit.report_others_as_success(op(), &self.when.counts)
    }

    /// As [`CircuitBreaker::call_async`], counting an error `counts` does not accept as a
    /// success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc.OthersAsSuccess.call_async", BreakerConfig::new());
    /// let r: Result<(), resilience::Error> = breaker.when(|_: &resilience::Error| true).others_as_success().call_async(async { Ok(()) }).await;
    /// assert!(r.is_ok());
    /// # });
    /// ```
    pub async fn call_async<T, E, F>(&self, op: F) -> Result<T, E>
    where
        E: From<Error>,
        P: Fn(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        self.call_async_or_else(E::from, op).await
    }

    /// As [`When::call_async_or_else`], counting an error `counts` does not accept as a
    /// success.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc.OthersAsSuccess.call_async_or_else", BreakerConfig::new());
    /// let r = breaker.when(|c: &u16| *c >= 500).others_as_success().call_async_or_else(|_| 503, async { Err::<(), _>(404) }).await;
    /// assert_eq!((r, breaker.stats().successes), (Err(404), 1));
    /// # });
    /// ```
    pub async fn call_async_or_else<T, E, F>(
        &self,
        rejected: impl FnOnce(Error) -> E,
        op: F,
    ) -> Result<T, E>
    where
        P: Fn(&E) -> bool,
        F: Future<Output = Result<T, E>>,
    {
        let permit = self.when.breaker.permit_or_else(rejected)?;
        permit.report_others_as_success(op.await, &self.when.counts)
    }
}

impl CircuitBreaker {
    /// A permit, or the rejection as `rejected` makes it the caller's error.
    #[inline]
    fn permit_or_else<E>(&self, rejected: impl FnOnce(Error) -> E) -> Result<Permit<'_>, E> {
        match self.try_acquire_closed() {
            Some(permit) => Ok(permit),
            None => self.try_acquire().map_err(rejected),
        }
    }
}

impl Permit<'_> {
    /// Reports `result` as failsafe counts it: an `Err` `counts` accepts is a failure, every
    /// other result a success; and gives the result back.
    #[inline]
    fn report_others_as_success<T, E>(
        self,
        result: Result<T, E>,
        counts: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        match &result {
            Err(error) if counts(error) => self.failure(),
            _ => self.success(),
        }
        result
    }
}
