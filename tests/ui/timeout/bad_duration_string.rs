use resilience::{timeout, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[timeout("250 milliseconds")]
async fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
