//! Retry budgets: every `#[retry]` site and plain-API retry draws its retries from a budget
//! (20% of its calls plus 10 retries a second, over 10 s, unless configured), so that a
//! dependency that fails every call does not receive `max_attempts` times its load. Every
//! test uses names of its own: budgets and statistics are process-wide.

use std::{
    sync::atomic::{AtomicU32, Ordering::Relaxed},
    time::Duration,
};

use resilience::{BudgetConfig, RetryPolicy, budgets, retries, retry};
use tokio::time::Instant;

#[derive(Debug, PartialEq, Clone, Copy)]
struct Down(u32);

fn down(runs: &AtomicU32) -> Result<(), Down> {
    Err(Down(runs.fetch_add(1, Relaxed) + 1))
}

#[retry(name = "budget.own", max_attempts = 3, initial_delay = "0ms", jitter = none)]
fn own_budget(runs: &AtomicU32) -> Result<(), Down> {
    down(runs)
}

#[test]
fn a_site_retries_at_most_a_fifth_of_its_calls_plus_the_floor() {
    let runs = AtomicU32::new(0);
    for _ in 0..1_000 {
        let _ = own_budget(&runs);
    }
    // 1,000 calls: at most 200 retries from the ratio and 100 from the floor (10 a second
    // over 10 s), instead of 2,000.
    let retried = runs.load(Relaxed) - 1_000;
    assert!((290..=300).contains(&retried), "{retried} retries");
    let stats = retries::get("budget.own").unwrap();
    assert_eq!(stats.calls, 1_000);
    assert_eq!(stats.retries, u64::from(retried));
    assert!(stats.budget_exhausted >= 700, "{stats:?}");
    assert_eq!(stats.give_ups, 1_000);
}

#[retry(
    name = "budget.none",
    max_attempts = 3,
    initial_delay = "0ms",
    jitter = none,
    budget = none
)]
fn no_budget(runs: &AtomicU32) -> Result<(), Down> {
    down(runs)
}

#[test]
fn budget_none_makes_every_attempt() {
    let runs = AtomicU32::new(0);
    for _ in 0..1_000 {
        assert_eq!(no_budget(&runs), Err(Down(runs.load(Relaxed))));
    }
    assert_eq!(runs.load(Relaxed), 3_000);
    assert_eq!(retries::get("budget.none").unwrap().budget_exhausted, 0);
}

#[retry(max_attempts = 3, initial_delay = "0ms", budget = "budget.shared")]
fn shared_a(runs: &AtomicU32) -> Result<(), Down> {
    down(runs)
}

#[retry(max_attempts = 3, initial_delay = "0ms", budget = "budget.shared")]
fn shared_b(ok: bool) -> Result<(), Down> {
    if ok { Ok(()) } else { Err(Down(0)) }
}

#[test]
fn sites_naming_a_budget_share_it() {
    assert!(
        budgets::get("budget.shared").is_none(),
        "created on first use"
    );
    budgets::configure(
        "budget.shared",
        BudgetConfig::new()
            .with_ratio(0.5)
            .with_min_retries_per_second(0),
    );
    // B's successes pay for A's retries: 50% of 100 calls.
    for _ in 0..100 {
        shared_b(true).unwrap();
    }
    let runs = AtomicU32::new(0);
    let _ = shared_a(&runs);
    assert_eq!(
        runs.load(Relaxed),
        3,
        "101 calls: 50.5 retries in the budget"
    );
    for _ in 0..100 {
        let _ = shared_a(&runs);
    }
    let stats = budgets::get("budget.shared").unwrap().stats();
    // 201 calls make 100.5 retries: 100 of them taken, by either site.
    assert_eq!(stats.calls, 201);
    assert_eq!(stats.retries, 100);
    assert_eq!(runs.load(Relaxed), 101 + 100);
    assert!(stats.refused > 0);
    assert!(budgets::stats().iter().any(|s| s.name == "budget.shared"));
    assert!(stats.to_string().contains("retry budget `budget.shared`"));
}

