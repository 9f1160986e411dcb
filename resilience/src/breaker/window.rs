//! The sliding windows of the failure-rate policy and the adaptive throttle. Both live behind
//! the breaker's lock; a failure rate's time window also reads the successes its breaker's
//! stripes hold for it (see [`Placement`]).

use std::{collections::VecDeque, time::Duration};

use super::config::{FailureRate, Window};

/// Number of buckets a time-based window slides in.
const BUCKETS: usize = 32;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bucket {
    /// Which slice of time (`nanos / width`) the counts belong to.
    slice: u64,
    calls: u32,
    failures: u32,
}

/// Outcomes of the last calls, or of the last stretch of time.
///
/// A count window takes nothing from a success: the breaker counts every call on its
/// thread-owned stripes, and the window keeps only the positions of the calls that did not
/// succeed, in that count. The calls of the window are the last `size` of the count (since
/// the window was cleared), and its failures those of them it holds. So a success through a
/// breaker with a count window costs what it costs through one without, and only a failure
/// takes the breaker's lock. Positions are read from the stripes while other threads may be
/// counting: they are exact for calls that finish one after the other, and off by the calls
/// finishing at the same moment otherwise.
#[derive(Debug)]
pub(crate) enum RateWindow {
    /// The last `size` calls: `start` is the count when the window was cleared, `failures`
    /// the positions (counts, this call included) of the calls that did not succeed, in
    /// order, none older than the window.
    Calls {
        size: u64,
        start: u64,
        failures: VecDeque<u64>,
    },
    /// `BUCKETS` buckets of `width` nanoseconds each; `since` is when the window was made or
    /// cleared (nanoseconds on the breaker's clock), before which nothing counts.
    Time {
        width: u64,
        buckets: Box<[Bucket; BUCKETS]>,
        since: u64,
    },
}

/// What a window reads beside what it holds: the calls counted so far (the count whose last
/// `size` calls a count window holds), and the successes that the breaker's stripes hold for
/// a time window and have not placed in it yet (see [`Placement`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counted {
    pub(crate) calls: u64,
    pub(crate) unplaced: u64,
}

impl Counted {
    /// The count `calls`, with nothing unplaced.
    pub(crate) const fn calls(calls: u64) -> Self {
        Counted { calls, unplaced: 0 }
    }
}

/// The successes one stripe holds for a time window: `placed` in the slice that starts at
/// `slice` (nanoseconds; [`NO_SLICE`] for none), and `pending` since its owner last read the
/// clock, whose slice is not known.
///
/// A success through a breaker with a failure rate over a time window is not timed: its
/// thread adds it to its stripe's `pending`, and reads the clock only every `stride`
/// successes, when it places what was pending in the slice it finds (the latest the
/// successes can belong to). When the slice has moved on, the stripe hands its slice's
/// count to the window, behind the breaker's lock. A reader behind the lock counts what the
/// window holds, each stripe's slice if it is in the window, and every pending success: a
/// success is never counted out of the window before its time, so the rate is never
/// overstated; it is understated by at most the successes pending on each stripe, and
/// successes placed up to a stride late.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) slice: u64,
    pub(crate) placed: u64,
    pub(crate) pending: u64,
}

/// [`Placement::slice`] of a stripe that placed nothing yet.
pub(crate) const NO_SLICE: u64 = u64::MAX;

impl RateWindow {
    /// A window of `window`'s shape, cleared at `now`, the count being `total`.
    pub(crate) fn new(window: Window, now: u64, total: u64) -> Self {
        match window {
            Window::Calls(n) => RateWindow::Calls {
                size: u64::from(n.max(1)),
                start: total,
                failures: VecDeque::new(),
            },
            Window::Time(d) => RateWindow::Time {
                width: bucket_width(d),
                buckets: Box::new([Bucket::default(); BUCKETS]),
                since: now,
            },
        }
    }

    /// The width of a time window's slices, in nanoseconds; `None` for a count window.
    pub(crate) fn slice_width(&self) -> Option<u64> {
        match self {
            RateWindow::Calls { .. } => None,
            RateWindow::Time { width, .. } => Some(*width),
        }
    }

    /// Empties the window at `now`, the count being `total`.
    pub(crate) fn clear(&mut self, now: u64, total: u64) {
        match self {
            RateWindow::Calls {
                start, failures, ..
            } => {
                *start = total;
                failures.clear();
            }
            RateWindow::Time { buckets, since, .. } => {
                **buckets = [Bucket::default(); BUCKETS];
                *since = now;
            }
        }
    }

    /// Adds `successes` a stripe placed in the slice starting at `slice` (nanoseconds) to a
    /// time window, unless that slice ended before the window began or left it.
    pub(crate) fn place(&mut self, slice: u64, successes: u64) {
        let RateWindow::Time {
            width,
            buckets,
            since,
        } = self
        else {
            return;
        };
        if successes == 0 || slice == NO_SLICE || slice.saturating_add(*width) <= *since {
            return;
        }
        let index = slice / *width;
        let bucket = &mut buckets[(index % BUCKETS as u64) as usize];
        if bucket.slice > index {
            return; // the slot holds a later slice: this one left the window
        }
        if bucket.slice != index {
            *bucket = Bucket {
                slice: index,
                ..Bucket::default()
            };
        }
        let added = u32::try_from(successes).unwrap_or(u32::MAX);
        bucket.calls = bucket.calls.saturating_add(added);
    }

