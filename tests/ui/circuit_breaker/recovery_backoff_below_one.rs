use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[circuit_breaker(recovery_backoff = 0.5, max_recovery_timeout = "10s")]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
