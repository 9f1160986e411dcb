//! The one engine behind `#[retry]` and the plain API: [`Retry`] pairs a policy with its
//! hooks and runs calls ([`Retry::call`], [`Retry::call_async`]); both front doors, and the
//! attribute's loop, drive the same [`Attempts`] state machine, so the three behave
//! identically. The attribute reaches the engine through [`SiteRetry`], its call site's
//! retry, which opens to its loop the doors the plain API keeps closed.

use std::{future::Future, time::Duration, time::Instant};

use super::{
    hooks::{AnyError, DelayHint, NoHint, NoHook, OnRetry, RetryIf, UseRetryAfter},
    policy::RetryPolicy,
    schedule::Schedule,
    site::RetrySite,
};
use crate::{
    budget::{ANONYMOUS, BudgetSite, RetryBudget, site_budget},
    observe::{
        self, GiveUp,
        describe::{Describe, type_name},
    },
    rejection,
};

/// A [`RetryPolicy`] with its predicate, hook and hint: everything needed to run a call with
/// retries. Made by [`RetryPolicy::retrying`]; cheap to build, holds no state of its own.
///
/// ```
/// use std::time::Duration;
/// use resilience::RetryPolicy;
///
/// #[derive(Debug, PartialEq)]
/// enum DbError { Busy, Constraint }
///
/// let mut calls = 0;
/// let result: Result<(), DbError> = RetryPolicy::new()
///     .with_initial_delay(Duration::ZERO)
///     .retrying()
///     .when(|e: &DbError| *e == DbError::Busy)
///     .call(|| {
///         calls += 1;
///         Err(DbError::Constraint)
///     });
/// assert_eq!(result, Err(DbError::Constraint));
/// assert_eq!(calls, 1, "a constraint violation is not retried");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Retry<When = AnyError, Hook = NoHook, Hint = NoHint> {
    policy: RetryPolicy,
    when: When,
    on_retry: Hook,
    hint: Hint,
    /// Where the calls are counted and what logs and metrics call them; `None` for an
    /// unnamed plain-API retry.
    site: Option<&'static RetrySite>,
    /// Which budget the retries are drawn from.
    budget: BudgetChoice,
}

/// Which [`RetryBudget`] a [`Retry`] draws its retries from.
#[derive(Debug, Clone, Copy)]
enum BudgetChoice {
    /// The site's own, or the one shared by unnamed plain-API calls.
    Own,
    /// None: every retry the policy allows is made.
    Off,
    /// A shared one, named.
    Shared(&'static RetryBudget),
    /// A shared one, named at a `#[retry(budget = "...")]` call site, which keeps it in its
    /// `static` once found.
    Site(&'static BudgetSite, &'static str),
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
            policy: *self,
            when: AnyError,
            on_retry: NoHook,
            hint: NoHint,
            site: None,
            budget: BudgetChoice::Own,
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
    /// enabled, and tokio's paused clock makes tests exact.
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
        let started = self.retrying().started(Clock::Tokio);
        match attempt(op()).await {
            Ok(value) => {
                self.retrying().first_try_ok();
                Ok(value)
            }
            Err(error) => self.retrying().retry_async(op, started, Err(error)).await,
        }
    }
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

impl<When, Hook> Retry<When, Hook, NoHint> {
    /// The retry of a `#[retry]` call site; see [`SiteRetry::for_site`].
    const fn for_site(
        policy: RetryPolicy,
        site: &'static RetrySite,
        when: When,
        on_retry: Hook,
    ) -> Self {
        Retry {
            policy,
            when,
            on_retry,
            hint: NoHint,
            site: Some(site),
            budget: BudgetChoice::Own,
        }
    }
}

impl<When, Hook, Hint> Retry<When, Hook, Hint> {
    /// Retries only the errors for which `when` returns `true`; the others return at once.
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
    pub fn when<W>(self, when: W) -> Retry<W, Hook, Hint> {
        Retry {
            policy: self.policy,
            when,
            on_retry: self.on_retry,
            hint: self.hint,
            site: self.site,
            budget: self.budget,
        }
    }

