use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(fallback = Self)]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
