//! Configuration files and persisted snapshots through serde: TOML and JSON round trips,
//! and errors that name what is wrong.
#![cfg(feature = "serde")]

use std::time::Duration;

use resilience::{
    Backoff, BreakerConfig, Jitter, RetryPolicy, State, Window, breakers,
    config::{BreakerSetting, Config, Snapshot},
};

const EXAMPLE: &str = r#"
[breakers.payments]
failure_threshold = 3
recovery_timeout = "30s"

[breakers.inventory-db]
failure_rate = 0.5
window = "1m"
minimum_calls = 20
recovery_backoff = 2.0
max_recovery_timeout = "10m"

[breakers.search]
window = 50
failure_rate = 0.25
slow_call = "1.5s"
half_open_max_calls = 2
success_threshold = 2

[retry.database]
max_attempts = 5
backoff = "exponential"
multiplier = 2.0
initial_delay = "50ms"
max_delay = "2s"
jitter = "full"
max_elapsed = "10s"

[retry.cache]
backoff = "constant"
jitter = 0.1
"#;

#[test]
fn the_documented_toml_reads_as_the_builders_write() {
    let config: Config = toml::from_str(EXAMPLE).unwrap();
    assert_eq!(
        config.breakers["payments"],
        BreakerConfig::new()
            .with_failure_threshold(3)
            .with_recovery_timeout(Duration::from_secs(30))
    );
    assert_eq!(
        config.breakers["inventory-db"],
        BreakerConfig::new()
            .with_failure_rate(0.5, Window::Time(Duration::from_secs(60)), 20)
            .with_recovery_backoff(2.0, Duration::from_secs(600))
    );
    let search = config.breakers["search"];
    assert_eq!(search.failure_rate().unwrap().window(), Window::Calls(50));
    assert_eq!(search.failure_rate().unwrap().minimum_calls(), 10);
    assert_eq!(search.slow_call(), Some(Duration::from_millis(1500)));
    assert!(search.is_explicit(BreakerSetting::HalfOpenMaxCalls));
    assert!(!search.is_explicit(BreakerSetting::RecoveryTimeout));
    assert_eq!(
        config.retry_policy("database").unwrap(),
        RetryPolicy::new()
            .with_max_attempts(5)
            .with_initial_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(2))
            .with_max_elapsed(Duration::from_secs(10))
    );
    let cache = config.retry_policy("cache").unwrap();
    assert_eq!(cache.backoff(), Backoff::Constant);
    assert_eq!(cache.jitter(), Jitter::Proportional(0.1));
    assert_eq!(cache.max_attempts(), 3);
}

#[test]
fn round_trips_through_toml_and_json() {
    let config: Config = toml::from_str(EXAMPLE).unwrap();
    let again: Config = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
    assert_eq!(again, config);
    let again: Config = serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(again, config);
    // Explicitness survives, so the environment's defaults reach the same settings.
    for (name, c) in &config.breakers {
        for setting in BreakerSetting::ALL {
            assert_eq!(
                again.breakers[name].is_explicit(setting),
                c.is_explicit(setting)
            );
        }
    }
    let policies = [
        RetryPolicy::new(),
        RetryPolicy::new()
            .with_backoff(Backoff::Fibonacci)
            .with_jitter(Jitter::Decorrelated)
            .with_seed(7)
            .with_initial_delay(Duration::from_nanos(1_500)),
        RetryPolicy::new()
            .with_backoff(Backoff::Linear)
            .with_jitter(Jitter::None),
        RetryPolicy::new()
            .with_multiplier(1.5)
            .with_jitter(Jitter::Equal),
    ];
    for policy in policies {
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(
            serde_json::from_str::<RetryPolicy>(&json).unwrap(),
            policy,
            "{json}"
        );
    }
    let rate_only = BreakerConfig::new().with_failure_rate(0.5, Window::Calls(20), 5);
    let json = serde_json::to_string(&rate_only).unwrap();
    let back: BreakerConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rate_only);
    assert!(!back.consecutive_policy(), "{json}");
}

