//! The plain API: the engines behind the attributes, for closures and for code that cannot
//! take an attribute (a call built at run time, a trait object, a policy read from config).
//! `RetryPolicy::call` and `call_async`, `CircuitBreaker::call`, `timeout_async` and
//! `timeout_sync`, and `deadline::remaining` inside a timeout.
//!
//! Run it with `cargo run --example plain_api`.

use std::{cell::Cell, io, time::Duration};

use resilience::{
    BreakerConfig, CircuitBreaker, Jitter, RetryPolicy, breakers, classify, deadline,
    timeout_async, timeout_sync,
};

/// A policy is plain data with `const` builders: share one across the program.
const DATABASE: RetryPolicy = RetryPolicy::new()
    .with_max_attempts(4)
    .with_initial_delay(Duration::from_millis(20))
    .with_jitter(Jitter::Equal);

#[tokio::main]
async fn main() {
    // 1. A sync closure, every error retried.
    let attempts = Cell::new(0);
    let rows: Result<u32, &str> = DATABASE.call(|| {
        attempts.set(attempts.get() + 1);
        if attempts.get() < 3 {
            Err("busy")
        } else {
            Ok(42)
        }
    });
    println!(
        "RetryPolicy::call: {rows:?} after {} attempts",
        attempts.get()
    );

    // 2. With a predicate and a hook: only transient I/O errors are retried.
    let attempts = Cell::new(0);
    let opened: io::Result<()> = DATABASE
        .retrying()
        .when(classify::is_transient_io)
        .on_retry(|error: &io::Error, attempt, delay| {
            println!("  attempt {attempt} failed ({error}), next in {delay:?}");
        })
        .call(|| {
            attempts.set(attempts.get() + 1);
            match attempts.get() {
                1 => Err(io::ErrorKind::ConnectionReset.into()),
                _ => Err(io::ErrorKind::PermissionDenied.into()), // not transient: returned at once
            }
        });
    println!(
        "retrying().when(..): {opened:?} after {} attempts",
        attempts.get()
    );

    // 3. An async closure: each attempt is a new future.
    let attempts = Cell::new(0);
    let body: Result<&str, io::Error> = DATABASE
        .call_async(|| {
            attempts.set(attempts.get() + 1);
            let attempt = attempts.get();
            async move {
                if attempt < 2 {
                    Err(io::ErrorKind::TimedOut.into())
                } else {
                    Ok("pong")
                }
            }
        })
        .await;
    println!(
        "RetryPolicy::call_async: {body:?} after {} attempts",
        attempts.get()
    );

    // 4. A breaker of your own, outside the registry...
    let breaker = CircuitBreaker::new("search", BreakerConfig::new().with_failure_threshold(2));
    for _ in 0..3 {
        let result: io::Result<u32> = breaker.call(|| Err(io::Error::other("search is down")));
        println!(
            "CircuitBreaker::call: {:?}",
            result.map_err(|e| e.to_string())
        );
    }
    // ...or a named one in the registry, shared with `#[circuit_breaker(name = "stock")]`.
    let stock: io::Result<u32> = breakers::configure("stock", BreakerConfig::new()).call(|| Ok(7));
    println!("breakers::configure(..).call: {stock:?}");

    // 5. Timeouts. Async: the future is dropped at the deadline; the body sees the time left.
    let page: io::Result<String> = timeout_async("search", Duration::from_millis(200), async {
        let left = deadline::remaining().expect("inside a timeout");
        println!("  inside timeout_async: {left:?} left, enough for a 50 ms query");
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok("results".to_string())
    })
    .await;
    println!("timeout_async: {page:?}");
    let slow: io::Result<String> = timeout_async("search", Duration::from_millis(50), async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok("too late".to_string())
    })
    .await;
    println!(
        "timeout_async: {}",
        slow.map_err(|e| e.to_string()).unwrap_err()
    );

    // Sync: the body runs on a pooled worker thread, hence owned (`'static`) captures; at the
    // deadline the caller gets the error and the body finishes on its own.
    let path = std::env::temp_dir().join("resilience-plain-api.txt");
    let read: io::Result<usize> = timeout_sync("read", Duration::from_secs(1), move || {
        std::fs::write(&path, "hello")?;
        let text = std::fs::read_to_string(&path)?;
        std::fs::remove_file(&path)?;
        Ok(text.len())
    });
    println!("timeout_sync: {read:?}");
    let hung: io::Result<()> = timeout_sync("hang", Duration::from_millis(50), || {
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    });
    println!(
        "timeout_sync: {}",
        hung.map_err(|e| e.to_string()).unwrap_err()
    );

    // 6. A retry inside a deadline gives up rather than sleep past it.
    let attempts = Cell::new(0);
    let bounded: io::Result<()> = deadline::within(Duration::from_millis(100), async {
        RetryPolicy::new()
            .with_max_attempts(10)
            .with_initial_delay(Duration::from_millis(40))
            .with_jitter(Jitter::None)
            .call_async(|| {
                attempts.set(attempts.get() + 1);
                async { Err(io::ErrorKind::ConnectionRefused.into()) }
            })
            .await
    })
    .await;
    println!(
        "deadline::within(100ms, retry): {:?} after {} attempts, not 10",
        bounded.map_err(|e| e.kind()),
        attempts.get()
    );
}
