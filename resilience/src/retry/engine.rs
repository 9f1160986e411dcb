//! The one engine behind `#[retry]` and the plain API: [`Retry`] pairs a policy with the
//! call's predicates, hook and hints and runs calls ([`Retry::call`], [`Retry::call_async`] and
//! their `_with_attempt` and `_with_outcome` forms); every front door, the attribute's loop
//! included, drives the same [`Attempts`] state machine, so they all behave identically. The
//! attribute reaches the engine through [`SiteRetry`], its call site's retry, which opens to
//! its loop the doors the plain API keeps closed.
//!
//! A [`Retry`] is taken by value by its calls: its predicates and hooks may be `FnMut` and
//! keep state, which the call then owns. One made of `Copy` parts (plain functions, closures
//! that borrow) is `Copy`, so it can be kept and called again.

use std::{future::Future, time::Duration, time::Instant};

use super::{
    attempts::{Attempts, Step},
    core::{BudgetChoice, Clock, Core},
    hooks::{
        AcceptOk, AnyError, AnyErrorOf, DelayHint, ForError, NoHint, NoHook, OnRetry, RetryIf,
        RetryOk, RetryValue, RetryWhen, UseRetryAfter,
    },
    outcome::{Attempt, RetryOutcome},
    policy::RetryPolicy,
    site::RetrySite,
};
use crate::{
    budget::{BudgetSite, RetryBudget},
    rejection,
};

/// A [`RetryPolicy`] with its predicate, hook and hints: everything needed to run a call with
/// retries. Made by [`RetryPolicy::retrying`] (or [`RetryPolicy::retrying_for`], which fixes
/// the error type so that closures infer theirs); cheap to build, holds no state of its own
/// beyond what its closures capture.
///
/// ```
/// use std::time::Duration;
/// use resilience::RetryPolicy;
///
/// #[derive(Debug, PartialEq)]
/// enum DbError { Busy, Constraint }
///
/// let mut calls = 0;
/// let result = RetryPolicy::new()
///     .with_initial_delay(Duration::ZERO)
///     .retrying_for::<DbError>()
///     .when(|e| *e == DbError::Busy)
///     .call(|| {
///         calls += 1;
///         Err::<(), _>(DbError::Constraint)
///     });
/// assert_eq!(result, Err(DbError::Constraint));
/// assert_eq!(calls, 1, "a constraint violation is not retried");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Retry<When = AnyError, Hook = NoHook, Hint = NoHint, Values = AcceptOk> {
    core: Core,
    when: When,
    on_retry: Hook,
    hint: Hint,
    values: Values,
}

impl RetryPolicy {
    /// Starts a [`Retry`] under this policy, to add a predicate, a hook or a hint.
    ///
    /// ```
    /// use resilience::RetryPolicy;
    /// let result: Result<u8, std::io::Error> = RetryPolicy::new()
    ///     .retrying()
    ///     .when(resilience::classify::is_transient_io)
    ///     .call(|| Ok(1));
    /// assert_eq!(result.unwrap(), 1);
    /// ```
    pub const fn retrying(&self) -> Retry {
        Retry {
            core: Core::new(*self),
            when: AnyError,
            on_retry: NoHook,
            hint: NoHint,
            values: AcceptOk,
        }
    }

    /// Starts a [`Retry`] for errors of type `E`, retrying every one: the closures given to
    /// it afterwards ([`when`](Retry::when), [`on_retry`](Retry::on_retry)) infer their
    /// argument types from `E`, so `|e| ..` needs no annotation.
    ///
    /// ```
    /// use std::{io, time::Duration};
    /// use resilience::RetryPolicy;
    ///
    /// let mut logged = Vec::new();
    /// let result: Result<(), io::Error> = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying_for::<io::Error>()
    ///     .when(|e| e.kind() == io::ErrorKind::TimedOut)
    ///     .on_retry(|e, attempt, _delay| logged.push(format!("{attempt}: {e}")))
    ///     .call(|| Err(io::ErrorKind::TimedOut.into()));
    /// assert!(result.is_err());
    /// assert_eq!(logged.len(), 2);
    /// ```
    pub const fn retrying_for<E>(&self) -> Retry<AnyErrorOf<E>> {
        Retry {
            core: Core::new(*self),
            when: AnyErrorOf::new(),
            on_retry: NoHook,
            hint: NoHint,
            values: AcceptOk,
        }
    }

    /// Runs a sync closure until it succeeds or the policy gives up, retrying every error.
    /// Sleeps on the calling thread between attempts.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut calls = 0;
    /// let result: Result<(), &str> = resilience::RetryPolicy::new()
    ///     .with_initial_delay(Duration::from_millis(1))
    ///     .call(|| { calls += 1; Err("down") });
    /// assert_eq!((result, calls), (Err("down"), 3));
    /// ```
    #[inline(always)]
    pub fn call<T, E>(&self, op: impl FnMut() -> Result<T, E>) -> Result<T, E> {
        self.retrying().call(op)
    }

