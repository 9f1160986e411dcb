//! The `tower` feature's layers beside their peers, on the same services: tower's own `Retry`,
//! `Timeout` and retry budget (`TpsBudget`), and tower-resilience's retry, circuit breaker and
//! time limiter. Where they agree, a user moving from one to the other sees the same
//! behaviour; where they differ, the test says how.

use std::{
    convert::Infallible,
    future::Ready,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use http::Response;
use resilience::{
    BreakerConfig, Error, Jitter, RetryPolicy,
    tower::{CircuitBreakerLayer, HttpStatus, RetryLayer, TimeoutLayer},
};
use tokio::time::Instant;
use tower::{
    Layer, Service, ServiceExt,
    retry::{
        Policy,
        budget::{Budget, TpsBudget},
    },
    service_fn,
};

/// No jitter: 100 ms, then 200 ms, as tower-resilience's exponential backoff.
const EXACT: RetryPolicy = RetryPolicy::new().with_jitter(Jitter::None);

/// A service that fails its first `failures` calls, then answers; counts its calls.
fn flaky(
    failures: u32,
    calls: &Arc<AtomicU32>,
) -> impl Service<u32, Response = u32, Error = String, Future: Send> + Clone + Send + 'static {
    let calls = Arc::clone(calls);
    service_fn(move |n: u32| {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if call <= failures {
                Err(format!("failure {call}"))
            } else {
                Ok(n)
            }
        }
    })
}

/// tower's `Retry` needs a policy written by hand: `retries` retries of every error, drawing
/// from `budget` if given, as Finagle's filter does (every call deposits once).
#[derive(Clone)]
struct Retries {
    retries: u32,
    budget: Option<Arc<TpsBudget>>,
    deposited: bool,
}

impl Retries {
    fn new(retries: u32) -> Self {
        Retries {
            retries,
            budget: None,
            deposited: false,
        }
    }
}

impl<Req: Clone, Res, E> Policy<Req, Res, E> for Retries {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut Req, result: &mut Result<Res, E>) -> Option<Self::Future> {
        let first_result = !std::mem::replace(&mut self.deposited, true);
        if let (Some(budget), true) = (&self.budget, first_result) {
            budget.deposit();
        }
        if result.is_ok() || self.retries == 0 {
            return None;
        }
        if self
            .budget
            .as_ref()
            .is_some_and(|budget| !budget.withdraw())
        {
            return None;
        }
        self.retries -= 1;
        Some(std::future::ready(()))
    }

    fn clone_request(&mut self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

#[tokio::test(start_paused = true)]
async fn retries_agree_on_attempts_and_results() {
    // Recovers on the third call: all three get the answer after three calls.
    let ours = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::new(EXACT)
        .without_budget()
        .layer(flaky(2, &ours));
    let start = Instant::now();
    assert_eq!(service.oneshot(7).await, Ok(7));
    assert_eq!(start.elapsed(), Duration::from_millis(300));

    let towers = Arc::new(AtomicU32::new(0));
    let service = tower::retry::RetryLayer::new(Retries::new(2)).layer(flaky(2, &towers));
    assert_eq!(service.oneshot(7).await, Ok(7));

    let theirs = Arc::new(AtomicU32::new(0));
    let layer = tower_resilience::retry::RetryLayer::<u32, u32, String>::builder()
        .max_attempts(3)
        .exponential_backoff(Duration::from_millis(100))
        .build();
    let service = layer.layer(flaky(2, &theirs));
    let start = Instant::now();
    assert_eq!(service.oneshot(7).await, Ok(7));
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(300),
        "the same schedule"
    );

    for calls in [&ours, &towers, &theirs] {
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    // Never recovers: each returns the third call's error, unchanged.
    let ours = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::new(EXACT)
        .without_budget()
        .layer(flaky(9, &ours));
    assert_eq!(service.oneshot(7).await, Err("failure 3".to_string()));
    let towers = Arc::new(AtomicU32::new(0));
    let service = tower::retry::RetryLayer::new(Retries::new(2)).layer(flaky(9, &towers));
    assert_eq!(service.oneshot(7).await, Err("failure 3".to_string()));
    let theirs = Arc::new(AtomicU32::new(0));
    let service = tower_resilience::retry::RetryLayer::<u32, u32, String>::builder()
        .max_attempts(3)
        .exponential_backoff(Duration::from_millis(100))
        .build()
        .layer(flaky(9, &theirs));
    assert_eq!(service.oneshot(7).await, Err("failure 3".to_string()));
}

#[tokio::test(start_paused = true)]
async fn a_failed_response_is_retried_as_a_value_by_both() {
    fn unavailable(
        calls: &Arc<AtomicU32>,
    ) -> impl Service<String, Response = Response<String>, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static {
        let calls = Arc::clone(calls);
        service_fn(move |_: String| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(Response::builder().status(503).body(String::new()).unwrap()) }
        })
    }
    let ours = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::new(EXACT)
        .classify(HttpStatus)
        .without_budget()
        .layer(unavailable(&ours));
    assert_eq!(service.oneshot("q".into()).await.unwrap().status(), 503);

    let theirs = Arc::new(AtomicU32::new(0));
    let service =
        tower_resilience::retry::RetryLayer::<String, Response<String>, Infallible>::builder()
            .max_attempts(3)
            .exponential_backoff(Duration::from_millis(100))
            .retry_on_response(|response: &Response<String>| response.status() == 503)
            .build()
            .layer(unavailable(&theirs));
    assert_eq!(service.oneshot("q".into()).await.unwrap().status(), 503);

    assert_eq!(ours.load(Ordering::SeqCst), 3);
    assert_eq!(theirs.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn budgets_with_finagles_defaults_allow_the_same_retries() {
    const CALLS: u32 = 1_000;
    // Our default budget (20% of the calls, 10 a second, 10 s) and tower's `TpsBudget` with
    // the same settings, under a dependency that fails every call, with no delay.
    let ours = Arc::new(AtomicU32::new(0));
    let mut service = RetryLayer::new(EXACT.with_initial_delay(Duration::ZERO))
        .named("tower_peers.budget")
        .layer(flaky(u32::MAX, &ours));
    for n in 0..CALLS {
        let _ = service.ready().await.unwrap().call(n).await;
    }

    let towers = Arc::new(AtomicU32::new(0));
    let budget = Arc::new(TpsBudget::new(Duration::from_secs(10), 10, 0.2));
    let policy = Retries {
        budget: Some(budget),
        ..Retries::new(2)
    };
    let mut service = tower::retry::RetryLayer::new(policy).layer(flaky(u32::MAX, &towers));
    for n in 0..CALLS {
        let _ = service.ready().await.unwrap().call(n).await;
    }

    let (ours, towers) = (ours.load(Ordering::SeqCst), towers.load(Ordering::SeqCst));
    eprintln!("attempts for {CALLS} failing calls: ours {ours}, tower's TpsBudget {towers}");
    // Without a budget: 3,000 attempts. With one: the calls, 20% more, and the floor of
    // 10 a second over the 10 s window.
    assert!((1_250..=1_350).contains(&ours), "ours: {ours}");
    assert!((1_250..=1_350).contains(&towers), "tower: {towers}");
    assert!(ours.abs_diff(towers) <= 20, "ours {ours}, tower {towers}");
}

#[tokio::test(start_paused = true)]
async fn timeouts_fire_at_the_same_instant() {
    fn slow() -> impl Service<(), Response = (), Error = std::io::Error, Future: Send> + Clone {
        service_fn(|_: ()| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
    }
    let limit = Duration::from_secs(1);

    let start = Instant::now();
    let err = TimeoutLayer::new(limit)
        .layer(slow())
        .oneshot(())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), limit);
    assert!(err.downcast_ref::<Error>().unwrap().is_timeout());

    let start = Instant::now();
    let err = tower::timeout::TimeoutLayer::new(limit)
        .layer(slow())
        .oneshot(())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), limit);
    assert!(err.is::<tower::timeout::error::Elapsed>());

    let start = Instant::now();
    let err = tower_resilience::timelimiter::TimeLimiterLayer::builder()
        .timeout_duration(limit)
        .build()
        .layer(slow())
        .oneshot(())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), limit);
    assert!(err.is_timeout());
}

