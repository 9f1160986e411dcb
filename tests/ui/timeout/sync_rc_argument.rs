use std::{cell::RefCell, rc::Rc};

use resilience::timeout;

struct Config {
    retries: u32,
}

// The body runs on a worker thread, so every argument moves there: an `Rc` cannot (a
// `RefCell` can: it is `Send`, only not `Sync`).
#[timeout("1s")]
fn load(config: Rc<Config>, seen: RefCell<Vec<u32>>, name: String) -> std::io::Result<u32> {
    seen.borrow_mut().push(config.retries);
    Ok(config.retries + name.len() as u32)
}

fn main() {}
