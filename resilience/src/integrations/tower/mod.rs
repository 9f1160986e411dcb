//! The crate's engines as [tower](https://docs.rs/tower) layers, for the stacks that compose
//! resilience as middleware: `tower::ServiceBuilder`, hyper and axum clients, tonic channels.
//! With the `tower` feature.
//!
//! - [`RetryLayer`]: the retry engine of `#[retry]`, with its [`RetryPolicy`](crate::RetryPolicy),
//!   retry budgets and statistics. HTTP responses such as a 503 are retried as values
//!   ([`RetryLayer::http`]).
//! - [`CircuitBreakerLayer`]: a named breaker of the registry ([`breakers`](crate::breakers)),
//!   which operators list, reset, force open and configure as they do the attributes'.
//! - [`TimeoutLayer`]: bounds each call and puts its deadline in scope
//!   ([`deadline`](crate::deadline)) for the code below.
//! - [`Classify`] decides which outcomes are failures, [`Replay`] which requests may be sent
//!   again; [`HttpStatus`] and [`Idempotent`] are HTTP's rules.
//!
//! Errors the layers make themselves are [`Error`](crate::Error)s, boxed as tower's usual
//! [`BoxError`]: `err.downcast_ref::<resilience::Error>()` tells a timeout or an open breaker.
//! The retry layer returns the service's own last error, unchanged.
//!
//! # Order
//!
//! `ServiceBuilder` applies its layers top to bottom, outermost first, as the attributes do,
//! so a stack reads like the attributes it replaces:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! use http::{Request, Response};
//! use resilience::{BreakerConfig, RetryPolicy};
//! use resilience::tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # let client = service_fn(|_: Request<String>| async {
//! #     Ok::<_, std::io::Error>(Response::new("in stock".to_string()))
//! # });
//! let inventory = ServiceBuilder::new()
//!     // #[retry(max_attempts = 3)]: outermost, each attempt passes through the breaker
//!     .layer(RetryLayer::http(RetryPolicy::new()).named("inventory"))
//!     // #[circuit_breaker(name = "inventory")]: counts every attempt; refuses once open
//!     .layer(CircuitBreakerLayer::named("inventory", BreakerConfig::new()).http())
//!     // #[timeout("2s")]: innermost, bounds each attempt
//!     .layer(TimeoutLayer::new(Duration::from_secs(2)).named("inventory"))
//!     .service(client);
//!
//! let response = inventory.oneshot(Request::get("http://inventory/items/7").body(String::new()).unwrap()).await.unwrap();
//! assert_eq!(response.body(), "in stock");
//! # }
//! ```
//!
//! The orders mean what they mean for the attributes (see the crate's README, "Stacking"): a
//! timeout above the retry bounds the whole loop, sleeps included, and the retry then never
//! sleeps past it; a breaker above the retry counts whole loops.
//!
//! # Beside tower's own layers and tower-resilience
//!
//! | | this module | `tower` (`retry`, `timeout`) | `tower-resilience` |
//! |---|---|---|---|
//! | retry schedule | the crate's [`RetryPolicy`](crate::RetryPolicy): backoff, jitter, `max_elapsed` | written by the user (a `Policy`) | its own builder |
//! | retry budget | on by default, shared by name, listed in [`budgets`](crate::budgets) | `TpsBudget`, given to the user's `Policy` | optional |
//! | responses retried (a 503) | yes, [`HttpStatus`]; the last response is returned | in the user's `Policy` | `retry_on_response` |
//! | `Retry-After` | honoured, capped | no | no |
//! | which requests are retried | [`Replay`]: idempotent methods and copyable bodies for HTTP | `Policy::clone_request` | every request (`Req: Clone`) |
//! | breaker | the registry's, shared with the attributes, operators' tools, environment configuration | none | its own, per layer |
//! | deadline seen by the code below | yes ([`deadline`](crate::deadline)), and the retry stops before it | no | no |
//! | errors | the service's own (retry), [`Error`](crate::Error) boxed (breaker, timeout) | `BoxError` (`Elapsed`) | wrapped in its own enums |
//! | futures | not boxed (retry: boxed once a first attempt failed) | not boxed | boxed |
//!
//! Their behaviour side by side, on the same services, is tested in `tests/tests/tower_peers.rs`,
//! and their costs are measured in `benches/benches/tower.rs` (figures in `BENCHMARKS.md`).

mod breaker;
mod classify;
mod retry;
mod timeout;

pub use breaker::{CircuitBreakerFuture, CircuitBreakerLayer, CircuitBreakerService};
pub use classify::{
    AnyMethod, Classify, CloneBody, CloneRequests, Errors, HttpStatus, Idempotent, Replay, SendOnce,
};
pub use retry::{RetryFuture, RetryLayer, RetryService};
pub use timeout::{TimeoutFuture, TimeoutLayer, TimeoutService};

/// The error type of the breaker and timeout layers, as in tower: any error, boxed. A
/// rejection or a timeout is a boxed [`Error`](crate::Error); the service's own errors are
/// boxed as they are.
///
/// ```
/// use resilience::tower::BoxError;
/// let err: BoxError = Box::new(resilience::Error::circuit_open("db", None));
/// assert!(err.downcast_ref::<resilience::Error>().unwrap().is_circuit_open());
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
