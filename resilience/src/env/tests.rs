//! The environment's reading, precedence and reports, by unit: see also
//! `resilience/tests/config_env.rs`.

use std::{ffi::OsString, time::Duration};

use super::{EnvConfig, fields::BudgetFields, mangle};
use crate::{BreakerConfig, Window, report::ConfigError};

fn env(vars: &[(&str, &str)]) -> EnvConfig {
    EnvConfig::from_vars(vars.iter().map(|(k, v)| (k.into(), v.into())))
}

fn said(errors: &[ConfigError], variable: &str) -> String {
    errors
        .iter()
        .find(|e| e.variable == variable)
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("{variable} not reported: {errors:?}"))
}

#[test]
fn mangles_names() {
    assert_eq!(mangle("payments"), "PAYMENTS");
    assert_eq!(mangle("my_app::db::query"), "MY_APP_DB_QUERY");
    assert_eq!(mangle("inventory-db.v2"), "INVENTORY_DB_V2");
    assert_eq!(mangle("::a--b__"), "A_B");
    assert_eq!(mangle("café"), "CAF");
    assert_eq!(mangle("支付"), "");
    assert!(!mangle("a__b::_c").contains("__"));
}

#[test]
fn precedence_of_every_source() {
    let env = env(&[
        ("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "7"),
        ("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "5s"),
        ("RESILIENCE_BREAKER_SUCCESS_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER__PAYMENTS_API__RECOVERY_TIMEOUT", "1m"),
    ]);
    assert!(env.errors().is_empty(), "{:?}", env.errors());
    // Built-in defaults lose to the global environment.
    let c = env.resolve("search", BreakerConfig::new());
    assert_eq!(c.failure_threshold(), 7);
    assert_eq!(c.recovery_timeout(), Duration::from_secs(5));
    assert_eq!(c.half_open_max_calls(), 1);
    // Attribute arguments (or a run-time configuration) win over the global environment.
    let attr = BreakerConfig::new()
        .with_failure_threshold(3)
        .with_success_threshold(1);
    let c = env.resolve("search", attr);
    assert_eq!((c.failure_threshold(), c.success_threshold()), (3, 1));
    assert_eq!(c.recovery_timeout(), Duration::from_secs(5));
    // The per-breaker environment wins over everything, whatever the name's spelling.
    let explicit = attr.with_recovery_timeout(Duration::from_millis(1));
    for name in ["payments-api", "payments::api", "Payments.API"] {
        let c = env.resolve(name, explicit);
        assert_eq!(c.recovery_timeout(), Duration::from_secs(60), "{name}");
        assert_eq!(c.failure_threshold(), 3);
    }
}

#[test]
fn bad_values_are_reported_and_skipped() {
    let env = env(&[
        ("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "30"),
        ("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "0"),
        ("RESILIENCE_BREAKER_FAILURE_TRESHOLD", "4"),
        ("RESILIENCE_BREAKER__DB__FAILURE_RATE", "1.5"),
        ("RESILIENCE_BREAKER__DB", "1"),
        ("RESILIENCE_BREAKER__DB__SLOW_CALL", "2s"),
        ("RESILIENCE_BREAKER_WINDOW", "20"),
        ("OTHER_VARIABLE", "x"),
    ]);
    let errors = env.errors();
    let names: Vec<_> = errors.iter().map(|e| e.variable.as_str()).collect();
    assert_eq!(
        names,
        [
            "RESILIENCE_BREAKER_FAILURE_THRESHOLD",
            "RESILIENCE_BREAKER_FAILURE_TRESHOLD",
            "RESILIENCE_BREAKER_RECOVERY_TIMEOUT",
            "RESILIENCE_BREAKER__DB",
            "RESILIENCE_BREAKER__DB__FAILURE_RATE",
            "RESILIENCE_BREAKER_WINDOW",
        ]
    );
    let said = |variable| said(&errors, variable);
    assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("has no unit"));
    assert!(said("RESILIENCE_BREAKER_RECOVERY_TIMEOUT").contains("\"30\""));
    assert!(said("RESILIENCE_BREAKER_FAILURE_THRESHOLD").contains("at least 1, found 0"));
    assert!(said("RESILIENCE_BREAKER_FAILURE_TRESHOLD").contains("unknown setting"));
    assert!(said("RESILIENCE_BREAKER__DB__FAILURE_RATE").contains("(0, 1]"));
    assert!(said("RESILIENCE_BREAKER_WINDOW").contains("failure_rate"));
    // The next source applies: here the built-in defaults, and the valid variable.
    let c = env.resolve("db", BreakerConfig::new());
    assert_eq!(
        c,
        BreakerConfig::new().with_slow_call(Duration::from_secs(2))
    );
}

/// Issue 13, point 1: names no breaker can have were kept in silence for no one.
#[test]
fn a_name_no_breaker_has_is_reported_with_the_spelling_to_use() {
    let vars: Vec<(OsString, OsString)> = [
        ("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER__A__B__FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER__PAYMENTS___FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER___PAYMENTS__FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER__PAY-MENTS__FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER____FAILURE_THRESHOLD", "2"),
        ("RESILIENCE_BREAKER__PAYMENTS__failure_threshold", "2"),
        ("RESILIENCE_BUDGET__orders__RATIO", "0.1"),
        ("RESILIENCE_BUDGET__ORDERS___RATIO", "0.1"),
    ]
    .iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect();
    let env = EnvConfig::from_vars(vars);
    let errors = env.errors();
    let said = |variable| said(&errors, variable);
    assert!(
        said("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD")
            .contains("lower-case letters, so it names no breaker")
    );
    assert!(
        said("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD")
            .contains("write `ROB_ENV_LOWER`")
    );
    assert!(said("RESILIENCE_BREAKER__A__B__FAILURE_THRESHOLD").contains("contains `__`"));
    assert!(
        said("RESILIENCE_BREAKER__PAYMENTS___FAILURE_THRESHOLD")
            .contains("starts or ends with `_`")
    );
    assert!(said("RESILIENCE_BREAKER___PAYMENTS__FAILURE_THRESHOLD").contains("write `PAYMENTS`"));
    assert!(said("RESILIENCE_BREAKER__PAY-MENTS__FAILURE_THRESHOLD").contains("write `PAY_MENTS`"));
    assert!(
        said("RESILIENCE_BREAKER____FAILURE_THRESHOLD")
            .contains("cannot be configured from the environment")
    );
    assert!(
        said("RESILIENCE_BREAKER__PAYMENTS__failure_threshold")
            .contains("upper case: `FAILURE_THRESHOLD`")
    );
    assert_eq!(errors.len(), 7, "{errors:#?}");
    let budget = &env.budget_errors;
    assert!(said_in(budget, "RESILIENCE_BUDGET__orders__RATIO").contains("write `ORDERS`"));
    assert!(said_in(budget, "RESILIENCE_BUDGET__ORDERS___RATIO").contains("write `ORDERS`"));
    assert_eq!(budget.len(), 2, "{budget:#?}");
    // Nothing was applied on the way.
    assert_eq!(
        env.resolve("payments", BreakerConfig::new()),
        BreakerConfig::new()
    );
    assert_eq!(
        env.budget_fields("orders"),
        (&BudgetFields::default(), None)
    );
}

fn said_in(errors: &[ConfigError], variable: &str) -> String {
    said(errors, variable)
}

#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_reported() {
    use std::os::unix::ffi::OsStringExt;
    let name = |bytes: &[u8]| OsString::from_vec(bytes.to_vec());
    let env = EnvConfig::from_vars([
        (
            name(b"RESILIENCE_BREAKER__CAF\xE9__FAILURE_THRESHOLD"),
            "2".into(),
        ),
        (name(b"RESILIENCE_BUDGET__\xFF__RATIO"), "0.1".into()),
        (name(b"UNRELATED_\xFF"), "x".into()),
    ]);
    let errors = env.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        said(
            &errors,
            "RESILIENCE_BREAKER__CAF\u{FFFD}__FAILURE_THRESHOLD"
        )
        .contains("not valid UTF-8")
    );
    assert_eq!(env.budget_errors.len(), 1, "{:#?}", env.budget_errors);
    assert!(
        said(&env.budget_errors, "RESILIENCE_BUDGET__\u{FFFD}__RATIO").contains("not valid UTF-8")
    );
}

/// Issue 13, point 3: a breaker's own `WINDOW` or `MAX_RECOVERY_TIMEOUT` without the
/// policy they shape changed nothing, in silence.
#[test]
fn a_breaker_part_without_its_policy_is_reported_for_that_breaker() {
    let env = env(&[
        ("RESILIENCE_BREAKER__PLAIN__WINDOW", "50"),
        ("RESILIENCE_BREAKER__PLAIN__MINIMUM_CALLS", "5"),
        ("RESILIENCE_BREAKER__PLAIN__MAX_RECOVERY_TIMEOUT", "10m"),
    ]);
    assert!(
        env.errors().is_empty(),
        "judged per breaker: {:?}",
        env.errors()
    );
    let c = env.resolve("plain", BreakerConfig::new());
    assert_eq!(c, BreakerConfig::new());
    let errors = env.errors();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        said(&errors, "RESILIENCE_BREAKER__PLAIN__WINDOW")
            .contains("not applied to breaker `plain`: `window` only applies with")
    );
    assert!(
        said(&errors, "RESILIENCE_BREAKER__PLAIN__MINIMUM_CALLS")
            .contains("`minimum_calls` only applies with `failure_rate`")
    );
    assert!(
        said(&errors, "RESILIENCE_BREAKER__PLAIN__MAX_RECOVERY_TIMEOUT")
            .contains("only applies with `recovery_backoff`")
    );
    // Configured again with the policies, the same variables apply, and the reports go.
    let with_policies = BreakerConfig::new()
        .with_failure_rate(0.5, Window::Calls(20), 10)
        .with_recovery_backoff(2.0, Duration::from_secs(60));
    let c = env.resolve("plain", with_policies);
    let rate = c.failure_rate().unwrap();
    assert_eq!(
        (rate.window(), rate.minimum_calls()),
        (Window::Calls(50), 5)
    );
    assert_eq!(c.recovery_backoff().1, Duration::from_secs(600));
    assert!(env.errors().is_empty(), "{:?}", env.errors());
}

