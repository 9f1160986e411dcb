//! `#[circuit_breaker]`: the contract's state machine through the attribute, sync and async,
//! with tokio's paused clock where time matters. Each test names its own breaker, since the
//! registry is global.

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use resilience::{Error, State, breakers, circuit_breaker};

#[derive(Debug, PartialEq)]
enum ApiError {
    Down,
    NotFound,
    Rejected(Error),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError::Rejected(error)
    }
}

fn is_outage(error: &ApiError) -> bool {
    matches!(error, ApiError::Down)
}

fn state(name: &str) -> State {
    breakers::get(name)
        .expect("registered on first call")
        .state()
}

#[circuit_breaker(name = "opens", failure_threshold = 3)]
fn guarded(calls: &AtomicU32, outcome: Result<(), ApiError>) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::SeqCst);
    outcome
}

#[test]
fn opens_after_consecutive_failures_and_rejects_without_running_the_body() {
    assert!(
        breakers::get("opens").is_none(),
        "no breaker before the first call"
    );
    let calls = AtomicU32::new(0);
    for _ in 0..3 {
        assert_eq!(guarded(&calls, Err(ApiError::Down)), Err(ApiError::Down));
    }
    assert_eq!(state("opens"), State::Open);
    match guarded(&calls, Ok(())) {
        Err(ApiError::Rejected(Error::CircuitOpen { name, retry_in })) => {
            assert_eq!(&*name, "opens");
            assert!(retry_in.is_some_and(|d| d <= Duration::from_secs(60)));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "the body did not run while open"
    );
    breakers::get("opens").unwrap().reset();
    assert_eq!(state("opens"), State::Closed);
    assert_eq!(guarded(&calls, Ok(())), Ok(()));
}

#[circuit_breaker(name = "interleaved", failure_threshold = 2)]
fn interleaved(outcome: Result<(), ApiError>) -> Result<(), ApiError> {
    outcome
}

#[test]
fn a_success_resets_the_consecutive_count() {
    for _ in 0..5 {
        let _ = interleaved(Err(ApiError::Down));
        let _ = interleaved(Ok(()));
    }
    assert_eq!(state("interleaved"), State::Closed);
}

#[circuit_breaker(name = "filtered", failure_threshold = 2, when = is_outage)]
fn filtered(outcome: Result<(), ApiError>) -> Result<(), ApiError> {
    outcome
}

#[test]
fn errors_outside_when_pass_through_uncounted() {
    for _ in 0..10 {
        assert_eq!(filtered(Err(ApiError::NotFound)), Err(ApiError::NotFound));
    }
    assert_eq!(state("filtered"), State::Closed);
    let _ = filtered(Err(ApiError::Down));
    let _ = filtered(Err(ApiError::Down));
    assert_eq!(state("filtered"), State::Open);
}

#[circuit_breaker(name = "shared", failure_threshold = 2)]
fn shared_read() -> Result<(), ApiError> {
    Err(ApiError::Down)
}

#[circuit_breaker(name = "shared", failure_threshold = 2)]
fn shared_write() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn functions_naming_one_breaker_share_it() {
    let _ = shared_read();
    let _ = shared_read();
    assert!(matches!(
        shared_write(),
        Err(ApiError::Rejected(Error::CircuitOpen { .. }))
    ));
}

#[circuit_breaker(failure_threshold = 1)]
fn default_name() -> Result<(), ApiError> {
    Err(ApiError::Down)
}

#[test]
fn the_default_name_is_the_module_path_and_function() {
    let _ = default_name();
    let name = concat!(module_path!(), "::default_name");
    assert_eq!(state(name), State::Open);
}

#[circuit_breaker(
    name = "recovers",
    failure_threshold = 1,
    recovery_timeout = "10s",
    success_threshold = 2
)]
async fn recovering(outcome: Result<u32, ApiError>) -> Result<u32, ApiError> {
    outcome
}

#[tokio::test(start_paused = true)]
async fn half_open_after_recovery_timeout_then_closes_after_successes() {
    assert_eq!(recovering(Err(ApiError::Down)).await, Err(ApiError::Down));
    assert_eq!(state("recovers"), State::Open);
    tokio::time::advance(Duration::from_secs(9)).await;
    assert!(matches!(
        recovering(Ok(1)).await,
        Err(ApiError::Rejected(_))
    ));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(recovering(Ok(1)).await, Ok(1), "a trial call goes through");
    assert_eq!(state("recovers"), State::HalfOpen);
    assert_eq!(recovering(Ok(2)).await, Ok(2));
    assert_eq!(state("recovers"), State::Closed);
}

