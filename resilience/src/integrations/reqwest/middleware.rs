//! [`ResilienceMiddleware`]: the retry engine, a breaker and a timeout for every request of a
//! `reqwest_middleware::ClientWithMiddleware`.

use std::{fmt, sync::Arc, time::Duration};

use ::http::Extensions;
use ::reqwest::{Request, Response};
use reqwest_middleware::{Error, Middleware, Next};

use super::{Verdict, classify, resilience_error, retry_after};
use crate::{
    AnyError, CircuitBreaker, DelayHint, KeyedBreaker, NoHook, Retry, RetryBudget, RetryPolicy,
};

/// How the middleware judges an outcome; see [`ResilienceMiddleware::classify`].
pub type ClassifyFn = fn(&Result<Response, Error>) -> Verdict;

/// Picks the breaker of a request; see [`ResilienceMiddleware::breaker_for`].
type PickBreaker = dyn Fn(&Request) -> Option<Arc<CircuitBreaker>> + Send + Sync;

/// A reqwest-middleware middleware with the crate's engines: each request is retried under a
/// [`RetryPolicy`], with the engine, retry budget, statistics and logs of `#[retry]`; each
/// attempt may go through a circuit breaker and be bounded in time.
///
/// - **What is retried**: by reqwest-retry's rules ([`classify`](super::classify)): a
///   timeout, a refused or reset connection, and 408, 429 and 5xx responses. A response is
///   retried as a value: when the attempts run out, the caller gets the last response
///   (`Ok`, with its 503 status), not an error. An error is returned unchanged.
/// - **Which requests**: idempotent methods (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`,
///   `DELETE`) by default, any method with [`retry_any_method`](Self::retry_any_method);
///   a request whose body streams (it cannot be cloned) is sent once.
/// - **`Retry-After`** on a retried response replaces the computed delay, in both of its forms,
///   when it is at most [`max_retry_after`](Self::max_retry_after) (by default the policy's
///   own cap on hints: its `max_delay`, 30 s unless set, or its `max_retry_after` if lower). A longer one ends the retries at once: the caller gets
///   that response, since the server said it will not serve sooner.
/// - **Retry budget**, on by default: retries add at most 20% of the requests plus 10 a
///   second (see [`BudgetConfig`](crate::BudgetConfig)). A middleware that is
///   [`named`](Self::named) has its own budget and its own line in
///   [`retries::all`](crate::retries::all); an unnamed one shares the budget of the unnamed
///   retries. [`budget`](Self::budget) shares a named one; [`without_budget`](Self::without_budget)
///   turns it off.
/// - **Breaker**, optional: one named breaker ([`breaker`](Self::breaker)), one per host of
///   a keyed family ([`breaker_per_host`](Self::breaker_per_host)), or one picked per
///   request ([`breaker_for`](Self::breaker_for)). Each attempt asks
///   it for a permit; transient outcomes count as failures, other responses as successes. A
///   refusal is a middleware error carrying [`Error::CircuitOpen`](crate::Error::CircuitOpen)
///   ([`resilience_error`](super::resilience_error) finds it), returned at once rather than
///   retried after the usual delay.
/// - **Deadlines**: inside a deadline ([`deadline`](crate::deadline): a `#[timeout]` function
///   or a tower `TimeoutLayer` around the call), each attempt's reqwest timeout is
///   cut to the time left, and no sleep ends past it.
///   [`attempt_timeout`](Self::attempt_timeout) bounds each attempt on its own.
///
/// ```
/// use std::time::Duration;
/// use resilience::{BreakerConfig, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
/// use reqwest_middleware::ClientBuilder;
///
/// let client = ClientBuilder::new(reqwest::Client::new())
///     .with(
///         ResilienceMiddleware::new(RetryPolicy::new().with_max_attempts(4))
///             .named("doc.reqwest.quotes")
///             .breaker(breakers::configure("doc.reqwest.quotes", BreakerConfig::new()))
///             .attempt_timeout(Duration::from_secs(2)),
///     )
///     .build();
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct ResilienceMiddleware {
    retry: Retry<AnyError, NoHook, AgainDelay>,
    name: Option<&'static str>,
    max_retry_after: Option<Duration>,
    any_method: bool,
    breaker: Breaker,
    attempt_timeout: Option<Duration>,
    classify: ClassifyFn,
}

