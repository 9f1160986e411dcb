//! Time limits on calls: the runtime behind `#[timeout]`, usable on its own.
//!
//! - [`timeout_async`] cancels an async body at its deadline: the body's future is dropped and the
//!   call returns `Err(E::from(Error::Timeout { .. }))`.
//! - [`timeout_sync`] runs a sync body on a pooled worker thread while the caller waits with a
//!   deadline; at the deadline the caller gets the same error back and the body finishes on
//!   its own (a thread cannot be cancelled safely).
//!
//! Both put their deadline in scope for the body (see [`deadline`]), so
//! nested calls see the budget: `deadline::remaining()` tells the time left, and `#[retry]`
//! inside never sleeps past it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use resilience::{Error, timeout};
//!
//! let slow = async {
//!     tokio::time::sleep(Duration::from_secs(10)).await;
//!     Ok::<_, Error>("too late")
//! };
//! let err = timeout::timeout_async("fetch", Duration::from_millis(250), slow).await.unwrap_err();
//! assert_eq!(err.to_string(), "`fetch` timed out after 250ms");
//! # }
//! ```
//!
//! # The worker pool of `timeout_sync`
//!
//! Sync bodies run on a process-wide pool of threads named `resilience-timeout`, so that a call
//! costs a hand-off to a waiting thread instead of a thread spawn:
//!
//! - **Reuse.** An idle worker is taken if there is one, the most recently idle first, so
//!   sequential calls keep running on the same thread.
//! - **Growth.** When no worker is idle, a new one is started. There is no upper bound on the
//!   number of workers: it equals the peak number of bodies running at once, counting the
//!   bodies abandoned by a timeout that have not finished yet. A call is therefore never queued
//!   behind a stuck body, and a body that never returns costs one thread, forever, and nothing
//!   more. Bound the concurrency of your callers if that matters to you.
//! - **Shrinking.** A worker idle for [`KEEP_ALIVE`] exits. An idle pool holds no threads.
//! - **Stacks.** Workers have Rust's default stack size for spawned threads (2 MiB unless
//!   `RUST_MIN_STACK` says otherwise).
//! - **Failure to start a thread** (the OS refused) panics in the caller, as
//!   `std::thread::spawn` does.
//!
//! [`worker_threads`] reports the current number of workers.

use std::{
    panic::{self, AssertUnwindSafe},
    pin::Pin,
    sync::{
        Arc, Condvar, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        mpsc::{self, Receiver, RecvTimeoutError, SyncSender},
    },
    task::{Context, Poll},
    thread,
    time::{Duration, Instant as StdInstant},
};

use tokio::time::Instant;

use crate::{Error, deadline};

/// How long an idle worker of [`timeout_sync`]'s pool waits for another call before it exits.
///
/// ```
/// assert_eq!(resilience::timeout::KEEP_ALIVE, std::time::Duration::from_secs(10));
/// ```
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Runs an async `body` with a time limit: if it has not finished `limit` after this function
/// was called, its future is dropped and the call returns
/// `Err(E::from(Error::Timeout { name, limit }))`.
///
/// **What the deadline is measured from.** A body that finishes on its first poll reads no
/// clock and arms no timer (raw [`tokio::time::timeout`] does both before it polls the body).
/// Otherwise the deadline is `limit` from the first moment it is needed: when code inside the
/// body asks for it ([`deadline::current`], [`deadline::remaining`], a nested `#[retry]`
/// deciding whether to sleep) during that first poll, or else when the first poll returns
/// without finishing. So the time a body spends running before it first waits or asks is
/// not counted; under tokio's paused clock, where a poll takes no time, this is exactly
/// `limit` from the call. Inside another deadline (a nested timeout), the clock is read at
/// the first poll, and the earliest of the two deadlines is in scope. The body runs with its
/// deadline in scope (see [`deadline`]). The timer is tokio's ([`tokio::time::timeout_at`]): polling needs a
/// tokio runtime with time enabled (building the future does not), and tests on tokio's paused
/// clock see the timeout at exactly `limit`. A body that finishes in the same instant as the
/// timer wins.
///
/// The success path allocates nothing; the timeout path builds the error's `Arc<str>` name.
/// A `limit` too large to represent as an instant (such as `Duration::MAX`) means no limit.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::{deadline, timeout};
///
/// let result: std::io::Result<Duration> =
///     timeout::timeout_async("lookup", Duration::from_secs(2), async {
///         // The budget is visible inside, e.g. to set a query timeout.
///         Ok(deadline::remaining().unwrap())
///     })
///     .await;
/// assert!(result.unwrap() <= Duration::from_secs(2));
/// # }
/// ```
pub fn timeout_async<T, E: From<Error>>(
    name: &'static str,
    limit: Duration,
    body: impl Future<Output = Result<T, E>>,
) -> impl Future<Output = Result<T, E>> {
    // Not an `async fn` wrapping the other: one state machine less is measurably faster
    // (see the `timeout` benchmark), and callers `.await` it just the same.
    timeout_async_named(name, limit, body)
}

