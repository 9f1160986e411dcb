//! [`RetryLayer`]: the retry engine of `#[retry]` and [`Retry`] around a service.

use std::{
    future::{Future, poll_fn},
    mem,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::{Context, Poll, ready},
    time::Duration,
};

use tower_layer::Layer;
use tower_service::Service;

use super::{Classify, CloneRequests, Errors, HttpStatus, Idempotent, Replay};
use crate::{AnyError, DelayHint, NoHook, Retry, RetryBudget, RetryPolicy};

/// Calls the service again when a call fails, under a [`RetryPolicy`] and the same engine as
/// `#[retry]` and [`Retry::call_async`]: the same schedule, jitter, `max_elapsed`, retry
/// budget (on by default), statistics ([`retries`](crate::retries), once
/// [`named`](Self::named)), `tracing` events and `metrics` series.
///
/// Two rules decide what is retried:
///
/// - [`Classify`]: which outcomes are failures. By default every error ([`Errors`]); for HTTP,
///   [`HttpStatus`]: an error, or a 408, 425, 429, 500, 502, 503 or 504 *response*. A failed
///   response is retried as a value: when the attempts run out, the caller gets the last
///   response, not an error.
/// - [`Replay`]: which requests may be sent again, and their copies. By default every request,
///   cloned ([`CloneRequests`]); for HTTP, [`Idempotent`]: idempotent methods whose body can
///   be copied. A request that may not be sent again gets one attempt.
///
/// A delay a failed outcome asks for (`Retry-After`) replaces the computed one when it is at
/// most [`max_retry_after`](Self::max_retry_after) (by default, the policy's own cap on hints: its `max_delay`,
/// or its `max_retry_after` if lower);
/// a longer one ends the retries at once, and the caller gets that outcome: the service said
/// it will not serve sooner.
///
/// Below a [`CircuitBreakerLayer`](super::CircuitBreakerLayer) whose breaker refuses an
/// attempt, the refusal is returned at once rather than retried after the usual delay, as
/// with the attributes (a refusal of a later attempt waits instead if the breaker lets a trial
/// through before that delay would end; the first attempt is made before the engine's loop,
/// which cannot see its refusal, so a refusal of it, recognised in the error as the breaker
/// layer makes it, a boxed [`Error`](crate::Error), is returned at once).
/// Inside a deadline ([`TimeoutLayer`](super::TimeoutLayer) above it, or a `#[timeout]` function
/// making the call), no sleep ends past it: the last outcome is returned instead.
///
/// The service must be `Clone`: each call takes the ready service, as tower's own `Retry`
/// does. A call whose first attempt ends it allocates nothing; after a failed first attempt,
/// the engine's loop is boxed (`Send`), since it is an `async fn`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
/// use std::time::Duration;
/// use resilience::{RetryPolicy, tower::RetryLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// let calls = Arc::new(AtomicU32::new(0));
/// let counted = Arc::clone(&calls);
/// let flaky = service_fn(move |name: &'static str| {
///     let n = counted.fetch_add(1, Ordering::Relaxed) + 1;
///     async move { if n < 3 { Err("unavailable") } else { Ok(format!("hello {name}")) } }
/// });
/// let service = ServiceBuilder::new()
///     .layer(RetryLayer::new(RetryPolicy::new().with_initial_delay(Duration::from_millis(10))).named("doc.tower.greeter"))
///     .service(flaky);
/// assert_eq!(service.oneshot("ada").await.unwrap(), "hello ada");
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// assert_eq!(resilience::retries::get("doc.tower.greeter").unwrap().retries, 2);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryLayer<C = Errors, P = CloneRequests> {
    retry: Retry<AnyError, NoHook, AgainDelay>,
    classify: C,
    replay: P,
    max_retry_after: Option<Duration>,
}

