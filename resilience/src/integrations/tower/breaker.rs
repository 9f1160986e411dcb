//! [`CircuitBreakerLayer`]: a breaker of the registry, or one of your own, in front of a
//! service.

use std::{
    collections::BTreeMap,
    future::Future,
    pin::Pin,
    sync::{Mutex, PoisonError},
    task::{Context, Poll, ready},
};

use tower_layer::Layer;
use tower_service::Service;

use super::{BoxError, Classify, Errors, HttpStatus};
use crate::{BreakerConfig, CircuitBreaker, Error, Permit, breakers};

/// Puts a circuit breaker in front of the service, as `#[circuit_breaker]` does in front of a
/// function: each call asks it for a permit ([`CircuitBreaker::try_acquire`]); a call it
/// refuses fails at once with [`Error::CircuitOpen`](crate::Error::CircuitOpen), boxed as the
/// layer's [`BoxError`], without reaching the service; the others report their outcome, as
/// the [`Classify`] rule judges it (every error by default; [`HttpStatus`] for HTTP).
///
/// The breaker is the registry's when the layer is [`named`](Self::named): operators see it
/// in [`breakers::stats`], reset it, force it open, disable it and configure it (from the
/// environment too) as they do the attributes' breakers, and a `#[circuit_breaker(name =
/// ...)]` function with the same name shares it. Listeners, `tracing` events and `metrics`
/// series are the same too.
///
/// A call whose future is dropped before it finishes (a timeout above it, a client that went
/// away) is released uncounted; a trial call of a half-open breaker that hangs gives its slot
/// back after the breaker's `max_trial_wait`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience::{BreakerConfig, State, breakers, tower::CircuitBreakerLayer};
/// use tower::{Layer, Service, ServiceExt, service_fn};
///
/// let down = service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) });
/// let layer = CircuitBreakerLayer::named("doc.tower.inventory", BreakerConfig::new().with_failure_threshold(2));
/// let mut service = layer.layer(down);
/// for _ in 0..2 {
///     let _ = service.ready().await.unwrap().call(()).await;
/// }
/// assert_eq!(breakers::get("doc.tower.inventory").unwrap().state(), State::Open);
///
/// let err = service.ready().await.unwrap().call(()).await.unwrap_err();
/// assert!(err.downcast_ref::<resilience::Error>().unwrap().is_circuit_open());
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CircuitBreakerLayer<C = Errors> {
    breaker: &'static CircuitBreaker,
    classify: C,
}

impl CircuitBreakerLayer {
    /// The registry's breaker `name` (see [`breakers`]): the one already there if a function,
    /// another layer or an operator used or configured the name (its configuration stands,
    /// and `config` is ignored, as a second `#[circuit_breaker]` site's arguments are), else
    /// a new one configured with `config`, which the environment's variables for the name
    /// override as usual. A new one is configured as [`breakers::configure`] does it: a
    /// `#[circuit_breaker]` function that names it later shares it with this configuration.
    /// Every error of the service is a failure: see [`classify`](Self::classify) and
    /// [`http`](Self::http).
    ///
    /// Building a layer takes the registry's lock, once per layer; calls never do.
    ///
    /// ```
    /// use resilience::{BreakerConfig, breakers, tower::CircuitBreakerLayer};
    ///
    /// let config = BreakerConfig::new().with_failure_threshold(3);
    /// let layer = CircuitBreakerLayer::named("doc.tower.named", config);
    /// assert_eq!(layer.breaker().name(), "doc.tower.named");
    /// assert_eq!(breakers::get("doc.tower.named").unwrap().config(), config);
    /// ```
    pub fn named(name: &str, config: BreakerConfig) -> Self {
        Self::new(registry_breaker(name, config))
    }

    /// A layer over a breaker of your own, which must live for the rest of the program
    /// (a `static`, or a leaked box): the layer's futures hold its permits without counting
    /// references. Such a breaker is outside the registry.
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use resilience::{BreakerConfig, CircuitBreaker, tower::CircuitBreakerLayer};
    ///
    /// static SEARCH: LazyLock<CircuitBreaker> =
    ///     LazyLock::new(|| CircuitBreaker::new("search", BreakerConfig::new()));
    /// let layer = CircuitBreakerLayer::new(&SEARCH);
    /// assert_eq!(layer.breaker().name(), "search");
    /// ```
    pub const fn new(breaker: &'static CircuitBreaker) -> Self {
        CircuitBreakerLayer {
            breaker,
            classify: Errors,
        }
    }
}

