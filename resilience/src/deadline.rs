//! Deadlines that nested calls can see: a time budget in scope for the current task or thread.
//!
//! A `#[timeout]` function, or a [`timeout::timeout_async`](crate::timeout::timeout_async) /
//! [`timeout::timeout_sync`](crate::timeout::timeout_sync) call, puts its deadline in scope for its
//! body, and [`within`] / [`within_sync`] do the same without cancelling anything. Code inside
//! asks [`remaining`] how much time is left, to give a socket or a query its own timeout, and
//! `#[retry]` uses it to never sleep past the deadline: it gives up with the last error instead.
//!
//! ```
//! use std::time::Duration;
//! use resilience::deadline;
//!
//! assert_eq!(deadline::remaining(), None, "no deadline outside a scope");
//! deadline::within_sync(Duration::from_secs(5), || {
//!     let left = deadline::remaining().unwrap();
//!     assert!(left <= Duration::from_secs(5));
//!     // e.g. stream.set_read_timeout(Some(left))
//! });
//! assert_eq!(deadline::remaining(), None, "the scope ended with the closure");
//! ```
//!
//! # Scoping rules
//!
//! - **Nested deadlines take the earliest.** An inner scope can shorten the budget, never
//!   extend it: a 10 s scope inside a 1 s scope still has at most 1 s.
//! - **Async code is task-scoped.** [`within`] sets the deadline only while its future is being
//!   polled, and restores the previous one after every poll, so other tasks on the same thread
//!   never see it, and a future dropped half-way leaves nothing behind.
//! - **Sync code is thread-scoped.** [`within_sync`] sets it for the duration of the closure,
//!   restoring the previous one when the closure returns or panics.
//! - **Nothing is inherited across a spawn.** A task passed to `tokio::spawn` or a thread
//!   started with `std::thread::spawn` starts with no deadline; pass it on explicitly with
//!   [`within_at`] or [`within_sync_at`] and [`current`]. (`timeout_sync` does this for its own
//!   worker thread.)
//!
//! # Clock
//!
//! Time is [`tokio::time::Instant`]: inside a tokio runtime whose clock is paused (tests with
//! `start_paused = true`) it follows the paused clock, so budgets in such tests are exact;
//! elsewhere it is the system's monotonic clock. No runtime is needed to use this module.

use std::{cell::Cell, future::Future, marker::PhantomData, pin::pin, time::Duration};

use tokio::time::Instant;

/// The deadline in scope on this thread, for the task being polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No deadline.
    None,
    /// The earliest deadline in scope.
    At(Instant),
    /// A deadline this long after the moment it is first needed: the one of an outermost
    /// async timeout whose body has not waited yet. Reading it fixes it ([`current`]), so
    /// that a body that finishes without waiting and without asking costs no clock read.
    Within(Duration),
}

thread_local! {
    static CURRENT: Cell<Scope> = const { Cell::new(Scope::None) };
}

/// The scope in force, a deadline still to be fixed being fixed now.
#[inline]
fn resolve(cell: &Cell<Scope>) -> Option<Instant> {
    match cell.get() {
        Scope::None => None,
        Scope::At(at) => Some(at),
        Scope::Within(limit) => {
            let at = Instant::now().checked_add(limit);
            cell.set(at.map_or(Scope::None, Scope::At));
            at
        }
    }
}

/// The earliest deadline in scope for this task (async code) or thread (sync code), or `None`
/// outside any deadline scope.
///
/// ```
/// use std::time::Duration;
/// use resilience::deadline;
///
/// assert!(deadline::current().is_none());
/// let at = tokio::time::Instant::now() + Duration::from_secs(1);
/// deadline::within_sync_at(at, || assert_eq!(deadline::current(), Some(at)));
/// ```
#[inline]
pub fn current() -> Option<Instant> {
    CURRENT.with(resolve)
}

/// How much time is left before the earliest deadline in scope: `None` when there is no
/// deadline, `Some(Duration::ZERO)` once it has passed.
///
/// It costs a thread-local read, plus a clock read when a deadline is in scope, so it is cheap
/// enough to call before every blocking operation.
///
/// ```
/// use std::time::Duration;
/// use resilience::deadline;
///
/// deadline::within_sync(Duration::ZERO, || {
///     assert_eq!(deadline::remaining(), Some(Duration::ZERO), "past: zero, not None");
/// });
/// ```
#[inline]
pub fn remaining() -> Option<Duration> {
    current().map(|at| at.saturating_duration_since(Instant::now()))
}

