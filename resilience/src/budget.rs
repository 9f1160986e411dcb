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

use std::{
    fmt,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use tokio::time::Instant;

use crate::{
    budget_config::BudgetConfig,
    stripes::{self, STRIPES},
};

/// The budget of unnamed plain-API retries: [`RetryPolicy::call`](crate::RetryPolicy::call)
/// and the like, without [`Retry::named`](crate::Retry::named) or
/// [`Retry::budget`](crate::Retry::budget).
pub(crate) static ANONYMOUS: RetryBudget = RetryBudget::new("anonymous");

/// The ledger looks at the deposits when a thread's stripe count is a multiple of this.
const LOOK_EVERY: u64 = 1024;

/// The slices a window is cut into; deposits expire one slice at a time.
const SLICES: usize = 10;

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

/// What the budget's mutex guards.
#[derive(Debug)]
struct Ledger {
    /// Set by [`RetryBudget::configure`]; `None` takes the defaults (the environment's, else
    /// the built-in ones).
    configured: Option<BudgetConfig>,
    /// The configuration in force and the generation of the environment it was resolved
    /// against.
    resolved: Option<(BudgetConfig, u64)>,
    /// The origin of the ledger's clock: the first deposit, or the first look.
    base: Option<Instant>,
    /// The width of a slice, in nanoseconds.
    width: u64,
    /// The deposits counted into slices so far, and when (nanoseconds since `base`).
    seen: u64,
    seen_at: u64,
    slices: [Slice; SLICES],
}

#[derive(Debug, Clone, Copy, Default)]
struct Slice {
    /// Which slice of time (`nanos / width`) the counts belong to.
    index: u64,
    deposits: f64,
    retries: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Ledger {
    const fn new() -> Self {
        Ledger {
            configured: None,
            resolved: None,
            base: None,
            width: 0,
            seen: 0,
            seen_at: 0,
            slices: [Slice {
                index: 0,
                deposits: 0.0,
                retries: 0,
            }; SLICES],
        }
    }

    /// Nanoseconds since the ledger's origin, which is set here if it is not yet.
    fn clock(&mut self, now: Instant) -> u64 {
        let base = *self.base.get_or_insert(now);
        nanos(now.saturating_duration_since(base))
    }

    /// Counts the deposits made up to `total` into the slices, spread evenly over the time
    /// since the last look, and makes the slices `config`'s width.
    fn catch_up(&mut self, total: u64, now: u64, config: &BudgetConfig) {
        let width = (nanos(config.window()) / SLICES as u64).max(1);
        if width != self.width {
            // A new window shape: the counts of the old slices no longer fit.
            self.width = width;
            self.slices = [Slice::default(); SLICES];
        }
        // The clock never runs backwards here, whichever runtime's clock a caller reads.
        let now = now.max(self.seen_at);
        let delta = total.saturating_sub(self.seen) as f64;
        self.spread(delta, self.seen_at, now);
        self.seen = total;
        self.seen_at = now;
    }

    fn spread(&mut self, amount: f64, from: u64, to: u64) {
        if amount == 0.0 {
            return;
        }
        let width = self.width;
        let current = to / width;
        if to <= from {
            self.slice(current).deposits += amount;
            return;
        }
        let span = (to - from) as f64;
        let first = (from / width).max(current.saturating_sub(SLICES as u64 - 1));
        for index in first..=current {
            let start = index.saturating_mul(width).max(from);
            let end = index.saturating_add(1).saturating_mul(width).min(to);
            if end > start {
                self.slice(index).deposits += amount * (end - start) as f64 / span;
            }
        }
    }

    /// The slice `index`, emptied first if it held an older one.
    fn slice(&mut self, index: u64) -> &mut Slice {
        let slice = &mut self.slices[(index % SLICES as u64) as usize];
        if slice.index != index {
            *slice = Slice {
                index,
                ..Slice::default()
            };
        }
        slice
    }

    /// `(deposits, retries)` in the window that ends in the slice of `now`.
    fn totals(&self, now: u64) -> (f64, u64) {
        let current = now / self.width;
        self.slices
            .iter()
            .filter(|s| s.index <= current && current - s.index < SLICES as u64)
            .fold((0.0, 0), |(d, r), s| (d + s.deposits, r + s.retries))
    }

    /// Retries allowed now.
    fn balance(&self, now: u64, config: &BudgetConfig) -> f64 {
        let (deposits, retries) = self.totals(now);
        config.ratio() * deposits + config.floor() - retries as f64
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
        let generation = crate::config::env_generation();
        match ledger.resolved {
            Some((config, seen)) if seen == generation => config,
            _ => {
                let env = crate::config::current_env();
                let config = env.resolve_budget(self.name, ledger.configured);
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const SEC: u64 = 1_000 * MS;

    fn ledger(config: &BudgetConfig) -> Ledger {
        let mut ledger = Ledger::new();
        ledger.catch_up(0, 0, config);
        ledger
    }

    #[test]
    fn the_balance_is_the_ratio_of_calls_plus_the_floor_minus_retries() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        assert_eq!(l.balance(0, &config), 100.0, "10 a second over 10 s");
        l.catch_up(1_000, SEC, &config);
        assert!((l.balance(SEC, &config) - 300.0).abs() < 1e-9);
        l.slice(1).retries += 50;
        assert!((l.balance(SEC, &config) - 250.0).abs() < 1e-9);
    }

    #[test]
    fn deposits_are_spread_over_the_time_since_the_last_look_and_expire() {
        let config = BudgetConfig::new().with_min_retries_per_second(0);
        let mut l = ledger(&config);
        // 2,000 calls over 20 s. The window is ten slices of 1 s, the last one in progress:
        // half-way through the 21st second, it holds the calls of the last 9.5 s.
        l.catch_up(2_000, 20 * SEC + 500 * MS, &config);
        let (deposits, _) = l.totals(20 * SEC + 500 * MS);
        assert!((deposits - 2_000.0 * 9.5 / 20.5).abs() < 1e-6, "{deposits}");
        // 5 s later with no new call, those of 5 s more have expired.
        l.catch_up(2_000, 25 * SEC + 500 * MS, &config);
        let (deposits, _) = l.totals(25 * SEC + 500 * MS);
        assert!((deposits - 2_000.0 * 4.5 / 20.5).abs() < 1e-6, "{deposits}");
        // Much later, nothing is left.
        l.catch_up(2_000, 100 * SEC, &config);
        assert_eq!(l.totals(100 * SEC), (0.0, 0));
    }

    #[test]
    fn retries_expire_with_their_slice() {
        let config = BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(1)
            .with_window(Duration::from_secs(10));
        let mut l = ledger(&config);
        for _ in 0..10 {
            assert!(l.balance(0, &config) >= 1.0);
            l.slice(0).retries += 1;
        }
        assert!(l.balance(0, &config) < 1.0, "the floor is spent");
        assert!(l.balance(9 * SEC, &config) < 1.0, "still inside the window");
        assert_eq!(
            l.balance(10 * SEC, &config),
            10.0,
            "the first slice has expired"
        );
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        l.catch_up(100, SEC, &config);
        let short = config.with_window(Duration::from_secs(1));
        l.catch_up(100, SEC, &short);
        assert_eq!(l.totals(SEC), (0.0, 0));
    }

    #[test]
    fn time_running_backwards_is_taken_as_standing_still() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        l.catch_up(10, 5 * SEC, &config);
        l.catch_up(20, SEC, &config);
        let (deposits, _) = l.totals(5 * SEC);
        assert!((deposits - 20.0).abs() < 1e-9, "{deposits}");
    }
}
