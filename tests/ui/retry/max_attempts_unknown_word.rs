use resilience::retry;

#[retry(max_attempts = forever)]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
