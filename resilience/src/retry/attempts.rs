//! The state machine of one call after its first failure: the attempts made, when the call
//! started, the schedule, and what to do after each attempt ([`Step`]). Every front door
//! drives it: the plain API's loops ([`Retry`](super::Retry)), the attribute's loop (through
//! `SiteRetry`), and the integrations' layers; so all of them decide alike.

use std::time::{Duration, Instant};

use super::{
    core::{Clock, Core},
    hooks::{DelayHint, OnRetry, RetryIf, RetryValue},
    outcome::{Attempt, RetryOutcome},
    schedule::Schedule,
    site::RetrySite,
};
use crate::{
    observe::{
        self, GiveUp,
        describe::{Describe, ok_type_name, type_name},
    },
    rejection,
};

/// What to do after an attempt.
#[derive(Debug)]
pub enum Step<T, E> {
    /// Return this result to the caller.
    Done(Result<T, E>),
    /// Sleep this long, then run the body again.
    Wait(Duration),
}

/// The state of one call after its first failure: the attempts made, when it started, the
/// schedule, and the call's own predicates and hooks, which it may change (`FnMut`).
#[derive(Debug)]
pub struct Attempts<'r, When, Hook, Hint, Values> {
    core: &'r Core,
    when: When,
    hook: Hook,
    hint: Hint,
    values: Values,
    /// The attempts decided so far: the failed ones, and the one that succeeded.
    attempt: u32,
    started: Option<Instant>,
    clock: Clock,
    schedule: Schedule<'r>,
    /// Why the call stopped short of a success, once it did.
    gave_up: Option<GiveUp>,
}

impl<'r, When, Hook, Hint, Values> Attempts<'r, When, Hook, Hint, Values> {
    /// The state machine of a call whose first attempt, started at `started` (read only when
    /// the policy has a time budget), failed. Counts the call.
    pub(crate) fn new(
        core: &'r Core,
        clock: Clock,
        started: Option<Instant>,
        (when, hook, hint, values): (When, Hook, Hint, Values),
    ) -> Self {
        core.count_call(false);
        Attempts {
            core,
            when,
            hook,
            hint,
            values,
            attempt: 0,
            started,
            clock,
            schedule: Schedule::new(&core.policy),
            gave_up: None,
        }
    }