#[test]
fn a_part_against_the_breakers_own_settings_is_refused_for_it() {
    let env = env(&[
        ("RESILIENCE_BREAKER__DB__MAX_RECOVERY_TIMEOUT", "10s"),
        ("RESILIENCE_BREAKER__DB__MINIMUM_CALLS", "30"),
        ("RESILIENCE_BREAKER_RECOVERY_BACKOFF", "2"),
        ("RESILIENCE_BREAKER_MAX_RECOVERY_TIMEOUT", "40s"),
    ]);
    assert!(env.errors().is_empty(), "{:?}", env.errors());
    let own = BreakerConfig::new()
        .with_recovery_timeout(Duration::from_secs(30))
        .with_failure_rate(0.5, Window::Calls(20), 10)
        .with_recovery_backoff(2.0, Duration::from_secs(120));
    assert_eq!(env.resolve("db", own), own);
    let errors = env.errors();
    assert!(
        said(&errors, "RESILIENCE_BREAKER__DB__MAX_RECOVERY_TIMEOUT")
            .contains("shorter than `recovery_timeout` (30s)")
    );
    assert!(said(&errors, "RESILIENCE_BREAKER__DB__MINIMUM_CALLS").contains("last 20 calls"));
    // A global default against a breaker's own recovery timeout: refused for it only.
    let long = BreakerConfig::new().with_recovery_timeout(Duration::from_secs(50));
    let c = env.resolve("slow", long);
    assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(500)));
    assert!(
        said(&env.errors(), "RESILIENCE_BREAKER_MAX_RECOVERY_TIMEOUT")
            .contains("not applied to breaker `slow`")
    );
    let c = env.resolve(
        "fast",
        BreakerConfig::new().with_recovery_timeout(Duration::from_secs(5)),
    );
    assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(40)));
}

