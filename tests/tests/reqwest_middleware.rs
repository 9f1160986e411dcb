//! The `reqwest` feature on real servers on loopback: the transient rules equal to
//! reqwest-retry's, and `ResilienceMiddleware` beside reqwest-retry's
//! `RetryTransientMiddleware`, request for request.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header::RETRY_AFTER},
    routing::any,
};
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use reqwest_retry::{RetryTransientMiddleware, Retryable, policies::ExponentialBackoff};
use resilience::{
    BreakerConfig, BudgetConfig, Jitter, RetryPolicy, State as BreakerState, breakers, budgets,
    deadline,
    reqwest::{ResilienceMiddleware, Verdict, classify, resilience_error},
    retries,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Short delays, no jitter: the tests are about what is retried, not when.
const QUICK: RetryPolicy = RetryPolicy::new()
    .with_initial_delay(Duration::from_millis(1))
    .with_jitter(Jitter::None);

/// A server on a loopback port, counting the requests it received:
/// - `/status/{code}`: that status, always;
/// - `/flaky/{fails}`: 503 to its first `fails` requests, then 200;
/// - `/busy/{seconds}`: 429 with `Retry-After: seconds` to its first request, then 200;
/// - `/slow/{ms}`: 200 after `ms` milliseconds.
struct Server {
    address: SocketAddr,
    hits: Arc<AtomicU32>,
}

impl Server {
    async fn start() -> Server {
        let hits = Arc::new(AtomicU32::new(0));
        let app = Router::new()
            .route(
                "/status/{code}",
                any(|Path(code): Path<u16>| async move { StatusCode::from_u16(code).unwrap() }),
            )
            .route(
                "/flaky/{fails}",
                any(
                    |State(hits): State<Arc<AtomicU32>>, Path(fails): Path<u32>| async move {
                        if hits.load(Ordering::SeqCst) <= fails {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::OK
                        }
                    },
                ),
            )
            .route(
                "/busy/{seconds}",
                any(
                    |State(hits): State<Arc<AtomicU32>>, Path(seconds): Path<u64>| async move {
                        let mut headers = HeaderMap::new();
                        if hits.load(Ordering::SeqCst) > 1 {
                            return (StatusCode::OK, headers);
                        }
                        headers.insert(RETRY_AFTER, seconds.into());
                        (StatusCode::TOO_MANY_REQUESTS, headers)
                    },
                ),
            )
            .route(
                "/slow/{ms}",
                any(|Path(ms): Path<u64>| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    StatusCode::OK
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&hits),
                |State(hits): State<Arc<AtomicU32>>,
                 request: axum::extract::Request,
                 next: axum::middleware::Next| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                },
            ))
            .with_state(Arc::clone(&hits));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { address, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn hits(&self) -> u32 {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ours(middleware: ResilienceMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

/// reqwest-retry with the same number of attempts (it counts retries) and short delays.
fn reqwest_retry(max_retries: u32) -> ClientWithMiddleware {
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(2))
        .build_with_max_retries(max_retries);
    ClientBuilder::new(reqwest::Client::new())
        .with(RetryTransientMiddleware::new_with_policy(policy))
        .build()
}

// --- The transient rules -------------------------------------------------------------------

/// reqwest-retry's verdict, in this crate's words. Its `None` means "not a failure": a
/// success for a response, and for an error of no known kind an error it does not retry,
/// which is `Fatal` here.
fn their_verdict(outcome: &Result<Response, reqwest_middleware::Error>) -> Verdict {
    match Retryable::from_reqwest_response(outcome) {
        Some(Retryable::Transient) => Verdict::Transient,
        Some(Retryable::Fatal) => Verdict::Fatal,
        None if outcome.is_ok() => Verdict::Success,
        None => Verdict::Fatal,
    }
}

/// A server that answers every request with half the head of a response, then hangs up: the
/// client sees an incomplete message.
async fn cut_off_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0; 1024];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-len").await;
            });
        }
    });
    address
}

