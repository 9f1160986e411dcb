//! The crate's engines for [reqwest](https://docs.rs/reqwest): helpers any reqwest user needs,
//! and a [reqwest-middleware](https://docs.rs/reqwest-middleware) middleware. With the
//! `reqwest` feature.
//!
//! **Without middleware**, for `#[retry]` and the plain API around reqwest calls:
//! [`classify`], [`classify_error`] and [`classify_status`] say which outcomes are worth
//! another try, by exactly the rules of reqwest-retry's default strategy (so a port from it
//! retries what it retried); [`is_transient_error`] fits `when =`; [`retry_after`] and
//! [`retry_after_headers`] read `Retry-After` in both of its forms.
//!
//! ```
//! use std::time::Duration;
//! use resilience::{RetryAfter, reqwest::{is_transient_response, retry_after}, retry};
//!
//! #[derive(Debug)]
//! enum QuoteError {
//!     Transport(reqwest::Error),
//!     Busy(Option<Duration>),
//! }
//!
//! impl RetryAfter for QuoteError {
//!     fn retry_after(&self) -> Option<Duration> {
//!         match self {
//!             QuoteError::Busy(wait) => *wait,
//!             QuoteError::Transport(_) => None,
//!         }
//!     }
//! }
//!
//! #[retry(max_attempts = 4)]
//! async fn quote(client: &reqwest::Client, url: &str) -> Result<String, QuoteError> {
//!     let response = client.get(url).send().await.map_err(QuoteError::Transport)?;
//!     if is_transient_response(&response) {
//!         return Err(QuoteError::Busy(retry_after(&response)));
//!     }
//!     response.text().await.map_err(QuoteError::Transport)
//! }
//! # let _ = quote;
//! ```
//!
//! **With reqwest-middleware**, [`ResilienceMiddleware`] retries every request of a client
//! under a [`RetryPolicy`](crate::RetryPolicy), with a retry budget, `Retry-After`, an optional
//! breaker and an optional timeout per attempt:
//!
//! ```
//! use std::time::Duration;
//! use resilience::{BreakerConfig, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
//! use reqwest_middleware::ClientBuilder;
//!
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(
//!         ResilienceMiddleware::new(RetryPolicy::new().with_max_attempts(3))
//!             .named("quotes")
//!             .breaker(breakers::configure("quotes", BreakerConfig::new()))
//!             .attempt_timeout(Duration::from_secs(2)),
//!     )
//!     .build();
//! // client.get(url).send().await: a 503 retried, its `Retry-After` honoured, and the last
//! // response returned when the attempts run out.
//! # let _ = client;
//! ```
//!
//! # Beside reqwest-retry
//!
//! | | [`ResilienceMiddleware`] | reqwest-retry's `RetryTransientMiddleware` |
//! |---|---|---|
//! | what is retried | the same rules ([`classify`]), replaceable ([`ResilienceMiddleware::classify`]) | transient errors and 408, 429, 5xx, replaceable (`RetryableStrategy`) |
//! | counting | attempts (`max_attempts = 3` is 2 retries) | retries (`build_with_max_retries(2)`) |
//! | schedule | [`RetryPolicy`](crate::RetryPolicy): exponential, linear, constant or Fibonacci; full jitter by default; `max_elapsed` | retry-policies' `ExponentialBackoff`: bounded jitter; a total duration |
//! | `Retry-After` | honoured, both forms; one above [`max_retry_after`](ResilienceMiddleware::max_retry_after) ends the retries | ignored |
//! | methods | idempotent only, unless [`retry_any_method`](ResilienceMiddleware::retry_any_method) | any method |
//! | a body that streams | sent once, not retried | the request fails with a middleware error |
//! | attempts exhausted on a response | the last response, `Ok` | the last response, `Ok` |
//! | attempts exhausted on an error | the last error, unchanged | wrapped in `RetryError::WithRetries { retries, err }` |
//! | retry budget | on by default, named, listed in [`budgets`](crate::budgets) | none |
//! | circuit breaker | optional, the registry's (operators' tools, environment) | none |
//! | timeout per attempt, deadlines | [`attempt_timeout`](ResilienceMiddleware::attempt_timeout); a deadline in scope cuts each attempt's timeout | reqwest's own timeouts |
//! | extensions | each attempt starts from the caller's; the last attempt's are returned | shared by the attempts |
//! | statistics and logs | [`retries`](crate::retries), `tracing`/`metrics` features | `tracing` events |
//!
//! The differences are tested on real servers on loopback (`tests/tests/reqwest_middleware.rs`),
//! and their costs measured in `benches/benches/reqwest.rs` (figures in `BENCHMARKS.md`).

mod classify;
mod middleware;

pub use classify::{
    Verdict, classify, classify_error, classify_status, is_transient_error, is_transient_response,
    resilience_error, retry_after, retry_after_headers,
};
pub use middleware::{ClassifyFn, ResilienceMiddleware};