/// Runs `fut` with a deadline `limit` from now in scope; nested deadlines take the earliest.
///
/// This does **not** cancel `fut` at the deadline: it only lets the code inside see the budget
/// through [`remaining`]. To cancel, use [`timeout::timeout_async`](crate::timeout::timeout_async)
/// (which also puts its deadline in scope). The clock starts at the call, as with
/// [`tokio::time::timeout`], not at the first poll (an async timeout's deadline is fixed
/// later, when first needed: see `timeout_async`). A `limit` too large to represent (such as
/// `Duration::MAX`) means no deadline of its own: the outer one, if any, stays in force.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::deadline;
///
/// let left = deadline::within(Duration::from_secs(2), async {
///     tokio::time::sleep(Duration::from_millis(500)).await;
///     deadline::remaining()
/// })
/// .await;
/// assert_eq!(left, Some(Duration::from_millis(1500)), "exact under the paused clock");
/// # }
/// ```
pub fn within<F: Future>(limit: Duration, fut: F) -> impl Future<Output = F::Output> {
    scoped(Instant::now().checked_add(limit), fut)
}

/// Runs `fut` with the deadline `deadline` in scope; nested deadlines take the earliest.
/// Like [`within`], it does not cancel anything.
///
/// Handy to carry a deadline into a spawned task, which does not inherit it:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::deadline;
///
/// deadline::within(Duration::from_secs(1), async {
///     let at = deadline::current().unwrap();
///     let seen = tokio::spawn(deadline::within_at(at, async { deadline::current() }));
///     assert_eq!(seen.await.unwrap(), Some(at));
/// })
/// .await;
/// # }
/// ```
pub fn within_at<F: Future>(deadline: Instant, fut: F) -> impl Future<Output = F::Output> {
    scoped(Some(deadline), fut)
}

/// Runs `f` on this thread with a deadline `limit` from now in scope; nested deadlines take
/// the earliest. It does not interrupt `f`: use
/// [`timeout::timeout_sync`](crate::timeout::timeout_sync) for that.
///
/// ```
/// use std::time::Duration;
/// use resilience::deadline;
///
/// let left = deadline::within_sync(Duration::from_secs(1), || {
///     // An inner, longer budget does not extend the outer one.
///     deadline::within_sync(Duration::from_secs(60), deadline::remaining)
/// });
/// assert!(left.unwrap() <= Duration::from_secs(1));
/// ```
pub fn within_sync<R>(limit: Duration, f: impl FnOnce() -> R) -> R {
    scoped_sync(Instant::now().checked_add(limit), f)
}

/// Runs `f` on this thread with the deadline `deadline` in scope; nested deadlines take the
/// earliest.
///
/// ```
/// use std::time::Duration;
/// use resilience::deadline;
///
/// let at = tokio::time::Instant::now() + Duration::from_secs(3);
/// let seen = std::thread::spawn(move || deadline::within_sync_at(at, deadline::current));
/// assert_eq!(seen.join().unwrap(), Some(at));
/// ```
pub fn within_sync_at<R>(deadline: Instant, f: impl FnOnce() -> R) -> R {
    scoped_sync(Some(deadline), f)
}

/// The earlier of two optional deadlines, `None` meaning "no deadline".
#[inline]
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Puts a deadline in scope on this thread until dropped, then restores the previous one.
///
/// Restoring in `Drop` is what keeps the thread-local right when the code inside panics.
/// Not `Send`: it must be dropped on the thread that made it.
pub(crate) struct Enter {
    previous: Scope,
    _not_send: PhantomData<*const ()>,
}

impl Enter {
    #[inline]
    pub(crate) fn new(deadline: Option<Instant>) -> Self {
        let previous = CURRENT.with(|current| {
            // A deadline still to be fixed is fixed before it is compared (and restored as
            // fixed, so that the scope that set it learns its value).
            let outer = resolve(current);
            current.set(earliest(outer, deadline).map_or(Scope::None, Scope::At));
            outer.map_or(Scope::None, Scope::At)
        });
        Enter {
            previous,
            _not_send: PhantomData,
        }
    }

