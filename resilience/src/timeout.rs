//! Bounding a call in time: async bodies are cancelled at the deadline; sync bodies run on a
//! pooled worker thread while the caller waits with a deadline.

use std::{
    collections::VecDeque,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind, resume_unwind},
    sync::{Condvar, Mutex, MutexGuard, PoisonError, mpsc},
    thread,
    time::Duration,
};

use crate::{Error, deadline};

/// Runs `body` with a time limit: at the deadline its future is dropped and the call returns
/// `Err(E::from(Error::Timeout { name, limit }))`. The body sees the deadline through
/// [`deadline::remaining`], and an earlier deadline around the call still applies inside.
/// This is what `#[timeout]` on an `async fn` calls; it uses tokio's timer, so it needs a
/// tokio runtime with time enabled, and tests under tokio's paused clock are exact.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(10)).await;
///     Ok::<_, resilience::Error>("late")
/// };
/// let err = resilience::timeout_async("lookup", Duration::from_millis(250), slow)
///     .await
///     .unwrap_err();
/// assert_eq!(err.to_string(), "`lookup` timed out after 250ms");
/// # }
/// ```
pub async fn timeout_async<T, E, F>(name: &'static str, limit: Duration, body: F) -> Result<T, E>
where
    E: From<Error>,
    F: Future<Output = Result<T, E>>,
{
    let deadline = deadline::deadline_after(limit);
    match tokio::time::timeout_at(deadline, deadline::within_at(deadline, body)).await {
        Ok(result) => result,
        Err(_elapsed) => Err(E::from(Error::timeout(name, limit))),
    }
}

/// Runs `body` on a pooled worker thread and waits for it at most `limit`: at the deadline
/// the call returns `Err(E::from(Error::Timeout { name, limit }))` and the body finishes on
/// its own (a thread cannot be stopped from outside), its result discarded. A panic in the
/// body is resumed on the caller while it still waits. This is what `#[timeout]` on a sync
/// `fn` calls.
///
/// The body may outlive the call, hence `Send + 'static`. It runs with the deadline in scope
/// ([`deadline::remaining`] works on the worker), the earlier of `limit` and any deadline
/// around the caller.
///
/// Worker threads are reused: a finished worker waits up to 10 s for the next body before
/// exiting, and a new one is started only when none is idle. The pool is not capped, since a
/// cap would make a call wait behind bodies that hang; the number of threads is the number of
/// bodies running at once, timed-out ones included.
///
/// ```
/// use std::time::Duration;
///
/// let quick: std::io::Result<u32> =
///     resilience::timeout_sync("add", Duration::from_secs(1), || Ok(1 + 1));
/// assert_eq!(quick.unwrap(), 2);
///
/// let slow: std::io::Result<u32> = resilience::timeout_sync("sleep", Duration::from_millis(20), || {
///     std::thread::sleep(Duration::from_millis(500));
///     Ok(0)
/// });
/// assert_eq!(slow.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// ```
pub fn timeout_sync<T, E, F>(name: &'static str, limit: Duration, body: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let deadline = deadline::deadline_after(limit);
    let deadline = deadline::current().map_or(deadline, |outer| outer.min(deadline));
    let (sender, receiver) = mpsc::sync_channel::<thread::Result<Result<T, E>>>(1);
    POOL.run(Box::new(move || {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            deadline::within_sync_at(deadline, body)
        }));
        // The caller may have given up: then nobody wants the result.
        let _ = sender.send(outcome);
    }));
    let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
    match receiver.recv_timeout(wait) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => Err(E::from(Error::timeout(name, limit))),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// How long a worker waits for the next job before its thread exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The worker threads of sync timeouts.
struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
}

static POOL: Pool = Pool {
    state: Mutex::new(PoolState {
        jobs: VecDeque::new(),
        idle: 0,
    }),
    work: Condvar::new(),
};

