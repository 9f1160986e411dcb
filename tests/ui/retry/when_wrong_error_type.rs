use resilience::retry;

// Written for another function's errors: this one returns `io::Result`, so `when` must take
// `&std::io::Error`.
fn is_transient(message: &String) -> bool {
    message.contains("try again")
}

#[retry(when = is_transient)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
