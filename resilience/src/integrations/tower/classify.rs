//! What the layers ask of a service's outcomes and requests: which outcomes are failures
//! ([`Classify`]) and which requests may be sent again ([`Replay`]).

use std::time::Duration;

use ::http::{Request, Response};

/// Decides which outcomes of a service are failures: a [`CircuitBreakerLayer`] counts them,
/// a [`RetryLayer`] tries the request again (if it may be sent again, see [`Replay`]).
///
/// An outcome is the service's `Result`, borrowed: `Ok(&response)` or `Err(&error)`. HTTP
/// services answer most failures with a response (`Ok` with a 503), which is why the
/// response is asked about too. Implemented for every `Fn(Result<&Res, &E>) -> bool`:
///
/// ```
/// use resilience::tower::Classify;
///
/// #[derive(Debug)]
/// enum DbError { Busy, Constraint }
///
/// let busy = |outcome: Result<&u64, &DbError>| matches!(outcome, Err(DbError::Busy));
/// assert!(busy.is_failure(Err(&DbError::Busy)));
/// assert!(!busy.is_failure(Err(&DbError::Constraint)));
/// assert!(!busy.is_failure(Ok(&7)));
/// ```
///
/// [`CircuitBreakerLayer`]: super::CircuitBreakerLayer
/// [`RetryLayer`]: super::RetryLayer
pub trait Classify<Res, E> {
    /// Whether `outcome` is a failure.
    fn is_failure(&self, outcome: Result<&Res, &E>) -> bool;

    /// The delay a failed outcome asks for before the next attempt, such as an HTTP
    /// `Retry-After`; `None` (the default) to follow the retry policy's schedule.
    fn retry_after(&self, outcome: Result<&Res, &E>) -> Option<Duration> {
        let _ = outcome;
        None
    }
}

impl<Res, E, F: Fn(Result<&Res, &E>) -> bool> Classify<Res, E> for F {
    fn is_failure(&self, outcome: Result<&Res, &E>) -> bool {
        self(outcome)
    }
}

/// The default classifier: every error is a failure, every response a success. For services
/// whose errors all mean "try again" and whose responses never do.
///
/// ```
/// use resilience::tower::{Classify, Errors};
/// assert!(Classify::<u8, &str>::is_failure(&Errors, Err(&"refused")));
/// assert!(!Classify::<u8, &str>::is_failure(&Errors, Ok(&200)));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Errors;

impl<Res, E> Classify<Res, E> for Errors {
    #[inline]
    fn is_failure(&self, outcome: Result<&Res, &E>) -> bool {
        outcome.is_err()
    }
}

/// The HTTP classifier: an error (the request did not get a response) is a failure, and so
/// is a response whose status [`classify::is_retryable_status`](crate::classify::is_retryable_status)
/// accepts (408, 425, 429, 500, 502, 503, 504). Other statuses, 404 or 501 among them, are
/// answers: a breaker counts them as successes, a retry returns them. A failed response's
/// `Retry-After` header, in either form, is its delay (see
/// [`http::retry_after`](crate::http::retry_after)).
///
/// For `http::Response<B>` (hyper, axum and tower-http services), and for
/// `reqwest::Response` with the `reqwest` feature too.
///
/// ```
/// use std::time::Duration;
/// use http::{Response, StatusCode, header::RETRY_AFTER};
/// use resilience::tower::{Classify, HttpStatus};
///
/// let busy = Response::builder().status(429).header(RETRY_AFTER, "2").body(()).unwrap();
/// let missing = Response::builder().status(StatusCode::NOT_FOUND).body(()).unwrap();
/// let ok: Result<&Response<()>, &std::io::Error> = Ok(&busy);
/// assert!(HttpStatus.is_failure(ok));
/// assert_eq!(HttpStatus.retry_after(ok), Some(Duration::from_secs(2)));
/// assert!(!HttpStatus.is_failure(Ok::<_, &std::io::Error>(&missing)));
/// assert!(HttpStatus.is_failure(Err::<&Response<()>, _>(&std::io::Error::other("reset"))));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpStatus;

impl<B, E> Classify<Response<B>, E> for HttpStatus {
    #[inline]
    fn is_failure(&self, outcome: Result<&Response<B>, &E>) -> bool {
        match outcome {
            Ok(response) => crate::classify::is_retryable_status(response.status().as_u16()),
            Err(_) => true,
        }
    }

    fn retry_after(&self, outcome: Result<&Response<B>, &E>) -> Option<Duration> {
        crate::http::retry_after(outcome.ok()?.headers())
    }
}

