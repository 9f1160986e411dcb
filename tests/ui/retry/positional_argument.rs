use resilience::retry;

#[retry(3)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
