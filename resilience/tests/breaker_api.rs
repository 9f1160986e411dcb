//! The breaker's public surface as the `#[circuit_breaker]` expansion and operators use it.

use std::{
    io,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use resilience::{
    __private::{self, BreakerConfig},
    CircuitBreaker, Error, Reason, State, StateChange, breakers,
};

/// What a call site of `#[circuit_breaker(name = .., failure_threshold = 2)]` expands to,
/// more or less.
fn guarded(fail: bool) -> io::Result<u32> {
    static SITE: OnceLock<Arc<CircuitBreaker>> = OnceLock::new();
    static CONFIG: BreakerConfig = BreakerConfig::new()
        .with_failure_threshold(2)
        .with_recovery_timeout(Duration::from_secs(10));
    let breaker = __private::site_breaker(&SITE, "api.guarded", &CONFIG, "api.rs:20");
    breaker.call(|| {
        if fail {
            Err(io::Error::other("down"))
        } else {
            Ok(7)
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_call_site_creates_its_breaker_on_first_use() {
    assert!(breakers::get("api.guarded").is_none());
    let changes = Arc::new(Mutex::new(Vec::<StateChange>::new()));
    let log = Arc::clone(&changes);
    breakers::on_state_change(move |c| {
        if &*c.breaker == "api.guarded" {
            log.lock().unwrap().push(c.clone());
        }
    });

    assert_eq!(guarded(false).unwrap(), 7);
    let breaker = breakers::get("api.guarded").unwrap();
    assert_eq!(breaker.state(), State::Closed);
    let _ = guarded(true);
    let _ = guarded(true);
    assert_eq!(breaker.state(), State::Open);

    let err = guarded(false).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    let inner = err.get_ref().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(
        inner,
        &Error::circuit_open("api.guarded", Some(Duration::from_secs(10)))
    );

    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(guarded(false).unwrap(), 7);
    assert_eq!(breaker.state(), State::Closed);

    let stats = breakers::stats()
        .into_iter()
        .find(|s| &*s.name == "api.guarded")
        .unwrap();
    assert_eq!(
        (
            stats.calls,
            stats.successes,
            stats.failures,
            stats.rejections
        ),
        (4, 2, 2, 1)
    );
    let seen: Vec<_> = changes
        .lock()
        .unwrap()
        .iter()
        .map(|c| (c.from, c.to, c.reason))
        .collect();
    assert_eq!(
        seen,
        [
            (
                State::Closed,
                State::Open,
                Reason::ConsecutiveFailures { count: 2 }
            ),
            (State::Open, State::HalfOpen, Reason::RecoveryTimeoutElapsed),
            (
                State::HalfOpen,
                State::Closed,
                Reason::TrialsSucceeded { successes: 1 }
            ),
        ]
    );

    breaker.reset();
    assert_eq!(breaker.stats().calls, 0);
}

fn site_a() -> &'static CircuitBreaker {
    static SITE: OnceLock<Arc<CircuitBreaker>> = OnceLock::new();
    static CONFIG: BreakerConfig = BreakerConfig::new().with_failure_threshold(3);
    __private::site_breaker(&SITE, "api.shared", &CONFIG, "api.rs:90")
}

fn site_b() -> &'static CircuitBreaker {
    static SITE: OnceLock<Arc<CircuitBreaker>> = OnceLock::new();
    static CONFIG: BreakerConfig = BreakerConfig::new().with_failure_threshold(4);
    __private::site_breaker(&SITE, "api.shared", &CONFIG, "api.rs:96")
}

#[test]
fn two_sites_with_one_name_share_one_breaker_and_the_mismatch_is_reported() {
    let a = site_a();
    for _ in 0..5 {
        assert!(std::ptr::eq(site_b(), a));
    }
    assert_eq!(
        a.config().failure_threshold(),
        3,
        "the first site's arguments"
    );
    let conflicts: Vec<_> = breakers::config_conflicts()
        .into_iter()
        .filter(|c| &*c.name == "api.shared")
        .collect();
    assert_eq!(conflicts.len(), 1, "once per pair of sites");
    assert_eq!(conflicts[0].first_site, "api.rs:90");
    assert_eq!(conflicts[0].site, "api.rs:96");
    assert_eq!(conflicts[0].config.failure_threshold(), 4);
}

#[test]
fn run_time_configuration_wins_over_attribute_arguments() {
    fn site() -> &'static CircuitBreaker {
        static SITE: OnceLock<Arc<CircuitBreaker>> = OnceLock::new();
        static CONFIG: BreakerConfig = BreakerConfig::new().with_failure_threshold(50);
        __private::site_breaker(&SITE, "api.configured", &CONFIG, "api.rs:123")
    }
    let configured = breakers::configure(
        "api.configured",
        BreakerConfig::new().with_failure_threshold(1),
    );
    assert!(std::ptr::eq(site(), &*configured));
    let _ = site().call(|| Err::<(), _>(Error::timeout("x", Duration::ZERO)));
    assert_eq!(configured.state(), State::Open);
    assert!(breakers::all().iter().any(|b| b.name() == "api.configured"));
}

#[test]
fn operators_can_force_open_and_disable_a_registered_breaker() {
    let breaker = breakers::configure("api.operator", BreakerConfig::new());
    breakers::get("api.operator").unwrap().force_open();
    let r: anyhow::Result<()> = breaker.call(|| Ok(()));
    let err = r.unwrap_err();
    assert!(err.downcast_ref::<Error>().unwrap().is_circuit_open());
    breaker.disable();
    for _ in 0..10 {
        let _ = breaker.call(|| Err::<(), _>(anyhow::anyhow!("down")));
    }
    assert_eq!(breaker.state(), State::Disabled);
    assert_eq!(breaker.stats().failures, 10);
    breaker.reset();
    assert_eq!(breaker.state(), State::Closed);
}

#[test]
fn a_boxed_error_type_works_with_the_plain_api() {
    let breaker = CircuitBreaker::new("api.boxed", BreakerConfig::new().with_failure_threshold(1));
    let r: Result<(), Box<dyn std::error::Error + Send + Sync>> =
        breaker.call(|| Err("down".into()));
    assert!(r.is_err());
    let r: Result<(), Box<dyn std::error::Error + Send + Sync>> = breaker.call(|| Ok(()));
    assert!(r.unwrap_err().to_string().contains("`api.boxed` is open"));
}

#[test]
fn any_error_counts_everything() {
    assert!(__private::any_error(&()));
    assert!(__private::any_error(&io::Error::other("x")));
}
