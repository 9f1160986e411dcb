//! HTTP rules shared by the `tower` and `reqwest` features: the `Retry-After` header in both
//! of its forms, and which methods may be sent twice.
//!
//! ```
//! use std::time::Duration;
//! use http::{HeaderMap, HeaderValue, Method, header::RETRY_AFTER};
//! use resilience::http::{is_idempotent, retry_after};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
//! assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
//!
//! assert!(is_idempotent(&Method::PUT));
//! assert!(!is_idempotent(&Method::POST));
//! ```

use std::time::{Duration, SystemTime};

use ::http::{HeaderMap, Method, header::RETRY_AFTER};

/// The delay a response's `Retry-After` header asks for, read now: `None` without the header
/// or with a value in neither form.
///
/// Both forms of [RFC 9110 §10.2.3](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3)
/// are read: delay-seconds (`"120"`) and an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, and
/// the two obsolete date formats a server may still send). A date already past asks for no
/// delay: `Some(Duration::ZERO)`. The caller caps the result (the tower layers and the
/// reqwest middleware do; see their `max_retry_after`).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, HeaderValue, header::RETRY_AFTER};
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(resilience::http::retry_after(&headers), None);
///
/// let in_a_minute = SystemTime::now() + Duration::from_secs(60);
/// let date = httpdate::fmt_http_date(in_a_minute);
/// headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
/// let wait = resilience::http::retry_after(&headers).unwrap();
/// assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// A `Retry-After` value read at `now`: delay-seconds, or an HTTP-date (a date before `now`
/// gives `Duration::ZERO`). `None` for anything else, such as a negative or fractional number
/// of seconds. Takes the clock as an argument, so that tests are exact.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use resilience::http::parse_retry_after;
///
/// // 2015-10-21 07:28:00 UTC.
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
/// assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
///     Some(Duration::from_secs(30)),
/// );
/// // The obsolete forms: RFC 850 and asctime.
/// assert_eq!(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_retry_after("Wed Oct 21 07:28:05 2015", now), Some(Duration::from_secs(5)));
/// // In the past: no delay.
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after("soon", now), None);
/// assert_eq!(parse_retry_after("-1", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Some(delay) = crate::classify::retry_after_seconds(value) {
        return Some(delay);
    }
    let date = httpdate::parse_http_date(value.trim()).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a request with this method may be sent again with the same effect: the idempotent
/// methods of [RFC 9110 §9.2.2](https://www.rfc-editor.org/rfc/rfc9110#section-9.2.2), `GET`,
/// `HEAD`, `OPTIONS`, `TRACE`, `PUT` and `DELETE`. `POST`, `PATCH`, `CONNECT` and extension
/// methods are not: a second `POST` may charge a card twice. The layers and the middleware
/// retry these methods alone unless told otherwise.
///
/// ```
/// use http::Method;
/// use resilience::http::is_idempotent;
///
/// for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE, Method::PUT, Method::DELETE] {
///     assert!(is_idempotent(&method), "{method}");
/// }
/// for method in [Method::POST, Method::PATCH, Method::CONNECT] {
///     assert!(!is_idempotent(&method), "{method}");
/// }
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_in_the_past_asks_for_no_delay_and_garbage_for_none() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", " ", "1.5", "1e3", "Wed, 21 Oct 2015", "tomorrow"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_header_that_is_not_text_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            ::http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