/// [`timeout_async`] with a name known only at run time, such as a `String`.
///
/// The name is converted into the error's `Arc<str>` only if the call times out.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::{Error, timeout};
///
/// let shard = 7;
/// let err = timeout::timeout_async_named(format!("shard-{shard}"), Duration::from_secs(1), async {
///     std::future::pending::<Result<(), Error>>().await
/// })
/// .await
/// .unwrap_err();
/// assert_eq!(err.name(), "shard-7");
/// # }
/// ```
pub fn timeout_async_named<T, E: From<Error>>(
    name: impl Into<Arc<str>>,
    limit: Duration,
    body: impl Future<Output = Result<T, E>>,
) -> impl Future<Output = Result<T, E>> {
    attribute::timeout_async_into(name, limit, body, E::from)
}

/// What the `#[timeout]` attribute calls, reached through `__private`.
pub(crate) mod attribute {
    use super::*;

    /// [`timeout_async_named`] with the conversion of the timeout error passed in, rather
    /// than required of `E` by a bound: the attribute writes the conversion where the
    /// function's return type is, so that an error type without `From<resilience::Error>` is
    /// reported there, once, and the returned future carries no bound of its own to report
    /// it again.
    pub fn timeout_async_into<T, E, F, N, I>(
        name: N,
        limit: Duration,
        body: F,
        into: I,
    ) -> Timed<F, N, I>
    where
        F: Future<Output = Result<T, E>>,
        N: Into<Arc<str>>,
        I: FnOnce(Error) -> E,
    {
        Timed {
            body,
            timer: None,
            deadline: Deadline::Unfixed,
            limit,
            on_timeout: Some((name, into)),
        }
    }

    pin_project_lite::pin_project! {
        /// The future of an async timeout: one state machine around the body's, written by
        /// hand so that a body ready at its first poll costs a poll and the deadline scope's
        /// thread-local, nothing else.
        pub struct Timed<F, N, I> {
            #[pin]
            body: F,
            // Armed when the body first waits.
            #[pin]
            timer: Option<tokio::time::Sleep>,
            deadline: Deadline,
            limit: Duration,
            // The error's name and its conversion, taken when the timer fires.
            on_timeout: Option<(N, I)>,
        }
    }

