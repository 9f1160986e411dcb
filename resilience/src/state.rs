//! A circuit breaker's state and its changes, as plain data: what the breaker reports, the
//! registry lists, snapshots save and `observe` logs. Nothing here knows the breaker, so that
//! each of those can read it without reaching into the breaker.

use std::{fmt, sync::Arc, time::Duration};

use tokio::time::Instant;

/// The state of a [`CircuitBreaker`](crate::CircuitBreaker).
///
/// ```
/// use resilience::{CircuitBreaker, BreakerConfig, State};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new());
/// assert_eq!(breaker.state(), State::Closed);
/// breaker.force_open();
/// assert_eq!(breaker.state(), State::ForcedOpen);
/// assert_eq!(State::HalfOpen.to_string(), "half-open");
/// // Widths and alignment apply, for tables.
/// assert_eq!(format!("[{:<6}]", State::Open), "[open  ]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are rejected until the open period ends. The state stays `Open` past that
    /// moment until the next call, which becomes the first trial call.
    Open,
    /// A limited number of trial calls go through to see whether the dependency recovered.
    HalfOpen,
    /// Set by an operator with [`CircuitBreaker::force_open`](crate::CircuitBreaker::force_open): every call is rejected until
    /// [`CircuitBreaker::reset`](crate::CircuitBreaker::reset).
    ForcedOpen,
    /// Set by an operator with [`CircuitBreaker::disable`](crate::CircuitBreaker::disable): every call goes through and is
    /// counted in the statistics, but the breaker never opens.
    Disabled,
}

impl State {
    /// The state's name in lower case, as [`Display`](fmt::Display) writes it.
    ///
    /// ```
    /// assert_eq!(resilience::State::ForcedOpen.as_str(), "forced-open");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
            State::ForcedOpen => "forced-open",
            State::Disabled => "disabled",
        }
    }
}

impl fmt::Display for State {
    /// Honours width and alignment, for tables: `format!("{:<10}", state)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a breaker changed state.
///
/// ```
/// use resilience::Reason;
/// assert_eq!(
///     Reason::ConsecutiveFailures { count: 5 }.to_string(),
///     "5 consecutive failures"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// Closed to open: this many failures in a row.
    ConsecutiveFailures {
        /// The failures counted, at least the threshold.
        count: u32,
    },
    /// Closed to open: the failure rate over the window reached the configured rate.
    FailureRate {
        /// The rate measured, in `[0, 1]`.
        rate: f64,
    },
    /// Open to half-open: the open period ended and a call arrived.
    RecoveryTimeoutElapsed,
    /// Half-open to open: a trial call failed.
    TrialFailed,
    /// Half-open to open: a trial call was still running when its time was up (see
    /// [`BreakerConfig::with_max_trial_wait`](crate::BreakerConfig::with_max_trial_wait)); its slot was taken back.
    TrialTimedOut {
        /// How long the trial was allowed.
        waited: Duration,
    },
    /// Half-open to closed: enough trial calls succeeded.
    TrialsSucceeded {
        /// The successful trials counted.
        successes: u32,
    },
    /// [`CircuitBreaker::reset`](crate::CircuitBreaker::reset).
    Reset,
    /// [`CircuitBreaker::force_open`](crate::CircuitBreaker::force_open).
    ForcedOpen,
    /// [`CircuitBreaker::disable`](crate::CircuitBreaker::disable).
    Disabled,
    /// [`breakers::restore`](crate::breakers::restore): the state a snapshot recorded.
    Restored,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ConsecutiveFailures { count: 1 } => f.write_str("1 failure"),
            Reason::ConsecutiveFailures { count } => write!(f, "{count} consecutive failures"),
            Reason::FailureRate { rate } => write!(f, "failure rate {:.1}%", rate * 100.0),
            Reason::RecoveryTimeoutElapsed => f.write_str("recovery timeout elapsed"),
            Reason::TrialFailed => f.write_str("trial call failed"),
            Reason::TrialTimedOut { waited } => {
                write!(f, "trial call still running after {waited:?}")
            }
            Reason::TrialsSucceeded { successes: 1 } => f.write_str("1 successful trial call"),
            Reason::TrialsSucceeded { successes } => {
                write!(f, "{successes} successful trial calls")
            }
            Reason::Reset => f.write_str("reset"),
            Reason::ForcedOpen => f.write_str("forced open"),
            Reason::Disabled => f.write_str("disabled"),
            Reason::Restored => f.write_str("restored from a snapshot"),
        }
    }
}

/// A state change, as given to listeners registered with
/// [`CircuitBreaker::on_state_change`](crate::CircuitBreaker::on_state_change) and [`breakers::on_state_change`](crate::breakers::on_state_change).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use resilience::{BreakerConfig, CircuitBreaker, State};
///
/// let breaker = CircuitBreaker::new("db", BreakerConfig::new().with_failure_threshold(1));
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// breaker.on_state_change(move |change| log.lock().unwrap().push(change.to_string()));
///
/// let _ = breaker.call(|| Err::<(), _>(resilience::Error::circuit_open("upstream", None)));
/// assert_eq!(*seen.lock().unwrap(), ["circuit breaker `db`: closed -> open (1 failure)"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StateChange {
    /// The breaker's name.
    pub breaker: Arc<str>,
    /// The key of a breaker of a [`KeyedBreaker`](crate::KeyedBreaker) family (its name is
    /// the family's); `None` for any other breaker.
    pub key: Option<Arc<str>>,
    /// The state it left.
    pub from: State,
    /// The state it entered.
    pub to: State,
    /// Why.
    pub reason: Reason,
    /// When, on tokio's clock.
    pub at: Instant,
    /// The breaker's generation after the change: it grows by one with every transition, so
    /// changes reported concurrently can be put back in order.
    pub generation: u64,
}

impl fmt::Display for StateChange {
    /// `circuit breaker `db`: closed -> open (5 consecutive failures)`; a keyed breaker's
    /// change names its key: ``circuit breaker `shards` key `eu-1`: ...``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circuit breaker `{}`", self.breaker)?;
        if let Some(key) = &self.key {
            write!(f, " key `{key}`")?;
        }
        write!(f, ": {} -> {} ({})", self.from, self.to, self.reason)
    }
}
