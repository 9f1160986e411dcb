//! Configuration from the environment, end to end: the variables are set in this process,
//! so this binary holds one test function and nothing else reads the environment at once.

use std::{io, time::Duration};

use resilience::{BreakerConfig, State, breakers, circuit_breaker};

#[circuit_breaker(name = "env-payments", failure_threshold = 9, half_open_max_calls = 1)]
fn pay(fail: bool) -> io::Result<()> {
    if fail {
        Err(io::Error::other("down"))
    } else {
        Ok(())
    }
}

#[circuit_breaker(name = "env-shards", key = shard, failure_threshold = 9)]
fn shard(shard: u32) -> io::Result<u32> {
    Ok(shard)
}

#[circuit_breaker(name = "env::plain")]
fn plain() -> io::Result<()> {
    Ok(())
}

fn set(key: &str, value: &str) {
    // SAFETY: this binary's only test runs on one thread, and no other thread of the
    // process reads or writes the environment while it does.
    unsafe { std::env::set_var(key, value) }
}

fn remove(key: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(key) }
}

#[test]
fn environment_takes_its_documented_place_in_the_order_of_precedence() {
    set("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "2");
    set("RESILIENCE_BREAKER_HALF_OPEN_MAX_CALLS", "2");
    set("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "oops");
    set("RESILIENCE_BREAKER_SUCESS_THRESHOLD", "2");
    set("RESILIENCE_BREAKER__ENV_PAYMENTS__FAILURE_THRESHOLD", "4");
    set("RESILIENCE_BREAKER__ENV_PAYMENTS__SUCCESS_THRESHOLD", "3");

    // Read lazily, at the first breaker's creation: the variables set above are seen.
    plain().unwrap();
    let plain_config = breakers::get("env::plain").unwrap().config();
    assert_eq!(
        plain_config.failure_threshold(),
        2,
        "global env over the built-in default"
    );
    assert_eq!(plain_config.half_open_max_calls(), 2);
    assert_eq!(
        plain_config.recovery_timeout(),
        Duration::from_secs(60),
        "a bad value falls through to the next source"
    );

    // Bad variables are queryable, each with its value and the reason.
    let errors = breakers::config_errors();
    let names: Vec<_> = errors.iter().map(|e| e.variable.as_str()).collect();
    assert_eq!(
        names,
        [
            "RESILIENCE_BREAKER_RECOVERY_TIMEOUT",
            "RESILIENCE_BREAKER_SUCESS_THRESHOLD"
        ]
    );
    assert_eq!(errors[0].value, "oops");
    assert!(
        errors[0].reason.contains("does not start with a number"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1]
            .reason
            .contains("unknown setting `SUCESS_THRESHOLD`"),
        "{}",
        errors[1]
    );

    // Per-breaker env over the attribute; the attribute over the global env.
    pay(false).unwrap();
    let payments = breakers::get("env-payments").unwrap();
    let c = payments.config();
    assert_eq!(c.failure_threshold(), 4);
    assert_eq!(c.success_threshold(), 3);
    assert_eq!(c.half_open_max_calls(), 1);
    for _ in 0..4 {
        let _ = pay(true);
    }
    assert_eq!(
        payments.state(),
        State::Open,
        "the per-breaker threshold is in force"
    );
    payments.reset();

    // Run-time configuration: over the attribute, under the per-breaker env; the global env
    // fills in what it leaves unset.
    breakers::configure(
        "env-payments",
        BreakerConfig::new()
            .with_failure_threshold(6)
            .with_recovery_timeout(Duration::from_secs(5)),
    );
    let c = payments.config();
    assert_eq!(c.failure_threshold(), 4);
    assert_eq!(c.recovery_timeout(), Duration::from_secs(5));
    assert_eq!(c.half_open_max_calls(), 2);

    // Read once: changes are seen only on reload.
    remove("RESILIENCE_BREAKER__ENV_PAYMENTS__FAILURE_THRESHOLD");
    set("RESILIENCE_BREAKER_RECOVERY_TIMEOUT", "1.5s");
    remove("RESILIENCE_BREAKER_SUCESS_THRESHOLD");
    assert_eq!(payments.config().failure_threshold(), 4);
    assert_eq!(breakers::config_errors().len(), 2);
    let errors = breakers::reload_env();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(breakers::config_errors().is_empty());
    assert_eq!(payments.config().failure_threshold(), 6);
    assert_eq!(
        breakers::get("env::plain")
            .unwrap()
            .config()
            .recovery_timeout(),
        Duration::from_millis(1500)
    );

    // The environment configures breakers created later too, by their mangled name.
    set("RESILIENCE_BREAKER__MY_APP_SEARCH_V2__SLOW_CALL", "250ms");
    breakers::reload_env();
    let late = breakers::configure("my_app::search.v2", BreakerConfig::new());
    assert_eq!(late.config().slow_call(), Some(Duration::from_millis(250)));

    // Every variable under the prefixes is applied or reported (issue 13, points 1, 3, 4
    // and 9): a name no breaker has, a part without its policy on this breaker, a name no
    // variable can spell, a window too large.
    set("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD", "2");
    set("RESILIENCE_BREAKER__ENV_PLAIN__WINDOW", "50");
    set("RESILIENCE_BREAKER____FAILURE_THRESHOLD", "2");
    set("RESILIENCE_BREAKER__ENV_PAYMENTS__FAILURE_RATE", "0.5");
    set("RESILIENCE_BREAKER__ENV_PAYMENTS__WINDOW", "100000");
    let errors = breakers::reload_env();
    assert_eq!(errors, breakers::config_errors());
    let said = |variable: &str| {
        errors
            .iter()
            .find(|e| e.variable == variable)
            .unwrap_or_else(|| panic!("{variable} is not reported: {errors:#?}"))
            .to_string()
    };
    assert!(said("RESILIENCE_BREAKER__rob_env_lower__FAILURE_THRESHOLD").contains("ROB_ENV_LOWER"));
    assert!(
        said("RESILIENCE_BREAKER__ENV_PLAIN__WINDOW")
            .contains("not applied to breaker `env::plain`")
    );
    assert!(
        said("RESILIENCE_BREAKER____FAILURE_THRESHOLD")
            .contains("cannot be configured from the environment")
    );
    assert!(said("RESILIENCE_BREAKER__ENV_PAYMENTS__WINDOW").contains("at most 65536 calls"));
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let rate = payments
        .config()
        .failure_rate()
        .expect("the valid variable applies");
    assert_eq!(rate.window(), resilience::Window::Calls(100));
    assert!(resilience::config::env_prefix("支付").is_err());

    // A keyed family is configured by its name: every key's breaker, those made before the
    // variable was read (on reload) and after.
    set("RESILIENCE_BREAKER__ENV_SHARDS__FAILURE_THRESHOLD", "2");
    breakers::reload_env();
    shard(1).unwrap();
    let shards = breakers::keyed("env-shards").unwrap();
    assert_eq!(shards.get(&1).unwrap().config().failure_threshold(), 2);
    set("RESILIENCE_BREAKER__ENV_SHARDS__FAILURE_THRESHOLD", "3");
    breakers::reload_env();
    shard(2).unwrap();
    assert_eq!(shards.get(&1).unwrap().config().failure_threshold(), 3);
    assert_eq!(shards.get(&2).unwrap().config().failure_threshold(), 3);
}