impl RetryLayer {
    /// Retries every error under `policy`, each request cloned; responses are never retried.
    /// The retries draw from the budget shared by unnamed retries until the layer is
    /// [`named`](Self::named) (then its own) or given one ([`budget`](Self::budget)).
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::CONSERVATIVE);
    /// assert_eq!(layer.policy(), &RetryPolicy::CONSERVATIVE);
    /// ```
    pub fn new(policy: RetryPolicy) -> Self {
        RetryLayer {
            retry: policy.retrying().delay_hint(AgainDelay),
            classify: Errors,
            replay: CloneRequests,
            max_retry_after: None,
        }
    }

    /// Retries by HTTP's rules under `policy`: [`HttpStatus`] decides the failures (errors and
    /// 408, 425, 429, 500, 502, 503, 504 responses, honouring `Retry-After`) and [`Idempotent`]
    /// the requests (idempotent methods with a body that can be copied).
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::http(RetryPolicy::new()).named("doc.tower.http-retry");
    /// # let _ = layer;
    /// ```
    pub fn http(policy: RetryPolicy) -> RetryLayer<HttpStatus, Idempotent> {
        RetryLayer::new(policy)
            .classify(HttpStatus)
            .replay(Idempotent)
    }
}

impl<C, P> RetryLayer<C, P> {
    /// Decides the failures with `classify`.
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    ///
    /// #[derive(Debug)]
    /// enum DbError { Busy, Constraint }
    ///
    /// let layer = RetryLayer::new(RetryPolicy::new())
    ///     .classify(|outcome: Result<&u64, &DbError>| matches!(outcome, Err(DbError::Busy)));
    /// # let _ = layer;
    /// ```
    pub fn classify<D>(self, classify: D) -> RetryLayer<D, P> {
        RetryLayer {
            retry: self.retry,
            classify,
            replay: self.replay,
            max_retry_after: self.max_retry_after,
        }
    }

    /// Decides with `replay` which requests may be sent again, and copies them.
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::{AnyMethod, RetryLayer, SendOnce}};
    ///
    /// // An API whose POSTs carry an idempotency key may retry them.
    /// let layer = RetryLayer::http(RetryPolicy::new()).replay(AnyMethod);
    /// // A body type that streams but cannot say so: never sent twice.
    /// let once = RetryLayer::http(RetryPolicy::new()).replay(SendOnce);
    /// # let _ = (layer, once);
    /// ```
    pub fn replay<Q>(self, replay: Q) -> RetryLayer<C, Q> {
        RetryLayer {
            retry: self.retry,
            classify: self.classify,
            replay,
            max_retry_after: self.max_retry_after,
        }
    }

    /// Names the layer's calls: counted under `name` in [`retries`](crate::retries) (see
    /// [`Retry::named`]), named so in logs and metrics, with a retry budget of their own.
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::new()).named("doc.tower.named-retry");
    /// # let _ = layer;
    /// ```
    pub fn named(mut self, name: &'static str) -> Self {
        self.retry = self.retry.named(name);
        self
    }

    /// Draws the retries from `budget`, shared with every retry that names it (see
    /// [`Retry::budget`] and [`budgets`](crate::budgets)).
    ///
    /// ```
    /// use resilience::{RetryPolicy, budgets, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::new()).budget(budgets::named("doc.tower.orders"));
    /// # let _ = layer;
    /// ```
    pub fn budget(mut self, budget: &'static RetryBudget) -> Self {
        self.retry = self.retry.budget(budget);
        self
    }

    /// Makes every retry the policy allows, with no budget (see [`Retry::without_budget`]).
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::new()).without_budget();
    /// # let _ = layer;
    /// ```
    pub fn without_budget(mut self) -> Self {
        self.retry = self.retry.without_budget();
        self
    }

    /// The longest delay a failed outcome may ask for (`Retry-After`) and still be retried;
    /// by default the policy's own cap on hints (its `max_delay`, 30 s unless set, or its
    /// `max_retry_after` if lower). A longer request ends the
    /// retries, and the caller gets that outcome. The policy's `max_delay` caps every delay
    /// all the same: raise both to honour longer ones.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::http(RetryPolicy::new()).max_retry_after(Duration::from_secs(5));
    /// assert_eq!(layer.retry_after_cap(), Duration::from_secs(5));
    /// assert_eq!(RetryLayer::new(RetryPolicy::new()).retry_after_cap(), Duration::from_secs(30));
    /// ```
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = Some(cap);
        self
    }

    /// The longest `Retry-After` that is honoured; see [`max_retry_after`](Self::max_retry_after).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// let policy = RetryPolicy::new().with_max_delay(Duration::from_secs(4));
    /// assert_eq!(RetryLayer::new(policy).retry_after_cap(), Duration::from_secs(4));
    /// // The policy's own cap on hints, if lower.
    /// let policy = policy.with_max_retry_after(Duration::from_secs(2));
    /// assert_eq!(RetryLayer::new(policy).retry_after_cap(), Duration::from_secs(2));
    /// ```
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
            .unwrap_or_else(|| self.retry.policy().hint_cap())
    }

    /// The policy the layer retries under.
    ///
    /// ```
    /// use resilience::{RetryPolicy, tower::RetryLayer};
    /// assert_eq!(RetryLayer::new(RetryPolicy::PATIENT).policy(), &RetryPolicy::PATIENT);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        self.retry.policy()
    }
}

