//! Which reqwest outcomes are worth another try: reqwest-retry's rules, and `Retry-After`.

use std::time::Duration;

use ::http::HeaderMap;
use ::reqwest::{Response, StatusCode};

/// What an outcome of a request means for retries and breakers, by the rules of
/// reqwest-retry's default strategy ([`classify`]).
///
/// ```
/// use reqwest::StatusCode;
/// use resilience::reqwest::{Verdict, classify_status};
///
/// assert_eq!(classify_status(StatusCode::OK), Verdict::Success);
/// assert_eq!(classify_status(StatusCode::SERVICE_UNAVAILABLE), Verdict::Transient);
/// assert_eq!(classify_status(StatusCode::NOT_FOUND), Verdict::Fatal);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// A success: a 2xx response.
    Success,
    /// A failure that may pass: worth another try, and a failure for a breaker.
    Transient,
    /// An answer no retry changes (a 404, a redirect left unfollowed) or an error of the
    /// request itself (it could not be built, its body could not be read): not retried, and
    /// not held against the server by a breaker.
    Fatal,
}

impl Verdict {
    /// Whether this is [`Verdict::Transient`].
    ///
    /// ```
    /// assert!(resilience::reqwest::Verdict::Transient.is_transient());
    /// ```
    pub fn is_transient(self) -> bool {
        self == Verdict::Transient
    }
}

/// Classifies a request's outcome as reqwest-retry's default strategy does, so that code
/// moving from it retries exactly what it retried: a response by [`classify_status`], an
/// error of reqwest by [`classify_error`], and an error of a middleware as
/// [`Verdict::Fatal`].
///
/// ```
/// use resilience::reqwest::{Verdict, classify};
///
/// let response = reqwest::Response::from(http::Response::builder().status(429).body("").unwrap());
/// assert_eq!(classify(&Ok(response)), Verdict::Transient);
///
/// let refused = reqwest_middleware::Error::middleware(std::io::Error::other("no route"));
/// assert_eq!(classify(&Err(refused)), Verdict::Fatal);
/// ```
pub fn classify(outcome: &Result<Response, reqwest_middleware::Error>) -> Verdict {
    match outcome {
        Ok(response) => classify_status(response.status()),
        Err(reqwest_middleware::Error::Reqwest(error)) => classify_error(error),
        Err(reqwest_middleware::Error::Middleware(_)) => Verdict::Fatal,
    }
}

/// Classifies a response's status as reqwest-retry does: 5xx, 408 Request Timeout and 429
/// Too Many Requests are transient; 2xx a success; anything else (other 4xx, 1xx, 3xx) fatal.
///
/// This differs from the crate's own HTTP rule,
/// [`classify::is_retryable_status`](crate::classify::is_retryable_status), used by the tower
/// layers: reqwest-retry also retries 501 Not Implemented, 505 HTTP Version Not Supported and
/// every other 5xx, and does not retry 425 Too Early.
///
/// ```
/// use reqwest::StatusCode;
/// use resilience::reqwest::{Verdict, classify_status};
///
/// for code in [408, 429, 500, 501, 502, 503, 504, 599] {
///     assert_eq!(classify_status(StatusCode::from_u16(code).unwrap()), Verdict::Transient, "{code}");
/// }
/// for code in [301, 400, 401, 404, 425] {
///     assert_eq!(classify_status(StatusCode::from_u16(code).unwrap()), Verdict::Fatal, "{code}");
/// }
/// assert_eq!(classify_status(StatusCode::NO_CONTENT), Verdict::Success);
/// ```
pub fn classify_status(status: StatusCode) -> Verdict {
    if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        Verdict::Transient
    } else if status.is_success() {
        Verdict::Success
    } else {
        Verdict::Fatal
    }
}