    /// Calls `hook(error, attempt, delay)` before each retry's sleep.
    ///
    /// ```
    /// use std::{cell::Cell, time::Duration};
    /// use resilience::{Jitter, RetryPolicy};
    /// let retries = Cell::new(0);
    /// let _: Result<(), ()> = RetryPolicy::new()
    ///     .with_initial_delay(Duration::ZERO)
    ///     .retrying()
    ///     .on_retry(|_: &(), attempt, _delay| retries.set(attempt))
    ///     .call(|| Err(()));
    /// assert_eq!(retries.get(), 2, "attempts 1 and 2 were followed by a retry");
    /// ```
    pub fn on_retry<H>(self, hook: H) -> Retry<When, H, Hint> {
        Retry {
            policy: self.policy,
            when: self.when,
            on_retry: hook,
            hint: self.hint,
            site: self.site,
            budget: self.budget,
        }
    }

    /// Lets each error ask for its own delay through `hint`, still capped at `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::RetryPolicy;
    /// let result: Result<(), Duration> = RetryPolicy::new()
    ///     .retrying()
    ///     .delay_hint(|wait: &Duration| Some(*wait))
    ///     .call(|| Err(Duration::ZERO));
    /// ```
    pub fn delay_hint<D>(self, hint: D) -> Retry<When, Hook, D> {
        Retry {
            policy: self.policy,
            when: self.when,
            on_retry: self.on_retry,
            hint,
            site: self.site,
            budget: self.budget,
        }
    }

    /// Honours the [`RetryAfter`](crate::RetryAfter) hint of the error type.
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
    pub fn honor_retry_after(self) -> Retry<When, Hook, UseRetryAfter> {
        self.delay_hint(UseRetryAfter)
    }

    /// Names the calls made through this retry: they are counted under `name` in
    /// [`retries`](crate::retries), and logs and metrics call them so (see
    /// [`observe`](crate::observe)). Calls with the same name are counted together.
    ///
    /// Naming takes a global lock to find the name's counters: name a retry once and keep
    /// it (it is `Copy`), rather than naming it again on every call.
    ///
    /// ```
    /// use resilience::{RetryPolicy, retries};
    ///
    /// let inventory = RetryPolicy::new().retrying().named("doc.inventory");
    /// let _ = inventory.call(|| Ok::<_, ()>(1));
    /// let _ = inventory.call(|| Ok::<_, ()>(2));
    /// assert_eq!(retries::get("doc.inventory").unwrap().calls, 2);
    /// ```
    pub fn named(self, name: &'static str) -> Self {
        Retry {
            site: Some(RetrySite::named(name)),
            ..self
        }
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
        self.budget = BudgetChoice::Shared(budget);
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
        self.budget = BudgetChoice::Off;
        self
    }

    /// The budget the retries are drawn from, if any.
    fn spending_budget(&self) -> Option<&'static RetryBudget> {
        match self.budget {
            BudgetChoice::Own => Some(self.site.map_or(&ANONYMOUS, RetrySite::budget)),
            BudgetChoice::Off => None,
            BudgetChoice::Shared(budget) => Some(budget),
            BudgetChoice::Site(cell, name) => Some(site_budget(cell, name)),
        }
    }

    /// Counts a call whose first attempt ended: in the site's statistics (which are its own
    /// budget's deposits), and in the shared budget it draws from, if any. `first_try_ok`
    /// says whether the attempt succeeded.
    #[inline(always)]
    fn count_call(&self, first_try_ok: bool) {
        let deposit = |budget: &RetryBudget| {
            if first_try_ok {
                budget.deposit();
            } else {
                budget.deposit_now();
            }
        };
        match (self.site, self.budget) {
            (Some(site), _) if first_try_ok => site.first_try(),
            (Some(site), _) => site.first_failure(),
            (None, BudgetChoice::Own) => deposit(&ANONYMOUS),
            (None, _) => {}
        }
        match self.budget {
            BudgetChoice::Shared(budget) => deposit(budget),
            BudgetChoice::Site(cell, name) => deposit(site_budget(cell, name)),
            BudgetChoice::Own | BudgetChoice::Off => {}
        }
    }

    /// Counts a call whose first attempt succeeded: the success path of every front door.
    #[inline(always)]
    pub(crate) fn first_try_ok(&self) {
        self.count_call(true);
        #[cfg(feature = "metrics")]
        observe::success(self.site.map(RetrySite::labels), 1);
    }

