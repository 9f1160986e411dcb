use resilience::retry;

#[retry(initial_delay = 250)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
