// A type error in the body is reported at the user's code, under every stack.
use resilience::{circuit_breaker, retry, timeout};

#[retry(max_attempts = 2)]
#[circuit_breaker(name = "body_type_error")]
#[timeout("1s")]
fn fetch(id: u64) -> Result<u32, std::io::Error> {
    let n: u32 = id;
    Ok(n)
}

#[retry(max_attempts = 2)]
#[timeout("1s")]
async fn load(name: String) -> Result<usize, std::io::Error> {
    let length: usize = name;
    Ok(length)
}

fn main() {}