#[circuit_breaker(name = "reopens", failure_threshold = 1, recovery_timeout = "5s")]
async fn reopening(outcome: Result<u32, ApiError>) -> Result<u32, ApiError> {
    outcome
}

#[tokio::test(start_paused = true)]
async fn a_failed_trial_opens_it_again() {
    let _ = reopening(Err(ApiError::Down)).await;
    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(reopening(Err(ApiError::Down)).await, Err(ApiError::Down));
    assert_eq!(state("reopens"), State::Open);
    assert!(matches!(reopening(Ok(1)).await, Err(ApiError::Rejected(_))));
}

#[circuit_breaker(
    name = "trials",
    failure_threshold = 1,
    recovery_timeout = "1s",
    half_open_max_calls = 2
)]
async fn slow_trial(
    gate: Arc<tokio::sync::Notify>,
    outcome: Result<u32, ApiError>,
) -> Result<u32, ApiError> {
    gate.notified().await;
    outcome
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_at_most_half_open_max_calls_at_once() {
    let gate = Arc::new(tokio::sync::Notify::new());
    gate.notify_one();
    let _ = slow_trial(gate.clone(), Err(ApiError::Down)).await;
    tokio::time::advance(Duration::from_secs(2)).await;
    let first = tokio::spawn(slow_trial(gate.clone(), Ok(1)));
    let second = tokio::spawn(slow_trial(gate.clone(), Ok(2)));
    tokio::task::yield_now().await;
    // Two trials are in flight; a third is rejected without running.
    assert!(matches!(
        slow_trial(gate.clone(), Ok(3)).await,
        Err(ApiError::Rejected(Error::CircuitOpen { .. }))
    ));
    gate.notify_waiters();
    assert_eq!(first.await.unwrap(), Ok(1));
    assert_eq!(second.await.unwrap(), Ok(2));
    assert_eq!(state("trials"), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_trial_releases_its_permit() {
    #[circuit_breaker(name = "dropped", failure_threshold = 1, recovery_timeout = "1s")]
    async fn hangs(hang: bool) -> Result<(), ApiError> {
        if hang {
            std::future::pending::<()>().await;
        }
        Err(ApiError::Down)
    }
    let _ = hangs(false).await;
    tokio::time::advance(Duration::from_secs(2)).await;
    // The one trial hangs and is cancelled by a timeout: its permit must come back.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), hangs(true))
            .await
            .is_err()
    );
    #[circuit_breaker(name = "dropped")]
    async fn succeeds() -> Result<(), ApiError> {
        Ok(())
    }
    assert_eq!(succeeds().await, Ok(()), "the next trial is admitted");
}

#[circuit_breaker(name = "panics", failure_threshold = 2)]
fn panics(should: bool) -> Result<(), ApiError> {
    if should {
        panic!("boom");
    }
    Ok(())
}

#[test]
fn a_panic_counts_as_a_failure_and_propagates_unchanged() {
    for _ in 0..2 {
        let caught = std::panic::catch_unwind(|| panics(true)).unwrap_err();
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom"));
    }
    assert_eq!(state("panics"), State::Open);
}

#[circuit_breaker(
    name = "rate",
    failure_rate = 0.5,
    window = 10,
    minimum_calls = 4,
    failure_threshold = 1000
)]
fn rated(fail: bool) -> Result<(), ApiError> {
    if fail { Err(ApiError::Down) } else { Ok(()) }
}

#[test]
fn failure_rate_over_a_count_window() {
    // 1 failure in 3 calls: below the minimum number of calls.
    let _ = rated(true);
    let _ = rated(false);
    let _ = rated(false);
    assert_eq!(state("rate"), State::Closed);
    // 2 failures in 4 calls: 50% reaches the rate.
    let _ = rated(true);
    assert_eq!(state("rate"), State::Open);
}

