//! The sliding windows of the failure-rate policy. Both live behind the breaker's lock.

use std::time::Duration;

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
#[derive(Debug)]
pub(crate) enum RateWindow {
    /// A ring of the last `outcomes.len()` outcomes (`true` for a failure).
    Calls {
        outcomes: Vec<bool>,
        next: usize,
        len: usize,
        failures: usize,
    },
    /// `BUCKETS` buckets of `width` nanoseconds each.
    Time {
        width: u64,
        buckets: Box<[Bucket; BUCKETS]>,
    },
}

impl RateWindow {
    pub(crate) fn new(window: Window) -> Self {
        match window {
            Window::Calls(n) => RateWindow::Calls {
                outcomes: vec![false; n.max(1) as usize],
                next: 0,
                len: 0,
                failures: 0,
            },
            Window::Time(d) => RateWindow::Time {
                width: bucket_width(d),
                buckets: Box::new([Bucket::default(); BUCKETS]),
            },
        }
    }

    pub(crate) fn clear(&mut self) {
        match self {
            RateWindow::Calls {
                next,
                len,
                failures,
                ..
            } => (*next, *len, *failures) = (0, 0, 0),
            RateWindow::Time { buckets, .. } => **buckets = [Bucket::default(); BUCKETS],
        }
    }

    /// Records one outcome finished at `now` (nanoseconds on the breaker's clock).
    pub(crate) fn record(&mut self, failure: bool, now: u64) {
        match self {
            RateWindow::Calls {
                outcomes,
                next,
                len,
                failures,
            } => {
                if *len == outcomes.len() {
                    *failures -= usize::from(outcomes[*next]);
                } else {
                    *len += 1;
                }
                outcomes[*next] = failure;
                *failures += usize::from(failure);
                *next = (*next + 1) % outcomes.len();
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

    /// `(calls, failures)` in the window as of `now`.
    pub(crate) fn totals(&self, now: u64) -> (u64, u64) {
        match self {
            RateWindow::Calls { len, failures, .. } => (*len as u64, *failures as u64),
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
    pub(crate) fn rate(&self, policy: &FailureRate, now: u64) -> Option<f64> {
        let (calls, failures) = self.totals(now);
        (calls >= u64::from(policy.minimum_calls) && calls > 0)
            .then(|| failures as f64 / calls as f64)
    }

    /// Whether the window's rate trips `policy`; the rate when it does.
    pub(crate) fn trips(&self, policy: &FailureRate, now: u64) -> Option<f64> {
        let (_, failures) = self.totals(now);
        self.rate(policy, now)
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

    #[test]
    fn count_window_keeps_the_last_n() {
        let p = policy(0.5, Window::Calls(4), 4);
        let mut w = RateWindow::new(p.window);
        for failure in [true, true, false] {
            w.record(failure, 0);
        }
        assert_eq!(w.rate(&p, 0), None, "below the minimum");
        w.record(false, 0);
        assert_eq!(w.rate(&p, 0), Some(0.5));
        assert_eq!(w.trips(&p, 0), Some(0.5));
        w.record(false, 0); // evicts the first failure
        w.record(false, 0); // and the second
        assert_eq!(w.totals(0), (4, 0));
        assert_eq!(w.trips(&p, 0), None);
        w.clear();
        assert_eq!(w.totals(0), (0, 0));
    }

    #[test]
    fn time_window_forgets_old_slices() {
        const MS: u64 = 1_000_000;
        let p = policy(0.5, Window::Time(Duration::from_millis(32)), 2);
        let mut w = RateWindow::new(p.window);
        w.record(true, 0);
        w.record(true, 10 * MS);
        assert_eq!(w.totals(10 * MS), (2, 2));
        w.record(false, 31 * MS + 500);
        assert_eq!(w.totals(31 * MS + 500), (3, 2));
        // 33 ms in, the first slice is out.
        assert_eq!(w.totals(33 * MS), (2, 1));
        assert_eq!(w.trips(&p, 33 * MS), Some(0.5));
        assert_eq!(w.totals(1000 * MS), (0, 0));
        assert_eq!(w.rate(&p, 1000 * MS), None);
    }

    #[test]
    fn rate_zero_needs_a_failure() {
        let p = policy(0.0, Window::Calls(2), 1);
        let mut w = RateWindow::new(p.window);
        w.record(false, 0);
        assert_eq!(w.trips(&p, 0), None);
        w.record(true, 0);
        assert!(w.trips(&p, 0).is_some());
    }
}
