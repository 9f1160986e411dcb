//! `#[circuit_breaker(name = "..", key = ..)]`: one breaker per key through the attribute,
//! sync and async, stacked under `#[retry]`, with a fallback, and in the registry. Each test
//! names its own family, since the registry is global.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use resilience::{BreakerConfig, Error, KeyedConfig, State, breakers, circuit_breaker, retry};

fn outage() -> Error {
    Error::timeout("shard", Duration::from_secs(1))
}

#[circuit_breaker(name = "keyed.sync", key = shard, failure_threshold = 2)]
fn query(shard: u32, down: &[u32]) -> Result<u32, Error> {
    if down.contains(&shard) {
        Err(outage())
    } else {
        Ok(shard * 10)
    }
}

#[test]
fn a_dead_key_is_rejected_while_the_others_keep_answering() {
    let down = [3];
    for _ in 0..2 {
        assert!(query(3, &down).is_err());
        assert_eq!(query(1, &down), Ok(10));
    }
    assert!(matches!(query(3, &down), Err(Error::CircuitOpen { .. })));
    assert_eq!(query(1, &down), Ok(10));
    assert_eq!(query(2, &down), Ok(20));
    let family = breakers::keyed("keyed.sync").expect("made at the first call");
    assert_eq!(family.get(&3).unwrap().state(), State::Open);
    assert_eq!(family.get(&1).unwrap().stats().successes, 3);
    let stats = family.stats();
    assert_eq!((stats.keys, stats.open, stats.closed), (3, 1, 2));
    // The name's own breaker (what `breakers::get` gives) saw none of these calls.
    let own = breakers::get("keyed.sync").unwrap();
    assert_eq!((own.state(), own.stats().calls), (State::Closed, 0));
    // One key reset by an operator; then the whole family.
    family.get(&3).unwrap().reset();
    assert_eq!(query(3, &[]), Ok(30));
    family.force_open();
    assert!(matches!(query(1, &[]), Err(Error::CircuitOpen { .. })));
    assert!(matches!(query(9, &[]), Err(Error::CircuitOpen { .. })));
    family.reset();
    assert_eq!(query(9, &[]), Ok(90));
}

