//! The values every front door refuses (`resilience_settings::corpus::REFUSED`, which the
//! attributes' tests run as attribute arguments), through the environment, both as a
//! breaker's (or budget's) own variables and as global defaults, and through configuration
//! files: each is refused, alone, saying what the shared rule says.

use std::ffi::OsString;

use resilience_settings::corpus::{REFUSED, Refused, Target, Value};

use crate::{BreakerConfig, env::EnvConfig, report::ConfigError};

fn text(value: Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Duration(text) | Value::Word(text) => text.to_owned(),
    }
}

/// The case as variables, `scope` being `_T_` for the breaker (or budget) `t`, or `` for
/// the global defaults.
fn variables(case: &Refused, scope: &str) -> Vec<(OsString, OsString)> {
    let prefix = match case.target {
        Target::Breaker => "RESILIENCE_BREAKER_",
        Target::Budget => "RESILIENCE_BUDGET_",
        Target::Retry => unreachable!("no variable configures a retry policy"),
    };
    case.settings
        .iter()
        .map(|(key, value)| {
            let name = format!("{prefix}{scope}{}", key.to_ascii_uppercase());
            (name.into(), text(*value).into())
        })
        .collect()
}

fn refused_once(errors: &[ConfigError], variable: &str, case: &Refused) {
    assert_eq!(errors.len(), 1, "{case:?}: {errors:#?}");
    assert_eq!(errors[0].variable, variable, "{case:?}");
    assert!(
        errors[0].reason.contains(case.says),
        "{case:?} does not say {:?}: {}",
        case.says,
        errors[0]
    );
}

#[test]
fn the_environment_refuses_what_the_attribute_refuses() {
    for case in REFUSED.iter().filter(|c| c.target != Target::Retry) {
        for scope in ["_T__", ""] {
            let env = EnvConfig::from_vars(variables(case, scope));
            let variable = match case.target {
                Target::Budget => format!("RESILIENCE_BUDGET_{scope}"),
                _ => format!("RESILIENCE_BREAKER_{scope}"),
            } + &case.refused.to_ascii_uppercase();
            let errors = match case.target {
                Target::Budget => env.budget_errors.clone(),
                _ => {
                    env.resolve("t", BreakerConfig::new());
                    env.errors()
                }
            };
            refused_once(&errors, &variable, case);
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn configuration_files_refuse_what_the_attribute_refuses() {
    for case in REFUSED {
        let table = match case.target {
            Target::Breaker => "breakers",
            Target::Retry => "retry",
            Target::Budget => "budgets",
        };
        let mut file = format!("[{table}.t]\n");
        for (key, value) in case.settings {
            let value = match value {
                Value::Duration(text) | Value::Word(text) => format!("{text:?}"),
                other => text(*other),
            };
            file += &format!("{key} = {value}\n");
        }
        let err = toml::from_str::<super::Config>(&file).expect_err(&file);
        assert!(
            err.to_string().contains(case.says),
            "{file} does not say {:?}: {err}",
            case.says
        );
    }
}

#[cfg(feature = "serde")]
#[test]
fn configuration_files_speak_the_peers_vocabulary_and_write_it_back() {
    use std::time::Duration;

    use crate::RetryPolicy;

    let config: super::Config = toml::from_str(
        r#"
        [retry.poll]
        max_retries = 5
        max_delay = "none"
        max_retry_after = "2m"

        [retry.connect]
        max_attempts = "unlimited"
        max_elapsed = "30s"
        max_retry_after = "none"
        "#,
    )
    .unwrap();
    let poll = config.retry["poll"];
    assert_eq!(poll.max_attempts(), 6);
    assert_eq!(poll.max_delay(), Duration::MAX);
    assert_eq!(poll.max_retry_after(), Duration::from_secs(120));
    let connect = config.retry["connect"];
    assert!(connect.is_unlimited());
    assert_eq!(connect.max_retry_after(), Duration::MAX);

    // Written back in the same words, and read again to the same policies.
    let text = toml::to_string(&config).unwrap();
    assert!(text.contains(r#"max_attempts = "unlimited""#), "{text}");
    assert!(text.contains(r#"max_delay = "none""#), "{text}");
    let again: super::Config = toml::from_str(&text).unwrap();
    assert_eq!(again.retry["poll"], poll);
    assert_eq!(again.retry["connect"], connect);
    // No cap of its own unless set: `max_delay` caps hints.
    assert_eq!(RetryPolicy::new().max_retry_after(), Duration::MAX);
}
