//! The error that the attributes themselves produce.

use std::{io, sync::Arc, time::Duration};

/// What went wrong inside `resilience` itself, as opposed to inside the wrapped call.
///
/// A `#[retry]` never produces this type: it returns the last error of the body unchanged.
/// `#[circuit_breaker]` and `#[timeout]` do, through `E::from(resilience::Error)`, which is why
/// their functions' error type must implement `From<resilience::Error>`. `std::io::Error`,
/// `Box<dyn std::error::Error + Send + Sync>`, `anyhow::Error` and this type itself all do.
///
/// Each variant carries what a log line needs: the name of the function or breaker, and the
/// limit or the time left.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use resilience::Error;
///
/// let err = Error::timeout("fetch_user", Duration::from_millis(250));
/// assert_eq!(err.to_string(), "`fetch_user` timed out after 250ms");
///
/// // Converts to an I/O error of the matching kind.
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The call did not finish within its time limit.
    #[error("`{name}` timed out after {limit:?}")]
    Timeout {
        /// The function (or the plain-API label) that timed out.
        name: Arc<str>,
        /// The limit it was given.
        limit: Duration,
    },
    /// The circuit breaker refused the call without running it.
    #[error("circuit breaker `{name}` is open{}", retry_hint(*.retry_in))]
    CircuitOpen {
        /// The breaker's name in the registry.
        name: Arc<str>,
        /// How long until the breaker may let a call through, when known: while open, the
        /// time until its next trial call; while half-open with every trial slot taken, the
        /// recovery timeout or the time until the first trial's time is up, whichever is
        /// sooner; `None` for an operator's force-open and for adaptive throttling.
        retry_in: Option<Duration>,
    },
}

fn retry_hint(retry_in: Option<Duration>) -> String {
    match retry_in {
        Some(d) => format!("; next trial call in {d:?}"),
        None => String::new(),
    }
}

impl Error {
    /// Builds an [`Error::Timeout`] for `name` and `limit`.
    ///
    /// ```
    /// let err = resilience::Error::timeout("query", std::time::Duration::from_secs(2));
    /// assert!(err.is_timeout());
    /// ```
    pub fn timeout(name: impl Into<Arc<str>>, limit: Duration) -> Self {
        Error::Timeout {
            name: name.into(),
            limit,
        }
    }

    /// Builds an [`Error::CircuitOpen`] for the breaker `name`.
    ///
    /// ```
    /// let err = resilience::Error::circuit_open("payments", None);
    /// assert!(err.is_circuit_open());
    /// ```
    pub fn circuit_open(name: impl Into<Arc<str>>, retry_in: Option<Duration>) -> Self {
        Error::CircuitOpen {
            name: name.into(),
            retry_in,
        }
    }

    /// Whether this is an [`Error::Timeout`].
    ///
    /// ```
    /// assert!(!resilience::Error::circuit_open("db", None).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether this is an [`Error::CircuitOpen`].
    ///
    /// ```
    /// assert!(resilience::Error::circuit_open("db", None).is_circuit_open());
    /// ```
    pub fn is_circuit_open(&self) -> bool {
        matches!(self, Error::CircuitOpen { .. })
    }

    /// How long until the breaker lets a trial call through, for an [`Error::CircuitOpen`]
    /// that knows; `None` otherwise. A retry loop around the breaker waits this long only if
    /// it would have waited as long anyway; else it returns the rejection at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = resilience::Error::circuit_open("db", Some(Duration::from_secs(2)));
    /// assert_eq!(err.retry_in(), Some(Duration::from_secs(2)));
    /// assert_eq!(resilience::Error::timeout("db", Duration::ZERO).retry_in(), None);
    /// ```
    pub fn retry_in(&self) -> Option<Duration> {
        match self {
            Error::CircuitOpen { retry_in, .. } => *retry_in,
            Error::Timeout { .. } => None,
        }
    }

    /// The name of the function or breaker the error is about.
    ///
    /// ```
    /// assert_eq!(resilience::Error::circuit_open("db", None).name(), "db");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Error::Timeout { name, .. } | Error::CircuitOpen { name, .. } => name,
        }
    }
}

impl From<Error> for io::Error {
    /// A timeout becomes [`io::ErrorKind::TimedOut`]; an open breaker
    /// [`io::ErrorKind::ConnectionRefused`], since the dependency is refused locally.
    /// The original [`Error`] stays reachable through [`io::Error::get_ref`].
    fn from(err: Error) -> Self {
        let kind = match err {
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::CircuitOpen { .. } => io::ErrorKind::ConnectionRefused,
        };
        io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_function_and_the_limit() {
        let err = Error::timeout("load", Duration::from_millis(1500));
        assert_eq!(err.to_string(), "`load` timed out after 1.5s");
        let err = Error::circuit_open("db", Some(Duration::from_secs(3)));
        assert_eq!(
            err.to_string(),
            "circuit breaker `db` is open; next trial call in 3s"
        );
        assert_eq!(
            Error::circuit_open("db", None).to_string(),
            "circuit breaker `db` is open"
        );
    }

    #[test]
    fn io_conversion_keeps_kind_and_source() {
        let io: io::Error = Error::timeout("x", Duration::from_secs(1)).into();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
        let inner = io.get_ref().unwrap().downcast_ref::<Error>().unwrap();
        assert!(inner.is_timeout());
        let io: io::Error = Error::circuit_open("x", None).into();
        assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn is_send_sync_static() {
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<Error>();
        let _: Box<dyn std::error::Error + Send + Sync> = Error::circuit_open("x", None).into();
        let _: anyhow::Error = Error::circuit_open("x", None).into();
    }
}
