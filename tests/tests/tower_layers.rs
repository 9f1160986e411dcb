//! The `tower` feature's layers: what a tower user relies on. In-memory services under tokio's
//! paused clock where time matters, and a real HTTP server on loopback for the HTTP rules.

use std::{
    collections::VecDeque,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header::RETRY_AFTER};
use http_body_util::{BodyExt, Full};
use resilience::{
    BreakerConfig, BudgetConfig, Error, Jitter, RetryPolicy, State, breakers, budgets, deadline,
    retries,
    tower::{
        BoxError, CircuitBreakerLayer, HttpStatus, Idempotent, RetryLayer, SendOnce, TimeoutLayer,
    },
};
use tokio::time::Instant;
use tower::{Layer, Service, ServiceBuilder, ServiceExt, service_fn};

/// Exact delays: no jitter, 100 ms then 200 ms.
const EXACT: RetryPolicy = RetryPolicy::new().with_jitter(Jitter::None);

fn resilience_error(error: &BoxError) -> &Error {
    error
        .downcast_ref::<Error>()
        .unwrap_or_else(|| panic!("not a resilience::Error: {error}"))
}

/// A service answering with `statuses` in turn (the last one for ever after), counting calls.
fn http_script(
    statuses: &[u16],
    calls: &Arc<AtomicU32>,
) -> impl Service<Request<String>, Response = Response<String>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let statuses = Arc::new(Mutex::new(
        statuses.iter().copied().collect::<VecDeque<_>>(),
    ));
    let calls = Arc::clone(calls);
    service_fn(move |_: Request<String>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let mut statuses = statuses.lock().unwrap();
        let status = if statuses.len() > 1 {
            statuses.pop_front().unwrap()
        } else {
            statuses[0]
        };
        async move {
            let response = Response::builder()
                .status(status)
                .body(format!("status {status}"))
                .unwrap();
            Ok::<_, Infallible>(response)
        }
    })
}

fn get() -> Request<String> {
    Request::get("http://inventory.invalid/items/7")
        .body(String::new())
        .unwrap()
}

// --- Retries -------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn counts_a_call_that_succeeds_at_once_as_a_first_try_success() {
    let service = RetryLayer::new(EXACT)
        .named("tower_layers.at_once")
        .layer(service_fn(|n: u32| async move { Ok::<_, &str>(n) }));
    for n in 0..3 {
        assert_eq!(service.clone().oneshot(n).await, Ok(n));
    }
    let stats = retries::get("tower_layers.at_once").unwrap();
    assert_eq!((stats.calls, stats.attempts, stats.retries), (3, 3, 0));
    assert_eq!(stats.first_try_successes, 3);
}

#[tokio::test(start_paused = true)]
async fn retries_an_error_on_the_policy_schedule_and_counts_the_site() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let flaky = service_fn(move |n: u32| {
        let call = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if call < 3 {
                Err("unavailable")
            } else {
                Ok(n * 2)
            }
        }
    });
    let service = RetryLayer::new(EXACT)
        .named("tower_layers.schedule")
        .without_budget()
        .layer(flaky);
    let start = Instant::now();
    assert_eq!(service.oneshot(21).await, Ok(42));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(100 + 200));
    let stats = retries::get("tower_layers.schedule").unwrap();
    assert_eq!((stats.calls, stats.attempts, stats.retries), (1, 3, 2));
    assert_eq!(stats.successes_after_retries, 1);
}