    /// The successes the stripes hold for a time window as of `now` that it counts: those
    /// placed in a slice of the window, and every pending one (see [`Placement`]).
    pub(crate) fn unplaced(&self, now: u64, stripes: impl Iterator<Item = Placement>) -> u64 {
        let RateWindow::Time { width, since, .. } = self else {
            return 0;
        };
        let current = now / *width;
        stripes.fold(0, |sum, stripe| {
            let in_window = stripe.slice != NO_SLICE
                && stripe.slice.saturating_add(*width) > *since
                && current.saturating_sub(stripe.slice / *width) < BUCKETS as u64;
            let placed = if in_window { stripe.placed } else { 0 };
            sum.saturating_add(placed).saturating_add(stripe.pending)
        })
    }

    /// Records one outcome finished at `now` (nanoseconds on the breaker's clock), the count
    /// being `total` with it.
    pub(crate) fn record(&mut self, failure: bool, now: u64, total: u64) {
        match self {
            RateWindow::Calls { size, failures, .. } => {
                if !failure {
                    return;
                }
                let oldest = total.saturating_sub(*size);
                while failures.front().is_some_and(|&p| p <= oldest) {
                    failures.pop_front();
                }
                // Counts read by racing threads may come a little out of order.
                let at = failures.partition_point(|&p| p <= total);
                failures.insert(at, total);
            }
            RateWindow::Time { width, buckets, .. } => {
                let slice = now / *width;
                let bucket = &mut buckets[(slice % BUCKETS as u64) as usize];
                if bucket.slice != slice {
                    *bucket = Bucket {
                        slice,
                        ..Bucket::default()
                    };
                }
                bucket.calls = bucket.calls.saturating_add(1);
                bucket.failures = bucket.failures.saturating_add(u32::from(failure));
            }
        }
    }

    /// `(calls, failures)` in the window as of `now`, beside what `counted` says.
    pub(crate) fn totals(&self, now: u64, counted: Counted) -> (u64, u64) {
        let total = counted.calls;
        match self {
            RateWindow::Calls {
                size,
                start,
                failures,
            } => {
                let calls = total.saturating_sub(*start).min(*size);
                let oldest = total.saturating_sub(*size);
                let failed = failures.len() - failures.partition_point(|&p| p <= oldest);
                (calls, (failed as u64).min(calls))
            }
            RateWindow::Time { width, buckets, .. } => {
                let current = now / *width;
                let (calls, failures) = buckets
                    .iter()
                    .filter(|b| b.slice <= current && current - b.slice < BUCKETS as u64)
                    .fold((0, 0), |(c, f), b| {
                        (c + u64::from(b.calls), f + u64::from(b.failures))
                    });
                (calls + counted.unplaced, failures)
            }
        }
    }

    /// The failure rate once the window holds `policy.minimum_calls` calls.
    pub(crate) fn rate(&self, policy: &FailureRate, now: u64, counted: Counted) -> Option<f64> {
        let (calls, failures) = self.totals(now, counted);
        (calls >= u64::from(policy.minimum_calls) && calls > 0)
            .then(|| failures as f64 / calls as f64)
    }

    /// Whether the window's rate trips `policy`; the rate when it does.
    pub(crate) fn trips(&self, policy: &FailureRate, now: u64, counted: Counted) -> Option<f64> {
        let (_, failures) = self.totals(now, counted);
        self.rate(policy, now, counted)
            .filter(|&rate| failures > 0 && rate >= policy.rate)
    }
}

