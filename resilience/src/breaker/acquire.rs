//! Letting a call through: the closed state's lock-free path, the half-open trials, and the
//! adaptive throttle, whose decisions are taken behind the mutex.

use std::{sync::Arc, time::Duration};

use super::{
    core::{
        CHECK_SUCCESSES, CircuitBreaker, Inner, NEEDS_CLOCK, PLACE_SUCCESSES, RATE, SHARED_STRIPE,
        THROTTLING, Trial, UNTIMED, UNTIMED_PLACED, UNTIMED_WINDOWED, lock, nanos,
    },
    permit::Permit,
    sync::Ordering::{Acquire, Relaxed},
    window::Counted,
    word::{self, CLOSED, DISABLED, FORCED_OPEN, OPEN, TAG_MASK},
};
use crate::{Error, Reason, State, StateChange};

impl Inner {
    /// The throttle's next draw in `[0, 1)`: the fractional parts of `n / φ`, a sequence
    /// that covers the interval evenly (at most about `log n / n` away from uniform over any
    /// `n` draws), so that the share of calls rejected follows the probability closely
    /// even over a few calls, and the same calls give the same decisions.
    fn draw(&mut self) -> f64 {
        const INVERSE_GOLDEN_RATIO: u64 = 0x9E37_79B9_7F4A_7C15;
        self.draws = self.draws.wrapping_add(1);
        (self.draws.wrapping_mul(INVERSE_GOLDEN_RATIO) >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl CircuitBreaker {
    /// Asks to make one call. On `Ok`, make the call and report its outcome through the
    /// [`Permit`]; on `Err` ([`Error::CircuitOpen`]), do not make it.
    ///
    /// ```
    /// # use resilience::{BreakerConfig, CircuitBreaker};
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
    /// let permit = breaker.try_acquire().expect("closed");
    /// let result: Result<u32, std::io::Error> = Ok(7);
    /// permit.record(&result, |_| true);
    /// assert_eq!(breaker.stats().successes, 1);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Error> {
        let word = self.word.load(Acquire);
        if word & TAG_MASK == CLOSED {
            let flags = self.flags.load(Relaxed);
            if flags & THROTTLING == 0 {
                return Ok(self.grant(word, flags));
            }
        }
        self.try_acquire_slow(word)
    }

    /// [`try_acquire`](Self::try_acquire)'s closed-state path alone: `None` when the call
    /// must go through the slow path (any other state, or a throttle). An `Option` of a permit
    /// keeps the permit's three words apart, so that code holding the permit across an
    /// `.await` stores them from registers rather than copying a `Result` from memory.
    #[inline(always)]
    pub(crate) fn try_acquire_closed(&self) -> Option<Permit<'_>> {
        let word = self.word.load(Acquire);
        if word & TAG_MASK == CLOSED {
            let flags = self.flags.load(Relaxed);
            if flags & THROTTLING == 0 {
                return Some(self.grant(word, flags));
            }
        }
        None
    }

    /// Every state but an unthrottled closed one. A rejection while open, the path a dead
    /// dependency's callers take on every call, is decided here without the lock; everything
    /// else goes on to [`decide`](Self::decide), kept out of line so that this stays small.
    #[inline(never)]
    pub(super) fn try_acquire_slow(&self, word: u64) -> Result<Permit<'_>, Error> {
        match word & TAG_MASK {
            FORCED_OPEN => Err(self.reject(None)),
            OPEN => {
                let until = self.open_until.load(Relaxed);
                let now = self.now_nanos();
                if now < until {
                    Err(self.reject(Some(Duration::from_nanos(until - now))))
                } else {
                    self.decide(word)
                }
            }
            _ => self.decide(word),
        }
    }

