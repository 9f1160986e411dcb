//! The `tracing` feature's events, caught by a small hand-written subscriber: their names,
//! levels and fields for retries, give-ups, breaker state changes, rejections and timeouts.
//! Run with `cargo test -p resilience --all-features`.
#![cfg(feature = "tracing")]

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use resilience::{BreakerConfig, CircuitBreaker, RetryPolicy, retry, timeout};
use tracing::{
    Event, Metadata, Subscriber,
    field::{Field, Visit},
    span,
    subscriber::Interest,
};

/// One event as caught: its name, level, target and fields as text.
#[derive(Debug, Clone)]
struct Caught {
    name: &'static str,
    level: tracing::Level,
    target: &'static str,
    fields: BTreeMap<&'static str, String>,
}

impl Caught {
    fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("event `{}` has no field `{name}`: {self:?}", self.name))
    }
}

/// Keeps every event; spans are not used by the crate.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Caught>>>);

impl Collector {
    fn named(&self, name: &str) -> Vec<Caught> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.name == name)
            .cloned()
            .collect()
    }

    /// Runs `f` with this collector as the thread's subscriber.
    fn catch<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::subscriber::with_default(self.clone(), f)
    }
}

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
}

impl Subscriber for Collector {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Asked again for each event: other tests' threads have no subscriber.
        Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let meta = event.metadata();
        self.0.lock().unwrap().push(Caught {
            name: meta.name(),
            level: *meta.level(),
            target: meta.target(),
            fields,
        });
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

#[derive(Debug)]
#[allow(dead_code, reason = "read through `Debug`, in the events")]
enum DbError {
    Busy { retry: u32 },
}

#[retry(name = "tracing.query", max_attempts = 3, initial_delay = "1ms", jitter = none)]
fn query() -> Result<(), DbError> {
    Err(DbError::Busy { retry: 7 })
}

#[test]
fn each_retry_and_the_give_up_are_events_with_the_error_s_debug_text() {
    let collector = Collector::default();
    let result = collector.catch(query);
    assert!(result.is_err());

    let retries = collector.named("resilience.retry");
    assert_eq!(retries.len(), 2, "{retries:?}");
    for (retry, (attempt, delay_ms)) in retries.iter().zip([("1", "1"), ("2", "2")]) {
        assert_eq!(retry.target, "resilience");
        assert_eq!(retry.level, tracing::Level::INFO);
        assert_eq!(retry.field("function"), "tracing.query");
        assert_eq!(retry.field("attempt"), attempt);
        assert_eq!(retry.field("delay_ms"), delay_ms);
        assert_eq!(retry.field("error"), "Busy { retry: 7 }");
    }

    let give_ups = collector.named("resilience.give_up");
    assert_eq!(give_ups.len(), 1);
    let give_up = &give_ups[0];
    assert_eq!(give_up.level, tracing::Level::WARN);
    assert_eq!(give_up.field("function"), "tracing.query");
    assert_eq!(give_up.field("attempts"), "3");
    assert_eq!(give_up.field("reason"), "exhausted");
    assert_eq!(give_up.field("error"), "Busy { retry: 7 }");
}

/// No `Debug`: the events name the type instead.
struct Opaque;

fn never(_: &Opaque) -> bool {
    false
}

#[retry(when = never)]
fn opaque() -> Result<(), Opaque> {
    Err(Opaque)
}

#[test]
fn an_error_without_debug_is_described_by_its_type_name() {
    let collector = Collector::default();
    let _ = collector.catch(opaque);
    let give_ups = collector.named("resilience.give_up");
    assert_eq!(give_ups.len(), 1);
    assert_eq!(give_ups[0].field("function"), "observe_tracing::opaque");
    assert_eq!(give_ups[0].field("reason"), "not_retryable");
    assert_eq!(give_ups[0].field("error"), "observe_tracing::Opaque");
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn generic<E>(error: fn() -> E) -> Result<(), E> {
    Err(error())
}

#[test]
fn a_generic_error_type_is_described_by_its_type_name() {
    let collector = Collector::default();
    let _ = collector.catch(|| generic(|| DbError::Busy { retry: 1 }));
    let retries = collector.named("resilience.retry");
    assert_eq!(retries.len(), 1);
    // The attribute sees `E`, not `DbError`: no `Debug` bound is known there.
    assert_eq!(retries[0].field("error"), "observe_tracing::DbError");
}

#[test]
fn the_plain_api_reports_its_name_or_anonymous() {
    let collector = Collector::default();
    collector.catch(|| {
        let policy = RetryPolicy::new()
            .with_max_attempts(2)
            .with_initial_delay(Duration::ZERO);
        let _ = policy
            .retrying()
            .named("tracing.plain")
            .call(|| Err::<(), _>(5u8));
        let _ = policy.call(|| Err::<(), _>(5u8));
    });
    let functions: Vec<String> = collector
        .named("resilience.retry")
        .iter()
        .map(|e| e.field("function").to_owned())
        .collect();
    assert_eq!(functions, ["tracing.plain", "anonymous"]);
    assert_eq!(
        collector.named("resilience.give_up")[0].field("error"),
        "u8"
    );
}

#[test]
fn a_success_logs_nothing() {
    let collector = Collector::default();
    collector.catch(|| RetryPolicy::new().call(|| Ok::<_, ()>(())).unwrap());
    assert!(collector.0.lock().unwrap().is_empty());
}

#[test]
fn breaker_state_changes_and_rejections_are_events() {
    let collector = Collector::default();
    let breaker = CircuitBreaker::new(
        "tracing.breaker",
        BreakerConfig::new().with_failure_threshold(1),
    );
    collector.catch(|| {
        let _ = breaker.call(|| Err::<(), _>(resilience::Error::timeout("x", Duration::ZERO)));
        let rejected = breaker.call(|| Ok::<(), resilience::Error>(()));
        assert!(rejected.is_err());
        breaker.reset();
    });

    let changes = collector.named("resilience.breaker.state_change");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        changes[0].level,
        tracing::Level::WARN,
        "opening is a warning"
    );
    assert_eq!(changes[0].field("breaker"), "tracing.breaker");
    assert_eq!(changes[0].field("from"), "closed");
    assert_eq!(changes[0].field("to"), "open");
    assert_eq!(changes[0].field("reason"), "1 failure");
    assert_eq!(changes[1].level, tracing::Level::INFO);
    assert_eq!(
        (
            changes[1].field("from"),
            changes[1].field("to"),
            changes[1].field("reason")
        ),
        ("open", "closed", "reset")
    );

    let rejections = collector.named("resilience.breaker.rejected");
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].level, tracing::Level::DEBUG);
    assert_eq!(rejections[0].field("breaker"), "tracing.breaker");
    let left: u64 = rejections[0].field("retry_in_ms").parse().unwrap();
    assert!(
        left > 50_000,
        "about the 60 s recovery timeout, found {left} ms"
    );
}