    /// Runs an async closure until it succeeds or the policy gives up, retrying every error.
    /// Sleeps with tokio's timer between attempts, so it needs a tokio runtime with time
    /// enabled, and tokio's paused clock makes tests exact. For an async closure whose future
    /// borrows what it captures, see [`Retry::call_async_mut`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let result: Result<u32, &str> = resilience::RetryPolicy::new()
    ///     .call_async(|| {
    ///         calls += 1;
    ///         let n = calls;
    ///         async move { if n < 2 { Err("down") } else { Ok(n) } }
    ///     })
    ///     .await;
    /// assert_eq!(result, Ok(2));
    /// # }
    /// ```
    pub async fn call_async<T, E, Fut>(&self, mut op: impl FnMut() -> Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        // The first attempt without building a `Retry`, which the future would otherwise
        // carry across the attempt's `.await`.
        let started = Core::new(*self).started(Clock::Tokio);
        match attempt(op()).await {
            Ok(value) => {
                Core::new(*self).first_try_ok();
                Ok(value)
            }
            Err(error) => {
                let (core, hooks) = self.retrying().into_parts();
                Retry::retry_async(core, hooks, |_| op(), started, Err(error))
                    .await
                    .result
            }
        }
    }
}

/// The loop after a first attempt whose `result` is to be retried, on `clock`: the state
/// machine decides, the loop sleeps (on the thread or on tokio's timer, as the clock says)
/// and makes the next attempt with `next`. It borrows `core` where it is (an async function's
/// argument), so that the future keeps one copy of it. One text for the sync and async front doors,
/// whose attempts differ in kind (a call, a future, an async closure's lending future), so
/// that no function could take them all.
macro_rules! retry_loop {
    (
        $core:ident, $hooks:expr, $clock:expr, $started:expr, $result:expr,
        sleep: |$delay:ident| $sleep:expr,
        next: |$attempts:ident| $next:expr $(,)?
    ) => {{
        let mut $attempts = Attempts::new(&$core, $clock, $started, $hooks);
        let mut result = $result;
        let mut slept = Duration::ZERO;
        loop {
            match $attempts.next_seen(result) {
                Step::Done(result) => return $attempts.outcome(result, slept),
                Step::Wait($delay) => {
                    $sleep;
                    slept = slept.saturating_add($delay);
                    $attempts.retry_started($delay);
                }
            }
            result = $next;
        }
    }};
}

/// Runs one async attempt, clearing the thread's note of a breaker's rejection before each
/// poll: a rejection is seen on the thread of the poll that made it, wherever the task runs
/// (see `crate::rejection`).
async fn attempt<T, E>(attempt: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    let mut attempt = std::pin::pin!(attempt);
    std::future::poll_fn(|cx| {
        rejection::clear();
        attempt.as_mut().poll(cx)
    })
    .await
}

impl<When, Hook, Hint, Values> Retry<When, Hook, Hint, Values> {
    /// Retries only the errors for which `when` returns `true`; the others return at once.
    /// `when` may keep state (`FnMut`); it is asked about every error, the last one included.
    /// Its argument type is inferred once the error type is known (after
    /// [`RetryPolicy::retrying_for`], or an earlier `when`), else written in the closure.
    ///
    /// ```
    /// use resilience::RetryPolicy;
    /// let mut calls = 0;
    /// let result: Result<(), i32> = RetryPolicy::new()
    ///     .retrying()
    ///     .when(|code: &i32| *code >= 500)
    ///     .call(|| { calls += 1; Err(404) });
    /// assert_eq!((result, calls), (Err(404), 1));
    /// ```
    pub fn when<E, W>(self, when: W) -> Retry<RetryWhen<W, E>, Hook, Hint, Values>
    where
        When: ForError<E>,
        W: FnMut(&E) -> bool,
    {
        Retry {
            core: self.core,
            when: RetryWhen::new(when),
            on_retry: self.on_retry,
            hint: self.hint,
            values: self.values,
        }
    }

    /// Calls `hook(error, attempt, delay)` before each retry's sleep: the attempt that failed
    /// (1 for the first) and the delay about to be slept. `hook` may keep state (`FnMut`).
    /// Not called for a retried `Ok` value ([`retry_if_ok`](Self::retry_if_ok)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    /// let mut retries = 0;
    /// let _: Result<(), ()> = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying_for::<()>()
    ///     .on_retry(|_, attempt, _delay| retries = attempt)
    ///     .call(|| Err(()));
    /// assert_eq!(retries, 2, "attempts 1 and 2 were followed by a retry");
    /// ```
    pub fn on_retry<E, H>(self, hook: H) -> Retry<When, H, Hint, Values>
    where
        When: ForError<E>,
        H: FnMut(&E, u32, Duration),
    {
        Retry {
            core: self.core,
            when: self.when,
            on_retry: hook,
            hint: self.hint,
            values: self.values,
        }
    }

