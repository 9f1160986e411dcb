//! Logs and metrics: what the engines report, under the cargo features `tracing` and
//! `metrics`. With neither feature, the hooks below are empty and nothing of either crate is
//! compiled in; [`retries`](crate::retries) and [`breakers`](crate::breakers) keep their own
//! counts either way.
//!
//! # Events (`tracing` feature)
//!
//! Every event has the target `resilience` and the name below, so a subscriber can filter on
//! either (`RUST_LOG=resilience=info` with `tracing-subscriber`'s `EnvFilter`).
//!
//! | name | level | fields |
//! |---|---|---|
//! | `resilience.retry` | `INFO` | `function`, `attempt` (the attempt that failed, 1 for the first), `delay_ms` (the sleep before the next one), `error` (for a retried `Ok` value, `Ok(` its type `)`) |
//! | `resilience.retry_after_cut` | `WARN` | `function`, `requested_ms` (what a `Retry-After` hint asked for), `cap_ms` (the policy's cap on the delay, `max_delay` or a lower `max_retry_after`, slept instead) |
//! | `resilience.give_up` | `WARN` | `function`, `attempts` (made in all), `reason` (`exhausted`, `not_retryable`, `max_elapsed`, `deadline`, `budget`, `circuit_open`), `error` |
//! | `resilience.breaker.state_change` | `WARN` when it opens, else `INFO` | `breaker`, `from`, `to` (as [`State::as_str`](crate::State::as_str) writes them), `reason` (as [`Reason`](crate::Reason) displays) |
//! | `resilience.breaker.rejected` | `DEBUG` | `breaker`, `retry_in_ms` (time left open, when known) |
//! | `resilience.timeout` | `WARN` | `function` (the timeout's name, by default the function's path), `limit_ms` |
//! | `resilience.config` | `WARN` | `source` (`environment`, `snapshot`, `call_sites`, `argument`: a `#[retry]` setting known at run time); the message says what could not be used, and what was done instead (see [`config::on_report`](crate::config::on_report)) |
//!
//! `function` is a `#[retry]` site's name: `#[retry(name = "...")]`, else the function's
//! module path and name. The plain API reports the name given to
//! [`Retry::named`](crate::Retry::named), or `anonymous`.
//!
//! `error` is the error's `Debug` text where the attribute sees that the error type
//! implements `Debug`, else the error type's name. The plain API (generic over the error)
//! reports the type's name.
//!
//! # Metrics (`metrics` feature)
//!
//! Recorded through the [`metrics`](https://docs.rs/metrics) facade, so any exporter works
//! (Prometheus, StatsD, OpenTelemetry...). Names follow Prometheus' conventions: a unit
//! suffix, `_total` on counters.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `resilience_retry_calls_total` | counter | `function`, `outcome` (`first_try`, `after_retries`, `gave_up`) | calls of a retried function, by how they ended |
//! | `resilience_retry_attempts_total` | counter | `function` | runs of the body, first attempts included |
//! | `resilience_retry_retries_total` | counter | `function` | retries: attempts after a failure, counted when they start |
//! | `resilience_retry_delay_seconds` | histogram | `function` | each delay slept before a retry, recorded when it starts |
//! | `resilience_retry_budget_exhausted_total` | counter | `function` | calls that ended because the retry budget refused a retry |
//! | `resilience_retry_circuit_open_total` | counter | `function` | calls that returned a breaker's rejection instead of retrying it |
//! | `resilience_breaker_state` | gauge | `breaker` | the state a breaker entered: see [`state_gauge`] |
//! | `resilience_breaker_transitions_total` | counter | `breaker`, `from`, `to` | state changes |
//! | `resilience_breaker_rejections_total` | counter | `breaker` | calls refused without running |
//! | `resilience_timeouts_total` | counter | `function` | calls cut off at their deadline |
//!
//! The breaker gauge of a breaker in the registry (every `#[circuit_breaker]`'s) is set when
//! the registry creates it, under the recorder installed at that moment, and again on each
//! state change. A breaker made with [`CircuitBreaker::new`](crate::CircuitBreaker::new)
//! outside the registry has no series until its first change: read a missing series as
//! closed (0).
//!
//! With `metrics` on, a retried call records two counters when it ends (its outcome and its
//! attempts), each a look-up in the installed recorder, from labels built as constants (no
//! allocation). Those look-ups cost a `#[retry]` success an order of magnitude more than the
//! rest of its path, and a real exporter adds its own: measure before enabling it on a very
//! hot path.
//!
//! This module knows nothing of the engines: they hand it plain data (names, labels, states,
//! durations), so that it imports none of them.
//!
//! ```
//! use resilience::{State, observe};
//! assert_eq!(observe::RETRY_ATTEMPTS, "resilience_retry_attempts_total");
//! assert_eq!(observe::state_gauge(State::HalfOpen), 2.0);
//! ```

