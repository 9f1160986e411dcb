use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

fn is_outage(status: &u16) -> bool {
    *status >= 500
}

#[circuit_breaker(when = is_outage)]
fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