/// Classifies an error of reqwest as reqwest-retry does:
///
/// - a timeout, or a failure to connect: transient;
/// - an error of the body, of decoding, of building the request or of a redirect: fatal;
/// - an error sending the request: transient if the connection was closed under it (hyper's
///   incomplete message, or cancelled), or reset or aborted; fatal otherwise;
/// - anything else: fatal (reqwest-retry does not retry these either; it calls them "no
///   failure" rather than fatal).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience::reqwest::{Verdict, classify_error};
///
/// // A port nothing listens on: the connection is refused.
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let error = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap_err();
/// assert_eq!(classify_error(&error), Verdict::Transient);
///
/// let error = reqwest::Client::new().get("not a url").send().await.unwrap_err();
/// assert_eq!(classify_error(&error), Verdict::Fatal);
/// # }
/// ```
pub fn classify_error(error: &::reqwest::Error) -> Verdict {
    if error.is_timeout() || error.is_connect() {
        return Verdict::Transient;
    }
    if error.is_body() || error.is_decode() || error.is_builder() || error.is_redirect() {
        return Verdict::Fatal;
    }
    if error.is_request() {
        if let Some(hyper_error) = source_of::<hyper::Error>(error) {
            if hyper_error.is_incomplete_message() || hyper_error.is_canceled() {
                return Verdict::Transient;
            }
            if let Some(io_error) = source_of::<std::io::Error>(hyper_error) {
                return match io_error.kind() {
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                        Verdict::Transient
                    }
                    _ => Verdict::Fatal,
                };
            }
        }
    }
    Verdict::Fatal
}

/// Whether an error of reqwest is transient: [`classify_error`] says so. Fits `when =` and
/// [`Retry::when`](crate::Retry::when) on functions that return `reqwest::Error`.
///
/// ```
/// use resilience::{RetryPolicy, reqwest::is_transient_error};
/// # async fn fetch(client: &reqwest::Client) -> Result<String, reqwest::Error> {
/// let body = RetryPolicy::new()
///     .retrying()
///     .when(is_transient_error)
///     .call_async(|| async { client.get("http://localhost:9/").send().await?.text().await })
///     .await?;
/// # Ok(body) }
/// ```
pub fn is_transient_error(error: &::reqwest::Error) -> bool {
    classify_error(error).is_transient()
}

/// Whether a response is transient: [`classify_status`] says so of its status.
///
/// ```
/// let busy = reqwest::Response::from(http::Response::builder().status(503).body("").unwrap());
/// assert!(resilience::reqwest::is_transient_response(&busy));
/// ```
pub fn is_transient_response(response: &Response) -> bool {
    classify_status(response.status()).is_transient()
}

/// The delay a response's `Retry-After` header asks for, in either of its forms (seconds, or
/// an HTTP-date); see [`http::retry_after`](crate::http::retry_after).
///
/// ```
/// use std::time::Duration;
/// let response = reqwest::Response::from(
///     http::Response::builder().status(429).header("retry-after", "3").body("").unwrap(),
/// );
/// assert_eq!(resilience::reqwest::retry_after(&response), Some(Duration::from_secs(3)));
/// ```
pub fn retry_after(response: &Response) -> Option<Duration> {
    crate::http::retry_after(response.headers())
}

/// The delay a set of headers' `Retry-After` asks for, for code that keeps the headers of a
/// response it has consumed; see [`http::retry_after`](crate::http::retry_after).
///
/// ```
/// use std::time::Duration;
/// let mut headers = reqwest::header::HeaderMap::new();
/// headers.insert(reqwest::header::RETRY_AFTER, "120".parse().unwrap());
/// assert_eq!(resilience::reqwest::retry_after_headers(&headers), Some(Duration::from_secs(120)));
/// ```
pub fn retry_after_headers(headers: &HeaderMap) -> Option<Duration> {
    crate::http::retry_after(headers)
}

/// The crate's own error inside a middleware error: the [`ResilienceMiddleware`]'s open
/// breaker or attempt timeout.
///
/// ```
/// let err = reqwest_middleware::Error::middleware(resilience::Error::circuit_open("api", None));
/// assert!(resilience::reqwest::resilience_error(&err).unwrap().is_circuit_open());
/// ```
///
/// [`ResilienceMiddleware`]: super::ResilienceMiddleware
pub fn resilience_error(error: &reqwest_middleware::Error) -> Option<&crate::Error> {
    match error {
        reqwest_middleware::Error::Middleware(error) => error.downcast_ref::<crate::Error>(),
        reqwest_middleware::Error::Reqwest(_) => None,
    }
}

/// The first error of type `T` in `error`'s chain of sources, itself excluded.
fn source_of<T: std::error::Error + 'static>(error: &dyn std::error::Error) -> Option<&T> {
    let mut source = error.source();
    while let Some(error) = source {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        source = error.source();
    }
    None
}
