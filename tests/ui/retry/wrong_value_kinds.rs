use resilience::retry;

#[retry(max_attempts = "3", initial_delay = 100, multiplier = fast, when = "is_transient")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
