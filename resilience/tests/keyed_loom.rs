//! Model-checks a keyed family's map with loom: its bound on the keys alive (a count
//! reserved with a compare-and-swap before a key is inserted, given back when it is evicted
//! or its insertion lost a race), and the race of two first calls for one key. Eviction
//! depends on the clock, which a loom model cannot (the model must be deterministic): it is
//! tested under tokio's paused clock and in a stress test, in the crate's unit tests.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p resilience --release --test keyed_loom
//! ```
#![cfg(loom)]

use std::{sync::Arc, time::Duration};

use loom::thread;
use resilience::{BreakerConfig, KeyedBreaker, KeyedConfig};

fn family(max_keys: usize) -> Arc<KeyedBreaker> {
    Arc::new(KeyedBreaker::new(
        "loom",
        BreakerConfig::new(),
        KeyedConfig::new()
            .with_max_keys(max_keys)
            // Long: no sweep is due while a model runs, which reads the real clock.
            .with_idle_timeout(Duration::from_secs(3_600)),
    ))
}

/// Two first calls for two keys, room for one: one key gets its breaker, the other call
/// goes through the family's own; never two keys alive.
#[test]
fn the_bound_holds_when_two_new_keys_race() {
    loom::model(|| {
        let family = family(1);
        let handles: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|key| {
                let family = Arc::clone(&family);
                thread::spawn(move || family.breaker(key).key().is_some())
            })
            .collect();
        let own: Vec<bool> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(own.iter().filter(|own| **own).count(), 1);
        assert_eq!(family.len(), 1);
        assert_eq!(family.keys().len(), 1);
    });
}

/// Two first calls for one key: both get the same breaker, made once.
#[test]
fn two_first_calls_for_one_key_share_its_breaker() {
    loom::model(|| {
        let family = family(4);
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let family = Arc::clone(&family);
                thread::spawn(move || family.breaker("a"))
            })
            .collect();
        let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(Arc::ptr_eq(&got[0], &got[1]));
        assert_eq!(family.len(), 1);
        assert_eq!(family.keys().len(), 1);
    });
}
