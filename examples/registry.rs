//! The breaker registry, for operators: list every breaker with its stats, subscribe to state
//! changes, reset, force open and disable a breaker, and change a breaker's settings while the
//! program runs with `breakers::configure`.
//!
//! Run it with `cargo run --example registry`.

use std::time::Duration;

use resilience::{BreakerConfig, Error, breakers, circuit_breaker};

#[circuit_breaker(name = "payments", failure_threshold = 3, recovery_timeout = "30s")]
fn charge(amount: u32, up: bool) -> Result<u32, Error> {
    if up {
        Ok(amount)
    } else {
        Err(Error::timeout("payments gateway", Duration::from_secs(2)))
    }
}

#[circuit_breaker(name = "inventory")]
fn reserve(item: u32) -> Result<u32, Error> {
    Ok(item)
}

/// What an operator's console or a metrics exporter would read.
fn print_stats(title: &str) {
    println!("\n{title}");
    println!(
        "  {:<10} {:<12} {:>6} {:>6} {:>8} {:>9}",
        "breaker", "state", "calls", "failed", "rejected", "trial in"
    );
    for stats in breakers::stats() {
        let trial_in = stats
            .until_half_open
            .map_or_else(|| "-".to_string(), |d| format!("{:.1}s", d.as_secs_f64()));
        println!(
            "  {:<10} {:<12} {:>6} {:>6} {:>8} {:>9}",
            stats.name,
            stats.state.as_str(), // `as_str`, so that the column width applies
            stats.calls,
            stats.failures,
            stats.rejections,
            trial_in
        );
    }
}

fn main() {
    // Alerts and logs: every state change of every breaker.
    breakers::on_state_change(|change| println!("  [alert] {change}"));

    println!("traffic: 5 reservations, then payments while the gateway is down");
    for item in 0..5 {
        reserve(item).expect("inventory is up");
    }
    for _ in 0..5 {
        if let Err(error) = charge(100, false) {
            println!("  charge: {error}");
        }
    }
    print_stats("breakers::stats():");

    // The gateway is back: an operator need not wait 30 s for the trial call.
    let payments = breakers::get("payments").expect("used above, so registered");
    payments.reset();
    println!("\nafter reset: charge -> {:?}", charge(100, true));

    // Maintenance window: refuse every call until reset, whatever the counts say.
    payments.force_open();
    println!(
        "forced open: charge -> {:?}",
        charge(100, true).map_err(|e| e.to_string())
    );
    payments.reset();

    // An incident where the breaker itself is in the way: let everything through, still counting.
    payments.disable();
    for _ in 0..5 {
        let _ = charge(100, false);
    }
    println!("disabled: 5 failures, state still {}", payments.state());
    payments.reset();

    // New settings at run time, say from a config reload: they win over the attribute's.
    breakers::configure(
        "payments",
        BreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::from_millis(200)),
    );
    println!("\nreconfigured: failure_threshold 1, recovery_timeout 200ms");
    let _ = charge(100, false); // one failure now opens it
    std::thread::sleep(Duration::from_millis(250));
    println!("after 250 ms, a trial call: {:?}", charge(100, true));

    print_stats("breakers::stats() at the end:");
}
