//! Retry budgets: retries may add at most a share of the calls made, plus a small floor, over
//! a sliding window, so that a dependency that is already failing never receives a retry
//! storm on top of its normal load.
//!
//! # How it is built
//!
//! A budget takes a deposit for every call (its first attempt) and a withdrawal for every
//! retry. Deposits are the hot path: each is one increment of a counter stripe that the
//! calling thread owns (see `crate::stripes`), with no clock and no lock, so a call that
//! succeeds at once pays for its deposit as it pays for its statistics.
//!
//! Withdrawals happen on the failure path, which sleeps anyway. There the budget takes its
//! mutex, reads the clock, and brings its ledger up to date: the deposits made since its last
//! look (the sum of the stripes, minus what it saw then) are spread evenly over the time that
//! passed since, into ten slices of a tenth of the window each. The sum of the slices that
//! are still inside the window is the number of calls made in the window; with the retries
//! recorded there, it gives the balance. The ledger also looks every 1,024 deposits of a
//! thread (the same test of the stripe's previous count that finds its first deposit, so the
//! hot path pays nothing for it), so the calls of a busy budget are placed in time within a
//! few milliseconds. Only the calls since the last look are estimated from their average
//! rate, as a steady caller would make them; a call whose first attempt fails is placed at
//! its own moment, since its path reads the clock anyway.
//!
//! The mutex is held for a few dozen instructions and never across an `.await` or a user
//! callback.
//!
//! # What is where
//!
//! - `mod.rs`: [`RetryBudget`], its deposits on the crate's stripes, and its withdrawals.
//! - `ledger.rs`: the window's slices, behind the budget's mutex.
//! - `config.rs`: [`BudgetConfig`], plain data, and the environment's fields applied to it.
//! - `budgets.rs`: the registry of named budgets, [`budgets`], and the look-up of a call
//!   site's named budget.

pub mod budgets;
mod config;
mod ledger;

pub use self::config::BudgetConfig;

use std::{
    fmt,
    sync::{
        Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
};

use tokio::time::Instant;

use self::ledger::Ledger;
use crate::{
    env::{self, fields::BudgetFields},
    stripes::{self, STRIPES},
};

/// The budget of unnamed plain-API retries: [`RetryPolicy::call`](crate::RetryPolicy::call)
/// and the like, without [`Retry::named`](crate::Retry::named) or
/// [`Retry::budget`](crate::Retry::budget).
pub(crate) static ANONYMOUS: RetryBudget = RetryBudget::new("anonymous");

/// The ledger looks at the deposits when a thread's stripe count is a multiple of this.
const LOOK_EVERY: u64 = 1024;

/// A live retry budget: the calls made and the retries taken over its window, and the
/// [`BudgetConfig`] that bounds them.
///
/// Every `#[retry]` site has one of its own unless it names a shared one
/// (`#[retry(budget = "orders")]`, found in [`budgets`](crate::budgets)) or opts out
/// (`budget = none`). The plain API uses the budget of the name given to
/// [`Retry::named`](crate::Retry::named), a shared one given to
/// [`Retry::budget`](crate::Retry::budget), or, unnamed, one budget shared by every
/// unnamed call. A retry the budget refuses ends the call at once with its last error.
///
/// A retry is withdrawn when it is decided, before its sleep, so that two calls never count
/// on the same last retry left. A call dropped during that sleep (a timeout around it, a
/// cancelled task), or whose `on_retry` hook panics, has spent its withdrawal without
/// retrying: the budget then errs on the side of fewer retries, never more. The statistics
/// of [`retries`](crate::retries), by contrast, count a retry when its attempt starts.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BudgetConfig, RetryPolicy, budgets};
///
/// // Shared by every call that names it; no floor, so that the example is exact.
/// let budget = budgets::configure(
///     "doc.budget",
///     BudgetConfig::new().with_ratio(0.5).with_min_retries_per_second(0),
/// );
/// let retry = RetryPolicy::new()
///     .with_max_attempts(3)
///     .with_initial_delay(Duration::ZERO)
///     .retrying()
///     .budget(budget);
///
/// // Two calls that succeed deposit one retry (50% of two calls)...
/// for _ in 0..2 {
///     retry.call(|| Ok::<_, &str>(())).unwrap();
/// }
/// // ...and a failing call deposits half a retry more before it asks for one: it takes one
/// // retry (1.5 in the budget), then is refused the next (0.5 left) and ends at once.
/// let mut attempts = 0;
/// let _ = retry.call(|| { attempts += 1; Err::<(), _>("down") });
/// assert_eq!(attempts, 2);
/// assert_eq!(budget.stats().refused, 1);
/// ```
pub struct RetryBudget {
    name: &'static str,
    /// Calls made, striped by thread: the hot path.
    deposits: [Stripe; STRIPES],
    ledger: Mutex<Ledger>,
    /// Retries allowed since the budget was created.
    allowed: AtomicU64,
    /// Retries refused since the budget was created.
    refused: AtomicU64,
}

/// One thread's count of deposits, on cache lines of its own.
#[derive(Debug)]
#[repr(align(128))]
struct Stripe(AtomicU64);

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A snapshot of a [`RetryBudget`], from [`RetryBudget::stats`] or
/// [`budgets::stats`](crate::budgets::stats).
///
/// ```
/// use resilience::{BudgetConfig, budgets};
/// let stats = budgets::configure("doc.budget-stats", BudgetConfig::new()).stats();
/// assert_eq!((stats.calls, stats.retries), (0, 0));
/// assert_eq!(stats.balance, 100, "the floor: 10 retries a second over 10 s");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BudgetStats {
    /// The budget's name.
    pub name: &'static str,
    /// The configuration in force.
    pub config: BudgetConfig,
    /// Calls made in the window (the deposits), rounded down.
    pub calls: u64,
    /// Retries taken in the window (the withdrawals).
    pub retries: u64,
    /// Retries the budget would allow now.
    pub balance: u64,
    /// Retries allowed since the budget was created.
    pub allowed: u64,
    /// Retries refused since the budget was created.
    pub refused: u64,
}

