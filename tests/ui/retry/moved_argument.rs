use resilience::retry;

fn send(body: String) -> Result<(), String> {
    Err(body)
}

// The body moves `body` into `send`, so a second attempt would have nothing to send.
// Fix: borrow it (`body: &str`) or clone it inside the body (`send(body.clone())`).
#[retry]
fn post(body: String) -> Result<(), String> {
    send(body)
}

fn main() {}