    /// Lets each error ask for its own delay through `hint` (a closure `|e: &E| ->
    /// Option<Duration>` or a [`DelayHint`]), up to the policy's
    /// [`max_retry_after`](RetryPolicy::with_max_retry_after).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    /// let result: Result<(), Duration> = RetryPolicy::new()
    ///     .retrying()
    ///     .delay_hint(|wait: &Duration| Some(*wait))
    ///     .call(|| Err(Duration::ZERO));
    /// ```
    pub fn delay_hint<D>(self, hint: D) -> Retry<When, Hook, D, Values> {
        Retry {
            core: self.core,
            when: self.when,
            on_retry: self.on_retry,
            hint,
            values: self.values,
        }
    }

    /// Honours the [`RetryAfter`](crate::RetryAfter) hint of the error type; see
    /// [`RetryAfter`](crate::RetryAfter) for why the plain API asks for this and the attribute
    /// does not.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # struct E;
    /// # impl resilience::RetryAfter for E { fn retry_after(&self) -> Option<Duration> { None } }
    /// let result: Result<(), E> = resilience::RetryPolicy::new()
    ///     .with_max_attempts(1)
    ///     .retrying()
    ///     .honor_retry_after()
    ///     .call(|| Err(E));
    /// ```
    pub fn honor_retry_after(self) -> Retry<When, Hook, UseRetryAfter, Values> {
        self.delay_hint(UseRetryAfter)
    }

    /// Retries the `Ok` values `retry` picks, as an error is retried: an HTTP client's
    /// `Ok(response)` with a 429 or 503 status. A retried value counts as a failed attempt (in
    /// [`retries`](crate::retries), the budget, logs and metrics); when the attempts, the
    /// budget or the time run out, the last value is returned, as `Ok`. Its delay is the
    /// schedule's, or what [`ok_delay_hint`](Self::ok_delay_hint) reads from it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    ///
    /// let mut statuses = [503, 503, 200].into_iter();
    /// let result: Result<u16, std::io::Error> = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying()
    ///     .retry_if_ok(|status: &u16| *status == 503)
    ///     .call(|| Ok(statuses.next().unwrap()));
    /// assert_eq!(result.unwrap(), 200);
    /// ```
    pub fn retry_if_ok<T, P>(self, retry: P) -> Retry<When, Hook, Hint, RetryOk<P>>
    where
        P: FnMut(&T) -> bool,
    {
        Retry {
            core: self.core,
            when: self.when,
            on_retry: self.on_retry,
            hint: self.hint,
            values: RetryOk::new(retry, NoHint),
        }
    }

    /// Names the calls made through this retry: they are counted under `name` in
    /// [`retries`](crate::retries), and logs and metrics call them so (see
    /// [`observe`](crate::observe)). Calls with the same name are counted together.
    ///
    /// Naming takes a global lock to find the name's counters: name a retry once and keep
    /// it (it is `Copy` when its closures are), rather than naming it again on every call.
    ///
    /// ```
    /// use resilience::{RetryPolicy, retries};
    ///
    /// let inventory = RetryPolicy::new().retrying().named("doc.inventory");
    /// let _ = inventory.call(|| Ok::<_, ()>(1));
    /// let _ = inventory.call(|| Ok::<_, ()>(2));
    /// assert_eq!(retries::get("doc.inventory").unwrap().calls, 2);
    /// ```
    pub fn named(mut self, name: &'static str) -> Self {
        self.core.site = Some(RetrySite::named(name));
        self
    }

    /// Draws the retries from `budget`, shared with every retry that names it, instead of the
    /// retry's own (see [`RetryBudget`] and [`budgets`](crate::budgets)). The calls made
    /// through this retry are deposited into it.
    ///
    /// ```
    /// use resilience::{RetryPolicy, budgets};
    /// let orders = RetryPolicy::new().retrying().budget(budgets::named("doc.retry-budget"));
    /// let _ = orders.call(|| Ok::<_, ()>(()));
    /// assert_eq!(budgets::get("doc.retry-budget").unwrap().stats().calls, 1);
    /// ```
    pub const fn budget(mut self, budget: &'static RetryBudget) -> Self {
        self.core.budget = BudgetChoice::Shared(budget);
        self
    }

