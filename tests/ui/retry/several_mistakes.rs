use resilience::retry;

#[retry(max_attempts = 0, backof = linear, initial_delay = "1 s", jitter = some)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