    /// Counts a call that succeeded: at once when `attempts` was never made (no failure),
    /// else after retries.
    #[inline(always)]
    fn record_ok(&self, attempts: &Option<Attempts<'_, When, Hook, Hint>>) {
        match attempts {
            None => self.first_try_ok(),
            Some(attempts) => attempts.succeeded(),
        }
    }

    /// Counts a retry whose attempt starts now, after a sleep of `delay`: in the site's
    /// statistics and metrics. On the failure path only, after the sleep.
    fn retry_started(&self, delay: Duration) {
        if let Some(site) = self.site {
            site.retry(delay);
        }
        observe::retry_started(self.site.map(RetrySite::labels), delay);
    }

    /// The policy this retry runs under.
    ///
    /// ```
    /// let policy = resilience::RetryPolicy::new();
    /// assert_eq!(policy.retrying().policy(), &policy);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

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
    pub fn call<T, E>(&self, mut op: impl FnMut() -> Result<T, E>) -> Result<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let started = self.started(Clock::Thread);
        rejection::clear();
        match op() {
            Ok(value) => {
                self.first_try_ok();
                Ok(value)
            }
            Err(error) => self.retry_sync(op, started, Err(error)),
        }
    }

    /// The rest of [`call`](Self::call) after a first attempt that failed, out of line so
    /// that the success path inlines into its caller.
    #[inline(never)]
    fn retry_sync<T, E>(
        &self,
        mut op: impl FnMut() -> Result<T, E>,
        started: Option<Instant>,
        mut result: Result<T, E>,
    ) -> Result<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let mut attempts = None;
        loop {
            match self.failed(&mut attempts, Clock::Thread, started, result) {
                Step::Done(result) => return result,
                Step::Wait(delay) => {
                    std::thread::sleep(delay);
                    self.retry_started(delay);
                }
            }
            rejection::clear();
            result = match op() {
                Ok(value) => {
                    self.record_ok(&attempts);
                    return Ok(value);
                }
                Err(error) => Err(error),
            };
        }
    }

    /// Runs an async closure until it succeeds or the policy gives up, sleeping with tokio's
    /// timer between attempts. The last error is returned unchanged. Budgets and rejections
    /// as in [`call`](Self::call); an attempt is a rejection if a breaker rejected a call in
    /// the poll that finished it, on the thread that polled it.
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
    pub async fn call_async<T, E, Fut>(&self, mut op: impl FnMut() -> Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let started = self.started(Clock::Tokio);
        // Taken apart and put back together, not borrowed and moved on: see the attribute's
        // expansion.
        match attempt(op()).await {
            Ok(value) => {
                self.first_try_ok();
                Ok(value)
            }
            Err(error) => self.retry_async(op, started, Err(error)).await,
        }
    }

    /// The rest of [`call_async`](Self::call_async) after a first attempt that failed: a
    /// future of its own, so that the state of a call that succeeds at once holds none of it.
    async fn retry_async<T, E, Fut>(
        &self,
        mut op: impl FnMut() -> Fut,
        started: Option<Instant>,
        mut result: Result<T, E>,
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let mut attempts = None;
        loop {
            match self.failed(&mut attempts, Clock::Tokio, started, result) {
                Step::Done(result) => return result,
                Step::Wait(delay) => {
                    tokio::time::sleep(delay).await;
                    self.retry_started(delay);
                }
            }
            result = attempt(op()).await;
            if result.is_ok() {
                self.record_ok(&attempts);
                return result;
            }
        }
    }

    /// A failed attempt of [`call`](Self::call) or [`call_async`](Self::call_async): the
    /// call's [`Attempts`] are made here on the first failure, so that a call that succeeds
    /// at once pays for nothing but reading the clock when a time budget is set. The success
    /// check stays in each loop: returning a success through [`Step`] measured slower. An
    /// attempt during which a breaker rejected a call on this thread is a rejection (see
    /// `crate::rejection`). Out of line, so that the loops around it stay small enough to be
    /// inlined into their callers.
    #[inline(never)]
    fn failed<'r, T, E>(
        &'r self,
        attempts: &mut Option<Attempts<'r, When, Hook, Hint>>,
        clock: Clock,
        started: Option<Instant>,
        result: Result<T, E>,
    ) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let attempts = attempts.get_or_insert_with(|| self.start_at(clock, started));
        match rejection::take() {
            Some(retry_in) => attempts.next_rejected(result, retry_in, type_name::<E>),
            None => attempts.next(result),
        }
    }

    /// When the first attempt started, read only when the policy has a time budget.
    #[inline]
    fn started(&self, clock: Clock) -> Option<Instant> {
        self.policy.max_elapsed.map(|_| clock.now())
    }

    /// The state machine of a call whose first attempt started at `started` (see
    /// [`started`](Self::started)): made after a first failure, so that a call that succeeds
    /// at once never builds it. Counts the call.
    fn start_at(&self, clock: Clock, started: Option<Instant>) -> Attempts<'_, When, Hook, Hint> {
        self.count_call(false);
        Attempts {
            retry: self,
            attempt: 0,
            started,
            clock,
            schedule: Schedule::new(&self.policy),
        }
    }
}