#[test]
fn a_timeout_is_an_event_with_its_name_and_limit() {
    let collector = Collector::default();
    let result: Result<(), resilience::Error> = collector.catch(|| {
        timeout::timeout_sync("tracing.slow", Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(300));
            Ok(())
        })
    });
    assert!(result.is_err());
    let timeouts = collector.named("resilience.timeout");
    assert_eq!(timeouts.len(), 1);
    assert_eq!(timeouts[0].level, tracing::Level::WARN);
    assert_eq!(timeouts[0].field("function"), "tracing.slow");
    assert_eq!(timeouts[0].field("limit_ms"), "20");
}

#[retry(
    name = "tracing.budget",
    max_attempts = 3,
    initial_delay = "1ms",
    jitter = none,
    budget = "tracing.empty"
)]
fn over_budget() -> Result<(), DbError> {
    Err(DbError::Busy { retry: 1 })
}

#[test]
fn a_refused_retry_and_a_rejection_say_why_the_call_gave_up() {
    resilience::budgets::configure(
        "tracing.empty",
        resilience::BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(0),
    );
    let collector = Collector::default();
    let _ = collector.catch(over_budget);
    let give_ups = collector.named("resilience.give_up");
    assert_eq!(give_ups.len(), 1);
    assert_eq!(give_ups[0].field("reason"), "budget");
    assert_eq!(give_ups[0].field("attempts"), "1");

    // The first attempt fails and opens the breaker stacked below; the second is rejected,
    // with no trial for 60 s: the call gives up at once.
    let collector = Collector::default();
    let _ = collector.catch(stacked);
    let give_ups = collector.named("resilience.give_up");
    assert_eq!(give_ups.len(), 1);
    assert_eq!(give_ups[0].field("reason"), "circuit_open");
    assert_eq!(give_ups[0].field("attempts"), "2");
}

