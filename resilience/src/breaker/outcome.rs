//! Reporting a call's outcome: the counts, the windows, and the decisions to open and to
//! close that an outcome brings, behind the mutex unless it is a closed-state success.

use super::{
    core::{
        CHECK_SUCCESSES, CircuitBreaker, FAILURES, Inner, MAX_STRIDE, NO_SLOW, PLACE_SUCCESSES,
        RATE, Trial, UNTIMED_PLACED, UNTIMED_WINDOWED, lock,
    },
    permit::Outcome,
    stats::Stripe,
    sync::Ordering::{Acquire, Relaxed},
    window::Counted,
    word::{CLOSED, HALF_OPEN, TAG_MASK},
};
use crate::{Reason, State, stripes};

impl CircuitBreaker {
    /// Reports the outcome of the call a permit was given for.
    #[inline]
    pub(super) fn finish(&self, word: u64, start: u64, outcome: Outcome) {
        // The closed-state success path, lock-free and inlined into the caller. `UNTIMED` says
        // the call was neither timed nor bound for a window behind the mutex when it was let
        // through; `UNTIMED_PLACED`, that its stripe places it in a time window.
        if word & TAG_MASK == CLOSED && start >= UNTIMED_PLACED && outcome == Outcome::Success {
            // Not a compact set's: those take the slow path (see `SHARED_STRIPE`).
            let (stripe, index) = self.counters.owned();
            stripes::add_one(&stripe.successes, index);
            if start == UNTIMED_PLACED {
                self.place_success(stripe, index);
            }
            // One load when nothing failed lately.
            if self.consecutive.load(Relaxed) != 0 && self.word.load(Relaxed) == word {
                self.consecutive.store(0, Relaxed);
            }
            return;
        }
        self.finish_slow(word, start, outcome);
    }

    /// Adds a success to what `stripe` holds for the failure rate's time window; every
    /// `stride` successes, reads the clock to place them (see
    /// [`Placement`](super::window::Placement)). A thread without a stripe of its own records
    /// its success behind the mutex. Out of line: the closed-state success path that calls
    /// it is inlined into every call site, and only a time window needs this.
    #[inline(never)]
    fn place_success(&self, stripe: &Stripe, index: usize) {
        if index == stripes::SHARED {
            return self.record_success_locked();
        }
        // The stripe's owner is its only writer.
        let pending = stripe.pending.load(Relaxed) + 1;
        stripe.pending.store(pending, Relaxed);
        if pending >= stripe.stride.load(Relaxed) {
            self.look(stripe);
        }
    }

    /// Places the successes pending on the calling thread's own `stripe` in the slice of
    /// now, the latest they can belong to; hands the slice before to the window if the slice
    /// has moved on. Reads the clock more seldom while successes come faster than a few per
    /// slice, more often when they come slower.
    #[cold]
    #[inline(never)]
    fn look(&self, stripe: &Stripe) {
        let width = self.slice_width.load(Relaxed);
        if width == 0 {
            return; // the time window is gone
        }
        let now = self.now_nanos();
        let since_last = now.saturating_sub(stripe.looked.load(Relaxed));
        stripe.looked.store(now, Relaxed);
        let stride = stripe.stride.load(Relaxed);
        let stride = if since_last < width / 8 {
            (stride * 2).min(MAX_STRIDE)
        } else if since_last > width / 2 {
            (stride / 2).max(1)
        } else {
            stride
        };
        stripe.stride.store(stride, Relaxed);
        let slice = now - now % width;
        let pending = stripe.pending.load(Relaxed);
        if stripe.slice.load(Relaxed) == slice {
            // A reader between the two stores counts these twice: never too few.
            stripe
                .placed
                .store(stripe.placed.load(Relaxed) + pending, Relaxed);
            stripe.pending.store(0, Relaxed);
            return;
        }
        let mut inner = lock(&self.inner);
        if let Some(window) = &mut inner.window {
            window.place(stripe.slice.load(Relaxed), stripe.placed.load(Relaxed));
        }
        stripe.slice.store(slice, Relaxed);
        stripe.placed.store(pending, Relaxed);
        stripe.pending.store(0, Relaxed);
    }

    /// A success for the failure rate's time window, recorded at now behind the mutex.
    #[cold]
    #[inline(never)]
    fn record_success_locked(&self) {
        let now = self.now_nanos();
        let mut inner = lock(&self.inner);
        let total = self.calls_counted(&inner);
        if self.flags.load(Relaxed) & PLACE_SUCCESSES == 0 {
            return;
        }
        if let Some(window) = &mut inner.window {
            window.record(false, now, total);
        }
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
                if flags & PLACE_SUCCESSES != 0 {
                    let (stripe, index) = self.counters.mine();
                    self.place_success(stripe, index);
                }
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
            let counted = self.counted(&inner, now);
            self.update_success_checks(&inner, now, counted);
            let count = self.consecutive.load(Relaxed);
            let reason = if failure
                && inner.config.consecutive_policy()
                && count >= inner.config.failure_threshold
            {
                Some(Reason::ConsecutiveFailures { count })
            } else {
                policy
                    .zip(inner.window.as_ref())
                    .and_then(|(policy, window)| window.trips(&policy, now, counted))
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
    pub(super) fn update_success_checks(&self, inner: &Inner, now: u64, counted: Counted) {
        // A throttle's time window takes every outcome behind the mutex already.
        let pending = match (&inner.config.failure_rate, &inner.window) {
            (Some(policy), Some(window)) if self.flags.load(Relaxed) & RATE == 0 => {
                let (calls, failures) = window.totals(now, counted);
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
