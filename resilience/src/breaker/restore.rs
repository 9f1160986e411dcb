//! Putting a breaker back in the state a snapshot recorded, its open period judged against
//! the configuration, now and at each new one.

use std::time::Duration;

use super::{
    config::BreakerConfig,
    core::{CircuitBreaker, Inner, lock, nanos},
    sync::Ordering::Relaxed,
};
use crate::{Reason, State, StateChange};

/// How [`CircuitBreaker::restore`] restored an open period.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, CircuitBreaker, Restored, State};
/// let breaker = CircuitBreaker::new("a", BreakerConfig::new());
/// assert_eq!(breaker.restore(State::Open, Duration::from_secs(5), 0), Restored::AsSaved);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restored {
    /// As the snapshot recorded it.
    AsSaved,
    /// Open for `allowed`, the longest open period the configuration produces, rather than
    /// for the `asked` left: no breaker of this configuration stays open that long.
    Shortened {
        /// The time left the snapshot asked for.
        asked: Duration,
        /// The time left it was given.
        allowed: Duration,
    },
}

/// An open period [`CircuitBreaker::restore`] started: its state word, when, and the end
/// the snapshot asked for, which the configuration may have shortened.
#[derive(Debug, Clone, Copy)]
pub(super) struct RestoredEnd {
    pub(super) word: u64,
    pub(super) at: u64,
    pub(super) asked: u64,
}

/// The rounding a snapshot's end is allowed: it is saved rounded up to the millisecond.
pub(super) const SNAPSHOT_ROUNDING: u64 = 1_000_000;

impl RestoredEnd {
    /// The end that `config` allows: the end asked for, unless it is later than the longest
    /// open period `config` produces (and the snapshot's rounding), then that period.
    pub(super) fn end(&self, config: &BreakerConfig) -> u64 {
        let limit = self
            .at
            .saturating_add(nanos(config.longest_open_duration()));
        if self.asked > limit.saturating_add(SNAPSHOT_ROUNDING) {
            limit
        } else {
            self.asked
        }
    }
}

impl CircuitBreaker {
    /// Puts the breaker in `state`, as a snapshot of it recorded it (see
    /// [`breakers::restore`](crate::breakers::restore), which does this for the registry):
    /// an open breaker (or a half-open one) stays open for `open_for`, then lets a trial
    /// call through as usual; `failed_recoveries` lengthen the open periods after it under a
    /// recovery backoff.
    ///
    /// An `open_for` longer than any open period the configuration produces (its recovery
    /// timeout, or the backoff's cap) cannot come from this configuration: a snapshot of
    /// another configuration, or a clock that disagrees with the one that took it. It is
    /// shortened to that longest period, and returned as [`Restored::Shortened`]. Each new
    /// configuration ([`reconfigure`](Self::reconfigure)) judges the restored end again,
    /// while it runs.
    ///
    /// A restore is one step as callers see it: the open period's end is written before
    /// the state is, so a call racing it either goes through as before or is rejected
    /// until the restored end.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{BreakerConfig, CircuitBreaker, Restored, State};
    ///
    /// let breaker = CircuitBreaker::new("a", BreakerConfig::new()); // open 60 s at most
    /// let day = Duration::from_secs(86_400);
    /// assert_eq!(
    ///     breaker.restore(State::Open, day, 0),
    ///     Restored::Shortened { asked: day, allowed: Duration::from_secs(60) }
    /// );
    /// assert_eq!(breaker.state(), State::Open);
    /// assert!(breaker.stats().until_half_open.unwrap() <= Duration::from_secs(60));
    /// assert_eq!(breaker.restore(State::Closed, Duration::ZERO, 0), Restored::AsSaved);
    /// ```
    pub fn restore(&self, state: State, open_for: Duration, failed_recoveries: u32) -> Restored {
        let (change, restored) = self.restore_quietly(state, open_for, failed_recoveries);
        self.emit(change);
        restored
    }

    /// [`restore`](Self::restore), leaving the state change for the caller to
    /// [`emit`](Self::emit): the registry restores a breaker before others can see it.
    pub(crate) fn restore_quietly(
        &self,
        state: State,
        open_for: Duration,
        failed_recoveries: u32,
    ) -> (Option<StateChange>, Restored) {
        let mut inner = lock(&self.inner);
        let to = match state {
            State::HalfOpen => State::Open,
            other => other,
        };
        let (change, restored) = if to == State::Open {
            let now = self.now_nanos();
            let end = RestoredEnd {
                word: 0,
                at: now,
                asked: now.saturating_add(nanos(open_for)),
            };
            let until = end.end(&inner.config);
            // One step: the end is written before the state word publishes it.
            let change = self.transition_until(&mut inner, to, Reason::Restored, Some(until));
            inner.restored = Some(RestoredEnd {
                word: self.word.load(Relaxed),
                ..end
            });
            (change, self.restored_now(&inner))
        } else {
            let change = self.transition(&mut inner, to, Reason::Restored);
            (change, Restored::AsSaved)
        };
        inner.failed_recoveries = failed_recoveries;
        (change, restored)
    }

    /// Whether the open period a restore started, still running, was shortened by the
    /// configuration in force.
    pub(crate) fn restored(&self) -> Restored {
        self.restored_now(&lock(&self.inner))
    }

    pub(super) fn restored_now(&self, inner: &Inner) -> Restored {
        match inner.restored {
            Some(r) if r.word == self.word.load(Relaxed) && r.end(&inner.config) != r.asked => {
                Restored::Shortened {
                    asked: Duration::from_nanos(r.asked.saturating_sub(r.at)),
                    allowed: inner.config.longest_open_duration(),
                }
            }
            _ => Restored::AsSaved,
        }
    }
}
