//! Reporting a call's outcome: the counts, the windows, and the decisions to open and to
//! close that an outcome brings, behind the mutex unless it is a closed-state success.

use super::{
    core::{
        CHECK_SUCCESSES, CircuitBreaker, FAILURES, Inner, NO_SLOW, RATE, Trial, UNTIMED,
        UNTIMED_WINDOWED, lock,
    },
    permit::Outcome,
    sync::Ordering::{Acquire, Relaxed},
    window::RateWindow,
    word::{CLOSED, HALF_OPEN, TAG_MASK},
};
use crate::{Reason, State};

impl CircuitBreaker {
    /// Reports the outcome of the call a permit was given for.
    #[inline]
    pub(super) fn finish(&self, word: u64, start: u64, outcome: Outcome) {
        // The closed-state success path, lock-free and inlined into the caller. `UNTIMED` says
        // the call was neither timed nor bound for a window when it was let through.
        if word & TAG_MASK == CLOSED && start == UNTIMED && outcome == Outcome::Success {
            self.counters.add(|s| &s.successes);
            // One load when nothing failed lately.
            if self.consecutive.load(Relaxed) != 0 && self.word.load(Relaxed) == word {
                self.consecutive.store(0, Relaxed);
            }
            return;
        }
        self.finish_slow(word, start, outcome);
    }

    #[inline(never)]
    pub(super) fn finish_slow(&self, word: u64, start: u64, mut outcome: Outcome) {
        let mut now = None;
        if start < UNTIMED_WINDOWED && outcome != Outcome::Released {
            let end = self.now_nanos();
            now = Some(end);
            let slow = self.slow_nanos.load(Relaxed);
            if slow != NO_SLOW && end.saturating_sub(start) >= slow {
                self.counters.add(|s| &s.slow_calls);
                outcome = Outcome::Failure;
            }
        }
        match outcome {
            Outcome::Success => self.counters.add(|s| &s.successes),
            Outcome::Failure => self.counters.add(|s| &s.failures),
            Outcome::Released => self.counters.add(|s| &s.uncounted),
        }
        match word & TAG_MASK {
            CLOSED => self.finish_closed(word, outcome, now),
            HALF_OPEN => self.finish_trial(word, start, outcome),
            _ => {}
        }
    }

    pub(super) fn finish_closed(&self, word: u64, outcome: Outcome, now: Option<u64>) {
        let flags = self.flags.load(Relaxed);
        let rate = flags & (RATE | CHECK_SUCCESSES) != 0;
        let windowed = flags & (RATE | FAILURES) != 0;
        let mut counted = false;
        match outcome {
            Outcome::Released => return,
            Outcome::Success if !rate => {
                if self.consecutive.load(Relaxed) != 0 && self.word.load(Relaxed) == word {
                    self.consecutive.store(0, Relaxed);
                }
                return;
            }
            Outcome::Failure if !windowed => {
                if self.word.load(Acquire) != word {
                    return; // the breaker moved on while the call ran
                }
                let count = self.consecutive.fetch_add(1, Relaxed).saturating_add(1);
                let threshold = self.threshold.load(Relaxed);
                if threshold == 0 || count < threshold {
                    return;
                }
                counted = true;
            }
            _ => {}
        }
        let change = {
            let mut inner = lock(&self.inner);
            if self.word.load(Relaxed) != word {
                return;
            }
            let failure = outcome == Outcome::Failure;
            if !counted {
                if failure {
                    self.consecutive.fetch_add(1, Relaxed);
                } else {
                    self.consecutive.store(0, Relaxed);
                }
            }
            let now = now.unwrap_or_else(|| self.now_nanos());
            let total = self.calls_counted(&inner);
            let policy = inner.config.failure_rate;
            if let Some(window) = &mut inner.window {
                window.record(failure, now, total);
            }
            if let Some(throttle) = &mut inner.throttle {
                throttle.record(failure, now, total);
                self.update_throttle(&inner, now);
            }
            self.update_success_checks(&inner, now, total);
            let count = self.consecutive.load(Relaxed);
            let reason = if failure
                && inner.config.consecutive_policy()
                && count >= inner.config.failure_threshold
            {
                Some(Reason::ConsecutiveFailures { count })
            } else {
                policy
                    .zip(inner.window.as_ref())
                    .and_then(|(policy, window)| window.trips(&policy, now, total))
                    .map(|rate| Reason::FailureRate { rate })
            };
            match reason {
                Some(reason) => self.transition(&mut inner, State::Open, reason),
                None => return,
            }
        };
        self.emit(change);
    }

    pub(super) fn finish_trial(&self, word: u64, started: u64, outcome: Outcome) {
        let change = {
            let mut inner = lock(&self.inner);
            let trial = Trial { word, started };
            let Some(index) = inner.trials.iter().position(|t| *t == trial) else {
                return; // its time was up, or the breaker was reset: its slot is gone
            };
            inner.trials.swap_remove(index);
            if self.word.load(Relaxed) != word {
                return; // a trial of an earlier half-open period: it no longer decides
            }
            match outcome {
                Outcome::Released => return,
                Outcome::Success => {
                    inner.trial_successes += 1;
                    let successes = inner.trial_successes;
                    if successes < inner.config.success_threshold {
                        return;
                    }
                    self.transition(
                        &mut inner,
                        State::Closed,
                        Reason::TrialsSucceeded { successes },
                    )
                }
                Outcome::Failure => {
                    inner.failed_recoveries = inner.failed_recoveries.saturating_add(1);
                    self.transition(&mut inner, State::Open, Reason::TrialFailed)
                }
            }
        };
        self.emit(change);
    }

    /// Sets or clears [`CHECK_SUCCESSES`] after the failure rate's window changed. With the
    /// mutex held.
    pub(super) fn update_success_checks(&self, inner: &Inner, now: u64, total: u64) {
        let pending = match (&inner.config.failure_rate, &inner.window) {
            (Some(policy), Some(window @ RateWindow::Calls { .. })) => {
                let (calls, failures) = window.totals(now, total);
                failures > 0 && calls < u64::from(policy.minimum_calls)
            }
            _ => false,
        };
        if pending {
            self.flags.fetch_or(CHECK_SUCCESSES, Relaxed);
        } else if self.flags.load(Relaxed) & CHECK_SUCCESSES != 0 {
            self.flags.fetch_and(!CHECK_SUCCESSES, Relaxed);
        }
    }
}
