//! A retry site's counters: a `static` per `#[retry]` function, or one leaked per name given
//! to [`Retry::named`](crate::Retry::named), and the list of the sites called so far, which
//! [`retries`](crate::retries) reads.

use std::{
    fmt,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use super::stats::RetryStats;
use crate::{
    budget::RetryBudget,
    observe::{GiveUp, SiteLabels},
};

/// One retry site's counters: a `static` per `#[retry]` function, or one leaked per name given
/// to [`Retry::named`](crate::Retry::named).
///
/// The site's calls are the deposits of its own [`RetryBudget`], striped by thread: counting a
/// call whose first attempt succeeds is the hot path, and one count serves both the statistics
/// and the budget. A site enters the listing on its first call: the first deposit on a stripe
/// (the previous value 0 that the increment returns anyway) or the first failure registers
/// it, so the hot path checks no flag of its own.
pub struct RetrySite {
    /// The site's name, and its metric labels.
    labels: SiteLabels,
    /// The site's own budget; its deposits are the site's calls, counted when their first
    /// attempt ends.
    budget: RetryBudget,
    /// Calls whose first attempt failed.
    first_failures: AtomicU64,
    failed_attempts: AtomicU64,
    after_retries: AtomicU64,
    give_ups: AtomicU64,
    budget_exhausted: AtomicU64,
    circuit_open: AtomicU64,
    retries: AtomicU64,
    slept_nanos: AtomicU64,
    registered: AtomicBool,
    /// Made by `Retry::named`, so that the name finds it again.
    plain: bool,
}

impl fmt::Debug for RetrySite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetrySite")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

static SITES: Mutex<Vec<&'static RetrySite>> = Mutex::new(Vec::new());

fn sites() -> MutexGuard<'static, Vec<&'static RetrySite>> {
    SITES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every site called so far.
pub(super) fn listed() -> Vec<&'static RetrySite> {
    sites().clone()
}

impl RetrySite {
    /// A site named `name`, not yet listed: what each `#[retry]` function keeps in a
    /// `static`.
    pub const fn new(name: &'static str) -> Self {
        RetrySite {
            labels: SiteLabels::new(name),
            budget: RetryBudget::new(name),
            first_failures: AtomicU64::new(0),
            failed_attempts: AtomicU64::new(0),
            after_retries: AtomicU64::new(0),
            give_ups: AtomicU64::new(0),
            budget_exhausted: AtomicU64::new(0),
            circuit_open: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            slept_nanos: AtomicU64::new(0),
            registered: AtomicBool::new(false),
            plain: false,
        }
    }

    /// The site of the plain API named `name`: found again by name, or made and listed.
    pub(crate) fn named(name: &'static str) -> &'static RetrySite {
        let mut sites = sites();
        if let Some(site) = sites.iter().find(|s| s.plain && s.name() == name) {
            return site;
        }
        let site: &'static RetrySite = Box::leak(Box::new(RetrySite {
            plain: true,
            registered: AtomicBool::new(true),
            ..RetrySite::new(name)
        }));
        sites.push(site);
        site
    }

    /// The site's name.
    #[inline]
    pub(crate) fn name(&self) -> &'static str {
        self.labels.name()
    }

    /// What logs and metrics call the site.
    #[inline]
    pub(crate) fn labels(&'static self) -> &'static SiteLabels {
        &self.labels
    }

    /// The site's own retry budget.
    #[inline]
    pub(crate) fn budget(&'static self) -> &'static RetryBudget {
        &self.budget
    }

    /// Counts a call whose first attempt succeeded: the hot path.
    #[inline]
    pub(crate) fn first_try(&'static self) {
        if self.budget.deposit() == 0 {
            self.register();
        }
    }

    /// Counts a call whose first attempt failed.
    #[inline]
    pub(crate) fn first_failure(&'static self) {
        self.first_failures.fetch_add(1, Relaxed);
        self.budget.deposit_now();
        self.register();
    }

    /// Counts a failed attempt, retried or not.
    #[inline]
    pub(crate) fn failed_attempt(&'static self) {
        self.register();
        self.failed_attempts.fetch_add(1, Relaxed);
    }

    /// Counts a retry whose attempt starts, after a sleep of `delay`.
    #[inline]
    pub(crate) fn retry(&self, delay: Duration) {
        self.retries.fetch_add(1, Relaxed);
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.slept_nanos.fetch_add(nanos, Relaxed);
    }

    /// Counts a call that succeeded after retries.
    #[inline]
    pub(crate) fn success_after_retries(&self) {
        self.after_retries.fetch_add(1, Relaxed);
    }

    /// Counts a call that gave up, for `reason`.
    #[inline]
    pub(crate) fn give_up(&self, reason: GiveUp) {
        self.give_ups.fetch_add(1, Relaxed);
        match reason {
            GiveUp::Budget => self.budget_exhausted.fetch_add(1, Relaxed),
            GiveUp::CircuitOpen => self.circuit_open.fetch_add(1, Relaxed),
            _ => 0,
        };
    }

    #[inline]
    fn register(&'static self) {
        if !self.registered.load(Relaxed) {
            self.register_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn register_slow(&'static self) {
        let mut sites = sites();
        // Checked again under the lock: two threads may both have seen it unlisted.
        if !self.registered.swap(true, Relaxed) {
            sites.push(self);
        }
    }

    pub(super) fn snapshot(&self) -> RetryStats {
        // Read in the order opposite to the writes' (a first failure counts the failure, then
        // the deposit), so that a call in flight is not counted as a first-try success.
        let calls = self.budget.deposits();
        let first_failures = self.first_failures.load(Relaxed);
        let first_try = calls.saturating_sub(first_failures);
        let failed = self.failed_attempts.load(Relaxed);
        let after_retries = self.after_retries.load(Relaxed);
        let give_ups = self.give_ups.load(Relaxed);
        RetryStats {
            name: self.name(),
            calls: first_try + after_retries + give_ups,
            attempts: first_try + failed + after_retries,
            first_try_successes: first_try,
            successes_after_retries: after_retries,
            give_ups,
            budget_exhausted: self.budget_exhausted.load(Relaxed),
            circuit_open: self.circuit_open.load(Relaxed),
            retries: self.retries.load(Relaxed),
            slept: Duration::from_nanos(self.slept_nanos.load(Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        retries::{all, get},
        stripes::OWNED_STRIPES,
    };

    #[test]
    fn sites_sharing_a_name_are_listed_once_and_added_up() {
        static A: RetrySite = RetrySite::new("unit.retries.shared");
        static B: RetrySite = RetrySite::new("unit.retries.shared");
        A.first_try();
        B.first_try();
        B.failed_attempt();
        B.retry(Duration::from_millis(5));
        B.success_after_retries();
        let stats = get("unit.retries.shared").unwrap();
        assert_eq!(stats.calls, 3);
        assert_eq!(stats.attempts, 4);
        assert_eq!(stats.retries, 1);
        assert_eq!(stats.slept, Duration::from_millis(5));
        assert_eq!(
            all()
                .iter()
                .filter(|s| s.name == "unit.retries.shared")
                .count(),
            1
        );
    }

    #[test]
    fn a_site_is_listed_once_and_counts_exactly_from_many_threads() {
        static SITE: RetrySite = RetrySite::new("unit.retries.threads");
        // More threads at once than owned stripes, and more threads in all than stripes, so
        // that stripes are shared and handed on.
        for _ in 0..3 {
            std::thread::scope(|s| {
                for _ in 0..(OWNED_STRIPES + 4) {
                    s.spawn(|| (0..1000).for_each(|_| SITE.first_try()));
                }
            });
        }
        assert_eq!(
            sites().iter().filter(|s| s.name() == SITE.name()).count(),
            1
        );
        let expected = 3 * (OWNED_STRIPES as u64 + 4) * 1000;
        assert_eq!(get(SITE.name()).unwrap().first_try_successes, expected);
    }

    #[test]
    fn named_sites_are_found_again() {
        let a = RetrySite::named("unit.retries.named");
        let b = RetrySite::named("unit.retries.named");
        assert!(std::ptr::eq(a, b));
    }
}
