//! Retry statistics without any feature: each `#[retry]` site and each named plain-API retry
//! counts its calls, attempts, outcomes and sleeps in `resilience::retries`; and the presets
//! work through the attribute. Every test uses names of its own, since tests share the
//! process-wide listing.

use std::{cell::Cell, sync::Mutex, time::Duration};

use resilience::{RetryPolicy, retries, retry};

#[derive(Debug, PartialEq)]
struct Busy;

fn fail_first(calls: &Cell<u32>, failures: u32) -> Result<u32, Busy> {
    calls.set(calls.get() + 1);
    if calls.get() <= failures {
        Err(Busy)
    } else {
        Ok(calls.get())
    }
}

#[retry(name = "observe.counted", max_attempts = 3, initial_delay = "2ms", jitter = none)]
fn counted(calls: &Cell<u32>, failures: u32) -> Result<u32, Busy> {
    fail_first(calls, failures)
}

#[test]
fn the_attribute_counts_attempts_outcomes_and_sleeps_under_its_name() {
    assert!(
        retries::get("observe.counted").is_none(),
        "listed on its first call only"
    );
    for failures in [0, 0, 1, 2, 5] {
        let _ = counted(&Cell::new(0), failures);
    }
    let stats = retries::get("observe.counted").unwrap();
    assert_eq!(stats.calls, 5);
    // 1 + 1 + 2 + 3 + 3 (the last one gives up after max_attempts).
    assert_eq!(stats.attempts, 10);
    assert_eq!(stats.first_try_successes, 2);
    assert_eq!(stats.successes_after_retries, 2);
    assert_eq!(stats.give_ups, 1);
    assert_eq!(stats.retries, 5);
    // Retries sleep 2 ms (after attempt 1) or 4 ms (after attempt 2): 2 + (2+4) + (2+4).
    assert_eq!(stats.slept, Duration::from_millis(14));
    assert!(
        stats
            .to_string()
            .starts_with("observe.counted: 5 calls, 10 attempts")
    );
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
fn unnamed() -> Result<(), Busy> {
    Ok(())
}

#[test]
fn an_unnamed_site_goes_by_its_module_path_and_function_name() {
    unnamed().unwrap();
    let stats = retries::get("observe_retries::unnamed").expect("named by its path");
    assert_eq!((stats.calls, stats.first_try_successes), (1, 1));
    assert!(
        retries::all()
            .iter()
            .any(|s| s.name == "observe_retries::unnamed")
    );
}

#[retry(name = "observe.shared", max_attempts = 1)]
fn shared_a() -> Result<(), Busy> {
    Ok(())
}

#[retry(name = "observe.shared", max_attempts = 1)]
fn shared_b() -> Result<(), Busy> {
    Err(Busy)
}

#[test]
fn sites_sharing_a_name_are_listed_once_with_their_counts_added() {
    shared_a().unwrap();
    shared_b().unwrap_err();
    let listed: Vec<_> = retries::all()
        .into_iter()
        .filter(|s| s.name == "observe.shared")
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].calls, listed[0].give_ups), (2, 1));
}

fn is_busy(_: &Busy) -> bool {
    false
}

#[retry(name = "observe.not-retried", max_attempts = 5, when = is_busy)]
fn not_retried() -> Result<(), Busy> {
    Err(Busy)
}

#[test]
fn an_error_when_refuses_is_a_give_up_after_one_attempt() {
    not_retried().unwrap_err();
    let stats = retries::get("observe.not-retried").unwrap();
    assert_eq!(
        (stats.calls, stats.attempts, stats.give_ups, stats.retries),
        (1, 1, 1, 0)
    );
}

#[retry(name = "observe.async", max_attempts = 4, initial_delay = "1s", jitter = none)]
async fn fetch_async(calls: &Mutex<u32>) -> Result<u32, Busy> {
    let mut calls = calls.lock().unwrap();
    *calls += 1;
    if *calls < 3 { Err(Busy) } else { Ok(*calls) }
}