#[cfg(feature = "reqwest")]
impl<E> Classify<::reqwest::Response, E> for HttpStatus {
    #[inline]
    fn is_failure(&self, outcome: Result<&::reqwest::Response, &E>) -> bool {
        match outcome {
            Ok(response) => crate::classify::is_retryable_status(response.status().as_u16()),
            Err(_) => true,
        }
    }

    fn retry_after(&self, outcome: Result<&::reqwest::Response, &E>) -> Option<Duration> {
        crate::http::retry_after(outcome.ok()?.headers())
    }
}

/// Decides which requests may be sent again, and makes the copy that is sent: `None` means
/// the request has one attempt only, whatever the retry policy says.
///
/// A request is consumed by the attempt that sends it, so every retry needs a copy; one that
/// cannot be copied (a streaming body) is never retried. Implemented for every
/// `Fn(&Req) -> Option<Req>`:
///
/// ```
/// use resilience::tower::Replay;
///
/// #[derive(Clone)]
/// struct Query { sql: String, read_only: bool }
///
/// let reads = |q: &Query| q.read_only.then(|| q.clone());
/// assert!(reads.replay(&Query { sql: "SELECT 1".into(), read_only: true }).is_some());
/// assert!(reads.replay(&Query { sql: "DELETE".into(), read_only: false }).is_none());
/// ```
pub trait Replay<Req> {
    /// A copy of `request` for another attempt, or `None` if it may not be sent again.
    fn replay(&self, request: &Req) -> Option<Req>;
}

impl<Req, F: Fn(&Req) -> Option<Req>> Replay<Req> for F {
    fn replay(&self, request: &Req) -> Option<Req> {
        self(request)
    }
}

/// The default for services that are not HTTP: every request may be sent again, cloned.
///
/// ```
/// use resilience::tower::{CloneRequests, Replay};
/// assert_eq!(CloneRequests.replay(&"ping"), Some("ping"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CloneRequests;

