use resilience::circuit_breaker;

// Below 1, adaptive throttling would reject calls to a healthy dependency.
#[circuit_breaker(name = "search", adaptive = 0.5)]
fn search() -> Result<(), resilience::Error> {
    Ok(())
}

#[circuit_breaker(name = "index", adaptive = "2")]
fn index() -> Result<(), resilience::Error> {
    Ok(())
}

fn main() {}
