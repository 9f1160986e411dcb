use resilience::retry;

#[retry(max_attempts = "unlimited")]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