impl<S, C: Clone, P: Clone> Layer<S> for RetryLayer<C, P> {
    type Service = RetryService<S, C, P>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            engine: Arc::new(Engine {
                // Hints above the layer's cap end the call in `judge`; the engine honours
                // the others whole, whatever the policy's own `max_retry_after`.
                retry: self.retry.hints_uncut(),
                classify: self.classify.clone(),
                replay: self.replay.clone(),
                cap: self.retry_after_cap(),
            }),
        }
    }
}

/// The service of a [`RetryLayer`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience::{RetryPolicy, tower::{RetryLayer, RetryService}};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// let echo = service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) });
/// let service: RetryService<_> = RetryLayer::new(RetryPolicy::new()).layer(echo);
/// assert_eq!(service.oneshot(4).await.unwrap(), 4);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RetryService<S, C = Errors, P = CloneRequests> {
    inner: S,
    engine: Arc<Engine<C, P>>,
}

/// What every call of a [`RetryService`] shares: behind one pointer, so that a call's future
/// carries a pointer rather than a copy of the retry's settings.
#[derive(Debug)]
struct Engine<C, P> {
    retry: Retry<AnyError, NoHook, AgainDelay>,
    classify: C,
    replay: P,
    cap: Duration,
}

impl<S, C, P, Req> Service<Req> for RetryService<S, C, P>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    Req: Send + 'static,
    C: Classify<S::Response, S::Error> + Clone + Send + Sync + 'static,
    P: Replay<Req> + Clone + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = RetryFuture<S, Req, C, P>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The ready service makes the first attempt and stays with the call for the others;
        // the clone waits for the next `poll_ready`.
        let clone = self.inner.clone();
        let mut service = mem::replace(&mut self.inner, clone);
        let (first, original) = match self.engine.replay.replay(&request) {
            Some(copy) => (copy, Some(request)),
            None => (request, None),
        };
        let response = service.call(first);
        RetryFuture {
            state: State::First {
                response,
                rest: Some(Rest {
                    service,
                    original,
                    engine: Arc::clone(&self.engine),
                }),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`RetryService`] call: the first attempt, unboxed, and after a first
    /// attempt that failed, the retry engine's loop, boxed (an `async fn` cannot be named).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use resilience::{RetryPolicy, tower::{RetryFuture, RetryLayer}};
    /// use tower::{Layer, Service, service_fn};
    ///
    /// let mut service = RetryLayer::new(RetryPolicy::new())
    ///     .layer(service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) }));
    /// let future: RetryFuture<_, _, _, _> = service.call(6);
    /// assert_eq!(future.await.unwrap(), 6);
    /// # }
    /// ```
    pub struct RetryFuture<S, Req, C, P>
    where
        S: Service<Req>,
    {
        #[pin]
        state: State<S, Req, C, P>,
    }
}

/// The engine's loop after a first attempt that failed.
type Retrying<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<S, Req, C, P>
    where
        S: Service<Req>,
    {
        // The first attempt, and what the others need if it fails.
        First {
            #[pin]
            response: S::Future,
            rest: Option<Rest<S, Req, C, P>>,
        },
        Retrying {
            retrying: Retrying<S::Response, S::Error>,
        },
    }
}

impl<S, Req, C, P> std::fmt::Debug for RetryFuture<S, Req, C, P>
where
    S: Service<Req>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::First { .. } => "first attempt",
            State::Retrying { .. } => "retrying",
        };
        f.debug_struct("RetryFuture")
            .field("state", &state)
            .finish()
    }
}