#[tokio::test]
async fn breakers_open_after_consecutive_failures_and_recover_after_a_trial() {
    // tower-resilience's breaker reads the system clock: real time, with margins wide enough
    // that a busy machine cannot let the open period end before the refused call is made.
    let open_for = Duration::from_secs(1);
    fn switchable(
        down: &Arc<AtomicBool>,
        calls: &Arc<AtomicU32>,
    ) -> impl Service<(), Response = (), Error = std::io::Error, Future: Send> + Clone + Send + 'static
    {
        let (down, calls) = (Arc::clone(down), Arc::clone(calls));
        service_fn(move |_: ()| {
            calls.fetch_add(1, Ordering::SeqCst);
            let down = down.load(Ordering::SeqCst);
            async move {
                if down {
                    Err(std::io::Error::other("down"))
                } else {
                    Ok(())
                }
            }
        })
    }

    let down = Arc::new(AtomicBool::new(true));
    let (ours, theirs) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let mut our_service = CircuitBreakerLayer::named(
        "tower_peers.breaker",
        BreakerConfig::new()
            .with_failure_threshold(3)
            .with_recovery_timeout(open_for),
    )
    .layer(switchable(&down, &ours));
    let mut their_service = tower_resilience::circuitbreaker::CircuitBreakerLayer::builder()
        .consecutive_failures(3)
        .wait_duration_in_open(open_for)
        .permitted_calls_in_half_open(1)
        .build()
        .unwrap()
        .layer(switchable(&down, &theirs));

    for _ in 0..3 {
        let err = our_service
            .ready()
            .await
            .unwrap()
            .call(())
            .await
            .unwrap_err();
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        let err = their_service
            .ready()
            .await
            .unwrap()
            .call(())
            .await
            .unwrap_err();
        assert!(!err.is_circuit_open());
    }
    // Open: refused without reaching the service.
    let err = our_service
        .ready()
        .await
        .unwrap()
        .call(())
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<Error>().unwrap().is_circuit_open());
    let err = their_service
        .ready()
        .await
        .unwrap()
        .call(())
        .await
        .unwrap_err();
    assert!(err.is_circuit_open());
    assert_eq!(ours.load(Ordering::SeqCst), 3);
    assert_eq!(theirs.load(Ordering::SeqCst), 3);

    // Back up: after the open period, a trial call goes through, succeeds and closes both.
    down.store(false, Ordering::SeqCst);
    tokio::time::sleep(open_for * 3 / 2).await;
    for _ in 0..2 {
        our_service.ready().await.unwrap().call(()).await.unwrap();
        their_service.ready().await.unwrap().call(()).await.unwrap();
    }
    assert_eq!(ours.load(Ordering::SeqCst), 5);
    assert_eq!(theirs.load(Ordering::SeqCst), 5);
    assert_eq!(
        resilience::breakers::get("tower_peers.breaker")
            .unwrap()
            .state(),
        resilience::State::Closed
    );
}
