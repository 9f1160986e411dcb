//! The three attributes on one `async fn`, and the order they apply in: top to bottom,
//! outermost first. Each attempt of the `#[retry]` passes through the breaker, and each call
//! the breaker lets through is bounded by the `#[timeout]`.
//!
//! Run it with `cargo run --example stacking`.

use std::{
    sync::atomic::{AtomicU32, Ordering::Relaxed},
    time::Duration,
};

use resilience::{breakers, retry};

static CALLS: AtomicU32 = AtomicU32::new(0);

/// Hangs on its first call, fails on the next two, then answers.
async fn dependency() -> std::io::Result<&'static str> {
    let call = CALLS.fetch_add(1, Relaxed) + 1;
    match call {
        1 => {
            println!("    body, call {call}: hangs");
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok("too late")
        }
        2 | 3 => {
            println!("    body, call {call}: fails");
            Err(std::io::Error::other("upstream answered 503"))
        }
        _ => {
            println!("    body, call {call}: answers");
            Ok("hello")
        }
    }
}

fn log_retry(error: &std::io::Error, attempt: u32, delay: Duration) {
    println!("  retry: attempt {attempt} failed ({error}); next in {delay:?}");
}

// Outermost first: retry > breaker > timeout. The inner attributes are written with their
// paths: the outermost one expands the whole stack, so a `use` of the inner ones would be
// reported unused.
#[retry(max_attempts = 5, initial_delay = "50ms", jitter = none, on_retry = log_retry)]
#[resilience::circuit_breaker(name = "stacking", failure_threshold = 2, recovery_timeout = "150ms")]
#[resilience::timeout("100ms")]
async fn call_dependency() -> std::io::Result<&'static str> {
    dependency().await
}

/// The reverse order: one deadline for the whole retry loop, sleeps included.
#[resilience::timeout("120ms")]
#[retry(max_attempts = 10, initial_delay = "50ms", jitter = none, on_retry = log_retry)]
async fn bounded_loop() -> std::io::Result<()> {
    println!(
        "    body: fails; time left {:?}",
        resilience::deadline::remaining()
    );
    Err(std::io::Error::other("upstream answered 503"))
}

#[tokio::main]
async fn main() {
    breakers::on_state_change(|change| println!("  {change}"));

    println!("retry > circuit_breaker > timeout:");
    let result = call_dependency().await;
    println!("=> {result:?}\n");
    // What happened: call 1 hung and the timeout cut it at 100 ms, a failure for the breaker;
    // call 2 failed, the second failure in a row, so the breaker opened; attempt 3 was refused
    // without running the body; after 150 ms a trial call went through, failed and opened the
    // breaker again; the next trial succeeded and closed it.

    println!("timeout > retry: 120 ms for the whole loop");
    let result = bounded_loop().await;
    println!("=> {result:?}");
    // The retry saw the deadline and gave up rather than sleep past it: its last error is
    // returned, not a timeout.
}