#[circuit_breaker(name = "slow", slow_call = "100ms", failure_threshold = 2)]
async fn slow(delay_ms: u64) -> Result<(), ApiError> {
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_calls_count_as_failures() {
    assert_eq!(
        slow(500).await,
        Ok(()),
        "a slow call still returns its value"
    );
    assert_eq!(slow(500).await, Ok(()));
    assert_eq!(state("slow"), State::Open);
}

fn cached(key: u32) -> Result<String, ApiError> {
    Ok(format!("cached {key}"))
}

#[circuit_breaker(name = "fallback", failure_threshold = 1, fallback = cached)]
fn live(key: u32) -> Result<String, ApiError> {
    let _ = key;
    Err(ApiError::Down)
}

#[circuit_breaker(name = "fallback_failure", failure_threshold = 5, fallback = cached, fallback_on_failure = true)]
fn live_or_cached(key: u32) -> Result<String, ApiError> {
    let _ = key;
    Err(ApiError::Down)
}

#[test]
fn fallback_answers_rejected_and_optionally_failed_calls() {
    assert_eq!(
        live(1),
        Err(ApiError::Down),
        "a failure is returned unless asked"
    );
    assert_eq!(live(2), Ok("cached 2".into()), "a rejected call falls back");
    assert_eq!(live_or_cached(3), Ok("cached 3".into()));
}

struct Repo {
    fallback_value: u32,
}

impl Repo {
    fn stale(&self, _id: u32) -> Result<u32, ApiError> {
        Ok(self.fallback_value)
    }

    #[circuit_breaker(name = "method_fallback", failure_threshold = 1, fallback = stale)]
    fn fresh(&self, id: u32) -> Result<u32, ApiError> {
        let _ = id;
        Err(ApiError::Down)
    }
}

#[test]
fn methods_fall_back_to_methods() {
    let repo = Repo { fallback_value: 7 };
    assert_eq!(repo.fresh(1), Err(ApiError::Down));
    assert_eq!(repo.fresh(1), Ok(7));
}

#[circuit_breaker(name = "io_breaker", failure_threshold = 1)]
fn io_call() -> io::Result<()> {
    Err(io::ErrorKind::ConnectionRefused.into())
}

#[circuit_breaker(name = "boxed_breaker", failure_threshold = 1)]
fn boxed_call() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err("down".into())
}

#[circuit_breaker(name = "anyhow_breaker", failure_threshold = 1)]
fn anyhow_call() -> anyhow::Result<()> {
    Err(anyhow::anyhow!("down"))
}

#[circuit_breaker(name = "own_error_breaker", failure_threshold = 1)]
fn own_error_call() -> Result<(), Error> {
    Ok(())
}

#[test]
fn common_error_types_carry_the_rejection() {
    let _ = io_call();
    let rejected = io_call().unwrap_err();
    assert!(
        rejected
            .get_ref()
            .unwrap()
            .downcast_ref::<Error>()
            .unwrap()
            .is_circuit_open()
    );
    let _ = boxed_call();
    assert!(
        boxed_call()
            .unwrap_err()
            .downcast_ref::<Error>()
            .unwrap()
            .is_circuit_open()
    );
    let _ = anyhow_call();
    assert!(
        anyhow_call()
            .unwrap_err()
            .downcast_ref::<Error>()
            .unwrap()
            .is_circuit_open()
    );
    assert_eq!(own_error_call(), Ok(()));
}

#[test]
fn operators_can_force_open_and_disable() {
    #[circuit_breaker(name = "operated")]
    fn operated() -> Result<(), ApiError> {
        Ok(())
    }
    assert_eq!(operated(), Ok(()));
    let breaker = breakers::get("operated").unwrap();
    breaker.force_open();
    assert!(matches!(operated(), Err(ApiError::Rejected(_))));
    breaker.disable();
    assert_eq!(operated(), Ok(()));
    breaker.reset();
    assert_eq!(breaker.state(), State::Closed);
}

#[circuit_breaker(name = "mismatch", failure_threshold = 2)]
fn mismatch_a() -> Result<(), ApiError> {
    Ok(())
}

#[circuit_breaker(name = "mismatch", failure_threshold = 7)]
fn mismatch_b() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn a_mismatch_between_call_sites_is_reported_once_naming_both() {
    for _ in 0..3 {
        let _ = mismatch_a();
        let _ = mismatch_b();
    }
    let conflicts: Vec<_> = breakers::config_conflicts()
        .into_iter()
        .filter(|c| &*c.name == "mismatch")
        .collect();
    assert_eq!(conflicts.len(), 1, "reported once: {conflicts:?}");
    let conflict = &conflicts[0];
    assert_ne!(conflict.first_site, conflict.site);
    for site in [conflict.first_site, conflict.site] {
        assert!(
            site.starts_with("tests/circuit_breaker.rs:") || site.contains("circuit_breaker.rs:"),
            "{site}"
        );
    }
    assert_eq!(
        conflict.first.failure_threshold(),
        2,
        "the first site's settings are in force"
    );
    assert_eq!(
        breakers::get("mismatch")
            .unwrap()
            .config()
            .failure_threshold(),
        2
    );
}