fn bucket_width(d: Duration) -> u64 {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    (nanos / BUCKETS as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BreakerConfig;

    fn policy(rate: f64, window: Window, min: u32) -> FailureRate {
        BreakerConfig::new()
            .with_failure_rate(rate, window, min)
            .failure_rate()
            .unwrap()
    }

    /// Feeds a count window outcomes one after the other, as the breaker's count does.
    fn feed(w: &mut RateWindow, total: &mut u64, outcomes: &[bool]) {
        for &failure in outcomes {
            *total += 1;
            w.record(failure, 0, *total);
        }
    }

    #[test]
    fn count_window_keeps_the_last_n() {
        let p = policy(0.5, Window::Calls(4), 4);
        let mut total = 10; // calls counted before the window was made
        let mut w = RateWindow::new(p.window, 0, total);
        feed(&mut w, &mut total, &[true, true, false]);
        assert_eq!(
            w.rate(&p, 0, Counted::calls(total)),
            None,
            "below the minimum"
        );
        feed(&mut w, &mut total, &[false]);
        assert_eq!(w.rate(&p, 0, Counted::calls(total)), Some(0.5));
        assert_eq!(w.trips(&p, 0, Counted::calls(total)), Some(0.5));
        feed(&mut w, &mut total, &[false]); // evicts the first failure
        feed(&mut w, &mut total, &[false]); // and the second
        assert_eq!(w.totals(0, Counted::calls(total)), (4, 0));
        assert_eq!(w.trips(&p, 0, Counted::calls(total)), None);
        w.clear(0, total);
        assert_eq!(w.totals(0, Counted::calls(total)), (0, 0));
    }

    #[test]
    fn count_window_positions_may_arrive_out_of_order() {
        let p = policy(0.5, Window::Calls(4), 1);
        let mut w = RateWindow::new(p.window, 0, 0);
        w.record(true, 0, 3);
        w.record(true, 0, 2);
        assert_eq!(w.totals(0, Counted::calls(4)), (4, 2));
        assert_eq!(
            w.totals(0, Counted::calls(6)),
            (4, 1),
            "position 2 left the window"
        );
    }

    #[test]
    fn time_window_forgets_old_slices() {
        const MS: u64 = 1_000_000;
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 2);
        let mut w = RateWindow::new(p.window, 0, 0);
        w.record(true, 0, 0);
        w.record(true, 10 * MS, 0);
        assert_eq!(w.totals(10 * MS, Counted::calls(0)), (2, 2));
        w.record(false, 31 * MS + 500, 0);
        assert_eq!(w.totals(31 * MS + 500, Counted::calls(0)), (3, 2));
        // 33 ms in, the first slice is out.
        assert_eq!(w.totals(33 * MS, Counted::calls(0)), (2, 1));
        assert_eq!(w.trips(&p, 33 * MS, Counted::calls(0)), Some(0.5));
        assert_eq!(w.totals(1000 * MS, Counted::calls(0)), (0, 0));
        assert_eq!(w.rate(&p, 1000 * MS, Counted::calls(0)), None);
    }

    #[test]
    fn rate_zero_needs_a_failure() {
        let p = policy(0.0, Window::Calls(2), 1);
        let mut w = RateWindow::new(p.window, 0, 0);
        let mut total = 0;
        feed(&mut w, &mut total, &[false]);
        assert_eq!(w.trips(&p, 0, Counted::calls(total)), None);
        feed(&mut w, &mut total, &[true]);
        assert!(w.trips(&p, 0, Counted::calls(total)).is_some());
    }

    const MS: u64 = 1_000_000;

    fn stripe(slice: u64, placed: u64, pending: u64) -> Placement {
        Placement {
            slice,
            placed,
            pending,
        }
    }

    #[test]
    fn a_time_window_counts_the_stripes_slices_in_it_and_every_pending_success() {
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 1);
        let mut w = RateWindow::new(p.window, 0, 0);
        w.record(true, 40 * MS, 0);
        let stripes = [
            stripe(10 * MS, 5, 1),
            stripe(35 * MS, 3, 2),
            stripe(NO_SLICE, 0, 4),
        ];
        // At 40 ms the window holds the slices from 9 ms on: both stripes' slices are in.
        let unplaced = w.unplaced(40 * MS, stripes.iter().copied());
        assert_eq!(unplaced, 5 + 1 + 3 + 2 + 4);
        // At 60 ms the first stripe's slice (10 ms) has left; its pending success has not.
        let unplaced = w.unplaced(60 * MS, stripes.iter().copied());
        assert_eq!(unplaced, 1 + 3 + 2 + 4);
        let counted = Counted { calls: 0, unplaced };
        assert_eq!(w.totals(60 * MS, counted), (11, 1));
    }

    #[test]
    fn placed_successes_count_in_their_slice_until_it_leaves() {
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 1);
        let mut w = RateWindow::new(p.window, 0, 0);
        w.place(5 * MS, 3);
        w.record(true, 6 * MS, 0);
        assert_eq!(w.totals(6 * MS, Counted::default()), (4, 1));
        assert_eq!(w.trips(&p, 6 * MS, Counted::default()), None, "1 in 4");
        // 38 ms in, the slice of 5 ms is out: only later slices count.
        w.place(37 * MS, 1);
        assert_eq!(w.totals(38 * MS, Counted::default()), (1, 0));
        // A slice that left the window is not placed over a later one.
        w.place(5 * MS, 7);
        assert_eq!(w.totals(38 * MS, Counted::default()), (1, 0));
    }

    #[test]
    fn a_time_window_ignores_what_was_placed_before_it_was_cleared() {
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 1);
        let mut w = RateWindow::new(p.window, 0, 0);
        w.place(MS, 3);
        let cleared = 10 * MS + MS / 2;
        w.clear(cleared, 0);
        assert_eq!(w.totals(cleared, Counted::default()), (0, 0));
        // A slice that ended before the clear counts for nothing, neither held nor placed.
        w.place(9 * MS, 2);
        assert_eq!(w.unplaced(cleared, [stripe(9 * MS, 4, 0)].into_iter()), 0);
        assert_eq!(w.totals(cleared, Counted::default()), (0, 0));
        // The slice the clear fell in still counts: its successes may be after the clear.
        w.place(10 * MS, 2);
        assert_eq!(w.totals(cleared, Counted::default()), (2, 0));
    }
}
