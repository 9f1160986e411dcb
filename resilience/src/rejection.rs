//! A breaker's rejection, told to the retry loop around it on the same thread.
//!
//! A plain-API retry ([`Retry::call`](crate::Retry::call) and
//! [`Retry::call_async`](crate::Retry::call_async)) cannot see inside an error of a type it
//! knows nothing of whether a breaker rejected the attempt. The breaker says so here instead,
//! in a thread-local cell, when it rejects a call; the loop clears the cell before each run
//! of the attempt (before each poll of an async attempt, since a task may move between
//! threads) and reads it when the attempt fails. An attempt that fails in a run during which
//! a breaker rejected a call on its thread counts as rejected. The `#[retry]` attribute needs
//! none of this for a `#[circuit_breaker]` stacked below it: the expansion hands the
//! rejection over in a local variable.

use std::{cell::Cell, time::Duration};

/// No rejection.
const NONE: u64 = 0;
/// A rejection that does not know when a trial will be let through.
const UNKNOWN: u64 = u64::MAX;

thread_local! {
    /// [`NONE`], [`UNKNOWN`], or the time until a trial in nanoseconds plus one.
    /// Const-initialised and without a destructor: reading and writing it are plain moves.
    static REJECTED: Cell<u64> = const { Cell::new(NONE) };
}

/// Forgets any rejection seen on this thread: a run of an attempt begins.
#[inline]
pub(crate) fn clear() {
    let _ = REJECTED.try_with(|cell| cell.set(NONE));
}

/// A breaker rejected a call on this thread; a trial is let through in `retry_in`, if known.
#[cold]
pub(crate) fn note(retry_in: Option<Duration>) {
    let value = match retry_in {
        None => UNKNOWN,
        Some(d) => u64::try_from(d.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
            .min(UNKNOWN - 1),
    };
    let _ = REJECTED.try_with(|cell| cell.set(value));
}

/// The rejection seen on this thread since the last [`clear`], if any: `Some(retry_in)`.
#[inline]
pub(crate) fn take() -> Option<Option<Duration>> {
    match REJECTED.try_with(|cell| cell.replace(NONE)).unwrap_or(NONE) {
        NONE => None,
        UNKNOWN => Some(None),
        nanos => Some(Some(Duration::from_nanos(nanos - 1))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_taken_once() {
        clear();
        assert_eq!(take(), None);
        note(Some(Duration::from_millis(5)));
        assert_eq!(take(), Some(Some(Duration::from_millis(5))));
        assert_eq!(take(), None);
        note(None);
        clear();
        assert_eq!(take(), None);
        note(None);
        assert_eq!(take(), Some(None));
        note(Some(Duration::MAX));
        assert!(matches!(take(), Some(Some(_))));
    }
}
