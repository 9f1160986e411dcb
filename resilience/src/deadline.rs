//! Deadlines that nested code can see.
//!
//! A `#[timeout]` (or [`timeout_async`](crate::timeout_async) /
//! [`timeout_sync`](crate::timeout_sync), or [`within`] / [`within_sync`] here) puts a
//! deadline in scope for the code it runs: for the task in async code, for the thread in sync
//! code. Code inside can ask for the time left with [`remaining`], to set a socket or query
//! timeout, and a `#[retry]` inside never sleeps past it: it gives up with the last error
//! instead of being cut off mid-sleep. Nested deadlines take the earliest.
//!
//! ```
//! use std::time::Duration;
//! use resilience::deadline;
//!
//! assert_eq!(deadline::remaining(), None);
//! deadline::within_sync(Duration::from_secs(5), || {
//!     let left = deadline::remaining().unwrap();
//!     assert!(left <= Duration::from_secs(5));
//!     // An inner, later deadline does not extend the outer one.
//!     deadline::within_sync(Duration::from_secs(60), || {
//!         assert!(deadline::remaining().unwrap() <= Duration::from_secs(5));
//!     });
//! });
//! assert_eq!(deadline::remaining(), None);
//! ```
//!
//! Time is read from tokio's clock, which follows a paused test clock and is the real clock
//! outside a runtime.

use std::{cell::Cell, future::Future, pin::pin, task::Poll, time::Duration};

use tokio::time::Instant;

thread_local! {
    /// The earliest deadline in scope on this thread. Async scopes set it for the duration of
    /// each poll of their future, so it follows the task, not the thread.
    static CURRENT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The earliest deadline in scope for this task (async) or thread (sync), if any.
///
/// ```
/// assert!(resilience::deadline::current().is_none());
/// ```
pub fn current() -> Option<Instant> {
    CURRENT.with(Cell::get)
}

/// The time left before the earliest deadline in scope: `None` without a deadline, zero once
/// it has passed.
///
/// ```
/// use std::time::Duration;
/// let left = resilience::deadline::within_sync(Duration::from_secs(2), || {
///     resilience::deadline::remaining()
/// });
/// assert!(left.unwrap() <= Duration::from_secs(2));
/// ```
pub fn remaining() -> Option<Duration> {
    current().map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// `now + limit`, saturating far in the future instead of overflowing.
pub(crate) fn deadline_after(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

/// Restores the previous deadline when dropped, so that a scope ends however its code ends:
/// returning, panicking or (for futures) being dropped between polls.
struct Scope {
    previous: Option<Instant>,
}

impl Scope {
    fn enter(deadline: Instant) -> Scope {
        let previous = CURRENT.with(|current| {
            let previous = current.get();
            let earliest = previous.map_or(deadline, |p| p.min(deadline));
            current.set(Some(earliest));
            previous
        });
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
    }
}

/// Runs `f` with a deadline `limit` from now in scope on this thread. It does not stop `f`:
/// it lets the code inside see the budget (see [`timeout_sync`](crate::timeout_sync) for a
/// call that returns at the deadline).
///
/// ```
/// use std::time::Duration;
/// let left = resilience::deadline::within_sync(Duration::from_millis(300), || {
///     resilience::deadline::remaining().unwrap()
/// });
/// assert!(left <= Duration::from_millis(300));
/// ```
pub fn within_sync<R>(limit: Duration, f: impl FnOnce() -> R) -> R {
    within_sync_at(deadline_after(limit), f)
}

/// [`within_sync`] with an absolute deadline.
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
/// let at = Instant::now() + Duration::from_secs(1);
/// assert_eq!(resilience::deadline::within_sync_at(at, resilience::deadline::current), Some(at));
/// ```
pub fn within_sync_at<R>(deadline: Instant, f: impl FnOnce() -> R) -> R {
    let _scope = Scope::enter(deadline);
    f()
}

/// Runs `future` with a deadline `limit` from now in scope for its task. It does not cancel
/// the future (see [`timeout_async`](crate::timeout_async) for that): it lets the code inside
/// see the budget.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// let left = resilience::deadline::within(Duration::from_secs(1), async {
///     tokio::time::sleep(Duration::from_millis(400)).await;
///     resilience::deadline::remaining().unwrap()
/// })
/// .await;
/// assert_eq!(left, Duration::from_millis(600));
/// # }
/// ```
pub async fn within<F: Future>(limit: Duration, future: F) -> F::Output {
    within_at(deadline_after(limit), future).await
}

/// [`within`] with an absolute deadline.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// let at = tokio::time::Instant::now() + Duration::from_secs(1);
/// let seen = resilience::deadline::within_at(at, async { resilience::deadline::current() }).await;
/// assert_eq!(seen, Some(at));
/// # }
/// ```
pub async fn within_at<F: Future>(deadline: Instant, future: F) -> F::Output {
    let mut future = pin!(future);
    std::future::poll_fn(move |cx| {
        let _scope = Scope::enter(deadline);
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(output),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_to_the_earliest_and_restore() {
        let early = Instant::now() + Duration::from_secs(1);
        let late = Instant::now() + Duration::from_secs(10);
        within_sync_at(late, || {
            assert_eq!(current(), Some(late));
            within_sync_at(early, || assert_eq!(current(), Some(early)));
            assert_eq!(current(), Some(late));
            within_sync_at(late + Duration::from_secs(5), || {
                assert_eq!(current(), Some(late))
            });
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn a_panic_ends_the_scope() {
        let result = std::panic::catch_unwind(|| {
            within_sync(Duration::from_secs(1), || panic!("inside"));
        });
        assert!(result.is_err());
        assert_eq!(current(), None);
    }

    #[test]
    fn huge_limits_saturate() {
        within_sync(Duration::MAX, || {
            assert!(remaining().unwrap() > Duration::from_secs(1))
        });
    }

    #[tokio::test(start_paused = true)]
    async fn async_scopes_follow_the_task_not_the_thread() {
        let other = tokio::spawn(async { current() });
        let seen = within(Duration::from_secs(3), async {
            tokio::task::yield_now().await;
            let inner = remaining();
            tokio::time::sleep(Duration::from_secs(1)).await;
            (inner, remaining())
        })
        .await;
        assert_eq!(
            seen,
            (Some(Duration::from_secs(3)), Some(Duration::from_secs(2)))
        );
        assert_eq!(other.await.unwrap(), None, "another task never sees it");
        assert_eq!(current(), None, "nothing is left behind between polls");
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_future_leaves_nothing_behind() {
        let pending = within(Duration::from_secs(1), std::future::pending::<()>());
        assert!(
            tokio::time::timeout(Duration::from_millis(10), pending)
                .await
                .is_err()
        );
        assert_eq!(current(), None);
    }
}
