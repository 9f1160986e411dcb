use resilience::retry;

#[retry(max_attempts = 3)]
#[retry(max_attempts = 2)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