pub(crate) mod describe;

use std::{fmt, time::Duration};

use crate::{State, StateChange};
use describe::Describe;
#[cfg(feature = "tracing")]
use describe::Described;

/// Counter of retried calls, labelled `function` and `outcome`.
///
/// ```
/// // The share of calls that needed a retry, in PromQL:
/// let query = format!(
///     "sum(rate({0}{{outcome=\"after_retries\"}}[5m])) / sum(rate({0}[5m]))",
///     resilience::observe::RETRY_CALLS,
/// );
/// assert!(query.starts_with("sum(rate(resilience_retry_calls_total{outcome="));
/// ```
pub const RETRY_CALLS: &str = "resilience_retry_calls_total";
/// Counter of attempts (runs of the body), labelled `function`.
///
/// ```
/// // Attempts per call: the load a retried function puts on its dependency.
/// let query = format!(
///     "rate({}[5m]) / rate({}[5m])",
///     resilience::observe::RETRY_ATTEMPTS,
///     resilience::observe::RETRY_CALLS,
/// );
/// assert_eq!(query, "rate(resilience_retry_attempts_total[5m]) / rate(resilience_retry_calls_total[5m])");
/// ```
pub const RETRY_ATTEMPTS: &str = "resilience_retry_attempts_total";
/// Counter of retries (attempts after a failure), labelled `function`.
///
/// ```
/// let query = format!("sum by (function) (rate({}[1m]))", resilience::observe::RETRY_RETRIES);
/// assert_eq!(query, "sum by (function) (rate(resilience_retry_retries_total[1m]))");
/// ```
pub const RETRY_RETRIES: &str = "resilience_retry_retries_total";
/// Histogram of the delays slept before retries, in seconds, labelled `function`.
///
/// ```
/// // A histogram's buckets are `<name>_bucket` for Prometheus exporters.
/// let buckets = format!("{}_bucket", resilience::observe::RETRY_DELAY);
/// assert_eq!(buckets, "resilience_retry_delay_seconds_bucket");
/// ```
pub const RETRY_DELAY: &str = "resilience_retry_delay_seconds";
/// Counter of calls that ended because the retry budget refused a retry, labelled `function`.
///
/// ```
/// // An alert: some calls lost their retries to the budget.
/// let alert = format!("increase({}[5m]) > 0", resilience::observe::RETRY_BUDGET_EXHAUSTED);
/// assert_eq!(alert, "increase(resilience_retry_budget_exhausted_total[5m]) > 0");
/// ```
pub const RETRY_BUDGET_EXHAUSTED: &str = "resilience_retry_budget_exhausted_total";
/// Counter of calls that returned a circuit breaker's rejection at once instead of retrying
/// it, labelled `function`.
///
/// ```
/// let query = format!("rate({}[5m])", resilience::observe::RETRY_CIRCUIT_OPEN);
/// assert_eq!(query, "rate(resilience_retry_circuit_open_total[5m])");
/// ```
pub const RETRY_CIRCUIT_OPEN: &str = "resilience_retry_circuit_open_total";
/// Gauge of a breaker's state, labelled `breaker`; the values are [`state_gauge`]'s.
///
/// ```
/// use resilience::{State, observe::{BREAKER_STATE, state_gauge}};
/// // An alert on the breakers that refuse calls.
/// let alert = format!(
///     "{BREAKER_STATE} == {} or {BREAKER_STATE} == {}",
///     state_gauge(State::Open),
///     state_gauge(State::ForcedOpen),
/// );
/// assert_eq!(alert, "resilience_breaker_state == 1 or resilience_breaker_state == 3");
/// ```
pub const BREAKER_STATE: &str = "resilience_breaker_state";
/// Counter of breaker state changes, labelled `breaker`, `from` and `to`.
///
/// ```
/// // How often each breaker opened.
/// let query = format!(
///     "sum by (breaker) (increase({}{{to=\"open\"}}[1h]))",
///     resilience::observe::BREAKER_TRANSITIONS,
/// );
/// assert!(query.contains("resilience_breaker_transitions_total{to=\"open\"}"));
/// ```
pub const BREAKER_TRANSITIONS: &str = "resilience_breaker_transitions_total";
/// Counter of calls a breaker refused, labelled `breaker`.
///
/// ```
/// let query = format!("sum by (breaker) (rate({}[5m]))", resilience::observe::BREAKER_REJECTIONS);
/// assert_eq!(query, "sum by (breaker) (rate(resilience_breaker_rejections_total[5m]))");
/// ```
pub const BREAKER_REJECTIONS: &str = "resilience_breaker_rejections_total";
/// Gauge of the keys of a keyed breaker family in each state, labelled `breaker` (the
/// family's name) and `state` (as [`State::as_str`](crate::State::as_str) writes it): how
/// many shards, hosts or tenants are being refused, without a series per key.
///
/// ```
/// // The share of a family's keys that refuse calls.
/// let query = format!(
///     "sum by (breaker) ({0}{{state=~\"open|forced-open\"}}) / sum by (breaker) ({0})",
///     resilience::observe::BREAKER_KEYS,
/// );
/// assert!(query.starts_with("sum by (breaker) (resilience_breaker_keys{state=~"));
/// ```
pub const BREAKER_KEYS: &str = "resilience_breaker_keys";
/// Counter of the breakers a keyed family evicted (idle ones), labelled `breaker`.
///
/// ```
/// let query = format!("rate({}[5m])", resilience::observe::BREAKER_KEY_EVICTIONS);
/// assert_eq!(query, "rate(resilience_breaker_key_evictions_total[5m])");
/// ```
pub const BREAKER_KEY_EVICTIONS: &str = "resilience_breaker_key_evictions_total";
/// Counter of the calls for new keys that a full keyed family sent through its own breaker,
/// labelled `breaker`: above zero, raise the family's `max_keys`.
///
/// ```
/// let alert = format!("increase({}[5m]) > 0", resilience::observe::BREAKER_KEY_OVERFLOW);
/// assert_eq!(alert, "increase(resilience_breaker_key_overflow_total[5m]) > 0");
/// ```
pub const BREAKER_KEY_OVERFLOW: &str = "resilience_breaker_key_overflow_total";
/// Counter of calls cut off by a timeout, labelled `function`.
///
/// ```
/// let query = format!("sum by (function) (rate({}[5m]))", resilience::observe::TIMEOUTS);
/// assert_eq!(query, "sum by (function) (rate(resilience_timeouts_total[5m]))");
/// ```
pub const TIMEOUTS: &str = "resilience_timeouts_total";