/// The retry of a `#[retry]` call site, as its expansion names it (`__private::Retry`): the
/// site's [`Retry`], with the doors the attribute's loop opens (the clock it started on, the
/// state machine after a first failure, the count of a success), which the plain API keeps
/// closed. Built in a `const`: the expansion keeps a `&'static` reference to it, so that an
/// async function's future holds a pointer across its `.await`s rather than a copy of the
/// policy.
#[derive(Debug, Clone, Copy)]
pub struct SiteRetry<When, Hook>(Retry<When, Hook, NoHint>);

impl<When, Hook> SiteRetry<When, Hook> {
    /// The retry of the call site `site`, under `policy`, with its `when` and `on_retry`.
    pub const fn for_site(
        policy: RetryPolicy,
        site: &'static RetrySite,
        when: When,
        on_retry: Hook,
    ) -> Self {
        SiteRetry(Retry::for_site(policy, site, when, on_retry))
    }

    /// Draws the retries from the budget named `name`, looked up (or made) on the first call
    /// and kept in `cell`: a `#[retry(budget = "...")]` call site's `static`.
    pub const fn budget_site(mut self, cell: &'static BudgetSite, name: &'static str) -> Self {
        self.0.budget = BudgetChoice::Site(cell, name);
        self
    }

    /// Makes every retry the policy allows, with no budget: `#[retry(budget = none)]`.
    pub const fn without_budget(mut self) -> Self {
        self.0.budget = BudgetChoice::Off;
        self
    }

    /// When the first attempt started, read only when the policy has a time budget.
    #[inline]
    pub fn started(&self, clock: Clock) -> Option<Instant> {
        self.0.started(clock)
    }

    /// The state machine of a call after its first failure; see [`Attempts`].
    pub fn start_at(
        &self,
        clock: Clock,
        started: Option<Instant>,
    ) -> Attempts<'_, When, Hook, NoHint> {
        self.0.start_at(clock, started)
    }

    /// Counts a call that succeeded: at once when `attempts` was never made (no failure),
    /// else after retries.
    #[inline(always)]
    pub fn record_ok(&self, attempts: &Option<Attempts<'_, When, Hook, NoHint>>) {
        self.0.record_ok(attempts)
    }
}

/// Counts the retry whose attempt starts now, after a sleep of `delay`: a retry whose call
/// is dropped during its sleep, or whose hook panics, never gets here.
#[inline]
pub fn retry_started<W, H>(retry: &SiteRetry<W, H>, delay: Duration) {
    retry.0.retry_started(delay);
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

/// Which clock a call's attempts read: the thread's, or tokio's (so a paused clock is seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `std::time::Instant`.
    Thread,
    /// `tokio::time::Instant`, which follows a paused test clock.
    Tokio,
}

impl Clock {
    fn now(self) -> Instant {
        match self {
            Clock::Thread => Instant::now(),
            Clock::Tokio => tokio::time::Instant::now().into_std(),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug)]
pub enum Step<T, E> {
    /// Return this result to the caller.
    Done(Result<T, E>),
    /// Sleep this long, then run the body again.
    Wait(Duration),
}

/// The state of one call under a [`Retry`]: attempts made, when it started, the schedule.
#[derive(Debug)]
pub struct Attempts<'r, When, Hook, Hint> {
    retry: &'r Retry<When, Hook, Hint>,
    attempt: u32,
    started: Option<Instant>,
    clock: Clock,
    schedule: Schedule<'r>,
}

