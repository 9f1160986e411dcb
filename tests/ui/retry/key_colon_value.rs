use resilience::retry;

// Written as in a struct literal; attribute arguments are `key = value`.
#[retry(max_attempts: 3)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