    /// A deadline `limit` from the moment it is first needed, if no other is in scope;
    /// beside another, `limit` from now, the earliest of the two in force. Returns the
    /// scope and this deadline if it was fixed now.
    #[inline]
    pub(crate) fn within(limit: Duration) -> (Self, Option<Instant>) {
        // Small closures around the thread-local: they keep its accesses inlined.
        if CURRENT.with(Cell::get) == Scope::None {
            CURRENT.with(|current| current.set(Scope::Within(limit)));
            let enter = Enter {
                previous: Scope::None,
                _not_send: PhantomData,
            };
            return (enter, None);
        }
        let own = Instant::now().checked_add(limit);
        (Enter::new(own), own)
    }

    /// Leaves the scope of [`Enter::within`] that had no other deadline beside it, telling
    /// whether its deadline was fixed meanwhile (by the code inside asking for it), and when.
    #[inline]
    pub(crate) fn leave_within(self) -> Option<Instant> {
        match CURRENT.with(Cell::get) {
            Scope::At(at) => Some(at),
            Scope::None | Scope::Within(_) => None,
        }
    }
}

impl Drop for Enter {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
    }
}

/// Runs `f` with `deadline` (if any) in scope on this thread.
#[inline]
pub(crate) fn scoped_sync<R>(deadline: Option<Instant>, f: impl FnOnce() -> R) -> R {
    let _enter = Enter::new(deadline);
    f()
}

/// Polls `fut` with `deadline` (if any) in scope during each poll, and only then.
///
/// Pinning on the stack of this async fn keeps it allocation-free and free of `unsafe`.
#[inline]
pub(crate) async fn scoped<F: Future>(deadline: Option<Instant>, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| {
        let _enter = Enter::new(deadline);
        fut.as_mut().poll(cx)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        future::pending,
        panic::{AssertUnwindSafe, catch_unwind},
        task::{Context, Poll, Waker},
    };

    fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn none_outside_any_scope() {
        assert_eq!(current(), None);
        assert_eq!(remaining(), None);
    }

    #[test]
    fn earliest_ignores_missing_deadlines() {
        let now = Instant::now();
        let later = now + Duration::from_secs(1);
        assert_eq!(earliest(None, None), None);
        assert_eq!(earliest(Some(now), None), Some(now));
        assert_eq!(earliest(None, Some(now)), Some(now));
        assert_eq!(earliest(Some(later), Some(now)), Some(now));
        assert_eq!(earliest(Some(now), Some(later)), Some(now));
    }

    #[test]
    fn sync_scopes_nest_to_the_earliest_and_restore() {
        let outer = Instant::now() + Duration::from_secs(1);
        let inner = Instant::now() + Duration::from_secs(10);
        within_sync_at(outer, || {
            within_sync_at(inner, || assert_eq!(current(), Some(outer)));
            let sooner = outer - Duration::from_millis(500);
            within_sync_at(sooner, || assert_eq!(current(), Some(sooner)));
            assert_eq!(current(), Some(outer));
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn huge_limits_do_not_panic_and_keep_the_outer_deadline() {
        within_sync(Duration::MAX, || assert_eq!(current(), None));
        within_sync(Duration::from_secs(1), || {
            let outer = current();
            within_sync(Duration::MAX, || assert_eq!(current(), outer));
        });
    }

    #[test]
    fn a_panic_inside_restores_the_previous_deadline() {
        let result = catch_unwind(|| within_sync(Duration::from_secs(1), || panic!("inside")));
        assert!(result.is_err());
        assert_eq!(current(), None);

        let mut fut = Box::pin(within(Duration::from_secs(1), async { panic!("polled") }));
        let result = catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut())));
        assert!(result.is_err());
        assert_eq!(current(), None);
    }

    #[test]
    fn async_scope_is_set_only_while_polled() {
        let mut fut = pin!(within(Duration::from_secs(5), async {
            assert!(current().is_some(), "in scope while polled");
            pending::<()>().await
        }));
        assert!(poll_once(fut.as_mut()).is_pending());
        assert_eq!(current(), None, "restored between polls");
        assert!(poll_once(fut.as_mut()).is_pending());
        assert_eq!(current(), None);
    }

    #[test]
    fn remaining_is_zero_once_past() {
        let past = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        within_sync_at(past, || assert_eq!(remaining(), Some(Duration::ZERO)));
    }
}