#[test]
fn errors_name_the_key_and_the_problem() {
    let cases = [
        (
            "[breakers.a]\nfailure_treshold = 3",
            "unknown field `failure_treshold`",
        ),
        (
            "[breaker.a]\nfailure_threshold = 3",
            "unknown field `breaker`",
        ),
        ("[retry.a]\nmax_atempts = 3", "unknown field `max_atempts`"),
        ("[breakers.a]\nrecovery_timeout = \"30\"", "has no unit"),
        ("[breakers.a]\nrecovery_timeout = 30", "a duration string"),
        (
            "[breakers.a]\nfailure_threshold = 0",
            "`failure_threshold` must be at least 1, found 0",
        ),
        ("[breakers.a]\nfailure_rate = 1.5", "failure_rate"),
        (
            "[breakers.a]\nwindow = 10",
            "`window` only applies with `failure_rate` or `adaptive`",
        ),
        (
            "[breakers.a]\nmax_recovery_timeout = \"1m\"",
            "only applies with `recovery_backoff`",
        ),
        (
            "[retry.a]\nbackoff = \"exponentail\"",
            "unknown variant `exponentail`",
        ),
        (
            "[retry.a]\nbackoff = \"linear\"\nmultiplier = 3.0",
            "only applies to `backoff = exponential`",
        ),
        ("[retry.a]\njitter = \"fully\"", "\"none\", \"full\""),
        // Accepted before, though the attribute refuses them (issue 13, points 2 and 9).
        (
            "[breakers.a]\nslow_call = \"0s\"",
            "`slow_call` must be longer than zero",
        ),
        (
            "[breakers.a]\nrecovery_timeout = \"0s\"",
            "`recovery_timeout` must be longer than zero",
        ),
        (
            "[breakers.a]\nrecovery_timeout = \"1m\"\nrecovery_backoff = 2.0\nmax_recovery_timeout = \"30s\"",
            "is shorter than `recovery_timeout` (1m)",
        ),
        (
            "[retry.a]\nmax_elapsed = \"0s\"",
            "`max_elapsed` must be longer than zero",
        ),
        (
            "[breakers.a]\nfailure_rate = 0.5\nwindow = 100000",
            "`window` holds at most 65536 calls",
        ),
    ];
    for (text, says) in cases {
        let err = toml::from_str::<Config>(text).unwrap_err().to_string();
        assert!(err.contains(says), "{text}: {err}");
    }
}

#[test]
fn a_file_configures_the_registry_in_one_call() {
    let config: Config = toml::from_str(
        "[breakers.file-payments]\nfailure_threshold = 1\nrecovery_timeout = \"2m\"",
    )
    .unwrap();
    breakers::apply(&config);
    let breaker = breakers::get("file-payments").unwrap();
    assert_eq!(
        breaker.config().recovery_timeout(),
        Duration::from_secs(120)
    );
    let _ = breaker.call(|| Err::<(), _>(std::io::Error::other("down")));
    assert_eq!(breaker.state(), State::Open);
}

#[test]
fn snapshots_round_trip_through_json_and_toml() {
    let breaker = breakers::configure("file-snap", BreakerConfig::new().with_failure_threshold(1));
    let _ = breaker.call(|| Err::<(), _>(std::io::Error::other("down")));
    let snapshot = breakers::snapshot();
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(
        json.contains(r#""name":"file-snap","state":"open","open_until_unix_ms":"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snapshot);
    let text = toml::to_string(&snapshot).unwrap();
    assert_eq!(toml::from_str::<Snapshot>(&text).unwrap(), snapshot);
    let err = serde_json::from_str::<Snapshot>(
        r#"{"taken_at_unix_ms":0,"breakers":[{"name":"x","state":"ajar"}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unknown variant `ajar`"), "{err}");
    // An end beyond any clock reads (and a restore then shortens it).
    let far: Snapshot = serde_json::from_str(
        r#"{"taken_at_unix_ms":0,"breakers":[{"name":"x","state":"open","open_until_unix_ms":18446744073709551615}]}"#,
    )
    .unwrap();
    assert!(far.breakers[0].open_until.unwrap() > std::time::SystemTime::now());
}

#[test]
fn budgets_and_the_throttle_read_and_write_as_the_attribute_spells_them() {
    let config: Config = toml::from_str(
        r#"
[breakers.search]
adaptive = 2.0
window = "30s"
max_trial_wait = "5s"

[budgets.orders]
ratio = 0.1
window = "30s"

[budgets.batch]
min_retries_per_second = 0
"#,
    )
    .unwrap();
    let search = config.breakers["search"];
    assert_eq!(
        search,
        BreakerConfig::new()
            .with_adaptive(2.0, Window::Time(Duration::from_secs(30)))
            .with_max_trial_wait(Duration::from_secs(5))
    );
    assert_eq!(
        config.budgets["orders"],
        resilience::BudgetConfig::new()
            .with_ratio(0.1)
            .with_window(Duration::from_secs(30))
    );
    assert_eq!(config.budgets["batch"].min_retries_per_second(), 0);
    let again: Config = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
    assert_eq!(again, config);
    config.apply();
    let orders = resilience::budgets::get("orders").unwrap();
    assert_eq!(orders.config().ratio(), 0.1);

    for (bad, says) in [
        (r#"{"adaptive": 0.5}"#, "adaptive"),
        (r#"{"window": 10}"#, "`window` only applies with"),
    ] {
        let err = serde_json::from_str::<BreakerConfig>(bad).unwrap_err();
        assert!(err.to_string().contains(says), "{bad}: {err}");
    }
    for (bad, says) in [
        (r#"{"ratio": -1}"#, "ratio"),
        (r#"{"window": "0s"}"#, "window"),
        (r#"{"rate": 1}"#, "unknown field `rate`"),
    ] {
        let err = serde_json::from_str::<resilience::BudgetConfig>(bad).unwrap_err();
        assert!(err.to_string().contains(says), "{bad}: {err}");
    }
}
