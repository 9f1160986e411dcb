use resilience::retry;

struct Response {
    status: u16,
}

// Written for the error type, not the value type.
fn is_throttled(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
}

#[retry(retry_if_ok = is_throttled)]
fn send() -> std::io::Result<Response> {
    Ok(Response { status: 200 })
}

fn main() {
    let _ = send().map(|r| r.status);
}