/// Issue 13, point 9 (and point 2 for the environment): values the attribute refuses.
#[test]
fn values_the_attribute_refuses_are_refused() {
    let env = env(&[
        ("RESILIENCE_BREAKER__DB__SLOW_CALL", "0s"),
        ("RESILIENCE_BREAKER__DB__FAILURE_RATE", "0.5"),
        ("RESILIENCE_BREAKER__DB__WINDOW", "100000"),
        ("RESILIENCE_BREAKER__DB__RECOVERY_TIMEOUT", "0s"),
    ]);
    let errors = env.errors();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(said(&errors, "RESILIENCE_BREAKER__DB__SLOW_CALL").contains("longer than zero"));
    assert!(said(&errors, "RESILIENCE_BREAKER__DB__WINDOW").contains("at most 65536 calls"));
    let c = env.resolve("db", BreakerConfig::new());
    assert_eq!(c.slow_call(), None);
    assert_eq!(c.failure_rate().unwrap().window(), Window::Calls(100));
    assert_eq!(c.recovery_timeout(), Duration::from_secs(60));
}

#[test]
fn policies_take_their_parts_from_every_level() {
    let env = env(&[
        ("RESILIENCE_BREAKER_FAILURE_RATE", "0.5"),
        ("RESILIENCE_BREAKER_RECOVERY_BACKOFF", "2"),
        ("RESILIENCE_BREAKER__TUNED__WINDOW", "30s"),
        ("RESILIENCE_BREAKER__TUNED__MAX_RECOVERY_TIMEOUT", "1m"),
    ]);
    assert!(env.errors().is_empty(), "{:?}", env.errors());
    let c = env.resolve("plain", BreakerConfig::new());
    let rate = c.failure_rate().unwrap();
    assert_eq!(
        (rate.rate(), rate.window(), rate.minimum_calls()),
        (0.5, Window::Calls(100), 10)
    );
    assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(600)));
    assert!(
        !c.consecutive_policy(),
        "a rate alone replaces the consecutive policy"
    );
    // The attribute's own policy wins over the global one; the per-breaker parts win.
    let attr = BreakerConfig::new().with_failure_rate(0.2, Window::Calls(50), 5);
    let c = env.resolve("tuned", attr);
    let rate = c.failure_rate().unwrap();
    assert_eq!(
        (rate.rate(), rate.window(), rate.minimum_calls()),
        (0.2, Window::Time(Duration::from_secs(30)), 5)
    );
    assert_eq!(c.recovery_backoff(), (2.0, Duration::from_secs(60)));
    assert!(env.errors().is_empty(), "{:?}", env.errors());
}

