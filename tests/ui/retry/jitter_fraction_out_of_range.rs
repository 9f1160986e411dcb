use resilience::retry;

#[retry(jitter = 1.5)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
