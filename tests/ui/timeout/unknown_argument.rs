use resilience::{timeout, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

#[timeout("1s", nmae = "fetch")]
async fn fetch() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
