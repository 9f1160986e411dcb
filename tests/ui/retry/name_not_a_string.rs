use resilience::retry;

#[retry(name = load_user)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
