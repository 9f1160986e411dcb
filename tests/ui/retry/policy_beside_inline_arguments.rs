use resilience::{RetryPolicy, retry};

const POLICY: RetryPolicy = RetryPolicy::new();

#[retry(policy = POLICY, max_attempts = 5, jitter = none)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