impl<S, C, P, Req> Future for RetryFuture<S, Req, C, P>
where
    S: Service<Req> + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    Req: Send + 'static,
    C: Classify<S::Response, S::Error> + Send + Sync + 'static,
    P: Replay<Req> + Send + Sync + 'static,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        if let StateProjection::First { response, rest } = state.as_mut().project() {
            let outcome = ready!(response.poll(cx));
            // Judged through a reference: a call that ends here moves nothing out of the
            // future.
            let judged = rest
                .as_ref()
                .expect("a retry future polled after it finished")
                .after_first(outcome);
            let (again, copy) = match judged {
                Ok(outcome) => {
                    *rest = None;
                    return Poll::Ready(outcome);
                }
                Err(again) => again,
            };
            let retrying = rest.take().map(|rest| rest.retrying(again, copy));
            state.set(State::Retrying {
                retrying: retrying.expect("taken once"),
            });
        }
        match state.project() {
            StateProjection::Retrying { retrying } => retrying.as_mut().poll(cx),
            StateProjection::First { .. } => unreachable!("the first attempt ended above"),
        }
    }
}

/// What the attempts after the first need.
struct Rest<S, Req, C, P> {
    service: S,
    original: Option<Req>,
    engine: Arc<Engine<C, P>>,
}

impl<S, Req, C, P> Rest<S, Req, C, P>
where
    S: Service<Req> + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    Req: Send + 'static,
    C: Classify<S::Response, S::Error> + Send + Sync + 'static,
    P: Replay<Req> + Send + Sync + 'static,
{
    /// The call's result if the first attempt ends it, counted by the engine as a first
    /// attempt's; else the attempt to hand to the engine's loop, and the copy of the request
    /// for the next one.
    ///
    /// A call that succeeds at once thus costs no allocation: the engine counts it as
    /// `Retry::call_async` counts any first success. A refusal of a circuit breaker below is
    /// returned at once, as the engine returns one, since the engine cannot see it: it learns
    /// of refusals in the poll that makes them, and this attempt was made outside its loop.
    #[allow(clippy::type_complexity)]
    fn after_first(
        &self,
        outcome: Result<S::Response, S::Error>,
    ) -> Result<Result<S::Response, S::Error>, (Again<S::Response, S::Error>, Req)> {
        let refused = outcome.as_ref().err().is_some_and(is_refusal);
        let engine = &*self.engine;
        match judge(engine, self.original.as_ref(), outcome) {
            Judged::Done(outcome) => {
                engine.retry.first_try_ok();
                Ok(outcome)
            }
            Judged::GaveUp(outcome) => {
                engine.retry.first_try_given_up();
                Ok(outcome)
            }
            Judged::Again(again, _) if refused => {
                // Counted as a call the engine gave up on: one attempt, not retried.
                engine.retry.first_try_given_up();
                Ok(again.outcome)
            }
            Judged::Again(again, copy) => Err((again, copy)),
        }
    }

    /// The engine's loop, from the failed first attempt `again` on; `copy` is the request
    /// for the next attempt.
    fn retrying(
        self,
        again: Again<S::Response, S::Error>,
        copy: Req,
    ) -> Retrying<S::Response, S::Error> {
        let call = Call {
            shared: Mutex::new(Shared {
                next: Some((self.service, copy)),
                original: self.original,
            }),
            engine: self.engine,
        };
        Box::pin(async move {
            // The engine's first attempt is the one made before its loop.
            let mut first = Some(again);
            let finished = call
                .engine
                .retry
                .call_async(|| {
                    let first = first.take();
                    async {
                        match first {
                            Some(again) => Err(again),
                            None => call.attempt().await,
                        }
                    }
                })
                .await;
            match finished {
                Ok(outcome) | Err(Again { outcome, .. }) => outcome,
            }
        })
    }
}

/// Whether an error is a circuit breaker's refusal: a [`crate::Error::CircuitOpen`], as it
/// is, boxed, or inside an I/O error.
fn is_refusal<E: 'static>(error: &E) -> bool {
    let error: &dyn std::any::Any = error;
    let found = error
        .downcast_ref::<crate::Error>()
        .or_else(|| {
            error
                .downcast_ref::<super::BoxError>()
                .and_then(|boxed| boxed.downcast_ref::<crate::Error>())
        })
        .or_else(|| {
            error
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref()?.downcast_ref::<crate::Error>())
        });
    found.is_some_and(crate::Error::is_circuit_open)
}