#[tokio::test]
async fn the_transient_rules_are_reqwest_retrys() {
    let server = Server::start().await;
    let client = ClientWithMiddleware::from(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    );
    let mut outcomes = Vec::new();
    for code in [
        200, 201, 204, 301, 304, 400, 401, 404, 408, 409, 425, 429, 500, 501, 502, 503, 504, 505,
    ] {
        outcomes.push((
            format!("status {code}"),
            client
                .get(server.url(&format!("/status/{code}")))
                .send()
                .await,
        ));
    }
    let port = closed_port();
    outcomes.push((
        "connection refused".into(),
        client.get(format!("http://127.0.0.1:{port}/")).send().await,
    ));
    outcomes.push((
        "timeout".into(),
        client.get(server.url("/slow/5000")).send().await,
    ));
    let cut = cut_off_server().await;
    outcomes.push((
        "incomplete message".into(),
        client.get(format!("http://{cut}/")).send().await,
    ));
    outcomes.push(("builder".into(), client.get("not a url").send().await));
    outcomes.push((
        "middleware".into(),
        Err(reqwest_middleware::Error::middleware(
            std::io::Error::other("a middleware failed"),
        )),
    ));

    let mut seen = std::collections::HashSet::new();
    for (what, outcome) in &outcomes {
        let ours = classify(outcome);
        assert_eq!(ours, their_verdict(outcome), "{what}: {outcome:?}");
        seen.insert(ours);
    }
    assert_eq!(seen.len(), 3, "every verdict was met");
    let verdict_of =
        |name: &str| classify(&outcomes.iter().find(|(what, _)| what == name).unwrap().1);
    for transient in [
        "timeout",
        "connection refused",
        "incomplete message",
        "status 503",
    ] {
        assert_eq!(verdict_of(transient), Verdict::Transient, "{transient}");
    }
    for fatal in ["builder", "middleware", "status 404", "status 301"] {
        assert_eq!(verdict_of(fatal), Verdict::Fatal, "{fatal}");
    }
}

// --- The middleware, beside reqwest-retry --------------------------------------------------