impl Pool {
    /// The lock guards only the queue and a counter, never a job, so poisoning cannot leave
    /// it inconsistent: recover from it rather than wedge every later call.
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&'static self, job: Job) {
        let mut state = self.lock();
        state.jobs.push_back(job);
        let spawn = state.jobs.len() > state.idle;
        if spawn {
            // Counted as idle until it takes a job, so that the next call does not spawn
            // another for the same job.
            state.idle += 1;
        }
        drop(state);
        if spawn {
            let started = thread::Builder::new()
                .name("resilience-timeout".into())
                .spawn(move || self.work_loop());
            if started.is_err() {
                // No thread could be started: run the job here rather than lose it.
                let mut state = self.lock();
                state.idle -= 1;
                let job = state.jobs.pop_back();
                drop(state);
                if let Some(job) = job {
                    job();
                }
            }
        } else {
            self.work.notify_one();
        }
    }

    fn work_loop(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                state.idle -= 1;
                drop(state);
                // Jobs catch their own panics; nothing can unwind through here.
                job();
                state = self.lock();
                state.idle += 1;
                continue;
            }
            let (next, waited) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if waited.timed_out() && state.jobs.is_empty() {
                state.idle -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        time::Instant,
    };

    use super::*;

    #[test]
    fn returns_the_value_within_the_limit() {
        let r: Result<u8, Error> = timeout_sync("quick", Duration::from_secs(5), || Ok(7));
        assert_eq!(r, Ok(7));
    }

    #[test]
    fn returns_at_the_deadline_while_the_body_goes_on() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let start = Instant::now();
        let r: Result<(), Error> = timeout_sync("slow", Duration::from_millis(50), move || {
            thread::sleep(Duration::from_millis(800));
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(r, Err(Error::timeout("slow", Duration::from_millis(50))));
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "{:?}",
            start.elapsed()
        );
        assert!(!done.load(Ordering::SeqCst));
        while !done.load(Ordering::SeqCst) {
            assert!(start.elapsed() < Duration::from_secs(10));
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn workers_are_reused() {
        let first: Result<thread::ThreadId, Error> =
            timeout_sync("id", Duration::from_secs(5), || Ok(thread::current().id()));
        let mut same = false;
        for _ in 0..20 {
            let next: Result<thread::ThreadId, Error> =
                timeout_sync("id", Duration::from_secs(5), || Ok(thread::current().id()));
            same |= next == first;
        }
        assert!(same, "sequential calls run on a reused worker");
        assert_ne!(first.unwrap(), thread::current().id());
    }

    #[test]
    fn a_panic_reaches_the_caller_and_the_worker_survives() {
        let caught = catch_unwind(|| {
            let _: Result<(), Error> =
                timeout_sync("boom", Duration::from_secs(5), || panic!("in the body"));
        })
        .unwrap_err();
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"in the body"));
        let r: Result<u8, Error> = timeout_sync("after", Duration::from_secs(5), || Ok(1));
        assert_eq!(r, Ok(1));
    }

    #[test]
    fn the_body_sees_the_earlier_deadline() {
        let r: Result<Option<Duration>, Error> =
            deadline::within_sync(Duration::from_secs(2), || {
                timeout_sync("nested", Duration::from_secs(60), || {
                    Ok(deadline::remaining())
                })
            });
        let left = r.unwrap().unwrap();
        assert!(
            left <= Duration::from_secs(2) && left > Duration::from_secs(1),
            "{left:?}"
        );
    }

    #[test]
    fn many_hanging_bodies_do_not_block_later_calls() {
        for _ in 0..8 {
            let _: Result<(), Error> = timeout_sync("hang", Duration::from_millis(1), || {
                thread::sleep(Duration::from_millis(300));
                Ok(())
            });
        }
        let start = Instant::now();
        let r: Result<u8, Error> = timeout_sync("free", Duration::from_secs(5), || Ok(3));
        assert_eq!(r, Ok(3));
        assert!(start.elapsed() < Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn async_timeout_is_exact_on_the_paused_clock() {
        let start = tokio::time::Instant::now();
        let r: Result<(), Error> = timeout_async("sleepy", Duration::from_millis(250), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
        .await;
        assert_eq!(r, Err(Error::timeout("sleepy", Duration::from_millis(250))));
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        let r: Result<u8, Error> = timeout_async("max", Duration::MAX, async { Ok(1) }).await;
        assert_eq!(r, Ok(1));
    }
}
