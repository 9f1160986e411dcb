use resilience::retry;

#[retry(max_atempts = 3)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
