//! The sliding windows of the failure-rate policy and the adaptive throttle. Both live behind
//! the breaker's lock.

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
    /// `BUCKETS` buckets of `width` nanoseconds each.
    Time {
        width: u64,
        buckets: Box<[Bucket; BUCKETS]>,
    },
}

impl RateWindow {
    /// A window of `window`'s shape, cleared at the count `total`.
    pub(crate) fn new(window: Window, total: u64) -> Self {
        match window {
            Window::Calls(n) => RateWindow::Calls {
                size: u64::from(n.max(1)),
                start: total,
                failures: VecDeque::new(),
            },
            Window::Time(d) => RateWindow::Time {
                width: bucket_width(d),
                buckets: Box::new([Bucket::default(); BUCKETS]),
            },
        }
    }

    /// Empties the window, the count being `total`.
    pub(crate) fn clear(&mut self, total: u64) {
        match self {
            RateWindow::Calls {
                start, failures, ..
            } => {
                *start = total;
                failures.clear();
            }
            RateWindow::Time { buckets, .. } => **buckets = [Bucket::default(); BUCKETS],
        }
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
            RateWindow::Time { width, buckets } => {
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

    /// `(calls, failures)` in the window as of `now`, the count being `total`.
    pub(crate) fn totals(&self, now: u64, total: u64) -> (u64, u64) {
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
            RateWindow::Time { width, buckets } => {
                let current = now / *width;
                buckets
                    .iter()
                    .filter(|b| b.slice <= current && current - b.slice < BUCKETS as u64)
                    .fold((0, 0), |(c, f), b| {
                        (c + u64::from(b.calls), f + u64::from(b.failures))
                    })
            }
        }
    }

    /// The failure rate once the window holds `policy.minimum_calls` calls.
    pub(crate) fn rate(&self, policy: &FailureRate, now: u64, total: u64) -> Option<f64> {
        let (calls, failures) = self.totals(now, total);
        (calls >= u64::from(policy.minimum_calls) && calls > 0)
            .then(|| failures as f64 / calls as f64)
    }

    /// Whether the window's rate trips `policy`; the rate when it does.
    pub(crate) fn trips(&self, policy: &FailureRate, now: u64, total: u64) -> Option<f64> {
        let (_, failures) = self.totals(now, total);
        self.rate(policy, now, total)
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
        let mut w = RateWindow::new(p.window, total);
        feed(&mut w, &mut total, &[true, true, false]);
        assert_eq!(w.rate(&p, 0, total), None, "below the minimum");
        feed(&mut w, &mut total, &[false]);
        assert_eq!(w.rate(&p, 0, total), Some(0.5));
        assert_eq!(w.trips(&p, 0, total), Some(0.5));
        feed(&mut w, &mut total, &[false]); // evicts the first failure
        feed(&mut w, &mut total, &[false]); // and the second
        assert_eq!(w.totals(0, total), (4, 0));
        assert_eq!(w.trips(&p, 0, total), None);
        w.clear(total);
        assert_eq!(w.totals(0, total), (0, 0));
    }

    #[test]
    fn count_window_positions_may_arrive_out_of_order() {
        let p = policy(0.5, Window::Calls(4), 1);
        let mut w = RateWindow::new(p.window, 0);
        w.record(true, 0, 3);
        w.record(true, 0, 2);
        assert_eq!(w.totals(0, 4), (4, 2));
        assert_eq!(w.totals(0, 6), (4, 1), "position 2 left the window");
    }

    #[test]
    fn time_window_forgets_old_slices() {
        const MS: u64 = 1_000_000;
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 2);
        let mut w = RateWindow::new(p.window, 0);
        w.record(true, 0, 0);
        w.record(true, 10 * MS, 0);
        assert_eq!(w.totals(10 * MS, 0), (2, 2));
        w.record(false, 31 * MS + 500, 0);
        assert_eq!(w.totals(31 * MS + 500, 0), (3, 2));
        // 33 ms in, the first slice is out.
        assert_eq!(w.totals(33 * MS, 0), (2, 1));
        assert_eq!(w.trips(&p, 33 * MS, 0), Some(0.5));
        assert_eq!(w.totals(1000 * MS, 0), (0, 0));
        assert_eq!(w.rate(&p, 1000 * MS, 0), None);
    }

    #[test]
    fn rate_zero_needs_a_failure() {
        let p = policy(0.0, Window::Calls(2), 1);
        let mut w = RateWindow::new(p.window, 0);
        let mut total = 0;
        feed(&mut w, &mut total, &[false]);
        assert_eq!(w.trips(&p, 0, total), None);
        feed(&mut w, &mut total, &[true]);
        assert!(w.trips(&p, 0, total).is_some());
    }
}
