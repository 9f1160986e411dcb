//! The `metrics` feature's counters, gauge and histogram, caught by a small hand-written
//! recorder: their names, labels and values. Run with `cargo test -p resilience --all-features`.
#![cfg(feature = "metrics")]

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use resilience::{BreakerConfig, CircuitBreaker, RetryPolicy, State, observe, retry, timeout};

/// A metric's identity as the tests write it: `name{label=value,...}`, labels sorted.
fn id(key: &Key) -> String {
    let mut labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

/// Keeps every counter, gauge and histogram it is asked for, by identity.
#[derive(Default)]
struct Catch {
    counters: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
    gauges: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<BTreeMap<String, Arc<Samples>>>,
}

impl Catch {
    fn counter(&self, id: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(id)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    fn gauge(&self, id: &str) -> Option<f64> {
        self.gauges
            .lock()
            .unwrap()
            .get(id)
            .map(|g| f64::from_bits(g.load(Ordering::Relaxed)))
    }

    fn histogram(&self, id: &str) -> Vec<f64> {
        self.histograms
            .lock()
            .unwrap()
            .get(id)
            .map_or_else(Vec::new, |h| h.0.lock().unwrap().clone())
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.counters.lock().unwrap().keys().cloned().collect();
        names.extend(self.gauges.lock().unwrap().keys().cloned());
        names.extend(self.histograms.lock().unwrap().keys().cloned());
        names
    }
}

impl Recorder for Catch {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.counters.lock().unwrap();
        Counter::from_arc(Arc::clone(counters.entry(id(key)).or_default()))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        let mut gauges = self.gauges.lock().unwrap();
        Gauge::from_arc(Arc::clone(gauges.entry(id(key)).or_default()))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self.histograms.lock().unwrap();
        Histogram::from_arc(Arc::clone(histograms.entry(id(key)).or_default()))
    }
}

#[derive(Debug)]
struct Busy;

#[retry(name = "metrics.load", max_attempts = 3, initial_delay = "2ms", jitter = none)]
fn load(failures: &mut u32) -> Result<(), Busy> {
    if *failures > 0 {
        *failures -= 1;
        Err(Busy)
    } else {
        Ok(())
    }
}

#[test]
fn retried_calls_count_by_outcome_with_attempts_retries_and_delays() {
    let catch = Catch::default();
    metrics::with_local_recorder(&catch, || {
        for failures in [0, 0, 1, 5] {
            let _ = load(&mut { failures });
        }
    });
    let f = "function=metrics.load";
    assert_eq!(
        catch.counter(&format!(
            "resilience_retry_calls_total{{{f},outcome=first_try}}"
        )),
        2
    );
    assert_eq!(
        catch.counter(&format!(
            "resilience_retry_calls_total{{{f},outcome=after_retries}}"
        )),
        1
    );
    assert_eq!(
        catch.counter(&format!(
            "resilience_retry_calls_total{{{f},outcome=gave_up}}"
        )),
        1
    );
    assert_eq!(
        catch.counter(&format!("resilience_retry_attempts_total{{{f}}}")),
        1 + 1 + 2 + 3
    );
    assert_eq!(
        catch.counter(&format!("resilience_retry_retries_total{{{f}}}")),
        1 + 2
    );
    assert_eq!(
        catch.histogram(&format!("resilience_retry_delay_seconds{{{f}}}")),
        [0.002, 0.002, 0.004]
    );
    assert_eq!(observe::RETRY_CALLS, "resilience_retry_calls_total");
}

#[test]
fn the_plain_api_is_labelled_with_its_name_or_anonymous() {
    let catch = Catch::default();
    metrics::with_local_recorder(&catch, || {
        let _ = RetryPolicy::new()
            .retrying()
            .named("metrics.plain")
            .call(|| Ok::<_, Busy>(()));
        let _ = RetryPolicy::new().call(|| Ok::<_, Busy>(()));
    });
    assert_eq!(
        catch.counter("resilience_retry_calls_total{function=metrics.plain,outcome=first_try}"),
        1
    );
    assert_eq!(
        catch.counter("resilience_retry_calls_total{function=anonymous,outcome=first_try}"),
        1
    );
}

#[test]
fn breaker_state_is_a_gauge_and_rejections_and_transitions_are_counted() {
    let catch = Catch::default();
    let breaker = CircuitBreaker::new(
        "metrics.breaker",
        BreakerConfig::new().with_failure_threshold(1),
    );
    let b = "breaker=metrics.breaker";
    metrics::with_local_recorder(&catch, || {
        let _ = breaker.call(|| Err::<(), _>(resilience::Error::timeout("x", Duration::ZERO)));
        assert_eq!(breaker.state(), State::Open);
        for _ in 0..3 {
            assert!(breaker.call(|| Ok::<(), resilience::Error>(())).is_err());
        }
    });
    assert_eq!(
        catch.gauge(&format!("resilience_breaker_state{{{b}}}")),
        Some(1.0)
    );
    assert_eq!(
        catch.counter(&format!("resilience_breaker_rejections_total{{{b}}}")),
        3
    );
    assert_eq!(
        catch.counter(&format!(
            "resilience_breaker_transitions_total{{{b},from=closed,to=open}}"
        )),
        1
    );
    metrics::with_local_recorder(&catch, || breaker.reset());
    assert_eq!(
        catch.gauge(&format!("resilience_breaker_state{{{b}}}")),
        Some(0.0)
    );
}

#[resilience::circuit_breaker(name = "metrics.fresh")]
fn fresh() -> Result<(), resilience::Error> {
    Ok(())
}

#[test]
fn a_registered_breaker_reads_closed_before_it_ever_changes_state() {
    let catch = Catch::default();
    let id = "resilience_breaker_state{breaker=metrics.fresh}";
    metrics::with_local_recorder(&catch, || fresh().unwrap());
    assert_eq!(
        catch.gauge(id),
        Some(0.0),
        "set when the call site created it"
    );

    let configured = "resilience_breaker_state{breaker=metrics.configured}";
    metrics::with_local_recorder(&catch, || {
        resilience::breakers::configure("metrics.configured", BreakerConfig::new())
    });
    assert_eq!(
        catch.gauge(configured),
        Some(0.0),
        "set when configured first"
    );
}

#[test]
fn timeouts_are_counted_by_name() {
    let catch = Catch::default();
    metrics::with_local_recorder(&catch, || {
        let result: Result<(), resilience::Error> =
            timeout::timeout_sync("metrics.slow", Duration::from_millis(10), || {
                std::thread::sleep(Duration::from_millis(200));
                Ok(())
            });
        assert!(result.is_err());
    });
    assert_eq!(
        catch.counter("resilience_timeouts_total{function=metrics.slow}"),
        1
    );
}

#[retry(
    name = "metrics.budget",
    max_attempts = 3,
    initial_delay = "1ms",
    budget = "metrics.empty"
)]
fn over_budget() -> Result<(), Busy> {
    Err(Busy)
}

