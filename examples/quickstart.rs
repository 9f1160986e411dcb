//! The smallest useful program: a flaky call made reliable with one attribute.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::atomic::{AtomicU32, Ordering};

use resilience::retry;

static CALLS: AtomicU32 = AtomicU32::new(0);

#[derive(Debug)]
struct Unavailable;

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("service unavailable")
    }
}

/// Fails twice, then answers: a dependency having a bad moment.
#[retry(max_attempts = 5, initial_delay = "50ms", on_retry = log_retry)]
fn fetch_greeting(name: &str) -> Result<String, Unavailable> {
    let call = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    if call < 3 {
        return Err(Unavailable);
    }
    Ok(format!("hello, {name} (after {call} calls)"))
}

fn log_retry(error: &Unavailable, attempt: u32, delay: std::time::Duration) {
    println!("attempt {attempt} failed ({error}); retrying in {delay:?}");
}

fn main() {
    match fetch_greeting("world") {
        Ok(greeting) => println!("{greeting}"),
        Err(error) => println!("gave up: {error}"),
    }
}
