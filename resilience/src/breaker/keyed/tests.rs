use std::{
    collections::HashSet,
    sync::{Arc, Barrier, Mutex},
    thread,
    time::Duration,
};

use tokio::time::advance;

use super::*;

type R = Result<(), Error>;

fn fail() -> R {
    Err(Error::timeout("dep", Duration::from_secs(1)))
}

fn ok() -> R {
    Ok(())
}

const IDLE: Duration = Duration::from_secs(60);

fn family(config: BreakerConfig, max_keys: usize) -> KeyedBreaker {
    KeyedBreaker::new(
        "t",
        config,
        KeyedConfig::new()
            .with_max_keys(max_keys)
            .with_idle_timeout(IDLE),
    )
}

fn keys(family: &KeyedBreaker) -> Vec<String> {
    let mut keys: Vec<_> = family.keys().iter().map(|k| k.to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn one_failing_key_opens_its_own_breaker_only() {
    let shards = family(BreakerConfig::new().with_failure_threshold(2), 100);
    for _ in 0..2 {
        let _ = shards.call("dead", fail);
        shards.call("alive", ok).unwrap();
    }
    assert_eq!(shards.get("dead").unwrap().state(), State::Open);
    assert!(matches!(
        shards.call("dead", ok),
        Err(Error::CircuitOpen { .. })
    ));
    shards.call("alive", ok).unwrap();
    shards.call("new", ok).unwrap();
    assert_eq!(shards.get("alive").unwrap().state(), State::Closed);
    let stats = shards.stats();
    assert_eq!((stats.keys, stats.open, stats.closed), (3, 1, 2));
    assert_eq!(shards.overflow().state(), State::Closed);
}

#[test]
fn a_key_is_known_by_its_text() {
    let shards = family(BreakerConfig::new(), 100);
    let a = shards.breaker(&7u32);
    assert!(Arc::ptr_eq(&a, &shards.breaker("7")));
    assert!(Arc::ptr_eq(&a, &shards.breaker(&String::from("7"))));
    assert!(Arc::ptr_eq(&a, &shards.get(&7i64).unwrap()));
    // Long keys are stored whole.
    let long = "h".repeat(200);
    assert_eq!(shards.breaker(&long).key(), Some(long.as_str()));
    assert_eq!(keys(&shards), ["7", long.as_str()]);
}

#[test]
fn a_full_family_sends_new_keys_through_its_own_breaker() {
    let shards = family(BreakerConfig::new().with_failure_threshold(1), 2);
    shards.call("a", ok).unwrap();
    shards.call("b", ok).unwrap();
    // Full, nothing idle: "c" and "d" share the family's own breaker...
    let c = shards.breaker("c");
    assert!(std::ptr::eq(&*c, shards.overflow()));
    assert_eq!(c.key(), None);
    let _ = shards.call("c", fail);
    // ...which protects the dependency as one breaker for the name would,
    assert!(matches!(
        shards.call("d", ok),
        Err(Error::CircuitOpen { .. })
    ));
    // while the keys that have their own go on unaffected.
    shards.call("a", ok).unwrap();
    let stats = shards.stats();
    assert_eq!((stats.keys, stats.created, stats.overflowed), (2, 2, 3));
    assert_eq!(keys(&shards), ["a", "b"]);
}

#[tokio::test(start_paused = true)]
async fn an_idle_closed_key_is_evicted_after_the_idle_timeout_not_before() {
    let shards = family(BreakerConfig::new(), 100);
    shards.call("idle", ok).unwrap();
    shards.call("busy", ok).unwrap();
    advance(IDLE - Duration::from_millis(1)).await;
    assert_eq!(shards.evict_idle(), 0, "not idle for long enough yet");
    shards.call("busy", ok).unwrap();
    advance(Duration::from_millis(1)).await;
    assert_eq!(shards.evict_idle(), 1);
    assert_eq!(keys(&shards), ["busy"]);
    // "busy" was used one idle timeout ago at most: kept until one passes with no use.
    advance(IDLE - Duration::from_millis(1)).await;
    assert_eq!(shards.evict_idle(), 0);
    advance(Duration::from_millis(1)).await;
    assert_eq!(shards.evict_idle(), 1);
    assert!(shards.is_empty());
    let stats = shards.stats();
    assert_eq!((stats.created, stats.evicted), (2, 2));
    // The key's next call makes a new, closed breaker with no counts.
    shards.call("idle", ok).unwrap();
    assert_eq!(shards.get("idle").unwrap().stats().successes, 1);
}

#[tokio::test(start_paused = true)]
async fn an_open_key_is_kept_until_its_recovery_timeout() {
    let recovery = Duration::from_secs(600); // longer than the idle timeout
    let shards = family(
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(recovery),
        100,
    );
    let _ = shards.call("dead", fail);
    advance(IDLE * 2).await;
    assert_eq!(shards.evict_idle(), 0, "open, idle: kept");
    assert_eq!(shards.get("dead").unwrap().state(), State::Open);
    advance(recovery - IDLE * 2).await;
    // Its open period over, its next call would be a trial: a new breaker's first call is as
    // good.
    assert_eq!(shards.evict_idle(), 1);
}

#[tokio::test(start_paused = true)]
async fn operator_states_and_held_breakers_are_never_evicted() {
    let shards = family(
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_secs(1)),
        100,
    );
    shards.breaker("forced").force_open();
    shards.breaker("disabled").disable();
    let held = shards.breaker("held");
    // A half-open breaker whose trial is running: its permit holds the breaker.
    let _ = shards.call("trial", fail);
    advance(Duration::from_secs(1)).await;
    let trial = shards.breaker("trial");
    let permit = trial.try_acquire().unwrap();
    assert_eq!(trial.state(), State::HalfOpen);
    advance(IDLE * 10).await;
    assert_eq!(shards.evict_idle(), 0);
    assert_eq!(keys(&shards), ["disabled", "forced", "held", "trial"]);
    permit.success();
    drop((trial, held));
    advance(IDLE).await;
    assert_eq!(shards.evict_idle(), 2, "the trial's and the held one");
    assert_eq!(keys(&shards), ["disabled", "forced"]);
}

#[tokio::test(start_paused = true)]
async fn a_full_family_evicts_idle_keys_to_make_room() {
    let shards = family(BreakerConfig::new(), 3);
    for key in ["a", "b", "c"] {
        shards.call(key, ok).unwrap();
    }
    assert!(std::ptr::eq(&*shards.breaker("d"), shards.overflow()));
    // A sweep notes when each key was last seen used (the keys were used since the last
    // one); whatever the shards the keys fall in, which the family's random seed picks.
    assert_eq!(shards.evict_idle(), 0);
    advance(IDLE).await;
    shards.call("a", ok).unwrap(); // used: kept
    // A new key sweeps its shard, and the whole family (at most every quarter of the idle
    // timeout) if that made no room: at least one idle key gives way, never the used one.
    let d = shards.breaker("d");
    assert_eq!(d.key(), Some("d"));
    let now = keys(&shards);
    assert!(now.len() <= 3 && now.contains(&"a".to_owned()), "{now:?}");
    // An explicit sweep takes what is still idle.
    shards.evict_idle();
    assert_eq!(keys(&shards), ["a", "d"]);
    let stats = shards.stats();
    assert_eq!((stats.evicted, stats.overflowed), (2, 1));
}

#[test]
fn the_familys_switches_apply_to_every_key_and_to_keys_made_later() {
    let shards = family(BreakerConfig::new(), 100);
    let a = shards.breaker("a");
    shards.force_open();
    assert_eq!(a.state(), State::ForcedOpen);
    assert_eq!(shards.breaker("b").state(), State::ForcedOpen);
    assert_eq!(shards.overflow().state(), State::ForcedOpen);
    shards.disable();
    assert_eq!(shards.breaker("c").state(), State::Disabled);
    assert_eq!(a.state(), State::Disabled);
    shards.reset();
    assert_eq!(shards.stats().closed, 3);
    assert_eq!(shards.breaker("d").state(), State::Closed);
    // One key's switch is its own.
    shards.breaker("a").force_open();
    assert_eq!(shards.breaker("b").state(), State::Closed);
    shards.reconfigure(BreakerConfig::new().with_failure_threshold(1));
    assert_eq!(shards.breaker("e").config().failure_threshold(), 1);
    assert_eq!(shards.get("b").unwrap().config().failure_threshold(), 1);
    assert_eq!(shards.config().failure_threshold(), 1);
}

#[test]
fn listeners_hear_each_keys_changes_with_its_key() {
    let shards = family(BreakerConfig::new().with_failure_threshold(1), 1);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    shards.on_state_change(move |c| {
        log.lock().unwrap().push((
            c.breaker.to_string(),
            c.key.as_deref().map(str::to_owned),
            c.to,
        ))
    });
    let _ = shards.call("eu-1", fail);
    let _ = shards.call("overflowed", fail);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("t".to_owned(), Some("eu-1".to_owned()), State::Open),
            ("t".to_owned(), None, State::Open),
        ]
    );
}