impl fmt::Display for BudgetStats {
    /// One line for a log or a status page.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retry budget `{}`: {} calls and {} retries in the last {:?}, {} retries left ({} allowed, {} refused in all)",
            self.name,
            self.calls,
            self.retries,
            self.config.window(),
            self.balance,
            self.allowed,
            self.refused
        )
    }
}

impl RetryBudget {
    /// A budget named `name` with the default configuration.
    pub(crate) const fn new(name: &'static str) -> Self {
        RetryBudget {
            name,
            deposits: [const { Stripe(AtomicU64::new(0)) }; STRIPES],
            ledger: Mutex::new(Ledger::new()),
            allowed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The budget's name.
    ///
    /// ```
    /// let budget = resilience::budgets::named("doc.budget-name");
    /// assert_eq!(budget.name(), "doc.budget-name");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // Nothing panics with the lock held; recover anyway rather than wedge the budget.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call: the hot path. Returns the count of the calling thread's stripe before
    /// it, so that the caller knows a stripe's first deposit without a flag of its own.
    #[inline]
    pub(crate) fn deposit(&self) -> u64 {
        let index = stripes::current();
        let before = stripes::add_one(&self.deposits[index].0, index);
        if before % LOOK_EVERY == 0 {
            self.look();
        }
        before
    }

    /// Counts a call whose first attempt failed: the failure path, which places the deposit
    /// at this moment in the ledger (the deposits of the hot path are placed in time only
    /// when the ledger next looks).
    pub(crate) fn deposit_now(&self) {
        let index = stripes::current();
        stripes::add_one(&self.deposits[index].0, index);
        let now = Instant::now();
        let total = self.deposits();
        let mut ledger = self.ledger();
        let config = self.config_locked(&mut ledger);
        let now = ledger.clock(now);
        // The others' deposits since the last look, spread; this one, now.
        ledger.catch_up(total.saturating_sub(1), now, &config);
        ledger.catch_up(total, now, &config);
    }

    /// Brings the ledger up to date: on a stripe's first deposit (which starts the ledger's
    /// clock if nothing did yet) and every [`LOOK_EVERY`] deposits after it.
    #[cold]
    #[inline(never)]
    fn look(&self) {
        let now = Instant::now();
        let total = self.deposits();
        let mut ledger = self.ledger();
        let config = self.config_locked(&mut ledger);
        let now = ledger.clock(now);
        ledger.catch_up(total, now, &config);
    }

    /// Calls made since the budget was created.
    pub(crate) fn deposits(&self) -> u64 {
        self.deposits
            .iter()
            .map(|s| s.0.load(Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Takes one retry if the balance allows it.
    pub(crate) fn try_withdraw(&self) -> bool {
        let now = Instant::now();
        let total = self.deposits();
        let allowed = {
            let mut ledger = self.ledger();
            let config = self.config_locked(&mut ledger);
            let now = ledger.clock(now);
            ledger.catch_up(total, now, &config);
            let allowed = ledger.balance(now, &config) >= 1.0;
            if allowed {
                let current = now / ledger.width;
                ledger.slice(current).retries += 1;
            }
            allowed
        };
        let counter = if allowed {
            &self.allowed
        } else {
            &self.refused
        };
        counter.fetch_add(1, Relaxed);
        allowed
    }

    /// The configuration in force: the environment's variables for this name, else the
    /// run-time configuration, else the environment's global defaults, else the built-in
    /// defaults. Resolved again when the environment is read again.
    fn config_locked(&self, ledger: &mut Ledger) -> BudgetConfig {
        let generation = env::generation();
        match ledger.resolved {
            Some((config, seen)) if seen == generation => config,
            _ => {
                let env = env::current();
                let (global, own) = env.budget_fields(self.name);
                let config = resolve(global, own, ledger.configured);
                ledger.resolved = Some((config, generation));
                config
            }
        }
    }

    /// The configuration in force.
    ///
    /// ```
    /// let budget = resilience::budgets::named("doc.budget-config");
    /// assert_eq!(budget.config(), resilience::BudgetConfig::new());
    /// ```
    pub fn config(&self) -> BudgetConfig {
        let mut ledger = self.ledger();
        self.config_locked(&mut ledger)
    }

    /// Replaces the run-time configuration (environment variables for this budget's name
    /// still win). Calls and retries already counted stay in the window.
    pub(crate) fn configure(&self, config: BudgetConfig) {
        let mut ledger = self.ledger();
        ledger.configured = Some(config);
        ledger.resolved = None;
    }

    /// A snapshot of the window and the totals; see [`BudgetStats`].
    ///
    /// ```
    /// use resilience::{RetryPolicy, budgets};
    /// let budget = budgets::named("doc.budget-snapshot");
    /// let _ = RetryPolicy::new().retrying().budget(budget).call(|| Ok::<_, ()>(()));
    /// assert_eq!(budget.stats().calls, 1);
    /// ```
    pub fn stats(&self) -> BudgetStats {
        let now = Instant::now();
        let total = self.deposits();
        let (config, deposits, retries, balance) = {
            let mut ledger = self.ledger();
            let config = self.config_locked(&mut ledger);
            let now = ledger.clock(now);
            ledger.catch_up(total, now, &config);
            let (deposits, retries) = ledger.totals(now);
            (config, deposits, retries, ledger.balance(now, &config))
        };
        BudgetStats {
            name: self.name,
            config,
            // A deposit spread over slices is whole again once summed, but for rounding.
            calls: (deposits + 1e-6) as u64,
            retries,
            balance: balance.max(0.0) as u64,
            allowed: self.allowed.load(Relaxed),
            refused: self.refused.load(Relaxed),
        }
    }
}

/// A `#[retry(budget = "...")]` call site's cached budget: filled on the site's first call.
pub type BudgetSite = OnceLock<&'static RetryBudget>;

/// The budget a `#[retry(budget = "...")]` call site names: `cell`'s, found in [`budgets`] on
/// the site's first call.
#[inline]
pub(crate) fn site_budget(cell: &'static BudgetSite, name: &'static str) -> &'static RetryBudget {
    match cell.get() {
        Some(budget) => budget,
        None => budgets::site_budget(cell, name),
    }
}

/// The configuration of a budget configured at run time with `configured` (if it was),
/// given the environment's variables: its `own` win over the run-time configuration, which
/// wins over the `global` ones, which win over the built-in defaults.
fn resolve(
    global: &BudgetFields,
    own: Option<&BudgetFields>,
    configured: Option<BudgetConfig>,
) -> BudgetConfig {
    let config = configured.unwrap_or_else(|| BudgetConfig::new().with_fields(global));
    match own {
        Some(own) => config.with_fields(own),
        None => config,
    }
}

#[cfg(test)]
mod tests;
