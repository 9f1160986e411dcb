//! What every call of a retry shares, as plain data: the policy, the site its calls are
//! counted at and the budget its retries are drawn from, with the counts each front door
//! makes of a call. The user's closures (predicates, hooks, hints) are not here: they live
//! with the call that runs them ([`Retry`](super::Retry), then its
//! [`Attempts`](super::Attempts)), which may change them (`FnMut`).

use std::time::{Duration, Instant};

use super::{policy::RetryPolicy, site::RetrySite};
use crate::{
    budget::{ANONYMOUS, BudgetSite, RetryBudget, site_budget},
    observe,
};

/// A retry's plain data: cheap to copy, shared by reference with a call's state machine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Core {
    pub(crate) policy: RetryPolicy,
    /// Where the calls are counted and what logs and metrics call them; `None` for an
    /// unnamed plain-API retry.
    pub(crate) site: Option<&'static RetrySite>,
    /// Which budget the retries are drawn from.
    pub(crate) budget: BudgetChoice,
}

/// Which [`RetryBudget`] a retry draws its retries from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BudgetChoice {
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

/// Which clock a call's attempts read: the thread's, or tokio's (so a paused clock is seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `std::time::Instant`.
    Thread,
    /// `tokio::time::Instant`, which follows a paused test clock.
    Tokio,
}

impl Clock {
    pub(crate) fn now(self) -> Instant {
        match self {
            Clock::Thread => Instant::now(),
            Clock::Tokio => tokio::time::Instant::now().into_std(),
        }
    }
}

impl Core {
    /// A retry under `policy`, unnamed, drawing from the shared budget of unnamed retries.
    pub(crate) const fn new(policy: RetryPolicy) -> Self {
        Core {
            policy,
            site: None,
            budget: BudgetChoice::Own,
        }
    }

    /// The budget the retries are drawn from, if any.
    pub(crate) fn spending_budget(&self) -> Option<&'static RetryBudget> {
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
    pub(crate) fn count_call(&self, first_try_ok: bool) {
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

    /// Counts a retry whose attempt starts now, after a sleep of `delay`: in the site's
    /// statistics and metrics. On the failure path only, after the sleep.
    pub(crate) fn retry_started(&self, delay: Duration) {
        if let Some(site) = self.site {
            site.retry(delay);
        }
        observe::retry_started(self.site.map(RetrySite::labels), delay);
    }

    /// When the first attempt started, read only when the policy has a time budget.
    #[inline]
    pub(crate) fn started(&self, clock: Clock) -> Option<Instant> {
        self.policy.max_elapsed.map(|_| clock.now())
    }
}
