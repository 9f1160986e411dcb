//! The worker pool behind `timeout::timeout_sync`: reuse and survival.
//!
//! Its own test binary, so that no other test's calls take the worker under observation; the
//! tests here are serialized for the same reason, and each leaves the pool quiescent.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Mutex, mpsc},
    thread::{self, ThreadId},
    time::Duration,
};

use resilience::{Error, timeout};

static SERIAL: Mutex<()> = Mutex::new(());

fn worker_id() -> ThreadId {
    timeout::timeout_sync("id", Duration::from_secs(30), || {
        Ok::<_, Error>(thread::current().id())
    })
    .unwrap()
}

#[test]
fn sequential_calls_reuse_one_worker_thread() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let first = worker_id();
    assert_ne!(
        first,
        thread::current().id(),
        "the body runs off the caller's thread"
    );
    for _ in 0..20 {
        assert_eq!(worker_id(), first);
    }
    assert!(timeout::worker_threads() >= 1);
}

#[test]
fn a_worker_survives_a_panicking_body() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = worker_id();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> =
            timeout::timeout_sync("boom", Duration::from_secs(30), || panic!("boom"));
    }));
    assert!(caught.is_err());
    assert_eq!(worker_id(), before, "the same worker took the next call");
}

#[test]
fn a_busy_worker_is_not_waited_for_and_rejoins_the_pool_when_done() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (release, wait) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel::<ThreadId>();
    let stuck: Result<(), Error> =
        timeout::timeout_sync("stuck", Duration::from_millis(20), move || {
            let _ = wait.recv();
            done.send(thread::current().id()).unwrap();
            Ok(())
        });
    assert!(stuck.unwrap_err().is_timeout());
    let other = worker_id();
    release.send(()).unwrap();
    let stuck_worker = finished.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_ne!(
        stuck_worker, other,
        "a new worker served the call meanwhile"
    );
    // Both workers are idle again; the next calls run on one of them, without a new thread.
    let live = timeout::worker_threads();
    let next = worker_id();
    assert!(next == other || next == stuck_worker);
    assert_eq!(timeout::worker_threads(), live);
}