#[retry(name = "metrics.rejected", max_attempts = 3, initial_delay = "1ms")]
#[resilience::circuit_breaker(name = "metrics.rejected", failure_threshold = 1)]
fn rejected() -> Result<(), resilience::Error> {
    Err(resilience::Error::timeout("x", Duration::ZERO))
}

#[test]
fn calls_ended_by_the_budget_or_a_rejection_are_counted() {
    resilience::budgets::configure(
        "metrics.empty",
        resilience::BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(0),
    );
    let catch = Catch::default();
    metrics::with_local_recorder(&catch, || {
        let _ = over_budget();
        let _ = over_budget();
        let _ = rejected();
    });
    assert_eq!(
        catch.counter("resilience_retry_budget_exhausted_total{function=metrics.budget}"),
        2
    );
    assert_eq!(
        catch.counter("resilience_retry_circuit_open_total{function=metrics.rejected}"),
        1
    );
}

#[test]
fn every_name_follows_prometheus_conventions() {
    let catch = Catch::default();
    metrics::with_local_recorder(&catch, || {
        let _ = load(&mut 1);
        let breaker = CircuitBreaker::new(
            "metrics.names",
            BreakerConfig::new().with_failure_threshold(1),
        );
        let _ = breaker.call(|| Err::<(), _>(resilience::Error::timeout("x", Duration::ZERO)));
        let _ = breaker.call(|| Ok::<(), resilience::Error>(()));
    });
    for id in catch.names() {
        let name = id.split('{').next().unwrap();
        assert!(name.starts_with("resilience_"), "{name}");
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{name}: snake case"
        );
        assert!(
            name.ends_with("_total") || name.ends_with("_seconds") || name.ends_with("_state"),
            "{name}: a unit or _total suffix"
        );
    }
}

/// A keyed family's series name the family alone unless it opts in: a label per key would
/// give the backend a series per host or tenant.
#[test]
fn a_keyed_family_counts_its_keys_by_state_and_names_keys_only_when_asked() {
    use resilience::{KeyedBreaker, KeyedConfig};
    let catch = Catch::default();
    let fail = || Err::<(), _>(resilience::Error::timeout("x", Duration::ZERO));
    let config = BreakerConfig::new().with_failure_threshold(1);
    let quiet = KeyedBreaker::new("metrics.keyed", config, KeyedConfig::new().with_max_keys(2));
    let labelled = KeyedBreaker::new(
        "metrics.labelled",
        config,
        KeyedConfig::new().with_key_labels(true),
    );
    metrics::with_local_recorder(&catch, || {
        let _ = quiet.call("eu-1", fail);
        quiet
            .call("eu-2", || Ok::<(), resilience::Error>(()))
            .unwrap();
        assert!(
            quiet
                .call("eu-1", || Ok::<(), resilience::Error>(()))
                .is_err()
        );
        quiet.breaker("eu-3"); // full: the family's own breaker
        let _ = labelled.call("eu-1", fail);
    });
    let b = "breaker=metrics.keyed";
    assert_eq!(
        catch.gauge(&format!("resilience_breaker_keys{{{b},state=open}}")),
        Some(1.0)
    );
    assert_eq!(
        catch.gauge(&format!("resilience_breaker_keys{{{b},state=closed}}")),
        Some(1.0)
    );
    assert_eq!(
        catch.counter(&format!("resilience_breaker_rejections_total{{{b}}}")),
        1
    );
    assert_eq!(
        catch.counter(&format!(
            "resilience_breaker_transitions_total{{{b},from=closed,to=open}}"
        )),
        1
    );
    assert_eq!(
        catch.counter(&format!("resilience_breaker_key_overflow_total{{{b}}}")),
        1
    );
    let quiet_names: Vec<String> = catch
        .names()
        .into_iter()
        .filter(|n| n.contains(b) && n.contains("key="))
        .collect();
    assert!(quiet_names.is_empty(), "a key as a label: {quiet_names:?}");
    let l = "breaker=metrics.labelled,key=eu-1";
    assert_eq!(
        catch.gauge(&format!("resilience_breaker_state{{{l}}}")),
        Some(1.0)
    );
    assert_eq!(
        catch.counter(
            "resilience_breaker_transitions_total{breaker=metrics.labelled,from=closed,key=eu-1,to=open}"
        ),
        1
    );
}
