use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(window = 100, minimum_calls = 10)]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
