//! [`TimeoutLayer`]: bounds each call in time, with its deadline in scope for the code below.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use super::BoxError;
use crate::{Error, deadline};

/// Bounds each call of the service in time, as `#[timeout]` bounds a function: a call not
/// finished `limit` after it was made is dropped and fails with
/// [`Error::Timeout`](crate::Error::Timeout), boxed as the layer's [`BoxError`].
///
/// While the call runs, its deadline is in scope for the code below ([`deadline`]): a
/// [`RetryLayer`](super::RetryLayer) below it never sleeps past it, and
/// `deadline::remaining()` tells a handler or a client how long it has. Nested deadlines take
/// the earliest.
///
/// The timer is tokio's: polling needs a tokio runtime with time enabled, and tests on tokio's
/// paused clock see the timeout at exactly `limit`. A call that finishes at its first poll arms
/// no timer; one that finishes in the same instant as the timer wins.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::tower::TimeoutLayer;
/// use tower::{Layer, Service, ServiceExt, service_fn};
///
/// let slow = service_fn(|_: ()| async {
///     tokio::time::sleep(Duration::from_secs(10)).await;
///     Ok::<_, std::io::Error>("late")
/// });
/// let mut service = TimeoutLayer::new(Duration::from_secs(1)).named("search").layer(slow);
/// let err = service.ready().await.unwrap().call(()).await.unwrap_err();
/// let err = err.downcast_ref::<resilience::Error>().unwrap();
/// assert!(err.is_timeout());
/// assert_eq!(err.to_string(), "`search` timed out after 1s");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TimeoutLayer {
    limit: Duration,
    name: &'static str,
}

impl TimeoutLayer {
    /// A layer that bounds each call to `limit`, named `"timeout"` in its errors, logs and
    /// metrics. A `limit` too large to represent as an instant (`Duration::MAX`) means no
    /// limit.
    ///
    /// ```
    /// let layer = resilience::tower::TimeoutLayer::new(std::time::Duration::from_secs(2));
    /// assert_eq!(layer.limit(), std::time::Duration::from_secs(2));
    /// ```
    pub fn new(limit: Duration) -> Self {
        TimeoutLayer {
            limit,
            name: "timeout",
        }
    }

    /// Names the calls in the timeout's error (`` `name` timed out after 2s``), its `tracing`
    /// event and its `resilience_timeouts_total` metric (label `function`). A `&'static str`,
    /// as for [`RetryLayer::named`](super::RetryLayer::named): a call carries it without
    /// counting references, and the error's `Arc<str>` is made only when a call times out.
    ///
    /// ```
    /// use std::time::Duration;
    /// let layer = resilience::tower::TimeoutLayer::new(Duration::from_secs(2)).named("inventory");
    /// assert_eq!(layer.name(), "inventory");
    /// ```
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// The limit of each call.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::tower::TimeoutLayer::new(Duration::ZERO).limit(), Duration::ZERO);
    /// ```
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The name of the calls.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(resilience::tower::TimeoutLayer::new(Duration::ZERO).name(), "timeout");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            limit: self.limit,
            name: self.name,
        }
    }
}

/// The service of a [`TimeoutLayer`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience::tower::{TimeoutLayer, TimeoutService};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// let echo = service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) });
/// let service: TimeoutService<_> = TimeoutLayer::new(Duration::from_secs(1)).layer(echo);
/// assert_eq!(service.oneshot(7).await.unwrap(), 7);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TimeoutService<S> {
    inner: S,
    limit: Duration,
    name: &'static str,
}

impl<S, Req> Service<Req> for TimeoutService<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = TimeoutFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let deadline = Instant::now().checked_add(self.limit);
        // The call itself runs in the deadline's scope too: a service may start its work there.
        let inner = match deadline {
            Some(at) => deadline::within_sync_at(at, || self.inner.call(request)),
            None => self.inner.call(request),
        };
        TimeoutFuture {
            inner,
            timer: None,
            deadline,
            limit: self.limit,
            name: self.name,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`TimeoutService`] call.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use resilience::tower::{TimeoutFuture, TimeoutLayer};
    /// use tower::{Layer, Service, service_fn};
    ///
    /// let mut service = TimeoutLayer::new(Duration::from_secs(1))
    ///     .layer(service_fn(|n: u32| async move { Ok::<_, std::io::Error>(n) }));
    /// let future: TimeoutFuture<_> = service.call(1);
    /// assert_eq!(future.await.unwrap(), 1);
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        // Armed only once the call has waited: a call that finishes at once arms no timer,
        // and carries a pointer's worth of it rather than the timer itself.
        timer: Option<Pin<Box<Sleep>>>,
        deadline: Option<Instant>,
        limit: Duration,
        name: &'static str,
    }
}

impl<F, T, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(at) = *this.deadline else {
            return this.inner.poll(cx).map_err(Into::into);
        };
        // The call first, then the timer: a call that finishes in the timer's instant wins.
        if let Poll::Ready(result) = deadline::within_sync_at(at, || this.inner.as_mut().poll(cx)) {
            return Poll::Ready(result.map_err(Into::into));
        }
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        ready!(timer.as_mut().poll(cx));
        crate::observe::timed_out(this.name, *this.limit);
        Poll::Ready(Err(Box::new(Error::timeout(*this.name, *this.limit))))
    }
}
