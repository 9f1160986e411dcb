use resilience::{timeout, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[timeout]
async fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
