// A window of more calls than a breaker keeps, or shorter than its time resolution, was
// clamped in silence; it is refused, as the environment and configuration files refuse it.
use resilience::{circuit_breaker, Error};

#[circuit_breaker(failure_rate = 0.5, window = 100000)]
fn by_calls() -> Result<(), Error> {
    Ok(())
}

#[circuit_breaker(failure_rate = 0.5, window = "500us")]
fn by_time() -> Result<(), Error> {
    Ok(())
}

fn main() {}
