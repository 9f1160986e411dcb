//! `timeout::timeout_async`: cancellation at the deadline on tokio's clock, pass-through otherwise.

use std::{
    future::pending,
    io,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use resilience::{Error, deadline, timeout};
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn times_out_at_exactly_the_limit_with_name_and_limit() {
    let start = Instant::now();
    let result: Result<(), Error> = timeout::timeout_async("fetch_user", 250 * MS, async {
        sleep(Duration::from_secs(60)).await;
        Ok(())
    })
    .await;
    assert_eq!(start.elapsed(), 250 * MS);
    let err = result.unwrap_err();
    assert_eq!(err, Error::timeout("fetch_user", 250 * MS));
    assert_eq!(err.to_string(), "`fetch_user` timed out after 250ms");
}

#[tokio::test(start_paused = true)]
async fn success_and_errors_pass_through_unchanged() {
    let ok: Result<u32, Error> = timeout::timeout_async("ok", Duration::from_secs(1), async {
        sleep(999 * MS).await;
        Ok(7)
    })
    .await;
    assert_eq!(ok, Ok(7));

    #[derive(Debug, PartialEq)]
    enum AppError {
        NotFound,
        Resilience(Error),
    }
    impl From<Error> for AppError {
        fn from(e: Error) -> Self {
            AppError::Resilience(e)
        }
    }
    let err: Result<(), AppError> = timeout::timeout_async("err", Duration::from_secs(1), async {
        Err(AppError::NotFound)
    })
    .await;
    assert_eq!(err, Err(AppError::NotFound));

    let timed_out: Result<(), AppError> =
        timeout::timeout_async("err", 5 * MS, pending::<Result<(), AppError>>()).await;
    assert_eq!(
        timed_out,
        Err(AppError::Resilience(Error::timeout("err", 5 * MS)))
    );
}

#[tokio::test(start_paused = true)]
async fn io_errors_get_timed_out_kind() {
    let err: io::Result<()> = timeout::timeout_async("read", 10 * MS, pending()).await;
    assert_eq!(err.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[tokio::test(start_paused = true)]
async fn body_is_dropped_at_the_deadline() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(Arc::clone(&dropped));
    let result: Result<(), Error> = timeout::timeout_async("drop", 10 * MS, async move {
        let _guard = guard;
        pending().await
    })
    .await;
    assert!(result.is_err());
    assert!(
        dropped.load(Ordering::SeqCst),
        "dropped before the call returned"
    );
}

#[tokio::test(start_paused = true)]
async fn body_sees_its_deadline_exactly() {
    let seen = timeout::timeout_async("budget", Duration::from_secs(2), async {
        let first = deadline::remaining();
        sleep(500 * MS).await;
        Ok::<_, Error>((first, deadline::remaining()))
    })
    .await
    .unwrap();
    assert_eq!(seen, (Some(Duration::from_secs(2)), Some(1500 * MS)));
    assert_eq!(deadline::remaining(), None, "nothing left behind");
}

#[tokio::test(start_paused = true)]
async fn nested_timeouts_take_the_earliest_and_the_inner_one_fires_with_its_own_name() {
    let inner_budget = timeout::timeout_async("outer", Duration::from_secs(1), async {
        timeout::timeout_async("inner", Duration::from_secs(10), async {
            Ok::<_, Error>(deadline::remaining())
        })
        .await
    })
    .await
    .unwrap();
    assert_eq!(inner_budget, Some(Duration::from_secs(1)));

    let start = Instant::now();
    let err: Result<(), Error> = timeout::timeout_async("outer", Duration::from_secs(10), async {
        timeout::timeout_async("inner", Duration::from_secs(1), pending()).await
    })
    .await;
    assert_eq!(err, Err(Error::timeout("inner", Duration::from_secs(1))));
    assert_eq!(start.elapsed(), Duration::from_secs(1));

    let err: Result<(), Error> = timeout::timeout_async("outer", Duration::from_secs(1), async {
        timeout::timeout_async("inner", Duration::from_secs(10), pending()).await
    })
    .await;
    assert_eq!(err, Err(Error::timeout("outer", Duration::from_secs(1))));
}

#[tokio::test(start_paused = true)]
async fn a_future_dropped_midway_leaves_no_deadline_behind() {
    let outer = tokio::time::timeout(
        10 * MS,
        timeout::timeout_async("long", Duration::from_secs(60), async {
            assert!(deadline::current().is_some());
            pending::<Result<(), Error>>().await
        }),
    )
    .await;
    assert!(outer.is_err(), "the outer tokio timeout dropped it");
    assert_eq!(deadline::current(), None);

    // Polled once by hand, then dropped without completing.
    let fut = Box::pin(timeout::timeout_async(
        "polled",
        Duration::from_secs(60),
        async { pending::<Result<(), Error>>().await },
    ));
    tokio::select! {
        biased;
        _ = fut => unreachable!(),
        () = std::future::ready(()) => {}
    }
    assert_eq!(deadline::current(), None);
}

#[tokio::test(start_paused = true)]
async fn concurrent_tasks_each_see_their_own_deadline() {
    let a = timeout::timeout_async("a", Duration::from_secs(1), async {
        sleep(100 * MS).await;
        Ok::<_, Error>(deadline::remaining())
    });
    let b = timeout::timeout_async("b", Duration::from_secs(5), async {
        sleep(100 * MS).await;
        Ok::<_, Error>(deadline::remaining())
    });
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.unwrap(), Some(900 * MS));
    assert_eq!(b.unwrap(), Some(4900 * MS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_future_is_send_and_spawnable() {
    let handle = tokio::spawn(timeout::timeout_async(
        "spawned",
        Duration::from_secs(5),
        async {
            tokio::task::yield_now().await;
            Ok::<_, Error>(deadline::remaining().is_some())
        },
    ));
    assert_eq!(handle.await.unwrap(), Ok(true));
}

#[tokio::test(start_paused = true)]
async fn duration_max_does_not_panic() {
    let ok: Result<u8, Error> = timeout::timeout_async("max", Duration::MAX, async { Ok(1) }).await;
    assert_eq!(ok, Ok(1));
}

/// A body that finishes without waiting needs no deadline; one that waits has its deadline
/// `limit` from its first wait, or from the first time it asked for it.
#[tokio::test(start_paused = true)]
async fn the_deadline_is_fixed_when_first_needed() {
    use resilience::deadline;
    // Asked for during the first poll: fixed then, and the same afterwards.
    let start = tokio::time::Instant::now();
    let seen = timeout::timeout_async("asks", Duration::from_secs(2), async {
        let first = deadline::current().unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok::<_, resilience::Error>((first, deadline::current().unwrap()))
    })
    .await
    .unwrap();
    assert_eq!(seen.0, start + Duration::from_secs(2));
    assert_eq!(seen.0, seen.1);
    // Not asked: the timer still fires `limit` after the call under a paused clock.
    let err = timeout::timeout_async("waits", Duration::from_secs(1), async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok::<_, resilience::Error>(())
    })
    .await
    .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    // Nested: the inner body sees the earliest of the two.
    let outer_at = tokio::time::Instant::now() + Duration::from_secs(1);
    let inner = timeout::timeout_async("outer", Duration::from_secs(1), async {
        timeout::timeout_async("inner", Duration::from_secs(10), async {
            Ok::<_, resilience::Error>(deadline::current())
        })
        .await
    })
    .await
    .unwrap();
    assert_eq!(inner, Some(outer_at));
    assert_eq!(deadline::current(), None, "nothing left behind");
}