    /// Decides after an attempt, with the call's own hints: the plain API's step.
    #[inline]
    pub fn next<T, E>(&mut self, result: Result<T, E>) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        match result {
            Ok(value) if self.values.should_retry(&value) => {
                let hint = self.values.delay_hint(&value);
                self.after_value(value, hint)
            }
            Ok(value) => {
                self.accepted();
                Step::Done(Ok(value))
            }
            Err(error) => {
                let hint = self.hint.delay_hint(&error);
                self.after_error(error, hint, type_name::<E>)
            }
        }
    }

    /// Decides after an attempt, with a hint the caller read from the error (the attribute
    /// reads [`RetryAfter`](crate::RetryAfter) where the error type is concrete) and a
    /// description of the error for logs, which the attribute picks where it can see whether
    /// the error type implements `Debug`. An `Ok` value here is one the caller accepted.
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

    /// Decides after an attempt whose `Ok` value the caller's `retry_if_ok` predicate retries
    /// (the attribute asks it, then hands the value over), with the hint it read from the
    /// value: another attempt, or the value itself once the attempts, the budget or the time
    /// run out.
    #[inline]
    pub fn next_value<T, E>(&mut self, value: T, hint: Option<Duration>) -> Step<T, E> {
        self.after_value(value, hint)
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

    /// A value the caller accepted ends the call; an error is decided by `failed`.
    #[inline(always)]
    fn decide<T, E>(
        &mut self,
        result: Result<T, E>,
        failed: impl FnOnce(&mut Self, E) -> Step<T, E>,
    ) -> Step<T, E> {
        match result {
            Ok(value) => {
                self.accepted();
                Step::Done(Ok(value))
            }
            Err(error) => failed(self, error),
        }
    }

    /// The plain API's step after an attempt: a rejection if a breaker rejected a call on
    /// this thread during it (see `crate::rejection`), else [`next`](Self::next).
    #[inline]
    pub(crate) fn next_seen<T, E>(&mut self, result: Result<T, E>) -> Step<T, E>
    where
        When: RetryIf<E>,
        Hook: OnRetry<E>,
        Hint: DelayHint<E>,
        Values: RetryValue<T>,
    {
        match (rejection::take(), result) {
            (Some(retry_in), Err(error)) => self.after_rejection(error, retry_in, type_name::<E>),
            (_, result) => self.next(result),
        }
    }

    /// Counts a call that succeeded after the failures this state machine saw: the
    /// attribute's count, which decides a success itself.
    #[inline]
    pub fn succeeded(&self) {
        self.count_success(self.attempt.saturating_add(1));
    }

    /// Counts a retry whose attempt starts now, after a sleep of `delay`.
    #[inline]
    pub(crate) fn retry_started(&self, delay: Duration) {
        self.core.retry_started(delay);
    }

    /// The attempt about to be made.
    #[inline]
    pub(crate) fn next_attempt(&self) -> Attempt {
        Attempt::new(self.attempt.saturating_add(1), &self.core.policy)
    }

    /// How the call went, once a step said [`Step::Done`] with `result`, after sleeping
    /// `slept` in all. The loop that slept counts it: the attribute's loop, which reports no
    /// outcome, then keeps a smaller state machine in an async function's future.
    pub(crate) fn outcome<T, E>(
        &self,
        result: Result<T, E>,
        slept: Duration,
    ) -> RetryOutcome<T, E> {
        RetryOutcome {
            result,
            attempts: self.attempt,
            slept,
            gave_up: self.gave_up,
        }
    }

    /// A value the call accepts ends it: counted as a success after retries.
    fn accepted(&mut self) {
        self.attempt = self.attempt.saturating_add(1);
        self.count_success(self.attempt);
    }

    #[allow(unused_variables)]
    fn count_success(&self, attempts: u32) {
        if let Some(site) = self.core.site {
            site.success_after_retries();
        }
        #[cfg(feature = "metrics")]
        observe::success(self.core.site.map(RetrySite::labels), attempts);
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
        let delay = self.delay(hint);
        if let Some(reason) = self.refused(delay) {
            return self.give_up(error, reason, describe);
        }
        observe::retry(self.labels(), self.attempt, delay, &error, describe);
        self.hook.on_retry(&error, self.attempt, delay);
        Step::Wait(delay)
    }

    fn after_value<T, E>(&mut self, value: T, hint: Option<Duration>) -> Step<T, E> {
        self.count_failure();
        if self.core.policy.is_last_attempt(self.attempt) {
            return self.give_up_value(value, GiveUp::Exhausted);
        }
        let delay = self.delay(hint);
        if let Some(reason) = self.refused(delay) {
            return self.give_up_value(value, reason);
        }
        observe::retry(
            self.labels(),
            self.attempt,
            delay,
            &value,
            ok_type_name::<T>,
        );
        Step::Wait(delay)
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
        observe::retry(self.labels(), self.attempt, wait, &error, describe);
        self.hook.on_retry(&error, self.attempt, wait);
        Step::Wait(wait)
    }

    /// Counts a failed attempt; the reason to stop if its error is not worth another or it
    /// was the last one. The predicate is asked about every error, the last one included (as
    /// tokio-retry asks its condition), so that one that logs or counts sees each failure.
    fn failed_attempt<E>(&mut self, error: &E) -> Option<GiveUp>
    where
        When: RetryIf<E>,
    {
        self.count_failure();
        if !self.when.should_retry(error) {
            return Some(GiveUp::NotRetryable);
        }
        if self.core.policy.is_last_attempt(self.attempt) {
            return Some(GiveUp::Exhausted);
        }
        None
    }

    fn count_failure(&mut self) {
        self.attempt = self.attempt.saturating_add(1);
        if let Some(site) = self.core.site {
            site.failed_attempt();
        }
    }

    /// The delay before the next attempt: the schedule's, or the hint's up to `max_delay`,
    /// which caps every delay, and `max_retry_after`, which caps hints alone (a longer hint
    /// is cut, and the cut is reported).
    fn delay(&mut self, hint: Option<Duration>) -> Duration {
        // Computed even when a hint replaces it, so that decorrelated jitter remembers it.
        let computed = self.schedule.delay(self.attempt);
        let Some(hint) = hint else {
            return computed;
        };
        let cap = self.core.policy.hint_cap();
        if hint > cap {
            observe::retry_after_cut(self.labels(), hint, cap);
            return cap;
        }
        hint
    }

    /// The reason not to retry after `delay`: a sleep past the time budget or an enclosing
    /// deadline, or a budget that refuses the retry. The budget is asked last, so that a
    /// retry refused for another reason spends nothing.
    fn refused(&self, delay: Duration) -> Option<GiveUp> {
        if let Some(reason) = self.past_time(delay) {
            return Some(reason);
        }
        match self.core.spending_budget() {
            Some(budget) if !budget.try_withdraw() => Some(GiveUp::Budget),
            _ => None,
        }
    }

    /// The reason not to sleep `delay`, if it would end past the time budget or an enclosing
    /// deadline.
    fn past_time(&self, delay: Duration) -> Option<GiveUp> {
        if let (Some(budget), Some(started)) = (self.core.policy.max_elapsed, self.started) {
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

    fn labels(&self) -> Option<&'static observe::SiteLabels> {
        self.core.site.map(RetrySite::labels)
    }

    /// Ends the call with `error`, for `reason`.
    #[cold]
    fn give_up<T, E>(&mut self, error: E, reason: GiveUp, describe: Describe<E>) -> Step<T, E> {
        self.stop(reason);
        observe::give_up(self.labels(), self.attempt, reason, &error, describe);
        Step::Done(Err(error))
    }

    /// Ends the call with a value `retry_if_ok` would have retried, for `reason`.
    #[cold]
    fn give_up_value<T, E>(&mut self, value: T, reason: GiveUp) -> Step<T, E> {
        self.stop(reason);
        observe::give_up(
            self.labels(),
            self.attempt,
            reason,
            &value,
            ok_type_name::<T>,
        );
        Step::Done(Ok(value))
    }

    fn stop(&mut self, reason: GiveUp) {
        self.gave_up = Some(reason);
        if let Some(site) = self.core.site {
            site.give_up(reason);
        }
    }
}