/// The value of [`BREAKER_STATE`] for each state: 0 closed, 1 open, 2 half-open, 3 forced
/// open, 4 disabled. Alerting on `resilience_breaker_state == 1 or == 3` finds the breakers
/// refusing calls.
///
/// ```
/// use resilience::{State, observe::state_gauge};
/// let values = [State::Closed, State::Open, State::HalfOpen, State::ForcedOpen, State::Disabled]
///     .map(state_gauge);
/// assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0]);
/// ```
pub const fn state_gauge(state: State) -> f64 {
    match state {
        State::Closed => 0.0,
        State::Open => 1.0,
        State::HalfOpen => 2.0,
        State::ForcedOpen => 3.0,
        State::Disabled => 4.0,
    }
}

/// What logs and metrics call a retry site: its name and, with the `metrics` feature, its
/// metric labels, built once as constants: a key made of `'static` labels costs the success
/// path no allocation (labels from a run-time value would be a `Vec`). A site keeps its own;
/// `None` in the hooks below is the plain API's unnamed calls.
#[derive(Debug)]
pub(crate) struct SiteLabels {
    name: &'static str,
    #[cfg(feature = "metrics")]
    function: [metrics::Label; 1],
    #[cfg(feature = "metrics")]
    first_try: [metrics::Label; 2],
    #[cfg(feature = "metrics")]
    after_retries: [metrics::Label; 2],
    #[cfg(feature = "metrics")]
    gave_up: [metrics::Label; 2],
}

