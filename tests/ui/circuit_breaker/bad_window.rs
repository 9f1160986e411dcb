use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(failure_rate = 0.5, window = true)]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