    /// Makes every retry the policy allows, with no budget: for batch jobs and tests that
    /// need every attempt. A dependency that fails every call then receives
    /// `max_attempts` times its normal load from this retry.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut calls = 0;
    /// let _: Result<(), ()> = resilience::RetryPolicy::new()
    ///     .with_max_attempts(50)
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying()
    ///     .without_budget()
    ///     .call(|| { calls += 1; Err(()) });
    /// assert_eq!(calls, 50);
    /// ```
    pub const fn without_budget(mut self) -> Self {
        self.core.budget = BudgetChoice::Off;
        self
    }

    /// Counts a call whose first attempt succeeded, as the engine counts one: for the
    /// integrations, which make their first attempt outside the engine's loop.
    #[cfg(any(feature = "tower", feature = "reqwest"))]
    #[inline(always)]
    pub(crate) fn first_try_ok(&self) {
        self.core.first_try_ok();
    }

    /// Counts a call whose first attempt, made outside the engine's loop, failed and is not
    /// retried (a breaker refused it, the request cannot be sent again, the server asked for
    /// a longer wait than the cap): one attempt, given up at once, as the engine counts an
    /// error its predicate does not retry. For the integrations.
    #[cfg(any(feature = "tower", feature = "reqwest"))]
    #[cold]
    pub(crate) fn first_try_given_up(&self) {
        let given_up = Retry {
            core: self.core,
            when: AnyError,
            on_retry: NoHook,
            hint: NoHint,
            values: AcceptOk,
        }
        .when(|_: &()| false)
        .call_async(|| std::future::ready(Err::<(), ()>(())));
        // Ready at its first poll: the attempt is ready, and nothing is retried.
        let mut given_up = std::pin::pin!(given_up);
        let _ = given_up
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    }

    /// The same retry, honouring every delay hint whole: for the integrations, which end
    /// the retries at a hint above their own cap and so must not see the others cut.
    #[cfg(any(feature = "tower", feature = "reqwest"))]
    pub(crate) const fn hints_uncut(mut self) -> Self {
        self.core.policy = self.core.policy.without_max_retry_after();
        self
    }

    /// The policy this retry runs under.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new();
    /// assert_eq!(policy.retrying().policy(), &policy);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.core.policy
    }
}

impl<When, Hook, Hint, P, D> Retry<When, Hook, Hint, RetryOk<P, D>> {
    /// Lets each value [`retry_if_ok`](Self::retry_if_ok) retries ask for its own delay: a
    /// closure `|v: &T| -> Option<Duration>`, or `RetryAfter::retry_after` for a value type
    /// that implements [`RetryAfter`](crate::RetryAfter). Capped as an error's hint is.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let start = tokio::time::Instant::now();
    /// let mut replies = [(429, 2), (200, 0)].into_iter();
    /// let reply: Result<(u16, u64), ()> = RetryPolicy::new()
    ///     .retrying()
    ///     .retry_if_ok(|(status, _): &(u16, u64)| *status == 429)
    ///     .ok_delay_hint(|(_, after): &(u16, u64)| Some(Duration::from_secs(*after)))
    ///     .call_async(|| std::future::ready(Ok(replies.next().unwrap())))
    ///     .await;
    /// assert_eq!(reply, Ok((200, 0)));
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # }
    /// ```
    pub fn ok_delay_hint<D2>(self, hint: D2) -> Retry<When, Hook, Hint, RetryOk<P, D2>> {
        Retry {
            core: self.core,
            when: self.when,
            on_retry: self.on_retry,
            hint: self.hint,
            values: self.values.with_hint(hint),
        }
    }
}

