use resilience::retry;

#[retry(multiplier = 1.0)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