#[tokio::test(start_paused = true)]
async fn gives_up_with_the_last_error_unchanged() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let down = service_fn(move |_: ()| {
        let call = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Err::<(), _>(format!("failure {call}")) }
    });
    let service = RetryLayer::new(EXACT.with_max_attempts(4))
        .without_budget()
        .layer(down);
    assert_eq!(service.oneshot(()).await, Err("failure 4".to_string()));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn a_classifier_decides_which_errors_are_retried() {
    #[derive(Debug, PartialEq)]
    enum DbError {
        Busy,
        Constraint,
    }
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let db = service_fn(move |_: ()| {
        let call = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            Err::<(), _>(if call == 0 {
                DbError::Busy
            } else {
                DbError::Constraint
            })
        }
    });
    let service = RetryLayer::new(EXACT.with_max_attempts(5))
        .without_budget()
        .classify(|outcome: Result<&(), &DbError>| matches!(outcome, Err(DbError::Busy)))
        .layer(db);
    assert_eq!(service.oneshot(()).await, Err(DbError::Constraint));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "busy retried, constraint not"
    );
}

#[tokio::test(start_paused = true)]
async fn an_http_failure_is_retried_as_a_value_and_the_last_response_returned() {
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(http_script(&[503], &calls));
    let response = service.oneshot(get()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(http_script(&[502, 429, 200], &calls));
    assert_eq!(
        service.oneshot(get()).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn answers_are_not_retried() {
    for status in [200, 404, 409, 501] {
        let calls = Arc::new(AtomicU32::new(0));
        let service = RetryLayer::http(EXACT)
            .without_budget()
            .layer(http_script(&[status], &calls));
        assert_eq!(service.oneshot(get()).await.unwrap().status(), status);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn only_idempotent_requests_with_copyable_bodies_are_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(http_script(&[503], &calls));
    let post = Request::post("http://orders.invalid/")
        .body("{}".to_string())
        .unwrap();
    assert_eq!(service.oneshot(post).await.unwrap().status(), 503);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a POST is sent once");

    // A body that may stream is sent once, whatever the method.
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let streaming = service_fn(
        move |_: Request<http_body_util::combinators::BoxBody<Bytes, Infallible>>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Response::builder().status(503).body(()).unwrap()) }
        },
    );
    let service = RetryLayer::new(EXACT)
        .classify(HttpStatus)
        .replay(Idempotent)
        .without_budget()
        .layer(streaming);
    let body = Full::new(Bytes::from_static(b"chunk")).boxed();
    let request = Request::put("http://files.invalid/a").body(body).unwrap();
    assert_eq!(service.oneshot(request).await.unwrap().status(), 503);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a streaming body is sent once"
    );

    // `SendOnce` for body types that cannot tell.
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .replay(SendOnce)
        .named("tower_layers.send_once")
        .without_budget()
        .layer(http_script(&[503], &calls));
    assert_eq!(service.oneshot(get()).await.unwrap().status(), 503);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A failure not retried is a call given up on, not a first-try success.
    let stats = retries::get("tower_layers.send_once").unwrap();
    assert_eq!((stats.calls, stats.attempts), (1, 1));
    assert_eq!((stats.first_try_successes, stats.give_ups), (0, 1));
}