#[test]
fn bad_budget_variables_are_reported_and_skipped() {
    let env = env(&[
        ("RESILIENCE_BUDGET_RATIO", "-1"),
        ("RESILIENCE_BUDGET_WINDOW", "0s"),
        ("RESILIENCE_BUDGET_MIN_RETRIES_PER_SECOND", "ten"),
        ("RESILIENCE_BUDGET_RATE", "0.2"),
        ("RESILIENCE_BUDGET__ORDERS", "1"),
    ]);
    let errors: Vec<_> = env.budget_errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors[0].contains("expected an integer"), "{errors:?}");
    assert!(errors[1].contains("unknown setting `RATE`"), "{errors:?}");
    assert!(errors[2].contains("[0, 1000]"), "{errors:?}");
    assert!(errors[3].contains("at least 1ms"), "{errors:?}");
    assert!(errors[4].contains("_<NAME>__<SETTING>"), "{errors:?}");
    assert!(env.errors().is_empty(), "the breakers' variables are apart");
    assert_eq!(env.budget_fields("x"), (&BudgetFields::default(), None));
}

#[test]
fn the_throttle_and_the_trial_wait_from_the_environment() {
    let env = env(&[
        ("RESILIENCE_BREAKER_ADAPTIVE", "2"),
        ("RESILIENCE_BREAKER__TUNED__WINDOW", "50"),
        ("RESILIENCE_BREAKER__TUNED__MAX_TRIAL_WAIT", "5s"),
        ("RESILIENCE_BREAKER__BAD__ADAPTIVE", "0.5"),
    ]);
    assert_eq!(env.errors().len(), 1, "{:?}", env.errors());
    assert!(env.errors()[0].reason.contains("at least 1"));
    let c = env.resolve("plain", BreakerConfig::new());
    let adaptive = c.adaptive().unwrap();
    assert_eq!((adaptive.k(), adaptive.window()), (2.0, Window::Calls(100)));
    assert!(!c.consecutive_policy());
    let c = env.resolve("tuned", BreakerConfig::new());
    assert_eq!(c.adaptive().unwrap().window(), Window::Calls(50));
    assert_eq!(c.max_trial_wait(), Duration::from_secs(5));
    // A window alone, globally, shapes nothing: reported.
    let env = super::EnvConfig::from_vars([("RESILIENCE_BREAKER_WINDOW".into(), "9".into())]);
    assert!(
        env.errors()[0].reason.contains("`adaptive`"),
        "{:?}",
        env.errors()
    );
}