static WHEN_CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn counted_once(error: &ApiError) -> bool {
    WHEN_CALLS.fetch_add(1, Ordering::SeqCst);
    is_outage(error)
}

#[circuit_breaker(name = "when_once", failure_threshold = 5, when = counted_once, fallback = cached, fallback_on_failure = true)]
fn when_once(key: u32) -> Result<String, ApiError> {
    let _ = key;
    Err(ApiError::Down)
}

#[test]
fn with_fallback_on_failure_when_runs_once_per_call() {
    assert_eq!(when_once(4), Ok("cached 4".into()));
    assert_eq!(WHEN_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(breakers::get("when_once").unwrap().stats().failures, 1);
}

#[circuit_breaker(name = "cb.adaptive", adaptive = 2.0, window = 100)]
fn throttled(runs: &AtomicU32) -> Result<(), Error> {
    runs.fetch_add(1, Ordering::Relaxed);
    Err(Error::timeout("upstream", Duration::ZERO))
}

#[test]
fn adaptive_throttling_sheds_calls_to_a_dependency_that_is_down_and_never_opens() {
    let runs = AtomicU32::new(0);
    let mut rejections = 0;
    for _ in 0..10_100 {
        if let Err(Error::CircuitOpen { retry_in, .. }) = throttled(&runs) {
            assert_eq!(retry_in, None);
            rejections += 1;
        }
    }
    let ran = runs.load(Ordering::Relaxed);
    assert_eq!(ran + rejections, 10_100);
    // After the first calls fill the window, about one call in 101 goes through.
    assert!((100..300).contains(&ran), "{ran} calls ran");
    let breaker = breakers::get("cb.adaptive").unwrap();
    let stats = breaker.stats();
    assert_eq!(stats.state, State::Closed);
    let adaptive = stats.adaptive.unwrap();
    assert_eq!((adaptive.requests, adaptive.accepts), (100, 0));
    assert!(adaptive.rejection_probability > 0.99);
    let config = breaker.config().adaptive().unwrap();
    assert_eq!(
        (config.k(), config.window()),
        (2.0, resilience::Window::Calls(100))
    );
}

// The attribute emits only what is written, except where a runtime builder takes a default
// together with a written setting: there it must spell the documented default.

#[circuit_breaker(name = "cb.defaults.rate", failure_rate = 0.5)]
fn rate_alone() -> Result<(), ApiError> {
    Ok(())
}

#[circuit_breaker(name = "cb.defaults.small_window", failure_rate = 0.5, window = 4)]
fn rate_in_a_small_window() -> Result<(), ApiError> {
    Ok(())
}

#[circuit_breaker(name = "cb.defaults.backoff", recovery_backoff = 2.0)]
fn backoff_alone() -> Result<(), ApiError> {
    Ok(())
}

#[circuit_breaker(
    name = "cb.defaults.backoff_1s",
    recovery_timeout = "1s",
    recovery_backoff = 2.0
)]
fn backoff_from_one_second() -> Result<(), ApiError> {
    Ok(())
}

const TWO_SECONDS: Duration = Duration::from_secs(2);

#[circuit_breaker(
    name = "cb.defaults.backoff_const",
    recovery_timeout = TWO_SECONDS,
    recovery_backoff = 2.0
)]
fn backoff_from_a_constant() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn defaults_written_beside_a_setting_are_the_documented_ones() {
    let config = |name: &str| breakers::get(name).expect("registered").config();
    rate_alone().unwrap();
    let rate = config("cb.defaults.rate").failure_rate().unwrap();
    assert_eq!(
        (rate.window(), rate.minimum_calls()),
        (resilience::Window::Calls(100), 10)
    );
    rate_in_a_small_window().unwrap();
    let rate = config("cb.defaults.small_window").failure_rate().unwrap();
    assert_eq!(
        (rate.window(), rate.minimum_calls()),
        (resilience::Window::Calls(4), 4)
    );
    // The cap of the grown open time: ten times the recovery timeout.
    backoff_alone().unwrap();
    assert_eq!(
        config("cb.defaults.backoff").recovery_backoff(),
        (2.0, Duration::from_secs(600))
    );
    backoff_from_one_second().unwrap();
    assert_eq!(
        config("cb.defaults.backoff_1s").recovery_backoff(),
        (2.0, Duration::from_secs(10))
    );
    backoff_from_a_constant().unwrap();
    assert_eq!(
        config("cb.defaults.backoff_const").recovery_backoff(),
        (2.0, Duration::from_secs(20))
    );
}