/// A service answering 429 with `retry_after` once, then 200.
fn busy_once(
    retry_after: String,
    calls: &Arc<AtomicU32>,
) -> impl Service<Request<String>, Response = Response<String>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let calls = Arc::clone(calls);
    service_fn(move |_: Request<String>| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        let retry_after = retry_after.clone();
        async move {
            let response = if call == 0 {
                Response::builder()
                    .status(429)
                    .header(RETRY_AFTER, retry_after)
                    .body(String::new())
            } else {
                Response::builder().status(200).body(String::new())
            };
            Ok::<_, Infallible>(response.unwrap())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_the_computed_delay_in_both_forms() {
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(busy_once("7".into(), &calls));
    let start = Instant::now();
    assert_eq!(service.oneshot(get()).await.unwrap().status(), 200);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(7),
        "delay-seconds, exactly"
    );

    // An HTTP-date, read against the system clock: whole seconds, so between 3 and 4 s ahead.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(4));
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(busy_once(date, &calls));
    let start = Instant::now();
    assert_eq!(service.oneshot(get()).await.unwrap().status(), 200);
    let waited = start.elapsed();
    assert!(
        waited > Duration::from_secs(2) && waited <= Duration::from_secs(4),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_returns_the_response_at_once() {
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT)
        .without_budget()
        .layer(busy_once("120".into(), &calls));
    let start = Instant::now();
    let response = service.oneshot(get()).await.unwrap();
    assert_eq!(response.status(), 429, "the server's answer, not a retry");
    assert_eq!(response.headers()[RETRY_AFTER], "120");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);

    // Raised: honoured, within the policy's own cap.
    let calls = Arc::new(AtomicU32::new(0));
    let service = RetryLayer::http(EXACT.with_max_delay(Duration::from_secs(300)))
        .max_retry_after(Duration::from_secs(180))
        .without_budget()
        .layer(busy_once("120".into(), &calls));
    let start = Instant::now();
    assert_eq!(service.oneshot(get()).await.unwrap().status(), 200);
    assert_eq!(start.elapsed(), Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn retries_draw_from_the_budget_by_default() {
    // A budget that allows no retry at all: every call is one attempt.
    budgets::configure(
        "tower_layers.no_retries",
        BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(0),
    );
    let calls = Arc::new(AtomicU32::new(0));
    let layer = RetryLayer::http(EXACT).budget(budgets::get("tower_layers.no_retries").unwrap());
    let mut service = layer.layer(http_script(&[503], &calls));
    for _ in 0..5 {
        let response = service.ready().await.unwrap().call(get()).await.unwrap();
        assert_eq!(response.status(), 503);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let stats = budgets::get("tower_layers.no_retries").unwrap().stats();
    assert_eq!((stats.calls, stats.refused), (5, 5));

    // A named layer has a budget of its own, the default one.
    let calls = Arc::new(AtomicU32::new(0));
    let mut service = RetryLayer::http(EXACT.with_initial_delay(Duration::from_millis(1)))
        .named("tower_layers.budgeted")
        .layer(http_script(&[503], &calls));
    for _ in 0..1_000 {
        service.ready().await.unwrap().call(get()).await.unwrap();
    }
    let attempts = calls.load(Ordering::SeqCst);
    // 1,000 calls, 20% of them in retries, and the floor of 10 retries a second over the
    // 10 s window: 1,300, where three attempts each would be 3,000.
    assert!((1_250..=1_350).contains(&attempts), "{attempts} attempts");
}

// --- Breakers ------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_named_breaker_is_the_registrys_and_operators_manage_it() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let down = service_fn(move |_: ()| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>(std::io::Error::other("refused")) }
    });
    let config = BreakerConfig::new()
        .with_failure_threshold(3)
        .with_recovery_timeout(Duration::from_secs(30));
    let mut service = CircuitBreakerLayer::named("tower_layers.breaker", config).layer(down);
    for _ in 0..3 {
        let err = service.ready().await.unwrap().call(()).await.unwrap_err();
        assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err}");
    }
    let breaker = breakers::get("tower_layers.breaker").unwrap();
    assert_eq!(breaker.state(), State::Open);
    assert_eq!(breaker.config(), config);

    let err = service.ready().await.unwrap().call(()).await.unwrap_err();
    assert!(resilience_error(&err).is_circuit_open());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "a refused call never reaches the service"
    );
    assert_eq!(breaker.stats().rejections, 1);

    // An operator's reset lets calls through again, and a second layer with the name shares
    // the breaker (its configuration ignored).
    breaker.reset();
    let other = CircuitBreakerLayer::named("tower_layers.breaker", BreakerConfig::new());
    assert!(std::ptr::eq(other.breaker(), &*breaker));
    let _ = service.ready().await.unwrap().call(()).await;
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    breaker.force_open();
    let err = service.ready().await.unwrap().call(()).await.unwrap_err();
    assert!(resilience_error(&err).is_circuit_open());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn http_breakers_count_failed_responses_and_not_answers() {
    let calls = Arc::new(AtomicU32::new(0));
    let layer =
        CircuitBreakerLayer::named("tower_layers.http_breaker", BreakerConfig::new()).http();
    let mut service = layer.layer(http_script(&[404, 503, 200, 503], &calls));
    for expected in [404, 503, 200, 503] {
        let response = service.ready().await.unwrap().call(get()).await.unwrap();
        assert_eq!(response.status(), expected);
    }
    let stats = layer.breaker().stats();
    assert_eq!((stats.successes, stats.failures), (2, 2));
}

