use resilience::retry;

#[retry(name = "  ")]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