// A method's default name includes the type it is implemented on, `module::Type::method`, so
// that `impl A { fn get }` and `impl B { fn get }` in one module never share a breaker by
// accident. Sharing stays one `name = ".."` away.

struct Inventory;
struct Pricing;

impl Inventory {
    #[circuit_breaker(failure_threshold = 1)]
    fn get(&self, outcome: Result<(), ApiError>) -> Result<(), ApiError> {
        outcome
    }

    // No `self`, but `Self` in the signature: still a method of `Inventory`.
    #[circuit_breaker]
    fn open() -> Result<Self, ApiError> {
        Ok(Inventory)
    }
}

impl Pricing {
    #[circuit_breaker(failure_threshold = 1)]
    fn get(&self, outcome: Result<(), ApiError>) -> Result<(), ApiError> {
        outcome
    }
}

#[test]
fn methods_of_two_types_have_a_breaker_each() {
    let inventory = concat!(module_path!(), "::Inventory::get");
    let pricing = concat!(module_path!(), "::Pricing::get");
    assert_eq!(Inventory.get(Err(ApiError::Down)), Err(ApiError::Down));
    assert_eq!(state(inventory), State::Open);
    assert!(matches!(
        Inventory.get(Ok(())),
        Err(ApiError::Rejected(Error::CircuitOpen { .. }))
    ));
    // Inventory's failures do not reject Pricing's calls.
    assert_eq!(Pricing.get(Ok(())), Ok(()));
    assert_eq!(state(pricing), State::Closed);
    assert!(matches!(Inventory::open(), Ok(Inventory)));
    assert_eq!(
        state(concat!(module_path!(), "::Inventory::open")),
        State::Closed
    );
    assert!(
        breakers::get(concat!(module_path!(), "::get")).is_none(),
        "no breaker under the function's name alone"
    );
}

// The generic arguments are not part of the name: a call site makes one breaker, whatever the
// type it was first called for.

struct Store<T>(std::marker::PhantomData<T>);

impl<T> Store<T> {
    #[circuit_breaker(failure_threshold = 1)]
    fn load(&self, outcome: Result<(), ApiError>) -> Result<(), ApiError> {
        outcome
    }
}

#[test]
fn a_generic_type_shares_one_breaker_named_without_its_arguments() {
    let name = concat!(module_path!(), "::Store::load");
    let bytes = Store::<u8>(std::marker::PhantomData);
    let text = Store::<String>(std::marker::PhantomData);
    assert_eq!(bytes.load(Err(ApiError::Down)), Err(ApiError::Down));
    assert_eq!(state(name), State::Open);
    assert!(matches!(
        text.load(Ok(())),
        Err(ApiError::Rejected(Error::CircuitOpen { .. }))
    ));
}

// failsafe's rule as an option, beside the default.

#[test]
fn an_uncounted_error_leaves_the_consecutive_count_and_others_as_success_resets_it() {
    use resilience::{BreakerConfig, CircuitBreaker, State};
    let is_server_error = |status: &u16| *status >= 500;
    let calls = [500, 404, 500, 404, 500];

    // Default: a 404 says nothing of the server's health; three 500s in a row open it.
    let breaker = CircuitBreaker::new(
        "tests.uncounted",
        BreakerConfig::new().with_failure_threshold(3),
    );
    for status in calls {
        let _ = breaker
            .when(is_server_error)
            .call_or_else(|_| 503, || Err::<(), _>(status));
    }
    assert_eq!(breaker.state(), State::Open);
    assert_eq!(breaker.stats().uncounted, 2);

    // failsafe's rule: a 404 is an answer, a success, which resets the count.
    let breaker = CircuitBreaker::new(
        "tests.as_success",
        BreakerConfig::new().with_failure_threshold(3),
    );
    let guarded = breaker.when(is_server_error).others_as_success();
    for status in calls {
        let _ = guarded.call_or_else(|_| 503, || Err::<(), _>(status));
    }
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.stats().successes, 2);

    // Open, the call does not run, and the rejection becomes the caller's error.
    let open = CircuitBreaker::new(
        "tests.rejected",
        BreakerConfig::new().with_failure_threshold(1),
    );
    let _ = open.call_or_else(|_| 503u16, || Err::<(), _>(500));
    let mut ran = false;
    let result = open.call_or_else(
        |_| 503u16,
        || {
            ran = true;
            Ok(())
        },
    );
    assert_eq!((result, ran), (Err(503), false));
}
