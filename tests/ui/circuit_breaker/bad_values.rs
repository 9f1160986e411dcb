use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(name = payments, failure_threshold = 0, recovery_timeout = "30", half_open_max_calls = -1)]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