impl<When, Hook, Hint> Attempts<'_, When, Hook, Hint> {
    /// Decides after an attempt, using the retry's own hint.
    #[inline]
    pub fn next<T, E>(&mut self, result: Result<T, E>) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
    {
        let hint = result
            .as_ref()
            .err()
            .and_then(|error| self.retry.hint.delay_hint(error));
        self.next_described(result, hint, type_name::<E>)
    }

    /// Decides after an attempt, with a hint the caller read from the error (the attribute
    /// reads [`RetryAfter`] where the error type is concrete) and a description of the error for logs, which
    /// the attribute picks where it can see whether the error type implements `Debug`.
    #[inline]
    pub fn next_described<T, E>(
        &mut self,
        result: Result<T, E>,
        hint: Option<Duration>,
        describe: Describe<E>,
    ) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
    {
        self.decide(result, |attempts, error| {
            attempts.after_error(error, hint, describe)
        })
    }

    /// Decides after an attempt that a circuit breaker rejected without running it (the
    /// `#[retry]` attribute learns it from a `#[circuit_breaker]` below it): the rejection is
    /// not retried after the usual delay. If the breaker lets a trial through (`retry_in`)
    /// before that delay would end, the loop waits for that moment instead (within
    /// `max_elapsed` and any deadline); otherwise it returns the rejection at once. A
    /// rejected attempt spends no retry budget.
    #[inline]
    pub fn next_rejected<T, E>(
        &mut self,
        result: Result<T, E>,
        retry_in: Option<Duration>,
        describe: Describe<E>,
    ) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
    {
        self.decide(result, |attempts, error| {
            attempts.after_rejection(error, retry_in, describe)
        })
    }

    /// A success ends the call; an error is decided by `failed`.
    #[inline(always)]
    fn decide<T, E>(
        &mut self,
        result: Result<T, E>,
        failed: impl FnOnce(&mut Self, E) -> Step<T, E>,
    ) -> Step<T, E> {
        match result {
            Ok(value) => {
                self.succeeded();
                Step::Done(Ok(value))
            }
            Err(error) => failed(self, error),
        }
    }

    /// Counts a call that succeeded after the failures this state machine saw.
    #[inline]
    pub fn succeeded(&self) {
        if let Some(site) = self.retry.site {
            site.success_after_retries();
        }
        #[cfg(feature = "metrics")]
        observe::success(
            self.retry.site.map(RetrySite::labels),
            self.attempt.saturating_add(1),
        );
    }

    fn after_error<T, E>(
        &mut self,
        error: E,
        hint: Option<Duration>,
        describe: Describe<E>,
    ) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
    {
        if let Some(reason) = self.failed_attempt(&error) {
            return self.give_up(error, reason, describe);
        }
        let policy = &self.retry.policy;
        let computed = self.schedule.delay(self.attempt);
        let delay = hint.map_or(computed, |hint| hint.min(policy.max_delay));
        if let Some(reason) = self.past_time(delay) {
            return self.give_up(error, reason, describe);
        }
        // Last, so that a retry refused for another reason spends nothing.
        if let Some(budget) = self.retry.spending_budget() {
            if !budget.try_withdraw() {
                return self.give_up(error, GiveUp::Budget, describe);
            }
        }
        self.retry_after(error, delay, describe)
    }

    fn after_rejection<T, E>(
        &mut self,
        error: E,
        retry_in: Option<Duration>,
        describe: Describe<E>,
    ) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
    {
        if let Some(reason) = self.failed_attempt(&error) {
            return self.give_up(error, reason, describe);
        }
        let delay = self.schedule.delay(self.attempt);
        let wait = match retry_in {
            Some(wait) if wait <= delay => wait,
            _ => {
                // Told again, for a retry loop around this one.
                rejection::note(retry_in);
                return self.give_up(error, GiveUp::CircuitOpen, describe);
            }
        };
        if let Some(reason) = self.past_time(wait) {
            return self.give_up(error, reason, describe);
        }
        self.retry_after(error, wait, describe)
    }

    /// Counts a failed attempt; the reason to stop if it was the last one or its error is not
    /// worth another.
    fn failed_attempt<E>(&mut self, error: &E) -> Option<GiveUp>
    where
        When: RetryIf<E>,
    {
        self.attempt = self.attempt.saturating_add(1);
        if let Some(site) = self.retry.site {
            site.failed_attempt();
        }
        if self.attempt >= self.retry.policy.max_attempts {
            return Some(GiveUp::Exhausted);
        }
        if !self.retry.when.should_retry(error) {
            return Some(GiveUp::NotRetryable);
        }
        None
    }

    /// The reason not to sleep `delay`, if it would end past the time budget or an enclosing
    /// deadline.
    fn past_time(&self, delay: Duration) -> Option<GiveUp> {
        if let (Some(budget), Some(started)) = (self.retry.policy.max_elapsed, self.started) {
            let elapsed = self.clock.now().saturating_duration_since(started);
            if elapsed.saturating_add(delay) >= budget {
                return Some(GiveUp::MaxElapsed);
            }
        }
        // Inside a deadline (a `#[timeout]` around this call), a sleep that would end past it
        // is pointless: the timeout would cut the next attempt off. Return the real error.
        if crate::deadline::remaining().is_some_and(|left| delay >= left) {
            return Some(GiveUp::Deadline);
        }
        None
    }

    /// Reports a retry after `delay`, and tells the hook. The retry is counted when its
    /// attempt starts ([`Retry::retry_started`]), not here: the hook may panic, and the call
    /// may be dropped during its sleep.
    fn retry_after<T, E>(&mut self, error: E, delay: Duration, describe: Describe<E>) -> Step<T, E>
    where
        Hook: OnRetry<E>,
    {
        let site = self.retry.site.map(RetrySite::labels);
        observe::retry(site, self.attempt, delay, &error, describe);
        self.retry.on_retry.on_retry(&error, self.attempt, delay);
        Step::Wait(delay)
    }

    #[cold]
    fn give_up<T, E>(&self, error: E, reason: GiveUp, describe: Describe<E>) -> Step<T, E> {
        if let Some(site) = self.retry.site {
            site.give_up(reason);
        }
        let site = self.retry.site.map(RetrySite::labels);
        observe::give_up(site, self.attempt, reason, &error, describe);
        Step::Done(Err(error))
    }
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
        retry: &Retry<impl RetryIf<u32>, impl OnRetry<u32>, impl DelayHint<u32>>,
        outcomes: &[Result<(), u32>],
    ) -> (Result<(), u32>, Vec<Duration>, usize) {
        let mut attempts = retry.start_at(Clock::Thread, retry.started(Clock::Thread));
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
        let (result, delays, calls) = drive(&EXACT.retrying(), &[Err(1), Err(2), Err(3), Err(4)]);
        assert_eq!(result, Err(3));
        assert_eq!(calls, 3);
        assert_eq!(
            delays,
            [Duration::from_millis(100), Duration::from_millis(200)]
        );
    }

    #[test]
    fn success_stops_at_once() {
        let (result, delays, calls) = drive(&EXACT.retrying(), &[Err(1), Ok(())]);
        assert_eq!((result, calls), (Ok(()), 2));
        assert_eq!(delays.len(), 1);
    }

    #[test]
    fn predicate_stops_on_permanent_errors() {
        let retry = EXACT
            .with_max_attempts(10)
            .retrying()
            .when(|e: &u32| *e < 10);
        let (result, _, calls) = drive(&retry, &[Err(1), Err(2), Err(99), Err(3)]);
        assert_eq!((result, calls), (Err(99), 3));
    }

    #[test]
    fn hook_sees_error_attempt_and_delay() {
        let seen = RefCell::new(Vec::new());
        let retry = EXACT
            .retrying()
            .on_retry(|e: &u32, attempt, delay| seen.borrow_mut().push((*e, attempt, delay)));
        let _ = drive(&retry, &[Err(7), Err(8), Err(9)]);
        assert_eq!(
            seen.into_inner(),
            [
                (7, 1, Duration::from_millis(100)),
                (8, 2, Duration::from_millis(200))
            ]
        );
    }

    #[test]
    fn hint_replaces_the_delay_and_is_capped() {
        let retry = EXACT
            .with_max_delay(Duration::from_secs(5))
            .retrying()
            .delay_hint(|e: &u32| Some(Duration::from_secs(u64::from(*e))));
        let (_, delays, _) = drive(&retry, &[Err(2), Err(60), Err(0)]);
        assert_eq!(delays, [Duration::from_secs(2), Duration::from_secs(5)]);
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
        let (result, delays, calls) = drive(&retry, &[Err(1), Err(3), Err(1)]);
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