#[retry(name = "tracing.stacked", max_attempts = 3, initial_delay = "1ms")]
#[resilience::circuit_breaker(name = "tracing.stacked", failure_threshold = 1)]
fn stacked() -> Result<(), resilience::Error> {
    Err(resilience::Error::timeout("x", std::time::Duration::ZERO))
}

#[resilience::circuit_breaker(name = "tracing.shared", failure_threshold = 2)]
fn shared_first() -> Result<(), resilience::Error> {
    Ok(())
}

#[resilience::circuit_breaker(name = "tracing.shared", failure_threshold = 3)]
fn shared_second() -> Result<(), resilience::Error> {
    Ok(())
}

#[test]
fn configuration_that_cannot_be_used_is_a_warning_event() {
    let collector = Collector::default();
    collector.catch(|| {
        shared_first().unwrap();
        shared_second().unwrap();
    });
    let reports = collector.named("resilience.config");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].level, tracing::Level::WARN);
    assert_eq!(reports[0].target, "resilience");
    assert_eq!(reports[0].field("source"), "call_sites");
    assert!(reports[0].field("message").contains("`tracing.shared`"));
}

#[test]
fn a_keys_events_name_it_only_when_its_family_asks() {
    use resilience::{KeyedBreaker, KeyedConfig};
    let collector = Collector::default();
    let fail = || Err::<(), _>(resilience::Error::timeout("x", Duration::ZERO));
    let config = BreakerConfig::new().with_failure_threshold(1);
    let quiet = KeyedBreaker::new("tracing.keyed", config, KeyedConfig::new());
    let labelled = KeyedBreaker::new(
        "tracing.labelled",
        config,
        KeyedConfig::new().with_key_labels(true),
    );
    collector.catch(|| {
        let _ = quiet.call("tenant-42", fail);
        let _ = labelled.call("eu-1", fail);
    });
    let changes = collector.named("resilience.breaker.state_change");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].field("breaker"), "tracing.keyed");
    assert!(!changes[0].fields.contains_key("key"), "{:?}", changes[0]);
    assert!(!format!("{:?}", changes[0]).contains("tenant-42"));
    assert_eq!(changes[1].field("breaker"), "tracing.labelled");
    assert_eq!(changes[1].field("key"), "eu-1");
}

#[derive(Debug)]
struct Throttled;

impl resilience::RetryAfter for Throttled {
    fn retry_after(&self) -> Option<Duration> {
        Some(Duration::from_secs(120))
    }
}

#[test]
fn a_retry_after_cut_to_its_cap_is_an_event() {
    let collector = Collector::default();
    let _ = collector.catch(|| {
        RetryPolicy::new()
            .with_max_attempts(2)
            .with_max_retry_after(Duration::from_millis(1))
            .retrying()
            .named("tracing.cut")
            .honor_retry_after()
            .call(|| Err::<(), _>(Throttled))
    });
    let cuts = collector.named("resilience.retry_after_cut");
    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert_eq!(cuts[0].level, tracing::Level::WARN);
    assert_eq!(cuts[0].field("function"), "tracing.cut");
    assert_eq!(cuts[0].field("requested_ms"), "120000");
    assert_eq!(cuts[0].field("cap_ms"), "1");
    // The retry slept the cap, as its event says.
    assert_eq!(
        collector.named("resilience.retry")[0].field("delay_ms"),
        "1"
    );
}