    /// The rest of [`try_acquire_slow`](Self::try_acquire_slow): a throttled closed state, a
    /// half-open one, an open one past its period, or a word that changed meanwhile.
    #[cold]
    #[inline(never)]
    fn decide(&self, mut word: u64) -> Result<Permit<'_>, Error> {
        loop {
            match word & TAG_MASK {
                CLOSED => {
                    let flags = self.flags.load(Relaxed);
                    if flags & THROTTLING == 0 {
                        return Ok(self.grant(word, flags));
                    }
                    match self.throttle(word) {
                        Some(Ok(())) => return Ok(self.grant(word, flags)),
                        Some(Err(error)) => return Err(error),
                        None => {
                            word = self.word.load(Acquire);
                            continue;
                        }
                    }
                }
                DISABLED => return Ok(self.grant(word, self.flags.load(Relaxed))),
                FORCED_OPEN => return Err(self.reject(None)),
                OPEN => {
                    let until = self.open_until.load(Relaxed);
                    let now = self.now_nanos();
                    if now < until {
                        return Err(self.reject(Some(Duration::from_nanos(until - now))));
                    }
                }
                _ => {}
            }
            // Open past its period, or half-open: decided behind the lock.
            let (result, changes) = {
                let mut inner = lock(&self.inner);
                let current = self.word.load(Relaxed);
                if current != word {
                    word = current;
                    continue;
                }
                let now = self.now_nanos();
                let mut changes = [None, None];
                // Trials whose time is up give their slots back; if one of this half-open
                // period's did, the breaker opens again.
                if inner.trials.len() >= inner.config.half_open_max_calls as usize {
                    changes[0] = self.expire_trials(&mut inner, now);
                }
                let result = if word::state(self.word.load(Relaxed)) == State::Open {
                    let until = self.open_until.load(Relaxed);
                    if changes[0].is_some() || now < until {
                        // Opened again just now: the next trial waits for the new period.
                        Err(Some(Duration::from_nanos(until.saturating_sub(now))))
                    } else {
                        changes[1] = self.transition(
                            &mut inner,
                            State::HalfOpen,
                            Reason::RecoveryTimeoutElapsed,
                        );
                        self.admit_trial(&mut inner, now)
                    }
                } else {
                    self.admit_trial(&mut inner, now)
                };
                (result, changes)
            };
            for change in changes {
                self.emit(change);
            }
            return match result {
                Ok(trial) => Ok(Permit {
                    breaker: self,
                    word: trial.word,
                    start: trial.started,
                }),
                Err(retry_in) => Err(self.reject(retry_in)),
            };
        }
    }

    /// A trial slot while half-open, if one is free. Else a hint of when to ask again: the
    /// time until the first running trial's time is up (a slot frees then at the latest), or
    /// the recovery timeout if sooner, since trials usually answer well within their limit
    /// and asking again costs the dependency nothing; `None` if trials are not timed. Trials
    /// of an earlier half-open period that are still running hold their slots: trial calls
    /// at once never exceed the limit.
    pub(super) fn admit_trial(
        &self,
        inner: &mut Inner,
        now: u64,
    ) -> Result<Trial, Option<Duration>> {
        if inner.trials.len() >= inner.config.half_open_max_calls as usize {
            let wait = inner.config.trial_wait().map(nanos);
            let retry_in = wait.and_then(|wait| {
                let first_end = inner
                    .trials
                    .iter()
                    .map(|t| t.started.saturating_add(wait))
                    .min()?;
                let until_free = Duration::from_nanos(first_end.saturating_sub(now));
                Some(until_free.min(inner.config.recovery_timeout))
            });
            return Err(retry_in);
        }
        // The start identifies the trial: it is made unique among those running.
        let mut started = now;
        while inner.trials.iter().any(|t| t.started == started) {
            started += 1;
        }
        let trial = Trial {
            word: self.word.load(Relaxed),
            started,
        };
        inner.trials.push(trial);
        Ok(trial)
    }

    /// Takes back the slots of trials that ran past their time; their late outcomes are
    /// ignored. Opens the breaker again if one of them was this half-open period's.
    pub(super) fn expire_trials(&self, inner: &mut Inner, now: u64) -> Option<StateChange> {
        let wait = inner.config.trial_wait()?;
        let limit = nanos(wait);
        let word = self.word.load(Relaxed);
        let before = inner.trials.len();
        let mut current_expired = false;
        inner.trials.retain(|trial| {
            let expired = now.saturating_sub(trial.started) >= limit;
            current_expired |= expired && trial.word == word;
            !expired
        });
        if inner.trials.len() == before || !current_expired || word::state(word) != State::HalfOpen
        {
            return None;
        }
        inner.failed_recoveries = inner.failed_recoveries.saturating_add(1);
        self.transition(inner, State::Open, Reason::TrialTimedOut { waited: wait })
    }

    /// The adaptive throttle's decision for a closed-state call: `Some(Ok)` to let it
    /// through, `Some(Err)` to reject it, `None` if the breaker moved on meanwhile.
    pub(super) fn throttle(&self, word: u64) -> Option<Result<(), Error>> {
        let now = self.now_nanos();
        let (rejected, change) = {
            let mut inner = lock(&self.inner);
            if self.word.load(Relaxed) != word {
                return None;
            }
            let probability = self.rejection_probability(&inner, now);
            let rejected = probability > 0.0 && inner.draw() < probability;
            let mut change = None;
            if rejected {
                inner.throttled += 1;
                let total = self.calls_counted(&inner);
                // A request that was not accepted.
                if let Some(window) = &mut inner.throttle {
                    window.record(true, now, total);
                }
                // Beside a failure rate, a rejected call is a call that did not succeed:
                // otherwise the throttle, shedding nearly every call of a dependency that is
                // down, would starve the failure rate's window of the failures that open the
                // breaker.
                let policy = inner.config.failure_rate;
                let counted = self.counted(&inner, now);
                if let Some(window) = &mut inner.window {
                    window.record(true, now, total);
                    let counted = Counted {
                        calls: total,
                        ..counted
                    };
                    let trips = policy.and_then(|policy| window.trips(&policy, now, counted));
                    if let Some(rate) = trips {
                        change =
                            self.transition(&mut inner, State::Open, Reason::FailureRate { rate });
                    }
                }
            }
            self.update_throttle(&inner, now);
            (rejected, change)
        };
        self.emit(change);
        Some(if rejected {
            Err(self.reject(None))
        } else {
            Ok(())
        })
    }

    /// The throttle's rejection probability now; 0 without a throttle.
    pub(super) fn rejection_probability(&self, inner: &Inner, now: u64) -> f64 {
        match (&inner.config.adaptive, &inner.throttle) {
            (Some(adaptive), Some(window)) => {
                let counted = Counted::calls(self.calls_counted(inner));
                let (requests, rejected) = window.totals(now, counted);
                adaptive.rejection_probability(requests, requests - rejected)
            }
            _ => 0.0,
        }
    }

    /// Sets or clears [`THROTTLING`] after the throttle's window changed. With the mutex held.
    pub(super) fn update_throttle(&self, inner: &Inner, now: u64) {
        if self.rejection_probability(inner, now) > 0.0 {
            self.flags.fetch_or(THROTTLING, Relaxed);
        } else if self.flags.load(Relaxed) & THROTTLING != 0 {
            self.flags.fetch_and(!THROTTLING, Relaxed);
        }
    }

    #[inline]
    pub(super) fn grant(&self, word: u64, flags: u32) -> Permit<'_> {
        let start = if flags == 0 {
            UNTIMED
        } else if flags & NEEDS_CLOCK != 0 {
            self.now_nanos()
        } else if flags & (RATE | CHECK_SUCCESSES | SHARED_STRIPE) != 0 {
            UNTIMED_WINDOWED
        } else if flags & PLACE_SUCCESSES != 0 {
            UNTIMED_PLACED
        } else {
            UNTIMED
        };
        Permit {
            breaker: self,
            word,
            start,
        }
    }

    /// Counts and reports a rejection, and builds its error: inlined into the open state's
    /// path, where it is the whole of the work.
    #[inline(always)]
    pub(super) fn reject(&self, retry_in: Option<Duration>) -> Error {
        self.counters.add(|s| &s.rejections);
        crate::observe::rejected(&self.name, self.key_label(), retry_in);
        crate::rejection::note(retry_in);
        Error::CircuitOpen {
            name: Arc::clone(&self.name),
            retry_in,
        }
    }
}

/// What the `#[circuit_breaker]` attribute calls, reached through `__private`.
pub(crate) mod attribute {
    use super::{CircuitBreaker, Permit};

    /// [`CircuitBreaker::try_acquire`]'s closed-state path alone; see
    /// `CircuitBreaker::try_acquire_closed`.
    #[inline(always)]
    pub fn try_acquire_closed(breaker: &CircuitBreaker) -> Option<Permit<'_>> {
        breaker.try_acquire_closed()
    }
}