impl<Req: Clone> Replay<Req> for CloneRequests {
    #[inline]
    fn replay(&self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

/// The HTTP default: a request may be sent again if its method is idempotent
/// ([`http::is_idempotent`](crate::http::is_idempotent): `GET`, `HEAD`, `OPTIONS`, `TRACE`,
/// `PUT`, `DELETE`) and its body can be copied ([`CloneBody`]). A `POST` is sent once.
///
/// For `http::Request<B>` with a body of [`CloneBody`], and for `reqwest::Request` (whose
/// `try_clone` refuses a streaming body) with the `reqwest` feature.
///
/// ```
/// use http::{Method, Request};
/// use resilience::tower::{Idempotent, Replay};
///
/// let get = Request::get("http://localhost/items/7").body(String::new()).unwrap();
/// let copy = Idempotent.replay(&get).unwrap();
/// assert_eq!((copy.method(), copy.uri()), (get.method(), get.uri()));
///
/// let post = Request::post("http://localhost/orders").body("{}".to_string()).unwrap();
/// assert!(Idempotent.replay(&post).is_none(), "a POST may not be sent twice");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Idempotent;

impl<B: CloneBody> Replay<Request<B>> for Idempotent {
    fn replay(&self, request: &Request<B>) -> Option<Request<B>> {
        if !crate::http::is_idempotent(request.method()) {
            return None;
        }
        copy_request(request)
    }
}

#[cfg(feature = "reqwest")]
impl Replay<::reqwest::Request> for Idempotent {
    fn replay(&self, request: &::reqwest::Request) -> Option<::reqwest::Request> {
        if !crate::http::is_idempotent(request.method()) {
            return None;
        }
        request.try_clone()
    }
}

/// Any HTTP request whose body can be copied may be sent again, whatever its method: for APIs
/// that make `POST` safe to repeat (an idempotency key), and what reqwest-retry does.
///
/// ```
/// use http::Request;
/// use resilience::tower::{AnyMethod, Replay};
///
/// let post = Request::post("http://localhost/orders")
///     .header("idempotency-key", "8e03978e")
///     .body("{}".to_string())
///     .unwrap();
/// let copy = AnyMethod.replay(&post).unwrap();
/// assert_eq!(copy.headers()["idempotency-key"], "8e03978e");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyMethod;

impl<B: CloneBody> Replay<Request<B>> for AnyMethod {
    fn replay(&self, request: &Request<B>) -> Option<Request<B>> {
        copy_request(request)
    }
}

#[cfg(feature = "reqwest")]
impl Replay<::reqwest::Request> for AnyMethod {
    fn replay(&self, request: &::reqwest::Request) -> Option<::reqwest::Request> {
        request.try_clone()
    }
}

/// No request is sent again: one attempt each. For bodies that stream, when the body type
/// cannot say so itself (hyper's `Incoming`).
///
/// ```
/// use resilience::tower::{Replay, SendOnce};
/// assert_eq!(SendOnce.replay(&"ping"), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOnce;

impl<Req> Replay<Req> for SendOnce {
    #[inline]
    fn replay(&self, _: &Req) -> Option<Req> {
        None
    }
}

/// A copy of `request`, head and extensions included, if its body can be copied.
fn copy_request<B: CloneBody>(request: &Request<B>) -> Option<Request<B>> {
    let body = request.body().clone_body()?;
    let mut copy = Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// A request body that may be copied for another attempt, or that says it cannot be.
///
/// Implemented for the bodies that hold their bytes (`String`, `Vec<u8>`, `Bytes`, `&'static
/// str`, `&'static [u8]`, `()`, http-body-util's `Full` and `Empty`), and as "never" for the
/// boxed bodies that may stream (`BoxBody`, `UnsyncBoxBody`). Implement it for a body type of
/// your own; for a foreign body type that streams (hyper's `Incoming`), give the layer
/// [`SendOnce`].
///
/// ```
/// use bytes::Bytes;
/// use resilience::tower::CloneBody;
///
/// assert_eq!(Bytes::from_static(b"{}").clone_body(), Some(Bytes::from_static(b"{}")));
///
/// struct Upload(std::fs::File);
/// impl CloneBody for Upload {
///     fn clone_body(&self) -> Option<Self> {
///         None // read once: never retried
///     }
/// }
/// ```
pub trait CloneBody: Sized {
    /// A copy of the body, or `None` if it cannot be sent twice.
    fn clone_body(&self) -> Option<Self>;
}

/// Bodies that hold their bytes: copied with `Clone`.
macro_rules! clone_bodies {
    ($($body:ty),* $(,)?) => {$(
        impl CloneBody for $body {
            #[inline]
            fn clone_body(&self) -> Option<Self> {
                Some(self.clone())
            }
        }
    )*};
}

clone_bodies!(
    String,
    Vec<u8>,
    bytes::Bytes,
    &'static str,
    &'static [u8],
    ()
);

impl<D: Clone> CloneBody for http_body_util::Full<D> {
    #[inline]
    fn clone_body(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<D> CloneBody for http_body_util::Empty<D> {
    #[inline]
    fn clone_body(&self) -> Option<Self> {
        Some(http_body_util::Empty::new())
    }
}

impl<D, E> CloneBody for http_body_util::combinators::BoxBody<D, E> {
    /// A boxed body may stream: never copied.
    #[inline]
    fn clone_body(&self) -> Option<Self> {
        None
    }
}

impl<D, E> CloneBody for http_body_util::combinators::UnsyncBoxBody<D, E> {
    /// A boxed body may stream: never copied.
    #[inline]
    fn clone_body(&self) -> Option<Self> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::http::{Method, Version};

    #[test]
    fn a_copy_keeps_the_head_and_the_extensions() {
        #[derive(Clone, Debug, PartialEq)]
        struct TraceId(u64);
        let mut request = Request::builder()
            .method(Method::PUT)
            .uri("http://example.invalid/a?b=c")
            .version(Version::HTTP_11)
            .header("x-token", "t")
            .body(bytes::Bytes::from_static(b"payload"))
            .unwrap();
        request.extensions_mut().insert(TraceId(9));
        let copy = Idempotent.replay(&request).unwrap();
        assert_eq!(copy.method(), Method::PUT);
        assert_eq!(copy.uri(), "http://example.invalid/a?b=c");
        assert_eq!(copy.version(), Version::HTTP_11);
        assert_eq!(copy.headers()["x-token"], "t");
        assert_eq!(copy.extensions().get::<TraceId>(), Some(&TraceId(9)));
        assert_eq!(copy.body(), &bytes::Bytes::from_static(b"payload"));
    }

    #[test]
    fn streaming_bodies_are_never_replayed() {
        use http_body_util::{BodyExt, Full};
        let body = Full::new(bytes::Bytes::from_static(b"x"))
            .map_err(|never| match never {})
            .boxed();
        let request = Request::get("http://example.invalid/").body(body).unwrap();
        assert!(Idempotent.replay(&request).is_none());
        assert!(AnyMethod.replay(&request).is_none());
    }

    #[test]
    fn http_status_follows_the_crate_rules() {
        for status in [408, 425, 429, 500, 502, 503, 504] {
            let response = Response::builder().status(status).body(()).unwrap();
            assert!(HttpStatus.is_failure(Ok::<_, &()>(&response)), "{status}");
        }
        for status in [200, 204, 301, 400, 404, 409, 501, 505] {
            let response = Response::builder().status(status).body(()).unwrap();
            assert!(!HttpStatus.is_failure(Ok::<_, &()>(&response)), "{status}");
        }
    }
}
