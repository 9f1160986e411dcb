use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(max_recovery_timeout = "10m")]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