    impl<T, E, F, N, I> Future for Timed<F, N, I>
    where
        F: Future<Output = Result<T, E>>,
        N: Into<Arc<str>>,
        I: FnOnce(Error) -> E,
    {
        type Output = Result<T, E>;

        #[inline]
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
            let mut this = self.project();
            let poll = match *this.deadline {
                Deadline::Unfixed => {
                    // Until the body first waits, it runs with a deadline to be fixed when
                    // first needed: a body that finishes at once reads no clock and arms no
                    // timer.
                    let (enter, fixed) = deadline::Enter::within(*this.limit);
                    let poll = this.body.poll(cx);
                    let asked = enter.leave_within();
                    if poll.is_pending() {
                        *this.deadline = arm(this.timer.as_mut(), fixed.or(asked), *this.limit);
                    }
                    poll
                }
                Deadline::At(at) => {
                    let _enter = deadline::Enter::new(Some(at));
                    this.body.poll(cx)
                }
                Deadline::Never => {
                    let _enter = deadline::Enter::new(None);
                    this.body.poll(cx)
                }
            };
            if poll.is_ready() {
                return poll;
            }
            // The body first, then the timer: a body that finishes in the same instant as
            // the timer wins.
            match this.timer.as_pin_mut() {
                Some(timer) => timer.poll(cx).map(|()| {
                    let (name, into) = this
                        .on_timeout
                        .take()
                        .expect("a timeout polled after it finished");
                    Err(into(timed_out::<Error>(name, *this.limit)))
                }),
                None => Poll::Pending,
            }
        }
    }

    impl<F, N, I> std::fmt::Debug for Timed<F, N, I> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Timed")
                .field("limit", &self.limit)
                .field("deadline", &self.deadline)
                .finish_non_exhaustive()
        }
    }

    /// Fixes the deadline of a body that waits for the first time: `fixed` if the scope had
    /// one, else `limit` from now; and arms the timer for it.
    #[cold]
    fn arm(
        mut timer: Pin<&mut Option<tokio::time::Sleep>>,
        fixed: Option<Instant>,
        limit: Duration,
    ) -> Deadline {
        match fixed.or_else(|| Instant::now().checked_add(limit)) {
            Some(at) => {
                timer.set(Some(tokio::time::sleep_until(at)));
                Deadline::At(at)
            }
            None => Deadline::Never,
        }
    }

    /// Where an async timeout stands.
    #[derive(Debug, Clone, Copy)]
    enum Deadline {
        /// The body has not waited yet.
        Unfixed,
        /// The deadline, armed.
        At(Instant),
        /// No deadline: the limit is too large to be an instant.
        Never,
    }
}

/// Runs a sync `body` with a time limit: the body runs on a pooled worker thread while the
/// calling thread waits up to `limit`. At the deadline the call returns
/// `Err(E::from(Error::Timeout { name, limit }))` and the body is left to finish on its own;
/// its result is then dropped on the worker.
///
/// - The body runs with a deadline in scope on the worker: the earliest of the caller's
///   current deadline and `limit` from the call, so nested `#[retry]`s and
///   [`deadline::remaining`] see it.
/// - A panic in the body is resumed on the caller with [`std::panic::resume_unwind`] (the
///   panic message is printed by the worker thread as usual); after a timeout it is dropped.
///   The worker survives either way.
/// - The caller waits on the system clock: a blocked thread does not follow tokio's paused
///   clock. Don't call it from async code without `spawn_blocking`; use [`timeout_async`] there.
/// - A `limit` too large to represent (such as `Duration::MAX`) means waiting for as long as
///   the body takes.
///
/// Why the bounds: the body may outlive the call, so it cannot borrow from the caller
/// (`'static`), and it and its result cross threads (`Send`). See the module documentation for
/// the pool's limits, and the benchmarks for the cost of a call (a hand-off to a waiting
/// thread and back, some microseconds).
///
/// ```
/// use std::time::Duration;
/// use resilience::{Error, timeout};
///
/// let fast = timeout::timeout_sync("add", Duration::from_secs(5), || Ok::<_, Error>(2 + 2));
/// assert_eq!(fast, Ok(4));
///
/// let started = std::time::Instant::now();
/// let slow = timeout::timeout_sync("nap", Duration::from_millis(20), || {
///     std::thread::sleep(Duration::from_millis(500));
///     Ok::<_, Error>(())
/// });
/// assert!(slow.unwrap_err().is_timeout());
/// assert!(started.elapsed() < Duration::from_millis(400), "the caller did not wait");
/// ```
pub fn timeout_sync<T, E, F>(name: &'static str, limit: Duration, body: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    timeout_sync_named(name, limit, body)
}

