use resilience::retry;

#[retry(initial_delay = "100")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