impl<C> CircuitBreakerLayer<C> {
    /// Judges the outcomes with `classify`: a failure counts against the breaker; any other
    /// response is a success; any other error passes through uncounted (as `when = ...` does
    /// on the attribute).
    ///
    /// ```
    /// use resilience::{BreakerConfig, tower::CircuitBreakerLayer};
    ///
    /// #[derive(Debug)]
    /// enum DbError { Unavailable, NotFound }
    ///
    /// let layer = CircuitBreakerLayer::named("doc.tower.classify", BreakerConfig::new())
    ///     .classify(|outcome: Result<&String, &DbError>| matches!(outcome, Err(DbError::Unavailable)));
    /// # let _ = layer;
    /// ```
    pub fn classify<D>(self, classify: D) -> CircuitBreakerLayer<D> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            classify,
        }
    }

    /// Judges the outcomes by HTTP's rules ([`HttpStatus`]): a transport error or a 408, 425,
    /// 429, 500, 502, 503 or 504 response counts against the breaker.
    ///
    /// ```
    /// use resilience::{BreakerConfig, tower::CircuitBreakerLayer};
    /// let layer = CircuitBreakerLayer::named("doc.tower.http", BreakerConfig::new()).http();
    /// # let _ = layer;
    /// ```
    pub fn http(self) -> CircuitBreakerLayer<HttpStatus> {
        self.classify(HttpStatus)
    }

    /// The breaker, for its state and statistics.
    ///
    /// ```
    /// use resilience::{BreakerConfig, State, tower::CircuitBreakerLayer};
    /// let layer = CircuitBreakerLayer::named("doc.tower.breaker", BreakerConfig::new());
    /// assert_eq!(layer.breaker().state(), State::Closed);
    /// ```
    pub fn breaker(&self) -> &'static CircuitBreaker {
        self.breaker
    }
}

impl<S, C: Clone> Layer<S> for CircuitBreakerLayer<C> {
    type Service = CircuitBreakerService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker,
            classify: self.classify.clone(),
        }
    }
}

/// The registry's breakers, each kept once as a `&'static` reference: the registry never
/// drops a breaker, so one leaked handle per name keeps layers' futures free of reference
/// counting. Taken only when a layer is built.
static STATIC_HANDLES: Mutex<BTreeMap<String, &'static CircuitBreaker>> =
    Mutex::new(BTreeMap::new());

/// The registry's breaker `name`, made with `config` if the name is new to it.
fn registry_breaker(name: &str, config: BreakerConfig) -> &'static CircuitBreaker {
    let handles = || {
        STATIC_HANDLES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    };
    if let Some(breaker) = handles().get(name) {
        return breaker;
    }
    // Outside the lock: the registry may tell a metrics recorder about a new breaker.
    let breaker = breakers::get(name).unwrap_or_else(|| breakers::configure(name, config));
    handles()
        .entry(name.to_owned())
        .or_insert_with(|| &**Box::leak(Box::new(breaker)))
}

/// The service of a [`CircuitBreakerLayer`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience::{BreakerConfig, tower::{CircuitBreakerLayer, CircuitBreakerService}};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// let echo = service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) });
/// let service: CircuitBreakerService<_, _> =
///     CircuitBreakerLayer::named("doc.tower.service", BreakerConfig::new()).layer(echo);
/// assert_eq!(service.oneshot(3).await.unwrap(), 3);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerService<S, C = Errors> {
    inner: S,
    breaker: &'static CircuitBreaker,
    classify: C,
}

impl<S, C, Req> Service<Req> for CircuitBreakerService<S, C>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    C: Classify<S::Response, S::Error> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = CircuitBreakerFuture<S::Future, C>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        match self.breaker.try_acquire() {
            Ok(permit) => CircuitBreakerFuture {
                state: State::Admitted {
                    inner: self.inner.call(request),
                    permit: Some(permit),
                    classify: self.classify.clone(),
                },
            },
            Err(error) => CircuitBreakerFuture {
                state: State::Rejected { error: Some(error) },
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`CircuitBreakerService`] call: the admitted call holding its permit,
    /// or the rejection.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use resilience::{BreakerConfig, tower::{CircuitBreakerFuture, CircuitBreakerLayer}};
    /// use tower::{Layer, Service, service_fn};
    ///
    /// let mut service = CircuitBreakerLayer::named("doc.tower.future", BreakerConfig::new())
    ///     .layer(service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) }));
    /// let future: CircuitBreakerFuture<_, _> = service.call(5);
    /// assert_eq!(future.await.unwrap(), 5);
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct CircuitBreakerFuture<F, C> {
        #[pin]
        state: State<F, C>,
    }
}

pin_project_lite::pin_project! {
    #[project = Projection]
    #[derive(Debug)]
    enum State<F, C> {
        // The breaker let the call through.
        Admitted {
            #[pin]
            inner: F,
            permit: Option<Permit<'static>>,
            classify: C,
        },
        // The breaker refused the call.
        Rejected { error: Option<Error> },
    }
}

impl<F, C, T, E> Future for CircuitBreakerFuture<F, C>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
    C: Classify<T, E>,
{
    type Output = Result<T, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            Projection::Admitted {
                inner,
                permit,
                classify,
            } => {
                let result = ready!(inner.poll(cx));
                if let Some(permit) = permit.take() {
                    match &result {
                        outcome if classify.is_failure(outcome.as_ref()) => permit.failure(),
                        Ok(_) => permit.success(),
                        Err(_) => permit.release(),
                    }
                }
                Poll::Ready(result.map_err(Into::into))
            }
            Projection::Rejected { error } => Poll::Ready(Err(match error.take() {
                Some(error) => Box::new(error),
                None => "polled after completion".into(),
            })),
        }
    }
}