#[tokio::test]
async fn a_call_dropped_before_it_finishes_is_released_uncounted() {
    let layer = CircuitBreakerLayer::named("tower_layers.dropped", BreakerConfig::new());
    let mut service = layer.layer(service_fn(|_: ()| {
        std::future::pending::<Result<(), Infallible>>()
    }));
    let call = service.ready().await.unwrap().call(());
    drop(call);
    let stats = layer.breaker().stats();
    assert_eq!((stats.calls, stats.uncounted, stats.failures), (1, 1, 0));
}

// --- Timeouts ------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_timeout_fires_at_its_limit_with_the_deadline_in_scope() {
    let seen = Arc::new(Mutex::new(None));
    let remembered = Arc::clone(&seen);
    let slow = service_fn(move |_: ()| {
        let remembered = Arc::clone(&remembered);
        async move {
            *remembered.lock().unwrap() = deadline::remaining();
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<_, Infallible>(())
        }
    });
    let service = TimeoutLayer::new(Duration::from_secs(2))
        .named("tower_layers.slow")
        .layer(slow);
    let start = Instant::now();
    let err = service.oneshot(()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(
        resilience_error(&err),
        &Error::timeout("tower_layers.slow", Duration::from_secs(2))
    );
    assert_eq!(*seen.lock().unwrap(), Some(Duration::from_secs(2)));

    // In time: the response, unchanged.
    let quick = service_fn(|n: u8| async move { Ok::<_, Infallible>(n) });
    let service = TimeoutLayer::new(Duration::from_secs(2)).layer(quick);
    assert_eq!(service.oneshot(9).await.unwrap(), 9);
}

#[tokio::test(start_paused = true)]
async fn a_retry_inside_a_timeout_never_sleeps_past_its_deadline() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let down = service_fn(move |_: ()| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>(std::io::Error::other("refused")) }
    });
    // Delays of 1 s, 2 s, 4 s...: inside 2.5 s, the second sleep would end past the deadline.
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_millis(2_500)))
        .layer(
            RetryLayer::new(
                EXACT
                    .with_max_attempts(10)
                    .with_initial_delay(Duration::from_secs(1)),
            )
            .without_budget(),
        )
        .service(down);
    let start = Instant::now();
    let err = service.oneshot(()).await.unwrap_err();
    assert!(
        err.downcast_ref::<std::io::Error>().is_some(),
        "the real error: {err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_returned_at_once_not_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let service = service_fn(move |_: ()| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(()) }
    });
    let breaker = CircuitBreakerLayer::named("tower_layers.refusal", BreakerConfig::new());
    breaker.breaker().force_open();
    let mut stack = ServiceBuilder::new()
        .layer(RetryLayer::new(EXACT).named("tower_layers.refusal"))
        .layer(breaker)
        .service(service);
    let start = Instant::now();
    let err = stack.ready().await.unwrap().call(()).await.unwrap_err();
    assert!(resilience_error(&err).is_circuit_open());
    assert_eq!(start.elapsed(), Duration::ZERO, "no delay before giving up");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let stats = retries::get("tower_layers.refusal").unwrap();
    assert_eq!((stats.calls, stats.attempts, stats.give_ups), (1, 1, 1));

    // Back to normal: a success at once is counted as one.
    breaker.breaker().reset();
    stack.ready().await.unwrap().call(()).await.unwrap();
    let stats = retries::get("tower_layers.refusal").unwrap();
    assert_eq!((stats.calls, stats.first_try_successes), (2, 1));
}

