// A refused attribute leaves the function as written: no lint fires on the body's braces
// (there once was an "unnecessary braces around block return value" warning here).
use resilience::{retry, timeout};

#[retry(max_attempts = 0)]
fn fetch() -> Result<u32, resilience::Error> { Ok(1) }

#[retry(max_attempts = 0)]
#[timeout("1s")]
async fn load() -> Result<u32, resilience::Error> { Ok(2) }

fn main() {}
