//! Function shapes users write, each compiled under the attributes and run: a policy named
//! through `Self` or a type parameter, a duration passed through `macro_rules!`, `impl Trait`
//! in the return type and in arguments, destructured arguments, and the way to retry a method
//! whose result borrows `&mut self`.

use std::{
    cell::Cell,
    io,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use resilience::{Error, Jitter, RetryPolicy, circuit_breaker, retry, timeout};

fn transient() -> io::Error {
    io::ErrorKind::Interrupted.into()
}

const QUICK: RetryPolicy = RetryPolicy::new()
    .with_initial_delay(Duration::from_millis(1))
    .with_jitter(Jitter::None);

// `policy = Self::RETRY` on a method.

struct Client {
    calls: Cell<u32>,
}

impl Client {
    const RETRY: RetryPolicy = QUICK.with_max_attempts(4);

    #[retry(policy = Self::RETRY)]
    fn fetch(&self) -> io::Result<u32> {
        self.calls.set(self.calls.get() + 1);
        Err(transient())
    }
}

#[test]
fn a_method_names_its_policy_through_self() {
    let client = Client {
        calls: Cell::new(0),
    };
    assert!(client.fetch().is_err());
    assert_eq!(
        client.calls.get(),
        4,
        "the body ran as often as `Self::RETRY` says"
    );
}

// `policy = T::POLICY` in a generic function: each type its own policy.

trait Endpoint {
    const POLICY: RetryPolicy;
}

struct Patient;
struct Hasty;

impl Endpoint for Patient {
    const POLICY: RetryPolicy = QUICK.with_max_attempts(5);
}

impl Endpoint for Hasty {
    const POLICY: RetryPolicy = QUICK.with_max_attempts(1);
}

#[retry(policy = T::POLICY)]
fn call<T: Endpoint>(calls: &Cell<u32>) -> Result<(), ()> {
    calls.set(calls.get() + 1);
    Err(())
}

#[test]
fn a_generic_function_names_its_policy_through_a_type_parameter() {
    let calls = Cell::new(0);
    assert!(call::<Patient>(&calls).is_err());
    assert_eq!(calls.get(), 5);
    calls.set(0);
    assert!(call::<Hasty>(&calls).is_err());
    assert_eq!(calls.get(), 1);
}

// `#[timeout($limit)]` inside a `macro_rules!`, the limit a `literal` or an `expr` fragment.

macro_rules! bounded_by_literal {
    ($name:ident, $limit:literal) => {
        #[timeout($limit)]
        async fn $name() -> Result<(), Error> {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        }
    };
}

macro_rules! bounded_by_expr {
    ($name:ident, $limit:expr) => {
        #[timeout($limit)]
        async fn $name() -> Result<(), Error> {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        }
    };
}

bounded_by_literal!(literal_limit, "250ms");
bounded_by_expr!(expr_limit, "300ms");
bounded_by_expr!(expr_duration_limit, Duration::from_millis(350));

#[tokio::test(start_paused = true)]
async fn a_timeout_takes_its_limit_from_a_macro_fragment() {
    for (call, expected) in [
        (
            Box::pin(literal_limit()) as std::pin::Pin<Box<dyn Future<Output = _>>>,
            250,
        ),
        (Box::pin(expr_limit()), 300),
        (Box::pin(expr_duration_limit()), 350),
    ] {
        let start = tokio::time::Instant::now();
        match call.await {
            Err(Error::Timeout { limit, .. }) => {
                assert_eq!(limit, Duration::from_millis(expected))
            }
            other => panic!("expected a timeout after {expected}ms, got {other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::from_millis(expected));
    }
}

// `Result<impl Iterator<Item = u8>, E>` under `#[timeout]`: sync, async and stacked.

#[timeout("5s")]
fn digits_sync(n: u8) -> Result<impl Iterator<Item = u8>, Error> {
    Ok(0..n)
}

#[timeout("5s")]
async fn digits_async(n: u8) -> Result<impl Iterator<Item = u8>, Error> {
    Ok(0..n)
}

#[timeout("100ms")]
async fn digits_late(n: u8) -> Result<impl Iterator<Item = u8>, Error> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(0..n)
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[circuit_breaker(name = "shapes.digits")]
#[timeout("5s")]
async fn digits_stacked(n: u8, calls: &AtomicU32) -> io::Result<impl Iterator<Item = u8>> {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err(transient());
    }
    Ok(0..n)
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[timeout("5s")]
fn digits_stacked_sync(n: u8, calls: Arc<AtomicU32>) -> io::Result<impl Iterator<Item = u8>> {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err(transient());
    }
    Ok(0..n)
}

#[test]
fn an_impl_trait_result_under_a_sync_timeout() {
    assert_eq!(digits_sync(3).unwrap().collect::<Vec<_>>(), [0, 1, 2]);
    let calls = Arc::new(AtomicU32::new(0));
    let digits = digits_stacked_sync(2, Arc::clone(&calls)).unwrap();
    assert_eq!(digits.collect::<Vec<_>>(), [0, 1]);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "retried once");
}

#[tokio::test(start_paused = true)]
async fn an_impl_trait_result_under_an_async_timeout() {
    assert_eq!(
        digits_async(3).await.unwrap().collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(matches!(
        digits_late(3).await.map(|d| d.count()),
        Err(Error::Timeout { .. })
    ));
    let calls = AtomicU32::new(0);
    let digits = digits_stacked(4, &calls).await.unwrap();
    assert_eq!(digits.collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "retried once");
}

// `#[retry] #[timeout]` on a sync function: each attempt runs on a worker thread with its own
// copy of the arguments, `impl Trait` and destructured ones included.

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[timeout("5s")]
fn measure(
    label: impl AsRef<str> + Clone + Send + 'static,
    attempts: Arc<AtomicU32>,
) -> io::Result<usize> {
    if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(transient());
    }
    Ok(label.as_ref().len())
}

#[test]
fn an_impl_trait_argument_under_retry_and_a_sync_timeout() {
    let attempts = Arc::new(AtomicU32::new(0));
    assert_eq!(measure("four", Arc::clone(&attempts)).unwrap(), 4);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[derive(Clone)]
struct Job {
    id: u32,
    payload: Vec<u8>,
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
#[timeout("5s")]
fn greet(
    (name, times): (String, u32),
    Job { id, payload }: Job,
    attempts: Arc<AtomicU32>,
) -> io::Result<String> {
    // Each attempt owns its copies: moving `name` and `payload` is fine.
    let greeting = name + &"!".repeat(times as usize);
    let size = payload.len();
    if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(transient());
    }
    Ok(format!("{greeting} #{id} ({size} bytes)"))
}

#[test]
fn destructured_arguments_under_retry_and_a_sync_timeout() {
    let attempts = Arc::new(AtomicU32::new(0));
    let job = Job {
        id: 7,
        payload: vec![1, 2, 3],
    };
    let greeting = greet(("hi".to_string(), 2), job, Arc::clone(&attempts)).unwrap();
    assert_eq!(greeting, "hi!! #7 (3 bytes)");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "every attempt had the values"
    );
}

// A method whose result borrows `&mut self` cannot be retried itself (the borrow checker's
// limit on returning a borrow from a loop; `tests/ui/retry/returns_mut_borrow.rs`): retry the
// part that can fail, in a method that returns no borrow, and borrow after it.

struct Cache {
    value: Option<String>,
    loads: u32,
}

impl Cache {
    #[retry(max_attempts = 3, initial_delay = "1ms")]
    fn load(&mut self) -> io::Result<()> {
        self.loads += 1;
        if self.loads < 2 {
            return Err(transient());
        }
        self.value = Some(format!("loaded by attempt {}", self.loads));
        Ok(())
    }

    fn value_mut(&mut self) -> io::Result<&mut String> {
        self.load()?;
        self.value
            .as_mut()
            .ok_or_else(|| io::Error::other("nothing loaded"))
    }
}

#[test]
fn a_mut_borrow_is_returned_after_the_retried_part() {
    let mut cache = Cache {
        value: None,
        loads: 0,
    };
    cache.value_mut().unwrap().push_str(", then changed");
    assert_eq!(
        cache.value.as_deref(),
        Some("loaded by attempt 2, then changed")
    );
}