/// [`timeout_sync`] with a name known only at run time, such as a `String`.
///
/// The name stays on the calling thread and is converted into the error's `Arc<str>` only if
/// the call times out.
///
/// ```
/// use std::time::Duration;
/// use resilience::timeout;
///
/// let job = String::from("report-42");
/// let result: std::io::Result<u8> = timeout::timeout_sync_named(job, Duration::from_secs(1), || Ok(1));
/// assert_eq!(result.unwrap(), 1);
/// ```
pub fn timeout_sync_named<T, E, F, N>(name: N, limit: Duration, body: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
    N: Into<Arc<str>>,
{
    // The caller's clock starts before the hand-off, so the hand-off counts against the limit.
    let start = StdInstant::now();
    // The worker's deadline is rebuilt from `start` and a budget on the worker's own clock,
    // which stays right even when the caller's deadline came from tokio's paused clock.
    let budget = deadline::remaining().map_or(limit, |left| left.min(limit));
    let slot = Arc::new(Slot::new());
    let theirs = Arc::clone(&slot);
    pool::execute(Box::new(move |ready: &mut dyn FnMut()| {
        let at = Instant::from_std(start).checked_add(budget);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| deadline::scoped_sync(at, body)));
        theirs.deliver(outcome, ready);
    }));
    match slot.wait(start.checked_add(limit)) {
        Some(Ok(result)) => result,
        Some(Err(payload)) => panic::resume_unwind(payload),
        None => Err(timed_out(name, limit)),
    }
}

/// The number of worker threads of [`timeout_sync`]'s pool alive now, idle or busy.
///
/// ```
/// use std::time::Duration;
/// use resilience::timeout;
///
/// let _ = timeout::timeout_sync("warm-up", Duration::from_secs(1), || Ok::<_, resilience::Error>(()));
/// assert!(timeout::worker_threads() >= 1);
/// ```
pub fn worker_threads() -> usize {
    pool::LIVE.load(Ordering::Relaxed)
}

