//! The global registry of named retry budgets: the ones `#[retry(budget = "...")]` and
//! [`Retry::budget`](crate::Retry::budget) share, for operators to list, inspect and
//! configure at run time.
//!
//! A named budget is created the first time a call site using the name runs (or when it is
//! configured here), then lives for the rest of the program. Every site that names it draws
//! its retries from it and deposits its calls into it, so that one budget bounds the retries
//! of all the functions that call one dependency.
//!
//! The budgets of sites that name none (each `#[retry]` site has one of its own) are not
//! listed here: their refusals are counted in [`retries`](crate::retries).
//!
//! ```
//! use resilience::{BudgetConfig, budgets, retry};
//!
//! // At start-up: the run-time configuration wins over the defaults.
//! budgets::configure("doc.orders", BudgetConfig::new().with_ratio(0.1));
//!
//! #[retry(budget = "doc.orders", initial_delay = "1ms")]
//! fn place_order() -> Result<(), std::io::Error> {
//!     Ok(())
//! }
//!
//! place_order().unwrap();
//! let stats = budgets::get("doc.orders").unwrap().stats();
//! assert_eq!((stats.calls, stats.config.ratio()), (1, 0.1));
//! for stats in budgets::stats() {
//!     println!("{stats}");
//! }
//! ```

use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use super::BudgetSite;
use crate::{BudgetConfig, BudgetStats, RetryBudget, report::ConfigError};

static BUDGETS: Mutex<BTreeMap<&'static str, &'static RetryBudget>> = Mutex::new(BTreeMap::new());

fn registry() -> MutexGuard<'static, BTreeMap<&'static str, &'static RetryBudget>> {
    BUDGETS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The budget named `name`, once a site using it ran or it was configured.
///
/// ```
/// assert!(resilience::budgets::get("doc.budgets.never-used").is_none());
/// ```
pub fn get(name: &str) -> Option<&'static RetryBudget> {
    registry().get(name).copied()
}

/// The budget named `name`, created with the default configuration if no one used or
/// configured it yet. For the plain API: `retry.budget(budgets::named("orders"))`. Takes a
/// global lock: look a budget up once and keep it (it is `&'static`).
///
/// ```
/// use resilience::budgets;
/// let a = budgets::named("doc.budgets.named");
/// let b = budgets::named("doc.budgets.named");
/// assert!(std::ptr::eq(a, b));
/// ```
pub fn named(name: &str) -> &'static RetryBudget {
    let mut budgets = registry();
    if let Some(budget) = budgets.get(name) {
        return budget;
    }
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let budget: &'static RetryBudget = Box::leak(Box::new(RetryBudget::new(name)));
    budgets.insert(name, budget);
    budget
}

/// Sets the configuration of the budget named `name`, creating it if no site used it yet.
/// It wins over the environment's global defaults, and loses to the budget's own variables
/// (see [`config`](crate::config)). Returns the budget.
///
/// ```
/// use resilience::{BudgetConfig, budgets};
/// let config = BudgetConfig::new().with_min_retries_per_second(1);
/// assert_eq!(budgets::configure("doc.budgets.configure", config).config(), config);
/// ```
pub fn configure(name: &str, config: BudgetConfig) -> &'static RetryBudget {
    let budget = named(name);
    budget.configure(config);
    budget
}

/// Every named budget, by name.
///
/// ```
/// use resilience::budgets;
/// budgets::named("doc.budgets.all");
/// assert!(budgets::all().iter().any(|b| b.name() == "doc.budgets.all"));
/// ```
pub fn all() -> Vec<&'static RetryBudget> {
    registry().values().copied().collect()
}

/// A [`BudgetStats`] snapshot of every named budget, by name.
///
/// ```
/// use resilience::budgets;
/// budgets::named("doc.budgets.stats");
/// assert!(budgets::stats().iter().any(|s| s.name == "doc.budgets.stats"));
/// ```
pub fn stats() -> Vec<BudgetStats> {
    // Snapshots are taken after the registry's lock is released.
    all().iter().map(|b| b.stats()).collect()
}

/// The `RESILIENCE_BUDGET_*` environment variables that could not be used when the
/// environment was last read, each with its value and the reason; see
/// [`config`](crate::config). Each was also reported once (see
/// [`config::on_report`](crate::config::on_report)), and ignored.
///
/// ```
/// for error in resilience::budgets::config_errors() {
///     eprintln!("{error}");
/// }
/// ```
pub fn config_errors() -> Vec<ConfigError> {
    crate::env::current().budget_errors.clone()
}

/// The first call of a `#[retry(budget = "...")]` call site: its budget, found by name.
#[cold]
pub(super) fn site_budget(cell: &'static BudgetSite, name: &'static str) -> &'static RetryBudget {
    cell.get_or_init(|| named(name))
}