#[derive(Debug)]
struct Host(&'static str);

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

struct Client {
    calls: AtomicU32,
}

impl Client {
    #[circuit_breaker(name = "keyed.async", key = host, failure_threshold = 1, fallback = cached)]
    async fn get(&self, host: &Host, path: &str) -> Result<String, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if host.0.starts_with("down") {
            Err(outage())
        } else {
            Ok(format!("{host}{path}"))
        }
    }

    async fn cached(&self, host: &Host, path: &str) -> Result<String, Error> {
        Ok(format!("cached {host}{path}"))
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_method_with_a_fallback_per_key() {
    let client = Client {
        calls: AtomicU32::new(0),
    };
    assert!(client.get(&Host("down.example"), "/").await.is_err());
    assert_eq!(
        client.get(&Host("down.example"), "/").await.unwrap(),
        "cached down.example/"
    );
    assert_eq!(
        client.get(&Host("up.example"), "/a").await.unwrap(),
        "up.example/a"
    );
    assert_eq!(
        client.calls.load(Ordering::SeqCst),
        2,
        "the open key's call never ran"
    );
    let family = breakers::keyed("keyed.async").unwrap();
    // A key is known by its text: the operator looks it up as a string.
    assert_eq!(family.get("down.example").unwrap().state(), State::Open);
    // Past the recovery timeout (60 s by default), a trial goes through.
    tokio::time::advance(Duration::from_secs(60)).await;
    assert!(client.get(&Host("down.example"), "/").await.is_err());
    assert_eq!(client.calls.load(Ordering::SeqCst), 3);
}

static ATTEMPTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Each attempt picks the breaker of its key: the key moves to a replica after a failure.
#[retry(max_attempts = 3, initial_delay = "1ms", jitter = none)]
#[circuit_breaker(name = "keyed.retry", key = replicas[tries.fetch_add(1, Ordering::SeqCst) as usize % 2], failure_threshold = 1)]
fn read(replicas: &[&str; 2], tries: &AtomicU32) -> Result<&'static str, Error> {
    let n = tries.load(Ordering::SeqCst);
    ATTEMPTS
        .lock()
        .unwrap()
        .push(replicas[(n as usize - 1) % 2].to_string());
    if n == 1 { Err(outage()) } else { Ok("row") }
}

#[test]
fn under_retry_each_attempt_takes_its_keys_breaker() {
    let tries = AtomicU32::new(0);
    assert_eq!(read(&["primary", "replica"], &tries), Ok("row"));
    assert_eq!(*ATTEMPTS.lock().unwrap(), ["primary", "replica"]);
    let family = breakers::keyed("keyed.retry").unwrap();
    assert_eq!(family.get("primary").unwrap().state(), State::Open);
    assert_eq!(family.get("replica").unwrap().stats().successes, 1);
}

#[circuit_breaker(name = "keyed.full", key = tenant, max_keys = 2, failure_threshold = 1)]
fn serve(tenant: &str, fail: bool) -> Result<(), Error> {
    if fail { Err(outage()) } else { Ok(()) }
}

#[test]
fn a_full_family_routes_new_keys_through_the_names_breaker() {
    serve("a", false).unwrap();
    serve("b", false).unwrap();
    // Full: "c" and "d" share the name's breaker; "c"'s failure opens it for both.
    let _ = serve("c", true);
    assert!(matches!(serve("d", false), Err(Error::CircuitOpen { .. })));
    serve("a", false).unwrap();
    assert_eq!(breakers::get("keyed.full").unwrap().state(), State::Open);
    let stats = breakers::keyed("keyed.full").unwrap().stats();
    assert_eq!((stats.keys, stats.max_keys, stats.overflowed), (2, 2, 2));
}

#[test]
fn listeners_name_the_key_and_snapshots_keep_open_keys() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    breakers::on_state_change(move |change| {
        if &*change.breaker == "keyed.observed" {
            log.lock().unwrap().push(change.to_string());
        }
    });
    let family = breakers::configure_keyed(
        "keyed.observed",
        BreakerConfig::new().with_failure_threshold(1),
        KeyedConfig::new().with_max_keys(10),
    );
    let _ = family.call("eu-1", || Err::<(), _>(outage()));
    family.call("eu-2", || Ok::<_, Error>(())).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        ["circuit breaker `keyed.observed` key `eu-1`: closed -> open (1 failure)"]
    );
    let snapshot = breakers::snapshot();
    let saved: Vec<_> = snapshot
        .breakers
        .iter()
        .filter(|b| b.name == "keyed.observed")
        .map(|b| (b.key.clone(), b.state))
        .collect();
    // The name's own breaker, and the one key that is not closed.
    assert_eq!(
        saved,
        [
            (None, State::Closed),
            (Some("eu-1".to_string()), State::Open)
        ]
    );
    // Restored (after a restart, say), the key is open again.
    family.reset();
    breakers::restore(&snapshot);
    assert_eq!(family.get("eu-1").unwrap().state(), State::Open);
    assert_eq!(family.get("eu-2").unwrap().state(), State::Closed);
}

#[test]
fn configure_by_name_reaches_every_keys_breaker() {
    serve_configured("x").unwrap();
    breakers::configure(
        "keyed.configured",
        BreakerConfig::new().with_failure_threshold(7),
    );
    let family = breakers::keyed("keyed.configured").unwrap();
    assert_eq!(family.get("x").unwrap().config().failure_threshold(), 7);
    serve_configured("y").unwrap();
    assert_eq!(family.get("y").unwrap().config().failure_threshold(), 7);
}

#[circuit_breaker(name = "keyed.configured", key = tenant)]
fn serve_configured(tenant: &str) -> Result<(), Error> {
    let _ = tenant;
    Ok(())
}

/// Above a sync `#[timeout]`, whose body takes the arguments to its worker thread: the key
/// is read before they go.
#[circuit_breaker(name = "keyed.timeout", key = tenant)]
#[resilience::timeout("1s")]
fn owned(tenant: String, n: u32) -> Result<String, Error> {
    Ok(format!("{tenant}:{n}"))
}

#[test]
fn a_key_read_before_a_sync_timeout_takes_the_arguments() {
    assert_eq!(owned("acme".into(), 1).unwrap(), "acme:1");
    assert_eq!(owned("globex".into(), 2).unwrap(), "globex:2");
    let family = breakers::keyed("keyed.timeout").unwrap();
    assert_eq!(family.len(), 2);
}
