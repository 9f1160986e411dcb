//! The registry's breaker states, to persist across a restart.

use std::time::SystemTime;

use crate::State;

/// The state of every breaker of the registry at one moment, from
/// [`breakers::snapshot`](crate::breakers::snapshot), for
/// [`breakers::restore`](crate::breakers::restore) to bring back after a restart: a
/// service that knew a dependency was down does not hammer it as it starts again. With the
/// `serde` feature it serializes, times as Unix milliseconds.
///
/// ```
/// use resilience::{BreakerConfig, State, breakers};
///
/// breakers::configure("doc.snapshot", BreakerConfig::new()).force_open();
/// let snapshot = breakers::snapshot();
/// let saved = snapshot.breakers.iter().find(|b| b.name == "doc.snapshot").unwrap();
/// assert_eq!(saved.state, State::ForcedOpen);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// When it was taken, on the wall clock, to the millisecond.
    pub taken_at: SystemTime,
    /// Every breaker, by name; then the keyed breakers of each family that are not closed
    /// (a closed one holds nothing a restart would miss: the key's next call makes it).
    pub breakers: Vec<BreakerSnapshot>,
}

/// One breaker of a [`Snapshot`].
///
/// ```
/// use resilience::{State, config::BreakerSnapshot};
/// let saved = BreakerSnapshot::new("payments", State::Open)
///     .with_open_until(std::time::SystemTime::now() + std::time::Duration::from_secs(30));
/// assert!(saved.open_until.is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BreakerSnapshot {
    /// The breaker's name; a keyed breaker's family's.
    pub name: String,
    /// A keyed breaker's key in the family `name` (see
    /// [`KeyedBreaker`](crate::KeyedBreaker)); `None` for the name's own breaker.
    pub key: Option<String>,
    /// Its state. Restored, a half-open breaker is open with its period over: its next call
    /// is a trial.
    pub state: State,
    /// While open: when the open period ends, on the wall clock, rounded up to the
    /// millisecond. A monotonic instant means nothing to another process, so the restore
    /// converts it back to the time left.
    pub open_until: Option<SystemTime>,
    /// Failed recoveries in a row, which lengthen the next open periods under a recovery
    /// backoff.
    pub failed_recoveries: u32,
}

impl BreakerSnapshot {
    /// A breaker in `state`, with no open period and no failed recovery.
    ///
    /// ```
    /// let saved = resilience::config::BreakerSnapshot::new("db", resilience::State::Closed);
    /// assert_eq!(saved.failed_recoveries, 0);
    /// ```
    pub fn new(name: impl Into<String>, state: State) -> Self {
        BreakerSnapshot {
            name: name.into(),
            key: None,
            state,
            open_until: None,
            failed_recoveries: 0,
        }
    }

    /// Sets [`key`](Self::key): the breaker of `key` in the family `name`.
    ///
    /// ```
    /// # use resilience::{State, config::BreakerSnapshot};
    /// let saved = BreakerSnapshot::new("shards", State::Open).with_key("eu-1");
    /// assert_eq!(saved.key.as_deref(), Some("eu-1"));
    /// ```
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets [`open_until`](Self::open_until).
    ///
    /// ```
    /// # use resilience::{State, config::BreakerSnapshot};
    /// let at = std::time::SystemTime::UNIX_EPOCH;
    /// assert_eq!(BreakerSnapshot::new("db", State::Open).with_open_until(at).open_until, Some(at));
    /// ```
    pub fn with_open_until(mut self, at: SystemTime) -> Self {
        self.open_until = Some(at);
        self
    }

    /// Sets [`failed_recoveries`](Self::failed_recoveries).
    ///
    /// ```
    /// # use resilience::{State, config::BreakerSnapshot};
    /// let saved = BreakerSnapshot::new("db", State::Open).with_failed_recoveries(3);
    /// assert_eq!(saved.failed_recoveries, 3);
    /// ```
    pub fn with_failed_recoveries(mut self, failed_recoveries: u32) -> Self {
        self.failed_recoveries = failed_recoveries;
        self
    }
}

impl Snapshot {
    /// A snapshot of these breakers, taken now.
    ///
    /// ```
    /// use resilience::{State, config::{BreakerSnapshot, Snapshot}};
    /// let snapshot = Snapshot::new(vec![BreakerSnapshot::new("db", State::Closed)]);
    /// assert_eq!(snapshot.breakers.len(), 1);
    /// ```
    pub fn new(breakers: Vec<BreakerSnapshot>) -> Self {
        Snapshot {
            taken_at: truncate_to_millis(SystemTime::now()),
            breakers,
        }
    }
}

/// `at`, to the whole millisecond below: what survives serialization.
pub(crate) fn truncate_to_millis(at: SystemTime) -> SystemTime {
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let millis = since.as_millis().min(u128::from(u64::MAX)) as u64;
    SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(millis)
}

/// `at`, to the whole millisecond above, so that a restored open period never ends early.
pub(crate) fn round_up_to_millis(at: SystemTime) -> SystemTime {
    let down = truncate_to_millis(at);
    if down == at {
        at
    } else {
        down + std::time::Duration::from_millis(1)
    }
}