// --- Stacks --------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn retry_over_breaker_over_timeout_reads_like_the_attributes() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let hangs = service_fn(move |_: ()| {
        counted.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<Result<(), BoxError>>()
    });
    let service = ServiceBuilder::new()
        .layer(
            RetryLayer::new(
                EXACT
                    .with_max_attempts(6)
                    .with_initial_delay(Duration::from_millis(10))
                    .with_backoff(resilience::Backoff::Constant),
            )
            .without_budget(),
        )
        .layer(CircuitBreakerLayer::named(
            "tower_layers.stack",
            BreakerConfig::new().with_failure_threshold(3),
        ))
        .layer(TimeoutLayer::new(Duration::from_millis(100)))
        .service(hangs);
    let start = Instant::now();
    let err = service.oneshot(()).await.unwrap_err();
    // Three attempts time out, each a failure for the breaker, which opens; the fourth is
    // refused and returned at once rather than retried after the delay.
    assert!(resilience_error(&err).is_circuit_open(), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(3 * 100 + 3 * 10));
    let breaker = breakers::get("tower_layers.stack").unwrap();
    assert_eq!(breaker.stats().failures, 3);
}

// --- On a real server ----------------------------------------------------------------------

/// An HTTP server on a loopback port: `/flaky` answers 503 to its first `fails` requests per
/// path and method, then 200; it counts the requests it received.
async fn flaky_server(fails: u32) -> (SocketAddr, Arc<AtomicU32>) {
    use axum::{Router, extract::State as Shared, http::StatusCode, routing::any};
    let received = Arc::new(AtomicU32::new(0));
    let state = Arc::clone(&received);
    let app = Router::new()
        .route(
            "/flaky",
            any(move |Shared(received): Shared<Arc<AtomicU32>>| async move {
                let n = received.fetch_add(1, Ordering::SeqCst);
                if n < fails {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy")
                } else {
                    (StatusCode::OK, "served")
                }
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (address, received)
}

#[tokio::test]
async fn a_hyper_client_stack_on_loopback() {
    use hyper_util::{client::legacy::Client, rt::TokioExecutor};

    let (address, received) = flaky_server(2).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let stack = ServiceBuilder::new()
        .layer(
            RetryLayer::http(EXACT.with_initial_delay(Duration::from_millis(1)))
                .named("tower_layers.loopback"),
        )
        .layer(CircuitBreakerLayer::named("tower_layers.loopback", BreakerConfig::new()).http())
        .layer(TimeoutLayer::new(Duration::from_secs(10)))
        .service(client);

    let url = format!("http://{address}/flaky");
    let request = |method: Method| {
        Request::builder()
            .method(method)
            .uri(&url)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let response = stack.clone().oneshot(request(Method::GET)).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "served");
    assert_eq!(received.load(Ordering::SeqCst), 3);

    // A POST is sent once: the server's 503 comes back as it is.
    let (address, received) = flaky_server(1).await;
    let url = format!("http://{address}/flaky");
    let post = Request::post(&url).body(Full::new(Bytes::new())).unwrap();
    let response = stack.clone().oneshot(post).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(received.load(Ordering::SeqCst), 1);

    let breaker = breakers::get("tower_layers.loopback").unwrap();
    assert_eq!(breaker.stats().failures, 3, "every 503 counted");
    assert_eq!(breaker.stats().successes, 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_its_error_returned() {
    use hyper_util::{client::legacy::Client, rt::TokioExecutor};

    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let attempts = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&attempts);
    let counting = tower::util::MapRequestLayer::new(move |request: Request<Full<Bytes>>| {
        counted.fetch_add(1, Ordering::SeqCst);
        request
    });
    let stack = ServiceBuilder::new()
        .layer(
            RetryLayer::http(EXACT.with_initial_delay(Duration::from_millis(1))).without_budget(),
        )
        .layer(counting)
        .service(client);
    let request = Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let err = stack.oneshot(request).await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}