/// An outcome that the retry loop may try again, with the delay it asked for: the engine's
/// error type. When the attempts run out, its outcome is what the caller gets.
struct Again<T, E> {
    outcome: Result<T, E>,
    delay: Option<Duration>,
}

/// Reads an [`Again`]'s delay for the engine.
#[derive(Debug, Clone, Copy)]
struct AgainDelay;

impl<T, E> DelayHint<Again<T, E>> for AgainDelay {
    #[inline]
    fn delay_hint(&self, again: &Again<T, E>) -> Option<Duration> {
        again.delay
    }
}

/// What an attempt's outcome means for the call.
enum Judged<T, E, Req> {
    /// A success, or an answer no retry changes: the call's result.
    Done(Result<T, E>),
    /// A failure that is not retried (the request may not be sent again, or the service
    /// asked for a wait beyond the cap): the call's result, given up on.
    GaveUp(Result<T, E>),
    /// A failure to retry, with the copy of the request for the next attempt.
    Again(Again<T, E>, Req),
}

/// Judges an attempt's outcome; see [`Judged`].
fn judge<T, E, Req, C, P>(
    engine: &Engine<C, P>,
    original: Option<&Req>,
    outcome: Result<T, E>,
) -> Judged<T, E, Req>
where
    C: Classify<T, E>,
    P: Replay<Req>,
{
    if !engine.classify.is_failure(outcome.as_ref()) {
        return Judged::Done(outcome);
    }
    let delay = engine.classify.retry_after(outcome.as_ref());
    if delay.is_some_and(|delay| delay > engine.cap) {
        // The service will not serve before then: its answer, now.
        return Judged::GaveUp(outcome);
    }
    match original.and_then(|original| engine.replay.replay(original)) {
        Some(copy) => Judged::Again(Again { outcome, delay }, copy),
        None => Judged::GaveUp(outcome),
    }
}

/// The attempts after the first: what they share.
struct Call<S, Req, C, P> {
    /// Taken once by each attempt, to take the service and its request, and once by a
    /// failed one, to leave them for the next. One attempt at a time, so never contended;
    /// never held across an `.await`. It lets the attempts pass on what the retry loop's
    /// closure cannot lend them.
    shared: Mutex<Shared<S, Req>>,
    engine: Arc<Engine<C, P>>,
}

struct Shared<S, Req> {
    /// The service and the copy of the request for the next attempt, left by a failed one
    /// once its retry is decided.
    next: Option<(S, Req)>,
    /// The request as the caller made it, to copy for retries.
    original: Option<Req>,
}

impl<S, Req, C, P> Call<S, Req, C, P>
where
    S: Service<Req>,
    C: Classify<S::Response, S::Error>,
    P: Replay<Req>,
{
    fn shared(&self) -> MutexGuard<'_, Shared<S, Req>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One attempt after the first: its outcome, or an [`Again`] if it failed and may be
    /// retried. The service is readied and called within one poll of the attempt, so that a
    /// breaker below which refuses the call tells the retry loop in the poll that finishes
    /// the attempt.
    async fn attempt(&self) -> Result<Result<S::Response, S::Error>, Again<S::Response, S::Error>> {
        let next = self.shared().next.take();
        let (mut service, request) = next.expect(
            "the engine makes an attempt only after a failed one left its service and request",
        );
        let outcome = match poll_fn(|cx| service.poll_ready(cx)).await {
            Ok(()) => service.call(request).await,
            Err(error) => Err(error),
        };
        let original = self.shared().original.take();
        let judged = judge(&self.engine, original.as_ref(), outcome);
        let mut shared = self.shared();
        shared.original = original;
        match judged {
            // The engine's loop ends at an `Ok`, and counts it as a success after retries.
            Judged::Done(outcome) | Judged::GaveUp(outcome) => Ok(outcome),
            Judged::Again(again, copy) => {
                shared.next = Some((service, copy));
                Err(again)
            }
        }
    }
}
