use resilience::circuit_breaker;

#[derive(Debug)]
struct ApiError;

#[circuit_breaker(name = "db")]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
