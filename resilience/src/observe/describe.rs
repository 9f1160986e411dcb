//! How an error is written in a log line: its `Debug` where the error type has one, else the
//! type's name, so that logging adds no bound to the user's error type. The engine takes the
//! choice as a function pointer ([`Describe`]); the `#[retry]` attribute picks it where the
//! error type is known, by autoref specialisation ([`describe!`](crate::__resilience_describe)).

use std::fmt;

/// Writes an error for a log line. A function pointer, so that the engine needs no bound on
/// the error type.
pub(crate) type Describe<E> = fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result;

/// Writes the error type's name: the description of errors without `Debug`, and of every
/// error of the plain API, which is generic over its error type.
pub fn type_name<E>(_: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(std::any::type_name::<E>())
}

/// Writes a retried `Ok` value for a log line: `Ok(` its type's name `)`, since the engine
/// is generic over the value's type.
pub(crate) fn ok_type_name<T>(_: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "Ok({})", std::any::type_name::<T>())
}

/// An error with its description, displayed by it.
#[cfg(feature = "tracing")]
pub(crate) struct Described<'a, E>(pub(crate) &'a E, pub(crate) Describe<E>);

#[cfg(feature = "tracing")]
impl<E> fmt::Display for Described<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.1)(self.0, f)
    }
}

/// Wraps a result to pick how its error is written in logs: `Debug` where the error type
/// implements it, its type's name where it does not. With both traits below in scope,
/// `(&DescribeProbe(result)).resilience_describe()` picks [`DescribeViaDebug`] when it
/// applies (it takes the probe by value, one autoref fewer than [`DescribeFallback`]).
pub struct DescribeProbe<'a, T, E>(pub &'a Result<T, E>);

/// Picked when the error implements `Debug`.
pub trait DescribeViaDebug<E> {
    /// Writes the error with `Debug`.
    fn resilience_describe(&self) -> Describe<E>;
}

impl<T, E: fmt::Debug> DescribeViaDebug<E> for DescribeProbe<'_, T, E> {
    #[inline]
    fn resilience_describe(&self) -> Describe<E> {
        fn debug<E: fmt::Debug>(error: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(error, f)
        }
        debug::<E>
    }
}

/// Picked otherwise.
pub trait DescribeFallback<E> {
    /// Writes the error type's name.
    fn resilience_describe(&self) -> Describe<E>;
}

impl<T, E> DescribeFallback<E> for &DescribeProbe<'_, T, E> {
    #[inline]
    fn resilience_describe(&self) -> Describe<E> {
        type_name::<E>
    }
}

/// How a result's error is written in logs, for the attribute's loop. Without the `tracing`
/// feature nothing is written, and nothing is picked.
#[cfg(feature = "tracing")]
#[macro_export]
#[doc(hidden)]
macro_rules! __resilience_describe {
    ($result:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{DescribeFallback as _, DescribeViaDebug as _};
        (&$crate::__private::DescribeProbe($result)).resilience_describe()
    }};
}

/// How a result's error is written in logs, for the attribute's loop. Without the `tracing`
/// feature nothing is written, and nothing is picked.
#[cfg(not(feature = "tracing"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __resilience_describe {
    ($result:expr) => {
        $crate::__private::type_name
    };
}