impl<When, Hook, Hint, Values> Retry<When, Hook, Hint, Values> {
    /// Runs a sync closure until it succeeds or the policy gives up, sleeping on the calling
    /// thread between attempts. The last error is returned unchanged.
    ///
    /// Retries are drawn from the retry's budget (see [`RetryBudget`]). An attempt during
    /// which a [`CircuitBreaker`](crate::CircuitBreaker) rejected a call on this thread is a
    /// rejection, whatever its error type: it is returned at once, unless the breaker lets a
    /// trial through before the next delay would end (see the attribute's "Above a circuit
    /// breaker").
    ///
    /// ```
    /// let result: Result<&str, ()> = resilience::RetryPolicy::new().retrying().call(|| Ok("done"));
    /// assert_eq!(result, Ok("done"));
    ///
    /// // A breaker inside the closure: its rejection is not retried blindly.
    /// use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("doc.plain", BreakerConfig::new().with_failure_threshold(1));
    /// let mut runs = 0;
    /// let result: Result<(), std::io::Error> = resilience::RetryPolicy::new()
    ///     .with_initial_delay(std::time::Duration::from_millis(1))
    ///     .call(|| breaker.call(|| { runs += 1; Err(std::io::Error::other("down")) }));
    /// assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    /// assert_eq!(runs, 1, "the second attempt was rejected, and returned at once");
    /// ```
    #[inline(always)]
    pub fn call<T, E>(mut self, mut op: impl FnMut() -> Result<T, E>) -> Result<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        let started = self.core.started(Clock::Thread);
        rejection::clear();
        match op() {
            Ok(value) if !self.values.should_retry(&value) => {
                self.core.first_try_ok();
                Ok(value)
            }
            result => {
                let (core, hooks) = self.into_parts();
                Self::retry_sync(core, hooks, |_| op(), started, result).result
            }
        }
    }

    /// Runs a sync closure as [`call`](Self::call) does, handing it the [`Attempt`] it is in:
    /// its number and whether it is the last the policy allows (to log "attempt 2 of 5", or
    /// send an attempt header).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    /// let result: Result<u32, &str> = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying()
    ///     .call_with_attempt(|attempt| if attempt.is_last() { Ok(attempt.number()) } else { Err("busy") });
    /// assert_eq!(result, Ok(3));
    /// ```
    pub fn call_with_attempt<T, E>(self, op: impl FnMut(Attempt) -> Result<T, E>) -> Result<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        self.call_with_outcome_and_attempt(op).result
    }

    /// Runs a sync closure as [`call`](Self::call) does, and says how it went: the result,
    /// unchanged, with the attempts made, the time slept and why the retries stopped (see
    /// [`RetryOutcome`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    /// let mut calls = 0;
    /// let outcome = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying()
    ///     .call_with_outcome(|| { calls += 1; if calls < 2 { Err("busy") } else { Ok(calls) } });
    /// assert_eq!(outcome.result, Ok(2));
    /// assert_eq!(outcome.attempts, 2);
    /// assert_eq!(outcome.gave_up, None);
    /// ```
    pub fn call_with_outcome<T, E>(self, mut op: impl FnMut() -> Result<T, E>) -> RetryOutcome<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        self.call_with_outcome_and_attempt(|_| op())
    }

    /// The plain data, and the closures a call's [`Attempts`] take over.
    #[allow(clippy::type_complexity)]
    fn into_parts(self) -> (Core, (When, Hook, Hint, Values)) {
        (
            self.core,
            (self.when, self.on_retry, self.hint, self.values),
        )
    }

    /// The sync front doors' common body: the first attempt, then the loop if it failed.
    fn call_with_outcome_and_attempt<T, E>(
        mut self,
        mut op: impl FnMut(Attempt) -> Result<T, E>,
    ) -> RetryOutcome<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        let started = self.core.started(Clock::Thread);
        rejection::clear();
        match op(Attempt::new(1, &self.core.policy)) {
            Ok(value) if !self.values.should_retry(&value) => {
                self.core.first_try_ok();
                RetryOutcome::first(value)
            }
            result => {
                let (core, hooks) = self.into_parts();
                Self::retry_sync(core, hooks, op, started, result)
            }
        }
    }

    /// The rest of a sync call after a first attempt whose result is to be retried, out of
    /// line so that the success path inlines into its caller.
    #[inline(never)]
    fn retry_sync<T, E>(
        core: Core,
        hooks: (When, Hook, Hint, Values),
        mut op: impl FnMut(Attempt) -> Result<T, E>,
        started: Option<Instant>,
        result: Result<T, E>,
    ) -> RetryOutcome<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        retry_loop!(
            core, hooks, Clock::Thread, started, result,
            sleep: |delay| std::thread::sleep(delay),
            next: |attempts| {
                rejection::clear();
                op(attempts.next_attempt())
            },
        )
    }

    /// Runs an async closure until it succeeds or the policy gives up, sleeping with tokio's
    /// timer between attempts. The last error is returned unchanged. Budgets and rejections
    /// as in [`call`](Self::call); an attempt is a rejection if a breaker rejected a call in
    /// the poll that finished it, on the thread that polled it.
    ///
    /// Takes a closure returning a future (`|| async { .. }`, or an `async fn`'s name), whose
    /// future is `Send` whenever what it holds is. For an async closure (`async || ..`) whose
    /// future borrows what the closure captures, such as a request it changes per attempt,
    /// see [`call_async_mut`](Self::call_async_mut).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let result: Result<u8, ()> = resilience::RetryPolicy::new()
    ///     .retrying()
    ///     .call_async(|| async { Ok(7) })
    ///     .await;
    /// assert_eq!(result, Ok(7));
    /// # }
    /// ```
    pub async fn call_async<T, E, Fut>(mut self, mut op: impl FnMut() -> Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        let started = self.core.started(Clock::Tokio);
        match attempt(op()).await {
            Ok(value) if !self.values.should_retry(&value) => {
                self.core.first_try_ok();
                Ok(value)
            }
            result => {
                let (core, hooks) = self.into_parts();
                Self::retry_async(core, hooks, |_| op(), started, result)
                    .await
                    .result
            }
        }
    }

    /// Runs an async closure as [`call_async`](Self::call_async) does, handing it the
    /// [`Attempt`] it is in.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let result: Result<u32, &str> = resilience::RetryPolicy::new()
    ///     .retrying()
    ///     .call_async_with_attempt(|attempt| async move {
    ///         // A shorter timeout on the last try, say.
    ///         if attempt.is_last() { Ok(attempt.number()) } else { Err("slow") }
    ///     })
    ///     .await;
    /// assert_eq!(result, Ok(3));
    /// # }
    /// ```
    pub async fn call_async_with_attempt<T, E, Fut>(
        self,
        op: impl FnMut(Attempt) -> Fut,
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        self.call_async_outcome(op).await.result
    }

    /// Runs an async closure as [`call_async`](Self::call_async) does, and says how it went
    /// (see [`RetryOutcome`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use resilience::{GiveUp, RetryPolicy};
    /// let outcome = RetryPolicy::new()
    ///     .retrying()
    ///     .without_budget()
    ///     .call_async_with_outcome(|| async { Err::<(), _>("down") })
    ///     .await;
    /// assert_eq!((outcome.attempts, outcome.gave_up), (3, Some(GiveUp::Exhausted)));
    /// # }
    /// ```
    pub async fn call_async_with_outcome<T, E, Fut>(
        self,
        mut op: impl FnMut() -> Fut,
    ) -> RetryOutcome<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        self.call_async_outcome(|_| op()).await
    }

    /// The async front doors' common body, for those that hand the attempt over or report
    /// the outcome.
    async fn call_async_outcome<T, E, Fut>(
        mut self,
        mut op: impl FnMut(Attempt) -> Fut,
    ) -> RetryOutcome<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        let started = self.core.started(Clock::Tokio);
        match attempt(op(Attempt::new(1, &self.core.policy))).await {
            Ok(value) if !self.values.should_retry(&value) => {
                self.core.first_try_ok();
                RetryOutcome::first(value)
            }
            result => {
                let (core, hooks) = self.into_parts();
                Self::retry_async(core, hooks, op, started, result).await
            }
        }
    }

    /// The rest of an async call after a first attempt whose result is to be retried: a
    /// future of its own, so that the state of a call that succeeds at once holds none of it.
    async fn retry_async<T, E, Fut>(
        core: Core,
        hooks: (When, Hook, Hint, Values),
        mut op: impl FnMut(Attempt) -> Fut,
        started: Option<Instant>,
        result: Result<T, E>,
    ) -> RetryOutcome<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        retry_loop!(
            core, hooks, Clock::Tokio, started, result,
            sleep: |delay| tokio::time::sleep(delay).await,
            next: |attempts| attempt(op(attempts.next_attempt())).await,
        )
    }

    /// Runs an async closure (`async |attempt| ..`, an [`AsyncFnMut`]) as
    /// [`call_async`](Self::call_async) does, handing it the [`Attempt`] it is in, and says
    /// how it went (see [`RetryOutcome`]). Its future may borrow what the closure captures,
    /// for the length of an attempt: a `&mut` request or extensions it changes per attempt,
    /// which a closure returning a future cannot lend.
    ///
    /// The compiler cannot yet prove such a future `Send` when the closure captures
    /// references with named lifetimes (an `async-trait` method's, say): there, use
    /// [`call_async`](Self::call_async) with owned data moved into each attempt's future.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut headers: Vec<String> = Vec::new();
    /// let outcome = resilience::RetryPolicy::new()
    ///     .retrying()
    ///     .call_async_mut(async |attempt| {
    ///         headers.push(format!("x-attempt: {}", attempt.number())); // borrowed per attempt
    ///         if attempt.is_last() { Ok(headers.len()) } else { Err("busy") }
    ///     })
    ///     .await;
    /// assert_eq!(outcome.result, Ok(3));
    /// assert_eq!(headers[2], "x-attempt: 3");
    /// # }
    /// ```
    pub async fn call_async_mut<T, E>(
        mut self,
        mut op: impl AsyncFnMut(Attempt) -> Result<T, E>,
    ) -> RetryOutcome<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        let started = self.core.started(Clock::Tokio);
        let result = attempt(op(Attempt::new(1, &self.core.policy))).await;
        let result = match result {
            Ok(value) if !self.values.should_retry(&value) => {
                self.core.first_try_ok();
                return RetryOutcome::first(value);
            }
            result => result,
        };
        let (core, hooks) = self.into_parts();
        retry_loop!(
            core, hooks, Clock::Tokio, started, result,
            sleep: |delay| tokio::time::sleep(delay).await,
            next: |attempts| attempt(op(attempts.next_attempt())).await,
        )
    }
}