/// The breaker of the requests.
#[derive(Clone)]
enum Breaker {
    None,
    One(Arc<CircuitBreaker>),
    PerRequest(Arc<PickBreaker>),
}

impl fmt::Debug for ResilienceMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let breaker = match &self.breaker {
            Breaker::None => "none".to_owned(),
            Breaker::One(breaker) => format!("{:?}", breaker.name()),
            Breaker::PerRequest(_) => "per request".to_owned(),
        };
        f.debug_struct("ResilienceMiddleware")
            .field("name", &self.name)
            .field("policy", self.retry.policy())
            .field("max_retry_after", &self.retry_after_cap())
            .field("any_method", &self.any_method)
            .field("breaker", &breaker)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl ResilienceMiddleware {
    /// Retries transient outcomes of idempotent requests under `policy`, with a retry budget,
    /// no breaker and no timeout of its own.
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::CONSERVATIVE);
    /// assert_eq!(middleware.policy(), &RetryPolicy::CONSERVATIVE);
    /// ```
    pub fn new(policy: RetryPolicy) -> Self {
        ResilienceMiddleware {
            retry: policy.retrying().delay_hint(AgainDelay),
            name: None,
            max_retry_after: None,
            any_method: false,
            breaker: Breaker::None,
            attempt_timeout: None,
            classify,
        }
    }

    /// Names the requests: counted under `name` in [`retries`](crate::retries), named so in
    /// logs, metrics and attempt timeouts, with a retry budget of their own.
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).named("doc.reqwest.named");
    /// # let _ = middleware;
    /// ```
    pub fn named(mut self, name: &'static str) -> Self {
        self.retry = self.retry.named(name);
        self.name = Some(name);
        self
    }

    /// Draws the retries from `budget`, shared with every retry that names it.
    ///
    /// ```
    /// use resilience::{RetryPolicy, budgets, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new())
    ///     .budget(budgets::named("doc.reqwest.shared"));
    /// # let _ = middleware;
    /// ```
    pub fn budget(mut self, budget: &'static RetryBudget) -> Self {
        self.retry = self.retry.budget(budget);
        self
    }

    /// Makes every retry the policy allows, with no budget.
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).without_budget();
    /// # let _ = middleware;
    /// ```
    pub fn without_budget(mut self) -> Self {
        self.retry = self.retry.without_budget();
        self
    }

    /// Retries requests of any method, `POST` and `PATCH` included, as reqwest-retry does:
    /// for APIs that make them safe to repeat (an idempotency key).
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).retry_any_method();
    /// # let _ = middleware;
    /// ```
    pub fn retry_any_method(mut self) -> Self {
        self.any_method = true;
        self
    }

    /// The longest `Retry-After` that is honoured; a longer one ends the retries and the
    /// caller gets that response. By default the policy's `max_delay` (30 s unless set),
    /// which caps every delay all the same: raise both to honour longer ones.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).max_retry_after(Duration::from_secs(5));
    /// assert_eq!(middleware.retry_after_cap(), Duration::from_secs(5));
    /// ```
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = Some(cap);
        self
    }

    /// The longest `Retry-After` that is honoured; see [`max_retry_after`](Self::max_retry_after).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new());
    /// assert_eq!(middleware.retry_after_cap(), Duration::from_secs(30));
    /// ```
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
            .unwrap_or_else(|| self.retry.policy().hint_cap())
    }

    /// Sends every attempt through `breaker`, such as a named one of the registry
    /// ([`breakers::configure`](crate::breakers::configure)), which operators then see and
    /// manage with the attributes' breakers.
    ///
    /// ```
    /// use resilience::{BreakerConfig, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new())
    ///     .breaker(breakers::configure("doc.reqwest.breaker", BreakerConfig::new()));
    /// # let _ = middleware;
    /// ```
    pub fn breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = Breaker::One(breaker);
        self
    }

    /// Sends each attempt through the breaker of its host in `family`: one host that stops
    /// answering has its breaker opened and its calls refused, while the calls to the other
    /// hosts go on. The key is the URL's host and port (`api.example.com:443`), so two
    /// services on one host have a breaker each. The family bounds the number of hosts and
    /// evicts idle ones (see [`KeyedBreaker`]); operators see it in the registry under its
    /// name ([`breakers::keyed`](crate::breakers::keyed)).
    ///
    /// ```
    /// use resilience::{BreakerConfig, KeyedConfig, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
    ///
    /// let hosts = breakers::configure_keyed(
    ///     "doc.reqwest.hosts",
    ///     BreakerConfig::new().with_failure_threshold(5),
    ///     KeyedConfig::new(),
    /// );
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).breaker_per_host(hosts);
    /// # let _ = middleware;
    /// ```
    pub fn breaker_per_host(self, family: Arc<KeyedBreaker>) -> Self {
        self.breaker_for(move |request| {
            let url = request.url();
            let host = url.host_str()?;
            Some(match url.port_or_known_default() {
                Some(port) => family.breaker(&format_args!("{host}:{port}")),
                None => family.breaker(host),
            })
        })
    }

    /// Sends each attempt through the breaker `pick` returns for its request, or through none.
    /// Called once per attempt: keep the breakers, rather than configuring them anew on each
    /// call (the registry's lookup takes a global lock).
    ///
    /// ```
    /// use std::{collections::HashMap, sync::Arc};
    /// use resilience::{BreakerConfig, CircuitBreaker, RetryPolicy, breakers, reqwest::ResilienceMiddleware};
    ///
    /// // One breaker per known host, made at start-up.
    /// let hosts: HashMap<String, Arc<CircuitBreaker>> = ["eu.api.local", "us.api.local"]
    ///     .into_iter()
    ///     .map(|host| (host.to_owned(), breakers::configure(&format!("doc.api.{host}"), BreakerConfig::new())))
    ///     .collect();
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new())
    ///     .breaker_for(move |request| hosts.get(request.url().host_str()?).cloned());
    /// # let _ = middleware;
    /// ```
    pub fn breaker_for(
        mut self,
        pick: impl Fn(&Request) -> Option<Arc<CircuitBreaker>> + Send + Sync + 'static,
    ) -> Self {
        self.breaker = Breaker::PerRequest(Arc::new(pick));
        self
    }

    /// Bounds each attempt to `limit`: one not finished by then fails with a middleware error
    /// carrying [`Error::Timeout`](crate::Error::Timeout), which is transient (retried, and a
    /// failure for the breaker). The attempt runs with its deadline in scope.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new())
    ///     .attempt_timeout(Duration::from_millis(500));
    /// # let _ = middleware;
    /// ```
    pub fn attempt_timeout(mut self, limit: Duration) -> Self {
        self.attempt_timeout = Some(limit);
        self
    }

    /// Judges outcomes with `classify` instead of reqwest-retry's rules: a
    /// [`Verdict::Transient`] outcome is retried and counted as a breaker's failure. The
    /// middleware's own errors (an attempt timeout, an open breaker) are judged before it.
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::{ResilienceMiddleware, Verdict, classify}};
    ///
    /// // Also retry 409 Conflict, which this API sends while a write is in progress.
    /// let middleware = ResilienceMiddleware::new(RetryPolicy::new()).classify(|outcome| match outcome {
    ///     Ok(response) if response.status() == 409 => Verdict::Transient,
    ///     outcome => classify(outcome),
    /// });
    /// # let _ = middleware;
    /// ```
    pub fn classify(mut self, classify: ClassifyFn) -> Self {
        self.classify = classify;
        self
    }

    /// The policy the requests are retried under.
    ///
    /// ```
    /// use resilience::{RetryPolicy, reqwest::ResilienceMiddleware};
    /// assert_eq!(ResilienceMiddleware::new(RetryPolicy::PATIENT).policy(), &RetryPolicy::PATIENT);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        self.retry.policy()
    }

    fn pick_breaker(&self, request: &Request) -> Option<Arc<CircuitBreaker>> {
        match &self.breaker {
            Breaker::None => None,
            Breaker::One(breaker) => Some(Arc::clone(breaker)),
            Breaker::PerRequest(pick) => pick(request),
        }
    }

    /// How an outcome is judged: the middleware's own errors first (an attempt timeout is
    /// transient; so is a breaker's refusal, which the retry loop then returns at once).
    fn verdict(&self, outcome: &Result<Response, Error>) -> Verdict {
        match outcome {
            Err(error) if resilience_error(error).is_some() => Verdict::Transient,
            outcome => (self.classify)(outcome),
        }
    }

    /// One attempt: its outcome, with the extensions it saw, or an [`Again`] if it failed and
    /// may be retried.
    async fn attempt(
        &self,
        request: Option<Request>,
        mut extensions: Extensions,
        next: Next<'_>,
        may_retry: bool,
    ) -> Result<Finished, Again> {
        let Some(request) = request else {
            // `try_clone` succeeded for the first attempt; it has no reason to fail later.
            let result = Err(Error::middleware(NotReplayable));
            let gave_up = true;
            return Ok(Finished {
                extensions,
                result,
                gave_up,
            });
        };
        let result = self.send(request, &mut extensions, next).await;
        let verdict = self.verdict(&result);
        if !verdict.is_transient() {
            let gave_up = false;
            return Ok(Finished {
                extensions,
                result,
                gave_up,
            });
        }
        let delay = result.as_ref().ok().and_then(retry_after);
        if !may_retry || delay.is_some_and(|delay| delay > self.retry_after_cap()) {
            // Not sent again, or the server will not serve before then: its answer, now.
            let gave_up = true;
            return Ok(Finished {
                extensions,
                result,
                gave_up,
            });
        }
        Err(Again {
            extensions,
            result,
            delay,
        })
    }

    /// Sends one attempt through the breaker and the attempt timeout, within the deadline in
    /// scope, and reports its outcome to the breaker.
    async fn send(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response, Error> {
        if let Some(left) = crate::deadline::remaining() {
            let timeout = request.timeout_mut();
            *timeout = Some(timeout.map_or(left, |own| own.min(left)));
        }
        let breaker = self.pick_breaker(&request);
        let permit = match breaker.as_deref().map(CircuitBreaker::try_acquire) {
            Some(Err(refused)) => return Err(Error::middleware(refused)),
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        let sent = next.run(request, extensions);
        let result = match self.attempt_timeout {
            None => sent.await,
            Some(limit) => {
                let name = self.name.unwrap_or("reqwest");
                let bounded = async { sent.await.map_err(Failed::Middleware) };
                // Boxed: a middleware without an attempt timeout carries none of its state.
                Box::pin(crate::timeout_async_named(name, limit, bounded))
                    .await
                    .map_err(Failed::into_middleware)
            }
        };
        if let Some(permit) = permit {
            match self.verdict(&result) {
                Verdict::Transient => permit.failure(),
                _ if result.is_ok() => permit.success(),
                _ => permit.release(),
            }
        }
        result
    }
}

#[async_trait::async_trait]
impl Middleware for ResilienceMiddleware {
    /// Makes the first attempt before the retry engine's loop, so that a request that
    /// succeeds at once carries none of the loop's state (the engine counts it as its first
    /// attempt's success); after a first attempt that failed, the loop starts from it, in a
    /// future of its own.
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response, Error> {
        let copy = if self.any_method || crate::http::is_idempotent(request.method()) {
            request.try_clone()
        } else {
            None
        };
        let (first, original) = match copy {
            Some(copy) => (copy, Some(request)),
            None => (request, None),
        };
        let may_retry = original.is_some();
        // Each attempt gets the caller's extensions as they were; the caller gets back the
        // last attempt's.
        let own = if may_retry {
            extensions.clone()
        } else {
            std::mem::take(extensions)
        };
        let first = self
            .attempt(Some(first), own, next.clone(), may_retry)
            .await;
        let again = match first {
            Ok(Finished {
                extensions: last,
                result,
                gave_up,
            }) => {
                if gave_up {
                    self.retry.first_try_given_up();
                } else {
                    self.retry.first_try_ok();
                }
                *extensions = last;
                return result;
            }
            // A refusal of the breaker: returned at once, as the engine returns one.
            Err(again) if again.result.as_ref().is_err_and(is_refusal) => {
                self.retry.first_try_given_up();
                *extensions = again.extensions;
                return again.result;
            }
            Err(again) => again,
        };
        let (last, result) = Box::pin(self.retrying(again, original, extensions, next)).await;
        *extensions = last;
        result
    }
}

impl ResilienceMiddleware {
    /// The retry engine's loop after a first attempt that failed, which it takes as its own
    /// first: the last attempt's extensions and result.
    async fn retrying(
        &self,
        first: Again,
        original: Option<Request>,
        callers: &Extensions,
        next: Next<'_>,
    ) -> (Extensions, Result<Response, Error>) {
        let mut first = Some(first);
        // Hints above the middleware's cap ended the call in `judge`; the engine honours the
        // others whole, whatever the policy's own `max_retry_after`.
        let finished = self
            .retry
            .hints_uncut()
            .call_async(|| {
                let attempt = match first.take() {
                    Some(again) => Attempt::First(again),
                    None => Attempt::Later(
                        original.as_ref().and_then(Request::try_clone),
                        callers.clone(),
                        next.clone(),
                    ),
                };
                async move {
                    match attempt {
                        Attempt::First(again) => Err(again),
                        Attempt::Later(request, extensions, next) => {
                            self.attempt(request, extensions, next, true).await
                        }
                    }
                }
            })
            .await;
        match finished {
            Ok(Finished {
                extensions, result, ..
            })
            | Err(Again {
                extensions, result, ..
            }) => (extensions, result),
        }
    }
}

/// An attempt of the engine's loop: the first, already made, or a later one to make.
enum Attempt<'a> {
    First(Again),
    Later(Option<Request>, Extensions, Next<'a>),
}

/// Whether an error is this middleware's breaker refusing a request.
fn is_refusal(error: &Error) -> bool {
    resilience_error(error).is_some_and(crate::Error::is_circuit_open)
}

/// An attempt's outcome that ends the call.
struct Finished {
    extensions: Extensions,
    result: Result<Response, Error>,
    /// A transient failure not retried (the request cannot be sent again, or the server
    /// asked for a wait beyond the cap), rather than a success or an answer.
    gave_up: bool,
}

/// An attempt's outcome that the retry loop may try again, with the delay it asked for: the
/// engine's error type. When the attempts run out, its outcome is what the caller gets.
struct Again {
    extensions: Extensions,
    result: Result<Response, Error>,
    delay: Option<Duration>,
}

/// Reads an [`Again`]'s delay for the engine.
#[derive(Debug, Clone, Copy)]
struct AgainDelay;

impl DelayHint<Again> for AgainDelay {
    #[inline]
    fn delay_hint(&self, again: &Again) -> Option<Duration> {
        again.delay
    }
}

/// For the engine's count of a request that the first attempt ended.
impl DelayHint<()> for AgainDelay {
    #[inline]
    fn delay_hint(&self, (): &()) -> Option<Duration> {
        None
    }
}

/// An attempt's error inside its timeout, which makes [`Error::Timeout`](crate::Error::Timeout)s.
enum Failed {
    Middleware(Error),
    Resilience(crate::Error),
}

impl From<crate::Error> for Failed {
    fn from(error: crate::Error) -> Self {
        Failed::Resilience(error)
    }
}

impl Failed {
    fn into_middleware(self) -> Error {
        match self {
            Failed::Middleware(error) => error,
            Failed::Resilience(error) => Error::middleware(error),
        }
    }
}

/// A request to retry whose body could not be copied after all.
#[derive(Debug)]
struct NotReplayable;

impl fmt::Display for NotReplayable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request's body can no longer be cloned for another attempt")
    }
}

impl std::error::Error for NotReplayable {}