#[tokio::test(start_paused = true)]
async fn async_sites_count_too() {
    let calls = Mutex::new(0);
    assert_eq!(fetch_async(&calls).await, Ok(3));
    assert_eq!(fetch_async(&calls).await, Ok(4));
    let stats = retries::get("observe.async").unwrap();
    assert_eq!(stats.calls, 2);
    assert_eq!(stats.attempts, 4);
    assert_eq!(stats.first_try_successes, 1);
    assert_eq!(stats.successes_after_retries, 1);
    assert_eq!(stats.slept, Duration::from_secs(1 + 2));
}

#[test]
fn the_plain_api_counts_under_the_name_it_is_given() {
    let retry = RetryPolicy::new()
        .with_initial_delay(Duration::ZERO)
        .retrying()
        .named("observe.plain");
    let calls = Cell::new(0);
    assert_eq!(retry.call(|| fail_first(&calls, 1)), Ok(2));
    assert_eq!(retry.call(|| fail_first(&calls, 0)), Ok(3));
    assert_eq!(retry.call(|| Err::<(), _>(Busy)), Err(Busy));
    // Named again elsewhere: the same counts.
    let again = RetryPolicy::new().retrying().named("observe.plain");
    assert_eq!(again.call(|| Ok::<_, Busy>(())), Ok(()));

    let stats = retries::get("observe.plain").unwrap();
    assert_eq!(stats.calls, 4);
    assert_eq!(stats.attempts, 2 + 1 + 3 + 1);
    assert_eq!(stats.first_try_successes, 2);
    assert_eq!(stats.successes_after_retries, 1);
    assert_eq!(stats.give_ups, 1);
}

#[tokio::test(start_paused = true)]
async fn the_plain_async_api_counts_too() {
    let retry = RetryPolicy::new().retrying().named("observe.plain-async");
    let mut calls = 0;
    let result: Result<u32, Busy> = retry
        .call_async(|| {
            calls += 1;
            let n = calls;
            async move { if n < 2 { Err(Busy) } else { Ok(n) } }
        })
        .await;
    assert_eq!(result, Ok(2));
    let stats = retries::get("observe.plain-async").unwrap();
    assert_eq!(
        (stats.calls, stats.attempts, stats.successes_after_retries),
        (1, 2, 1)
    );
}

#[test]
fn unnamed_plain_calls_are_not_listed() {
    let _ = RetryPolicy::new().call(|| Ok::<_, Busy>(()));
    assert!(retries::get("anonymous").is_none());
}

/// Records each retry's delay, to check the presets' schedules through the attribute.
static DELAYS: Mutex<Vec<(&'static str, u32, Duration)>> = Mutex::new(Vec::new());

fn log_delay(site: &'static str) -> impl Fn(&Busy, u32, Duration) {
    move |_, attempt, delay| DELAYS.lock().unwrap().push((site, attempt, delay))
}

fn log_conservative(error: &Busy, attempt: u32, delay: Duration) {
    log_delay("conservative")(error, attempt, delay)
}

fn log_aggressive(error: &Busy, attempt: u32, delay: Duration) {
    log_delay("aggressive")(error, attempt, delay)
}

fn log_patient(error: &Busy, attempt: u32, delay: Duration) {
    log_delay("patient")(error, attempt, delay)
}

#[retry(policy = RetryPolicy::CONSERVATIVE, on_retry = log_conservative)]
async fn conservative() -> Result<(), Busy> {
    Err(Busy)
}

#[retry(policy = resilience::RetryPolicy::AGGRESSIVE, on_retry = log_aggressive)]
async fn aggressive() -> Result<(), Busy> {
    Err(Busy)
}

#[retry(policy = RetryPolicy::PATIENT, on_retry = log_patient)]
async fn patient() -> Result<(), Busy> {
    Err(Busy)
}

/// Checks a preset's run: `caps` are the exponential steps (full jitter sleeps anywhere from
/// zero up to each), one per retry.
fn check_preset(name: &'static str, caps: &[f64]) {
    let delays: Vec<_> = DELAYS
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, ..)| *n == name)
        .map(|&(_, attempt, delay)| (attempt, delay))
        .collect();
    assert_eq!(
        delays.len(),
        caps.len(),
        "{name}: one retry before each attempt after the first"
    );
    for ((attempt, delay), cap) in delays.into_iter().zip(caps) {
        assert!(
            delay <= Duration::from_secs_f64(*cap),
            "{name}: retry {attempt} slept {delay:?}, more than {cap} s"
        );
    }
    let stats = retries::get(&format!("observe_retries::{name}")).unwrap();
    assert_eq!(stats.attempts, caps.len() as u64 + 1, "{name}");
}

