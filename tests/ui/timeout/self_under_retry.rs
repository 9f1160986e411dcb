use std::sync::Arc;

use resilience::{retry, timeout};

struct Client;

impl Client {
    #[retry]
    #[timeout("1s")]
    fn fetch(self: Arc<Self>) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {}
