use resilience::retry;

#[retry(backoff = exponental, jitter = "full")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
