use resilience::{circuit_breaker, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

fn cached() -> Result<(), ApiError> {
    Ok(())
}

#[circuit_breaker(fallback = cached)]
fn fetch(key: u32) -> Result<(), ApiError> {
    let _ = key;
    Ok(())
}

fn main() {}