impl SiteLabels {
    pub(crate) const fn new(name: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        const fn outcome(function: &'static str, outcome: &'static str) -> [metrics::Label; 2] {
            [
                metrics::Label::from_static_parts("function", function),
                metrics::Label::from_static_parts("outcome", outcome),
            ]
        }
        SiteLabels {
            name,
            #[cfg(feature = "metrics")]
            function: [metrics::Label::from_static_parts("function", name)],
            #[cfg(feature = "metrics")]
            first_try: outcome(name, "first_try"),
            #[cfg(feature = "metrics")]
            after_retries: outcome(name, "after_retries"),
            #[cfg(feature = "metrics")]
            gave_up: outcome(name, "gave_up"),
        }
    }

    /// The site's name.
    #[inline]
    pub(crate) const fn name(&self) -> &'static str {
        self.name
    }
}

/// The plain API's calls without [`Retry::named`](crate::Retry::named): logs and metrics call
/// them `anonymous`.
#[cfg(any(feature = "tracing", feature = "metrics"))]
fn labels_of(site: Option<&'static SiteLabels>) -> &'static SiteLabels {
    static ANONYMOUS: SiteLabels = SiteLabels::new("anonymous");
    site.unwrap_or(&ANONYMOUS)
}

#[cfg(feature = "metrics")]
static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

#[cfg(feature = "metrics")]
fn counter(name: &'static str, labels: &'static [metrics::Label], by: u64) {
    let key = metrics::Key::from_static_parts(name, labels);
    metrics::with_recorder(|r| r.register_counter(&key, &METADATA)).increment(by);
}

/// Why a retried call returned its error (or, for a value `retry_if_ok` retries, its last
/// value) instead of trying again: the `reason` of the `resilience.give_up` event, and
/// [`RetryOutcome::gave_up`](crate::RetryOutcome).
///
/// ```
/// use resilience::GiveUp;
/// assert_eq!(GiveUp::Budget.as_str(), "budget");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUp {
    /// `max_attempts` reached.
    Exhausted,
    /// `when` said the error is not worth another attempt.
    NotRetryable,
    /// The next sleep would end past `max_elapsed`.
    MaxElapsed,
    /// The next sleep would end past the deadline of an enclosing timeout.
    Deadline,
    /// The retry budget refused the retry.
    Budget,
    /// A circuit breaker rejected the attempt, and lets no trial through before the next
    /// retry would have been made.
    CircuitOpen,
}

impl GiveUp {
    /// The reason as logs write it: `exhausted`, `not_retryable`, `max_elapsed`, `deadline`,
    /// `budget` or `circuit_open`.
    ///
    /// ```
    /// assert_eq!(resilience::GiveUp::NotRetryable.as_str(), "not_retryable");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            GiveUp::Exhausted => "exhausted",
            GiveUp::NotRetryable => "not_retryable",
            GiveUp::MaxElapsed => "max_elapsed",
            GiveUp::Deadline => "deadline",
            GiveUp::Budget => "budget",
            GiveUp::CircuitOpen => "circuit_open",
        }
    }
}

#[cfg(feature = "tracing")]
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A retry is about to sleep `delay` after attempt `attempt` failed with `error`.
#[inline]
#[allow(unused_variables)]
pub(crate) fn retry<E>(
    site: Option<&'static SiteLabels>,
    attempt: u32,
    delay: Duration,
    error: &E,
    describe: Describe<E>,
) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        name: "resilience.retry",
        target: "resilience",
        tracing::Level::INFO,
        function = labels_of(site).name(),
        attempt,
        delay_ms = millis(delay),
        error = %Described(error, describe),
        "attempt {attempt} failed, retrying in {delay:?}"
    );
}

/// A `Retry-After` hint asked for `requested`, longer than the policy allows a delay (its
/// `max_delay`, or a lower `max_retry_after`): `cap` is slept instead.
#[inline]
#[allow(unused_variables)]
pub(crate) fn retry_after_cut(
    site: Option<&'static SiteLabels>,
    requested: Duration,
    cap: Duration,
) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        name: "resilience.retry_after_cut",
        target: "resilience",
        tracing::Level::WARN,
        function = labels_of(site).name(),
        requested_ms = millis(requested),
        cap_ms = millis(cap),
        "a Retry-After hint asked for {requested:?}, more than the policy's cap ({cap:?}): waiting {cap:?}; raise `max_delay` to honour longer hints"
    );
}

