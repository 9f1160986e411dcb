use resilience::retry;

fn is_transient(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut
}

// The attribute calls `when` with each error: name the function, do not call it.
#[retry(when = is_transient())]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
