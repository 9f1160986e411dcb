use resilience::retry;

const ATTEMPTS: u32 = 3;

// A policy is a `RetryPolicy`; a number of attempts is `max_attempts`.
#[retry(policy = ATTEMPTS)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