/// A retry's attempt starts, after a sleep of `delay`: counted then, so that a retry whose
/// call was dropped during its sleep (or whose `on_retry` hook panicked) is not.
#[inline]
#[allow(unused_variables)]
pub(crate) fn retry_started(site: Option<&'static SiteLabels>, delay: Duration) {
    #[cfg(feature = "metrics")]
    {
        let labels = &labels_of(site).function;
        counter(RETRY_RETRIES, labels, 1);
        let key = metrics::Key::from_static_parts(RETRY_DELAY, labels);
        metrics::with_recorder(|r| r.register_histogram(&key, &METADATA))
            .record(delay.as_secs_f64());
    }
}

/// A retried call returns `error` after `attempts` attempts.
#[inline]
#[allow(unused_variables)]
pub(crate) fn give_up<E>(
    site: Option<&'static SiteLabels>,
    attempts: u32,
    reason: GiveUp,
    error: &E,
    describe: Describe<E>,
) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        name: "resilience.give_up",
        target: "resilience",
        tracing::Level::WARN,
        function = labels_of(site).name(),
        attempts,
        reason = reason.as_str(),
        error = %Described(error, describe),
        "giving up after {attempts} attempts ({})", reason.as_str()
    );
    #[cfg(feature = "metrics")]
    {
        let labels = labels_of(site);
        counter(RETRY_CALLS, &labels.gave_up, 1);
        counter(RETRY_ATTEMPTS, &labels.function, u64::from(attempts));
        match reason {
            GiveUp::Budget => counter(RETRY_BUDGET_EXHAUSTED, &labels.function, 1),
            GiveUp::CircuitOpen => counter(RETRY_CIRCUIT_OPEN, &labels.function, 1),
            _ => {}
        }
    }
}

/// A retried call succeeds at attempt `attempts`. Only metrics count successes (the hot path
/// logs nothing).
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn success(site: Option<&'static SiteLabels>, attempts: u32) {
    let labels = labels_of(site);
    let outcome = if attempts <= 1 {
        &labels.first_try
    } else {
        &labels.after_retries
    };
    counter(RETRY_CALLS, outcome, 1);
    counter(RETRY_ATTEMPTS, &labels.function, u64::from(attempts));
}

/// The registry created the breaker `breaker`, in `state`: its state gauge starts there.
#[inline]
#[allow(unused_variables)]
pub(crate) fn registered(breaker: &str, state: State) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(BREAKER_STATE, "breaker" => breaker.to_string()).set(state_gauge(state));
}

/// A keyed family made the breaker of a key, in `state`: the family's count of keys in that
/// state grows by one, and a key that is a label (`label`) gets its own state gauge.
#[inline]
#[allow(unused_variables)]
pub(crate) fn key_added(breaker: &str, label: Option<&str>, state: State) {
    #[cfg(feature = "metrics")]
    {
        keys_gauge(breaker, state).increment(1.0);
        if let Some(key) = label {
            metrics::gauge!(BREAKER_STATE, "breaker" => breaker.to_string(), "key" => key.to_string())
                .set(state_gauge(state));
        }
    }
}

/// A keyed family evicted the breaker of a key, in `state`.
#[inline]
#[allow(unused_variables)]
pub(crate) fn key_evicted(breaker: &str, state: State) {
    #[cfg(feature = "metrics")]
    {
        keys_gauge(breaker, state).decrement(1.0);
        metrics::counter!(BREAKER_KEY_EVICTIONS, "breaker" => breaker.to_string()).increment(1);
    }
}

/// A keyed family, holding its maximum of keys with none to evict, sent a call for a new key
/// through its own breaker. `first` when it was not full at its previous call for a new key:
/// logged then, not at every call.
#[inline]
#[allow(unused_variables)]
pub(crate) fn key_overflow(breaker: &str, max_keys: usize, first: bool) {
    #[cfg(feature = "tracing")]
    if first {
        tracing::event!(
            name: "resilience.breaker.keys_full",
            target: "resilience",
            tracing::Level::WARN,
            breaker,
            max_keys,
            "circuit breaker family `{breaker}` holds its maximum of {max_keys} keys, none \
             idle: calls for new keys go through its own breaker"
        );
    }
    #[cfg(feature = "metrics")]
    metrics::counter!(BREAKER_KEY_OVERFLOW, "breaker" => breaker.to_string()).increment(1);
}

#[cfg(feature = "metrics")]
fn keys_gauge(breaker: &str, state: State) -> metrics::Gauge {
    metrics::gauge!(BREAKER_KEYS, "breaker" => breaker.to_string(), "state" => state.as_str())
}

