//! `timeout::timeout_sync`: the caller returns at the deadline, the body runs on a pooled worker.
//!
//! Margins are wide on purpose: a body sleeps seconds against a limit of milliseconds.

use std::{
    io,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use resilience::{Error, deadline, timeout};

const MS: Duration = Duration::from_millis(1);

#[test]
fn returns_at_the_deadline_while_the_body_finishes_on_its_own() {
    let (finished_tx, finished) = mpsc::channel();
    let start = Instant::now();
    let result: Result<(), Error> = timeout::timeout_sync("slow_sync", 50 * MS, move || {
        thread::sleep(Duration::from_secs(2));
        finished_tx.send(()).unwrap();
        Ok(())
    });
    let waited = start.elapsed();
    assert!(
        waited >= 50 * MS,
        "returned before the deadline: {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(1500),
        "waited for the body: {waited:?}"
    );
    assert_eq!(result, Err(Error::timeout("slow_sync", 50 * MS)));
    finished
        .recv_timeout(Duration::from_secs(30))
        .expect("the abandoned body still runs to its end");
}

#[test]
fn success_and_errors_pass_through() {
    let ok: Result<String, io::Error> =
        timeout::timeout_sync("ok", Duration::from_secs(30), || Ok("done".to_owned()));
    assert_eq!(ok.unwrap(), "done");

    let err: Result<(), io::Error> = timeout::timeout_sync("err", Duration::from_secs(30), || {
        Err(io::Error::new(io::ErrorKind::NotFound, "missing"))
    });
    let err = err.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(err.to_string(), "missing");

    let timed_out: Result<(), io::Error> = timeout::timeout_sync("io", 20 * MS, || {
        thread::sleep(Duration::from_secs(2));
        Ok(())
    });
    assert_eq!(timed_out.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[test]
fn a_panic_in_the_body_is_resumed_on_the_caller() {
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> =
            timeout::timeout_sync("boom", Duration::from_secs(30), || panic!("body exploded"));
    }));
    let payload = caught.expect_err("the panic reached the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"body exploded"));

    // The pool still serves calls afterwards.
    let ok: Result<u8, Error> = timeout::timeout_sync("after", Duration::from_secs(30), || Ok(1));
    assert_eq!(ok, Ok(1));
}

#[test]
fn a_panic_after_the_timeout_is_dropped_quietly() {
    let result: Result<(), Error> = timeout::timeout_sync("late_panic", 20 * MS, || {
        thread::sleep(Duration::from_millis(300));
        panic!("too late to matter")
    });
    assert!(result.unwrap_err().is_timeout());
}

#[test]
fn the_worker_sees_the_deadline_and_nested_deadlines_take_the_earliest() {
    let (on_worker, left) = timeout::timeout_sync("budget", Duration::from_secs(20), || {
        Ok::<_, Error>((
            thread::current().name().map(str::to_owned),
            deadline::remaining(),
        ))
    })
    .unwrap();
    assert_eq!(on_worker.as_deref(), Some("resilience-timeout"));
    let left = left.expect("a deadline in scope on the worker");
    assert!(left <= Duration::from_secs(20) && left > Duration::from_secs(10));

    // An outer, shorter deadline on the calling thread bounds the worker's.
    let left = deadline::within_sync(Duration::from_secs(2), || {
        timeout::timeout_sync("inner", Duration::from_secs(60), || {
            Ok::<_, Error>(deadline::remaining())
        })
    })
    .unwrap()
    .unwrap();
    assert!(
        left <= Duration::from_secs(2) && left > Duration::from_secs(1),
        "{left:?}"
    );

    // Nested timeout_sync: the inner worker sees the outer call's budget.
    let left = timeout::timeout_sync("outer", Duration::from_secs(3), || {
        timeout::timeout_sync("inner", Duration::from_secs(60), || {
            Ok::<_, Error>(deadline::remaining())
        })
    })
    .unwrap()
    .unwrap();
    assert!(
        left <= Duration::from_secs(3) && left > Duration::from_secs(2),
        "{left:?}"
    );

    assert_eq!(deadline::remaining(), None, "nothing left on the caller");
}

#[test]
fn a_body_that_never_returns_does_not_wedge_later_calls() {
    let (_keep_blocked, blocked) = mpsc::channel::<()>();
    let stuck: Result<(), Error> = timeout::timeout_sync("stuck", 20 * MS, move || {
        let _ = blocked.recv(); // never sent to while this test runs
        Ok(())
    });
    assert!(stuck.unwrap_err().is_timeout());

    let start = Instant::now();
    for n in 0..5 {
        let ok: Result<u32, Error> =
            timeout::timeout_sync("next", Duration::from_secs(30), move || Ok(n));
        assert_eq!(ok, Ok(n));
    }
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn concurrent_callers_each_get_a_worker() {
    let start = Instant::now();
    let callers: Vec<_> = (0..8)
        .map(|n| {
            thread::spawn(move || {
                timeout::timeout_sync("parallel", Duration::from_secs(30), move || {
                    thread::sleep(200 * MS);
                    Ok::<_, Error>(n)
                })
            })
        })
        .collect();
    for (n, caller) in callers.into_iter().enumerate() {
        assert_eq!(caller.join().unwrap(), Ok(n));
    }
    // Queued one after another this would take 1.6 s.
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_paused_callers_deadline_becomes_a_real_time_budget_on_the_worker() {
    let left = deadline::within(Duration::from_secs(5), async {
        timeout::timeout_sync("from_async", Duration::from_secs(60), || {
            Ok::<_, Error>(deadline::remaining())
        })
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        left <= Duration::from_secs(5) && left > Duration::from_secs(4),
        "{left:?}"
    );
}
