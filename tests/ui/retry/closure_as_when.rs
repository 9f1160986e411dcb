use resilience::retry;

#[retry(when = |e: &()| true)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
