use resilience::retry;

// Peers count retries, this crate attempts: both at once would say two things.
#[retry(max_attempts = 4, max_retries = 3)]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
