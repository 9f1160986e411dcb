//! What the attributes require of the functions they wrap, as traits. A compile error about
//! an attributed function names the one it misses, with what to change.
//!
//! - [`ReturnsResult`]: every attribute wraps a function that returns a `Result` (spelled any
//!   way: `io::Result<T>`, a crate's own alias).
//! - [`CarriesError`]: `#[circuit_breaker]` and `#[timeout]` return their own errors through
//!   the function's error type, which must implement `From<resilience::Error>`.
//! - [`WorkerArgument`]: a sync function under `#[timeout]` runs its body on a worker thread,
//!   so each argument moves there and must be `Send + 'static`.
//! - [`BreakerKey`]: the `key` of a keyed `#[circuit_breaker]` is known by its text, so it
//!   must implement `Display`.
//!
//! Nothing here needs implementing: each trait is implemented for every type that meets it.
//!
//! ```
//! use resilience::bounds::{self, BreakerKey, CarriesError, ReturnsResult, WorkerArgument};
//!
//! bounds::returns_result::<std::io::Result<u8>>();
//! bounds::can_reject::<Result<u8, resilience::Error>>();
//! fn is_worker_argument<T: WorkerArgument>() {}
//! is_worker_argument::<std::sync::Arc<String>>();
//! fn is_breaker_key<T: BreakerKey + ?Sized>() {}
//! is_breaker_key::<str>();
//! is_breaker_key::<std::net::IpAddr>();
//! ```

mod sealed {
    pub trait Sealed {}
    impl<T, E> Sealed for Result<T, E> {}
}

/// Implemented by `Result` only: the attributes wrap functions that return one.
///
/// ```compile_fail
/// #[resilience::retry]
/// fn fetch() -> Option<u32> { None } // error: needs a function that returns a `Result`
/// ```
#[diagnostic::on_unimplemented(
    message = "`resilience` attributes wrap functions that return a `Result`, not `{Self}`",
    label = "this must be a `Result<T, E>` (or an alias of one, such as `io::Result<T>`)",
    note = "retries, breakers and timeouts decide by `Ok` and `Err`; return `Result<{Self}, E>` with the error type of your choice"
)]
pub trait ReturnsResult: sealed::Sealed + Sized {
    /// The success type.
    type Ok;
    /// The error type, against which `when` and `on_retry` functions are checked.
    type Err;

    /// The `Result` as its own type (the identity).
    #[doc(hidden)]
    fn from_result(result: Result<Self::Ok, Self::Err>) -> Self;

    /// The `Result` as `Result` (the identity).
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}

impl<T, E> ReturnsResult for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline(always)]
    fn from_result(result: Result<T, E>) -> Self {
        result
    }

    #[inline(always)]
    fn into_result(self) -> Result<T, E> {
        self
    }
}

/// An error type that can carry a [`crate::Error`]: what `#[circuit_breaker]` (for its
/// rejections, `Error::CircuitOpen`) and `#[timeout]` (`Error::Timeout`) need of the function's
/// error type. Implemented for every type with `From<resilience::Error>`, as
/// `resilience::Error`, `std::io::Error`, `anyhow::Error` and
/// `Box<dyn std::error::Error + Send + Sync>`.
///
/// ```compile_fail
/// #[derive(Debug)]
/// struct ApiError;
///
/// #[resilience::timeout("1s")] // error: `ApiError` cannot carry a `resilience::Error`
/// async fn fetch() -> Result<(), ApiError> { Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot carry a `resilience::Error`: it needs `From<resilience::Error>`",
    label = "the error type of this `Result` must implement `From<resilience::Error>`",
    note = "`#[circuit_breaker]` and `#[timeout]` return their own errors (`Error::CircuitOpen`, `Error::Timeout`) through your error type: add `impl From<resilience::Error> for {Self}`, or use `std::io::Error`, `anyhow::Error` or `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait CarriesError: From<crate::Error> {}

impl<E: From<crate::Error>> CarriesError for E {}