/// The retry of a `#[retry]` call site, as its expansion names it (`__private::Retry`): the
/// site's policy, predicate and hook, with the doors the attribute's loop opens (the clock it
/// started on, the state machine after a first failure, the count of a success), which the
/// plain API keeps closed. Built in a `const`: the expansion keeps a `&'static` reference to
/// it, so that an async function's future holds a pointer across its `.await`s rather than a
/// copy of the policy. Its predicate and hook are plain functions (`Copy`), copied into each
/// call's state machine.
#[derive(Debug, Clone, Copy)]
pub struct SiteRetry<When, Hook> {
    core: Core,
    when: When,
    on_retry: Hook,
}

impl<When, Hook> SiteRetry<When, Hook> {
    /// The retry of the call site `site`, under `policy`, with its `when` and `on_retry`.
    pub const fn for_site(
        policy: RetryPolicy,
        site: &'static RetrySite,
        when: When,
        on_retry: Hook,
    ) -> Self {
        SiteRetry {
            core: Core {
                policy,
                site: Some(site),
                budget: BudgetChoice::Own,
            },
            when,
            on_retry,
        }
    }

    /// Draws the retries from the budget named `name`, looked up (or made) on the first call
    /// and kept in `cell`: a `#[retry(budget = "...")]` call site's `static`.
    pub const fn budget_site(mut self, cell: &'static BudgetSite, name: &'static str) -> Self {
        self.core.budget = BudgetChoice::Site(cell, name);
        self
    }