#[tokio::test]
async fn a_flaky_server_is_retried_until_it_answers() {
    let server = Server::start().await;
    let response = ours(ResilienceMiddleware::new(QUICK).without_budget())
        .get(server.url("/flaky/2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 3);

    let server = Server::start().await;
    let response = reqwest_retry(2)
        .get(server.url("/flaky/2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn when_attempts_run_out_the_last_response_is_returned() {
    for code in [429, 500, 503] {
        let server = Server::start().await;
        let response = ours(ResilienceMiddleware::new(QUICK).without_budget())
            .get(server.url(&format!("/status/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), code);
        assert_eq!(server.hits(), 3, "{code}");

        let server = Server::start().await;
        let response = reqwest_retry(2)
            .get(server.url(&format!("/status/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), code);
        assert_eq!(server.hits(), 3, "{code}");
    }
}

#[tokio::test]
async fn only_idempotent_methods_are_retried_unless_asked() {
    let server = Server::start().await;
    let response = ours(
        ResilienceMiddleware::new(QUICK)
            .named("reqwest_middleware.post")
            .without_budget(),
    )
    .post(server.url("/status/503"))
    .send()
    .await
    .unwrap();
    assert_eq!((response.status().as_u16(), server.hits()), (503, 1));
    // A failure not retried is a call given up on, not a first-try success.
    let stats = retries::get("reqwest_middleware.post").unwrap();
    assert_eq!((stats.first_try_successes, stats.give_ups), (0, 1));

    let server = Server::start().await;
    let response = ours(
        ResilienceMiddleware::new(QUICK)
            .without_budget()
            .retry_any_method(),
    )
    .post(server.url("/status/503"))
    .send()
    .await
    .unwrap();
    assert_eq!((response.status().as_u16(), server.hits()), (503, 3));

    // reqwest-retry retries any method.
    let server = Server::start().await;
    let response = reqwest_retry(2)
        .post(server.url("/status/503"))
        .send()
        .await
        .unwrap();
    assert_eq!((response.status().as_u16(), server.hits()), (503, 3));
}

#[tokio::test]
async fn a_streaming_body_is_sent_once() {
    let server = Server::start().await;
    let response = ours(ResilienceMiddleware::new(QUICK).without_budget())
        .put(server.url("/status/503"))
        .body(reqwest::Body::wrap("a stream".to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!((response.status().as_u16(), server.hits()), (503, 1));

    // reqwest-retry fails the request without sending it.
    let server = Server::start().await;
    let err = reqwest_retry(2)
        .put(server.url("/status/503"))
        .body(reqwest::Body::wrap("a stream".to_string()))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not cloneable"), "{err}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    // `Retry-After: 1`: the retry waits a second; reqwest-retry waits its own schedule.
    let server = Server::start().await;
    let start = Instant::now();
    let response = ours(ResilienceMiddleware::new(QUICK).without_budget())
        .get(server.url("/busy/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.hits(), 2);

    let server = Server::start().await;
    let start = Instant::now();
    let response = reqwest_retry(2)
        .get(server.url("/busy/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );

    // Beyond the cap: the 429 at once, its header intact.
    let server = Server::start().await;
    let start = Instant::now();
    let response = ours(
        ResilienceMiddleware::new(QUICK)
            .without_budget()
            .max_retry_after(Duration::from_millis(500)),
    )
    .get(server.url("/busy/120"))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()[RETRY_AFTER], "120");
    assert_eq!(server.hits(), 1);
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// Counts the attempts that reach it, below the middleware under test.
struct Count(Arc<AtomicU32>);

#[async_trait::async_trait]
impl Middleware for Count {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(request, extensions).await
    }
}

#[tokio::test]
async fn errors_are_returned_unchanged_rather_than_wrapped() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let attempts = Arc::new(AtomicU32::new(0));
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(ResilienceMiddleware::new(QUICK).without_budget())
        .with(Count(Arc::clone(&attempts)))
        .build();
    match client.get(&url).send().await.unwrap_err() {
        reqwest_middleware::Error::Reqwest(error) => assert!(error.is_connect(), "{error:?}"),
        other => panic!("wrapped: {other:?}"),
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 3);

    // reqwest-retry wraps the last error with the number of retries.
    match reqwest_retry(2).get(&url).send().await.unwrap_err() {
        reqwest_middleware::Error::Middleware(error) => {
            let error = error.downcast_ref::<reqwest_retry::RetryError>().unwrap();
            assert!(matches!(
                error,
                reqwest_retry::RetryError::WithRetries { retries: 2, .. }
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_named_breaker_opens_and_refusals_are_not_retried() {
    let server = Server::start().await;
    let breaker = breakers::configure(
        "reqwest_middleware.breaker",
        BreakerConfig::new()
            .with_failure_threshold(2)
            .with_recovery_timeout(Duration::from_secs(60)),
    );
    let client = ours(
        ResilienceMiddleware::new(QUICK.with_max_attempts(5))
            .without_budget()
            .breaker(Arc::clone(&breaker)),
    );
    // Two attempts fail and open the breaker; the third is refused, and returned at once.
    let err = client
        .get(server.url("/status/500"))
        .send()
        .await
        .unwrap_err();
    assert!(resilience_error(&err).unwrap().is_circuit_open(), "{err:?}");
    assert_eq!(server.hits(), 2);
    assert_eq!(breaker.state(), BreakerState::Open);
    let err = client
        .get(server.url("/status/500"))
        .send()
        .await
        .unwrap_err();
    assert!(resilience_error(&err).unwrap().is_circuit_open());
    assert_eq!(
        server.hits(),
        2,
        "a refused request never reaches the server"
    );

    // Operators manage it as any breaker of the registry.
    breakers::get("reqwest_middleware.breaker").unwrap().reset();
    let response = client.get(server.url("/status/404")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(breaker.stats().successes, 1, "an answer is a success");
}

#[tokio::test]
async fn a_breaker_per_host() {
    let (healthy, failing) = (Server::start().await, Server::start().await);
    let healthy_breaker =
        breakers::configure("reqwest_middleware.host.healthy", BreakerConfig::new());
    let failing_breaker = breakers::configure(
        "reqwest_middleware.host.failing",
        BreakerConfig::new().with_failure_threshold(1),
    );
    let failing_port = failing.address.port();
    let (h, f) = (Arc::clone(&healthy_breaker), Arc::clone(&failing_breaker));
    let client = ours(
        ResilienceMiddleware::new(QUICK.with_max_attempts(1)).breaker_for(move |request| {
            Some(
                if request.url().port() == Some(failing_port) {
                    &f
                } else {
                    &h
                }
                .clone(),
            )
        }),
    );
    let _ = client.get(failing.url("/status/503")).send().await;
    assert_eq!(failing_breaker.state(), BreakerState::Open);
    let response = client.get(healthy.url("/status/200")).send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "one host's open breaker does not refuse another's"
    );
    assert_eq!(healthy_breaker.state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_keyed_family_gives_each_host_its_breaker() {
    let (healthy, failing) = (Server::start().await, Server::start().await);
    let hosts = breakers::configure_keyed(
        "reqwest_middleware.hosts",
        BreakerConfig::new().with_failure_threshold(1),
        resilience::KeyedConfig::new(),
    );
    let client = ours(
        ResilienceMiddleware::new(QUICK.with_max_attempts(1)).breaker_per_host(Arc::clone(&hosts)),
    );
    let _ = client.get(failing.url("/status/503")).send().await;
    let refused = client
        .get(failing.url("/status/200"))
        .send()
        .await
        .unwrap_err();
    assert!(
        resilience_error(&refused).is_some_and(resilience::Error::is_circuit_open),
        "{refused:?}"
    );
    let response = client.get(healthy.url("/status/200")).send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "one host's open breaker does not refuse another's"
    );
    let failing_key = format!("127.0.0.1:{}", failing.address.port());
    let healthy_key = format!("127.0.0.1:{}", healthy.address.port());
    assert_eq!(hosts.get(&failing_key).unwrap().state(), BreakerState::Open);
    assert_eq!(
        hosts.get(&healthy_key).unwrap().state(),
        BreakerState::Closed
    );
    // The failing server saw one request: the second was refused before it was sent.
    assert_eq!(failing.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn each_attempt_can_be_bounded_in_time() {
    let server = Server::start().await;
    let start = Instant::now();
    let err = ours(
        ResilienceMiddleware::new(QUICK.with_max_attempts(2))
            .without_budget()
            .named("reqwest_middleware.slow")
            .attempt_timeout(Duration::from_millis(100)),
    )
    .get(server.url("/slow/5000"))
    .send()
    .await
    .unwrap_err();
    let err = resilience_error(&err).unwrap();
    assert!(err.is_timeout());
    assert_eq!(
        err.to_string(),
        "`reqwest_middleware.slow` timed out after 100ms"
    );
    assert_eq!(server.hits(), 2);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_deadline_in_scope_cuts_each_attempt() {
    let server = Server::start().await;
    let client = ours(ResilienceMiddleware::new(QUICK).without_budget());
    let start = Instant::now();
    let result = deadline::within(
        Duration::from_millis(200),
        client.get(server.url("/slow/5000")).send(),
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, reqwest_middleware::Error::Reqwest(e) if e.is_timeout()),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.hits(), 1, "no retry once the deadline has passed");
}

#[tokio::test]
async fn retries_draw_from_the_budget_and_are_counted() {
    let server = Server::start().await;
    let client = ours(
        ResilienceMiddleware::new(QUICK)
            .named("reqwest_middleware.counted")
            .budget(budgets::configure(
                "reqwest_middleware.empty",
                BudgetConfig::new()
                    .with_ratio(0.0)
                    .with_min_retries_per_second(0),
            )),
    );
    for _ in 0..3 {
        let response = client.get(server.url("/status/503")).send().await.unwrap();
        assert_eq!(response.status(), 503);
    }
    assert_eq!(server.hits(), 3, "an empty budget allows no retry");
    let stats = retries::get("reqwest_middleware.counted").unwrap();
    assert_eq!(
        (stats.calls, stats.attempts, stats.budget_exhausted),
        (3, 3, 3)
    );

    // A named middleware's own budget, on by default.
    let server = Server::start().await;
    let client = ours(ResilienceMiddleware::new(QUICK).named("reqwest_middleware.own_budget"));
    for _ in 0..200 {
        let _ = client.get(server.url("/status/503")).send().await.unwrap();
    }
    // 200 requests, 20% more, and the floor of 10 a second over the 10 s window.
    let hits = server.hits();
    assert!(
        (300..=360).contains(&hits),
        "{hits} requests reached the server"
    );
}

/// Below the middleware: notes whether the attempt saw a mark of an earlier attempt, and
/// marks the extensions with its own number.
struct Mark(Arc<AtomicU32>, Arc<AtomicU32>);

#[derive(Clone, Debug, PartialEq)]
struct Attempt(u32);

#[async_trait::async_trait]
impl Middleware for Mark {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if extensions.get::<Attempt>().is_some() {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        extensions.insert(Attempt(n));
        next.run(request, extensions).await
    }
}

#[tokio::test]
async fn each_attempt_starts_from_the_callers_extensions_and_the_last_ones_are_returned() {
    let server = Server::start().await;
    let (attempts, stale) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(ResilienceMiddleware::new(QUICK).without_budget())
        .with(Mark(Arc::clone(&attempts), Arc::clone(&stale)))
        .build();
    let request = client.get(server.url("/flaky/2")).build().unwrap();
    let mut extensions = Extensions::new();
    extensions.insert("caller's");
    let response = client
        .execute_with_extensions(request, &mut extensions)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(
        stale.load(Ordering::SeqCst),
        0,
        "no attempt saw another's marks"
    );
    assert_eq!(extensions.get::<Attempt>(), Some(&Attempt(3)));
    assert_eq!(extensions.get::<&str>(), Some(&"caller's"));
}