/// A breaker changed state. `labelled`: the change's key (if any) may be named in logs and
/// metrics; an unlabelled key's change is logged and counted under the family's name alone.
#[inline]
#[allow(unused_variables)]
pub(crate) fn state_change(change: &StateChange, labelled: bool) {
    let key = change.key.as_deref().filter(|_| labelled);
    #[cfg(feature = "tracing")]
    {
        let reason = &change.reason;
        let (breaker, from, to) = (&*change.breaker, change.from.as_str(), change.to.as_str());
        macro_rules! event {
            ($level:expr) => {
                match key {
                    Some(key) => tracing::event!(
                        name: "resilience.breaker.state_change",
                        target: "resilience",
                        $level,
                        breaker,
                        key,
                        from,
                        to,
                        reason = %reason,
                        "{change}"
                    ),
                    None => tracing::event!(
                        name: "resilience.breaker.state_change",
                        target: "resilience",
                        $level,
                        breaker,
                        from,
                        to,
                        reason = %reason,
                        "circuit breaker `{breaker}`: {from} -> {to} ({reason})"
                    ),
                }
            };
        }
        if change.to == State::Open {
            event!(tracing::Level::WARN);
        } else {
            event!(tracing::Level::INFO);
        }
    }
    #[cfg(feature = "metrics")]
    {
        let breaker = change.breaker.to_string();
        let (from, to) = (change.from.as_str(), change.to.as_str());
        if change.key.is_some() {
            keys_gauge(&breaker, change.from).decrement(1.0);
            keys_gauge(&breaker, change.to).increment(1.0);
        }
        match (key, &change.key) {
            (Some(key), _) => {
                let key = key.to_string();
                metrics::gauge!(BREAKER_STATE, "breaker" => breaker.clone(), "key" => key.clone())
                    .set(state_gauge(change.to));
                metrics::counter!(
                    BREAKER_TRANSITIONS,
                    "breaker" => breaker, "key" => key, "from" => from, "to" => to
                )
                .increment(1);
            }
            (None, unlabelled) => {
                // A key that is no label has no gauge of its own: its family's count of keys
                // per state stands for it.
                if unlabelled.is_none() {
                    metrics::gauge!(BREAKER_STATE, "breaker" => breaker.clone())
                        .set(state_gauge(change.to));
                }
                metrics::counter!(BREAKER_TRANSITIONS, "breaker" => breaker, "from" => from, "to" => to)
                    .increment(1);
            }
        }
    }
}

/// The breaker `breaker` (of the key `key`, when the key may be named) refused a call.
#[inline]
#[allow(unused_variables)]
pub(crate) fn rejected(breaker: &str, key: Option<&str>, retry_in: Option<Duration>) {
    #[cfg(feature = "tracing")]
    match key {
        Some(key) => tracing::event!(
            name: "resilience.breaker.rejected",
            target: "resilience",
            tracing::Level::DEBUG,
            breaker,
            key,
            retry_in_ms = retry_in.map(millis),
            "circuit breaker `{breaker}` key `{key}` is open: call refused"
        ),
        None => tracing::event!(
            name: "resilience.breaker.rejected",
            target: "resilience",
            tracing::Level::DEBUG,
            breaker,
            retry_in_ms = retry_in.map(millis),
            "circuit breaker `{breaker}` is open: call refused"
        ),
    }
    #[cfg(feature = "metrics")]
    match key {
        Some(key) => metrics::counter!(
            BREAKER_REJECTIONS,
            "breaker" => breaker.to_string(),
            "key" => key.to_string()
        )
        .increment(1),
        None => {
            metrics::counter!(BREAKER_REJECTIONS, "breaker" => breaker.to_string()).increment(1)
        }
    }
}

/// The timeout `function` cut a call off at `limit`.
#[inline]
#[allow(unused_variables)]
pub(crate) fn timed_out(function: &str, limit: Duration) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        name: "resilience.timeout",
        target: "resilience",
        tracing::Level::WARN,
        function,
        limit_ms = millis(limit),
        "`{function}` timed out after {limit:?}"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!(TIMEOUTS, "function" => function.to_string()).increment(1);
}

/// Operator configuration the library could not use as given, read from `source`
/// (`environment`, `snapshot`, `call_sites` or `argument`); see [`config::on_report`](crate::config::on_report).
#[inline]
#[allow(unused_variables)]
pub(crate) fn config_report(source: &'static str, report: &dyn fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::event!(
        name: "resilience.config",
        target: "resilience",
        tracing::Level::WARN,
        source,
        "{report}"
    );
}