#[tokio::test(start_paused = true)]
async fn conservative_is_3_attempts_from_1s_doubling() {
    assert_eq!(conservative().await, Err(Busy));
    check_preset("conservative", &[1.0, 2.0]);
}

#[tokio::test(start_paused = true)]
async fn aggressive_is_5_attempts_from_half_a_second_times_1_5() {
    assert_eq!(aggressive().await, Err(Busy));
    check_preset("aggressive", &[0.5, 0.75, 1.125, 1.6875]);
}

#[tokio::test(start_paused = true)]
async fn patient_is_4_attempts_from_2s_times_2_5() {
    assert_eq!(patient().await, Err(Busy));
    check_preset("patient", &[2.0, 5.0, 12.5]);
}

fn panicking_hook(_: &Busy, _: u32, _: Duration) {
    panic!("the hook fails");
}

#[retry(
    name = "observe.hook-panics",
    initial_delay = "1ms",
    jitter = none,
    budget = none,
    on_retry = panicking_hook
)]
fn hook_panics() -> Result<(), Busy> {
    Err(Busy)
}

/// Issue 13, point 8: a retry was counted when decided, before its hook ran; a hook that
/// panics ends the call, and the retry never runs.
#[test]
fn a_retry_whose_hook_panics_is_not_counted() {
    let result = std::panic::catch_unwind(hook_panics);
    assert!(result.is_err(), "the hook's panic goes on unwinding");
    let stats = retries::get("observe.hook-panics").unwrap();
    assert_eq!((stats.attempts, stats.retries), (1, 0), "{stats:?}");
    assert_eq!(stats.slept, Duration::ZERO);
    let plain = std::panic::catch_unwind(|| {
        RetryPolicy::new()
            .with_initial_delay(Duration::from_millis(1))
            .retrying()
            .named("observe.plain-hook-panics")
            .without_budget()
            .on_retry(panicking_hook)
            .call(|| Err::<(), _>(Busy))
    });
    assert!(plain.is_err());
    let stats = retries::get("observe.plain-hook-panics").unwrap();
    assert_eq!((stats.attempts, stats.retries), (1, 0), "{stats:?}");
}

#[retry(name = "observe.dropped", initial_delay = "10s", jitter = none, budget = none)]
async fn dropped_while_asleep(calls: &Mutex<u32>) -> Result<(), Busy> {
    *calls.lock().unwrap() += 1;
    Err(Busy)
}

/// Issue 13, point 8: a call dropped during its sleep counted a retry that never ran, and
/// the whole sleep. A retry counts when its attempt starts.
#[tokio::test(start_paused = true)]
async fn a_call_dropped_during_its_sleep_counts_no_retry() {
    let calls = Mutex::new(0);
    let cut = tokio::time::timeout(Duration::from_secs(1), dropped_while_asleep(&calls)).await;
    assert!(cut.is_err(), "dropped during the 10 s sleep");
    assert_eq!(*calls.lock().unwrap(), 1);
    let stats = retries::get("observe.dropped").unwrap();
    assert_eq!((stats.attempts, stats.retries), (1, 0), "{stats:?}");
    assert_eq!(stats.slept, Duration::ZERO);
    // Let to run, the retry counts once its attempt starts, with its sleep.
    assert_eq!(dropped_while_asleep(&calls).await, Err(Busy));
    let stats = retries::get("observe.dropped").unwrap();
    assert_eq!(stats.retries, 2, "{stats:?}");
    assert_eq!(stats.slept, Duration::from_secs(10 + 20));

    let plain = RetryPolicy::new()
        .with_initial_delay(Duration::from_secs(10))
        .with_jitter(resilience::Jitter::None)
        .retrying()
        .named("observe.plain-dropped")
        .without_budget();
    let cut = tokio::time::timeout(
        Duration::from_secs(1),
        plain.call_async(|| async { Err::<(), _>(Busy) }),
    )
    .await;
    assert!(cut.is_err());
    let stats = retries::get("observe.plain-dropped").unwrap();
    assert_eq!((stats.attempts, stats.retries), (1, 0), "{stats:?}");
}
