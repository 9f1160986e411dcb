//! Ready answers for `when =`: which errors are worth retrying.
//!
//! Retrying an error that will never go away only multiplies the load on a struggling
//! dependency and delays the caller's failure. These helpers encode the usual answers, so
//! `#[retry(when = resilience::classify::is_transient_io)]` does the right thing for I/O.
//!
//! ```
//! use std::io;
//! use resilience::classify;
//!
//! assert!(classify::is_transient_io(&io::ErrorKind::ConnectionReset.into()));
//! assert!(!classify::is_transient_io(&io::ErrorKind::NotFound.into()));
//! assert!(classify::is_retryable_status(503));
//! assert!(!classify::is_retryable_status(404));
//! ```

use std::io;

/// The I/O error kinds that describe a passing condition: the same call may succeed later.
///
/// ```
/// assert!(resilience::classify::TRANSIENT_IO_KINDS.contains(&std::io::ErrorKind::TimedOut));
/// ```
pub const TRANSIENT_IO_KINDS: &[io::ErrorKind] = &[
    io::ErrorKind::ConnectionRefused,
    io::ErrorKind::ConnectionReset,
    io::ErrorKind::ConnectionAborted,
    io::ErrorKind::NotConnected,
    io::ErrorKind::BrokenPipe,
    io::ErrorKind::TimedOut,
    io::ErrorKind::Interrupted,
    io::ErrorKind::WouldBlock,
    io::ErrorKind::UnexpectedEof,
    io::ErrorKind::HostUnreachable,
    io::ErrorKind::NetworkUnreachable,
    io::ErrorKind::NetworkDown,
    io::ErrorKind::ResourceBusy,
];

/// The HTTP status codes worth retrying: 408 Request Timeout, 425 Too Early, 429 Too Many
/// Requests, 500 Internal Server Error, 502 Bad Gateway, 503 Service Unavailable and
/// 504 Gateway Timeout.
///
/// ```
/// assert_eq!(resilience::classify::RETRYABLE_STATUS_CODES.len(), 7);
/// ```
pub const RETRYABLE_STATUS_CODES: &[u16] = &[408, 425, 429, 500, 502, 503, 504];

/// Whether an I/O error kind is transient; see [`TRANSIENT_IO_KINDS`].
///
/// ```
/// use std::io::ErrorKind;
/// assert!(resilience::classify::is_transient_io_kind(ErrorKind::ConnectionReset));
/// assert!(!resilience::classify::is_transient_io_kind(ErrorKind::PermissionDenied));
/// ```
pub fn is_transient_io_kind(kind: io::ErrorKind) -> bool {
    TRANSIENT_IO_KINDS.contains(&kind)
}

/// Whether an I/O error is transient: fits `#[retry(when = ...)]` on `io::Result` functions.
/// An error carrying a [`resilience::Error`](crate::Error) (an open breaker or a timeout) is
/// transient too.
///
/// ```
/// use std::io;
/// use resilience::classify::is_transient_io;
/// assert!(is_transient_io(&io::Error::from(io::ErrorKind::TimedOut)));
/// assert!(!is_transient_io(&io::Error::from(io::ErrorKind::InvalidData)));
/// ```
pub fn is_transient_io(error: &io::Error) -> bool {
    is_transient_io_kind(error.kind())
        || error
            .get_ref()
            .is_some_and(|inner| inner.is::<crate::Error>())
}

/// Whether an HTTP status code is worth retrying; see [`RETRYABLE_STATUS_CODES`].
///
/// ```
/// assert!(resilience::classify::is_retryable_status(429));
/// assert!(!resilience::classify::is_retryable_status(400));
/// ```
pub fn is_retryable_status(status: u16) -> bool {
    RETRYABLE_STATUS_CODES.contains(&status)
}

/// Reads an HTTP `Retry-After` header value given in seconds (`"120"`), the form servers
/// use for 429 and 503 responses, for a [`RetryAfter`](crate::RetryAfter) implementation.
/// The HTTP-date form and anything malformed give `None`, so the policy's own schedule applies
/// (a hint is capped at `max_retry_after`, the schedule's delays at `max_delay`).
///
/// ```
/// use std::time::Duration;
/// use resilience::classify::retry_after_seconds;
///
/// assert_eq!(retry_after_seconds("120"), Some(Duration::from_secs(120)));
/// assert_eq!(retry_after_seconds(" 3 "), Some(Duration::from_secs(3)));
/// assert_eq!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
/// assert_eq!(retry_after_seconds("-1"), None);
/// ```
pub fn retry_after_seconds(value: &str) -> Option<std::time::Duration> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().map(std::time::Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        for code in [408, 425, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(code), "{code}");
        }
        for code in [200, 301, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert!(!is_retryable_status(code), "{code}");
        }
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(retry_after_seconds("0"), Some(std::time::Duration::ZERO));
        assert_eq!(retry_after_seconds("99999999999999999999999"), None);
        assert_eq!(retry_after_seconds("1.5"), None);
        assert_eq!(retry_after_seconds(""), None);
    }

    #[test]
    fn io_kinds() {
        assert!(is_transient_io(&io::ErrorKind::ConnectionRefused.into()));
        assert!(!is_transient_io(&io::ErrorKind::NotFound.into()));
        assert!(!is_transient_io(&io::ErrorKind::InvalidInput.into()));
        let open: io::Error = crate::Error::circuit_open("db", None).into();
        assert!(is_transient_io(&open));
    }
}
