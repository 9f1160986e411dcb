use resilience::retry;

#[retry(initial_delay = "2m")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
