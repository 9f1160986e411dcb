use resilience::retry;

fn is_transient(code: &u16) -> bool {
    *code >= 500
}

#[retry(when = is_transient)]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
