//! Where configuration the library cannot use is reported: to the listeners of
//! `config::on_report` and the lists that keep it, never to the process's standard error.
//!
//! The test runs its scenario in a child process of its own (this binary, run again with a
//! variable that says so), with a bad variable in the child's environment from the start, so
//! that the parent can read everything the child wrote to standard error.

use std::{
    io,
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use resilience::{
    BreakerConfig, State, breakers, circuit_breaker,
    config::{self, BreakerSnapshot, ConfigSource, Report, Snapshot},
};

/// Set in the child's environment: run the scenario.
const CHILD: &str = "RESILIENCE_TEST_REPORTS_CHILD";

/// What the panicking listener says.
const LISTENER_PANIC: &str = "a listener's panic stays in the listener";

#[circuit_breaker(name = "reports.shared", failure_threshold = 2)]
fn first_site() -> io::Result<()> {
    Ok(())
}

#[circuit_breaker(name = "reports.shared", failure_threshold = 3)]
fn second_site() -> io::Result<()> {
    Ok(())
}

/// What the child does: every kind of report, each heard by a listener.
fn scenario() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&heard);
    config::on_report(move |report| {
        let kind = match report {
            Report::Config(error) => format!("{:?}", error.source),
            Report::Conflict(_) => "Conflict".to_owned(),
            _ => "other".to_owned(),
        };
        log.lock().unwrap().push((kind, report.to_string()));
    });
    // A listener that panics is ignored: the others still hear, and the program carries on.
    // Its panic is kept out of standard error, where the default hook would print it; any
    // other panic is printed as usual.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if message != Some(LISTENER_PANIC) {
            default(info);
        }
    }));
    config::on_report(|_| panic!("{LISTENER_PANIC}"));

    // The environment is read with the registry's first breaker.
    breakers::configure("reports.plain", BreakerConfig::new());
    // Two call sites of one breaker with different arguments.
    first_site().unwrap();
    second_site().unwrap();
    // A snapshot's open period longer than the configuration allows.
    breakers::configure("reports.restored", BreakerConfig::new());
    let saved = BreakerSnapshot::new("reports.restored", State::Open)
        .with_open_until(SystemTime::now() + Duration::from_secs(86_400));
    breakers::restore(&Snapshot::new(vec![saved]));
    // The same variable, when the environment is read again, is not reported again.
    breakers::reload_env();

    let heard = heard.lock().unwrap().clone();
    let kinds: Vec<&str> = heard.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["Environment", "Conflict", "Snapshot"], "{heard:#?}");
    assert!(
        heard[0].1.contains("RESILIENCE_BREAKER_FAILURE_THRESHOLD"),
        "{heard:?}"
    );
    assert!(heard[1].1.contains("reports.shared"), "{heard:?}");
    // What was reported is also kept.
    let errors = breakers::config_errors();
    assert!(errors.iter().any(|e| e.source == ConfigSource::Environment));
    assert!(errors.iter().any(|e| e.source == ConfigSource::Snapshot));
    assert_eq!(breakers::config_conflicts().len(), 1);
}

#[test]
fn reports_reach_listeners_and_nothing_reaches_standard_error() {
    if std::env::var_os(CHILD).is_some() {
        scenario();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reports_reach_listeners_and_nothing_reaches_standard_error",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("RESILIENCE_BREAKER_FAILURE_THRESHOLD", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        child.status.success(),
        "the scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.is_empty(),
        "the library wrote to standard error:\n{stderr}"
    );
}
