//! Snapshot and restore of the registry's breaker states, on tokio's paused clock: an open
//! breaker restored stays open for the time it had left, then goes half-open as usual.

use std::{
    io,
    time::{Duration, SystemTime},
};

use resilience::{
    BreakerConfig, State, breakers, circuit_breaker,
    config::{BreakerSnapshot, Snapshot},
};

fn fail() -> io::Result<()> {
    Err(io::Error::other("down"))
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_survives_a_restart_until_its_recorded_time() {
    let before = breakers::configure(
        "snap.before",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_secs(30)),
    );
    let _ = before.call(fail);
    assert_eq!(before.state(), State::Open);

    let snapshot = breakers::snapshot();
    let saved = snapshot
        .breakers
        .iter()
        .find(|b| b.name == "snap.before")
        .unwrap()
        .clone();
    assert_eq!(saved.state, State::Open);
    let left = saved
        .open_until
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(
        left > Duration::from_secs(29) && left <= Duration::from_secs(31),
        "{left:?}"
    );

    // "After the restart": a name no function used yet.
    let mut restarted = saved.clone();
    restarted.name = "snap.after".into();
    breakers::restore(&Snapshot::new(vec![restarted]));
    let after = breakers::get("snap.after").expect("restore creates it");
    assert_eq!(after.state(), State::Open);
    assert!(after.try_acquire().is_err());
    tokio::time::advance(Duration::from_secs(28)).await;
    assert!(
        after.try_acquire().is_err(),
        "still open before its recorded time"
    );
    tokio::time::advance(Duration::from_secs(3)).await;
    let trial = after
        .try_acquire()
        .expect("half-open after its recorded time");
    assert!(trial.is_trial());
    assert_eq!(after.state(), State::HalfOpen);
    trial.success();
    assert_eq!(after.state(), State::Closed);
}

#[circuit_breaker(name = "snap.site", failure_threshold = 2, recovery_timeout = "10s")]
fn site() -> io::Result<u32> {
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn the_first_call_sees_a_restored_state_and_brings_its_arguments() {
    let saved = BreakerSnapshot::new("snap.site", State::Open)
        .with_open_until(SystemTime::now() + Duration::from_secs(5));
    breakers::restore(&Snapshot::new(vec![saved]));
    let err = site().unwrap_err();
    let inner = err
        .get_ref()
        .unwrap()
        .downcast_ref::<resilience::Error>()
        .unwrap();
    assert!(inner.is_circuit_open());
    let breaker = breakers::get("snap.site").unwrap();
    assert_eq!(
        breaker.config().failure_threshold(),
        2,
        "the site's arguments apply"
    );
    assert_eq!(breaker.config().recovery_timeout(), Duration::from_secs(10));
    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(site().unwrap(), 1);
    assert_eq!(breaker.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn every_state_and_the_failed_recoveries_come_back() {
    let backoff = BreakerConfig::new()
        .with_recovery_timeout(Duration::from_secs(1))
        .with_recovery_backoff(2.0, Duration::from_secs(60));
    for name in [
        "snap.half",
        "snap.past",
        "snap.forced",
        "snap.disabled",
        "snap.closed",
    ] {
        breakers::configure(name, backoff);
    }
    breakers::get("snap.closed").unwrap().force_open();
    let now = SystemTime::now();
    breakers::restore(&Snapshot::new(vec![
        BreakerSnapshot::new("snap.half", State::HalfOpen).with_failed_recoveries(2),
        BreakerSnapshot::new("snap.past", State::Open)
            .with_open_until(now - Duration::from_secs(9)),
        BreakerSnapshot::new("snap.forced", State::ForcedOpen),
        BreakerSnapshot::new("snap.disabled", State::Disabled),
        BreakerSnapshot::new("snap.closed", State::Closed),
    ]));
    let get = |name| breakers::get(name).unwrap();

    // Half-open comes back open with its period over: the next call is a trial. Its failure
    // is the third failed recovery in a row: 1 s * 2^3.
    let half = get("snap.half");
    assert_eq!(half.state(), State::Open);
    let _ = half.call(fail);
    let stats = half.stats();
    assert_eq!((stats.state, stats.failed_recoveries), (State::Open, 3));
    assert_eq!(stats.until_half_open, Some(Duration::from_secs(8)));

    assert!(get("snap.past").try_acquire().unwrap().is_trial());
    assert!(get("snap.forced").try_acquire().is_err());
    assert_eq!(get("snap.forced").state(), State::ForcedOpen);
    assert_eq!(get("snap.disabled").state(), State::Disabled);
    assert_eq!(get("snap.closed").state(), State::Closed);

    // What a snapshot records, it restores.
    let snapshot = breakers::snapshot();
    let saved = |name: &str| snapshot.breakers.iter().find(|b| b.name == name).unwrap();
    assert_eq!(saved("snap.half").failed_recoveries, 3);
    assert_eq!(saved("snap.forced").state, State::ForcedOpen);
    assert!(saved("snap.closed").open_until.is_none());
}

/// Issue 13, point 5: an `open_until` a day ahead, or at the end of time, is shortened to
/// the longest open period the breaker's configuration produces, and reported.
#[tokio::test(start_paused = true)]
async fn a_skewed_open_until_is_shortened_and_reported() {
    use resilience::config::ConfigSource;
    let config = BreakerConfig::new()
        .with_recovery_timeout(Duration::from_secs(10))
        .with_recovery_backoff(2.0, Duration::from_secs(120));
    breakers::configure("snap.skewed", config);
    let now = SystemTime::now();
    let far = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::MAX);
    breakers::restore(&Snapshot::new(vec![
        BreakerSnapshot::new("snap.skewed", State::Open)
            .with_open_until(now + Duration::from_secs(86_400)),
        // No configuration known yet: judged when one comes.
        BreakerSnapshot::new("snap.far", State::Open).with_open_until(far),
    ]));
    let skewed = breakers::get("snap.skewed").unwrap();
    assert_eq!(skewed.state(), State::Open);
    assert_eq!(
        skewed.stats().until_half_open,
        Some(Duration::from_secs(120))
    );
    let reported = |name: &str| {
        breakers::config_errors()
            .into_iter()
            .filter(|e| e.source == ConfigSource::Snapshot && e.variable.contains(name))
            .collect::<Vec<_>>()
    };
    let errors = reported("snap.skewed");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].to_string().contains("longer than 2m"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].value, "24h");

    assert!(reported("snap.far").is_empty(), "judged once configured");
    let far = breakers::configure("snap.far", config);
    assert_eq!(far.stats().until_half_open, Some(Duration::from_secs(120)));
    assert_eq!(reported("snap.far").len(), 1);
    tokio::time::advance(Duration::from_secs(120)).await;
    assert!(far.try_acquire().unwrap().is_trial());
}

