use resilience::retry;

fn log(error: &String) {
    eprintln!("{error}");
}

#[retry(on_retry = log)]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