    /// Makes every retry the policy allows, with no budget: `#[retry(budget = none)]`.
    pub const fn without_budget(mut self) -> Self {
        self.core.budget = BudgetChoice::Off;
        self
    }

    /// When the first attempt started, read only when the policy has a time budget.
    #[inline]
    pub fn started(&self, clock: Clock) -> Option<Instant> {
        self.core.started(clock)
    }

    /// The state machine of a call after its first failure; see [`Attempts`].
    pub fn start_at(
        &self,
        clock: Clock,
        started: Option<Instant>,
    ) -> Attempts<'_, When, Hook, NoHint, AcceptOk>
    where
        When: Copy,
        Hook: Copy,
    {
        Attempts::new(
            &self.core,
            clock,
            started,
            (self.when, self.on_retry, NoHint, AcceptOk),
        )
    }

    /// Counts a call that succeeded: at once when `attempts` was never made (no failure),
    /// else after retries.
    #[inline(always)]
    pub fn record_ok<W, H>(&self, attempts: &Option<Attempts<'_, W, H, NoHint, AcceptOk>>) {
        match attempts {
            None => self.core.first_try_ok(),
            Some(attempts) => attempts.succeeded(),
        }
    }
}

/// Counts the retry whose attempt starts now, after a sleep of `delay`: a retry whose call
/// is dropped during its sleep, or whose hook panics, never gets here.
#[inline]
pub fn retry_started<W, H>(retry: &SiteRetry<W, H>, delay: Duration) {
    retry.core.retry_started(delay);
}

/// Sleeps the calling thread between a sync function's attempts.
#[inline]
pub fn sleep_thread(delay: Duration) {
    std::thread::sleep(delay);
}