/// The error of a call that timed out; kept out of line, off the success path.
#[cold]
#[inline(never)]
fn timed_out<E: From<Error>>(name: impl Into<Arc<str>>, limit: Duration) -> E {
    let name = name.into();
    crate::observe::timed_out(&name, limit);
    E::from(Error::timeout(name, limit))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No user code runs under these locks, so poisoning can only come from a bug here; the
    // data stays consistent either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A one-shot hand-back of a body's outcome from the worker to the waiting caller.
struct Slot<R> {
    state: Mutex<State<R>>,
    done: Condvar,
    /// Set (Release) once the outcome is in `state`, so that a waiting caller can spin on it
    /// for a short while instead of sleeping: a quick body then costs one thread wake-up
    /// (the worker's), not two.
    delivered: AtomicBool,
}

/// How long a caller spins for a quick body's outcome before it sleeps on the condvar.
const SPIN_FOR: Duration = Duration::from_micros(50);

enum State<R> {
    Waiting,
    Done(thread::Result<R>),
    /// The caller timed out and left; the outcome is dropped on the worker.
    Abandoned,
}

impl<R> Slot<R> {
    fn new() -> Self {
        Slot {
            state: Mutex::new(State::Waiting),
            done: Condvar::new(),
            delivered: AtomicBool::new(false),
        }
    }

    /// Waits for the outcome until `until` (forever when `None`); `None` on timeout, after
    /// which the worker drops the outcome.
    fn wait(&self, until: Option<StdInstant>) -> Option<thread::Result<R>> {
        self.spin_briefly(until);
        let mut state = lock(&self.state);
        loop {
            if let State::Done(_) = &*state {
                return match std::mem::replace(&mut *state, State::Abandoned) {
                    State::Done(outcome) => Some(outcome),
                    State::Waiting | State::Abandoned => unreachable!("checked just above"),
                };
            }
            state = match until {
                None => self
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(until) => {
                    let now = StdInstant::now();
                    if now >= until {
                        *state = State::Abandoned;
                        return None;
                    }
                    let (state, _) = self
                        .done
                        .wait_timeout(state, until - now)
                        .unwrap_or_else(PoisonError::into_inner);
                    state
                }
            };
        }
    }

    /// Spins until the outcome is delivered, [`SPIN_FOR`] or `until`, whichever comes first.
    fn spin_briefly(&self, until: Option<StdInstant>) {
        let start = StdInstant::now();
        let stop = until.map_or(start + SPIN_FOR, |until| until.min(start + SPIN_FOR));
        let mut spins = 0u32;
        while !self.delivered.load(Ordering::Acquire) {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            // Read the clock now and then only: it costs more than a spin.
            if spins % 64 == 0 && StdInstant::now() >= stop {
                return;
            }
        }
    }

    /// Hands `outcome` to the caller if it still waits, calling `ready` (which puts the worker
    /// back in the idle list) *before* the caller can wake up: a caller that calls again at
    /// once then finds this worker idle instead of starting another.
    fn deliver(&self, outcome: thread::Result<R>, ready: &mut dyn FnMut()) {
        let abandoned = matches!(*lock(&self.state), State::Abandoned);
        if abandoned {
            // Drop the result (user code) before taking more work, not under the lock.
            drop(outcome);
            ready();
            return;
        }
        ready();
        let mut state = lock(&self.state);
        match *state {
            State::Waiting => {
                *state = State::Done(outcome);
                drop(state);
                self.delivered.store(true, Ordering::Release);
                self.done.notify_one();
            }
            // The caller left in between; drop the outcome outside the lock.
            State::Done(_) | State::Abandoned => {
                drop(state);
                drop(outcome);
            }
        }
    }
}

/// The worker threads behind [`timeout_sync`].
mod pool {
    use super::*;

    /// A body to run; it calls the given function once its outcome is ready to hand back.
    pub(super) type Job = Box<dyn FnOnce(&mut dyn FnMut()) + Send>;

    /// A worker waiting for a job.
    struct Idle {
        id: u64,
        jobs: SyncSender<Job>,
    }

    /// Idle workers, the most recently idle last. Held only to push or take an entry.
    static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    pub(super) static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// Runs `job` on an idle worker, or on a new one if none is idle.
    pub(super) fn execute(job: Job) {
        let idle = lock(&IDLE).pop();
        let job = match idle {
            // The capacity of 1 is enough: a worker is in the list at most once, and is taken
            // out before a job is sent to it, so at most one job is ever queued.
            Some(worker) => match worker.jobs.try_send(job) {
                Ok(()) => return,
                Err(mpsc::TrySendError::Full(job) | mpsc::TrySendError::Disconnected(job)) => job,
            },
            None => job,
        };
        spawn(job);
    }

    fn spawn(first: Job) {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(1, Ordering::Relaxed);
        let started = thread::Builder::new()
            .name("resilience-timeout".into())
            .spawn(move || work(id, first));
        if let Err(err) = started {
            LIVE.fetch_sub(1, Ordering::Relaxed);
            panic!("resilience: failed to start a timeout worker thread: {err}");
        }
    }

    fn work(id: u64, first: Job) {
        let (jobs, inbox) = mpsc::sync_channel::<Job>(1);
        let mut next = Some(first);
        while let Some(job) = next.take().or_else(|| wait_for_job(id, &inbox)) {
            let mut idle_again = false;
            let mut ready = || {
                if !idle_again {
                    idle_again = true;
                    lock(&IDLE).push(Idle {
                        id,
                        jobs: jobs.clone(),
                    });
                }
            };
            // The job catches the body's panics itself; this catches the rest (a panicking
            // drop of a result or payload) so that the worker survives.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| job(&mut ready)));
            ready();
        }
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }

    /// How long a worker waits for a job; shorter in unit tests, so that they can watch the
    /// pool shrink.
    const IDLE_FOR: Duration = if cfg!(test) {
        Duration::from_millis(300)
    } else {
        KEEP_ALIVE
    };

    /// The next job, or `None` once the worker has been idle for `KEEP_ALIVE` and left the list.
    fn wait_for_job(id: u64, inbox: &Receiver<Job>) -> Option<Job> {
        loop {
            match inbox.recv_timeout(IDLE_FOR) {
                Ok(job) => return Some(job),
                Err(RecvTimeoutError::Timeout) => {
                    let mut idle = lock(&IDLE);
                    if let Some(at) = idle.iter().position(|worker| worker.id == id) {
                        idle.remove(at);
                        return None;
                    }
                    // A caller has just taken this worker and its job is on the way.
                }
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn async_times_out_at_exactly_the_limit() {
        let start = Instant::now();
        let result: Result<(), Error> = timeout_async("slow", Duration::from_millis(100), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
        .await;
        assert_eq!(
            result,
            Err(Error::timeout("slow", Duration::from_millis(100)))
        );
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn duration_max_means_no_limit() {
        let result: Result<u8, Error> = timeout_async("forever", Duration::MAX, async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            assert_eq!(deadline::current(), None);
            Ok(1)
        })
        .await;
        assert_eq!(result, Ok(1));
    }

    #[test]
    fn sync_duration_max_waits_for_the_body() {
        let result: Result<u8, Error> = timeout_sync("forever", Duration::MAX, || {
            std::thread::sleep(Duration::from_millis(5));
            Ok(1)
        });
        assert_eq!(result, Ok(1));
    }

    #[test]
    fn zero_limit_times_out_without_panicking() {
        let result: Result<(), Error> = timeout_sync("zero", Duration::ZERO, || {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        });
        assert!(result.unwrap_err().is_timeout());
    }

    #[test]
    fn slot_hands_back_a_ready_outcome_and_abandons_on_timeout() {
        let slot = Slot::new();
        let mut readied = 0;
        slot.deliver(Ok(5), &mut || readied += 1);
        assert_eq!(readied, 1);
        assert_eq!(slot.wait(Some(StdInstant::now())).unwrap().unwrap(), 5);

        let slot = Slot::<u8>::new();
        assert!(slot.wait(Some(StdInstant::now())).is_none());
        let mut readied = 0;
        slot.deliver(Ok(5), &mut || readied += 1);
        assert_eq!(readied, 1, "an abandoned outcome still frees the worker");
    }

    #[test]
    fn idle_workers_exit_after_the_keep_alive() {
        let ok: Result<(), Error> = timeout_sync("warm", Duration::from_secs(30), || Ok(()));
        assert_eq!(ok, Ok(()));
        assert!(worker_threads() >= 1);
        // Other tests in this binary may use the pool meanwhile; all of them finish quickly.
        let give_up = StdInstant::now() + Duration::from_secs(30);
        while worker_threads() > 0 {
            assert!(
                StdInstant::now() < give_up,
                "{} workers never exited",
                worker_threads()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // And the pool starts again from nothing.
        let ok: Result<u8, Error> = timeout_sync("again", Duration::from_secs(30), || Ok(2));
        assert_eq!(ok, Ok(2));
    }

    #[test]
    fn futures_are_send_when_the_body_is() {
        fn is_send<T: Send>(_: &T) {}
        let fut = timeout_async("send", Duration::from_secs(1), async { Ok::<_, Error>(()) });
        is_send(&fut);
        let fut = deadline::within(Duration::from_secs(1), async {});
        is_send(&fut);
    }
}
