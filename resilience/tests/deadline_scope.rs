//! `deadline`: scopes, nesting, and what is (not) inherited.

use std::{future::Future, time::Duration};

use resilience::deadline;
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

#[test]
fn none_outside_any_scope() {
    assert_eq!(deadline::remaining(), None);
    assert_eq!(deadline::current(), None);
}

#[test]
fn sync_nesting_takes_the_earliest_and_restores() {
    let (short_first, long_first) = deadline::within_sync(Duration::from_secs(1), || {
        let a = deadline::within_sync(Duration::from_secs(10), deadline::remaining);
        let b = deadline::within_sync(100 * MS, deadline::remaining);
        (a, b)
    });
    assert!(short_first.unwrap() <= Duration::from_secs(1));
    assert!(long_first.unwrap() <= 100 * MS);
    assert_eq!(deadline::remaining(), None);
}

#[test]
fn threads_do_not_inherit_unless_asked() {
    deadline::within_sync(Duration::from_secs(1), || {
        let at = deadline::current().unwrap();
        let plain = std::thread::spawn(deadline::current).join().unwrap();
        assert_eq!(plain, None);
        let passed = std::thread::spawn(move || deadline::within_sync_at(at, deadline::current))
            .join()
            .unwrap();
        assert_eq!(passed, Some(at));
    });
}

#[tokio::test(start_paused = true)]
async fn async_nesting_is_exact_under_the_paused_clock() {
    let start = Instant::now();
    let seen = deadline::within(Duration::from_secs(1), async {
        let inner = deadline::within(Duration::from_secs(10), async {
            sleep(300 * MS).await;
            deadline::remaining()
        })
        .await;
        let shorter = deadline::within(200 * MS, async { deadline::remaining() }).await;
        (inner, shorter, deadline::current())
    })
    .await;
    assert_eq!(seen.0, Some(700 * MS));
    assert_eq!(seen.1, Some(200 * MS));
    assert_eq!(seen.2, Some(start + Duration::from_secs(1)));
    assert_eq!(deadline::current(), None);
}

#[tokio::test(start_paused = true)]
async fn within_does_not_cancel() {
    let start = Instant::now();
    let done = deadline::within(10 * MS, async {
        sleep(Duration::from_secs(1)).await;
        deadline::remaining()
    })
    .await;
    assert_eq!(
        done,
        Some(Duration::ZERO),
        "past the deadline: zero, not None"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn spawned_tasks_do_not_inherit_unless_asked() {
    deadline::within(Duration::from_secs(1), async {
        let at = deadline::current().unwrap();
        assert_eq!(
            tokio::spawn(async { deadline::current() }).await.unwrap(),
            None
        );
        let passed = tokio::spawn(deadline::within_at(at, async { deadline::current() }));
        assert_eq!(passed.await.unwrap(), Some(at));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn interleaved_tasks_on_one_thread_keep_their_own_deadlines() {
    fn probe(limit: Duration) -> impl Future<Output = Vec<Option<Duration>>> {
        deadline::within(limit, async {
            let mut seen = Vec::new();
            for _ in 0..3 {
                seen.push(deadline::remaining());
                tokio::task::yield_now().await;
                sleep(10 * MS).await;
            }
            seen
        })
    }
    let unscoped = async {
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(deadline::remaining());
            sleep(5 * MS).await;
        }
        seen
    };
    let (a, b, none) = tokio::join!(
        probe(Duration::from_secs(1)),
        probe(Duration::from_secs(2)),
        unscoped
    );
    assert_eq!(a, [Some(1000 * MS), Some(990 * MS), Some(980 * MS)]);
    assert_eq!(b, [Some(2000 * MS), Some(1990 * MS), Some(1980 * MS)]);
    assert_eq!(none, [None, None, None]);
}