#[test]
fn key_stats_name_their_key() {
    let shards = family(BreakerConfig::new(), 100);
    shards.call("a", ok).unwrap();
    let _ = shards.call("b", fail);
    let mut stats = shards.key_stats();
    stats.sort_by(|x, y| x.key.cmp(&y.key));
    let got: Vec<_> = stats
        .iter()
        .map(|s| (s.key.as_deref().unwrap(), s.successes, s.failures))
        .collect();
    assert_eq!(got, [("a", 1, 0), ("b", 0, 1)]);
    assert!(stats.iter().all(|s| &*s.name == "t"));
}

#[test]
fn a_keys_counts_are_compact() {
    let shards = family(BreakerConfig::new(), 100);
    let key = shards.breaker("a");
    assert_eq!(key.counters.stripes.len(), 1);
    let own = shards.overflow();
    assert_eq!(own.counters.stripes.len(), crate::stripes::STRIPES);
    // Every thread adds to the one stripe.
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1_000 {
                    shards.call("a", ok).unwrap();
                }
            });
        }
    });
    assert_eq!(key.stats().successes, 4_000);
}

/// Many threads over many keys, more than the family holds, while idle keys are evicted:
/// never more keys alive than the maximum, every call counted by the breaker it went
/// through, and no open breaker evicted.
#[test]
fn stress_many_keys_from_many_threads() {
    const THREADS: usize = 8;
    const CALLS: usize = 4_000;
    const MAX: usize = 200;
    let shards = Arc::new(KeyedBreaker::new(
        "stress",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_secs(3_600)),
        KeyedConfig::new()
            .with_max_keys(MAX)
            // Real time here: short, so that keys are evicted while the threads run.
            .with_idle_timeout(Duration::from_millis(1)),
    ));
    let opened = Arc::new(Mutex::new(HashSet::new()));
    let log = Arc::clone(&opened);
    shards.on_state_change(move |c| {
        if let (Some(key), State::Open) = (&c.key, c.to) {
            log.lock().unwrap().insert(key.to_string());
        }
    });
    // Counts of the breakers evicted, as they are evicted: kept by the callers' `Arc`s.
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (shards, done) = (Arc::clone(&shards), Arc::clone(&done));
        thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(shards.len());
                shards.evict_idle();
            }
            most
        })
    };
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (shards, barrier) = (Arc::clone(&shards), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let (mut ok_calls, mut rejected) = (0u64, 0u64);
                for i in 0..CALLS {
                    // Keys 0..1000, a few of them failing ("bad").
                    let n = (i * 7 + t * 131) % 1_000;
                    let key = if n % 97 == 0 {
                        format!("bad-{n}")
                    } else {
                        format!("k-{n}")
                    };
                    let breaker = shards.breaker(&key);
                    let result = if key.starts_with("bad") {
                        breaker.call(fail)
                    } else {
                        breaker.call(ok)
                    };
                    match result {
                        Ok(()) => ok_calls += 1,
                        Err(Error::CircuitOpen { .. }) => rejected += 1,
                        Err(_) => {}
                    }
                }
                (ok_calls, rejected)
            })
        })
        .collect();
    barrier.wait();
    let (mut successes, mut rejections) = (0, 0);
    for handle in handles {
        let (s, r) = handle.join().unwrap();
        successes += s;
        rejections += r;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = watcher.join().unwrap();
    assert!(most <= MAX, "{most} keys alive at once, over {MAX}");
    assert!(shards.len() <= MAX);
    let stats = shards.stats();
    assert_eq!(stats.created - stats.evicted, shards.len() as u64);
    assert!(stats.created > MAX as u64, "keys came and went: {stats:?}");
    // Every key that opened is still there, open: an hour from its recovery timeout.
    for key in opened.lock().unwrap().iter() {
        let breaker = shards
            .get(key)
            .unwrap_or_else(|| panic!("{key} evicted open"));
        assert_eq!(breaker.state(), State::Open, "{key}");
    }
    // The calls that went through the family's own breaker are counted there; the others
    // by their key's breaker, alive or evicted. What is alive cannot have counted more
    // than was made.
    let own = shards.overflow().stats();
    let alive: u64 = shards.key_stats().iter().map(|s| s.successes).sum();
    assert!(alive + own.successes <= successes);
    assert!(rejections >= own.rejections);
}