/// Sleeps the task between an async function's attempts, on tokio's timer.
#[inline]
pub fn sleep_task(delay: Duration) -> tokio::time::Sleep {
    tokio::time::sleep(delay)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::Jitter;

    const EXACT: RetryPolicy = RetryPolicy::new().with_jitter(Jitter::None);

    /// Drives a policy with a list of outcomes, recording the delays it asks for, without
    /// sleeping.
    fn drive(
        retry: Retry<impl RetryIf<u32>, impl OnRetry<u32>, impl DelayHint<u32>>,
        outcomes: &[Result<(), u32>],
    ) -> (Result<(), u32>, Vec<Duration>, usize) {
        let Retry {
            core,
            when,
            on_retry,
            hint,
            values,
        } = retry;
        let started = core.started(Clock::Thread);
        let mut attempts = Attempts::new(
            &core,
            Clock::Thread,
            started,
            (when, on_retry, hint, values),
        );
        let mut delays = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            match attempts.next(*outcome) {
                Step::Done(result) => return (result, delays, i + 1),
                Step::Wait(d) => delays.push(d),
            }
        }
        panic!("ran out of outcomes after {delays:?}");
    }

    #[test]
    fn runs_at_most_max_attempts_and_returns_the_last_error() {
        let (result, delays, calls) = drive(EXACT.retrying(), &[Err(1), Err(2), Err(3), Err(4)]);
        assert_eq!(result, Err(3));
        assert_eq!(calls, 3);
        assert_eq!(
            delays,
            [Duration::from_millis(100), Duration::from_millis(200)]
        );
    }

    #[test]
    fn success_stops_at_once() {
        let (result, delays, calls) = drive(EXACT.retrying(), &[Err(1), Ok(())]);
        assert_eq!((result, calls), (Ok(()), 2));
        assert_eq!(delays.len(), 1);
    }

    #[test]
    fn predicate_stops_on_permanent_errors() {
        let retry = EXACT
            .with_max_attempts(10)
            .retrying()
            .when(|e: &u32| *e < 10);
        let (result, _, calls) = drive(retry, &[Err(1), Err(2), Err(99), Err(3)]);
        assert_eq!((result, calls), (Err(99), 3));
    }

    #[test]
    fn hook_sees_error_attempt_and_delay() {
        let seen = RefCell::new(Vec::new());
        let retry = EXACT
            .retrying()
            .on_retry(|e: &u32, attempt, delay| seen.borrow_mut().push((*e, attempt, delay)));
        let _ = drive(retry, &[Err(7), Err(8), Err(9)]);
        assert_eq!(
            seen.into_inner(),
            [
                (7, 1, Duration::from_millis(100)),
                (8, 2, Duration::from_millis(200))
            ]
        );
    }

    #[test]
    fn hint_replaces_the_delay_capped_at_max_delay_and_a_lower_max_retry_after() {
        let secs = Duration::from_secs;
        // (max_delay, max_retry_after) -> the delays for hints of 2 s then 60 s.
        for ((max_delay, max_retry_after), expected) in [
            ((secs(30), Duration::MAX), [secs(2), secs(30)]),
            ((secs(3), Duration::MAX), [secs(2), secs(3)]),
            ((secs(30), secs(5)), [secs(2), secs(5)]),
        ] {
            let retry = EXACT
                .with_max_delay(max_delay)
                .with_max_retry_after(max_retry_after)
                .retrying()
                .delay_hint(|e: &u32| Some(secs(u64::from(*e))));
            let (_, delays, _) = drive(retry, &[Err(2), Err(60), Err(0)]);
            assert_eq!(delays, expected, "{max_delay:?}, {max_retry_after:?}");
        }
    }

    #[test]
    fn max_elapsed_refuses_a_sleep_that_would_end_past_the_budget() {
        let policy = EXACT
            .with_max_attempts(100)
            .with_max_elapsed(Duration::from_millis(2500));
        let retry = policy
            .retrying()
            .delay_hint(|e: &u32| Some(Duration::from_secs(u64::from(*e))));
        // No time passes here: a 1 s sleep fits in the budget, a 3 s one would overrun it.
        let (result, delays, calls) = drive(retry, &[Err(1), Err(3), Err(1)]);
        assert_eq!((result, calls), (Err(3), 2));
        assert_eq!(delays, [Duration::from_secs(1)]);
    }

    #[test]
    fn call_retries_a_sync_closure() {
        let mut calls = 0;
        let result: Result<u32, &str> = EXACT.with_initial_delay(Duration::ZERO).call(|| {
            calls += 1;
            if calls < 3 { Err("no") } else { Ok(calls) }
        });
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn call_async_sleeps_the_exact_schedule_on_tokio_time() {
        let start = tokio::time::Instant::now();
        let mut calls = 0;
        let result: Result<(), u32> = EXACT
            .with_max_attempts(4)
            .call_async(|| {
                calls += 1;
                async { Err(0) }
            })
            .await;
        assert_eq!(result, Err(0));
        assert_eq!(calls, 4);
        assert_eq!(start.elapsed(), Duration::from_millis(100 + 200 + 400));
    }

    #[tokio::test(start_paused = true)]
    async fn max_elapsed_follows_the_paused_clock() {
        let start = tokio::time::Instant::now();
        let mut calls = 0u32;
        let result: Result<(), u32> = EXACT
            .with_max_attempts(100)
            .with_backoff(crate::Backoff::Constant)
            .with_initial_delay(Duration::from_secs(1))
            .with_max_elapsed(Duration::from_millis(3500))
            .call_async(|| {
                calls += 1;
                async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(0)
                }
            })
            .await;
        assert_eq!(result, Err(0));
        // Attempts end at 0.1, 1.2, 2.3, 3.4 s; sleeping 1 s more would pass 3.5 s.
        assert_eq!(calls, 4);
        assert_eq!(start.elapsed(), Duration::from_millis(3400));
    }
}