#[circuit_breaker(name = "snap.long", recovery_timeout = "10m")]
fn long() -> io::Result<u32> {
    Ok(1)
}

/// A breaker that a restore creates has the defaults (open 60 s at most) until its call
/// site brings its own arguments: its restored period is judged against those, with no
/// false report.
#[tokio::test(start_paused = true)]
async fn a_restored_period_is_judged_by_the_call_sites_arguments() {
    let saved = BreakerSnapshot::new("snap.long", State::Open)
        .with_open_until(SystemTime::now() + Duration::from_secs(300));
    breakers::restore(&Snapshot::new(vec![saved]));
    assert!(long().is_err(), "still open");
    let breaker = breakers::get("snap.long").unwrap();
    let left = breaker.stats().until_half_open.unwrap();
    assert!(left > Duration::from_secs(299), "{left:?}");
    assert!(
        breakers::config_errors()
            .iter()
            .all(|e| !e.variable.contains("snap.long")),
        "{:#?}",
        breakers::config_errors()
    );
}

/// Issue 13, point 6, in the registry: a breaker the restore creates enters the registry
/// already restored, so no caller finds it closed first.
#[test]
fn a_breaker_created_by_a_restore_is_never_seen_closed() {
    for round in 0..200 {
        let name = format!("snap.race.{round}");
        std::thread::scope(|s| {
            s.spawn(|| {
                let breaker = loop {
                    if let Some(breaker) = breakers::get(&name) {
                        break breaker;
                    }
                    std::hint::spin_loop();
                };
                assert!(
                    breaker.try_acquire().is_err(),
                    "{name} let a call through while restored open"
                );
            });
            let saved = BreakerSnapshot::new(name.clone(), State::Open)
                .with_open_until(SystemTime::now() + Duration::from_secs(30));
            breakers::restore(&Snapshot::new(vec![saved]));
        });
    }
}
