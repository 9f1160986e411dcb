use resilience::circuit_breaker;

#[circuit_breaker(name = "search", max_trial_wait = 5)]
fn search() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {}