#[retry(
    name = "budget.refused-at-once",
    max_attempts = 100,
    backoff = constant,
    initial_delay = "1ms",
    jitter = none,
    budget = "budget.refused-at-once"
)]
async fn quick_retries(runs: &AtomicU32) -> Result<(), Down> {
    down(runs)
}

#[tokio::test(start_paused = true)]
async fn a_refused_retry_ends_the_call_at_once_with_the_last_error() {
    budgets::configure(
        "budget.refused-at-once",
        BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(1)
            .with_window(Duration::from_secs(10)),
    );
    let runs = AtomicU32::new(0);
    let start = Instant::now();
    // The floor allows 10 retries in 10 s: the first call takes them all, then gives up.
    assert_eq!(quick_retries(&runs).await, Err(Down(11)));
    assert_eq!(start.elapsed(), Duration::from_millis(10));
    // The next call is refused its first retry: its error comes back at once.
    let start = Instant::now();
    assert_eq!(quick_retries(&runs).await, Err(Down(12)));
    assert_eq!(start.elapsed(), Duration::ZERO);
    // Once the retries have left the window, the floor is back.
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(quick_retries(&runs).await, Err(Down(23)));
    let stats = retries::get("budget.refused-at-once").unwrap();
    assert_eq!((stats.calls, stats.retries), (3, 20));
    assert_eq!(stats.budget_exhausted, 3);
}

#[test]
fn the_plain_api_draws_from_the_named_retry_budget_a_shared_one_or_none() {
    let policy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_initial_delay(Duration::ZERO);
    let runs = AtomicU32::new(0);

    // Named: the name's own budget.
    let named = policy.retrying().named("budget.plain-named");
    for _ in 0..500 {
        let _ = named.call(|| down(&runs));
    }
    let retried = runs.swap(0, Relaxed) - 500;
    assert!((190..=200).contains(&retried), "{retried}");
    assert!(retries::get("budget.plain-named").unwrap().budget_exhausted > 0);

    // Shared.
    let shared = budgets::configure(
        "budget.plain-shared",
        BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(0),
    );
    let _ = policy.retrying().budget(shared).call(|| down(&runs));
    assert_eq!(runs.swap(0, Relaxed), 1, "an empty budget: no retry");
    assert_eq!(shared.stats().calls, 1);

    // None.
    let _ = policy
        .retrying()
        .without_budget()
        .budget(shared)
        .without_budget()
        .call(|| down(&runs));
    assert_eq!(runs.swap(0, Relaxed), 3);
}

#[tokio::test(start_paused = true)]
async fn deposits_made_before_a_quiet_spell_expire() {
    let budget = budgets::configure(
        "budget.expiry",
        BudgetConfig::new()
            .with_ratio(1.0)
            .with_min_retries_per_second(0)
            .with_window(Duration::from_secs(10)),
    );
    let retry = RetryPolicy::new()
        .with_max_attempts(2)
        .with_initial_delay(Duration::ZERO)
        .retrying()
        .budget(budget);
    // A burst of calls (the ledger looks at them every 1,024 calls of a thread)...
    for _ in 0..2_048 {
        retry
            .call_async(|| async { Ok::<_, Down>(()) })
            .await
            .unwrap();
    }
    assert_eq!(budget.stats().balance, 2_048);
    // ...then nothing for 11 s: those calls are out of the window.
    tokio::time::advance(Duration::from_secs(11)).await;
    let runs = AtomicU32::new(0);
    let _ = retry.call_async(|| async { down(&runs) }).await;
    assert_eq!(runs.load(Relaxed), 2, "its own deposit pays for one retry");
    let _ = retry.call_async(|| async { down(&runs) }).await;
    assert_eq!(runs.load(Relaxed), 4);
    let stats = budget.stats();
    assert_eq!((stats.calls, stats.retries, stats.balance), (2, 2, 0));
}

#[test]
fn configuration_is_checked_and_clamped() {
    let config = BudgetConfig::new()
        .with_ratio(-1.0)
        .with_window(Duration::ZERO);
    assert_eq!(config.ratio(), 0.0);
    assert_eq!(config.window(), Duration::from_millis(1));
    assert_eq!(BudgetConfig::default(), BudgetConfig::new());
}
