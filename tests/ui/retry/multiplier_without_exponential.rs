use resilience::retry;

#[retry(backoff = constant, multiplier = 2.0)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
