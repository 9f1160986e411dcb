use resilience::{timeout, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

const LIMIT: u64 = 250;

#[timeout(LIMIT)]
async fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
