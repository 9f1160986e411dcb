//! The duration grammar against the one corpus every front door shares.

use std::time::Duration;

use resilience_settings::{corpus::DURATIONS, duration};

#[test]
fn the_corpus_reads_as_it_says() {
    for (text, expected) in DURATIONS {
        match (duration::parse_nanos(text), expected) {
            (Ok(nanos), Ok(want)) => assert_eq!(nanos, *want, "{text:?}"),
            (Err(err), Err(says)) => {
                assert!(err.to_string().contains(says), "{text:?}: {err}")
            }
            (got, want) => panic!("{text:?}: got {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn formats_what_it_parses() {
    for nanos in [
        0,
        1,
        999,
        1_000,
        1_500_000_000,
        60_000_000_000,
        90_000_000_000,
        u64::MAX,
    ] {
        let d = Duration::from_nanos(nanos);
        assert_eq!(duration::parse(&duration::format(d)), Ok(d), "{nanos}");
    }
    for (text, _) in DURATIONS.iter().filter(|(_, r)| r.is_ok()) {
        let d = duration::parse(text).unwrap();
        assert_eq!(duration::parse(&duration::format(d)), Ok(d), "{text}");
    }
    assert_eq!(duration::format(Duration::from_secs(7200)), "2h");
    assert_eq!(duration::format(Duration::from_micros(3)), "3us");
    assert_eq!(
        duration::format(Duration::MAX),
        duration::format(Duration::from_nanos(u64::MAX))
    );
}

#[test]
fn every_check_names_its_setting_and_never_panics() {
    use resilience_settings::{breaker, budget, retry, timeout};
    let numbers = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -1.0,
        0.0,
        0.5,
        1.0,
        2.0,
        1e300,
    ];
    for x in numbers {
        for (key, result) in [
            ("failure_rate", breaker::failure_rate(x).err()),
            ("recovery_backoff", breaker::recovery_backoff(x).err()),
            ("adaptive", breaker::adaptive(x).err()),
            ("multiplier", retry::multiplier(x).err()),
            ("jitter", retry::jitter_fraction(x).err()),
            ("ratio", budget::ratio(x).err()),
        ] {
            if let Some(err) = result {
                assert_eq!(err.key(), key);
                assert!(err.message().contains(&format!("`{key}`")), "{err}");
            }
        }
    }
    for n in [i128::MIN, -1, 0, 1, i128::from(u32::MAX), i128::MAX] {
        let _ = breaker::failure_threshold(n);
        let _ = breaker::window_calls(n);
        let _ = retry::max_attempts(n);
        let _ = budget::min_retries_per_second(n);
    }
    for d in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
        let _ = breaker::window_time(d);
        let _ = breaker::max_recovery_timeout_within(d, Some(Duration::MAX));
        let _ = retry::initial_delay_within_max_delay(Duration::MAX, Some(d));
        let _ = timeout::limit(d);
        let _ = budget::window(d);
    }
}
