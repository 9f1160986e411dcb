use resilience::retry;

#[retry(max_delay = "5secs", max_elapsed = "1d")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