/// Without eviction, every call's count is in the family: the keys' breakers and its own.
#[test]
fn stress_counts_add_up() {
    const THREADS: usize = 8;
    const CALLS: u64 = 5_000;
    let shards = Arc::new(family(BreakerConfig::new(), 300));
    thread::scope(|s| {
        for t in 0..THREADS {
            let shards = &shards;
            s.spawn(move || {
                for i in 0..CALLS {
                    shards.call(&((i * 13 + t as u64) % 500), ok).unwrap();
                }
            });
        }
    });
    assert_eq!(shards.len(), 300);
    let alive: u64 = shards.key_stats().iter().map(|s| s.successes).sum();
    let own = shards.overflow().stats().successes;
    assert_eq!(alive + own, THREADS as u64 * CALLS);
    assert!(own > 0, "keys beyond the 300th overflowed");
    assert_eq!(shards.stats().created, 300);
}

#[test]
fn a_restore_into_a_full_family_restores_nothing_and_counts_no_overflowed_call() {
    let family = family(BreakerConfig::new(), 1);
    family.call("b", ok).unwrap();
    let restored = family.restore_quietly("a", State::Open, Duration::from_secs(5), 0);
    assert!(restored.is_none(), "no room for `a`");
    assert!(family.get("a").is_none());
    assert_eq!(family.stats().overflowed, 0, "a restore is not a call");
    // A key that is there is restored.
    let (breaker, _, _) = family
        .restore_quietly("b", State::Open, Duration::from_secs(5), 0)
        .expect("`b` has its breaker");
    assert_eq!(breaker.state(), State::Open);
}