/// What a sync function under `#[timeout]` takes: its body runs on a worker thread that may
/// outlive the call, so each argument moves there, and must be `Send` (to cross threads) and
/// `'static` (to outlive the call). Implemented for every such type.
///
/// ```compile_fail
/// use std::rc::Rc;
///
/// #[resilience::timeout("1s")]
/// fn load(config: Rc<String>) -> std::io::Result<usize> { // error: `Rc<String>` ...
///     Ok(config.len())
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot move to the worker thread of a sync `#[timeout]`: an argument must be `Send + 'static`",
    label = "this argument moves to a worker thread, which needs `Send`",
    note = "a sync function under `#[timeout]` runs its body on a worker thread, which may outlive the call: take a type that can be sent there instead (`Arc` for `Rc`, an owned value for a borrow), or make the function `async`, where the body stays on the caller's task"
)]
pub trait WorkerArgument: Sized {
    /// The argument, unchanged, checked to be able to move to a worker thread.
    fn to_worker(self) -> Self;
}

impl<T: Send + 'static> WorkerArgument for T {
    #[inline(always)]
    fn to_worker(self) -> Self {
        self
    }
}

/// What `#[circuit_breaker(name = "..", key = ..)]` takes as a key: any type with `Display`
/// (`u32`, `&str`, `String`, `IpAddr`, your own), since a key is known by its text (see
/// [`KeyedBreaker`](crate::KeyedBreaker)). Implemented for every such type.
///
/// ```compile_fail
/// struct Shard { id: u32 }
///
/// #[resilience::circuit_breaker(name = "shards", key = shard)] // error: `Shard` cannot be a breaker key
/// fn query(shard: &Shard) -> Result<u32, resilience::Error> { Ok(shard.id) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a breaker key: a key is known by its text, so it must implement `Display`",
    label = "this key must implement `std::fmt::Display`",
    note = "pass a field or a value that displays as the key (`key = shard.id`, `key = host.as_str()`), or implement `Display` for `{Self}`"
)]
pub trait BreakerKey: std::fmt::Display {}

impl<T: std::fmt::Display + ?Sized> BreakerKey for T {}

/// Compiles only where `R` is a `Result`: the check every attribute makes at the return type.
#[inline(always)]
pub const fn returns_result<R: ReturnsResult>() {}

/// Compiles only where `R` is a `Result` whose error type [carries](CarriesError) a
/// [`crate::Error`]: the check `#[circuit_breaker]` and `#[timeout]` make at the return type.
#[inline(always)]
pub const fn can_reject<R: ReturnsResult>()
where
    R::Err: CarriesError,
{
}

/// What an expansion calls to type a body's result by the function's declared return type,
/// reached through `__private`: helpers of the checks above, not a public API.
pub(crate) mod result {
    use super::{CarriesError, ReturnsResult};

    /// Runs one sync attempt. The turbofish on the return type gives the body's `?` its
    /// target type, as the function's signature would; the result is a `Result` even where
    /// `R` failed to be one (which the check at the return type reports), so that the code
    /// around it adds no errors of its own.
    #[inline(always)]
    pub fn attempt<R: ReturnsResult, F: FnOnce() -> R>(body: F) -> Result<R::Ok, R::Err> {
        body().into_result()
    }

    /// Types one async attempt, as [`attempt`] does for sync bodies.
    #[inline(always)]
    pub fn attempt_async<R, F: Future<Output = R>>(body: F) -> F {
        body
    }

    /// The result of an async attempt, as [`attempt`] gives it.
    #[inline(always)]
    pub fn into_result<R: ReturnsResult>(result: R) -> Result<R::Ok, R::Err> {
        result.into_result()
    }

    /// The result of the whole call as the declared return type (the identity).
    #[inline(always)]
    pub fn from_result<R: ReturnsResult>(result: Result<R::Ok, R::Err>) -> R {
        R::from_result(result)
    }

    /// The key of a keyed breaker, checked to be one where it is written.
    #[inline(always)]
    pub fn breaker_key<K: super::BreakerKey + ?Sized>(key: &K) -> &K {
        key
    }

    /// The rejection of an open breaker, as the function's return type.
    #[cold]
    pub fn reject<R: ReturnsResult>(error: crate::Error) -> R
    where
        R::Err: CarriesError,
    {
        R::from_result(Err(R::Err::from(error)))
    }
}
