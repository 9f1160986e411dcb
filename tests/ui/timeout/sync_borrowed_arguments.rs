use resilience::{timeout, Error};

#[derive(Debug)]
struct ApiError;

impl From<Error> for ApiError {
    fn from(_: Error) -> Self {
        ApiError
    }
}

struct Client;

impl Client {
    #[timeout("1s")]
    fn fetch(&self, key: &str, ids: Vec<&'static str>) -> Result<(), ApiError> {
        let _ = (key, ids);
        Ok(())
    }
}

fn main() {}

// `'static` borrows are owned enough.
#[timeout("1s")]
fn fine(key: &'static str, ids: Vec<&'static str>) -> Result<(), ApiError> {
    let _ = (key, ids);
    Ok(())
}
