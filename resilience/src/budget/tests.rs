//! How a budget's configuration is resolved from the environment's variables and a run-time
//! configuration.

use std::time::Duration;

use super::{BudgetConfig, resolve};
use crate::env::EnvConfig;

fn env(vars: &[(&str, &str)]) -> EnvConfig {
    EnvConfig::from_vars(vars.iter().map(|(k, v)| (k.into(), v.into())))
}

fn resolve_in(env: &EnvConfig, name: &str, configured: Option<BudgetConfig>) -> BudgetConfig {
    let (global, own) = env.budget_fields(name);
    resolve(global, own, configured)
}

#[test]
fn budgets_take_their_settings_from_every_level() {
    let env = env(&[
        ("RESILIENCE_BUDGET_RATIO", "0.1"),
        ("RESILIENCE_BUDGET_WINDOW", "30s"),
        ("RESILIENCE_BUDGET__ORDERS__MIN_RETRIES_PER_SECOND", "0"),
        ("RESILIENCE_BUDGET__ORDERS__RATIO", "0.5"),
    ]);
    assert!(env.budget_errors.is_empty(), "{:?}", env.budget_errors);
    // The global variables over the built-in defaults.
    let c = resolve_in(&env, "search", None);
    assert_eq!((c.ratio(), c.min_retries_per_second()), (0.1, 10));
    assert_eq!(c.window(), Duration::from_secs(30));
    // A run-time configuration wins over the global variables, as a whole.
    let configured = BudgetConfig::new().with_ratio(0.3);
    let c = resolve_in(&env, "search", Some(configured));
    assert_eq!(c, configured);
    // The budget's own variables win over everything, whatever the name's spelling.
    for name in ["orders", "Orders", "my-app::orders"] {
        let c = resolve_in(&env, name, Some(configured));
        let own = name != "my-app::orders";
        assert_eq!(c.ratio(), if own { 0.5 } else { 0.3 }, "{name}");
    }
    let c = resolve_in(&env, "orders", None);
    assert_eq!((c.ratio(), c.min_retries_per_second()), (0.5, 0));
    assert_eq!(c.window(), Duration::from_secs(30));
}
